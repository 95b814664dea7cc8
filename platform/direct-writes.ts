// The writes of a receiver (issue 3: a download on the engineer's side, a
// staged file upload on the agent's): the received bytes go to the file
// at increasing positions, past the page cache (O_DIRECT) where the file
// system allows it. In bench/files.ts a 1 GiB download written through the
// page cache cost the engineer 0.3–1.0 s of kernel time per GiB (allocating
// and filling cache pages; the most when memory had to be reclaimed first)
// and its final fsync another 0.35–0.45 s of wall time, in which nothing
// else moved; 1 MiB direct writes cost 0.15–0.3 s per GiB, and the fsync
// then has only the metadata left. Durability is unchanged: the caller
// still fsyncs before it reports the download done.
//
// O_DIRECT wants the memory, the file offset and the length aligned, so the
// chunks are copied into a ring of aligned blocks (one copy into reused
// memory, against the kernel's copy into fresh cache pages) and each full
// block is written at once. What cannot be written directly is written
// through the page cache as before: an unaligned start (a resumed
// download), the last partial page, and everything on a file system or
// platform without O_DIRECT (the open or the first write fails with EINVAL).
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { BoundedWrites } from './bounded-writes';

/** File offsets and lengths of direct writes are multiples of this (a page; covers 512-byte and 4 KiB sectors). */
const ALIGN_BYTES = 4096;
/** Bytes written at once past the page cache. */
export const DIRECT_BLOCK_BYTES = 1024 * 1024;
/** Blocks in the ring (8 MiB: memory that is touched whole, once per lap, so kept small). */
const RING_BLOCKS = 8;
/**
 * Bytes of full blocks that may wait for the disk before the link is held:
 * half the ring, so what still arrives after a hold (at most a socket read
 * and the frames in it) has room. Should it not, the rest of the download
 * goes through the page cache.
 */
const DIRECT_WINDOW_BYTES = (RING_BLOCKS / 2) * DIRECT_BLOCK_BYTES;
const WASM_PAGE_BYTES = 64 * 1024;

/**
 * Page-aligned memory: a WebAssembly memory's bytes start on a page of their
 * own (V8 maps them), which an ordinary Buffer's (malloc'd) do not.
 */
function alignedRing(bytes: number): Buffer {
  // WebAssembly is a global of Node's V8, not in this project's (ES2023 + node) typings.
  const { Memory } = (
    globalThis as unknown as {
      WebAssembly: { Memory: new (d: { initial: number }) => { readonly buffer: ArrayBuffer } };
    }
  ).WebAssembly;
  const memory = new Memory({ initial: bytes / WASM_PAGE_BYTES });
  return Buffer.from(memory.buffer, 0, bytes);
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;)
    done += (await handle.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
}

/**
 * Opens `path` for direct writes, or undefined where the platform or file
 * system has none, or where the path no longer names the file `handle` has
 * open (it was replaced in between: the bytes must not go elsewhere).
 */
async function openDirect(handle: FileHandle, path: string): Promise<FileHandle | undefined> {
  const flag = (constants as { O_DIRECT?: number }).O_DIRECT;
  if (flag === undefined) return undefined;
  const direct = await fsp
    .open(path, constants.O_WRONLY | constants.O_NOFOLLOW | flag)
    .catch(() => undefined);
  if (!direct) return undefined;
  const [opened, reopened] = await Promise.all([handle.stat(), direct.stat()]);
  if (opened.dev === reopened.dev && opened.ino === reopened.ino) return direct;
  await direct.close();
  return undefined;
}

/** The ring, or undefined when the memory cannot be had (then the page cache is used). */
function ringOrNothing(): Buffer | undefined {
  try {
    return alignedRing(RING_BLOCKS * DIRECT_BLOCK_BYTES);
  } catch {
    return undefined;
  }
}

/** Writes a received stream into a file from a start position, in arrival order. */
export class DirectWrites {
  readonly #writes: BoundedWrites;
  #direct: FileHandle | undefined;
  readonly #ring: Buffer | undefined;
  /** True while added bytes are gathered in the ring (written past the page cache). */
  #gather: boolean;
  /** Per ring block: queued or being written. */
  readonly #busy: boolean[] = [];
  #block = 0;
  #fill = 0;
  /** File position of the next byte, and of the current block's first byte. */
  #position: number;
  #blockAt: number;

  /**
   * @param handle the opened file (written through the page cache where direct writes cannot be; the caller truncates, syncs and closes it)
   * @param direct the same file opened with O_DIRECT, and the ring, if both could be had
   * @param start file position of the first byte
   * @param hold stops the link reading (see BoundedWrites)
   */
  private constructor(
    private readonly handle: FileHandle,
    direct: { handle: FileHandle; ring: Buffer } | undefined,
    start: number,
    hold: () => () => void,
  ) {
    this.#writes = new BoundedWrites(hold, direct ? DIRECT_WINDOW_BYTES : undefined);
    this.#direct = direct?.handle;
    this.#ring = direct?.ring;
    this.#gather = direct !== undefined;
    this.#position = start;
    this.#blockAt = start;
  }

  /**
   * The writes into `path` (already opened as `handle`) from `start`;
   * `openDirect` opens its direct handle (default: O_DIRECT where the
   * platform has it, on the same file as `handle`; a file system that refuses
   * it is found by the open or the first write).
   */
  static async open(
    handle: FileHandle,
    path: string,
    start: number,
    hold: () => () => void,
    openDirectHandle: (
      handle: FileHandle,
      path: string,
    ) => Promise<FileHandle | undefined> = openDirect,
  ): Promise<DirectWrites> {
    const direct = await openDirectHandle(handle, path);
    const ring = direct ? ringOrNothing() : undefined;
    if (direct && !ring) await direct.close();
    return new DirectWrites(
      handle,
      direct && ring ? { handle: direct, ring } : undefined,
      start,
      hold,
    );
  }

  /** True while new bytes go past the page cache. */
  get direct(): boolean {
    return this.#gather;
  }

  /** Queues `chunk` after the bytes before it (the chunk must stay unchanged until written: it may be written as it is). */
  add(chunk: Buffer): void {
    let at = 0;
    // Up to the first aligned position (a resumed download), through the page cache.
    const head =
      this.#gather && this.#fill === 0
        ? (ALIGN_BYTES - (this.#position % ALIGN_BYTES)) % ALIGN_BYTES
        : 0;
    if (head > 0) {
      at = Math.min(head, chunk.length);
      this.#queue(chunk.subarray(0, at), this.#position, null);
      this.#position += at;
      this.#blockAt = this.#position;
    }
    const ring = this.#ring;
    while (at < chunk.length) {
      if (!this.#gather || !ring) {
        if (this.#fill > 0) this.#endBlock();
        this.#queue(chunk.subarray(at), this.#position, null);
        this.#position += chunk.length - at;
        return;
      }
      const take = Math.min(chunk.length - at, DIRECT_BLOCK_BYTES - this.#fill);
      chunk.copy(ring, this.#block * DIRECT_BLOCK_BYTES + this.#fill, at, at + take);
      this.#fill += take;
      this.#position += take;
      at += take;
      if (this.#fill === DIRECT_BLOCK_BYTES) this.#endBlock();
    }
  }

  /** Resolves when every byte added is written; rejects with the first failure. */
  async settled(): Promise<void> {
    if (this.#fill > 0) this.#endBlock();
    await this.#writes.settled;
  }

  /** Waits for the writes in flight (whatever their outcome) and closes the direct handle. */
  async close(): Promise<void> {
    await this.#writes.settled.catch(() => undefined);
    await this.#direct?.close().catch(() => undefined);
    this.#direct = undefined;
  }

  /** Queues the current block's bytes and moves on to the next block. */
  #endBlock(): void {
    const index = this.#block;
    if (!this.#ring) return;
    const bytes = this.#ring.subarray(
      index * DIRECT_BLOCK_BYTES,
      index * DIRECT_BLOCK_BYTES + this.#fill,
    );
    this.#queue(bytes, this.#blockAt, index);
    this.#blockAt += this.#fill;
    this.#fill = 0;
    this.#block = (index + 1) % RING_BLOCKS;
    // The ring is full (more arrived after the hold than it holds): the rest goes through the page cache.
    if (this.#busy[this.#block]) this.#gather = false;
  }

  #queue(bytes: Buffer, position: number, block: number | null): void {
    if (block !== null) this.#busy[block] = true;
    this.#writes.add(bytes.length, async () => {
      try {
        await this.#write(bytes, position);
      } finally {
        if (block !== null) this.#busy[block] = false;
      }
    });
  }

  /** Writes the aligned part directly and the rest (a last partial page) through the page cache. */
  async #write(bytes: Buffer, position: number): Promise<void> {
    const direct = this.#direct;
    const whole = bytes.length - (bytes.length % ALIGN_BYTES);
    if (direct && whole > 0 && position % ALIGN_BYTES === 0) {
      try {
        await writeAll(direct, bytes.subarray(0, whole), position);
      } catch (err) {
        // The file system takes no direct writes (or not with this alignment): the page cache from now on.
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        this.#gather = false;
        this.#direct = undefined;
        await direct.close().catch(() => undefined);
        return writeAll(this.handle, bytes, position);
      }
      if (whole < bytes.length)
        await writeAll(this.handle, bytes.subarray(whole), position + whole);
      return;
    }
    await writeAll(this.handle, bytes, position);
  }
}
