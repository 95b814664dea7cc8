// The preload of the main window (sandboxed, context-isolated): exposes the
// IPC contract as `window.assent` and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { API_GLOBAL, eventChannelName, invokeChannelName, type IpcReply } from '../protocol/ipc';
import { buildAssentApi } from './api';

const api = buildAssentApi({
  invoke: (channel, payload) =>
    ipcRenderer.invoke(invokeChannelName(channel), payload) as Promise<IpcReply>,
  on(event, handler) {
    const name = eventChannelName(event);
    const listener = (_event: Electron.IpcRendererEvent, payload: unknown): void =>
      handler(payload);
    ipcRenderer.on(name, listener);
    return () => {
      ipcRenderer.removeListener(name, listener);
    };
  },
});

contextBridge.exposeInMainWorld(API_GLOBAL, api);
