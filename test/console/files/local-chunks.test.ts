// The file client's local reads: every byte once, in order, in chunks of at
// most FILE_CHUNK_BYTES, across block boundaries and with an end, although
// the buffers behind the chunks are reused.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { digestOf } from '../../../console/files/file-client';
import { localChunks } from '../../../console/files/local-chunks';
import { FILE_CHUNK_BYTES } from '../../../protocol/files';

const dir = mkdtempSync(join(tmpdir(), 'assent-local-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileOf(size: number): { path: string; data: Buffer } {
  const data = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) data.writeUInt32BE(i, i);
  const path = join(dir, `f-${size}`);
  writeFileSync(path, data);
  return { path, data };
}

/** What a consumer that keeps nothing past its turn sees (a copy of each chunk, taken at once). */
async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(Buffer.from(chunk));
  return out;
}

describe('localChunks', () => {
  const sizes = [
    0,
    1,
    FILE_CHUNK_BYTES,
    4 * FILE_CHUNK_BYTES,
    4 * FILE_CHUNK_BYTES + 1,
    11 * FILE_CHUNK_BYTES + 77,
  ];
  it.each(sizes)('reads a %i-byte file whole, in order, in frame-sized chunks', async (size) => {
    const { path, data } = fileOf(size);
    const chunks = await collect(localChunks(path));
    expect(chunks.every((c) => c.length > 0 && c.length <= FILE_CHUNK_BYTES)).toBe(true);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    const digest = await digestOf(path);
    expect(digest).toEqual({ size, sha256: createHash('sha256').update(data).digest('hex') });
  });

  it('stops at the end it is given', async () => {
    const { path, data } = fileOf(9 * FILE_CHUNK_BYTES + 5);
    const end = 5 * FILE_CHUNK_BYTES + 3;
    expect(Buffer.concat(await collect(localChunks(path, end))).equals(data.subarray(0, end))).toBe(
      true,
    );
  });

  it('a consumer may stop early, and the file reads again from the start', async () => {
    const { path } = fileOf(9 * FILE_CHUNK_BYTES);
    for await (const chunk of localChunks(path)) {
      expect(chunk.length).toBe(FILE_CHUNK_BYTES);
      break;
    }
    expect((await collect(localChunks(path))).length).toBe(9);
  });
});
