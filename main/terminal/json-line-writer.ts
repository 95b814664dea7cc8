// Builds a recording's JSON lines as bytes in one reused buffer, handed on
// in pieces of at most JSON_LINE_BUFFER_BYTES: an event of a 256 KiB batch of
// ASCII output is escaped straight into the buffer (four bytes at a time), with no
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

/** Escapes the byte `bytes[i]` into `out` at `at`; returns the end of what it wrote. */
function escapeByte(bytes: Uint8Array, i: number, out: Buffer, at: number): number {
  const c = bytes[i]!;
  const escape = ESCAPE[c]!;
  if (escape === 0) {
    out[at] = c;
    return at + 1;
  }
  out[at] = BACKSLASH;
  if (escape !== 1) {
    out[at + 1] = escape;
    return at + 2;
  }
  out[at + 1] = 0x75; // u
  out[at + 2] = 0x30;
  out[at + 3] = 0x30;
  out[at + 4] = HEX[c >> 4]!;
  out[at + 5] = HEX[c & 15]!;
  return at + 6;
}

/** Nonzero when one of the four bytes of `word` is 0 (exact for any word). */
function hasZeroByte(word: number): number {
  return (word - 0x01010101) & ~word & 0x80808080;
}

/**
 * Escapes ASCII `bytes[from..to)` into `out` at `at` (room for six bytes
 * each is the caller's to ensure); returns the end of what it wrote. Four
 * bytes at a time: a word with no control character, quote or backslash
 * (most of them in text) is copied whole; the test is exact for ASCII bytes.
 */
function escapeAscii(
  bytes: Uint8Array,
  from: number,
  to: number,
  out: Buffer,
  outView: DataView,
  at: number,
): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = from;
  for (const words = to - ((to - from) & 3); i < words; i += 4) {
    const word = view.getUint32(i, true) | 0;
    // A byte below 0x20 (bytes are below 0x80), a quote, a backslash.
    const control = (word - 0x20202020) & ~word & 0x80808080;
    if ((control | hasZeroByte(word ^ 0x22222222) | hasZeroByte(word ^ 0x5c5c5c5c)) === 0) {
      outView.setUint32(at, word, true);
      at += 4;
    } else {
      at = escapeByte(bytes, i, out, at);
      at = escapeByte(bytes, i + 1, out, at);
      at = escapeByte(bytes, i + 2, out, at);
      at = escapeByte(bytes, i + 3, out, at);
    }
  }
  for (; i < to; i++) at = escapeByte(bytes, i, out, at);
  return at;
}

/** Writes JSON text into a reused buffer and hands it to `sink` when full or at `end`. */
export class JsonLineWriter {
  private readonly buffer = Buffer.allocUnsafe(JSON_LINE_BUFFER_BYTES);
  private readonly view = new DataView(
    this.buffer.buffer,
    this.buffer.byteOffset,
    this.buffer.byteLength,
  );
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
      this.used = escapeAscii(bytes, from, to, this.buffer, this.view, this.used);
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
