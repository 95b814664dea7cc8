// Staged payload files are completed in the background while the package is
// read: contents and modes must be exact, a failure must surface with its
// code, and nothing may still be writing once finish() or settle() returns.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  STAGE_FILES_IN_FLIGHT,
  STAGE_WRITE_BYTES,
  StageWriter,
  type StageSink,
} from '../../../main/fixes/stage-writer';
import { AssentError } from '../../../protocol/errors';
import { codeOf } from './fix-world';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assent-stage-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A body that feeds `data` in chunks of `chunk` bytes. */
const feed =
  (data: Buffer, chunk = 64 * 1024) =>
  async (sink: StageSink): Promise<void> => {
    for (let off = 0; off < data.length; off += chunk)
      await sink.write(data.subarray(off, off + chunk));
  };

describe('StageWriter', () => {
  it('writes every file exactly, with its mode, small and larger than one batch', async () => {
    const writer = new StageWriter();
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < STAGE_FILES_IN_FLIGHT * 2 + 3; i++) {
      const data = randomBytes(i === 5 ? STAGE_WRITE_BYTES * 3 + 17 : 1000 + i);
      const path = join(dir, String(i));
      contents.set(path, data);
      await writer.stage(path, i % 2 ? 0o755 : 0o644, feed(data));
    }
    await writer.stage(join(dir, 'empty'), 0o600, () => Promise.resolve());
    contents.set(join(dir, 'empty'), Buffer.alloc(0));
    await writer.finish();
    for (const [path, data] of contents) {
      expect((await fsp.readFile(path)).equals(data), path).toBe(true);
    }
    expect((await fsp.stat(join(dir, '1'))).mode & 0o777).toBe(0o755);
    expect((await fsp.stat(join(dir, '2'))).mode & 0o777).toBe(0o644);
  });

  it('writes a batch of more chunks than one writev takes (IOV_MAX) in order', async () => {
    const writer = new StageWriter();
    const data = randomBytes(STAGE_WRITE_BYTES + 4096);
    await writer.stage(join(dir, 'many'), 0o644, feed(data, 256));
    await writer.finish();
    expect((await fsp.readFile(join(dir, 'many'))).equals(data)).toBe(true);
  });

  it('never replaces an existing file or follows a link: IO_FAILED, target untouched', async () => {
    const outside = join(dir, 'outside.txt');
    await fsp.writeFile(outside, 'keep\n');
    await fsp.symlink(outside, join(dir, 'link'));
    const writer = new StageWriter();
    await writer.stage(join(dir, 'link'), 0o644, feed(Buffer.from('pwned\n')));
    expect(await codeOf(writer.finish())).toBe('IO_FAILED');
    expect(await fsp.readFile(outside, 'utf8')).toBe('keep\n');
  });

  it('after a failure, refuses the next file with the first failure', async () => {
    await fsp.writeFile(join(dir, 'taken'), 'x');
    const writer = new StageWriter();
    await writer.stage(join(dir, 'taken'), 0o644, feed(Buffer.from('y')));
    await writer.settle();
    expect(await codeOf(writer.stage(join(dir, 'next'), 0o644, feed(Buffer.from('z'))))).toBe(
      'IO_FAILED',
    );
    expect(await codeOf(writer.finish())).toBe('IO_FAILED');
    await expect(fsp.lstat(join(dir, 'next'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("passes the body's own error on unchanged and leaves nothing open or writing", async () => {
    const writer = new StageWriter();
    await writer.stage(join(dir, 'good'), 0o644, feed(randomBytes(STAGE_WRITE_BYTES * 2)));
    const refused = new AssentError('FIX_HASH_MISMATCH', 'does not match');
    const staging = writer.stage(join(dir, 'bad'), 0o644, async (sink) => {
      await feed(randomBytes(STAGE_WRITE_BYTES + 5))(sink);
      throw refused;
    });
    await expect(staging).rejects.toBe(refused);
    await writer.settle();
    // Every write has ended: the directory can be removed and stays removed.
    await fsp.rm(dir, { recursive: true });
    await new Promise((resolve) => setImmediate(resolve));
    await expect(fsp.lstat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('reports a missing stage directory as IO_FAILED', async () => {
    const writer = new StageWriter();
    await writer.stage(join(dir, 'gone', 'file'), 0o644, feed(Buffer.from('data')));
    expect(await codeOf(writer.finish())).toBe('IO_FAILED');
  });
});
