// Reading a local file for the file client: hashing it before an upload,
// sending it, hashing the part a resumed download already has. The disk is
// read in blocks of about 1 MiB into two buffers reused for the whole file
// (one is consumed while the next block is read ahead into the other), and
// handed out as chunks of at most FILE_CHUNK_BYTES, one stream frame each.
// A stream per pass allocated a fresh 256 KiB buffer per chunk; in
// bench/files.ts that, and its garbage collection, was a visible share of
// the engineer's CPU per byte.
import { promises as fsp } from 'node:fs';
import { FILE_CHUNK_BYTES } from '../../protocol/files';

/** Chunks read from the disk at once. */
const BLOCK_CHUNKS = 4;
const BLOCK_BYTES = BLOCK_CHUNKS * FILE_CHUNK_BYTES;

/**
 * The bytes of `path` from 0 to `end` (default: the end of the file) as
 * chunks of at most FILE_CHUNK_BYTES. A chunk is a view into a reused
 * buffer: it stays valid only until the consumer asks for the chunk after
 * the next BLOCK_CHUNKS (consume it, or await its sending, before the next
 * iteration).
 */
export async function* localChunks(path: string, end = Infinity): AsyncGenerator<Buffer> {
  const handle = await fsp.open(path, 'r');
  const buffers = [Buffer.allocUnsafe(BLOCK_BYTES), Buffer.allocUnsafe(BLOCK_BYTES)] as const;
  let turn = 0;
  let position = 0;
  const readBlock = async (): Promise<Buffer> => {
    const buffer = buffers[turn];
    turn ^= 1;
    const length = Math.min(buffer.length, end - position);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buffer, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    position += got;
    return buffer.subarray(0, got);
  };
  let next: Promise<Buffer> | undefined;
  try {
    next = readBlock();
    for (;;) {
      const block = await next;
      if (block.length === 0) return;
      // Read ahead into the other buffer while this block is consumed.
      next = readBlock();
      next.catch(() => undefined);
      for (let at = 0; at < block.length; at += FILE_CHUNK_BYTES)
        yield block.subarray(at, at + FILE_CHUNK_BYTES);
    }
  } finally {
    await next?.catch(() => undefined);
    await handle.close();
  }
}
