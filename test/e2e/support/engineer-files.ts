// What the engineer does in the e2e tests, through the real console client:
// stage an upload, request an action, read a file on a stream.
import { createHash } from 'node:crypto';
import type { EngineerLink } from '../../../console/engineer-link';
import { requestAction } from '../../../console/actions/request-action';
import { FILE_CHUNK_BYTES } from '../../../protocol/files';
import type { ActionKind } from '../../../protocol/consent';

export const sha256 = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('hex');

/** Stages `bytes` on the agent (file.upload) and resolves when every byte arrived. */
export async function upload(
  link: EngineerLink,
  bytes: Buffer,
): Promise<{ upload: number; size: number; sha256: string }> {
  const staged = { upload: link.nextStreamId(), size: bytes.length, sha256: sha256(bytes) };
  const done = new Promise<void>((resolve, reject) => {
    const offReady = link.on('file.upload-ready', (m) => {
      if (m.upload !== staged.upload) return;
      offReady();
      void (async () => {
        const send = link.streamSender(staged.upload);
        for (let at = 0; at < bytes.length; at += FILE_CHUNK_BYTES) {
          await send(bytes.subarray(at, at + FILE_CHUNK_BYTES));
        }
      })().catch(reject);
    });
    const offDone = link.on('file.upload-done', (m) => {
      if (m.upload !== staged.upload) return;
      offDone();
      if (m.ok) resolve();
      else reject(new Error(`upload refused: ${m.code} ${m.message}`));
    });
  });
  link.send({ type: 'file.upload', ...staged });
  await done;
  return staged;
}

/** The outcome of one action: its result, or the agent's error code. */
export async function outcome(
  promise: Promise<Record<string, unknown>>,
): Promise<{ ok: true; result: Record<string, unknown> } | { ok: false; code: string }> {
  try {
    return { ok: true, result: await promise };
  } catch (err: unknown) {
    const details = (err as { details?: { agentCode?: string } }).details;
    return { ok: false, code: details?.agentCode ?? (err as { code: string }).code };
  }
}

/** Requests an action and reports how it ended. */
export function act(link: EngineerLink, kind: ActionKind, params: Record<string, unknown>) {
  return outcome(requestAction(link, kind, params));
}

/** Reads a file on a fresh stream; `received()` tells how many bytes arrived so far. */
export function readFile(link: EngineerLink, path: string) {
  const streamId = link.nextStreamId();
  let received = 0;
  const off = link.onStream(streamId, (chunk) => {
    received += chunk.length;
  });
  const result = act(link, 'file.read', { path, streamId }).finally(off);
  return { result, received: () => received };
}
