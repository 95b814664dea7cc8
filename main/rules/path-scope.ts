// Path matching for roots, scopes and denied globs. Everything matches on
// parsed components, never on raw string prefixes (`/a/b` covers `/a/b/c`,
// not `/a/bc`). Two directions of caution:
//  - "is under" decides what may be ALLOWED, so it follows the file system:
//    case-sensitive on Linux, case-insensitive on Windows and macOS (whose
//    default volumes are), and it refuses anything not absolute and clean.
//  - denied globs decide what is REFUSED, so they match case-insensitively
//    on every platform, treat `\` as a separator too, and a glob that
//    matches a directory also denies everything inside it.

/** The platforms whose path rules differ. */
export type PathPlatform = 'posix' | 'win32' | 'darwin';

/** The path rules of the running machine. */
export function currentPathPlatform(): PathPlatform {
  if (process.platform === 'win32') return 'win32';
  if (process.platform === 'darwin') return 'darwin';
  return 'posix';
}

/**
 * The components of an absolute, clean path, or null when the path is not
 * one (relative, `.`/`..` components, NUL, empty components in the middle).
 * Windows paths keep their drive or UNC host as the first component.
 */
export function absoluteComponents(path: string, platform: PathPlatform): string[] | null {
  if (path.length === 0 || path.includes('\0')) return null;
  let rest = path;
  let head: string;
  if (platform === 'win32') {
    rest = rest.replace(/\\/g, '/');
    const drive = /^([A-Za-z]:)(\/|$)/.exec(rest);
    if (drive) {
      head = drive[1]!.toUpperCase();
      rest = rest.slice(drive[0].length);
    } else if (rest.startsWith('//') && !rest.startsWith('//?/') && !rest.startsWith('//./')) {
      const [host, share, ...more] = rest.slice(2).split('/');
      if (!host || !share) return null;
      head = `//${host}/${share}`;
      rest = more.join('/');
    } else return null;
  } else {
    if (!rest.startsWith('/')) return null;
    head = '';
    rest = rest.slice(1);
  }
  const parts = rest === '' ? [] : rest.split('/');
  // One trailing slash is tolerated (`/a/b/`); any other empty component is not clean.
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  for (const part of parts) if (part === '' || part === '.' || part === '..') return null;
  return head === '' ? parts : [head, ...parts];
}

function sameComponent(a: string, b: string, platform: PathPlatform): boolean {
  if (platform === 'posix') return a === b;
  return a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();
}

/** True when `path` is `root` or inside it, compared component-wise. Unclean paths are never under anything. */
/** True when there is at least one path and every one is under `prefix` (never when there is no prefix). */
export function allPathsUnder(
  paths: readonly string[],
  prefix: string | undefined,
  platform: PathPlatform,
): boolean {
  return (
    prefix !== undefined && paths.length > 0 && paths.every((p) => isPathUnder(p, prefix, platform))
  );
}

export function isPathUnder(
  path: string,
  root: string,
  platform: PathPlatform = currentPathPlatform(),
): boolean {
  const p = absoluteComponents(path, platform);
  const r = absoluteComponents(root, platform);
  if (!p || !r || r.length > p.length) return false;
  return r.every((part, i) => sameComponent(part, p[i]!, platform));
}

/** A compiled denied glob. */
export interface CompiledGlob {
  readonly glob: string;
  readonly regex: RegExp;
}

/**
 * Compiles a glob: `**` spans any number of components (also none), `*` and
 * `?` stay inside one component, a leading `/` anchors nothing more than the
 * leading `**` would. The regex also matches everything below a match.
 */
export function compileGlob(glob: string): CompiledGlob {
  // A trailing `/**` names the directory itself too: the suffix below covers what is inside.
  const pattern = glob
    .replace(/\\/g, '/')
    .replace(/^\/+/, '')
    .replace(/\/\*\*$/, '');
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      const atStart = i === 0 || pattern[i - 1] === '/';
      if (atStart && pattern[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // `/**` alone denies everything.
  if (pattern === '') source = '.*';
  // `(?:/.*)?`: a glob that names a directory denies what is inside it.
  return { glob, regex: new RegExp(`^${source}(?:/.*)?$`, 'is') };
}

/** The form of a path that denied globs are matched against: `/` separators, no leading slash, NFC. */
export function globSubject(path: string): string {
  return path.normalize('NFC').replace(/\\/g, '/').replace(/^\/+/, '');
}

/** Denied globs compiled once, with one combined regex for the common case: nothing matches. */
export interface GlobSet {
  readonly globs: readonly CompiledGlob[];
  readonly any: RegExp;
}

/** Compiles a list of globs into a set. */
export function globSet(globs: readonly CompiledGlob[]): GlobSet {
  const any =
    globs.length === 0
      ? /(?!)/
      : new RegExp(globs.map((g) => `(?:${g.regex.source})`).join('|'), 'is');
  return { globs, any };
}

/** The first glob that denies `path`, if any (also tries the NFD form, as macOS stores names). */
export function firstDeniedGlob(
  path: string,
  set: GlobSet | readonly CompiledGlob[],
): { index: number; glob: string } | null {
  const { globs, any } = 'any' in set ? set : globSet(set);
  const nfc = globSubject(path);
  // Only non-ASCII names have a different NFD form.
  const nfd = /[^ -~]/.test(nfc) ? nfc.normalize('NFD') : nfc;
  if (!any.test(nfc) && (nfd === nfc || !any.test(nfd))) return null;
  for (let i = 0; i < globs.length; i++) {
    const g = globs[i]!;
    if (g.regex.test(nfc) || (nfd !== nfc && g.regex.test(nfd))) return { index: i, glob: g.glob };
  }
  return null;
}
