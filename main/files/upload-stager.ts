// Content the engineer uploads before asking for a write or an edit, so the
// prompt can show the real diff and the digest can bind the content hash
// (issue 3). Uploads are staged in the agent's data directory, never in the
// target directory; each is bounded by its declared size and by the ground
// rules' maxWriteBytes, whatever the engineer claims, and hashed as it
// arrives. The announcement may leave the hash out (the client hashes while
// it sends); the agent's own hash of what arrived is what a write or edit
// request must then name (find), and so what the consent digest binds. A staged upload is deleted when used, after UPLOAD_TTL_MS, or
// when the session ends. The receiving itself is main/transfer's.
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import { MAX_STAGED_UPLOADS, UPLOAD_TTL_MS } from '../../protocol/files';
import type { MessageOf } from '../../protocol/wire/messages';
import type { PeerLink } from '../session/peer-link';
import { UploadReceiver, type ReceivedUpload } from '../transfer/upload-receiver';

/** A completed upload, ready for a request to use. */
export type StagedUpload = ReceivedUpload;

export interface UploadStagerOptions {
  readonly dataDir: string;
  readonly link: PeerLink;
  /** Current write limit (the ground rules' maxWriteBytes). */
  readonly maxBytes: () => number;
  readonly ttlMs?: number;
}

/** Receives `file.upload` streams of one session and keeps the completed ones until used. */
export class UploadStager {
  private readonly receiver: UploadReceiver;

  constructor(options: UploadStagerOptions) {
    const { link } = options;
    this.receiver = new UploadReceiver({
      link,
      dir: join(options.dataDir, 'files', 'uploads'),
      extension: '.part',
      ttlMs: options.ttlMs ?? UPLOAD_TTL_MS,
      maxStaged: MAX_STAGED_UPLOADS,
      syncWhenDone: false,
      // Moved into place by file.write / file.edit, not read back: past the page cache.
      direct: true,
      problems: {
        inUse: () =>
          new AssentError('FILE_UPLOAD_INVALID', 'That upload stream id is already in use.'),
        tooMany: () =>
          new AssentError(
            'FILE_UPLOAD_INVALID',
            `At most ${MAX_STAGED_UPLOADS} uploads may be staged.`,
          ),
        tooLarge: (size) =>
          size > options.maxBytes()
            ? new AssentError(
                'FILE_TOO_LARGE',
                `${size} bytes is more than the ground rules allow.`,
              )
            : null,
        overflow: () => new AssentError('FILE_UPLOAD_INVALID', 'More bytes arrived than declared.'),
        mismatch: () =>
          new AssentError('FILE_UPLOAD_INVALID', 'The uploaded bytes do not match the hash.'),
        stageFailed: 'The upload could not be staged',
        stopped: () => new AssentError('FILE_TRANSFER_STOPPED'),
      },
      sendReady: (upload) => link.send({ type: 'file.upload-ready', upload }),
      sendDone: (upload, failure, sha256) =>
        link.send(
          failure
            ? {
                type: 'file.upload-done',
                upload,
                ok: false,
                code: failure.code,
                message: failure.message,
              }
            : { type: 'file.upload-done', upload, ok: true, ...(sha256 ? { sha256 } : {}) },
        ),
    });
    void this.receiver.removeExpired();
  }

  /** Handles `file.upload`: starts receiving, answers `file.upload-ready` (or `file.upload-done` with the refusal or failure). */
  accept(message: MessageOf<'file.upload'>): void {
    this.receiver.accept(message);
  }

  /** The completed upload a request names; FILE_UPLOAD_INVALID unless size and the hash of the received bytes match. Does not consume it. */
  find(upload: number, size: number, sha256: string): StagedUpload {
    const staged = this.receiver.staged(upload);
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
    await this.receiver.discard(upload);
  }

  /** Stops every upload in flight and deletes everything staged. */
  async close(): Promise<void> {
    await this.receiver.close();
  }
}
