// Writes the staged payload files while the package is still being read
// (issue 5 benchmark). Each file's open, writes, chmod and close are
// libuv threadpool round trips; done one after the other they left the
// package reader (and its hashing) idle for four of them per file. Here they
// run behind the reader, up to STAGE_FILES_IN_FLIGHT files at once, while the
// reader verifies the next entry. Nothing keeps writing after a failure: the
// first error stops new files, and `finish()` / `settle()` wait for every file
// still in flight, so the caller can remove the work directory safely.
import { close, constants, fchmod, open, writev } from 'node:fs';
import { promisify } from 'node:util';
import { fileSystemError } from '../../platform/atomic-file';

/** Bytes gathered before one write to a staged file (tar entries arrive in small chunks). */
export const STAGE_WRITE_BYTES = 1024 * 1024;

/** Staged files being completed in the background at once (bounds memory to about this many × STAGE_WRITE_BYTES). */
export const STAGE_FILES_IN_FLIGHT = 16;

/**
 * Receives one file's bytes in order; may wait (back-pressure) but keeps at
 * most one batch in flight. The sink keeps each chunk until it is written,
 * so the caller must not change it afterwards (tar-stream's entry chunks are
 * views of read buffers that are never reused; verify.ts keeps them for
 * previews the same way).
 */
export interface StageSink {
  write(chunk: Buffer): Promise<void>;
}

// Raw descriptors through promisified callbacks: a FileHandle costs about
// twice the main-thread time per call, and a staged file takes four calls.
const openFile = promisify(open);
const writeChunks = promisify(writev);
const chmodFile = promisify(fchmod);
const closeFile = promisify(close);

const ignore = (): void => undefined;

async function writeFully(fd: number, chunks: Buffer[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    let { bytesWritten } = await writeChunks(fd, rest);
    // A short write: drop what went out, keep the unwritten tail.
    while (rest.length > 0 && bytesWritten >= rest[0]!.length) {
      bytesWritten -= rest[0]!.length;
      rest = rest.slice(1);
    }
    if (bytesWritten > 0) rest = [rest[0]!.subarray(bytesWritten), ...rest.slice(1)];
  }
}

/** One staged file: opened at once, written in batches, completed in the background. */
class StagedFile implements StageSink {
  readonly #opened: Promise<number>;
  /** The last batch written (in order; each waits for the one before). */
  #written: Promise<void>;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(path: string) {
    this.#opened = openFile(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    this.#written = this.#opened.then(ignore);
    // Failures are observed by write(), complete() or abandon(); never unhandled.
    this.#written.catch(ignore);
  }

  async write(chunk: Buffer): Promise<void> {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes < STAGE_WRITE_BYTES) return;
    // At most one batch in flight: memory stays bounded for a large file.
    await this.#written;
    const batch = this.#takePending();
    this.#written = this.#opened.then((fd) => writeFully(fd, batch));
    this.#written.catch(ignore);
  }

  #takePending(): Buffer[] {
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    return batch;
  }

  /** Writes the rest, sets the mode, closes. */
  async complete(mode: number): Promise<void> {
    const fd = await this.#opened;
    try {
      await this.#written;
      if (this.#pendingBytes > 0) await writeFully(fd, this.#takePending());
      await chmodFile(fd, mode);
    } finally {
      await closeFile(fd);
    }
  }

  /** Waits for the batch in flight and closes, ignoring errors (the file is being given up). */
  async abandon(): Promise<void> {
    const fd = await this.#opened.catch(ignore);
    await this.#written.catch(ignore);
    if (fd !== undefined) await closeFile(fd).catch(ignore);
  }
}

/** Stages payload files into a directory the caller owns, completing them in the background. */
export class StageWriter {
  readonly #inFlight = new Set<Promise<void>>();
  #failure: unknown;
  #failed = false;

  /**
   * Stages one file at `path` (created exclusively, never following a link):
   * `body` feeds it through the sink. Resolves once `body` is done and fewer
   * than STAGE_FILES_IN_FLIGHT files are still being completed. Throws the
   * first failure of this or any earlier file (DISK_FULL, IO_FAILED, or
   * whatever `body` threw).
   */
  async stage(path: string, mode: number, body: (sink: StageSink) => Promise<void>): Promise<void> {
    while (this.#inFlight.size >= STAGE_FILES_IN_FLIGHT) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
    const file = new StagedFile(path);
    try {
      await body(file);
    } catch (err) {
      this.#track(file.abandon());
      throw fileSystemError(err, 'staging a fix file');
    }
    this.#track(
      file.complete(mode).catch((err: unknown) => {
        if (!this.#failed) {
          this.#failed = true;
          this.#failure = fileSystemError(err, 'staging a fix file');
        }
      }),
    );
  }

  /** Waits for every staged file to be complete; throws the first failure. */
  async finish(): Promise<void> {
    await this.settle();
    this.#throwIfFailed();
  }

  /** Waits until nothing is being written any more (after a failure elsewhere); never throws. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #track(work: Promise<void>): void {
    const tracked = work.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  #throwIfFailed(): void {
    if (this.#failed) throw this.#failure;
  }
}
