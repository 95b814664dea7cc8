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

/** Printable ASCII and tab: text that visibleLine returns unchanged. */
const PLAIN = /^[\t\x20-\x7e]*$/;
/** A batch with nothing to drop or show escaped: printable ASCII, tabs and line ends only. */
const PLAIN_BATCH = /^[\t\n\r\x20-\x7e]*$/;

/** `visibleLine`, without its per-character work for the common plain-ASCII line (same result). */
function shown(line: string): string {
  return PLAIN.test(line) ? line : visibleLine(line);
}

/**
 * The mirror's text for `decoded`: each line without carriage returns,
 * prefixed, empty lines left out. A plain batch (a bulk `cat`) takes a few
 * whole-string replacements instead of a pass per line.
 */
function mirrorText(prefix: string, decoded: string): string {
  if (PLAIN_BATCH.test(decoded)) {
    const body = decoded
      .replaceAll('\r', '')
      .replace(/\n{2,}/g, '\n')
      .replace(/^\n|\n$/g, '');
    return body ? `${prefix}${body.replaceAll('\n', `\n${prefix}`)}\n` : '';
  }
  let text = '';
  for (const line of withoutEscapes(decoded).split(/\r?\n/)) {
    const bare = line.replaceAll('\r', '');
    if (bare) text += `${prefix}${shown(bare)}\n`;
  }
  return text;
}

/** Mirrors terminal output and lifecycle onto `output`. */
export function mirrorTerminals(services: AgentSessionServices, output: Writable): void {
  const terminals = services.terminals;
  terminals.on('started', (info: { terminalId: string; mode: string; cwd: string }) => {
    output.write(`\n[terminal ${info.terminalId} started: ${info.mode}, in ${info.cwd}]\n`);
  });
  terminals.on('output', (terminalId: string, bytes: Buffer) => {
    // Escape sequences are dropped and other invisible characters shown as
    // ⟨U+XXXX⟩: the mirror must not repaint or spoof this UI. One write per
    // batch of output, however many lines it holds.
    const text = mirrorText(`[terminal ${terminalId}] `, bytes.toString('utf8'));
    if (text) output.write(text);
  });
  terminals.on('exited', (terminalId: string, end: unknown) => {
    output.write(`[terminal ${terminalId} ended: ${JSON.stringify(end)}]\n`);
  });
}
