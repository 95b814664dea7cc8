// A command of the engineer console's interactive prompt. Each domain
// (files, terminal, fixes) contributes its commands; the prompt lists them in
// `help` and dispatches by name.
import type { EngineerLink } from '../engineer-link';

/** Where a command writes and what it may use. */
export interface ConsoleContext {
  readonly link: EngineerLink;
  /** Writes one line for the engineer. */
  print(line: string): void;
  /** Writes without a newline (progress bars redraw with \r). */
  write(text: string): void;
  /** The local working directory for get/put. */
  readonly cwd: string;
  /** Raw stdin/stdout for commands that take over the terminal (interactive shell). */
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
}

/** One command of the interactive prompt. */
export interface ConsoleCommand {
  readonly name: string;
  /** e.g. `get <remote-path> [local-path]` */
  readonly usage: string;
  readonly summary: string;
  run(args: string[], context: ConsoleContext): Promise<void>;
}
