// The headless UI's live mirror of the engineer's terminals: what the
// engineer's shell prints is shown here too, prefixed so it cannot be
// mistaken for the agent's own prompts.
//
// The mirror is a live view for the approver, not a second recording (the
// recording keeps every byte, docs/terminal.md). It shows a terminal's output
// at most once per MIRROR_INTERVAL_MS, and of what came meanwhile at most the
// last MIRROR_TAIL_BYTES: output that comes faster than a person could read
// (a `cat` of a large file, tens of MB/s) is shown as a line saying how many
// bytes were left out, then its most recent lines, instead of costing the
// agent as much work again as sending it. Output that comes at a reading pace
// (an echo, a prompt, a build log) is shown whole: the first batch after a
// quiet spell at once, the rest at the end of the interval.
import type { Writable } from 'node:stream';
import type { AgentSessionServices } from '../session-services';
import { visibleLine } from '../../protocol/visible-text';

/** Shortest time between two showings of one terminal's output. */
export const MIRROR_INTERVAL_MS = 50;
/**
 * Most output shown per showing: 16 KiB per 50 ms (320 KiB/s, a few thousand
 * lines a second) is shown whole, far beyond what anyone reads live.
 */
export const MIRROR_TAIL_BYTES = 16 * 1024;

export interface MirrorOptions {
  readonly intervalMs?: number;
  readonly tailBytes?: number;
  readonly now?: () => number;
}

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
 * prefixed, empty lines left out. A plain batch takes a few whole-string
 * replacements instead of a pass per line.
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

/**
 * Where a tail cut at `bytes[0]` may start: after its first line end when
 * there is one (so no line or escape sequence is shown from its middle),
 * else at the first byte that starts a UTF-8 character.
 */
function tailStart(bytes: Buffer): number {
  const newline = bytes.indexOf(0x0a);
  if (newline >= 0) return newline + 1;
  let at = 0;
  while (at < bytes.length && (bytes[at]! & 0xc0) === 0x80) at++;
  return at;
}

/** One terminal's output waiting to be shown: the most recent bytes, and how many were left out. */
class PendingOutput {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private skipped = 0;
  timer: NodeJS.Timeout | null = null;
  lastShown = -Infinity;

  constructor(private readonly tailBytes: number) {}

  /** Holds `chunk`; drops whole chunks that the tail no longer needs (bounded memory). */
  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0]!.length >= this.tailBytes) {
      const dropped = this.chunks.shift()!;
      this.bytes -= dropped.length;
      this.skipped += dropped.length;
    }
  }

  /** The held output and the bytes left out before it; empties the holder. */
  take(): { data: Buffer; skipped: number } {
    let data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
    let skipped = this.skipped;
    if (data.length > this.tailBytes) {
      skipped += data.length - this.tailBytes;
      data = data.subarray(data.length - this.tailBytes);
    }
    if (skipped > 0) {
      const start = tailStart(data);
      skipped += start;
      data = data.subarray(start);
    }
    this.chunks = [];
    this.bytes = 0;
    this.skipped = 0;
    return { data, skipped };
  }
}

/** Mirrors terminal output and lifecycle onto `output`. */
export function mirrorTerminals(
  services: AgentSessionServices,
  output: Writable,
  options: MirrorOptions = {},
): void {
  const intervalMs = options.intervalMs ?? MIRROR_INTERVAL_MS;
  const tailBytes = options.tailBytes ?? MIRROR_TAIL_BYTES;
  const now = options.now ?? (() => performance.now());
  const terminals = services.terminals;
  const pending = new Map<string, PendingOutput>();

  const show = (terminalId: string, held: PendingOutput): void => {
    held.timer = null;
    held.lastShown = now();
    const { data, skipped } = held.take();
    const prefix = `[terminal ${terminalId}] `;
    // Escape sequences are dropped and other invisible characters shown as
    // ⟨U+XXXX⟩: the mirror must not repaint or spoof this UI. One write per
    // showing, however many lines it holds.
    const note =
      skipped > 0 ? `${prefix}… ${skipped} bytes of output not shown (too fast) …\n` : '';
    const text = note + mirrorText(prefix, data.toString('utf8'));
    if (text) output.write(text);
  };

  terminals.on('started', (info: { terminalId: string; mode: string; cwd: string }) => {
    output.write(`\n[terminal ${info.terminalId} started: ${info.mode}, in ${info.cwd}]\n`);
  });
  terminals.on('output', (terminalId: string, bytes: Buffer) => {
    let held = pending.get(terminalId);
    if (held === undefined) pending.set(terminalId, (held = new PendingOutput(tailBytes)));
    held.add(bytes);
    if (held.timer !== null) return;
    const wait = held.lastShown + intervalMs - now();
    if (wait <= 0) show(terminalId, held);
    else held.timer = setTimeout(() => show(terminalId, held), wait);
  });
  terminals.on('exited', (terminalId: string, end: unknown) => {
    const held = pending.get(terminalId);
    pending.delete(terminalId);
    if (held?.timer) {
      clearTimeout(held.timer);
      show(terminalId, held);
    }
    output.write(`[terminal ${terminalId} ended: ${JSON.stringify(end)}]\n`);
  });
}
