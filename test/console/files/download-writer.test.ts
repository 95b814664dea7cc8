// The download writer: chunks land in order from the start offset (after a
// resumed prefix), however they are batched; the written part is flushed in
// the background as the download goes; a failed write is thrown by finish.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DownloadWriter } from '../../../console/files/download-writer';

// tmpfs when there is one: the flushes are exercised without waiting for a shared, busy disk.
const scratch = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

const dir = mkdtempSync(join(scratch, 'assent-download-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pattern(size: number, seed: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed) & 0xff;
  return data;
}

/** A real file handle whose datasync calls are counted. */
function counting(handle: FileHandle): { handle: FileHandle; syncs: () => number } {
  let syncs = 0;
  const datasync = handle.datasync.bind(handle);
  handle.datasync = () => {
    syncs++;
    return datasync();
  };
  return { handle, syncs: () => syncs };
}

describe('DownloadWriter', () => {
  it('writes every chunk in order after a resumed prefix, flushing behind the writes', async () => {
    const path = join(dir, 'resumed.bin');
    const prefix = pattern(1000, 1);
    writeFileSync(path, prefix);
    const { handle, syncs } = counting(await fsp.open(path, 'r+'));
    const writer = new DownloadWriter(handle, prefix.length, 256 * 1024);
    const chunks: Buffer[] = [];
    // Written synchronously one after another, as frames arrive: most are batched.
    for (let i = 0; i < 40; i++) {
      const chunk = pattern(7000 + i * 500, i);
      chunks.push(chunk);
      writer.write(chunk);
    }
    writer.write(Buffer.alloc(0));
    await writer.finish();
    await handle.close();
    // Buffer.equals: toEqual compares a large buffer element by element, for seconds.
    expect((await fsp.readFile(path)).equals(Buffer.concat([prefix, ...chunks]))).toBe(true);
    expect(syncs()).toBeGreaterThan(0);
  });

  it('keeps the first failure and throws it from finish; later chunks are dropped', async () => {
    const path = join(dir, 'read-only.bin');
    writeFileSync(path, 'x');
    const handle = await fsp.open(path, 'r');
    const writer = new DownloadWriter(handle, 0);
    writer.write(pattern(100, 2));
    writer.write(pattern(100, 3));
    await expect(writer.finish()).rejects.toMatchObject({ code: 'EBADF' });
    writer.write(pattern(100, 4));
    await expect(writer.finish()).rejects.toMatchObject({ code: 'EBADF' });
    await handle.close();
    expect(await fsp.readFile(path, 'utf8')).toBe('x');
  });
});
