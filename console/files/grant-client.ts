// The engineer's view of the session grants (`grants`): asks the agent with
// `grant.list-request` and waits for the matching `grant.list`.
import type { GrantInfo } from '../../protocol/consent';
import { AssentError } from '../../protocol/errors';
import type { EngineerLink } from '../engineer-link';

/** Lists the session grants in force (`grant.list-request`). */
export function listGrants(link: EngineerLink, timeoutMs = 10_000): Promise<GrantInfo[]> {
  const requestId = link.nextRequestId();
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new AssentError('SESSION_NOT_ACTIVE', 'The agent did not answer the grant list request.'),
      );
    }, timeoutMs);
    const off = link.on('grant.list', (m) => {
      if (m.requestId !== requestId) return;
      clearTimeout(timer);
      off();
      resolvePromise(m.grants);
    });
    link.send({ type: 'grant.list-request', requestId });
  });
}
