// Access to the preload's API (`window.assent`), typed from the contract.
import { API_GLOBAL, ipcErrorParts, type AssentApi } from '../protocol/ipc';

/** The API the preload exposed. */
export function assentApi(): AssentApi {
  const api = (window as unknown as Record<string, AssentApi | undefined>)[API_GLOBAL];
  if (api === undefined) throw new Error('The Assent bridge is missing (preload not loaded).');
  return api;
}

/** The stable code of a failed call, if any. */
export function errorCode(err: unknown): string | null {
  return ipcErrorParts(err)?.code ?? null;
}

/** The readable text of a failed call. */
export function errorText(err: unknown): string {
  return ipcErrorParts(err)?.text ?? (err instanceof Error ? err.message : String(err));
}
