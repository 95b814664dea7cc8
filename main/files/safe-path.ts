// The file system half of path safety (issue 3, "Path safety"). A requested
// path, already clean (path-syntax.ts), is placed under one allowed root;
// the real path of its parent is resolved and must stay under the root's
// real path; the final component is then opened relative to the opened
// parent directory, never following a link, and the result re-verified:
//
//  - On Linux `/proc/self/fd/N/name` resolves `name` inside the directory
//    that descriptor N refers to (the kernel's magic link), which is Node's
//    only way to an `openat()`: a directory swapped for a symlink after the
//    check cannot redirect the open. After the open, the real path of the
//    directory descriptor (readlink of /proc/self/fd/N) must still be the
//    one checked, which catches an ancestor renamed out of the root.
//  - Elsewhere the same checks run on plain paths (a narrower race window,
//    not none; stated in docs/protocol.md).
import { constants, existsSync, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import { pathError } from './path-error';
import { parseRequestedPath, type PathSyntaxPlatform } from './path-syntax';

export { pathError };

const PROC_FD = '/proc/self/fd';
/** True where `/proc/self/fd/N/name` gives descriptor-relative opens. */
export const DESCRIPTOR_RELATIVE = process.platform === 'linux' && existsSync(PROC_FD);

/** A requested path placed under its root. */
export interface ResolvedPath {
  /** What the approver sees and the digest binds: the root as the rules write it, then the real components below it. */
  readonly canonical: string;
  /** The root as the rules write it. */
  readonly root: string;
  /** Real path of the root. */
  readonly realRoot: string;
  /** Real path of the parent directory (of the root itself when `name` is ''). */
  readonly realParent: string;
  /** Final component; '' when the path is the root itself. */
  readonly name: string;
  /** realParent + name (the real root when `name` is ''). */
  readonly real: string;
}

function components(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}

function isUnder(child: string[], parent: string[]): boolean {
  return parent.length <= child.length && parent.every((p, i) => p === child[i]);
}

/**
 * Places `requested` under the first root (as written, or as its real path)
 * that contains it, and resolves the real path of its parent, which must
 * stay under the root's real path. Changes nothing on disk.
 */
export async function resolvePath(
  requested: string,
  roots: readonly string[],
  platform?: PathSyntaxPlatform,
): Promise<ResolvedPath> {
  const parts = parseRequestedPath(requested, platform);
  for (const root of roots) {
    const rootParts = components(root);
    let realRoot: string;
    try {
      realRoot = await fsp.realpath(root);
    } catch {
      continue;
    }
    const realRootParts = components(realRoot);
    const base = isUnder(parts, rootParts)
      ? rootParts.length
      : isUnder(parts, realRootParts)
        ? realRootParts.length
        : -1;
    if (base < 0) continue;
    const rel = parts.slice(base);
    const shownRoot = `/${rootParts.join('/')}`;
    if (rel.length === 0)
      return {
        canonical: shownRoot,
        root,
        realRoot,
        realParent: realRoot,
        name: '',
        real: realRoot,
      };
    const name = rel[rel.length - 1]!;
    const parentPath = join(realRoot, ...rel.slice(0, -1));
    let realParent: string;
    try {
      realParent = await fsp.realpath(parentPath);
    } catch (err) {
      throw pathError(err, requested);
    }
    const realParentParts = components(realParent);
    if (!isUnder(realParentParts, realRootParts))
      throw new AssentError('FILE_OUTSIDE_ROOT', `${requested} leads outside ${root}.`, {
        details: { path: requested, root },
      });
    const below = realParentParts.slice(realRootParts.length);
    return {
      canonical: `/${[...rootParts, ...below, name].join('/')}`,
      root,
      realRoot,
      realParent,
      name,
      real: join(realParent, name),
    };
  }
  throw new AssentError('FILE_OUTSIDE_ROOT', `${requested} is not under an allowed root.`, {
    details: { path: requested },
  });
}

/** An opened directory that entries are resolved against (the parent of a target, or a listed directory). */
export class OpenedDirectory {
  private constructor(
    private readonly handle: FileHandle,
    /** The real path this directory was checked to be at. */
    readonly real: string,
    private readonly realRoot: string,
  ) {}

  /** Opens `path` (real, or descriptor-relative) as a directory without following a final link, and verifies it. */
  static async open(
    path: string,
    expectedReal: string,
    realRoot: string,
  ): Promise<OpenedDirectory> {
    let handle: FileHandle;
    try {
      handle = await fsp.open(
        path,
        constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW,
      );
    } catch (err) {
      throw pathError(err, expectedReal);
    }
    const dir = new OpenedDirectory(handle, expectedReal, realRoot);
    try {
      await dir.verify();
    } catch (err) {
      await handle.close();
      throw err;
    }
    return dir;
  }

  /** The path that reaches this directory (descriptor-relative where available). */
  get path(): string {
    return DESCRIPTOR_RELATIVE ? `${PROC_FD}/${this.handle.fd}` : this.real;
  }

  /** The path of one entry inside this directory. */
  entry(name: string): string {
    if (name === '' || name.includes('/')) throw new TypeError(`not a single name: ${name}`);
    return `${this.path}/${name}`;
  }

  /** Throws FILE_RACE_DETECTED unless the opened directory is still at its checked real path, under the root. */
  async verify(): Promise<void> {
    let now: string;
    try {
      now = DESCRIPTOR_RELATIVE
        ? await fsp.readlink(`${PROC_FD}/${this.handle.fd}`)
        : await fsp.realpath(this.real);
    } catch (err) {
      throw pathError(err, this.real);
    }
    const st = await this.handle.stat();
    const atPath = await fsp.lstat(this.real).catch(() => null);
    const rootParts = components(this.realRoot);
    if (
      now !== this.real ||
      !isUnder(components(now), rootParts) ||
      !atPath ||
      atPath.dev !== st.dev ||
      atPath.ino !== st.ino
    )
      throw new AssentError(
        'FILE_RACE_DETECTED',
        `The directory ${this.real} was replaced while it was being used.`,
        { details: { path: this.real } },
      );
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/** Opens the parent directory of a resolved path (the root itself when the path is the root). */
export function openParent(target: ResolvedPath): Promise<OpenedDirectory> {
  return OpenedDirectory.open(target.realParent, target.realParent, target.realRoot);
}

/** Opens the directory a resolved path names (for listing and searching). */
export async function openTargetDirectory(target: ResolvedPath): Promise<OpenedDirectory> {
  if (target.name === '') return openParent(target);
  const parent = await openParent(target);
  try {
    const st = await lstatEntry(parent, target.name, target.canonical);
    if (st.isSymbolicLink())
      throw new AssentError('FILE_SYMLINK_REFUSED', `${target.canonical} is a symbolic link.`);
    if (!st.isDirectory())
      throw new AssentError('FILE_NOT_DIRECTORY', `${target.canonical} is not a directory.`);
    return await OpenedDirectory.open(parent.entry(target.name), target.real, target.realRoot);
  } finally {
    await parent.close();
  }
}

/** lstat of an entry of an opened directory; FILE_NOT_FOUND when absent. */
export async function lstatEntry(
  dir: OpenedDirectory,
  name: string,
  shown: string,
): Promise<Stats> {
  try {
    return await fsp.lstat(dir.entry(name));
  } catch (err) {
    throw pathError(err, shown);
  }
}

/** True when nothing (not even a dangling link) exists at an entry. */
export async function entryIsAbsent(dir: OpenedDirectory, name: string): Promise<boolean> {
  try {
    await fsp.lstat(dir.entry(name));
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw pathError(err, join(dir.real, name));
  }
}

/** An opened regular file with the stat it was verified against. */
export interface OpenedFile {
  readonly handle: FileHandle;
  readonly stat: Stats;
}

/**
 * Opens a regular file inside an opened directory: never a link (O_NOFOLLOW),
 * never a fifo or device (lstat first; O_NONBLOCK so a fifo swapped in
 * cannot block), never a file with other hard links; the opened descriptor
 * must be the same dev/ino as the lstat, and the directory is re-verified.
 */
export async function openRegularFile(
  dir: OpenedDirectory,
  name: string,
  shown: string,
  flags: number = constants.O_RDONLY,
): Promise<OpenedFile> {
  const before = await lstatEntry(dir, name, shown);
  if (before.isSymbolicLink())
    throw new AssentError('FILE_SYMLINK_REFUSED', `${shown} is a symbolic link.`, {
      details: { path: shown },
    });
  if (!before.isFile())
    throw new AssentError('FILE_NOT_REGULAR', `${shown} is not a regular file.`, {
      details: { path: shown },
    });
  if (before.nlink > 1)
    throw new AssentError('FILE_HARDLINK_REFUSED', `${shown} has ${before.nlink} hard links.`, {
      details: { path: shown },
    });
  let handle: FileHandle;
  try {
    handle = await fsp.open(dir.entry(name), flags | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw pathError(err, shown);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.dev !== before.dev || st.ino !== before.ino || st.nlink !== 1)
      throw new AssentError('FILE_RACE_DETECTED', `${shown} was replaced while it was opened.`, {
        details: { path: shown },
      });
    await dir.verify();
    return { handle, stat: st };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** Type of an lstat as the protocol names it. */
export function fileTypeOf(st: Stats): 'file' | 'directory' | 'symlink' | 'other' {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  return 'other';
}
