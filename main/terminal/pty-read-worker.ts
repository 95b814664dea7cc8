// The body of the thread that reads a pty's output (threaded-pty-reader.ts).
// It runs as an eval'd worker script built from this function's source, so
// it must not use anything from outside it: the two modules it needs are
// its parameters. Its one handle on the master descriptor is the only one
// in the process, and the only thing that closes it: on EOF/EIO it stops
// reading and tells the main thread, and closes the descriptor only when the
// main thread says so (after its last write or resize), so no write can land
// in a descriptor number the process has since reused.
import type * as Net from 'node:net';
import type * as Tty from 'node:tty';
import type * as WorkerThreads from 'node:worker_threads';
import type { AtomicsWithWaitAsync } from '../../platform/atomics-wait';
import type { StreamHandle } from './pty-reader';

/** Indexes into the shared Int32Array: bytes written into the ring, bytes the main thread has taken (both mod 2^32). */
export const RING_WRITTEN = 0;
export const RING_CONSUMED = 1;

/** What the worker is started with. */
export interface PtyReadWorkerData {
  readonly fd: number;
  /** Two Int32 counters (RING_WRITTEN, RING_CONSUMED). */
  readonly counters: SharedArrayBuffer;
  /** The ring the reads land in; its size is a power of two. */
  readonly ring: SharedArrayBuffer;
  /** Room a read is given (see PTY_READ_ROOM_BYTES). */
  readonly readRoom: number;
}

/** Messages from the worker. */
export type PtyReadWorkerMessage =
  | { readonly type: 'ready' }
  /** No more output: `written` is the final RING_WRITTEN. */
  | { readonly type: 'eof'; readonly written: number };

/** Reads the pty into the ring until told to close; runs on the worker thread. */
export function ptyReadWorker(tty: typeof Tty, threads: typeof WorkerThreads): void {
  const port = threads.parentPort!;
  const data = threads.workerData as PtyReadWorkerData;
  const counters = new Int32Array(data.counters);
  const ring = new Uint8Array(data.ring);
  const size = ring.length;
  let written = 0;
  let closing = false;
  let waitingForRoom = false;
  let releaseHandle: (() => void) | null = null;
  // Where the next read lands: right after the last, never past the ring's end.
  const room = (): Uint8Array => {
    const at = written & (size - 1);
    return ring.subarray(at, Math.min(size, at + data.readRoom));
  };
  const socket = new tty.ReadStream(data.fd, {
    onread: {
      buffer: room,
      callback: (nread: number): boolean => {
        written = (written + nread) | 0;
        Atomics.store(counters, 0, written);
        Atomics.notify(counters, 0);
        if (size - ((written - Atomics.load(counters, 1)) | 0) >= data.readRoom) return true;
        // Stopped here rather than by returning false (which stops after
        // this returns): waitForRoom may already have found room and must
        // then find the handle stopped to start it again.
        stopReading();
        waitForRoom();
        return true;
      },
    },
    // `onread` is net.Socket's (read into the given buffer); the typings have it for connect() only.
  } as Net.SocketConstructorOpts);
  port.postMessage({ type: 'ready' } satisfies PtyReadWorkerMessage);
  const handle = (): StreamHandle | null =>
    (socket as unknown as { _handle: StreamHandle | null })._handle;
  const stopReading = (): void => {
    const h = handle();
    if (h?.reading) {
      h.reading = false;
      h.readStop();
    }
  };
  // The ring is full: read again once the main thread has taken enough.
  const waitForRoom = (): void => {
    if (waitingForRoom) return;
    waitingForRoom = true;
    const check = (): void => {
      const h = handle();
      if (closing || releaseHandle !== null || h === null) return;
      // One load: compared for room, then waited on (a take in between makes the wait return at once).
      const consumed = Atomics.load(counters, 1);
      if (size - ((written - consumed) | 0) >= data.readRoom) {
        waitingForRoom = false;
        if (!h.reading) {
          h.reading = true;
          h.readStart();
        }
        return;
      }
      const wait = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(counters, 1, consumed);
      if (wait.async) void wait.value.then(check);
      else check();
    };
    check();
  };
  // EOF or EIO (the last program on the pty is gone) destroys the stream:
  // the handle, and with it the descriptor, is closed only once the main
  // thread says so.
  const destroy = socket._destroy.bind(socket);
  socket._destroy = (err: Error | null, done: (err?: Error | null) => void): void => {
    if (closing) {
      destroy(err, done);
      return;
    }
    stopReading();
    releaseHandle = () => destroy(err, done);
    port.postMessage({ type: 'eof', written } satisfies PtyReadWorkerMessage);
  };
  socket.on('error', () => {
    // EIO at the end is the normal end; the main thread learns of it through 'eof'.
  });
  socket.on('close', () => port.close());
  port.on('message', () => {
    closing = true;
    if (releaseHandle !== null) releaseHandle();
    else socket.destroy();
  });
  socket.resume();
}

/**
 * The worker's script. The function's source is what the TypeScript
 * compiler (tsx, electron-vite's esbuild) made of it; esbuild's keepNames
 * wraps functions in `__name(fn, "name")`, hence the stand-in.
 */
export const PTY_READ_WORKER_SOURCE = `"use strict";
var __name = (fn) => fn;
(${ptyReadWorker.toString()})(require("node:tty"), require("node:worker_threads"));`;
