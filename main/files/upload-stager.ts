// Content the engineer uploads before asking for a write or an edit, so the
// prompt can show the real diff and the digest can bind the content hash
// (issue 3). Uploads are staged in the agent's data directory, never in the
// target directory; each is bounded by its declared size and by the ground
// rules' maxWriteBytes, whatever the engineer claims, and hashed as it
// arrives. A staged upload is deleted when used, after UPLOAD_TTL_MS, or
// when the session ends.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import { MAX_STAGED_UPLOADS, UPLOAD_TTL_MS } from '../../protocol/files';
import type { MessageOf } from '../../protocol/wire/messages';
import type { PeerLink } from '../session/peer-link';

/** A completed upload, ready for a request to use. */
export interface StagedUpload {
  readonly upload: number;
  readonly size: number;
  readonly sha256: string;
  readonly file: string;
}

interface Pending {
  readonly upload: number;
  readonly size: number;
  readonly sha256: string;
  readonly file: string;
  readonly handle: FileHandle;
  readonly hash: Hash;
  received: number;
  queue: Promise<void>;
  stop: () => void;
  failed: AssentError | null;
}

export interface UploadStagerOptions {
  readonly dataDir: string;
  readonly link: PeerLink;
  /** Current write limit (the ground rules' maxWriteBytes). */
  readonly maxBytes: () => number;
  readonly ttlMs?: number;
}

/** Receives `file.upload` streams of one session and keeps the completed ones until used. */
export class UploadStager {
  private readonly dir: string;
  private readonly pending = new Map<number, Pending>();
  private readonly ready = new Map<number, StagedUpload & { timer: NodeJS.Timeout }>();

  constructor(private readonly options: UploadStagerOptions) {
    this.dir = join(options.dataDir, 'files', 'uploads');
    options.link.signal.addEventListener('abort', () => void this.close(), { once: true });
    void this.removeExpired();
  }

  /** Deletes uploads a crashed agent left behind (older than the TTL). */
  private async removeExpired(): Promise<void> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    const limit = Date.now() - (this.options.ttlMs ?? UPLOAD_TTL_MS);
    for (const name of names) {
      const file = join(this.dir, name);
      const st = await fsp.lstat(file).catch(() => null);
      if (st && st.mtimeMs < limit) await fsp.rm(file, { force: true });
    }
  }

  /** Handles `file.upload`: starts receiving, answers `file.upload-ready` (or `file.upload-done` with the refusal). */
  async begin(message: MessageOf<'file.upload'>): Promise<void> {
    const { upload, size, sha256 } = message;
    const refuse = (code: 'FILE_UPLOAD_INVALID' | 'FILE_TOO_LARGE', text: string) =>
      this.options.link.send({ type: 'file.upload-done', upload, ok: false, code, message: text });
    if (this.pending.has(upload) || this.ready.has(upload))
      return refuse('FILE_UPLOAD_INVALID', 'That upload stream id is already in use.');
    if (this.pending.size + this.ready.size >= MAX_STAGED_UPLOADS)
      return refuse('FILE_UPLOAD_INVALID', `At most ${MAX_STAGED_UPLOADS} uploads may be staged.`);
    if (size > this.options.maxBytes())
      return refuse('FILE_TOO_LARGE', `${size} bytes is more than the ground rules allow.`);
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, `${upload}-${randomBytes(6).toString('hex')}.part`);
    const handle = await fsp.open(file, 'wx', 0o600);
    const entry: Pending = {
      upload,
      size,
      sha256,
      file,
      handle,
      hash: createHash('sha256'),
      received: 0,
      queue: Promise.resolve(),
      stop: () => undefined,
      failed: null,
    };
    entry.stop = this.options.link.onStream(upload, (chunk) => this.receive(entry, chunk));
    this.pending.set(upload, entry);
    this.options.link.send({ type: 'file.upload-ready', upload });
    if (size === 0) this.receive(entry, Buffer.alloc(0));
  }

  private receive(entry: Pending, chunk: Buffer): void {
    if (entry.failed) return;
    entry.received += chunk.length;
    if (entry.received > entry.size) {
      entry.failed = new AssentError('FILE_UPLOAD_INVALID', 'More bytes arrived than declared.');
    } else {
      const copy = Buffer.from(chunk);
      entry.hash.update(copy);
      entry.queue = entry.queue.then(async () => {
        let offset = 0;
        while (offset < copy.length) {
          const { bytesWritten } = await entry.handle.write(copy, offset);
          offset += bytesWritten;
        }
      });
    }
    if (entry.failed || entry.received === entry.size) void this.finish(entry);
  }

  private async finish(entry: Pending): Promise<void> {
    entry.stop();
    this.pending.delete(entry.upload);
    let failure = entry.failed;
    try {
      await entry.queue;
    } catch (err) {
      failure = new AssentError(
        (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'DISK_FULL' : 'IO_FAILED',
        'The upload could not be staged.',
        { cause: err },
      );
    }
    await entry.handle.close().catch(() => undefined);
    if (!failure && entry.hash.digest('hex') !== entry.sha256)
      failure = new AssentError('FILE_UPLOAD_INVALID', 'The uploaded bytes do not match the hash.');
    if (failure) {
      await fsp.rm(entry.file, { force: true });
      this.sendDone(entry.upload, failure);
      return;
    }
    const timer = setTimeout(
      () => void this.discard(entry.upload),
      this.options.ttlMs ?? UPLOAD_TTL_MS,
    );
    timer.unref();
    this.ready.set(entry.upload, {
      upload: entry.upload,
      size: entry.size,
      sha256: entry.sha256,
      file: entry.file,
      timer,
    });
    this.sendDone(entry.upload, null);
  }

  private sendDone(upload: number, failure: AssentError | null): void {
    if (this.options.link.signal.aborted) return;
    this.options.link.send(
      failure
        ? {
            type: 'file.upload-done',
            upload,
            ok: false,
            code: failure.code,
            message: failure.message,
          }
        : { type: 'file.upload-done', upload, ok: true },
    );
  }

  /** The completed upload a request names; FILE_UPLOAD_INVALID unless size and hash match. Does not consume it. */
  find(upload: number, size: number, sha256: string): StagedUpload {
    const staged = this.ready.get(upload);
    if (!staged || staged.size !== size || staged.sha256 !== sha256)
      throw new AssentError(
        'FILE_UPLOAD_INVALID',
        staged
          ? 'The request does not match the size and hash of the uploaded content.'
          : 'No completed upload has that id; upload the content first.',
        { details: { upload } },
      );
    return staged;
  }

  /** Deletes a staged upload (after it was used, or when it expires). */
  async discard(upload: number): Promise<void> {
    const staged = this.ready.get(upload);
    if (!staged) return;
    clearTimeout(staged.timer);
    this.ready.delete(upload);
    await fsp.rm(staged.file, { force: true });
  }

  /** Stops every upload in flight and deletes everything staged. */
  async close(): Promise<void> {
    for (const entry of [...this.pending.values()]) {
      entry.stop();
      entry.failed = new AssentError('FILE_TRANSFER_STOPPED');
      this.pending.delete(entry.upload);
      await entry.queue.catch(() => undefined);
      await entry.handle.close().catch(() => undefined);
      await fsp.rm(entry.file, { force: true });
    }
    for (const upload of [...this.ready.keys()]) await this.discard(upload);
  }
}
