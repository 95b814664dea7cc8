// Space written ahead of the audit log's records, so that a durable append
// overwrites bytes the file already has instead of making it longer.
//
// Why: an O_DSYNC write that makes a file longer must also put the file's new
// size on disk (on ext4, a journal commit) before it returns; one that
// overwrites blocks the file already owns only writes the data. Measured on
// this machine's disk, one 800-byte O_DSYNC write: appending p50 180–220 µs,
// p99 0.34–1.36 ms; overwriting p50 120–150 µs, p99 0.21–0.25 ms. Every action
// waits for such a write (it is audited before it runs), so the tail matters.
//
// The space is newlines: the log stays JSON lines, and readers take empty
// lines at the end for what they are (audit-reader.ts, audit-tail.ts). It is
// written a stretch at a time: one when the log is opened, the next in the
// background (through the thread pool, on the same O_DSYNC descriptor, so it
// is on disk before it is used) when less than half of the last is left. A
// stretch is 1 MiB, about 1,100 actions' records: while one is written, the
// records written beside it wait on its new file size too (measured: with
// 256 KiB at open, the first 500 actions' p99 went 0.29 → 0.82 ms in one of
// three alternations), so stretches are few and none comes early. For the
// same reason a stretch written while the log is in use goes to disk in
// pieces of 64 KiB, one after the other, each usable once written: a record
// beside a piece waits for that piece's commit, not the whole stretch's
// (bench/consent.ts, whose 1,000 actions cross one such stretch, three
// alternations: request p99 0.90, 0.96, 1.18 ms with the stretch in one
// write, 0.52, 0.75, 0.57 ms in 64 KiB pieces; 16 KiB pieces were no better).
// A write that does not fit waits for a stretch being written (they must
// not overlap) and otherwise simply makes the file longer, as a plain
// append would; a stretch that fails (disk full) keeps the pieces written
// before the failure. Closing the log cuts the space off again.
import type { FileHandle } from 'node:fs/promises';

/** Bytes of space written ahead at once. */
export const STRETCH_BYTES = 1024 * 1024;
/** A stretch written while the log is in use goes to disk in pieces of this size. */
export const PIECE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** What kind of log file the space is written for. */
export interface SpaceAheadFile {
  readonly regular: boolean;
  /** Records are synced as they are written. */
  readonly durable: boolean;
  /** The descriptor is not O_DSYNC: each stretch needs an fdatasync. */
  readonly syncAfterWrite: boolean;
}

/** The space after the records of one open log file. */
export class SpaceAhead {
  private writing: Promise<void> | null = null;

  /** False for a log that is not durable (nothing to gain) or not a regular file. */
  readonly enabled: boolean;

  /** @param end bytes the file has (the records and any space after them) */
  constructor(
    private readonly handle: FileHandle,
    private end: number,
    private readonly file: SpaceAheadFile,
  ) {
    this.enabled = file.regular && file.durable;
  }

  /** Where a record goes: at the end of the records, or (not a regular file) wherever writes go. */
  position(size: number): number | null {
    return this.file.regular ? size : null;
  }

  /** Writes the first stretch after `size` bytes of records before the log is used. */
  async prepare(size: number): Promise<void> {
    this.grow(size, STRETCH_BYTES);
    await this.settle();
  }

  /** Waits, if a write of `length` bytes at `position` would reach the stretch being written. */
  async before(position: number, length: number): Promise<void> {
    if (position + length > this.end) await this.settle();
  }

  /** The records now end at `size`: writes the next stretch if little space is left. */
  grow(size: number, piece = PIECE_BYTES): void {
    this.end = Math.max(this.end, size);
    if (!this.enabled || this.writing !== null || this.end - size >= STRETCH_BYTES / 2) return;
    this.writing = this.write(this.end, STRETCH_BYTES, piece).finally(() => {
      this.writing = null;
    });
  }

  /** Waits for the stretch being written, if any. */
  async settle(): Promise<void> {
    await this.writing;
  }

  /** The file was cut to `size` bytes (after a failed append, or on close). */
  cut(size: number): void {
    this.end = size;
  }

  /**
   * Writes `length` bytes of space at `from`, a piece at a time (the whole of
   * it in one piece before the log is used); the space a piece adds can be
   * used once that piece is on disk.
   */
  private async write(from: number, length: number, piece: number): Promise<void> {
    try {
      const bytes = Buffer.alloc(Math.min(piece, length), NEWLINE);
      for (let at = from; at < from + length;) {
        const size = Math.min(bytes.length, from + length - at);
        let done = 0;
        while (done < size) {
          const { bytesWritten } = await this.handle.write(bytes, done, size - done, at + done);
          done += bytesWritten;
        }
        if (this.file.syncAfterWrite) await this.handle.datasync();
        at += size;
        this.end = Math.max(this.end, at);
      }
    } catch {
      // No more space ahead (disk full, quota): appends make the file longer,
      // as plain appends do, and report their own failures; the next append tries again.
    }
  }
}
