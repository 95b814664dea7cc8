// What the target looks like for a fix: for each file, whether it exists and
// its hash; which directories the fix must create. Links are refused at every
// component below the target root (issue 5: "no links of any kind"), so a
// symlink planted in the target cannot redirect a write outside it.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../protocol/identity';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
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
import { NOT_A_REGULAR_FILE_CODE } from './hash-job';

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
 * sha256 and size of each regular file, hashed in order by the fix worker
 * (hash-job.ts), or the error each gave (its errno code kept: ENOENT,
 * ELOOP, EFTYPE for a file that is not regular, ...). The last component is
 * never followed; with `under`, no directory between it and a file may be a
 * link either. With `stopAtError`, files after the first error are left out.
 */
export async function hashFiles(
  files: readonly string[],
  options: {
    readonly stopAtError?: boolean;
    readonly under?: string;
    readonly signal?: AbortSignal | undefined;
    /** First create these empty staged files (verify.ts `precreated`). */
    readonly precreate?: Precreate | undefined;
  } = {},
): Promise<Array<{ sha256: string; size: number } | { error: Error }>> {
  if (files.length === 0 && !options.precreate) return [];
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const abort = () => Atomics.store(control, CONTROL_ABORT, 1);
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    const done = await runFixJob<HashDone>(
      {
        kind: 'hash',
        files,
        under: options.under,
        stopAtError: options.stopAtError ?? false,
        control: control.buffer as SharedArrayBuffer,
        precreate: options.precreate,
      },
      () => undefined,
    );
    return done.outcomes.map((o) =>
      'sha256' in o ? { sha256: o.sha256, size: o.size } : { error: deserializeError(o.error) },
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
 * What the target's layout holds for a fix, found with lstats only: the
 * directories on the way (none may be a link or a file; missing ones are
 * created for files to add) and the files to add (none may exist). Files to
 * replace or remove are not opened here: hashTarget does that.
 */
export interface TargetLayout {
  readonly manifest: FixManifest;
  /** Directories to create, outermost first (absolute). */
  readonly createDirs: readonly string[];
}

/**
 * Checks the target's layout for `manifest` without changing anything.
 * Throws FIX_TARGET_CONFLICT when the root is not a real directory, a
 * directory on the way is a link or a file, a file to replace or remove has
 * no directory, or a file to add exists; FIX_PATH_UNSAFE for a path in the
 * agent's reserved directory.
 */
export async function inspectLayout(manifest: FixManifest): Promise<TargetLayout> {
  const root = manifest.targetRoot;
  await checkTargetRoot(root);
  // The lstats of files to add run together up front; the checks below still read them in
  // manifest order, so the same conflict is reported.
  const addStats = await mapLimit(manifest.files, FIX_IO_CONCURRENCY, (entry) =>
    entry.op !== 'add'
      ? Promise.resolve(undefined)
      : lstatOrNull(join(root, entry.path)).then(
          (stats) => ({ stats }),
          (error: unknown) => ({ error }),
        ),
  );
  const dirState = new Map<string, 'dir' | 'missing'>();
  const createDirs: string[] = [];
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
    const added = addStats[index];
    if (added === undefined || dirState.get(dirname(join(root, entry.path))) === 'missing')
      continue;
    if ('error' in added) throw added.error;
    if (added.stats) throw conflict(`${entry.path} already exists; the fix adds it.`, entry.path);
  }
  return { manifest, createDirs };
}

/** Why a file to replace or remove could not be hashed, said as a conflict; undefined for an I/O error. */
function notRegular(path: string, op: string, code: string | undefined): AssentError | undefined {
  switch (code) {
    case 'ENOENT':
      return conflict(
        `${path} does not exist; the fix ${op === 'remove' ? 'removes' : 'replaces'} it.`,
        path,
      );
    case 'ELOOP':
      return conflict(`${path} is a symbolic link, or a directory on its way is.`, path);
    case 'ENOTDIR':
      return conflict(`${path}: a directory on its way is not a directory.`, path);
    case 'EISDIR':
    case 'ENXIO':
    case 'EAGAIN':
    case NOT_A_REGULAR_FILE_CODE:
      return conflict(`${path} is not a regular file.`, path);
    default:
      return undefined;
  }
}

/**
 * Hashes the files to replace or remove of a checked layout, in the fix
 * worker: each opened without following a link, no directory on its way a
 * link (checked again there just before), refused unless it is a regular
 * file (FIX_TARGET_CONFLICT). With `precreate`, the worker first creates
 * those staged files (apply).
 */
export async function hashTarget(
  layout: TargetLayout,
  options: { readonly precreate?: Precreate; readonly signal?: AbortSignal } = {},
): Promise<TargetState> {
  const { manifest } = layout;
  const root = manifest.targetRoot;
  const existing = manifest.files.flatMap((entry) =>
    entry.op === 'add' ? [] : [join(root, entry.path)],
  );
  const outcomes = await hashFiles(existing, {
    stopAtError: true,
    under: root,
    precreate: options.precreate,
    signal: options.signal,
  });
  let next = 0;
  const files = manifest.files.map((entry): TargetFileState => {
    const absolute = join(root, entry.path);
    if (entry.op === 'add') return { path: entry.path, absolute, exists: false };
    const outcome = outcomes[next++]!;
    if ('error' in outcome) {
      const code = (outcome.error as NodeJS.ErrnoException).code;
      throw notRegular(entry.path, entry.op, code) ?? outcome.error;
    }
    return { path: entry.path, absolute, exists: true, size: outcome.size, sha256: outcome.sha256 };
  });
  return { files, createDirs: layout.createDirs };
}

/**
 * Inspects the target for `manifest` without changing anything: its layout,
 * then the hash of each file to replace or remove (inspectLayout,
 * hashTarget).
 */
export async function inspectTarget(manifest: FixManifest): Promise<TargetState> {
  return hashTarget(await inspectLayout(manifest));
}

/** sha256 of what the target holds for the fix's files (path and hash, or null when absent): bound by the grant. */
export function targetDigest(state: TargetState): string {
  const body = canonicalJson(state.files.map((f) => [f.path, f.sha256 ?? null]));
  return createHash('sha256').update(body).digest('hex');
}
