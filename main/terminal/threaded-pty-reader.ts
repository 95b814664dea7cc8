// Reads a pty's output on a worker thread (issue 4). On the main thread a
// pty read waits behind whatever the event loop is doing: recording a
// batch, sealing it, writing it to the relay. The pty holds only ~68 KiB,
// so a `cat` stopped each time the agent worked on a batch (node-pty alone
// read a 64 MiB `cat` at 57–71 MB/s; through the agent, 42–48). Here a
// worker (pty-read-worker.ts) reads into a shared ring while the main
// thread works, and the main thread copies what is there into blocks (so
// consecutive takes lie side by side, as pty-reader.ts's reads do) each
// time it comes back to it. The worker holds the only handle on the master
// descriptor and closes it when close() is called, once.
import { closeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { waitAsync } from '../../platform/atomics-wait';
import {
  PTY_READ_WORKER_SOURCE,
  RING_CONSUMED,
  RING_WRITTEN,
  type PtyReadWorkerData,
  type PtyReadWorkerMessage,
} from './pty-read-worker';
import { PTY_READ_BLOCK_BYTES, PTY_READ_ROOM_BYTES, type PtyReader } from './pty-reader';

/** The ring between the threads: what the worker may read ahead of the main thread. */
export const PTY_RING_BYTES = 1024 * 1024;
/** Most bytes taken from the ring at once (one output batch). */
export const PTY_TAKE_BYTES = 256 * 1024;

/** A pty read on a worker thread. */
export interface ThreadedPtyReader extends PtyReader {
  /** Resolves once the pty's output has ended (EOF/EIO) and all of it went to onData. */
  readonly ended: Promise<void>;
  /**
   * Stops reading and closes the master descriptor (the worker's handle
   * closes it; if the worker never opened one, this closes it). Nothing may
   * use the descriptor after this is called. Resolves when the worker has
   * ended. Idempotent.
   */
  close(): Promise<void>;
}

/** Starts a worker reading `fd` (a pty master) and calls `onData` with its output, in order. */
export function readPtyOnThread(fd: number, onData: (bytes: Buffer) => void): ThreadedPtyReader {
  const countersBuffer = new SharedArrayBuffer(8);
  const ringBuffer = new SharedArrayBuffer(PTY_RING_BYTES);
  const counters = new Int32Array(countersBuffer);
  const ring = Buffer.from(ringBuffer);
  const workerData: PtyReadWorkerData = {
    fd,
    counters: countersBuffer,
    ring: ringBuffer,
    readRoom: PTY_READ_ROOM_BYTES,
  };
  const worker = new Worker(PTY_READ_WORKER_SOURCE, { eval: true, workerData });
  let opened = false;
  let exited = false;
  let eofAt: number | null = null;
  let endedResolve!: () => void;
  const ended = new Promise<void>((resolve) => (endedResolve = resolve));
  let seen = 0;
  let paused = false;
  let closed = false;
  let scheduled = false;
  let block = Buffer.allocUnsafe(PTY_READ_BLOCK_BYTES);
  let used = 0;

  /** Hands over what the ring holds (up to PTY_TAKE_BYTES); returns how much. */
  const take = (): number => {
    const n = Math.min((Atomics.load(counters, RING_WRITTEN) - seen) | 0, PTY_TAKE_BYTES);
    if (n <= 0) return 0;
    if (block.length - used < n) {
      block = Buffer.allocUnsafe(PTY_READ_BLOCK_BYTES);
      used = 0;
    }
    const at = seen & (PTY_RING_BYTES - 1);
    const first = Math.min(n, PTY_RING_BYTES - at);
    ring.copy(block, used, at, at + first);
    if (first < n) ring.copy(block, used + first, 0, n - first);
    const bytes = block.subarray(used, used + n);
    used += n;
    seen = (seen + n) | 0;
    Atomics.store(counters, RING_CONSUMED, seen);
    Atomics.notify(counters, RING_CONSUMED);
    onData(bytes);
    return n;
  };
  const checkEnded = (): void => {
    if (eofAt !== null && seen === eofAt) endedResolve();
  };
  // One take per turn of the event loop (the link's writes run in between),
  // then a wait for the worker's next read.
  const pump = (): void => {
    scheduled = false;
    if (paused || closed) return;
    scheduled = true;
    if (take() > 0) {
      setImmediate(pump);
      return;
    }
    checkEnded();
    const wait = waitAsync(counters, RING_WRITTEN, seen);
    if (wait.async) void wait.value.then(pump);
    else setImmediate(pump);
  };
  // After the end nothing more is written: whatever is left is taken at once.
  const takeRest = (): void => {
    while (!paused && !closed && take() > 0);
    checkEnded();
  };
  worker.on('message', (message: PtyReadWorkerMessage) => {
    if (message.type === 'ready') opened = true;
    else {
      eofAt = message.written;
      takeRest();
    }
  });
  const gone = (): void => {
    exited = true;
    if (eofAt === null) endedResolve();
  };
  worker.on('error', gone);
  worker.on('exit', gone);
  pump();

  let closing: Promise<void> | null = null;
  return {
    direct: true,
    ended,
    pause: () => {
      paused = true;
    },
    resume: () => {
      if (!paused) return;
      paused = false;
      if (eofAt !== null) takeRest();
      if (!scheduled) pump();
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        // Wakes a wait left pending in pump().
        Atomics.notify(counters, RING_WRITTEN);
        const done = (): void => {
          // The worker ended before its handle owned the descriptor.
          if (!opened) closeSync(fd);
          resolve();
        };
        if (exited) done();
        else {
          worker.once('exit', done);
          worker.postMessage('close');
        }
      });
      return closing;
    },
  };
}
