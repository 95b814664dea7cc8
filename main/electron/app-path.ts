// Maps an app:// URL to a file inside the packaged renderer folder. Refuses
// anything that could leave that folder: `..` in any encoding, backslashes,
// NUL, absolute and drive forms, other hosts and schemes. Pure (no electron).
import { extname, join, normalize, relative, sep, isAbsolute } from 'node:path';
import { AssentError } from '../../protocol/errors/index';
import { APP_HOST, APP_SCHEME } from './security-policy';

/** Longest URL path accepted. */
export const MAX_APP_PATH_CHARS = 1024;

const refuse = (url: string, why: string): never => {
  throw new AssentError('APP_PATH_REFUSED', `app:// request refused (${why}).`, {
    details: { url: url.slice(0, 200) },
  });
};

/** The absolute file path for `url` under `root`; throws APP_PATH_REFUSED. `/` maps to index.html. */
export function resolveAppPath(root: string, url: string): string {
  if (!isAbsolute(root)) throw new TypeError('root must be an absolute path');
  if (url.length > MAX_APP_PATH_CHARS) refuse(url, 'too long');
  // Inspect the raw text first: URL parsing would quietly resolve `..` and `\`.
  const schemeEnd = `${APP_SCHEME}://${APP_HOST}/`;
  if (!url.startsWith(schemeEnd)) refuse(url, 'wrong scheme or host');
  const rawPath = url.slice(schemeEnd.length).split(/[?#]/, 1)[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return refuse(url, 'bad percent-encoding');
  }
  if (decoded.includes('\0')) refuse(url, 'NUL byte');
  if (decoded.includes('\\')) refuse(url, 'backslash');
  if (/%/.test(decoded)) refuse(url, 'double encoding');
  if (/^[a-zA-Z]:/.test(decoded) || decoded.startsWith('/')) refuse(url, 'absolute path');
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) refuse(url, 'dot segment');
  if (segments.some((s, i) => s === '' && i !== segments.length - 1)) refuse(url, 'empty segment');
  const relativePath = decoded === '' || decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const full = normalize(join(root, relativePath));
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    refuse(url, 'outside the renderer folder');
  }
  return full;
}

const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** Content type by extension; unknown files are served as opaque bytes. */
export function appContentType(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
