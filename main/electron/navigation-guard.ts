// Locks every WebContents down: no navigation, no new windows, no webviews,
// no permissions (issue 6 security list).
import { app, session, shell, type WebContents } from 'electron';
import { isAllowedExternalUrl } from './security-policy';

/** Opens `url` in the user's browser only when it is https (the one wrapper around shell.openExternal). */
export async function openExternalSafely(url: string): Promise<boolean> {
  if (!isAllowedExternalUrl(url)) return false;
  await shell.openExternal(url);
  return true;
}

/** Denies navigation, redirects, window.open, webview attachment. */
export function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Installs the guards for every WebContents and denies every permission request and check. */
export function installNavigationGuards(): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
  const defaultSession = session.defaultSession;
  defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  defaultSession.setPermissionCheckHandler(() => false);
  defaultSession.setDevicePermissionHandler(() => false);
  defaultSession.setDisplayMediaRequestHandler((_request, callback) => callback({}));
}
