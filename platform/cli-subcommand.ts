// The frame the agent's and the engineer's `fix` commands share: run one
// subcommand and turn its outcome into an exit code and lines for the user.

import { isAssentError } from '../protocol/errors';
/**
 * Runs `run`: its exit code as it returns it; undefined (the arguments did not
 * fit) prints `usage` and is 2; an AssentError is printed as `error CODE:
 * message` and is 1. Anything else is a bug and is thrown on.
 */
export async function runSubcommand(
  usage: readonly string[],
  out: (line: string) => void,
  run: () => Promise<number | undefined>,
): Promise<number> {
  let code: number | undefined;
  try {
    code = await run();
  } catch (err) {
    if (!isAssentError(err)) throw err;
    out(`error ${err.code}: ${err.message}`);
    return 1;
  }
  if (code !== undefined) return code;
  for (const line of usage) out(line);
  return 2;
}
