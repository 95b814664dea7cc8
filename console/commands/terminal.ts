// The engineer console's terminal commands (issue 4): `run <command line>`
// (supervised: the approver sees and approves each line) and `shell` (an
// interactive window: raw mode, resize follows the window, Ctrl-] leaves
// and ends it).
import { AssentError, isAssentError } from '../../protocol/errors';
import type { ActionPreview } from '../../protocol/consent';
import { openShell, runCommand } from '../terminal/terminal-client';
import type { ConsoleCommand, ConsoleContext } from './console-command';

/** Ctrl-]: leaves the interactive shell (and ends it on the agent), as in telnet. */
export const DETACH_KEY = '\u001d';

/**
 * The line to request from the prompt's arguments. One argument is taken
 * verbatim (`run 'grep "a|b" log'`); several are joined with spaces, and an
 * argument the prompt unquoted because it held blanks or quotes is quoted again.
 */
export function commandLineFrom(args: readonly string[]): string {
  if (args.length === 1) return args[0]!;
  return args
    .map((a) => (/[\s'"]/.test(a) || a === '' ? `'${a.replace(/'/g, `'\\''`)}'` : a))
    .join(' ');
}

function explainDenial(err: unknown, context: ConsoleContext): void {
  if (!isAssentError(err)) throw err;
  const basis = err.details?.['basis'] as { source?: string; rule?: string } | undefined;
  const why = basis ? ` (${basis.source}${basis.rule ? `: ${basis.rule}` : ''})` : '';
  context.print(`${err.code}: ${err.message}${why}`);
}

function pendingPrinter(context: ConsoleContext): (preview: ActionPreview) => void {
  return (preview) => {
    const names = preview.command?.commandNames?.join(', ');
    context.print(
      `waiting for approval… (${preview.command?.mode ?? 'terminal'} in ${preview.command?.cwd ?? '?'}${names ? `; commands: ${names}` : ''})`,
    );
  };
}

const run: ConsoleCommand = {
  name: 'run',
  usage: 'run <command line>',
  summary: 'run one command line in the supervised remote shell (the customer approves each line)',
  async run(args, context) {
    if (args.length === 0) throw new AssentError('USAGE', 'usage: run <command line>');
    const line = commandLineFrom(args);
    try {
      const result = await runCommand(context.link, line, {
        cols: context.stdout.columns || 80,
        rows: context.stdout.rows || 24,
        onOutput: (bytes) => context.write(bytes.toString('utf8')),
        onPending: pendingPrinter(context),
      });
      context.print(
        result.exitCode === null
          ? `[terminal ended: ${result.ended ?? 'unknown'}]`
          : `[exit ${result.exitCode}]`,
      );
    } catch (err) {
      explainDenial(err, context);
    }
  },
};

const shell: ConsoleCommand = {
  name: 'shell',
  usage: 'shell',
  summary: 'open an interactive remote shell for the window the customer allows (Ctrl-] leaves)',
  async run(_args, context) {
    const { stdin, stdout } = context;
    let remote;
    try {
      remote = await openShell(context.link, {
        cols: stdout.columns || 80,
        rows: stdout.rows || 24,
        onOutput: (bytes) => stdout.write(bytes),
        onPending: pendingPrinter(context),
      });
    } catch (err) {
      explainDenial(err, context);
      return;
    }
    const minutes =
      remote.expiresAt === undefined
        ? ''
        : ` until ${new Date(remote.expiresAt).toLocaleTimeString()}`;
    context.print(`[interactive shell${minutes}; Ctrl-] leaves]`);
    const wasRaw = stdin.isTTY ? stdin.isRaw : false;
    if (stdin.isTTY) stdin.setRawMode(true);
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const at = text.indexOf(DETACH_KEY);
      if (at >= 0) {
        if (at > 0) remote.write(text.slice(0, at));
        remote.close();
        return;
      }
      remote.write(text);
    };
    const onResize = (): void => remote.resize(stdout.columns || 80, stdout.rows || 24);
    stdin.on('data', onData);
    stdout.on('resize', onResize);
    stdin.resume();
    try {
      const end = await remote.done;
      context.print(
        `\r\n[shell ended: ${end.reason}${end.exitCode === null ? '' : `, exit ${end.exitCode}`}]`,
      );
    } catch (err) {
      explainDenial(err, context);
    } finally {
      stdin.off('data', onData);
      stdout.off('resize', onResize);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
    }
  },
};

/** The terminal commands of the console prompt. */
export const TERMINAL_COMMANDS: readonly ConsoleCommand[] = [run, shell];
