// Option parsing shared by the bins: `node:util` parseArgs in lenient mode
// (subcommands take their own flags), with string options read by name.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AssentError } from '../protocol/errors';

/** Parsed command line: positionals, flags, and string options by name. */
export interface CommandLine {
  readonly positionals: string[];
  readonly flag: (name: string) => boolean;
  readonly str: (name: string) => string | undefined;
}

/** Parses `args`; a malformed command line is a USAGE error. */
export function parseCommandLine(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: false });
  } catch (cause) {
    throw new AssentError('USAGE', (cause as Error).message, { cause });
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  return {
    positionals: parsed.positionals,
    flag: (name) => values[name] === true,
    str: (name) => (typeof values[name] === 'string' ? (values[name] as string) : undefined),
  };
}
