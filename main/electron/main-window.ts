// The one window of the app, with the secure preferences of
// security-policy.ts, loading the renderer from app://.
import { BrowserWindow } from 'electron';
import { APP_ENTRY_URL, SECURE_WEB_PREFERENCES } from './security-policy';

export interface MainWindowOptions {
  readonly preloadPath: string;
  readonly iconPath: string;
  readonly title: string;
}

/** Creates the main window (shown when ready, to avoid a white flash). */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 560,
    minHeight: 480,
    show: false,
    title: options.title,
    icon: options.iconPath,
    autoHideMenuBar: true,
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: options.preloadPath },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_ENTRY_URL);
  return window;
}

/** Brings the window to the front (a consent request is waiting). */
export function bringForward(window: BrowserWindow): void {
  if (window.isDestroyed()) return;
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
  window.flashFrame(true);
}
