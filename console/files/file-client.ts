// The engineer's typed client for the file actions (issue 3): one function
// per action over the generic requestAction, uploads staged before a write
// or edit, and downloads that resume from a local partial file and check the
// agent's whole-file hash at the end.
import { createHash, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { AssentError } from '../../protocol/errors';
import {
  FILE_CHUNK_BYTES,
  FileChangeResult,
  FileFindResult,
  FileListResult,
  FileReadResult,
  FileStatResult,
  FileWriteResult,
  type FileFindParams,
  type FileListParams,
} from '../../protocol/files';
import type { MessageOf } from '../../protocol/wire/messages';
import { requestAction, type RequestActionOptions } from '../actions/request-action';
import type { EngineerLink } from '../engineer-link';
import { DirectWrites } from '../../platform/direct-writes';
import { localChunks } from './local-chunks';
import { localFileError, localFileToSend } from './local-files';

/** Callbacks of one file request (pending prompt, progress, cancel). */
export type FileRequestOptions = Omit<RequestActionOptions, 'requestId'>;

export async function listFiles(
  link: EngineerLink,
  path: string,
  page: Partial<Omit<FileListParams, 'path'>> = {},
  options: FileRequestOptions = {},
): Promise<FileListResult> {
  return FileListResult.parse(await requestAction(link, 'file.list', { path, ...page }, options));
}

export async function statFile(
  link: EngineerLink,
  path: string,
  options: FileRequestOptions = {},
): Promise<FileStatResult> {
  return FileStatResult.parse(await requestAction(link, 'file.stat', { path }, options));
}

export async function findFiles(
  link: EngineerLink,
  params: Partial<FileFindParams> & { path: string },
  options: FileRequestOptions = {},
): Promise<FileFindResult> {
  return FileFindResult.parse(await requestAction(link, 'file.find', { ...params }, options));
}

export async function makeDirectory(
  link: EngineerLink,
  path: string,
  options: FileRequestOptions = {},
): Promise<FileChangeResult> {
  return FileChangeResult.parse(await requestAction(link, 'file.mkdir', { path }, options));
}

export async function renameFile(
  link: EngineerLink,
  path: string,
  to: string,
  options: FileRequestOptions = {},
): Promise<FileChangeResult> {
  return FileChangeResult.parse(await requestAction(link, 'file.rename', { path, to }, options));
}

/** Moves a file or directory into the agent's trash (restorable). */
export async function deleteFile(
  link: EngineerLink,
  path: string,
  options: FileRequestOptions = {},
): Promise<FileChangeResult> {
  return FileChangeResult.parse(await requestAction(link, 'file.delete', { path }, options));
}

export async function restoreFile(
  link: EngineerLink,
  id: string,
  to?: string,
  options: FileRequestOptions = {},
): Promise<FileChangeResult> {
  return FileChangeResult.parse(
    await requestAction(link, 'file.restore', to === undefined ? { id } : { id, to }, options),
  );
}

/** Content staged on the agent, ready to be named by a write or edit. */
export interface StagedContent {
  readonly upload: number;
  readonly size: number;
  readonly sha256: string;
}

/** SHA-256 and size of a local file or of bytes. */
export async function digestOf(
  source: string | Uint8Array,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  if (typeof source !== 'string')
    return { size: source.byteLength, sha256: hash.update(source).digest('hex') };
  let size = 0;
  for await (const chunk of localChunks(source)) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Each chunk is sent (awaited) before the next is asked for, as localChunks requires. */
function chunksOf(
  source: string | Uint8Array,
  size: number,
): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (typeof source === 'string') return localChunks(source, size);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < source.byteLength; i += FILE_CHUNK_BYTES)
    chunks.push(source.subarray(i, i + FILE_CHUNK_BYTES));
  return chunks;
}

function uploadReply(
  link: EngineerLink,
  upload: number,
  types: Array<'file.upload-ready' | 'file.upload-done'>,
) {
  return new Promise<MessageOf<'file.upload-ready'> | MessageOf<'file.upload-done'>>(
    (resolve, reject) => {
      const offs: Array<() => void> = [];
      const finish = (m: MessageOf<'file.upload-ready'> | MessageOf<'file.upload-done'>) => {
        for (const off of offs) off();
        link.signal.removeEventListener('abort', ended);
        resolve(m);
      };
      const ended = () => {
        for (const off of offs) off();
        reject(new AssentError('SESSION_ENDED'));
      };
      for (const type of types) offs.push(link.on(type, (m) => m.upload === upload && finish(m)));
      if (link.signal.aborted) return ended();
      link.signal.addEventListener('abort', ended, { once: true });
    },
  );
}

function uploadError(done: MessageOf<'file.upload-done'>): AssentError {
  const code =
    done.code === 'FILE_TOO_LARGE' || done.code === 'DISK_FULL' ? done.code : 'FILE_UPLOAD_INVALID';
  return new AssentError(code, done.message ?? 'The agent refused the upload.', {
    details: { agentCode: done.code },
  });
}

/**
 * Uploads a local file (path) or bytes to the agent's staging area; resolves
 * once every byte arrived there. The bytes are hashed as they are sent (one
 * pass over a local file): the announcement names only the size, and the
 * hash the agent reports for what it received must be ours. A local file is
 * sent up to the size it had when the upload started; one that got shorter
 * meanwhile fails with FILE_CHANGED (the agent drops the incomplete upload
 * when the session ends).
 */
export async function uploadContent(
  link: EngineerLink,
  source: string | Uint8Array,
  onProgress?: (sent: number, total: number) => void,
): Promise<StagedContent> {
  const size =
    typeof source === 'string' ? (await localFileToSend(source)).size : source.byteLength;
  const upload = link.nextStreamId();
  const first = uploadReply(link, upload, ['file.upload-ready', 'file.upload-done']);
  link.send({ type: 'file.upload', upload, size });
  const ready = await first;
  if (ready.type === 'file.upload-done') throw uploadError(ready);
  const done = uploadReply(link, upload, ['file.upload-done']);
  done.catch(() => undefined);
  const hash = createHash('sha256');
  const send = link.streamSender(upload);
  let sent = 0;
  for await (const chunk of chunksOf(source, size)) {
    // Hashed before it is sent: a chunk of localChunks is reused once sent.
    hash.update(chunk);
    await send(chunk);
    sent += chunk.byteLength;
    onProgress?.(sent, size);
  }
  if (sent !== size)
    throw new AssentError('FILE_CHANGED', `${String(source)} got shorter while it was uploaded.`, {
      details: { size, sent },
    });
  const sha256 = hash.digest('hex');
  const result = (await done) as MessageOf<'file.upload-done'>;
  if (!result.ok) throw uploadError(result);
  if (result.sha256 !== undefined && result.sha256 !== sha256)
    throw new AssentError(
      'FILE_UPLOAD_INVALID',
      'The agent received different bytes than were sent.',
      {
        details: { sent: sha256, received: result.sha256 },
      },
    );
  return { upload, size, sha256 };
}

/** Writes a new remote file from a local file or bytes. */
export async function putFile(
  link: EngineerLink,
  remotePath: string,
  source: string | Uint8Array,
  options: FileRequestOptions = {},
): Promise<FileWriteResult> {
  const staged = await uploadContent(link, source);
  return FileWriteResult.parse(
    await requestAction(link, 'file.write', { path: remotePath, ...staged }, options),
  );
}

/** Replaces a remote file's content; refused (FILE_CHANGED) unless its current hash is `baseSha256`. */
export async function editFile(
  link: EngineerLink,
  remotePath: string,
  baseSha256: string,
  source: string | Uint8Array,
  options: FileRequestOptions = {},
): Promise<FileWriteResult> {
  const staged = await uploadContent(link, source);
  return FileWriteResult.parse(
    await requestAction(link, 'file.edit', { path: remotePath, baseSha256, ...staged }, options),
  );
}

export interface DownloadResult extends FileReadResult {
  /** Bytes that were already in the local file (a resumed download). */
  readonly resumedFrom: number;
}

async function hashPrefix(path: string, size: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (size === 0) return hash;
  for await (const chunk of localChunks(path, size)) hash.update(chunk);
  return hash;
}

/**
 * Downloads a remote file to `localPath`. With `resume`, an existing local
 * file is taken as the first bytes and only the rest is requested; either
 * way the agent's whole-file SHA-256 is checked at the end, and a copy that
 * does not match is moved aside to `<localPath>.mismatch` (FILE_HASH_MISMATCH).
 */
export async function getFile(
  link: EngineerLink,
  remotePath: string,
  localPath: string,
  options: FileRequestOptions & { resume?: boolean } = {},
): Promise<DownloadResult> {
  const existing = options.resume ? await fsp.stat(localPath).catch(() => null) : null;
  const offset = existing?.isFile() ? existing.size : 0;
  const hash = await hashPrefix(localPath, offset);
  const out = await fsp.open(localPath, offset > 0 ? 'r+' : 'w').catch((cause: unknown) => {
    throw localFileError('write', localPath, cause);
  });
  const streamId = link.nextStreamId();
  let received = 0;
  // Past a window of unwritten chunks the link stops reading until the disk catches up.
  const writes = await DirectWrites.open(out, localPath, offset, () => link.holdInbound()).catch(
    async (err: unknown) => {
      await out.close();
      throw err;
    },
  );
  // Each chunk is this listener's own (EngineerLink.onStream): it may be kept until written.
  const stop = link.onStream(streamId, (chunk) => {
    received += chunk.length;
    hash.update(chunk);
    writes.add(chunk);
  });
  try {
    const result = FileReadResult.parse(
      await requestAction(link, 'file.read', { path: remotePath, offset, streamId }, options),
    );
    await writes.settled();
    await out.truncate(offset + received);
    await out.sync();
    if (received !== result.sent || hash.digest('hex') !== result.sha256) {
      await writes.close();
      await out.close();
      await fsp.rename(localPath, `${localPath}.mismatch`);
      throw new AssentError(
        'FILE_HASH_MISMATCH',
        `The copy of ${remotePath} does not match the agent's hash.`,
        {
          details: { expected: result.sha256, received },
        },
      );
    }
    return { ...result, resumedFrom: offset };
  } finally {
    stop();
    await writes.close();
    await out.close().catch(() => undefined);
  }
}
