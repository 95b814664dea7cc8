// The engineer's side of fixes (issue 5): upload a package on a stream
// (`fix.upload` → `fix.upload-ready` → bytes → `fix.upload-done`), then
// request `fix.apply` naming the upload and its hash; or request
// `fix.rollback` of an installed fix. Both need the approver's consent.
import { createReadStream } from 'node:fs';
import { AssentError, isErrorCode } from '../../protocol/errors';
import {
  FIX_CHUNK_BYTES,
  FixApplyResult,
  FixRollbackResult,
  MAX_FIX_PACKAGE_BYTES,
} from '../../protocol/fixes';
import { requestAction, type RequestActionOptions } from '../actions/request-action';
import type { EngineerLink } from '../engineer-link';
import { digestOf } from '../files/file-client';
import { localFileToSend } from '../files/local-files';

/** A package staged on the agent. */
export interface UploadedPackage {
  readonly upload: number;
  readonly size: number;
  readonly sha256: string;
}

/** Watches the agent's answers about one upload: ready to receive, then done (or refused). */
function watchUpload(
  link: EngineerLink,
  upload: number,
): { ready: Promise<void>; done: Promise<void> } {
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const done = new Promise<void>((resolve, reject) => {
    const offReady = link.on('fix.upload-ready', (m) => {
      if (m.upload === upload) onReady();
    });
    const finish = (): void => {
      offReady();
      offDone();
      link.signal.removeEventListener('abort', onEnd);
    };
    const onEnd = (): void => {
      finish();
      reject(new AssentError('SESSION_ENDED'));
    };
    const offDone = link.on('fix.upload-done', (m) => {
      if (m.upload !== upload) return;
      finish();
      if (m.ok) return resolve();
      const code = m.code && isErrorCode(m.code) ? m.code : 'FIX_UPLOAD_INVALID';
      reject(new AssentError(code, m.message ?? 'The agent refused the package upload.'));
    });
    link.signal.addEventListener('abort', onEnd, { once: true });
  });
  done.catch(() => undefined);
  return { ready, done };
}

/** Uploads a package file to the agent; resolves once the agent has it, hash-checked. */
export async function uploadFixPackage(
  link: EngineerLink,
  file: string,
  onProgress?: (sent: number, total: number) => void,
): Promise<UploadedPackage> {
  const { size } = await localFileToSend(file);
  if (size === 0 || size > MAX_FIX_PACKAGE_BYTES)
    throw new AssentError(
      'FIX_PACKAGE_INVALID',
      `A fix package must be 1 to ${MAX_FIX_PACKAGE_BYTES} bytes.`,
    );
  const digest = await digestOf(file);
  const upload = link.nextStreamId();
  const waits = watchUpload(link, upload);
  link.send({ type: 'fix.upload', upload, size: digest.size, sha256: digest.sha256 });
  await Promise.race([waits.ready, waits.done]);
  const send = link.streamSender(upload);
  let sent = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: FIX_CHUNK_BYTES })) {
    link.signal.throwIfAborted();
    await send(chunk as Buffer);
    sent += (chunk as Buffer).length;
    onProgress?.(sent, digest.size);
  }
  await waits.done;
  return { upload, ...digest };
}

/** Uploads `file` and asks for `fix.apply`; resolves with the agent's result once applied. */
export async function pushFix(
  link: EngineerLink,
  file: string,
  options: RequestActionOptions & { onUpload?: (sent: number, total: number) => void } = {},
): Promise<FixApplyResult> {
  const staged = await uploadFixPackage(link, file, options.onUpload);
  const result = await requestAction(link, 'fix.apply', { ...staged }, options);
  return FixApplyResult.parse(result);
}

/** Asks the agent to roll back an installed fix; resolves once every file is restored. */
export async function requestFixRollback(
  link: EngineerLink,
  id: string,
  options: RequestActionOptions = {},
): Promise<FixRollbackResult> {
  return FixRollbackResult.parse(await requestAction(link, 'fix.rollback', { id }, options));
}
