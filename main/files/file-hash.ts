// Hashing an opened file in chunks (never the whole file in memory), keeping
// the bytes only when small enough for a preview diff.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { FILE_CHUNK_BYTES } from '../../protocol/files';

/** SHA-256 of an opened file from position 0; `content` when the file is at most `keepUpTo` bytes. */
export async function hashOpenedFile(
  handle: FileHandle,
  keepUpTo: number,
): Promise<{ sha256: string; size: number; content: Buffer | null }> {
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let size = 0;
  const buf = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
  for (;;) {
    const { bytesRead } = await handle.read(buf, 0, buf.length, size);
    if (bytesRead === 0) break;
    const chunk = buf.subarray(0, bytesRead);
    hash.update(chunk);
    size += bytesRead;
    if (size <= keepUpTo) kept.push(Buffer.from(chunk));
  }
  return {
    sha256: hash.digest('hex'),
    size,
    content: size <= keepUpTo ? Buffer.concat(kept) : null,
  };
}
