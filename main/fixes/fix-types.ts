// Shared shapes of the fix domain on the agent.
import type { FixRegistry } from './registry';
import { findLive, installedVersion } from './registry';
import type { FixTrust } from './manifest-checks';

/** Called at each named step of an apply or rollback (crash tests kill the process here). */
export type FixStepHook = (step: string) => void | Promise<void>;

/** Progress as the action router forwards it to the engineer. */
export type FixProgress = (done: number, total?: number, stage?: string) => void;

/** What the agent trusts, without the installed state (that comes from the registry). */
export type FixTrustBase = Omit<FixTrust, 'installedVersion' | 'isInstalled'>;

/** The full trust for a check: base plus the installed versions of the registry. */
export function fixTrust(base: FixTrustBase, registry: FixRegistry): FixTrust {
  return {
    ...base,
    installedVersion: (product) => installedVersion(registry, product),
    isInstalled: (id) => findLive(registry, id) !== undefined,
  };
}
