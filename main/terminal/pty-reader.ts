// Reads a pty's output (issue 4). node-pty reads its master through a
// tty.ReadStream: every read (at most ~4 KiB on Linux: the line discipline's
// buffer) gets a fresh 64 KiB allocation cut down to the bytes read, then
// goes through the Readable stream's push, a `data` event and node-pty's own
// emitter, about 2.5 CPU s/GiB of user time before the output is looked at.
// Node's net.Socket can instead read into a buffer it is given (the
// `onread` option of net.Socket, which node-pty does not pass): here
// node-pty's socket is switched to that, reading straight into consecutive
// parts of a larger block, so the reads of a batch lie side by side in
// memory and need no copy. The switch uses the socket's own, unexported,
// fields for `onread` (found by their symbols' names); where they are not
// there (another Node version, Windows' conpty) node-pty's `onData` is used,
// as before.
import type { IPty } from 'node-pty';

/**
 * Room a read is given: exactly what one read of a Linux pty returns when
 * output waits (its line discipline's 4 KiB buffer less one byte). libuv
 * reads again at once, without going back to epoll, only after a read that
 * filled its buffer: with 64 KiB of room every ~4 KiB read cost an
 * epoll_wait too (17,600 per 64 MiB `cat` against 1,500; standalone read
 * of a pty: ~9.5 -> ~7.6 CPU s/GiB). A read that gets less (an echo, macOS)
 * goes back to waiting as before.
 */
export const PTY_READ_ROOM_BYTES = 4095;
/** Block the reads land in, side by side: several output batches' worth. */
export const PTY_READ_BLOCK_BYTES = 1024 * 1024;

/** Starts and stops reading (backpressure from the output pump). */
export interface PtyReader {
  pause(): void;
  resume(): void;
  /** True when reads go straight into the reader's blocks (the socket's `onread`). */
  readonly direct: boolean;
}

/** The libuv stream handle under a net.Socket (Node internals, as far as used here). */
export interface StreamHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buffer: Uint8Array): void;
}

/** The socket's own field named `name` (a symbol), if it has one. */
function ownSymbol(target: object, name: string): symbol | undefined {
  return Object.getOwnPropertySymbols(target).find((s) => s.description === name);
}

/**
 * Calls `onData` with each read of `pty`'s output. Each Buffer stays valid
 * (its bytes are never written again) for as long as it is referenced.
 */
export function readPty(pty: IPty, onData: (bytes: Buffer) => void): PtyReader {
  return directReader(pty, onData) ?? fallbackReader(pty, onData);
}

function fallbackReader(pty: IPty, onData: (bytes: Buffer) => void): PtyReader {
  pty.onData((data) => onData(data as unknown as Buffer));
  return { pause: () => pty.pause(), resume: () => pty.resume(), direct: false };
}

function directReader(pty: IPty, onData: (bytes: Buffer) => void): PtyReader | null {
  // On Windows node-pty waits for the conpty pipe's first `data` event before it is ready.
  if (process.platform === 'win32') return null;
  const socket = (pty as unknown as { _socket?: unknown })._socket;
  if (typeof socket !== 'object' || socket === null) return null;
  const handle = (socket as { _handle?: Partial<StreamHandle> | null })._handle;
  const kBuffer = ownSymbol(socket, 'kBuffer');
  const kBufferCb = ownSymbol(socket, 'kBufferCb');
  const kBufferGen = ownSymbol(socket, 'kBufferGen');
  if (
    !handle ||
    typeof handle.useUserBuffer !== 'function' ||
    typeof handle.readStart !== 'function' ||
    typeof handle.readStop !== 'function' ||
    kBuffer === undefined ||
    kBufferCb === undefined ||
    kBufferGen === undefined
  )
    return null;
  const stream = handle as StreamHandle;
  const fields = socket as Record<symbol, unknown>;
  let block = Buffer.allocUnsafe(PTY_READ_BLOCK_BYTES);
  let used = 0;
  let paused = false;
  const room = (): Buffer => {
    if (block.length - used < PTY_READ_ROOM_BYTES) {
      block = Buffer.allocUnsafe(PTY_READ_BLOCK_BYTES);
      used = 0;
    }
    return block.subarray(used, used + PTY_READ_ROOM_BYTES);
  };
  // Called by the socket after each read with the buffer it read into; the
  // next read goes into the room after it (kBufferGen).
  fields[kBufferCb] = (nread: number, into: Buffer): boolean => {
    used += nread;
    onData(into.subarray(0, nread));
    return !paused;
  };
  fields[kBufferGen] = room;
  const first = room();
  fields[kBuffer] = first;
  stream.useUserBuffer(first);
  const destroyed = (): boolean => (socket as { destroyed?: boolean }).destroyed === true;
  return {
    direct: true,
    pause: () => {
      if (paused) return;
      paused = true;
      if (stream.reading && !destroyed()) {
        stream.reading = false;
        stream.readStop();
      }
    },
    resume: () => {
      if (!paused) return;
      paused = false;
      if (!stream.reading && !destroyed()) {
        stream.reading = true;
        stream.readStart();
      }
    },
  };
}
