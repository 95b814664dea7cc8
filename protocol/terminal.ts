// The remote terminal (issue 4): parameters and results of the two terminal
// actions, the control messages of a running terminal, and the limits of the
// domain. Terminal output flows as stream frames on the stream id announced
// by `terminal.opened`; everything else is a JSON message declared here.
import { z } from 'zod';

/** Longest supervised command line (characters). */
export const MAX_COMMAND_LINE_CHARS = 8 * 1024;
/** Largest `terminal.input` payload (characters): a pasted block, not a file transfer. */
export const MAX_TERMINAL_INPUT_CHARS = 64 * 1024;
/** Terminal sizes outside 1..MAX are refused (a 0x0 or 100000-column pty is a bug, not a request). */
export const MAX_TERMINAL_COLUMNS = 1000;
export const MAX_TERMINAL_ROWS = 500;
/** Interactive window when the ground rules do not set `interactiveMinutes`. */
export const DEFAULT_INTERACTIVE_MINUTES = 15;
/**
 * The command name given to anything the shell-line parser cannot read with
 * certainty (eval, here-documents, `$cmd`, globs in a command name, ...). No
 * allow-for-session scope or standing consent may name it, so a line that
 * contains it always needs a prompt of its own.
 */
export const UNPARSED_COMMAND = '⟨unparsed⟩';
/** The command name an interactive terminal is matched on: never covered by a scope. */
export const INTERACTIVE_COMMAND = '⟨interactive⟩';

/** False for the parser's placeholders (a line it could not read, an interactive shell): no scope or standing consent may cover them. */
export function isScopableCommand(name: string): boolean {
  return name !== UNPARSED_COMMAND && name !== INTERACTIVE_COMMAND;
}

/** True when a line runs at least one command and every one is `command`, a scopable name (never when there is none). */
export function onlyCommand(names: readonly string[], command: string | undefined): boolean {
  return (
    command !== undefined &&
    isScopableCommand(command) &&
    names.length > 0 &&
    names.every((n) => n === command)
  );
}

const TerminalId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const Columns = z.number().int().min(1).max(MAX_TERMINAL_COLUMNS);
const Rows = z.number().int().min(1).max(MAX_TERMINAL_ROWS);

/** Params of `terminal.command`: one supervised command line, written to the session's shell once approved. */
export const TerminalCommandParams = z.object({
  line: z.string().min(1).max(MAX_COMMAND_LINE_CHARS),
  /** Size of the pty when this request opens the session's shell. */
  cols: Columns.default(80),
  rows: Rows.default(24),
});
export type TerminalCommandParams = z.infer<typeof TerminalCommandParams>;

/** Result of `terminal.command`: the line ran and the shell is back at its prompt (or the terminal ended). */
export const TerminalCommandResult = z.object({
  terminalId: TerminalId,
  /** `$?` of the line; null when the terminal ended before the line finished. */
  exitCode: z.number().int().nullable(),
  /** Output bytes of this line sent on the stream. */
  outputBytes: z.number().int().nonnegative(),
  /** Why the line stopped when it did not finish: the terminal's end reason. */
  ended: z.string().optional(),
});
export type TerminalCommandResult = z.infer<typeof TerminalCommandResult>;

/** Params of `terminal.interactive`: a raw pty for a time-limited window. */
export const TerminalInteractiveParams = z.object({
  cols: Columns.default(80),
  rows: Rows.default(24),
});
export type TerminalInteractiveParams = z.infer<typeof TerminalInteractiveParams>;

/** Why a terminal ended. */
export const TerminalEndReason = z.enum([
  /** The shell exited by itself. */
  'exited',
  /** The engineer closed it. */
  'closed-by-engineer',
  /** The approver ended it. */
  'closed-by-approver',
  /** The interactive window ran out. */
  'expired',
  /** The grant was revoked or the request cancelled. */
  'revoked',
  /** The session ended. */
  'session-ended',
  /** The recording could not be written and the rules require it (fail closed). */
  'recording-failed',
]);
export type TerminalEndReason = z.infer<typeof TerminalEndReason>;

/** Result of `terminal.interactive`, sent when the window ends. */
export const TerminalInteractiveResult = z.object({
  terminalId: TerminalId,
  exitCode: z.number().int().nullable(),
  reason: TerminalEndReason,
  /** sha256 of the recording file (the same digest is in the audit log); absent when not recorded. */
  recordingSha256: z.string().optional(),
});
export type TerminalInteractiveResult = z.infer<typeof TerminalInteractiveResult>;

/** Agent -> engineer: a pty is live; its output arrives on `streamId` (sent again for each supervised line). */
export const TerminalOpenedMessage = z.object({
  type: z.literal('terminal.opened'),
  /** The action request this answers. */
  requestId: z.string().min(1).max(64),
  terminalId: TerminalId,
  streamId: z.number().int().nonnegative(),
  mode: z.enum(['supervised', 'interactive']),
  cwd: z.string().max(4096),
  shell: z.string().max(4096),
  /** When the interactive window closes (ms since epoch). */
  expiresAt: z.number().int().optional(),
});

/** Engineer -> agent: keystrokes for an interactive terminal (refused in supervised mode). */
export const TerminalInputMessage = z.object({
  type: z.literal('terminal.input'),
  terminalId: TerminalId,
  data: z.string().min(1).max(MAX_TERMINAL_INPUT_CHARS),
});

/** Engineer -> agent: the engineer's window changed size. */
export const TerminalResizeMessage = z.object({
  type: z.literal('terminal.resize'),
  terminalId: TerminalId,
  cols: Columns,
  rows: Rows,
});

/** Engineer -> agent: interrupt (Ctrl-C) or quit (Ctrl-\) what runs in the foreground. */
export const TerminalSignalMessage = z.object({
  type: z.literal('terminal.signal'),
  terminalId: TerminalId,
  signal: z.enum(['SIGINT', 'SIGQUIT']),
});

/** Engineer -> agent: end the terminal (kills the shell and everything it started). */
export const TerminalCloseMessage = z.object({
  type: z.literal('terminal.close'),
  terminalId: TerminalId,
});

/** Agent -> engineer: the terminal is gone; nothing it started is left running. */
export const TerminalExitMessage = z.object({
  type: z.literal('terminal.exit'),
  terminalId: TerminalId,
  exitCode: z.number().int().nullable(),
  reason: TerminalEndReason,
});

export const TERMINAL_MESSAGES = [
  TerminalOpenedMessage,
  TerminalInputMessage,
  TerminalResizeMessage,
  TerminalSignalMessage,
  TerminalCloseMessage,
  TerminalExitMessage,
] as const;
