// Strips the supervised shell's exit-status markers (shell-environment.ts)
// from its output and reports the statuses, across chunk boundaries.
import { STATUS_MARKER_PREFIX, STATUS_MARKER_SUFFIX } from './shell-environment';

/** The byte every marker starts with. */
const ESC = 0x1b;
const NONE: readonly number[] = Object.freeze([]);

/** A marker longer than this is not ours: its bytes pass through as output. */
const MAX_MARKER_CHARS = STATUS_MARKER_PREFIX.length + 16;

/** Output with markers removed, and the exit statuses they carried, in order. */
export interface FilteredOutput {
  readonly output: Buffer;
  readonly statuses: readonly number[];
}

/** Stateful filter over one pty's output bytes. */
export class StatusMarkerFilter {
  private carry = '';

  feed(chunk: Buffer): FilteredOutput {
    // Output without an escape character (most bulk output) holds no marker
    // nor the start of one: passed on as it is, without a copy.
    if (this.carry === '' && chunk.indexOf(ESC) < 0) return { output: chunk, statuses: NONE };
    // latin1 maps bytes 1:1 to code units, so slicing never splits a byte.
    let s = this.carry + chunk.toString('latin1');
    this.carry = '';
    let out = '';
    const statuses: number[] = [];
    for (;;) {
      const i = s.indexOf(STATUS_MARKER_PREFIX);
      if (i < 0) {
        const keep = partialPrefixLength(s);
        out += s.slice(0, s.length - keep);
        this.carry = s.slice(s.length - keep);
        break;
      }
      out += s.slice(0, i);
      const j = s.indexOf(STATUS_MARKER_SUFFIX, i + STATUS_MARKER_PREFIX.length);
      if (j < 0) {
        if (s.length - i <= MAX_MARKER_CHARS) {
          this.carry = s.slice(i);
          break;
        }
        out += s[i];
        s = s.slice(i + 1);
        continue;
      }
      const code = s.slice(i + STATUS_MARKER_PREFIX.length, j);
      if (/^\d{1,3}$/.test(code)) statuses.push(Number(code));
      else out += s.slice(i, j + 1);
      s = s.slice(j + 1);
    }
    return { output: Buffer.from(out, 'latin1'), statuses };
  }

  /** Whatever is held back (at the end of the terminal). */
  flush(): Buffer {
    const rest = Buffer.from(this.carry, 'latin1');
    this.carry = '';
    return rest;
  }
}

function partialPrefixLength(s: string): number {
  for (let k = Math.min(s.length, STATUS_MARKER_PREFIX.length - 1); k > 0; k--)
    if (STATUS_MARKER_PREFIX.startsWith(s.slice(s.length - k))) return k;
  return 0;
}
