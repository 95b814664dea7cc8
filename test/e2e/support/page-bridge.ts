// Runs in the page (bundled as an IIFE init script): builds `window.assent`
// with the preload's own builder, over a binding to the IPC handler table in
// the test process instead of ipcRenderer.
import { buildAssentApi } from '../../../preload/api';
import { API_GLOBAL, type IpcReply } from '../../../protocol/ipc';

type Page = Record<string, unknown> & {
  __assentInvoke(channel: string, payload: unknown): Promise<IpcReply>;
};
const page = globalThis as unknown as Page;
const handlers = new Map<string, Set<(payload: unknown) => void>>();

page.__assentEmit = (event: string, payload: unknown) => {
  for (const handler of handlers.get(event) ?? []) handler(payload);
};

const api = buildAssentApi({
  invoke: (channel, payload) => page.__assentInvoke(channel, payload),
  on(event, handler) {
    let set = handlers.get(event);
    if (set === undefined) handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  },
});
Object.defineProperty(page, API_GLOBAL, { value: api, enumerable: true });
