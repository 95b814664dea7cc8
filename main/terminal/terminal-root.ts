// Where a shell starts: the first readable root the rules and the machine
// policy both allow, which must not contain the agent's data folder (the
// recordings, the audit log and the rules in force live there; issue 4).
import { realpathSync } from 'node:fs';
import { AssentError } from '../../protocol/errors';
import type { EffectiveRules } from '../rules/effective-rules';
import { isPathUnder } from '../rules/path-scope';

function real(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** The canonical directory a new shell starts in; throws TERMINAL_NO_ROOT or TERMINAL_UNSAFE_ROOT. */
export function terminalRoot(rules: EffectiveRules, dataDir: string): string {
  const data = real(dataDir) ?? dataDir;
  for (const candidate of rules.rules.readableRoots) {
    const root = real(candidate);
    if (root === null || rules.readRefusal(root) !== null) continue;
    if (isPathUnder(data, root, rules.platform) || isPathUnder(root, data, rules.platform))
      throw new AssentError(
        'TERMINAL_UNSAFE_ROOT',
        `The shell's root ${root} contains the agent's data folder ${data}.`,
      );
    return root;
  }
  throw new AssentError('TERMINAL_NO_ROOT');
}
