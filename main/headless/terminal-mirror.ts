// The headless UI's live mirror of the engineer's terminals: what the
// engineer's shell prints is shown here too, prefixed so it cannot be
// mistaken for the agent's own prompts.
import type { Writable } from 'node:stream';
import type { AgentSessionServices } from '../session-services';

/** Mirrors terminal output and lifecycle onto `output`. */
export function mirrorTerminals(services: AgentSessionServices, output: Writable): void {
  const terminals = services.terminals;
  terminals.on('started', (info: { terminalId: string; mode: string; cwd: string }) => {
    output.write(`\n[terminal ${info.terminalId} started: ${info.mode}, in ${info.cwd}]\n`);
  });
  terminals.on('output', (terminalId: string, bytes: Buffer) => {
    // Control sequences are made harmless: the mirror must not repaint this UI.
    const text = bytes
      .toString('utf8')
      .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
    for (const line of text.split(/\r?\n/))
      if (line) output.write(`[terminal ${terminalId}] ${line}\n`);
  });
  terminals.on('exited', (terminalId: string, end: unknown) => {
    output.write(`[terminal ${terminalId} ended: ${JSON.stringify(end)}]\n`);
  });
}
