// The grant a handler needs to run, and the check every caller makes before
// running one (issue 3: no code path runs a handler without a genuine grant
// bound to that action's digest).
import { AssentError } from '../../protocol/errors';
import { actionDigest, type ActionDescription } from './action';
import { Grant, isGenuineGrant } from './grant-mint';

export { Grant };

/** Throws unless `grant` is genuine, unrevoked, and bound to exactly this action. */
export function assertGrantFor(grant: unknown, action: ActionDescription): asserts grant is Grant {
  if (!isGenuineGrant(grant))
    throw new AssentError('GRANT_INVALID', 'That is not a grant issued by the consent engine.');
  const digest = actionDigest(action);
  if (grant.digest !== digest)
    throw new AssentError('GRANT_INVALID', 'The grant is bound to another action.', {
      details: { grantDigest: grant.digest, actionDigest: digest },
    });
  if (grant.signal.aborted)
    throw new AssentError('GRANT_REVOKED', 'The grant was revoked.', {
      details: { grantId: grant.id },
    });
}
