// The lexical half of path safety (issue 3, "Path safety"): a requested path
// must be absolute and clean before the file system is asked anything. Every
// form that some layer (a URL decoder, Windows, Unicode normalization) could
// turn into `..`, another drive or a device is refused outright rather than
// normalized, so there is only one reading of an accepted path.
import { AssentError } from '../../protocol/errors';
import { MAX_NAME_BYTES, MAX_PATH_CHARS } from '../../protocol/files';

/** Path rules of a platform (same names as main/rules/path-scope.ts). */
export type PathSyntaxPlatform = 'posix' | 'win32' | 'darwin';

/** Windows device names, refused as a component (also with an extension, e.g. `NUL.txt`). */
const WINDOWS_DEVICES =
  /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)(\..*)?$/i;
/** An unpaired UTF-16 surrogate (String.prototype.isWellFormed is ES2024). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Trees of kernel objects, never files to read or change. */
const DEVICE_TREES = ['dev', 'proc', 'sys'];

function invalid(reason: string): AssentError {
  return new AssentError('FILE_PATH_INVALID', `The path is refused: ${reason}.`, {
    details: { reason },
  });
}

/** Repeatedly percent-decodes `text`; null when a sequence is not valid UTF-8 (overlong forms such as %c0%ae). */
function percentDecoded(text: string): string | null {
  let current = text;
  for (let i = 0; i < 4 && /%[0-9a-f]{2}/i.test(current); i++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      return null;
    }
  }
  return current;
}

/** Why one component is refused, or null. */
function componentProblem(name: string, platform: PathSyntaxPlatform): string | null {
  if (name === '.' || name === '..') return `"${name}" component`;
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES)
    return `a component is longer than ${MAX_NAME_BYTES} bytes`;
  const decoded = percentDecoded(name);
  if (decoded === null) return 'an invalid percent-encoding (overlong UTF-8)';
  // NFKC folds fullwidth and small dots (U+FF0E, U+FE52), one- and two-dot leaders (U+2024, U+2025).
  const folded = decoded.normalize('NFKC');
  if (/[/\\]/.test(folded)) return 'an encoded separator';
  if (/^[.\s]*$/.test(folded)) return 'a component made only of dots or spaces (an encoded "..")';
  if (folded.includes('\0')) return 'an encoded NUL';
  if (platform === 'win32') {
    if (name.includes(':')) return 'an alternate data stream or drive (":")';
    if (WINDOWS_DEVICES.test(name.replace(/[ .]+$/, ''))) return 'a Windows device name';
    if (/[ .]$/.test(name)) return 'a trailing dot or space (Windows strips it)';
    if (/[<>"|?*]/.test(name)) return 'a character Windows does not allow';
  }
  return null;
}

/**
 * Checks a requested path and returns its components. Throws
 * FILE_PATH_INVALID for: not a string or empty, longer than MAX_PATH_CHARS,
 * NUL, ill-formed UTF-16 (a lone surrogate would name a different file once
 * encoded), backslashes, Windows absolute/UNC/`\\?\`/drive-relative forms,
 * relative paths, `.`/`..` in any encoding, empty components, overlong
 * components, device names and the `/dev`, `/proc`, `/sys` trees.
 */
export function parseRequestedPath(
  path: unknown,
  platform: PathSyntaxPlatform = process.platform === 'win32' ? 'win32' : 'posix',
): string[] {
  if (typeof path !== 'string' || path.length === 0) throw invalid('empty');
  if (path.length > MAX_PATH_CHARS) throw invalid(`longer than ${MAX_PATH_CHARS} characters`);
  if (path.includes('\0')) throw invalid('a NUL character');
  if (LONE_SURROGATE.test(path)) throw invalid('an unpaired UTF-16 surrogate');
  if (path.includes('\\')) throw invalid('a backslash (Windows separator)');
  if (/^[A-Za-z]:/.test(path)) throw invalid('a Windows drive form');
  if (path.startsWith('//')) throw invalid('a UNC or device namespace form');
  if (!path.startsWith('/')) throw invalid('not absolute');
  const parts = path.slice(1).split('/');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  for (const part of parts) {
    if (part === '') throw invalid('an empty component ("//")');
    const problem = componentProblem(part, platform);
    if (problem) throw invalid(problem);
  }
  if (parts.length > 0 && DEVICE_TREES.includes(parts[0]!)) throw invalid(`under /${parts[0]}`);
  return parts;
}

/** Checks one new name (rename target component, restore name) the same way. */
export function assertValidName(name: string, platform?: PathSyntaxPlatform): void {
  if (name.includes('/')) throw invalid('a separator inside a name');
  parseRequestedPath(`/${name}`, platform);
}
