// Moves a pty's output to the link in batches, with backpressure end to end
// (issue 4). Why these numbers: like Hyper (app/session.ts, 16 ms / 200 KB),
// a batch is cut by time and by size, but a keystroke's echo is never held:
//  - output after a quiet spell of OUTPUT_IDLE_MS (an echo, a prompt) is sent
//    at once, in the callback of the pty read that brought it;
//  - small output that closely follows other output goes out on the next turn
//    of the event loop, so the pty reads of one turn make one batch;
//  - once output comes in bulk (a batch of OUTPUT_ECHO_BYTES or more) it is
//    gathered for up to OUTPUT_BATCH_MS, so a flood becomes a few large
//    frames instead of thousands of 4 KiB ones (a pty read is at most 4095
//    bytes on Linux), and a batch is sent as soon as it reaches
//    OUTPUT_BATCH_BYTES (one encrypted frame's plaintext,
//    MAX_PLAINTEXT_BYTES, so a batch is one frame: at 256 KiB rather than
//    128 the relay and the engineer spent ~0.5 CPU s/GiB less each on a cat).
// When a send has not resolved and a full batch is waiting, the pty is
// paused: the program writing to it blocks, and no buffer grows.
import { MAX_PLAINTEXT_BYTES } from '../../protocol/limits';

/**
 * Output that follows this long a quiet spell (no batch sent) goes out at
 * once: nothing is coming to batch it with. Shorter than any two keystrokes.
 */
export const OUTPUT_IDLE_MS = 2;
/** Longest time output is held to be batched while more keeps coming. */
export const OUTPUT_BATCH_MS = 16;
/**
 * A batch this small (keystroke echo, a prompt) never holds the next one back:
 * time batching starts only once output comes in bulk. Well under one full
 * pty read (4095 bytes on Linux, one read per turn of the event loop): at 4
 * KiB a `cat` never counted as bulk and went out as one frame per read.
 */
export const OUTPUT_ECHO_BYTES = 1024;
/** Largest batch; also the queue size at which the pty is paused while a send is in flight. */
export const OUTPUT_BATCH_BYTES = MAX_PLAINTEXT_BYTES;

export interface OutputPumpOptions {
  readonly send: (chunk: Buffer) => Promise<void>;
  readonly pause: () => void;
  readonly resume: () => void;
  /** A send failed (the link is gone): the terminal ends. */
  readonly onError: (err: unknown) => void;
  readonly now?: () => number;
}

/** Batches and sends output; `pause`/`resume` the source as the link allows. */
export class OutputPump {
  private queue: Buffer[] = [];
  private queued = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private lastFlush = -Infinity;
  private lastBatchBytes = 0;
  private timerIsTimeout = false;
  private paused = false;
  private failed = false;
  private idleWaiters: Array<() => void> = [];
  /** Most bytes ever held (queued plus in flight): what the bounded-memory test reads. */
  highWaterBytes = 0;
  private readonly now: () => number;

  constructor(private readonly options: OutputPumpOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    // Consecutive pty reads lie side by side (pty-reader.ts): held as one view.
    const last = this.queue.length > 0 ? this.queue[this.queue.length - 1]! : undefined;
    if (last?.buffer === chunk.buffer && last.byteOffset + last.length === chunk.byteOffset)
      this.queue[this.queue.length - 1] = Buffer.from(
        last.buffer,
        last.byteOffset,
        last.length + chunk.length,
      );
    else this.queue.push(chunk);
    this.queued += chunk.length;
    this.highWaterBytes = Math.max(this.highWaterBytes, this.queued + this.inFlight);
    if (this.inFlight > 0 && this.queued >= OUTPUT_BATCH_BYTES && !this.paused) {
      this.paused = true;
      this.options.pause();
    }
    this.schedule();
  }

  /** Resolves when everything pushed so far has been sent (or the link failed). */
  drained(): Promise<void> {
    if ((this.queued === 0 && this.inFlight === 0) || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Bytes held right now. */
  get bufferedBytes(): number {
    return this.queued + this.inFlight;
  }

  private schedule(): void {
    if (this.inFlight > 0 || this.queued === 0) return;
    const now = this.now();
    const wait =
      this.queued >= OUTPUT_BATCH_BYTES || this.lastBatchBytes < OUTPUT_ECHO_BYTES
        ? 0
        : this.lastFlush + OUTPUT_BATCH_MS - now;
    if (wait <= 0) {
      if (this.timer !== null && this.timerIsTimeout) {
        clearTimeout(this.timer as NodeJS.Timeout);
        this.timer = null;
      }
      if (this.timer === null && now - this.lastFlush >= OUTPUT_IDLE_MS) {
        this.flush();
        return;
      }
      if (this.timer === null) {
        this.timerIsTimeout = false;
        this.timer = setImmediate(() => this.flush());
      }
    } else if (this.timer === null) {
      this.timerIsTimeout = true;
      this.timer = setTimeout(() => this.flush(), wait);
    }
  }

  private flush(): void {
    this.timer = null;
    if (this.queued === 0 || this.failed) return;
    const parts: Buffer[] = [];
    let size = 0;
    while (this.queue.length > 0 && size < OUTPUT_BATCH_BYTES) {
      const head = this.queue[0]!;
      const take = Math.min(head.length, OUTPUT_BATCH_BYTES - size);
      parts.push(take === head.length ? head : head.subarray(0, take));
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
      size += take;
    }
    this.queued -= size;
    this.inFlight = size;
    this.resumeIfRoom();
    this.lastFlush = this.now();
    this.lastBatchBytes = size;
    // Reads that lay side by side were merged into one view when pushed, so
    // two parts never do: a batch of one part is sent as it is.
    const batch = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    this.options.send(batch).then(
      () => {
        this.inFlight = 0;
        this.resumeIfRoom();
        if (this.queued === 0) this.wakeIdle();
        else this.schedule();
      },
      (err: unknown) => {
        this.failed = true;
        this.inFlight = 0;
        this.wakeIdle();
        this.options.onError(err);
      },
    );
  }

  /** The source may go on once less than a batch waits (one more may be in flight). */
  private resumeIfRoom(): void {
    if (this.paused && this.queued < OUTPUT_BATCH_BYTES) {
      this.paused = false;
      this.options.resume();
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Stops timers (the terminal ended); queued bytes are dropped. */
  stop(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    this.failed = true;
    this.wakeIdle();
  }
}
