// What the target looks like for a fix: for each file, whether it exists and
// its hash; which directories the fix must create. Links are refused at every
// component below the target root (issue 5: "no links of any kind"), so a
// symlink planted in the target cannot redirect a write outside it.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../protocol/identity';
import { promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import type { FixManifest } from '../../protocol/fixes';
import { FIX_IO_CONCURRENCY, mapLimit } from './concurrency';
import { collisionKey } from './fix-paths';
import {
  CONTROL_ABORT,
  CONTROL_SLOTS,
  deserializeError,
  type HashDone,
} from './fix-worker-protocol';
import { runFixJob } from './fix-worker-pool';

/** Top-level name inside a target root the agent keeps its work in when the data dir is on another file system. */
export const TARGET_WORK_DIR_NAME = '.assent-fix-work';

/** The state of one target file before the fix. */
export interface TargetFileState {
  readonly path: string;
  readonly absolute: string;
  readonly exists: boolean;
  readonly size?: number;
  readonly sha256?: string;
}

export interface TargetState {
  readonly files: readonly TargetFileState[];
  /** Directories to create, outermost first (absolute). */
  readonly createDirs: readonly string[];
}

function conflict(message: string, path?: string): AssentError {
  return new AssentError(
    'FIX_TARGET_CONFLICT',
    message,
    path === undefined ? undefined : { details: { path } },
  );
}

/** Staged files to create ahead, empty, and the array that counts them (fix-worker-protocol.ts PRECREATE_*). */
export interface Precreate {
  readonly paths: readonly string[];
  readonly control: SharedArrayBuffer;
}

/**
 * sha256 of each file, hashed in order by the fix worker (hash-job.ts), or
 * the error each gave (its errno code kept: ENOENT, ELOOP, ...). The last
 * component is never followed. With `stopAtError`, files after the first
 * error are left out.
 */
export async function hashFiles(
  files: ReadonlyArray<{ readonly path: string; readonly size?: number | undefined }>,
  options: {
    readonly stopAtError?: boolean;
    readonly signal?: AbortSignal | undefined;
    /** First create these empty staged files (verify.ts `precreated`). */
    readonly precreate?: Precreate | undefined;
  } = {},
): Promise<Array<{ sha256: string } | { error: Error }>> {
  if (files.length === 0 && !options.precreate) return [];
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const abort = () => Atomics.store(control, CONTROL_ABORT, 1);
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const done = await runFixJob<HashDone>(
      {
        kind: 'hash',
        files: files.map((f) => ({ path: f.path, size: f.size })),
        stopAtError: options.stopAtError ?? false,
        control: control.buffer as SharedArrayBuffer,
        precreate: options.precreate,
      },
      () => undefined,
    );
    return done.outcomes.map((o) =>
      'sha256' in o ? { sha256: o.sha256 } : { error: deserializeError(o.error) },
    );
  } catch (err) {
    options.signal?.throwIfAborted();
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
}

async function lstatOrNull(path: string) {
  try {
    return await fsp.lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AssentError('IO_FAILED', `Cannot inspect ${path}.`, { cause: err });
  }
}

/** A file's lstat (or its error), or what an earlier inspection found. */
type Prefetched = { stats: Stats | null } | { error: unknown } | { known: TargetFileState };

/** The result of a prefetched lstatOrNull, or its error thrown now. */
function statOf(result: { stats: Stats | null } | { error: unknown }): Stats | null {
  if ('error' in result) throw result.error;
  return result.stats;
}

/** Checks that the target root is a real directory whose path has no links. */
export async function checkTargetRoot(root: string): Promise<void> {
  let real: string;
  try {
    real = await fsp.realpath(root);
  } catch (cause) {
    throw new AssentError('FIX_TARGET_CONFLICT', `The target root ${root} does not exist.`, {
      cause,
    });
  }
  if (real !== root)
    throw conflict(`The target root ${root} goes through a symbolic link (it is ${real}).`, root);
  const st = await fsp.lstat(root);
  if (!st.isDirectory()) throw conflict(`The target root ${root} is not a directory.`, root);
}

/**
 * Inspects the target for `manifest` without changing anything (hashing the
 * existing files unless `hash: false`). Throws
 * FIX_TARGET_CONFLICT when a file to add exists, a file to replace or remove
 * is missing or not a regular file, or a directory on the way is a link or a
 * file.
 */
export async function inspectTarget(
  manifest: FixManifest,
  options: {
    hash?: boolean;
    /**
     * An earlier inspection of the same manifest (apply: before staging).
     * Its files to replace or remove are not lstatted again: the hash opens
     * each without following a link and refuses what is no longer a regular
     * file. Directories on the way and files to add are checked again.
     */
    inspected?: TargetState;
    /** Before hashing, create these staged files for the payload worker (apply). */
    precreate?: Precreate;
  } = {},
): Promise<TargetState> {
  const root = manifest.targetRoot;
  await checkTargetRoot(root);
  // The files' lstats run together up front (one at a time, 1,000 of them cost more than
  // hashing); the checks below still read them in manifest order, so the same conflict is reported.
  const fileStats = await mapLimit(
    manifest.files,
    FIX_IO_CONCURRENCY,
    (entry, index): Promise<Prefetched> => {
      const known = options.inspected?.files[index];
      if (entry.op !== 'add' && known?.exists && known.path === entry.path)
        return Promise.resolve({ known });
      return lstatOrNull(join(root, entry.path)).then(
        (stats) => ({ stats }),
        (error: unknown) => ({ error }),
      );
    },
  );
  const dirState = new Map<string, 'dir' | 'missing'>();
  const createDirs: string[] = [];
  const files: TargetFileState[] = [];
  for (const [index, entry] of manifest.files.entries()) {
    const parts = entry.path.split('/');
    if (collisionKey(parts[0]!) === collisionKey(TARGET_WORK_DIR_NAME))
      throw new AssentError(
        'FIX_PATH_UNSAFE',
        `${entry.path} is inside the agent's reserved ${TARGET_WORK_DIR_NAME}.`,
        {
          details: { path: entry.path, why: 'reserved name' },
        },
      );
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      dir = join(dir, part);
      let state = dirState.get(dir);
      if (state === undefined) {
        const parentMissing = dirState.get(join(dir, '..')) === 'missing';
        const st = parentMissing ? null : await lstatOrNull(dir);
        if (st && !st.isDirectory())
          throw conflict(
            `${dir} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}.`,
            entry.path,
          );
        state = st ? 'dir' : 'missing';
        dirState.set(dir, state);
        if (state === 'missing') {
          if (entry.op !== 'add')
            throw conflict(`${entry.path} does not exist (its directory is missing).`, entry.path);
          createDirs.push(dir);
        }
      }
    }
    const absolute = join(root, entry.path);
    const prefetched = fileStats[index]!;
    if ('known' in prefetched) {
      files.push(prefetched.known);
      continue;
    }
    const st = dirState.get(join(absolute, '..')) === 'missing' ? null : statOf(prefetched);
    if (entry.op === 'add') {
      if (st) throw conflict(`${entry.path} already exists; the fix adds it.`, entry.path);
      files.push({ path: entry.path, absolute, exists: false });
      continue;
    }
    if (!st)
      throw conflict(
        `${entry.path} does not exist; the fix ${entry.op === 'remove' ? 'removes' : 'replaces'} it.`,
        entry.path,
      );
    if (!st.isFile())
      throw conflict(
        `${entry.path} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}.`,
        entry.path,
      );
    files.push({
      path: entry.path,
      absolute,
      exists: true,
      size: st.size,
    });
  }
  if (options.hash === false) return { files, createDirs };
  return { files: await hashExisting(files, options.precreate), createDirs };
}

/** Errors of opening or reading a file that is no longer the regular file inspected. */
const NOT_A_REGULAR_FILE = new Set(['ENOENT', 'ELOOP', 'EISDIR', 'ENXIO', 'EAGAIN', 'ENOTDIR']);

/** The files with the hash of each that exists; FIX_TARGET_CONFLICT when one is no longer a regular file. */
async function hashExisting(
  files: readonly TargetFileState[],
  precreate: Precreate | undefined,
): Promise<TargetFileState[]> {
  const existing = files.filter((f) => f.exists);
  const outcomes = await hashFiles(
    existing.map((f) => ({ path: f.absolute, size: f.size })),
    { stopAtError: true, precreate },
  );
  const hashes = new Map<TargetFileState, string>();
  for (const [i, outcome] of outcomes.entries()) {
    const file = existing[i]!;
    if ('sha256' in outcome) {
      hashes.set(file, outcome.sha256);
      continue;
    }
    const code = (outcome.error as NodeJS.ErrnoException).code;
    if (code !== undefined && NOT_A_REGULAR_FILE.has(code))
      throw conflict(`${file.path} changed while the fix was prepared (${code}).`, file.path);
    throw outcome.error;
  }
  return files.map((f) => (f.exists ? { ...f, sha256: hashes.get(f)! } : f));
}

/** sha256 of what the target holds for the fix's files (path and hash, or null when absent): bound by the grant. */
export function targetDigest(state: TargetState): string {
  const body = canonicalJson(state.files.map((f) => [f.path, f.sha256 ?? null]));
  return createHash('sha256').update(body).digest('hex');
}
