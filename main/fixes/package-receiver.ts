// Fix packages the engineer uploads before asking for `fix.apply`: received
// on their stream into `<dataDir>/fixes/incoming/`, bounded by the declared
// size (and MAX_FIX_PACKAGE_BYTES), hashed as they arrive, and kept until a
// request uses them, FIX_UPLOAD_TTL_MS passes, or the session ends. Nothing
// here touches a target.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AssentError, type ErrorCode } from '../../protocol/errors';
import {
  FIX_UPLOAD_TTL_MS,
  MAX_FIX_PACKAGE_BYTES,
  MAX_STAGED_FIX_PACKAGES,
} from '../../protocol/fixes';
import type { MessageOf } from '../../protocol/wire/messages';
import type { PeerLink } from '../session/peer-link';

/** A completely received package. */
export interface StagedPackage {
  readonly upload: number;
  readonly size: number;
  readonly sha256: string;
  readonly file: string;
}

interface Receiving extends StagedPackage {
  readonly handle: FileHandle;
  readonly hash: Hash;
  received: number;
  queue: Promise<void>;
  stop: () => void;
  failed: AssentError | null;
}

/** Receives the fix packages of one session. */
export class PackageReceiver {
  private readonly dir: string;
  private readonly receiving = new Map<number, Receiving>();
  private readonly ready = new Map<number, StagedPackage & { timer: NodeJS.Timeout }>();

  constructor(private readonly options: { dataDir: string; link: PeerLink; ttlMs?: number }) {
    this.dir = join(options.dataDir, 'fixes', 'incoming');
    options.link.signal.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Handles `fix.upload`: answers `fix.upload-ready` and receives, or refuses with `fix.upload-done`. */
  async begin(message: MessageOf<'fix.upload'>): Promise<void> {
    const { upload, size, sha256 } = message;
    if (this.receiving.has(upload) || this.ready.has(upload))
      return this.done(
        upload,
        new AssentError('FIX_UPLOAD_INVALID', 'That upload stream id is already in use.'),
      );
    if (this.receiving.size + this.ready.size >= MAX_STAGED_FIX_PACKAGES)
      return this.done(
        upload,
        new AssentError(
          'FIX_UPLOAD_INVALID',
          `At most ${MAX_STAGED_FIX_PACKAGES} packages may be staged.`,
        ),
      );
    if (size > MAX_FIX_PACKAGE_BYTES)
      return this.done(
        upload,
        new AssentError(
          'FIX_PACKAGE_INVALID',
          `A fix package may not exceed ${MAX_FIX_PACKAGE_BYTES} bytes.`,
        ),
      );
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, `${upload}-${randomBytes(6).toString('hex')}.assentfix`);
    const handle = await fsp.open(file, 'wx', 0o600);
    const entry: Receiving = {
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
    this.receiving.set(upload, entry);
    this.options.link.send({ type: 'fix.upload-ready', upload });
  }

  private receive(entry: Receiving, chunk: Buffer): void {
    if (entry.failed) return;
    entry.received += chunk.length;
    if (entry.received > entry.size) {
      entry.failed = new AssentError(
        'FIX_UPLOAD_INVALID',
        'More bytes arrived than the upload declared.',
      );
    } else {
      const copy = Buffer.from(chunk);
      entry.hash.update(copy);
      entry.queue = entry.queue.then(async () => {
        let offset = 0;
        while (offset < copy.length)
          offset += (await entry.handle.write(copy, offset)).bytesWritten;
      });
    }
    if (entry.failed || entry.received === entry.size) void this.finish(entry);
  }

  private async finish(entry: Receiving): Promise<void> {
    entry.stop();
    this.receiving.delete(entry.upload);
    let failure = entry.failed;
    try {
      await entry.queue;
      await entry.handle.sync();
    } catch (err) {
      const code: ErrorCode =
        (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'DISK_FULL' : 'IO_FAILED';
      failure = new AssentError(code, 'The fix package could not be staged.', { cause: err });
    }
    await entry.handle.close().catch(() => undefined);
    if (!failure && entry.hash.digest('hex') !== entry.sha256)
      failure = new AssentError(
        'FIX_UPLOAD_INVALID',
        'The uploaded package does not match the announced hash.',
      );
    if (failure) {
      await fsp.rm(entry.file, { force: true });
      return this.done(entry.upload, failure);
    }
    const timer = setTimeout(
      () => void this.discard(entry.upload),
      this.options.ttlMs ?? FIX_UPLOAD_TTL_MS,
    );
    timer.unref();
    this.ready.set(entry.upload, {
      upload: entry.upload,
      size: entry.size,
      sha256: entry.sha256,
      file: entry.file,
      timer,
    });
    this.done(entry.upload, null);
  }

  private done(upload: number, failure: AssentError | null): void {
    if (this.options.link.signal.aborted) return;
    this.options.link.send(
      failure
        ? {
            type: 'fix.upload-done',
            upload,
            ok: false,
            code: failure.code,
            message: failure.message.slice(0, 2000),
          }
        : { type: 'fix.upload-done', upload, ok: true },
    );
  }

  /** The staged package a request names; it must match the request's size and hash. */
  get(params: { upload: number; size: number; sha256: string }): StagedPackage {
    const staged = this.ready.get(params.upload);
    if (!staged)
      throw new AssentError(
        'FIX_UPLOAD_UNKNOWN',
        `No staged fix package has upload id ${params.upload}.`,
      );
    if (staged.size !== params.size || staged.sha256 !== params.sha256)
      throw new AssentError(
        'FIX_UPLOAD_INVALID',
        'The request does not match the staged package (size or hash).',
      );
    return staged;
  }

  /** Deletes a staged package (after it was used, or when it expires). */
  async discard(upload: number): Promise<void> {
    const staged = this.ready.get(upload);
    if (!staged) return;
    clearTimeout(staged.timer);
    this.ready.delete(upload);
    await fsp.rm(staged.file, { force: true });
  }

  /** Stops receiving and deletes everything staged (session end). */
  async close(): Promise<void> {
    for (const entry of [...this.receiving.values()]) {
      entry.stop();
      this.receiving.delete(entry.upload);
      await entry.queue.catch(() => undefined);
      await entry.handle.close().catch(() => undefined);
      await fsp.rm(entry.file, { force: true });
    }
    for (const upload of [...this.ready.keys()]) await this.discard(upload);
  }
}
