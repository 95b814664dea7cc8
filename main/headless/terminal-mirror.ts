// The headless UI's live mirror of the engineer's terminals: what the
// engineer's shell prints is shown here too, prefixed so it cannot be
// mistaken for the agent's own prompts.
import type { Writable } from 'node:stream';
import type { AgentSessionServices } from '../session-services';
import { visibleLine } from '../../protocol/visible-text';

const ESC = String.fromCharCode(0x1b);
/** CSI and OSC sequences (colours, cursor moves, titles). */
const ESCAPES = new RegExp(
  `${ESC}\\[[0-9;?]*[ -/]*[@-~]|${ESC}\\][^${String.fromCharCode(7)}]*(?:${String.fromCharCode(7)}|${ESC}\\\\)|${ESC}[@-_]`,
  'g',
);

function withoutEscapes(text: string): string {
  return text.replace(ESCAPES, '');
}

/** Mirrors terminal output and lifecycle onto `output`. */
export function mirrorTerminals(services: AgentSessionServices, output: Writable): void {
  const terminals = services.terminals;
  terminals.on('started', (info: { terminalId: string; mode: string; cwd: string }) => {
    output.write(`\n[terminal ${info.terminalId} started: ${info.mode}, in ${info.cwd}]\n`);
  });
  terminals.on('output', (terminalId: string, bytes: Buffer) => {
    // Escape sequences are dropped and other invisible characters shown as
    // ⟨U+XXXX⟩: the mirror must not repaint or spoof this UI.
    for (const line of withoutEscapes(bytes.toString('utf8')).split(/\r?\n/)) {
      if (line)
        output.write(`[terminal ${terminalId}] ${visibleLine(line.replaceAll('\r', ''))}\n`);
    }
  });
  terminals.on('exited', (terminalId: string, end: unknown) => {
    output.write(`[terminal ${terminalId} ended: ${JSON.stringify(end)}]\n`);
  });
}
