import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AsciicastRecorder } from '../../../main/terminal/asciicast-recorder';
import { JSON_LINE_BUFFER_BYTES } from '../../../main/terminal/json-line-writer';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assent-cast-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function record(chunks: Buffer[]): string[] {
  const file = join(dir, 'a.cast');
  const recorder = AsciicastRecorder.create(file, { width: 80, height: 24, timestamp: 1 }, () => 0);
  for (const chunk of chunks) recorder.recordOutput(chunk);
  recorder.finish();
  return readFileSync(file, 'utf8').trim().split('\n').slice(1);
}

describe('AsciicastRecorder output events', () => {
  it('writes each output chunk as the JSON of its text (ASCII with quotes, backslashes, controls)', () => {
    const ascii = Buffer.from(Array.from({ length: 128 }, (_, i) => i));
    const lines = record([ascii, Buffer.from('say "hi" \\ bye\r\n')]);
    expect(lines).toEqual([
      JSON.stringify([0, 'o', ascii.toString('utf8')]),
      JSON.stringify([0, 'o', 'say "hi" \\ bye\r\n']),
    ]);
  });

  it('keeps characters split across chunks whole, between ASCII chunks too', () => {
    const text = 'a€b😀c';
    const bytes = Buffer.from(text);
    // Cut inside the euro sign and inside the emoji; an ASCII chunk follows each cut part.
    const chunks = [
      bytes.subarray(0, 2),
      bytes.subarray(2, 4),
      bytes.subarray(4, 7),
      bytes.subarray(7),
      Buffer.from('plain'),
    ];
    const events = record(chunks).map((l) => JSON.parse(l) as [number, string, string]);
    expect(events.map((e) => e[2]).join('')).toBe(`${text}plain`);
  });

  it('shows a broken character as U+FFFD and goes on with the ASCII after it', () => {
    const events = record([Buffer.from([0xe2, 0x82]), Buffer.from('ok'), Buffer.from([0xff])]).map(
      (l) => JSON.parse(l) as [number, string, string],
    );
    expect(events.map((e) => e[2]).join('')).toBe('\ufffdok\ufffd');
  });

  it('writes a batch larger than its buffer as one line, JSON.stringify byte for byte, and digests the file as written', () => {
    // Every ASCII byte, escapes at the buffer's edges included: several buffers' worth.
    const big = Buffer.from(
      Array.from({ length: 3 * JSON_LINE_BUFFER_BYTES + 5 }, (_, i) => (i * 7 + (i >> 9)) % 128),
    );
    const file = join(dir, 'big.cast');
    const recorder = AsciicastRecorder.create(
      file,
      { width: 80, height: 24, timestamp: 1 },
      () => 0,
    );
    recorder.recordOutput(big);
    recorder.recordInput('ls\r');
    const summary = recorder.finish();
    const written = readFileSync(file);
    expect(written.toString('utf8').split('\n')).toEqual([
      JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1 }),
      JSON.stringify([0, 'o', big.toString('latin1')]),
      JSON.stringify([0, 'i', 'ls\r']),
      '',
    ]);
    expect(summary.events).toBe(2);
    expect(summary.bytes).toBe(written.length);
    expect(summary.sha256).toBe(createHash('sha256').update(written).digest('hex'));
  });

  it('escapes ASCII chunks of any length and alignment as JSON.stringify does', () => {
    // Chunks cut at every offset from a larger buffer, so words straddle escapes at each position.
    const source = Buffer.from(
      Array.from(
        { length: 4096 },
        (_, i) => [0x22, 0x5c, 0x0a, 0x1f, 0x7f, 0x20][i % 11] ?? 0x41 + (i % 26),
      ),
    );
    const chunks: Buffer[] = [];
    for (let at = 0, size = 1; at < source.length; at += size, size = (size % 13) + 1)
      chunks.push(source.subarray(at, at + size));
    expect(record(chunks)).toEqual(
      chunks.map((c) => JSON.stringify([0, 'o', c.toString('latin1')])),
    );
  });
});
