import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAssentError } from '../../../protocol/errors';
import { playRecording } from '../../../main/terminal/recording-player';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assent-play-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cast(lines: unknown[]): string {
  const file = join(dir, 'a.cast');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

async function play(file: string, options: Parameters<typeof playRecording>[2] = {}) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const started = performance.now();
  await playRecording(file, out, options);
  return { text, ms: performance.now() - started };
}

describe('playRecording', () => {
  const events = [
    { version: 2, width: 80, height: 24, timestamp: 1 },
    [0.0, 'i', 'ls\r'],
    [0.1, 'o', 'a '],
    [0.2, 'm', 'approved r1'],
    [0.3, 'o', 'b\r\n'],
  ];

  it('writes the output events with their timing, scaled by speed', async () => {
    const file = cast(events);
    const normal = await play(file);
    expect(normal.text).toBe('a b\r\n');
    expect(normal.ms).toBeGreaterThanOrEqual(250);
    const fast = await play(file, { speed: Infinity });
    expect(fast.text).toBe('a b\r\n');
  });

  it('shows approval markers when asked', async () => {
    const { text } = await play(cast(events), { speed: Infinity, showMarkers: true });
    expect(text).toContain('[approved r1]');
  });

  it('refuses what is not asciicast v2 with TERMINAL_BAD_RECORDING', async () => {
    for (const bad of [
      [{ version: 1 }],
      [{ version: 2 }, [0, 'o']],
      [{ version: 2 }, ['x', 'o', 'y']],
    ]) {
      const err = await play(cast(bad), { speed: Infinity }).catch((e: unknown) => e);
      expect(isAssentError(err, 'TERMINAL_BAD_RECORDING')).toBe(true);
    }
    writeFileSync(join(dir, 'b.cast'), 'not json\n');
    const err = await play(join(dir, 'b.cast')).catch((e: unknown) => e);
    expect(isAssentError(err, 'TERMINAL_BAD_RECORDING')).toBe(true);
  });

  it('refuses a file it cannot read with IO_FAILED (a missing file, a directory), nothing thrown past it', async () => {
    for (const [file, reason] of [
      [join(dir, 'missing.cast'), 'no such file or folder'],
      [dir, 'it is a folder'],
    ] as const) {
      const err = await play(file).catch((e: unknown) => e);
      expect(isAssentError(err, 'IO_FAILED')).toBe(true);
      expect((err as Error).message).toBe(`Cannot read ${file}: ${reason}.`);
    }
  });
});
