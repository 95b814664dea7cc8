// The staged-upload receiver that file uploads (`file.upload`) and fix
// packages (`fix.upload`) share: the bytes of one announced upload arrive on
// their stream into a fresh file under the agent's data directory, bounded by
// the declared size, hashed as they arrive, and the completed file is kept
// until a request uses it, the TTL passes, or the session ends. Each domain
// keeps its own messages, limits, error codes and texts (UploadProblems).
// An announcement may name the hash up front (checked when the last byte
// arrived) or leave it out (the sender hashes while it sends; the request
// that uses the upload must then name the hash the receiver computed).
// Received chunks are written as they are: PeerLink.onStream hands each
// listener a buffer of its own, so none is copied.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectWrites } from '../../platform/direct-writes';
import { AssentError, type ErrorCode } from '../../protocol/errors';
import type { PeerLink } from '../session/peer-link';

/** A completely received upload. */
export interface ReceivedUpload {
  readonly upload: number;
  readonly size: number;
  /** SHA-256 of the received bytes (computed here; equal to the announced one when there was one). */
  readonly sha256: string;
  readonly file: string;
}

/** The announcement that starts an upload. */
export interface UploadAnnouncement {
  readonly upload: number;
  readonly size: number;
  /** The hash the bytes must have; absent: whatever arrives is hashed and reported. */
  readonly sha256?: string | undefined;
}

/** The domain's refusals and failures, in its own codes and words. */
export interface UploadProblems {
  /** The stream id is already receiving or staged. */
  readonly inUse: () => AssentError;
  /** As many uploads as allowed are already receiving or staged. */
  readonly tooMany: () => AssentError;
  /** The declared size is over the domain's limit (null: within it). */
  readonly tooLarge: (size: number) => AssentError | null;
  /** More bytes arrived than declared. */
  readonly overflow: () => AssentError;
  /** The received bytes do not hash to the announced sha256 (only when one was announced). */
  readonly mismatch: () => AssentError;
  /** What is said, without the full stop, when the upload cannot be staged (DISK_FULL, IO_FAILED). */
  readonly stageFailed: string;
  /** Recorded on an upload stopped by close() (none: left as it was). */
  readonly stopped?: () => AssentError;
}

export interface UploadReceiverOptions {
  readonly link: PeerLink;
  /** Folder the uploads are received into (created 0700 when needed). */
  readonly dir: string;
  /** File name ending of a received upload, e.g. `.part`. */
  readonly extension: string;
  /** A staged upload not used within this time is deleted. */
  readonly ttlMs: number;
  /** How many uploads may be receiving or staged at once. */
  readonly maxStaged: number;
  /** fsync the file before reporting it received. */
  readonly syncWhenDone: boolean;
  /**
   * Write the bytes past the page cache (platform/direct-writes.ts): for
   * uploads that are moved into place and not read back soon (file
   * uploads); a fix package is read right after, from the page cache.
   */
  readonly direct?: boolean;
  readonly problems: UploadProblems;
  /** Sends the domain's "send the bytes now" message. */
  readonly sendReady: (upload: number) => void;
  /** Sends the domain's "received" message (failure null, with the received bytes' hash) or refusal. */
  readonly sendDone: (upload: number, failure: AssentError | null, sha256?: string) => void;
}

interface Receiving extends Omit<ReceivedUpload, 'sha256'> {
  /** The announced hash, if any. */
  readonly announced: string | undefined;
  readonly handle: FileHandle;
  readonly hash: Hash;
  received: number;
  /** The chunks' writes; past a window the link stops reading until the disk catches up. */
  writes: DirectWrites;
  stop: () => void;
  failed: AssentError | null;
}

/** Receives the uploads of one session and keeps the completed ones until used. */
export class UploadReceiver {
  private readonly receiving = new Map<number, Receiving>();
  private readonly ready = new Map<number, ReceivedUpload & { timer: NodeJS.Timeout }>();

  constructor(private readonly options: UploadReceiverOptions) {
    options.link.signal.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Deletes uploads a crashed agent left behind (older than the TTL). */
  async removeExpired(): Promise<void> {
    const names = await fsp.readdir(this.options.dir).catch(() => [] as string[]);
    const limit = Date.now() - this.options.ttlMs;
    for (const name of names) {
      const file = join(this.options.dir, name);
      const st = await fsp.lstat(file).catch(() => null);
      if (st && st.mtimeMs < limit) await fsp.rm(file, { force: true });
    }
  }

  /**
   * Handles an announcement without waiting: begin, and when beginning fails
   * (the staging folder or file cannot be made) answers done with IO_FAILED.
   */
  accept(announced: UploadAnnouncement): void {
    this.begin(announced).catch((err: unknown) => {
      if (this.options.link.signal.aborted) return;
      const text = `${this.options.problems.stageFailed} (${(err as Error).message}).`;
      this.options.sendDone(announced.upload, new AssentError('IO_FAILED', text.slice(0, 2000)));
    });
  }

  /** Starts receiving an announced upload (answers ready), or refuses it (answers done). */
  private async begin(announced: UploadAnnouncement): Promise<void> {
    const { upload, size, sha256 } = announced;
    const { problems } = this.options;
    if (this.receiving.has(upload) || this.ready.has(upload))
      return this.options.sendDone(upload, problems.inUse());
    if (this.receiving.size + this.ready.size >= this.options.maxStaged)
      return this.options.sendDone(upload, problems.tooMany());
    const tooLarge = problems.tooLarge(size);
    if (tooLarge) return this.options.sendDone(upload, tooLarge);
    await fsp.mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    const name = `${upload}-${randomBytes(6).toString('hex')}${this.options.extension}`;
    const file = join(this.options.dir, name);
    const handle = await fsp.open(file, 'wx', 0o600);
    const entry: Receiving = {
      upload,
      size,
      announced: sha256,
      file,
      handle,
      hash: createHash('sha256'),
      received: 0,
      writes: await DirectWrites.open(
        handle,
        file,
        0,
        () => this.options.link.holdInbound(),
        this.options.direct ? undefined : async () => undefined,
      ),
      stop: () => undefined,
      failed: null,
    };
    entry.stop = this.options.link.onStream(upload, (chunk) => this.receive(entry, chunk));
    this.receiving.set(upload, entry);
    this.options.sendReady(upload);
    if (size === 0) this.receive(entry, Buffer.alloc(0));
  }

  private receive(entry: Receiving, chunk: Buffer): void {
    if (entry.failed) return;
    entry.received += chunk.length;
    if (entry.received > entry.size) {
      entry.failed = this.options.problems.overflow();
    } else {
      entry.hash.update(chunk);
      entry.writes.add(chunk);
    }
    if (entry.failed || entry.received === entry.size) void this.finish(entry);
  }

  private async finish(entry: Receiving): Promise<void> {
    entry.stop();
    this.receiving.delete(entry.upload);
    let failure = entry.failed;
    try {
      await entry.writes.settled();
      if (this.options.syncWhenDone) await entry.handle.sync();
    } catch (err) {
      const code: ErrorCode =
        (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'DISK_FULL' : 'IO_FAILED';
      failure = new AssentError(code, `${this.options.problems.stageFailed}.`, { cause: err });
    }
    await entry.writes.close();
    await entry.handle.close().catch(() => undefined);
    const sha256 = entry.hash.digest('hex');
    if (!failure && entry.announced !== undefined && sha256 !== entry.announced)
      failure = this.options.problems.mismatch();
    if (failure) {
      await fsp.rm(entry.file, { force: true });
      return this.done(entry.upload, failure);
    }
    const timer = setTimeout(() => void this.discard(entry.upload), this.options.ttlMs);
    timer.unref();
    this.ready.set(entry.upload, {
      upload: entry.upload,
      size: entry.size,
      sha256,
      file: entry.file,
      timer,
    });
    this.done(entry.upload, null, sha256);
  }

  private done(upload: number, failure: AssentError | null, sha256?: string): void {
    if (this.options.link.signal.aborted) return;
    this.options.sendDone(upload, failure, sha256);
  }

  /** The completed upload with this id, if any (it stays staged). */
  staged(upload: number): ReceivedUpload | undefined {
    return this.ready.get(upload);
  }

  /** Deletes a staged upload (after it was used, or when it expires). */
  async discard(upload: number): Promise<void> {
    const staged = this.ready.get(upload);
    if (!staged) return;
    clearTimeout(staged.timer);
    this.ready.delete(upload);
    await fsp.rm(staged.file, { force: true });
  }

  /** Stops every upload in flight and deletes everything staged (session end). */
  async close(): Promise<void> {
    for (const entry of [...this.receiving.values()]) {
      entry.stop();
      if (this.options.problems.stopped) entry.failed = this.options.problems.stopped();
      this.receiving.delete(entry.upload);
      await entry.writes.close();
      await entry.handle.close().catch(() => undefined);
      await fsp.rm(entry.file, { force: true });
    }
    for (const upload of [...this.ready.keys()]) await this.discard(upload);
  }
}
