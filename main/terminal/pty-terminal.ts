// One shell in a node-pty on the agent (issue 4): spawned in the allowed root
// with the minimal environment, its output filtered (supervised status
// markers), recorded, mirrored to local listeners and pumped to the link
// with backpressure; ended by killing its whole process tree.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { AssentError } from '../../protocol/errors';
import type { TerminalEndReason } from '../../protocol/terminal';
import type { AsciicastRecorder, RecordingSummary } from './asciicast-recorder';
import { OutputPump } from './output-pump';
import { killTerminalProcesses } from './process-tree';
import { chooseShell, terminalEnvironment } from './shell-environment';
import { StatusMarkerFilter } from './status-marker';
import { spawnTerminalPty, type TerminalPty } from './terminal-pty';

/** How long a supervised shell may take to show its first prompt. */
export const SHELL_READY_TIMEOUT_MS = 10_000;
/** After an interrupt, how often (and how many times) to look whether bash dropped the line. */
const INTERRUPT_NUDGE_MS = 100;
const INTERRUPT_NUDGE_ATTEMPTS = 20;
/**
 * An interrupt of a supervised line waits while bash itself holds the
 * terminal's foreground, checked every INTERRUPT_HOLD_MS, at most
 * INTERRUPT_HOLD_ATTEMPTS times: see interrupt().
 */
const INTERRUPT_HOLD_MS = 1;
const INTERRUPT_HOLD_ATTEMPTS = 250;
/** How long the last output may take to leave after the shell ended. */
const FINAL_DRAIN_MS = 2_000;

export interface PtyTerminalOptions {
  readonly id: string;
  readonly mode: 'supervised' | 'interactive';
  readonly cwd: string;
  readonly cols: number;
  readonly rows: number;
  /** Sends a batch of output to the engineer (the link's stream sender); resolves when the link can take more. */
  readonly send: (chunk: Buffer) => Promise<void>;
  /** The recording, or null when the rules do not ask for one. */
  readonly recorder: AsciicastRecorder | null;
  /** The recording failed mid-way; return true to end the terminal (recording required). */
  readonly onRecordingError: (err: unknown) => boolean;
}

/** How a terminal ended. */
export interface TerminalEnd {
  readonly exitCode: number | null;
  readonly reason: TerminalEndReason;
  readonly recording: RecordingSummary | null;
  /** Pids still alive after the kill (empty when the whole tree is gone). */
  readonly survivors: readonly number[];
}

/** Events: `output` (Buffer, after filtering: what the engineer sees), `end` (TerminalEnd). */
export class PtyTerminal extends EventEmitter {
  readonly shell: string;
  readonly tag = randomBytes(16).toString('hex');
  private readonly pty: TerminalPty;
  private readonly filter = new StatusMarkerFilter();
  private readonly pump: OutputPump;
  private recorder: AsciicastRecorder | null;
  private statusWaiter: ((status: number) => void) | null = null;
  private lineBytes = 0;
  private ending: Promise<TerminalEnd> | null = null;
  private exitCode: number | null = null;
  private exited = false;
  private reason: TerminalEndReason | null = null;
  /** A required recording failed: nothing more goes to the shell or to the engineer. */
  private recordingLost = false;

  private constructor(readonly options: PtyTerminalOptions) {
    super();
    this.recorder = options.recorder;
    const shell = chooseShell(options.mode);
    this.shell = shell.file;
    this.pump = new OutputPump({
      send: (batch) => this.deliver(batch),
      pause: () => this.pty.reader.pause(),
      resume: () => this.pty.reader.resume(),
      onError: () => void this.end('session-ended'),
    });
    try {
      this.pty = spawnTerminalPty(
        shell.file,
        shell.args,
        {
          name: 'xterm-256color',
          cols: options.cols,
          rows: options.rows,
          cwd: options.cwd,
          env: terminalEnvironment({ shell: shell.file, mode: options.mode, tag: this.tag }),
        },
        (data) => this.onData(data),
      );
    } catch (err) {
      throw new AssentError('TERMINAL_SPAWN_FAILED', `Cannot start ${shell.file}.`, { cause: err });
    }
    this.pty.onExit((exitCode) => {
      this.exited = true;
      // A shell we killed has no exit status of its own to report.
      if (this.ending === null) this.exitCode = exitCode;
      void this.end('exited');
    });
  }

  /** Starts a shell; a supervised one is returned once it shows its first prompt. */
  static async start(options: PtyTerminalOptions): Promise<PtyTerminal> {
    const terminal = new PtyTerminal(options);
    if (options.mode === 'supervised') {
      const ready = await Promise.race([
        terminal.nextStatus().then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), SHELL_READY_TIMEOUT_MS).unref()),
      ]);
      if (!ready) {
        await terminal.end('exited');
        throw new AssentError('TERMINAL_SPAWN_FAILED', 'The shell did not start in time.');
      }
    }
    return terminal;
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** True once the terminal is ending or ended. */
  get ended(): boolean {
    return this.ending !== null;
  }

  /** True while a supervised line runs. */
  get busy(): boolean {
    return this.statusWaiter !== null;
  }

  /** Bytes of output held right now (batching and in flight). */
  get bufferedBytes(): number {
    return this.pump.bufferedBytes;
  }

  /** The most output bytes ever held at once. */
  get highWaterBytes(): number {
    return this.pump.highWaterBytes;
  }

  /** Supervised: writes one approved line and resolves with its exit status once the prompt is back. */
  async runLine(
    line: string,
    marker: string,
  ): Promise<{ exitCode: number | null; outputBytes: number }> {
    if (this.options.mode !== 'supervised')
      throw new TypeError('runLine is for supervised terminals');
    if (this.ended) throw new AssentError('TERMINAL_ENDED');
    if (this.busy) throw new AssentError('TERMINAL_BUSY');
    this.lineBytes = 0;
    const status = Promise.race([this.nextStatus(), this.endPromise().then(() => null)]);
    this.record((r) => {
      r.recordMarker(marker);
      r.recordInput(line + '\r');
    });
    if (!this.recordingLost) this.pty.input.send(line + '\r');
    const exitCode = await status;
    await this.pump.drained();
    return { exitCode, outputBytes: this.lineBytes };
  }

  /** Interactive: keystrokes from the engineer. */
  write(data: string): void {
    if (this.options.mode !== 'interactive') throw new AssentError('TERMINAL_NOT_INTERACTIVE');
    if (this.ended) throw new AssentError('TERMINAL_ENDED');
    this.record((r) => r.recordInput(data));
    if (!this.recordingLost) this.pty.input.send(data);
  }

  resize(cols: number, rows: number): void {
    if (this.ended) return;
    this.pty.resize(cols, rows);
    this.record((r) => r.recordResize(cols, rows));
  }

  /**
   * Ctrl-C / Ctrl-\ as the line discipline sends them: to the foreground
   * process group.
   *
   * While a supervised line is being taken in, bash itself holds the
   * foreground. bash reads its input a block at a time, and a SIGINT that
   * lands while it parses the line drops only what it has parsed. The rest
   * of the line is still in bash's buffer, and bash ran it as a command of
   * its own: `leep 1000` of `sleep 1000`, seen in a test. That is a part of
   * the approved line the approver never saw alone. On Linux the interrupt
   * therefore waits, up to about INTERRUPT_HOLD_ATTEMPTS ms (a quarter of a
   * second), until a command of the line holds the foreground; then only
   * that command gets it. A line that stays in bash (a builtin loop, `read`)
   * gets it after the wait, when its parse is long over.
   */
  interrupt(signal: 'SIGINT' | 'SIGQUIT'): void {
    if (this.ended) return;
    if (this.options.mode === 'supervised' && this.busy && this.shellHoldsLine())
      this.holdInterrupt(signal, 0);
    else this.sendInterrupt(signal);
  }

  private holdInterrupt(signal: 'SIGINT' | 'SIGQUIT', attempt: number): void {
    setTimeout(() => {
      // The line ended meanwhile: there is nothing left to interrupt.
      if (this.ended || !this.busy) return;
      if (attempt < INTERRUPT_HOLD_ATTEMPTS && this.shellHoldsLine())
        this.holdInterrupt(signal, attempt + 1);
      else this.sendInterrupt(signal);
    }, INTERRUPT_HOLD_MS).unref();
  }

  /** Linux: bash itself, not a command it started, holds the foreground of its terminal. */
  private shellHoldsLine(): boolean {
    return process.platform === 'linux' && this.shellInForeground();
  }

  private sendInterrupt(signal: 'SIGINT' | 'SIGQUIT'): void {
    const char = signal === 'SIGINT' ? '\u0003' : '\u001c';
    this.record((r) => r.recordInput(char));
    if (this.recordingLost) return;
    this.pty.input.send(char);
    if (this.options.mode === 'supervised' && this.busy) this.nudgeAfterInterrupt(0);
  }

  /**
   * An interrupt that lands before bash has read the line makes the line
   * discipline discard it, and bash may go back to reading without a new
   * prompt (so no status marker). When the line is still open, the shell is
   * in the foreground and blocked reading its terminal, an empty line brings
   * the prompt (and its marker) back; nothing runs.
   */
  private nudgeAfterInterrupt(attempt: number): void {
    setTimeout(() => {
      if (!this.busy || this.ended) return;
      if (this.shellAwaitingInput()) {
        this.record((r) => r.recordInput('\r'));
        this.pty.input.send('\r');
      } else if (attempt < INTERRUPT_NUDGE_ATTEMPTS) this.nudgeAfterInterrupt(attempt + 1);
    }, INTERRUPT_NUDGE_MS).unref();
  }

  /** True when the shell is the foreground process and blocked in read(2) on its terminal (Linux). */
  private shellAwaitingInput(): boolean {
    if (process.platform !== 'linux' || !this.shellInForeground()) return false;
    const readSyscall = process.arch === 'x64' ? '0' : process.arch === 'arm64' ? '63' : null;
    try {
      const fields = readFileSync(`/proc/${this.pty.pid}/syscall`, 'latin1').trim().split(' ');
      return fields[0] === readSyscall && fields[1] === '0x0';
    } catch {
      return false;
    }
  }

  /** Adds a marker to the recording (approvals, window extension, who ended it). */
  mark(label: string): void {
    this.record((r) => r.recordMarker(label));
  }

  /** Ends the terminal: kills the whole process tree, closes the recording. Idempotent. */
  end(reason: TerminalEndReason): Promise<TerminalEnd> {
    this.ending ??= this.finish(reason);
    return this.ending;
  }

  private endPromise(): Promise<TerminalEnd> {
    return new Promise((resolve) => this.once('end', resolve));
  }

  /** Why the terminal ended (null while it runs). */
  get endReason(): TerminalEndReason | null {
    return this.reason;
  }

  private async finish(reason: TerminalEndReason): Promise<TerminalEnd> {
    this.reason = reason;
    this.pty.input.close();
    const survivors = await killTerminalProcesses(this.pty.pid, this.tag);
    if (!this.exited) {
      try {
        this.pty.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
    const rest = this.filter.flush();
    if (rest.length > 0) this.emitOutput(rest);
    await Promise.race([
      this.pump.drained(),
      new Promise((r) => setTimeout(r, FINAL_DRAIN_MS).unref()),
    ]);
    this.pump.stop();
    // No input or resize goes to the pty after this: its descriptor is closed.
    await this.pty.release();
    // After the last batch, so a replay ends with the end.
    this.mark(`terminal ended: ${reason}`);
    let recording: RecordingSummary | null = null;
    if (this.recorder) {
      try {
        recording = this.recorder.finish();
      } catch (err) {
        this.options.onRecordingError(err);
      }
      this.recorder = null;
    }
    const end: TerminalEnd = { exitCode: this.exitCode, reason, recording, survivors };
    this.statusWaiter = null;
    this.emit('end', end);
    return end;
  }

  private nextStatus(): Promise<number> {
    return new Promise((resolve) => {
      this.statusWaiter = (status) => {
        this.statusWaiter = null;
        resolve(status);
      };
    });
  }

  private onData(data: Buffer): void {
    if (this.options.mode === 'interactive') {
      this.emitOutput(data);
      return;
    }
    const { output, statuses } = this.filter.feed(data);
    if (output.length > 0) this.emitOutput(output);
    // Believe a marker only when the shell is back in the foreground of its pty.
    if (statuses.length > 0 && this.statusWaiter && this.shellInForeground())
      this.statusWaiter(statuses[statuses.length - 1]!);
  }

  private emitOutput(data: Buffer): void {
    this.lineBytes += data.length;
    this.pump.push(data);
  }

  /**
   * Sends one batch of output: recorded first (so the recording holds exactly
   * what the engineer was sent, one event per batch rather than per pty read),
   * then sent, then shown to local listeners (the approver's mirror), which
   * thus never delays the engineer's echo. A batch whose recording failed
   * while the rules require one is not sent: the terminal is ending.
   */
  private deliver(batch: Buffer): Promise<void> {
    this.record((r) => r.recordOutput(batch));
    if (this.recordingLost) return Promise.reject(new AssentError('TERMINAL_RECORDING_FAILED'));
    const sent = this.options.send(batch);
    this.emit('output', batch);
    return sent;
  }

  private shellInForeground(): boolean {
    if (process.platform !== 'linux') return true;
    try {
      const stat = readFileSync(`/proc/${this.pty.pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[5]) === this.pty.pid;
    } catch {
      return false;
    }
  }

  private record(write: (recorder: AsciicastRecorder) => void): void {
    if (!this.recorder) return;
    try {
      write(this.recorder);
    } catch (err) {
      this.recorder = null;
      if (this.options.onRecordingError(err)) {
        this.recordingLost = true;
        void this.end('recording-failed');
      }
    }
  }
}
