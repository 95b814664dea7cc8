// Who may call the IPC handlers: only the main frame of the app's own window,
// on the app origin (HOUSE-STYLE: every IPC listener drops untrusted senders,
// after GitHub Desktop's trusted-ipc-sender). Plain data in, verdict out, so
// Electron and the e2e harness share it.
import { AssentError } from '../../protocol/errors/index';

/** What the shell knows about the caller of an IPC message. */
export interface IpcSenderInfo {
  /** id of the sending WebContents. */
  readonly webContentsId: number;
  /** URL of the frame that sent the message. */
  readonly frameUrl: string;
  /** True when the sending frame is the top-level frame of its WebContents. */
  readonly isMainFrame: boolean;
}

/** The one window allowed to talk to the core. */
export interface TrustedWindow {
  readonly webContentsId: number;
  /** e.g. `app://renderer` (scheme and host, no path). */
  readonly origin: string;
}

/** True when `sender` is the main frame of the trusted window, on the app origin. */
export function isTrustedSender(sender: IpcSenderInfo, trusted: TrustedWindow | null): boolean {
  if (trusted === null) return false;
  if (sender.webContentsId !== trusted.webContentsId || !sender.isMainFrame) return false;
  let url: URL;
  try {
    url = new URL(sender.frameUrl);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  // For non-special schemes `URL.origin` is "null", so compare scheme and host.
  return `${url.protocol}//${url.host}` === trusted.origin;
}

/** Throws IPC_UNTRUSTED_SENDER unless `sender` is trusted. */
export function assertTrustedSender(sender: IpcSenderInfo, trusted: TrustedWindow | null): void {
  if (!isTrustedSender(sender, trusted)) {
    throw new AssentError('IPC_UNTRUSTED_SENDER', undefined, {
      details: { frameUrl: sender.frameUrl.slice(0, 200), webContentsId: sender.webContentsId },
    });
  }
}
