// Forwards the output of the session's terminals to the window's read-only
// mirror, decoded as UTF-8 across chunk boundaries.
import { StringDecoder } from 'node:string_decoder';
import type { SessionTerminals, TerminalStarted } from '../terminal/session-terminals';
import type { CoreEvent } from './desktop-core';

/** Mirrors every terminal of `terminals` as `terminalOutput` events; returns a stop function. */
export function mirrorTerminals(
  terminals: SessionTerminals,
  emit: (event: CoreEvent) => void,
): () => void {
  const live = new Map<string, { mode: TerminalStarted['mode']; decoder: StringDecoder }>();
  const onStarted = (info: TerminalStarted) =>
    live.set(info.terminalId, { mode: info.mode, decoder: new StringDecoder('utf8') });
  const onOutput = (terminalId: string, bytes: Buffer) => {
    const entry = live.get(terminalId);
    if (entry === undefined) return;
    const data = entry.decoder.write(bytes);
    if (data !== '')
      emit({ event: 'terminalOutput', payload: { terminalId, mode: entry.mode, data } });
  };
  const onExited = (terminalId: string) => live.delete(terminalId);
  terminals.on('started', onStarted);
  terminals.on('output', onOutput);
  terminals.on('exited', onExited);
  return () => {
    terminals.off('started', onStarted);
    terminals.off('output', onOutput);
    terminals.off('exited', onExited);
  };
}
