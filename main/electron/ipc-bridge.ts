// Registers the IPC handler table with ipcMain (one handle per invoke
// channel of the contract) and forwards events to the main window.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { INVOKE_CHANNELS, eventChannelName, invokeChannelName } from '../../protocol/ipc';
import type { IpcHandlerTable } from '../ipc/handler-table';
import type { IpcSenderInfo } from '../ipc/sender-check';

/** What the table needs to know about the caller of `event`. */
export function senderInfo(event: IpcMainInvokeEvent): IpcSenderInfo {
  const frame = event.senderFrame;
  return {
    webContentsId: event.sender.id,
    frameUrl: frame?.url ?? '',
    isMainFrame: frame !== null && frame === event.sender.mainFrame,
  };
}

/** Wires `table` to ipcMain and `window`; returns a function that unwires it. */
export function bridgeIpc(table: IpcHandlerTable, window: BrowserWindow): () => void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(invokeChannelName(channel), (event, payload: unknown) =>
      table.invoke(senderInfo(event), channel, payload),
    );
  }
  const stop = table.forwardEvents((event, payload) => {
    if (!window.isDestroyed()) window.webContents.send(eventChannelName(event), payload);
  });
  return () => {
    stop();
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(invokeChannelName(channel));
  };
}
