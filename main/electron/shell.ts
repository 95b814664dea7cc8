// The desktop shell: single instance, app:// protocol, guards, one window,
// a tray that shows the session state, notifications for consent requests,
// and a close that cannot silently leave a session running. It decides
// nothing itself: the core and the IPC handler table do.
import { join } from 'node:path';
import { app, dialog, Menu, Notification, Tray, nativeImage, type BrowserWindow } from 'electron';
import type { SessionPhase } from '../../protocol/ipc';
import type { DesktopCore } from '../ipc/desktop-core';
import { createIpcHandlerTable } from '../ipc/handler-table';
import { registerAppScheme, serveRenderer } from './app-protocol';
import { bridgeIpc } from './ipc-bridge';
import { bringForward, createMainWindow } from './main-window';
import { installNavigationGuards } from './navigation-guard';
import { APP_ORIGIN } from './security-policy';
import { SHELL_STRINGS, pickLocale, type ShellStrings } from './shell-strings';
import { closeNeedsConfirmation, trayState, type TrayState } from './tray-state';

export interface ShellPaths {
  /** Folder of the built renderer (index.html). */
  readonly rendererRoot: string;
  readonly preloadPath: string;
  /** The window icon (PNG). */
  readonly iconPath: string;
  /** Folder with tray-<state>.png. */
  readonly trayDir: string;
}

/** Starts the shell around `core` (call once, from the main entry, before `ready`). */
export function startDesktopShell(createCore: () => Promise<DesktopCore>, paths: ShellPaths): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();
  installNavigationGuards();

  let window: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (window !== null) bringForward(window);
  });
  app.on('window-all-closed', () => app.quit());

  void app.whenReady().then(async () => {
    const core = await createCore();
    const strings = SHELL_STRINGS[pickLocale(app.getLocale())];
    serveRenderer(paths.rendererRoot);
    const table = createIpcHandlerTable(core, {
      onInternalError: (err, channel) => console.error(`assent: IPC ${channel} failed`, err),
    });
    const win = createMainWindow({
      preloadPath: paths.preloadPath,
      iconPath: paths.iconPath,
      title: 'Assent',
    });
    window = win;
    table.setTrustedWindow({ webContentsId: win.webContents.id, origin: APP_ORIGIN });
    const unbridge = bridgeIpc(table, win);
    const tray = createTray(paths.trayDir, strings, core, win);

    let phase: SessionPhase = (await core.sessionState({})).phase;
    let pending = 0;
    const refresh = (): void => tray.show(trayState(phase, pending));
    refresh();
    const stopEvents = core.subscribe((event) => {
      if (event.event === 'sessionChanged') {
        phase = event.payload.phase;
        if (!closeNeedsConfirmation(phase)) pending = 0;
      } else if (event.event === 'consentRequested') {
        pending += 1;
        notifyConsent(strings, win);
      } else if (event.event === 'consentResolved') {
        pending = Math.max(0, pending - 1);
      } else {
        return;
      }
      refresh();
    });

    let closing = false;
    win.on('close', (event) => {
      if (closing || !closeNeedsConfirmation(phase)) return;
      event.preventDefault();
      void dialog
        .showMessageBox(win, {
          type: 'warning',
          title: strings.closeTitle,
          message: strings.closeMessage,
          buttons: [strings.closeKeep, strings.closeEnd],
          defaultId: 0,
          cancelId: 0,
          noLink: true,
        })
        .then(async ({ response }) => {
          if (response !== 1) return;
          await core.sessionEnd({});
          closing = true;
          win.close();
        });
    });
    win.on('closed', () => {
      stopEvents();
      unbridge();
      table.setTrustedWindow(null);
      tray.destroy();
      window = null;
    });
  });
}

function notifyConsent(strings: ShellStrings, window: BrowserWindow): void {
  if (Notification.isSupported()) {
    const note = new Notification({ title: strings.consentTitle, body: strings.consentBody });
    note.on('click', () => bringForward(window));
    note.show();
  }
  bringForward(window);
}

interface ShellTray {
  show(state: TrayState): void;
  destroy(): void;
}

function createTray(
  trayDir: string,
  strings: ShellStrings,
  core: DesktopCore,
  window: BrowserWindow,
): ShellTray {
  const icon = (state: TrayState) => nativeImage.createFromPath(join(trayDir, `tray-${state}.png`));
  const tray = new Tray(icon('idle'));
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: strings.openWindow, click: () => bringForward(window) },
      { label: strings.endSession, click: () => void core.sessionEnd({}) },
    ]),
  );
  tray.on('click', () => bringForward(window));
  return {
    show(state) {
      tray.setImage(icon(state));
      const tooltip =
        state === 'consent-pending'
          ? strings.tray['consent-pending']
          : strings.tray[phaseOf(state)];
      tray.setToolTip(tooltip);
    },
    destroy: () => tray.destroy(),
  };
}

const phaseOf = (state: Exclude<TrayState, 'consent-pending'>): SessionPhase =>
  state === 'waiting' ? 'waiting-for-engineer' : state;
