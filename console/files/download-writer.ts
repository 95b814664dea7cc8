// Writing a download to the local file as its chunks arrive. Chunks are
// written in order from `start`; the ones that arrive while a write is in
// flight go out together in the next one (writev), so a busy receiver makes
// fewer thread-pool round trips. Every SYNC_BEHIND_BYTES the written part is
// flushed to the disk in the background (fdatasync on another thread-pool
// thread, while the writes go on): without it the whole file is still dirty
// in the page cache when the transfer ends, and the final fsync writes all
// of it while the caller waits (~0.3-0.4 s per GiB on the bench machine).
// A failure of any write or background flush is kept and thrown by finish():
// a flush error is reported to one fsync only, so it must not be lost.
import type { FileHandle } from 'node:fs/promises';

/** Bytes written between two background flushes. */
export const SYNC_BEHIND_BYTES = 64 * 1024 * 1024;

export class DownloadWriter {
  private queued: Buffer[] = [];
  private position: number;
  private syncedTo: number;
  private writing: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly syncBehindBytes = SYNC_BEHIND_BYTES,
  ) {
    this.position = start;
    this.syncedTo = start;
  }

  /** Queues `chunk` to be written after the ones before it; the writer keeps it until then. */
  write(chunk: Buffer): void {
    if (this.failure || chunk.length === 0) return;
    this.queued.push(chunk);
    this.writing ??= this.drain();
  }

  /** Waits until every queued chunk is written and no flush runs; throws the first failure. */
  async finish(): Promise<void> {
    while (this.writing || this.flushing) await (this.writing ?? this.flushing);
    if (this.failure) throw this.failure.error;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.length > 0 && !this.failure) {
        const batch = this.queued;
        this.queued = [];
        // writev may write less than asked: go on from where it stopped.
        while (batch.length > 0) {
          let written = (await this.handle.writev(batch, this.position)).bytesWritten;
          this.position += written;
          while (batch.length > 0 && written >= batch[0]!.length) written -= batch.shift()!.length;
          if (written > 0) batch[0] = batch[0]!.subarray(written);
        }
        if (this.position - this.syncedTo >= this.syncBehindBytes && !this.flushing) this.flush();
      }
    } catch (error) {
      this.failure ??= { error };
    } finally {
      this.writing = null;
    }
  }

  private flush(): void {
    this.syncedTo = this.position;
    this.flushing = this.handle
      .datasync()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.flushing = null;
      });
  }
}
