import { spawn, type IPty } from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { readPty } from '../../../main/terminal/pty-reader';
import { waitFor } from './support/terminal-fixture';

const BYTES = 600_000;
let pty: IPty | undefined;
afterEach(() => {
  try {
    pty?.kill('SIGKILL');
  } catch {
    // Already gone.
  }
  pty = undefined;
});

/**
 * A real pty whose program prints BYTES of 'x' (no line ends: the line
 * discipline adds none), then waits: output still in the pty when its last
 * program exits may be lost (the master then reads EIO), with or without this reader.
 */
function printer(): IPty {
  pty = spawn('/bin/sh', ['-c', `head -c ${BYTES} /dev/zero | tr '\\0' x; exec sleep 30`], {
    cols: 80,
    rows: 24,
    encoding: null,
  });
  return pty;
}

describe('readPty', () => {
  it.runIf(process.platform !== 'win32')(
    'reads straight into side-by-side blocks, every byte in order, the bytes of a read never written again',
    async () => {
      const reads: Buffer[] = [];
      const copies: Buffer[] = [];
      const reader = readPty(printer(), (bytes) => {
        reads.push(bytes);
        copies.push(Buffer.from(bytes));
      });
      expect(reader.direct).toBe(true);
      await waitFor(() => reads.reduce((n, b) => n + b.length, 0) >= BYTES);
      expect(Buffer.concat(reads).equals(Buffer.alloc(BYTES, 'x'))).toBe(true);
      // Later reads did not overwrite earlier ones.
      reads.forEach((bytes, i) => expect(bytes.equals(copies[i]!)).toBe(true));
      // Consecutive reads of one block lie side by side.
      let adjacent = 0;
      for (let i = 1; i < reads.length; i++)
        if (
          reads[i]!.buffer === reads[i - 1]!.buffer &&
          reads[i]!.byteOffset === reads[i - 1]!.byteOffset + reads[i - 1]!.length
        )
          adjacent++;
      expect(adjacent).toBeGreaterThan(reads.length / 2);
    },
  );

  it('stops reading while paused (the program blocks) and goes on when resumed', async () => {
    let received = 0;
    let pausedOnce = false;
    const reader = readPty(printer(), (bytes) => {
      received += bytes.length;
      if (received >= 8192 && !pausedOnce) {
        pausedOnce = true;
        reader.pause();
      }
    });
    await waitFor(() => pausedOnce);
    await new Promise((r) => setTimeout(r, 100));
    const whilePaused = received;
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(whilePaused);
    expect(received).toBeLessThan(BYTES);
    reader.resume();
    await waitFor(() => received >= BYTES);
    expect(received).toBe(BYTES);
  });
});
