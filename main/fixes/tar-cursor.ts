// The fix package reader's view of its input (package-reader.ts): the bytes
// of a file read chunk by chunk into buffers the caller provides and may
// reuse, taken a few at a time (headers) or passed through as views
// (payload files). Nothing here keeps a view of a chunk once the next one
// is read, so a caller may read each chunk into a buffer it reuses.

/** Where chunks are read into. */
export interface PackageChunks {
  /** A buffer for the next chunk; the reader is done with every earlier one. */
  take(): Uint8Array;
  /** The bytes just read into it, before the parser sees them. */
  filled(chunk: Uint8Array): void;
}

/** Bytes read at once by default (the reader on the main thread reads only the header). */
const DEFAULT_CHUNK_BYTES = 64 * 1024;

const EMPTY = new Uint8Array(0);

/** One buffer, reused for every chunk. */
function reusedBuffer(): PackageChunks {
  const buffer = new Uint8Array(DEFAULT_CHUNK_BYTES);
  return { take: () => buffer, filled: () => undefined };
}

/** Sequential access to a file's bytes; `read` counts the bytes read so far. */
export class TarCursor {
  readonly #readInto: (into: Uint8Array) => number;
  readonly #chunks: PackageChunks;
  #chunk: Uint8Array = EMPTY;
  #pos = 0;
  #ended = false;
  read = 0;

  /** `readInto` reads the next bytes into a buffer and returns how many (0 at the end). */
  constructor(readInto: (into: Uint8Array) => number, chunks: PackageChunks = reusedBuffer()) {
    this.#readInto = readInto;
    this.#chunks = chunks;
  }

  /** Bytes left in the current chunk, reading the next when it is used up; 0 at the end. */
  #available(): number {
    while (this.#pos === this.#chunk.length) {
      if (this.#ended) return 0;
      const into = this.#chunks.take();
      const n = this.#readInto(into);
      if (n === 0) {
        this.#ended = true;
        this.#chunk = EMPTY;
        this.#pos = 0;
        return 0;
      }
      this.#chunk = into.subarray(0, n);
      this.#pos = 0;
      this.read += n;
      this.#chunks.filled(this.#chunk);
    }
    return this.#chunk.length - this.#pos;
  }

  /**
   * The next `n` bytes: a view valid until the cursor reads on (copied only
   * when they span two chunks); 'end' when the input ended before them,
   * 'short' when it ended in the middle.
   */
  take(n: number): Uint8Array | 'end' | 'short' {
    if (n === 0) return EMPTY;
    let available = this.#available();
    if (available === 0) return 'end';
    if (available >= n) {
      const view = this.#chunk.subarray(this.#pos, this.#pos + n);
      this.#pos += n;
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (available === 0) return 'short';
      const step = Math.min(available, n - filled);
      out.set(this.#chunk.subarray(this.#pos, this.#pos + step), filled);
      this.#pos += step;
      filled += step;
      if (filled < n) available = this.#available();
    }
    return out;
  }

  /** Passes the next `n` bytes (or fewer, when the input ends first) to `sink` as views; returns how many. */
  pass(n: number, sink: (bytes: Uint8Array) => void): number {
    let done = 0;
    while (done < n) {
      const available = this.#available();
      if (available === 0) break;
      const step = Math.min(available, n - done);
      sink(this.#chunk.subarray(this.#pos, this.#pos + step));
      this.#pos += step;
      done += step;
    }
    return done;
  }

  /** Skips `n` bytes; false when the input ended first. */
  skip(n: number): boolean {
    return this.pass(n, () => undefined) === n;
  }
}
