// Makes many staged files durable at once (issue 5 benchmark). One fsync(2)
// per file costs a journal commit each; one syncfs(2) of the file system that
// holds them writes back every dirty inode and directory of that file system,
// commits the journal once and flushes the device cache, which is everything
// the per-file fsyncs guaranteed. Node has no syncfs binding, so coreutils'
// `sync --file-system` (`sync -f`, which calls syncfs on the path it opens)
// runs it, by absolute path and without a shell. Wherever that cannot be
// trusted to report a failure (not Linux, Linux before 5.8, where syncfs
// returned 0 even when writeback failed; no `sync` binary; any non-zero
// exit), every file and directory is fsynced one by one instead, which also
// names the file a write error belongs to.
import { execFile } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import { release } from 'node:os';
import { fileSystemError } from '../../platform/atomic-file';
import { FIX_IO_CONCURRENCY, mapLimit } from './concurrency';

/** Where coreutils keeps `sync`: absolute paths, so no PATH entry can stand in for it. */
export const SYNC_BINARIES: readonly string[] = ['/usr/bin/sync', '/bin/sync'];

/** Below this many files, fsyncing each is cheaper than starting a process for one syncfs. */
export const SYNCFS_MIN_FILES = 32;

/** The first Linux release whose syncfs(2) reports writeback errors (5.8: per-superblock errseq). */
const SYNCFS_REPORTS_ERRORS = [5, 8] as const;

/** Whether one syncfs ran and succeeded, or why not. */
export type SyncFsResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Runs syncfs(2) for the file system holding `path`; never throws. */
export type SyncFileSystem = (path: string) => Promise<SyncFsResult>;

/** Whether a kernel release string (`os.release()`) is Linux 5.8 or later. */
export function syncfsReportsErrors(kernelRelease: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!match) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  const [wantMajor, wantMinor] = SYNCFS_REPORTS_ERRORS;
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

function runSync(binary: string, path: string): Promise<SyncFsResult> {
  return new Promise((resolve) => {
    execFile(binary, ['-f', path], { env: {}, windowsHide: true }, (err, _out, stderr) => {
      if (!err) {
        resolve({ ok: true });
        return;
      }
      const what = err.signal
        ? `killed by ${err.signal}`
        : typeof err.code === 'number'
          ? `exit ${err.code}`
          : String(err.code ?? err.message);
      resolve({ ok: false, reason: `${binary}: ${what} ${String(stderr).trim()}`.trim() });
    });
  });
}

/**
 * syncfs(2) through `sync -f`, trying each of `binaries` that exists. Only
 * on Linux 5.8 or later (`platform`, `kernelRelease` for tests); otherwise,
 * or when no binary runs and exits 0, the result says why not.
 */
export async function syncFileSystem(
  path: string,
  options: {
    readonly binaries?: readonly string[];
    readonly platform?: NodeJS.Platform;
    readonly kernelRelease?: string;
  } = {},
): Promise<SyncFsResult> {
  const platform = options.platform ?? process.platform;
  const kernel = options.kernelRelease ?? release();
  if (platform !== 'linux') return { ok: false, reason: `not Linux (${platform})` };
  if (!syncfsReportsErrors(kernel))
    return { ok: false, reason: `Linux ${kernel} does not report syncfs errors` };
  const reasons: string[] = [];
  for (const binary of options.binaries ?? SYNC_BINARIES) {
    try {
      await fsp.access(binary, constants.X_OK);
    } catch {
      reasons.push(`${binary}: not found`);
      continue;
    }
    const result = await runSync(binary, path);
    if (result.ok) return result;
    reasons.push(result.reason);
    // The binary ran and failed: another copy of it would fail the same way.
    break;
  }
  return { ok: false, reason: reasons.join('; ') || 'no sync binary' };
}

async function fsyncPath(path: string, flags: number): Promise<void> {
  const handle = await fsp.open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Bytes staged between the starts of two early flushes. */
export const EARLY_FLUSH_BYTES = 32 * 1024 * 1024;

/**
 * Starts writeback of what has been staged so far while staging goes on (a
 * syncfs every EARLY_FLUSH_BYTES, one at a time), so the syncfs that makes
 * the staged files durable (makeDurable) finds most of them written already
 * instead of writing 100 MiB while nothing else happens. Only an
 * optimisation: its outcome never stands for durability. A failed flush
 * makes makeDurable fsync every file: the failure may have been the report
 * of a write error of a staged file, which a later syncfs would not repeat.
 */
export class EarlyFlush {
  readonly #path: string;
  readonly #sync: SyncFileSystem;
  #running: Promise<void> | undefined;
  #startedAt = 0;
  #failed = false;

  constructor(path: string, sync: SyncFileSystem = syncFileSystem) {
    this.#path = path;
    this.#sync = sync;
  }

  /** Reports the bytes staged so far; starts a flush when enough is new and none is running. */
  staged(bytes: number): void {
    if (this.#running || bytes - this.#startedAt < EARLY_FLUSH_BYTES) return;
    this.#startedAt = bytes;
    this.#running = this.#sync(this.#path).then((result) => {
      if (!result.ok) this.#failed = true;
      this.#running = undefined;
    });
  }

  /** Waits for a flush still running; true when none failed. Never throws. */
  async settle(): Promise<boolean> {
    await this.#running;
    return !this.#failed;
  }
}

/** Which way the files were made durable. */
export type DurableBy = 'syncfs' | 'fsync';

/**
 * Makes `files` (contents and metadata) and `dirs` (their entries) durable.
 * Every path must be on the file system of `fileSystemPath` (the caller
 * created them all under it). Uses one syncfs for SYNCFS_MIN_FILES files or
 * more, else (or when syncfs is unavailable or fails) fsyncs each path.
 * Throws DISK_FULL or IO_FAILED when an fsync fails.
 */
export async function makeDurable(
  fileSystemPath: string,
  paths: { readonly files: readonly string[]; readonly dirs: readonly string[] },
  options: {
    readonly syncFileSystem?: SyncFileSystem;
    /** Skip syncfs: fsync every path (an early flush failed). */
    readonly fsyncEach?: boolean;
  } = {},
): Promise<DurableBy> {
  if (paths.files.length >= SYNCFS_MIN_FILES && options.fsyncEach !== true) {
    const result = await (options.syncFileSystem ?? syncFileSystem)(fileSystemPath);
    if (result.ok) return 'syncfs';
  }
  try {
    await mapLimit(paths.files, FIX_IO_CONCURRENCY, (file) =>
      fsyncPath(file, constants.O_RDONLY | constants.O_NOFOLLOW),
    );
    await mapLimit(paths.dirs, FIX_IO_CONCURRENCY, (dir) =>
      fsyncPath(dir, constants.O_RDONLY | constants.O_DIRECTORY),
    );
  } catch (err) {
    throw fileSystemError(err, 'making the staged files durable');
  }
  return 'fsync';
}
