// The durability helper: one syncfs through coreutils' `sync -f` when it can
// be trusted, an fsync per file otherwise (issue 5 benchmark). The real
// `sync` runs where there is one; the fallback is driven by a missing
// binary, a failing binary, another platform and an old kernel.
import { mkdtempSync, promises as fsp, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EARLY_FLUSH_BYTES,
  EarlyFlush,
  SYNC_BINARIES,
  SYNCFS_MIN_FILES,
  makeDurable,
  syncFileSystem,
  syncfsReportsErrors,
  type SyncFileSystem,
} from '../../../main/fixes/durability';
import { codeOf } from './fix-world';

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'assent-durability-'));
  files = [];
  for (let i = 0; i < SYNCFS_MIN_FILES; i++) {
    const file = join(dir, `f${i}`);
    await fsp.writeFile(file, `file ${i}\n`);
    files.push(file);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A syncFileSystem stand-in that records its calls and answers `result`. */
function recording(ok: boolean): SyncFileSystem & { calls: string[] } {
  const calls: string[] = [];
  const run = (path: string) => {
    calls.push(path);
    return Promise.resolve(ok ? { ok: true as const } : { ok: false as const, reason: 'test' });
  };
  return Object.assign(run, { calls });
}

describe('syncfsReportsErrors', () => {
  it('is true from Linux 5.8 on, when syncfs started reporting writeback errors', () => {
    expect(syncfsReportsErrors('5.8.0')).toBe(true);
    expect(syncfsReportsErrors('5.15.0-91-generic')).toBe(true);
    expect(syncfsReportsErrors('6.1.0-18-amd64')).toBe(true);
    expect(syncfsReportsErrors('5.7.19')).toBe(false);
    expect(syncfsReportsErrors('4.19.0-26-amd64')).toBe(false);
    expect(syncfsReportsErrors('not a release')).toBe(false);
  });
});

describe('syncFileSystem', () => {
  const haveSync =
    process.platform === 'linux' &&
    SYNC_BINARIES.some((b) => {
      try {
        return statSync(b).isFile();
      } catch {
        return false;
      }
    });

  it.runIf(haveSync)('runs `sync -f` on the path and reports success', async () => {
    expect(await syncFileSystem(dir, { kernelRelease: '6.1.0' })).toEqual({ ok: true });
  });

  it('reports a missing binary instead of throwing', async () => {
    const result = await syncFileSystem(dir, {
      binaries: [join(dir, 'no-such-sync')],
      platform: 'linux',
      kernelRelease: '6.1.0',
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain('not found');
  });

  it.runIf(process.platform === 'linux')('reports a non-zero exit with its status', async () => {
    const failing = join(dir, 'failing-sync');
    await fsp.writeFile(failing, '#!/bin/sh\necho "sync: error syncing" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const result = await syncFileSystem(dir, { binaries: [failing], kernelRelease: '6.1.0' });
    expect(result).toEqual({
      ok: false,
      reason: `${failing}: exit 1 sync: error syncing`,
    });
  });

  it('does not use syncfs off Linux or on kernels before 5.8', async () => {
    const other = await syncFileSystem(dir, { platform: 'darwin', kernelRelease: '23.0.0' });
    expect(other).toEqual({ ok: false, reason: 'not Linux (darwin)' });
    const old = await syncFileSystem(dir, { platform: 'linux', kernelRelease: '5.4.0' });
    expect(old.ok).toBe(false);
  });
});

describe('makeDurable', () => {
  it('uses one syncfs of the file system for many files', async () => {
    const sync = recording(true);
    expect(await makeDurable(dir, { files, dirs: [dir] }, { syncFileSystem: sync })).toBe('syncfs');
    expect(sync.calls).toEqual([dir]);
  });

  it('fsyncs each file and directory when syncfs is unavailable or fails', async () => {
    const sync = recording(false);
    expect(await makeDurable(dir, { files, dirs: [dir] }, { syncFileSystem: sync })).toBe('fsync');
    expect(sync.calls).toEqual([dir]);
  });

  it('fsyncs a few files directly, without starting a process', async () => {
    const sync = recording(true);
    const few = files.slice(0, SYNCFS_MIN_FILES - 1);
    expect(await makeDurable(dir, { files: few, dirs: [dir] }, { syncFileSystem: sync })).toBe(
      'fsync',
    );
    expect(sync.calls).toEqual([]);
  });

  it('reports a file that cannot be fsynced as IO_FAILED', async () => {
    const missing = [...files, join(dir, 'missing')];
    expect(
      await codeOf(
        makeDurable(dir, { files: missing, dirs: [dir] }, { syncFileSystem: recording(false) }),
      ),
    ).toBe('IO_FAILED');
  });

  it('never follows a link in the fallback (IO_FAILED)', async () => {
    const link = join(dir, 'link');
    await fsp.symlink(files[0]!, link);
    try {
      expect(await codeOf(makeDurable(dir, { files: [link], dirs: [] }))).toBe('IO_FAILED');
    } finally {
      await fsp.unlink(link);
    }
  });
});

describe('makeDurable after a failed early flush', () => {
  it('fsyncs each path even for many files (fsyncEach)', async () => {
    const sync = recording(true);
    expect(
      await makeDurable(dir, { files, dirs: [dir] }, { syncFileSystem: sync, fsyncEach: true }),
    ).toBe('fsync');
    expect(sync.calls).toEqual([]);
  });
});

describe('EarlyFlush', () => {
  /** A syncFileSystem whose calls stay pending until released. */
  function gated(ok: boolean) {
    const calls: string[] = [];
    const releases: Array<() => void> = [];
    const run: SyncFileSystem = (path) => {
      calls.push(path);
      return new Promise((resolve) =>
        releases.push(() => resolve(ok ? { ok: true } : { ok: false, reason: 'EIO' })),
      );
    };
    return { run, calls, release: () => releases.shift()?.() };
  }

  it('starts a flush every EARLY_FLUSH_BYTES, never two at once', async () => {
    const sync = gated(true);
    const flush = new EarlyFlush(dir, sync.run);
    flush.staged(EARLY_FLUSH_BYTES - 1);
    expect(sync.calls).toEqual([]);
    flush.staged(EARLY_FLUSH_BYTES);
    flush.staged(EARLY_FLUSH_BYTES * 3);
    expect(sync.calls).toEqual([dir]);
    sync.release();
    await new Promise((resolve) => setImmediate(resolve));
    flush.staged(EARLY_FLUSH_BYTES * 3);
    expect(sync.calls).toEqual([dir, dir]);
    const settled = flush.settle();
    sync.release();
    expect(await settled).toBe(true);
  });

  it('settles at once when nothing was flushed', async () => {
    expect(await new EarlyFlush(dir, gated(true).run).settle()).toBe(true);
  });

  it('reports a failed flush, so the staged files are fsynced one by one', async () => {
    const sync = gated(false);
    const flush = new EarlyFlush(dir, sync.run);
    flush.staged(EARLY_FLUSH_BYTES);
    const settled = flush.settle();
    sync.release();
    expect(await settled).toBe(false);
  });
});
