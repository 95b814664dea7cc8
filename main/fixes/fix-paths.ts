// Path rules for fix packages (issue 5: "every path: no absolute paths, no
// `..`, no links of any kind, no duplicates, no case collisions, size
// limits"). A fix path is relative to the target root, `/`-separated, and is
// judged on its own text before anything touches the disk.
import { MAX_FIX_NAME_BYTES, MAX_FIX_PATH_BYTES, MAX_FIX_PATH_DEPTH } from '../../protocol/fixes';
import { AssentError } from '../../protocol/errors';

// Names Windows reserves in any directory (with or without an extension).
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;
// Controls, DEL, backslash, colon (NTFS streams, drive letters) and the characters Windows refuses.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f\\:*?"<>|]/;
// Bidi overrides and zero-width characters that make a name look like another.
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

function unsafe(path: string, why: string): AssentError {
  return new AssentError(
    'FIX_PATH_UNSAFE',
    `Unsafe path in the fix: ${JSON.stringify(path)} (${why}).`,
    {
      details: { path: path.slice(0, 300), why },
    },
  );
}

/**
 * Checks one relative fix path and returns its components. Throws
 * FIX_PATH_UNSAFE for absolute paths, `.`/`..` components, empty components,
 * backslashes, drive letters, NUL and control characters, invisible
 * characters, device names, trailing dots or spaces, and overlong names.
 */
export function checkFixPath(path: string): string[] {
  if (path.length === 0) throw unsafe(path, 'empty');
  if (Buffer.byteLength(path, 'utf8') > MAX_FIX_PATH_BYTES) throw unsafe(path, 'too long');
  if (path.normalize('NFC') !== path) throw unsafe(path, 'not in Unicode NFC form');
  if (path.startsWith('/')) throw unsafe(path, 'absolute');
  if (/^[A-Za-z]:/.test(path)) throw unsafe(path, 'drive letter');
  if (FORBIDDEN_CHARS.test(path)) throw unsafe(path, 'forbidden character');
  if (INVISIBLE.test(path)) throw unsafe(path, 'invisible character');
  const parts = path.split('/');
  if (parts.length > MAX_FIX_PATH_DEPTH) throw unsafe(path, 'too deep');
  for (const part of parts) {
    if (part === '') throw unsafe(path, 'empty component');
    if (part === '.' || part === '..') throw unsafe(path, 'dot component');
    if (Buffer.byteLength(part, 'utf8') > MAX_FIX_NAME_BYTES) throw unsafe(path, 'name too long');
    if (/[. ]$/.test(part)) throw unsafe(path, 'name ends with a dot or space');
    if (WINDOWS_DEVICE.test(part)) throw unsafe(path, 'device name');
  }
  return parts;
}

/** The key two paths collide on when a file system ignores case or normalization. */
export function collisionKey(path: string): string {
  return path.normalize('NFKC').toLowerCase().normalize('NFKC').toUpperCase();
}

/**
 * Checks a whole set of fix paths: each path, no duplicates, no two paths that
 * differ only by case, and no path that is a directory of another (a file
 * `a` and a file `a/b` cannot both exist).
 */
export function checkFixPathSet(paths: readonly string[]): void {
  const keys = new Map<string, string>();
  for (const path of paths) {
    checkFixPath(path);
    const key = collisionKey(path);
    const seen = keys.get(key);
    if (seen !== undefined) {
      throw unsafe(
        path,
        seen === path ? 'duplicate' : `collides by case with ${JSON.stringify(seen)}`,
      );
    }
    keys.set(key, path);
  }
  for (const path of paths) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = collisionKey(parts.slice(0, i).join('/'));
      if (keys.has(prefix))
        throw unsafe(path, `its directory ${JSON.stringify(keys.get(prefix))} is also a file`);
    }
  }
}
