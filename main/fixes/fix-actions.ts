// The fix domain of one session (issue 5): `fix.apply` and `fix.rollback`
// handlers for the action router, and the `fix.upload` message handler that
// stages packages before a request. `describe` verifies the whole package
// and inspects the target without changing either; the grant's digest binds
// the package hash and the target's current hashes, so what runs is exactly
// what the approver saw.
import type { ChannelMessage } from '../../protocol/wire/messages';
import type { ActionRouter } from '../actions/action-router';
import { applyHandler } from './apply-action';
import type { FixDeps } from './fix-deps';
import { PackageReceiver } from './package-receiver';
import { rollbackHandler } from './rollback-action';

export type { FixDeps } from './fix-deps';

/** The fix domain of one session. */
export interface FixDomain {
  /** Handles a fix-domain message from the engineer (`fix.upload`); false when the message is not one. */
  handleMessage(message: ChannelMessage): boolean;
  /** Deletes staged packages (also done when the link's signal aborts). */
  close(): Promise<void>;
}

/** Registers `fix.apply` and `fix.rollback`; call once per accepted session and route `fix.upload` to handleMessage. */
export function registerFixActions(
  router: Pick<ActionRouter, 'register'>,
  deps: FixDeps,
): FixDomain {
  const receiver = new PackageReceiver({ dataDir: deps.dataDir, link: deps.link });
  router.register('fix.apply', applyHandler(deps, receiver));
  router.register('fix.rollback', rollbackHandler(deps));
  return {
    handleMessage(message) {
      if (message.type !== 'fix.upload') return false;
      receiver.accept(message);
      return true;
    },
    close: () => receiver.close(),
  };
}
