// The terminals of one session on the agent: at most one supervised shell
// (lines run one at a time) and any interactive windows the approver opened.
// It is also the mirror the agent's UIs subscribe to (headless and desktop):
// events `started` (TerminalStarted), `output` (terminalId, bytes) and
// `exited` (terminalId, TerminalEnd). The approver ends a terminal with
// `close(terminalId)`.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import type { TerminalEndReason } from '../../protocol/terminal';
import type { ChannelMessage } from '../../protocol/wire/messages';
import type { AuditSink } from '../consent/consent-engine';
import type { EffectiveRules } from '../rules/effective-rules';
import type { PeerLink } from '../session/peer-link';
import { AsciicastRecorder } from './asciicast-recorder';
import { PtyTerminal, type TerminalEnd } from './pty-terminal';
import { terminalRoot } from './terminal-root';

/** What the terminal domain needs from the agent. */
export interface TerminalDeps {
  /** The agent's data folder (recordings go under it; it must be outside the shell's root). */
  readonly dataDir: string;
  readonly rules: EffectiveRules;
  readonly audit: AuditSink;
  /** Interactive window override in ms (tests); default from the rules' `interactiveMinutes`. */
  readonly interactiveWindowMs?: number;
}

/** Payload of the `started` event. */
export interface TerminalStarted {
  readonly terminalId: string;
  readonly mode: 'supervised' | 'interactive';
  readonly cwd: string;
  readonly shell: string;
  readonly expiresAt?: number;
  readonly recordingPath?: string;
}

interface Live {
  readonly terminal: PtyTerminal;
  readonly streamId: number;
  readonly info: TerminalStarted;
  readonly done: Promise<TerminalEnd>;
}

/** The session's terminals and their mirror. */
export class SessionTerminals extends EventEmitter {
  private readonly byId = new Map<string, Live>();
  private supervisedId: string | null = null;
  private closed = false;

  constructor(
    readonly deps: TerminalDeps,
    readonly link: PeerLink,
  ) {
    super();
    const onEnd = (): void => void this.closeAll('session-ended');
    if (link.signal.aborted) this.closed = true;
    else link.signal.addEventListener('abort', onEnd, { once: true });
  }

  /** The root a new shell starts in (validated against the rules and the data folder). */
  root(): string {
    return terminalRoot(this.deps.rules, this.deps.dataDir);
  }

  /** The live supervised shell, if any. */
  supervised(): PtyTerminal | null {
    return this.supervisedId ? (this.byId.get(this.supervisedId)?.terminal ?? null) : null;
  }

  /** The working directory the next supervised line would run in. */
  supervisedCwd(): string {
    const t = this.supervised();
    if (t && process.platform === 'linux') {
      try {
        return realpathSync(`/proc/${t.pid}/cwd`);
      } catch {
        // The shell is going away; a new one starts in the root.
      }
    }
    return t ? this.byId.get(this.supervisedId!)!.info.cwd : this.root();
  }

  /** A live terminal by id (the UI reads its buffer and state). */
  live(terminalId: string): PtyTerminal | undefined {
    return this.byId.get(terminalId)?.terminal;
  }

  /** Live terminals, as the UI lists them. */
  list(): TerminalStarted[] {
    return [...this.byId.values()].map((l) => l.info);
  }

  /** Starts a terminal and tells the engineer where its output goes; fails closed on recording. */
  async open(
    mode: 'supervised' | 'interactive',
    size: { cols: number; rows: number },
    requestId: string,
    windowMs?: number,
  ): Promise<{ terminal: PtyTerminal; terminalId: string; done: Promise<TerminalEnd> }> {
    if (this.closed) throw new AssentError('SESSION_ENDED');
    const cwd = this.root();
    const terminalId = randomBytes(9).toString('base64url');
    const recorder = this.createRecorder(terminalId, size, mode);
    const streamId = this.link.nextStreamId();
    let terminal: PtyTerminal;
    try {
      terminal = await PtyTerminal.start({
        id: terminalId,
        mode,
        cwd,
        cols: size.cols,
        rows: size.rows,
        send: this.link.streamSender(streamId),
        recorder,
        onRecordingError: (err) => this.recordingFailed(terminalId, err),
      });
    } catch (err) {
      recorder?.finish();
      throw err;
    }
    const expiresAt = windowMs === undefined ? undefined : Date.now() + windowMs;
    const info: TerminalStarted = {
      terminalId,
      mode,
      cwd,
      shell: terminal.shell,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(recorder ? { recordingPath: recorder.path } : {}),
    };
    terminal.on('output', (bytes: Buffer) => this.emit('output', terminalId, bytes));
    const done = new Promise<TerminalEnd>((resolve) => terminal.once('end', resolve)).then((end) =>
      this.ended(terminalId, end),
    );
    const timer =
      windowMs === undefined ? null : setTimeout(() => void terminal.end('expired'), windowMs);
    void done.then(() => timer && clearTimeout(timer));
    this.byId.set(terminalId, { terminal, streamId, info, done });
    if (mode === 'supervised') this.supervisedId = terminalId;
    this.emit('started', info);
    void this.audit('terminal.started', {
      terminalId,
      mode,
      cwd,
      shell: terminal.shell,
      recorded: recorder !== null,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
    this.announce(requestId, terminalId);
    return { terminal, terminalId, done };
  }

  /** Sends `terminal.opened` for a request (again for each supervised line). */
  announce(requestId: string, terminalId: string): void {
    const l = this.byId.get(terminalId);
    if (!l) throw new AssentError('TERMINAL_NOT_FOUND');
    this.link.send({
      type: 'terminal.opened',
      requestId,
      terminalId,
      streamId: l.streamId,
      mode: l.info.mode,
      cwd: l.info.cwd,
      shell: l.info.shell,
      ...(l.info.expiresAt === undefined ? {} : { expiresAt: l.info.expiresAt }),
    });
  }

  /** Ends a terminal; resolves when its process tree is gone. */
  async close(
    terminalId: string,
    reason: TerminalEndReason = 'closed-by-approver',
  ): Promise<TerminalEnd> {
    const l = this.byId.get(terminalId);
    if (!l) throw new AssentError('TERMINAL_NOT_FOUND');
    await l.terminal.end(reason);
    return l.done;
  }

  /** Ends every terminal (session end). */
  async closeAll(reason: TerminalEndReason): Promise<void> {
    this.closed = true;
    await Promise.all([...this.byId.keys()].map((id) => this.close(id, reason).catch(() => null)));
  }

  /** Handles a terminal control message from the engineer; returns false for other types. */
  handleMessage(message: ChannelMessage): boolean {
    switch (message.type) {
      case 'terminal.input':
      case 'terminal.resize':
      case 'terminal.signal':
      case 'terminal.close':
        break;
      default:
        return false;
    }
    const l = this.byId.get(message.terminalId);
    try {
      if (!l || l.terminal.ended) throw new AssentError('TERMINAL_NOT_FOUND');
      if (message.type === 'terminal.input') l.terminal.write(message.data);
      else if (message.type === 'terminal.resize') l.terminal.resize(message.cols, message.rows);
      else if (message.type === 'terminal.signal') l.terminal.interrupt(message.signal);
      else void l.terminal.end('closed-by-engineer');
    } catch (err) {
      const e =
        err instanceof AssentError ? err : new AssentError('INTERNAL', undefined, { cause: err });
      this.sendQuietly({ type: 'error', code: e.code, message: e.message });
    }
    return true;
  }

  private createRecorder(
    terminalId: string,
    size: { cols: number; rows: number },
    mode: string,
  ): AsciicastRecorder | null {
    const rules = this.deps.rules.rules;
    if (!rules.requireTerminalRecording && !rules.recordSessions) return null;
    const path = join(this.deps.dataDir, 'recordings', this.link.sessionId, `${terminalId}.cast`);
    try {
      return AsciicastRecorder.create(path, {
        width: size.cols,
        height: size.rows,
        timestamp: Math.floor(Date.now() / 1000),
        title: `Assent ${mode} terminal, session ${this.link.sessionId}, engineer ${this.link.engineer.name}`,
        env: { TERM: 'xterm-256color' },
      });
    } catch (err) {
      if (rules.requireTerminalRecording) throw err;
      void this.audit('terminal.recording-failed', { terminalId, required: false });
      return null;
    }
  }

  private recordingFailed(terminalId: string, err: unknown): boolean {
    const required = this.deps.rules.rules.requireTerminalRecording;
    void this.audit('terminal.recording-failed', {
      terminalId,
      required,
      error: err instanceof Error ? err.message : String(err),
    });
    return required;
  }

  private async ended(terminalId: string, end: TerminalEnd): Promise<TerminalEnd> {
    this.byId.delete(terminalId);
    if (this.supervisedId === terminalId) this.supervisedId = null;
    this.sendQuietly({
      type: 'terminal.exit',
      terminalId,
      exitCode: end.exitCode,
      reason: end.reason,
    });
    await this.audit('terminal.ended', {
      terminalId,
      reason: end.reason,
      exitCode: end.exitCode,
      survivors: end.survivors.length,
      ...(end.recording
        ? {
            recordingSha256: end.recording.sha256,
            recordingBytes: end.recording.bytes,
            recordingPath: end.recording.path,
          }
        : {}),
    });
    this.emit('exited', terminalId, end);
    return end;
  }

  private sendQuietly(message: ChannelMessage): void {
    try {
      this.link.send(message);
    } catch {
      // The session is over; the engineer learns it from the session end.
    }
  }

  private audit(type: string, data: Record<string, unknown>): Promise<unknown> {
    return this.deps.audit
      .append({ type, sessionId: this.link.sessionId, actor: 'agent', data })
      .catch(() => undefined);
  }
}
