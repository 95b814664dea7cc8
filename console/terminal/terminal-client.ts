// The engineer's typed client for the remote terminal (issue 4): one
// supervised line (`runCommand`) or an interactive window (`openShell`).
// Output arrives as stream frames on the stream `terminal.opened` names.
import type { ActionPreview, DecisionBasis } from '../../protocol/consent';
import {
  TerminalCommandResult,
  TerminalInteractiveResult,
  type TerminalEndReason,
} from '../../protocol/terminal';
import { requestAction } from '../actions/request-action';
import type { EngineerLink } from '../engineer-link';
import { KeystrokeBatcher } from './keystroke-batcher';

export interface TerminalRequestOptions {
  readonly cols?: number;
  readonly rows?: number;
  /** Output bytes, as the agent's pty produced them. */
  readonly onOutput: (bytes: Buffer) => void;
  readonly onPending?: (preview: ActionPreview) => void;
  readonly onAllowed?: (basis: DecisionBasis) => void;
  readonly signal?: AbortSignal;
}

/** Follows `terminal.opened` for one request and feeds its stream to `onOutput`; returns a stopper. */
function follow(
  link: EngineerLink,
  requestId: string,
  onOutput: (bytes: Buffer) => void,
  onOpened?: (terminalId: string, expiresAt?: number) => void,
): () => void {
  let offStream: (() => void) | null = null;
  const offOpened = link.on('terminal.opened', (m) => {
    if (m.requestId !== requestId) return;
    offStream?.();
    offStream = link.onStream(m.streamId, onOutput);
    onOpened?.(m.terminalId, m.expiresAt);
  });
  return () => {
    offOpened();
    offStream?.();
  };
}

/** Runs one supervised command line; resolves when the shell shows its prompt again. */
export async function runCommand(
  link: EngineerLink,
  line: string,
  options: TerminalRequestOptions,
): Promise<TerminalCommandResult> {
  const requestId = link.nextRequestId();
  const stop = follow(link, requestId, options.onOutput);
  try {
    const result = await requestAction(
      link,
      'terminal.command',
      { line, cols: options.cols ?? 80, rows: options.rows ?? 24 },
      {
        requestId,
        ...(options.onPending ? { onPending: options.onPending } : {}),
        ...(options.onAllowed ? { onAllowed: options.onAllowed } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return TerminalCommandResult.parse(result);
  } finally {
    stop();
  }
}

/** A live interactive terminal on the agent. */
export interface RemoteShell {
  readonly terminalId: string;
  readonly expiresAt: number | undefined;
  /** Keystrokes (raw bytes as the local terminal produced them). */
  write(data: string): void;
  resize(cols: number, rows: number): void;
  interrupt(): void;
  /** Ends the terminal on the agent (kills everything it started). */
  close(): void;
  /** Resolves when the window ends (expiry, exit, either side closing it). */
  readonly done: Promise<TerminalInteractiveResult & { reason: TerminalEndReason }>;
}

/** Asks for an interactive window; resolves once the approver allowed it and the shell runs. */
export function openShell(
  link: EngineerLink,
  options: TerminalRequestOptions,
): Promise<RemoteShell> {
  const requestId = link.nextRequestId();
  return new Promise((resolve, reject) => {
    let opened = false;
    let stop: () => void = () => undefined;
    const done = requestAction(
      link,
      'terminal.interactive',
      { cols: options.cols ?? 80, rows: options.rows ?? 24 },
      {
        requestId,
        ...(options.onPending ? { onPending: options.onPending } : {}),
        ...(options.onAllowed ? { onAllowed: options.onAllowed } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    )
      .then((r) => TerminalInteractiveResult.parse(r))
      .finally(() => stop());
    done.catch((err: unknown) => {
      if (!opened) reject(err);
    });
    stop = follow(link, requestId, options.onOutput, (terminalId, expiresAt) => {
      opened = true;
      const send = (message: Parameters<EngineerLink['send']>[0]): void => {
        if (!link.signal.aborted) link.send(message);
      };
      const input = new KeystrokeBatcher((data) =>
        send({ type: 'terminal.input', terminalId, data }),
      );
      resolve({
        terminalId,
        expiresAt,
        write: (data) => input.write(data),
        resize: (cols, rows) => send({ type: 'terminal.resize', terminalId, cols, rows }),
        interrupt: () => send({ type: 'terminal.signal', terminalId, signal: 'SIGINT' }),
        close: () => send({ type: 'terminal.close', terminalId }),
        done,
      });
    });
  });
}
