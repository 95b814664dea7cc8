// The body of file.read (issue 3, "read (streamed in chunks, resumable from
// an offset, with progress)"): the bytes [offset, size) of an opened file go
// out on the engineer's stream id in FILE_CHUNK_BYTES chunks, the whole file
// is hashed (a resumed copy is checked end to end), the transfer stops at
// once when the grant's signal aborts, and FILE_CHANGED is thrown when the
// file changes underneath.
//
// The disk is read in blocks of READ_BLOCK_CHUNKS chunks into two buffers
// that are reused for the whole transfer: one is sent while the next block is
// read ahead into the other. Profiles of bench/files.ts showed a fresh
// 256 KiB buffer per chunk (allocation, page faults, the GC that external
// memory drives) and a read per chunk as a visible share of the agent's CPU.
// A buffer is refilled only after every send of its chunks resolved:
// a PeerLink has taken the bytes by then (the channel seals them at once).
import { createHash, type Hash } from 'node:crypto';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { AssentError } from '../../protocol/errors';
import { FILE_CHUNK_BYTES, type FileReadParams, type FileReadResult } from '../../protocol/files';
import type { ExecuteContext } from '../actions/action-router';
import type { FileDeps } from './file-handler';
import { throwIfStopped } from './file-target';

/** Report read progress at most once per this many bytes. */
const PROGRESS_EVERY_BYTES = 4 * 1024 * 1024;
/** Chunks read from the disk at once (about 1 MiB): fewer reads and promise hops per byte. */
export const READ_BLOCK_CHUNKS = 4;
const READ_BLOCK_BYTES = READ_BLOCK_CHUNKS * FILE_CHUNK_BYTES;

/** Reads [position, end) of a file into reused buffers; a short read means the file shrank. */
class BlockReader {
  private readonly buffers: readonly [Buffer, Buffer];
  private turn = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly canonical: string,
    total: number,
  ) {
    const size = Math.min(READ_BLOCK_BYTES, total);
    this.buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
  }

  /** The next block (alternating buffers: the caller must be done with the block before last). */
  async read(position: number, end: number): Promise<Buffer> {
    const buffer = this.buffers[this.turn];
    this.turn ^= 1;
    const length = Math.min(buffer.length, end - position);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(buffer, got, length - got, position + got);
      if (bytesRead === 0)
        throw new AssentError('FILE_CHANGED', `${this.canonical} got shorter while it was read.`);
      got += bytesRead;
    }
    return buffer.subarray(0, length);
  }
}

/** Hashes the prefix [0, offset) a resumed copy already has (read, not sent). */
async function hashPrefix(
  reader: BlockReader,
  hash: Hash,
  offset: number,
  signal: AbortSignal,
): Promise<void> {
  for (let position = 0; position < offset;) {
    throwIfStopped(signal);
    const block = await reader.read(position, offset);
    hash.update(block);
    position += block.length;
  }
}

/** Streams [params.offset, size) of `handle` to the engineer; resolves with the whole-file hash. */
export async function streamFile(
  deps: FileDeps,
  handle: FileHandle,
  stat: Stats,
  params: FileReadParams,
  context: ExecuteContext,
  canonical: string,
): Promise<FileReadResult> {
  const hash = createHash('sha256');
  const size = stat.size;
  const reader = new BlockReader(handle, canonical, size);
  await hashPrefix(reader, hash, params.offset, context.signal);
  let sent = 0;
  let lastReport = 0;
  let position = params.offset;
  // A read-ahead that is never awaited (the transfer stopped) must not become an unhandled rejection.
  const ahead = (at: number): Promise<Buffer> => {
    const p = reader.read(at, size);
    p.catch(() => undefined);
    return p;
  };
  let next: Promise<Buffer> | null = position < size ? ahead(position) : null;
  const send = deps.link.streamSender(params.streamId);
  while (next) {
    const block = await next;
    throwIfStopped(context.signal);
    position += block.length;
    // Read the next block into the other buffer while this one is sent.
    next = position < size ? ahead(position) : null;
    hash.update(block);
    for (let at = 0; at < block.length; at += FILE_CHUNK_BYTES) {
      throwIfStopped(context.signal);
      const chunk = block.subarray(at, at + FILE_CHUNK_BYTES);
      await send(chunk);
      sent += chunk.length;
    }
    if (sent - lastReport >= PROGRESS_EVERY_BYTES || position === size) {
      lastReport = sent;
      context.progress(position, size, 'read');
    }
  }
  throwIfStopped(context.signal);
  const after = await handle.stat();
  if (after.size !== size || after.mtimeMs !== stat.mtimeMs)
    throw new AssentError('FILE_CHANGED', `${canonical} changed while it was read.`);
  return { path: canonical, size, offset: params.offset, sent, sha256: hash.digest('hex') };
}
