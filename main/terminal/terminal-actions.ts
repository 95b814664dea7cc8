// The two terminal actions as handlers of the action router (issue 4):
// `terminal.command` (one supervised line, consent per line, scopes on parsed
// command names) and `terminal.interactive` (a raw pty for a window that only
// a new consent extends). `describe` validates and builds the preview and
// changes nothing; `execute` runs only with a genuine grant for exactly that
// description and stops at once when its signal aborts.
import { createHash } from 'node:crypto';
import { AssentError } from '../../protocol/errors';
import {
  DEFAULT_INTERACTIVE_MINUTES,
  INTERACTIVE_COMMAND,
  TerminalCommandParams,
  TerminalInteractiveParams,
  type TerminalCommandResult,
  type TerminalInteractiveResult,
} from '../../protocol/terminal';
import type { ActionHandler, ActionRegistry } from '../actions/action-router';
import { assertGrantFor, type Grant } from '../consent/grant';
import type { PeerLink } from '../session/peer-link';
import { SessionTerminals, type TerminalDeps } from './session-terminals';
import { commandNames } from './shell-line';
import { visibleLine } from '../../protocol/visible-text';
import { hasTerminalControl } from './terminal-control';

function stopReason(link: PeerLink): 'session-ended' | 'revoked' {
  return link.signal.aborted ? 'session-ended' : 'revoked';
}

function approvalMarker(grant: Grant, requestId: string): string {
  return `approved ${requestId} by ${grant.basis.source}${grant.basis.rule ? ` (${grant.basis.rule})` : ''} digest ${grant.digest}`;
}

/** The `terminal.command` handler over a session's terminals. */
export function commandHandler(terminals: SessionTerminals): ActionHandler<TerminalCommandParams> {
  return {
    params: TerminalCommandParams,
    async describe(params) {
      const { line } = params;
      if (hasTerminalControl(line) || line.trim() === '')
        throw new AssentError('TERMINAL_BAD_LINE');
      if (terminals.supervised()?.busy) throw new AssentError('TERMINAL_BUSY');
      const cwd = terminals.supervisedCwd();
      const names = commandNames(line);
      return {
        kind: 'terminal.command',
        target: line,
        params: { mode: 'supervised', line, cwd },
        match: { commands: names },
        preview: {
          kind: 'terminal.command',
          command: {
            mode: 'supervised',
            line,
            visibleLine: visibleLine(line),
            commandNames: names,
            cwd,
          },
        },
      };
    },
    async execute(grant, params, context) {
      assertGrantFor(grant, context.action);
      if (terminals.deps.rules.terminal === 'off') throw new AssentError('TERMINAL_MODE_OFF');
      if (context.signal.aborted) throw new AssentError('TERMINAL_ENDED');
      let shell = terminals.supervised();
      if (shell?.busy) throw new AssentError('TERMINAL_BUSY');
      if (terminals.supervisedCwd() !== context.action.params['cwd'])
        throw new AssentError('TERMINAL_STATE_CHANGED');
      let terminalId: string;
      if (!shell) {
        const opened = await terminals.open('supervised', params, context.requestId);
        shell = opened.terminal;
        terminalId = opened.terminalId;
      } else {
        terminalId = terminals.list().find((t) => t.mode === 'supervised')!.terminalId;
        terminals.announce(context.requestId, terminalId);
      }
      const running = shell;
      const onAbort = (): void => void running.end(stopReason(context.link));
      context.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const ran = await running.runLine(params.line, approvalMarker(grant, context.requestId));
        const result: TerminalCommandResult = {
          terminalId,
          exitCode: ran.exitCode,
          outputBytes: ran.outputBytes,
          ...(ran.exitCode === null
            ? { ended: running.endReason ?? stopReason(context.link) }
            : {}),
        };
        await terminals.deps.audit
          .append({
            type: 'terminal.line',
            sessionId: context.link.sessionId,
            actor: 'agent',
            data: {
              terminalId,
              requestId: context.requestId,
              lineSha256: createHash('sha256').update(params.line).digest('hex'),
              exitCode: ran.exitCode,
              outputBytes: ran.outputBytes,
            },
          })
          .catch(() => undefined);
        return result;
      } finally {
        context.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** The `terminal.interactive` handler over a session's terminals. */
export function interactiveHandler(
  terminals: SessionTerminals,
): ActionHandler<TerminalInteractiveParams> {
  const windowMinutes = (): number =>
    terminals.deps.rules.rules.interactiveMinutes ?? DEFAULT_INTERACTIVE_MINUTES;
  return {
    params: TerminalInteractiveParams,
    async describe() {
      const cwd = terminals.root();
      const minutes = windowMinutes();
      return {
        kind: 'terminal.interactive',
        target: `interactive:${cwd}`,
        params: { mode: 'interactive', cwd, windowMinutes: minutes },
        // No scope or standing consent may name this: every window needs its own consent.
        match: { commands: [INTERACTIVE_COMMAND] },
        preview: {
          kind: 'terminal.interactive',
          command: { mode: 'interactive', cwd, windowMinutes: minutes },
        },
      };
    },
    async execute(grant, params, context) {
      assertGrantFor(grant, context.action);
      if (terminals.deps.rules.terminal !== 'interactive')
        throw new AssentError('TERMINAL_MODE_OFF');
      // Issue 4: a window is extended only by a new consent, so a session grant or a
      // standing consent never opens one, whatever the engine's scope matching says.
      if (grant.basis.source !== 'approver') throw new AssentError('TERMINAL_APPROVAL_REQUIRED');
      if (context.signal.aborted) throw new AssentError('TERMINAL_ENDED');
      const windowMs = terminals.deps.interactiveWindowMs ?? windowMinutes() * 60_000;
      const opened = await terminals.open('interactive', params, context.requestId, windowMs);
      opened.terminal.mark(approvalMarker(grant, context.requestId));
      const onAbort = (): void => void opened.terminal.end(stopReason(context.link));
      context.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const end = await opened.done;
        const result: TerminalInteractiveResult = {
          terminalId: opened.terminalId,
          exitCode: end.exitCode,
          reason: end.reason,
          ...(end.recording ? { recordingSha256: end.recording.sha256 } : {}),
        };
        return result;
      } finally {
        context.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/**
 * Registers `terminal.command` and `terminal.interactive` with the session's
 * router. Returns the session's terminals: the mirror the agent UIs subscribe
 * to, and `handleMessage` for the terminal.* control messages the session
 * receives from the engineer.
 */
export function registerTerminalActions(
  router: ActionRegistry,
  deps: TerminalDeps & { readonly link: PeerLink },
): SessionTerminals {
  const terminals = new SessionTerminals(deps, deps.link);
  router.register('terminal.command', commandHandler(terminals));
  router.register('terminal.interactive', interactiveHandler(terminals));
  return terminals;
}
