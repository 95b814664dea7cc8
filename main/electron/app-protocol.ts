// Serves the built renderer from app://renderer/ (never file://), with the
// CSP on every response. Paths are resolved by app-path.ts, which refuses
// traversal.
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { isAssentError } from '../../protocol/errors/index';
import { appContentType, resolveAppPath } from './app-path';
import { APP_RESPONSE_HEADERS, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './security-policy';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } },
  ]);
}

/** Serves files of `rendererRoot` on the app scheme. */
export function serveRenderer(rendererRoot: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET') return new Response(null, { status: 405 });
    let path: string;
    try {
      path = resolveAppPath(rendererRoot, request.url);
    } catch (err: unknown) {
      if (isAssentError(err, 'APP_PATH_REFUSED')) return new Response(null, { status: 404 });
      throw err;
    }
    try {
      const body = await readFile(path);
      return new Response(body, {
        status: 200,
        headers: { ...APP_RESPONSE_HEADERS, 'Content-Type': appContentType(path) },
      });
    } catch {
      return new Response(null, { status: 404 });
    }
  });
}
