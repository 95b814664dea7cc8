// Replays an asciicast v2 recording with its timing (`assent-agent audit
// play <recording>`): output events are written to `out`, input, resize and
// marker events are skipped (markers are shown as a dim line when asked).
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { AssentError } from '../../protocol/errors';
import { systemErrorReason } from '../../platform/system-error';

export interface PlayOptions {
  /** Time factor: 2 plays twice as fast; `Infinity` writes everything at once. Default 1. */
  readonly speed?: number;
  /** Longest pause between two events, in seconds (long idle stretches are cut). Default 2. */
  readonly maxIdleSeconds?: number;
  /** Show approval markers as a line of their own. Default false. */
  readonly showMarkers?: boolean;
  readonly signal?: AbortSignal;
}

const bad = (line: number, why: string): AssentError =>
  new AssentError('TERMINAL_BAD_RECORDING', `Line ${line}: ${why}.`);

function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (out.write(text)) resolve();
    else out.once('drain', () => resolve());
  });
}

const unreadable = (file: string, cause: unknown): AssentError =>
  new AssentError('IO_FAILED', `Cannot read ${file}: ${systemErrorReason(cause)}.`, { cause });

/**
 * Plays `file` to `out`; rejects with TERMINAL_BAD_RECORDING when it is not
 * asciicast v2, IO_FAILED when it cannot be read.
 */
export async function playRecording(
  file: string,
  out: NodeJS.WritableStream,
  options: PlayOptions = {},
): Promise<void> {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError('speed must be positive');
  const maxIdle = options.maxIdleSeconds ?? 2;
  const handle = await open(file, 'r').catch((cause: unknown) => {
    throw unreadable(file, cause);
  });
  // readline does not pass on its input's errors (a directory, a failing disk): they are kept here.
  let readFailure: unknown;
  const input = handle.createReadStream({ encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  input.once('error', (cause) => {
    readFailure = cause;
    lines.close();
  });
  try {
    await playLines(lines, out, options, speed, maxIdle);
  } catch (error) {
    // A read that failed ends the lines early: that, not what the lines lacked, is the reason.
    throw readFailure === undefined ? error : unreadable(file, readFailure);
  } finally {
    lines.close();
    input.destroy();
  }
  if (readFailure !== undefined) throw unreadable(file, readFailure);
}

async function playLines(
  lines: AsyncIterable<string>,
  out: NodeJS.WritableStream,
  options: PlayOptions,
  speed: number,
  maxIdle: number,
): Promise<void> {
  let n = 0;
  let last = 0;
  for await (const line of lines) {
    n++;
    if (options.signal?.aborted) break;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new AssentError('TERMINAL_BAD_RECORDING', `Line ${n}: not JSON.`, { cause: err });
    }
    if (n === 1) {
      if (
        typeof value !== 'object' ||
        value === null ||
        (value as { version?: unknown }).version !== 2
      )
        throw bad(n, 'the header is not asciicast version 2');
      continue;
    }
    if (!Array.isArray(value) || value.length !== 3) throw bad(n, 'an event is [time, code, data]');
    const [time, code, data] = value as [unknown, unknown, unknown];
    if (typeof time !== 'number' || typeof code !== 'string' || typeof data !== 'string')
      throw bad(n, 'an event is [time, code, data]');
    const wait = Math.min(Math.max(0, time - last), maxIdle) / speed;
    last = time;
    if (wait > 0 && Number.isFinite(wait)) await new Promise((r) => setTimeout(r, wait * 1000));
    if (code === 'o') await write(out, data);
    else if (code === 'm' && options.showMarkers)
      await write(out, `\r\n\u001b[2m[${data}]\u001b[0m\r\n`);
  }
  if (n === 0) throw bad(1, 'the file is empty');
}
