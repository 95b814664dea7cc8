// Builds a recording's JSON lines as bytes in one reused buffer, handed on
// in pieces of at most JSON_LINE_BUFFER_BYTES: an event of a 128 KiB batch of
// ASCII output is escaped byte by byte straight into the buffer, with no
// string made of the batch, no JSON.stringify of it and no buffer made of
// that string (together about half the agent's recording cost in a bulk
// `cat`). The escapes are JSON.stringify's: `\"`, `\\`, `\b \t \n \f \r`, and
// `\u00xx` for the other control characters; every other ASCII byte is itself.
// Non-ASCII text goes through JSON.stringify (`json`).

/** Size of the reused buffer: a few pieces per full output batch. */
export const JSON_LINE_BUFFER_BYTES = 64 * 1024;

/** Longest escape of one byte (`\u00xx`). */
const LONGEST_ESCAPE = 6;

/** For each byte: 0 = copied as is, 1 = `\u00xx`, else the letter after the backslash. */
const ESCAPE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) ESCAPE[c] = 1;
for (const [c, letter] of [
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x22, '"'],
  [0x5c, '\\'],
] as const)
  ESCAPE[c] = letter.charCodeAt(0);

/** A slice of input shorter than this is not worth a pass: the buffer is written out first. */
const MIN_SLICE_BYTES = 1024;

const BACKSLASH = 0x5c;
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Escapes ASCII `bytes[from..to)` into `out` at `at` (room for six bytes
 * each is the caller's to ensure); returns the end of what it wrote.
 */
function escapeAscii(bytes: Uint8Array, from: number, to: number, out: Buffer, at: number): number {
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    const escape = ESCAPE[c]!;
    if (escape === 0) out[at++] = c;
    else if (escape !== 1) {
      out[at] = BACKSLASH;
      out[at + 1] = escape;
      at += 2;
    } else {
      out[at] = BACKSLASH;
      out[at + 1] = 0x75; // u
      out[at + 2] = 0x30;
      out[at + 3] = 0x30;
      out[at + 4] = HEX[c >> 4]!;
      out[at + 5] = HEX[c & 15]!;
      at += 6;
    }
  }
  return at;
}

/** Writes JSON text into a reused buffer and hands it to `sink` when full or at `end`. */
export class JsonLineWriter {
  private readonly buffer = Buffer.allocUnsafe(JSON_LINE_BUFFER_BYTES);
  private used = 0;

  constructor(private readonly sink: (bytes: Buffer) => void) {}

  /** Raw JSON text (the caller's own syntax, or JSON.stringify's output). */
  json(text: string): void {
    if (this.used + text.length * 3 > this.buffer.length) this.flush();
    if (text.length * 3 > this.buffer.length) {
      this.sink(Buffer.from(text, 'utf8'));
      return;
    }
    this.used += this.buffer.write(text, this.used, 'utf8');
  }

  /** The JSON string body (without quotes) of ASCII `bytes`. */
  asciiString(bytes: Uint8Array): void {
    // In slices that fit the buffer even if every byte took the longest escape,
    // so the escaping loop needs no bounds check (a third faster).
    for (let from = 0; from < bytes.length;) {
      let room = Math.floor((this.buffer.length - this.used) / LONGEST_ESCAPE);
      if (room < MIN_SLICE_BYTES) {
        this.flush();
        room = Math.floor(this.buffer.length / LONGEST_ESCAPE);
      }
      const to = Math.min(bytes.length, from + room);
      this.used = escapeAscii(bytes, from, to, this.buffer, this.used);
      from = to;
    }
  }

  /** Hands on what is buffered. */
  end(): void {
    this.flush();
  }

  private flush(): void {
    if (this.used === 0) return;
    const bytes = this.buffer.subarray(0, this.used);
    this.used = 0;
    this.sink(bytes);
  }
}
