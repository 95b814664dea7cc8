// Writes the engineer's keystrokes (and approved lines) to a pty (issue 4).
// node-pty's own write goes through the libuv thread pool (an fs.write per
// call): a keystroke waits for a worker thread to be woken and scheduled
// before the line discipline sees it, which on a busy machine is a large
// part of the echo round trip. The pty master is non-blocking, so a write
// made at once from the event loop either lands whole, lands in part, or
// fails with EAGAIN (the shell has not read its input yet); what is left
// waits in order and is retried every PTY_INPUT_RETRY_MS until the kernel
// takes it. Without a descriptor (Windows' conpty) node-pty's write is used.
import { writeSync } from 'node:fs';
import type { IPty } from 'node-pty';

/** How long input the pty could not take yet waits before it is offered again. */
export const PTY_INPUT_RETRY_MS = 1;

/** What input goes to: a node-pty terminal, or a pty master descriptor (`fd`) of terminal-pty.ts. */
export type PtyInputTarget = Pick<IPty, 'write'> & { readonly fd?: number };

/** The master side's file descriptor of a Unix node-pty terminal (not in its typings). */
function masterFd(pty: PtyInputTarget): number | null {
  const fd = (pty as unknown as { fd?: unknown }).fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
}

/** In-order, non-blocking input to one pty. */
export class PtyInput {
  private readonly fd: number | null;
  private readonly queue: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly pty: PtyInputTarget,
    private readonly write: (fd: number, data: Buffer) => number = (fd, data) =>
      writeSync(fd, data),
  ) {
    this.fd = process.platform === 'win32' ? null : masterFd(pty);
  }

  /** Bytes waiting for the pty to take them. */
  get pendingBytes(): number {
    return this.queue.reduce((sum, b) => sum + b.length, 0);
  }

  /** Writes `data` (UTF-8) after everything written before it. */
  send(data: string): void {
    if (this.closed || data.length === 0) return;
    if (this.fd === null) {
      this.pty.write(data);
      return;
    }
    this.queue.push(Buffer.from(data, 'utf8'));
    if (this.queue.length === 1 && this.timer === null) this.drain();
  }

  /** Drops what waits (the terminal ended). */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private drain(): void {
    this.timer = null;
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]!;
      let written: number;
      try {
        written = this.write(this.fd!, head);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.timer = setTimeout(() => this.drain(), PTY_INPUT_RETRY_MS);
          return;
        }
        // EIO and the like: the shell side is gone and the terminal is ending.
        this.close();
        return;
      }
      if (written >= head.length) this.queue.shift();
      else this.queue[0] = head.subarray(written);
    }
  }
}
