// Fix packages the engineer uploads before asking for `fix.apply`: received
// on their stream into `<dataDir>/fixes/incoming/`, bounded by the declared
// size (and MAX_FIX_PACKAGE_BYTES), hashed as they arrive, and kept until a
// request uses them, FIX_UPLOAD_TTL_MS passes, or the session ends. Nothing
// here touches a target. The receiving itself is main/transfer's.
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import {
  FIX_UPLOAD_TTL_MS,
  MAX_FIX_PACKAGE_BYTES,
  MAX_STAGED_FIX_PACKAGES,
} from '../../protocol/fixes';
import type { MessageOf } from '../../protocol/wire/messages';
import type { PeerLink } from '../session/peer-link';
import { UploadReceiver, type ReceivedUpload } from '../transfer/upload-receiver';

/** A completely received package. */
export type StagedPackage = ReceivedUpload;

/** Receives the fix packages of one session. */
export class PackageReceiver {
  private readonly receiver: UploadReceiver;

  constructor(options: { dataDir: string; link: PeerLink; ttlMs?: number }) {
    const { link } = options;
    this.receiver = new UploadReceiver({
      link,
      dir: join(options.dataDir, 'fixes', 'incoming'),
      extension: '.assentfix',
      ttlMs: options.ttlMs ?? FIX_UPLOAD_TTL_MS,
      maxStaged: MAX_STAGED_FIX_PACKAGES,
      syncWhenDone: true,
      problems: {
        inUse: () =>
          new AssentError('FIX_UPLOAD_INVALID', 'That upload stream id is already in use.'),
        tooMany: () =>
          new AssentError(
            'FIX_UPLOAD_INVALID',
            `At most ${MAX_STAGED_FIX_PACKAGES} packages may be staged.`,
          ),
        tooLarge: (size) =>
          size > MAX_FIX_PACKAGE_BYTES
            ? new AssentError(
                'FIX_PACKAGE_INVALID',
                `A fix package may not exceed ${MAX_FIX_PACKAGE_BYTES} bytes.`,
              )
            : null,
        overflow: () =>
          new AssentError('FIX_UPLOAD_INVALID', 'More bytes arrived than the upload declared.'),
        mismatch: () =>
          new AssentError(
            'FIX_UPLOAD_INVALID',
            'The uploaded package does not match the announced hash.',
          ),
        stageFailed: 'The fix package could not be staged',
      },
      sendReady: (upload) => link.send({ type: 'fix.upload-ready', upload }),
      sendDone: (upload, failure) => {
        if (link.signal.aborted) return;
        link.send(
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
      },
    });
  }

  /** Handles `fix.upload`: answers `fix.upload-ready` and receives, or refuses (or fails) with `fix.upload-done`. */
  accept(message: MessageOf<'fix.upload'>): void {
    this.receiver.accept(message);
  }

  /** The staged package a request names; it must match the request's size and hash. */
  get(params: { upload: number; size: number; sha256: string }): StagedPackage {
    const staged = this.receiver.staged(params.upload);
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
    await this.receiver.discard(upload);
  }

  /** Stops receiving and deletes everything staged (session end). */
  async close(): Promise<void> {
    await this.receiver.close();
  }
}
