// Hands the package's bytes from the payload worker to the main thread, which
// hashes the whole package while the worker parses, hashes each file and
// stages (issue 5 benchmark: the two sha256 passes of one read then run on
// two cores instead of one after the other). A fixed ring of slots in one
// SharedArrayBuffer, allocated once per job and reused chunk after chunk:
// the worker reads each chunk straight into the next slot and parses it
// there (package-reader.ts), so the digest is of exactly the bytes parsed,
// and no chunk needs fresh memory; it waits while every slot still holds a
// chunk the main thread has not hashed. No message per
// chunk: two counters, Atomics.notify and Atomics.waitAsync.
import { createHash } from 'node:crypto';
import { waitAsync } from '../../platform/atomics-wait';
import type { PackageChunks } from './tar-cursor';

/** Slots in the ring: chunks read ahead of the main thread's hash at most. */
export const RING_SLOTS = 8;

/** Bytes per slot: the size of each read of the package. */
export const RING_SLOT_BYTES = 1024 * 1024;

/** Control words: chunks written by the worker, chunks hashed by the main thread, and end. */
const WRITTEN = 0;
const HASHED = 1;
/** 1 once the worker wrote its last chunk (the package was read to its end). */
const ENDED = 2;
const LENGTHS = 3;
const CONTROL_BYTES = (LENGTHS + RING_SLOTS) * 4;

/** How long either side sleeps at most before it looks at its stop condition again. */
const WAIT_MS = 100;

/** A new ring for one payload job. */
export function packageRing(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + RING_SLOTS * RING_SLOT_BYTES);
}

const controlOf = (ring: SharedArrayBuffer) => new Int32Array(ring, 0, LENGTHS + RING_SLOTS);
const slotOf = (ring: SharedArrayBuffer, slot: number, length = RING_SLOT_BYTES) =>
  new Uint8Array(ring, CONTROL_BYTES + slot * RING_SLOT_BYTES, length);

/** The worker's side: chunks are read straight into the ring's slots; `end` marks the last. */
export interface RingWriter extends PackageChunks {
  end(): void;
}

/**
 * Reads into `ring`. `take` waits while every slot holds a chunk the main
 * thread has not hashed; when `stopped` returns true meanwhile, it throws
 * what `stopError` makes (the job was aborted: the main thread may no longer
 * hash).
 */
export function ringWriter(
  ring: SharedArrayBuffer,
  stopped: () => boolean,
  stopError: () => Error,
): RingWriter {
  const control = controlOf(ring);
  let written = 0;
  return {
    take() {
      for (;;) {
        const hashed = Atomics.load(control, HASHED);
        if (written - hashed < RING_SLOTS) break;
        if (stopped()) throw stopError();
        Atomics.wait(control, HASHED, hashed, WAIT_MS);
      }
      return slotOf(ring, written % RING_SLOTS);
    },
    filled(chunk) {
      control[LENGTHS + (written % RING_SLOTS)] = chunk.length;
      written += 1;
      Atomics.store(control, WRITTEN, written);
      Atomics.notify(control, WRITTEN);
    },
    end() {
      Atomics.store(control, ENDED, 1);
      Atomics.notify(control, WRITTEN);
    },
  };
}

/** Wakes `hashRing` at once to look at its `finished` condition again (the job settled). */
export function wakeRing(ring: SharedArrayBuffer): void {
  Atomics.notify(controlOf(ring), WRITTEN);
}

/**
 * The main thread's side: hashes every chunk as the worker writes it, freeing
 * its slot. Resolves with the sha256 hex and byte count once the worker
 * ended the ring and every chunk is hashed, or with undefined once
 * `finished` returns true first (the job failed before the end).
 */
export async function hashRing(
  ring: SharedArrayBuffer,
  finished: () => boolean,
): Promise<{ sha256: string; size: number } | undefined> {
  const control = controlOf(ring);
  const hash = createHash('sha256');
  let next = 0;
  let size = 0;
  for (;;) {
    const written = Atomics.load(control, WRITTEN);
    for (; next < written; next += 1) {
      const slot = next % RING_SLOTS;
      const length = control[LENGTHS + slot]!;
      hash.update(slotOf(ring, slot, length));
      size += length;
      Atomics.store(control, HASHED, next + 1);
      Atomics.notify(control, HASHED);
    }
    if (Atomics.load(control, ENDED) !== 0) {
      // Every chunk was written before the end was marked: hash what is left, then done.
      if (next === Atomics.load(control, WRITTEN)) return { sha256: hash.digest('hex'), size };
      continue;
    }
    if (finished()) return undefined;
    const wait = waitAsync(control, WRITTEN, written, WAIT_MS);
    if (wait.async) await wait.value;
  }
}
