// A download's writes: every byte lands at its position whether it went past
// the page cache (full aligned blocks), through it (an unaligned start, the
// last partial page), or through it after the ring filled up or where no
// direct handle could be opened; the link is held past the window.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIRECT_BLOCK_BYTES, DirectWrites } from '../../platform/direct-writes';
import { FILE_CHUNK_BYTES } from '../../protocol/files';

const dir = mkdtempSync(join(tmpdir(), 'assent-direct-writes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Chunk sizes as a link delivers them: mostly whole frames, some odd ones. */
function chunksOf(data: Buffer): Buffer[] {
  const sizes = [FILE_CHUNK_BYTES, 1000, FILE_CHUNK_BYTES, 3 * 4096 + 5, FILE_CHUNK_BYTES - 7];
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    // Each chunk is a fresh buffer of its own, as the link hands them out.
    chunks.push(Buffer.from(data.subarray(at, at + size)));
    at += size;
  }
  return chunks;
}

interface Written {
  path: string;
  wasDirect: boolean;
  holds: number;
}

/** Writes `data` from `start` into a file that holds `prefix` first, the way getFile does. */
async function writeThrough(
  data: Buffer,
  options: {
    start?: number;
    prefix?: Buffer;
    direct?: (handle: FileHandle, path: string) => Promise<FileHandle | undefined>;
    awaitEach?: boolean;
  } = {},
): Promise<Written> {
  const path = join(dir, `file-${files++}`);
  const start = options.start ?? 0;
  if (options.prefix) writeFileSync(path, options.prefix);
  const handle = await fsp.open(path, start > 0 ? 'r+' : 'w');
  let holds = 0;
  const writes = await DirectWrites.open(
    handle,
    path,
    start,
    () => {
      holds += 1;
      return () => undefined;
    },
    options.direct,
  );
  const wasDirect = writes.direct;
  try {
    for (const chunk of chunksOf(data)) {
      writes.add(chunk);
      // Between chunks the writes queued so far may run, as between frames.
      if (options.awaitEach) await new Promise((resolve) => setImmediate(resolve));
    }
    await writes.settled();
    await handle.truncate(start + data.length);
    await handle.sync();
  } finally {
    await writes.close();
    await handle.close();
  }
  return { path, wasDirect, holds };
}

describe('DirectWrites', () => {
  const sizes = [0, 1, 4096, DIRECT_BLOCK_BYTES, 5 * DIRECT_BLOCK_BYTES + 12_345];
  it.each(sizes)('writes %i bytes from the start of a new file', async (size) => {
    const data = randomBytes(size);
    const { path, wasDirect } = await writeThrough(data, { awaitEach: true });
    expect(wasDirect).toBe(true);
    expect(readFileSync(path).equals(data)).toBe(true);
  });

  it('continues a resumed file from an unaligned position, keeping its first bytes', async () => {
    const prefix = randomBytes(DIRECT_BLOCK_BYTES + 1000);
    const data = randomBytes(3 * DIRECT_BLOCK_BYTES + 777);
    const { path } = await writeThrough(data, { start: prefix.length, prefix });
    expect(readFileSync(path).equals(Buffer.concat([prefix, data]))).toBe(true);
  });

  it('overwrites what a longer partial file had past the start', async () => {
    const prefix = randomBytes(2 * DIRECT_BLOCK_BYTES);
    const data = randomBytes(DIRECT_BLOCK_BYTES + 3);
    const start = 4096 * 3;
    const { path } = await writeThrough(data, { start, prefix });
    expect(readFileSync(path).equals(Buffer.concat([prefix.subarray(0, start), data]))).toBe(true);
  });

  it('goes on through the page cache when more arrives than the ring holds, and holds the link', async () => {
    // Added all at once (the hold is ignored here): far more than the ring.
    const data = randomBytes(20 * 1024 * 1024 + 99);
    const { path, holds } = await writeThrough(data);
    expect(holds).toBeGreaterThan(0);
    expect(readFileSync(path).equals(data)).toBe(true);
  });

  it('writes through the page cache where no direct handle can be opened', async () => {
    const data = randomBytes(2 * DIRECT_BLOCK_BYTES + 5);
    const { path, wasDirect } = await writeThrough(data, { direct: async () => undefined });
    expect(wasDirect).toBe(false);
    expect(readFileSync(path).equals(data)).toBe(true);
  });

  it('writes only into the opened file when its path was replaced before the direct open', async () => {
    const path = join(dir, `file-${files++}`);
    const handle = await fsp.open(path, 'w');
    await fsp.rename(path, `${path}.opened`);
    writeFileSync(path, 'someone else');
    const writes = await DirectWrites.open(handle, path, 0, () => () => undefined);
    expect(writes.direct).toBe(false);
    const data = randomBytes(DIRECT_BLOCK_BYTES + 10);
    writes.add(data);
    await writes.settled();
    await writes.close();
    await handle.close();
    expect(readFileSync(`${path}.opened`).equals(data)).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('someone else');
  });

  it('reports a failed write through settled, with its code', async () => {
    const path = join(dir, `file-${files++}`);
    const handle = await fsp.open(path, 'w');
    const writes = await DirectWrites.open(handle, path, 0, () => () => undefined);
    // Closed underneath: the tail's write through the page cache fails.
    await handle.close();
    writes.add(randomBytes(100));
    await expect(writes.settled()).rejects.toMatchObject({ code: 'EBADF' });
    await writes.close();
  });
});
