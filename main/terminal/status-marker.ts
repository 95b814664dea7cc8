// Strips the supervised shell's exit-status markers (shell-environment.ts)
// from its output and reports the statuses, across chunk boundaries. Works
// on the bytes: output with no marker in it is passed on as a view of the
// chunk, without a copy.
import { STATUS_MARKER_PREFIX, STATUS_MARKER_SUFFIX } from './shell-environment';

const PREFIX = Buffer.from(STATUS_MARKER_PREFIX, 'latin1');
const SUFFIX = STATUS_MARKER_SUFFIX.charCodeAt(0);
/** The byte every marker starts with. */
const ESC = PREFIX[0]!;
/** A marker longer than this is not ours: its bytes pass through as output. */
const MAX_MARKER_BYTES = PREFIX.length + 16;
const NONE: readonly number[] = Object.freeze([]);
const EMPTY = Buffer.alloc(0);

/** Output with markers removed, and the exit statuses they carried, in order. */
export interface FilteredOutput {
  readonly output: Buffer;
  readonly statuses: readonly number[];
}

/** Stateful filter over one pty's output bytes. */
export class StatusMarkerFilter {
  /** The start of a marker, held until the next chunk tells whether it is one. */
  private carry: Buffer = EMPTY;

  feed(chunk: Buffer): FilteredOutput {
    // Output without an escape character (most bulk output) holds no marker
    // nor the start of one.
    if (this.carry.length === 0 && chunk.indexOf(ESC) < 0) return { output: chunk, statuses: NONE };
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    this.carry = EMPTY;
    const parts: Buffer[] = [];
    const statuses: number[] = [];
    for (let at = 0; ;) {
      const i = data.indexOf(PREFIX, at);
      if (i < 0) {
        const keep = partialPrefixLength(data, at);
        parts.push(data.subarray(at, data.length - keep));
        this.carry = Buffer.from(data.subarray(data.length - keep));
        break;
      }
      parts.push(data.subarray(at, i));
      const j = data.indexOf(SUFFIX, i + PREFIX.length);
      if (j < 0) {
        if (data.length - i <= MAX_MARKER_BYTES) {
          this.carry = Buffer.from(data.subarray(i));
          break;
        }
        parts.push(data.subarray(i, i + 1));
        at = i + 1;
        continue;
      }
      const code = data.toString('latin1', i + PREFIX.length, j);
      if (/^\d{1,3}$/.test(code)) statuses.push(Number(code));
      else parts.push(data.subarray(i, j + 1));
      at = j + 1;
    }
    const output = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    return { output, statuses: statuses.length > 0 ? statuses : NONE };
  }

  /** Whatever is held back (at the end of the terminal). */
  flush(): Buffer {
    const rest = this.carry;
    this.carry = EMPTY;
    return rest;
  }
}

/** How many bytes at the end of `data` (from `from` on) could start a marker. */
function partialPrefixLength(data: Buffer, from: number): number {
  const start = Math.max(from, data.length - (PREFIX.length - 1));
  for (let at = data.indexOf(ESC, start); at >= 0; at = data.indexOf(ESC, at + 1))
    if (data.compare(PREFIX, 0, data.length - at, at) === 0) return data.length - at;
  return 0;
}
