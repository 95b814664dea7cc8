import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AsciicastRecorder } from '../../../main/terminal/asciicast-recorder';

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
});
