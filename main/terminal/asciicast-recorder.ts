// The recording of one terminal in asciicast v2 (playable by asciinema): a
// header line, then one JSON event per line, written as it happens: output
// ("o"), input ("i"), resizes ("r") and approvals as markers ("m"). The file
// is created exclusively with mode 0600 in the agent's data folder; its
// sha256 goes to the audit log when the terminal ends (issue 4).
import { isAscii } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { AssentError } from '../../protocol/errors';
import { JsonLineWriter } from './json-line-writer';

export interface RecordingHeader {
  readonly width: number;
  readonly height: number;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly title?: string;
  readonly env?: Record<string, string>;
}

/** What a finished recording amounts to. */
export interface RecordingSummary {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly events: number;
}

/** Writes one asciicast v2 file; every method throws TERMINAL_RECORDING_FAILED when the disk refuses. */
export class AsciicastRecorder {
  private fd: number | null;
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private events = 0;
  private readonly output = new StringDecoder('utf8');
  /** The decoder may hold the start of a character (the last output byte was not ASCII). */
  private decoderMayHold = false;
  private readonly started: number;
  private readonly writer = new JsonLineWriter((bytes) => this.writeBytes(bytes));

  private constructor(
    readonly path: string,
    fd: number,
    private readonly now: () => number,
  ) {
    this.fd = fd;
    this.started = now();
  }

  /** Creates the file and writes the header; throws TERMINAL_RECORDING_FAILED if it cannot. */
  static create(
    path: string,
    header: RecordingHeader,
    now: () => number = () => performance.now(),
  ): AsciicastRecorder {
    let fd: number;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      throw new AssentError('TERMINAL_RECORDING_FAILED', `Cannot create the recording ${path}.`, {
        cause: err,
      });
    }
    const recorder = new AsciicastRecorder(path, fd, now);
    recorder.writeLine(JSON.stringify({ version: 2, ...header }));
    return recorder;
  }

  /** Bytes the terminal printed. */
  recordOutput(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.length === 0) return;
    // Most output is ASCII: then it is escaped into the event's JSON as bytes,
    // with no UTF-8 decoding or string (a bulk cat is recorded at the rate it is
    // sent); the event's bytes are JSON.stringify's.
    if (!this.decoderMayHold && isAscii(bytes)) {
      this.writer.json(`[${this.timestamp()},"o","`);
      this.writer.asciiString(bytes);
      this.writer.json('"]\n');
      this.finishLine();
      return;
    }
    const text = this.output.write(bytes);
    // After an ASCII byte the decoder holds nothing (an unfinished character before it is U+FFFD).
    this.decoderMayHold = bytes[bytes.length - 1]! >= 0x80;
    if (text.length > 0) this.event('o', text);
  }

  /** Keystrokes or an approved line written to the terminal. */
  recordInput(text: string): void {
    this.event('i', text);
  }

  recordResize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  /** An approval or another event worth finding on the timeline. */
  recordMarker(label: string): void {
    this.event('m', label);
  }

  /** Flushes, fsyncs and closes; returns the digest of the file as written. */
  finish(): RecordingSummary {
    const rest = this.output.end();
    if (rest.length > 0) this.event('o', rest);
    const fd = this.fd;
    if (fd !== null) {
      this.fd = null;
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    return {
      path: this.path,
      sha256: this.hash.digest('hex'),
      bytes: this.bytes,
      events: this.events,
    };
  }

  private event(code: 'o' | 'i' | 'r' | 'm', data: string): void {
    this.writer.json(`[${this.timestamp()},"${code}",`);
    this.writer.json(JSON.stringify(data));
    this.writer.json(']\n');
    this.finishLine();
  }

  /** Seconds since the start, as JSON (at most 6 decimals). */
  private timestamp(): string {
    const seconds = Math.max(0, (this.now() - this.started) / 1000);
    return JSON.stringify(Number(seconds.toFixed(6)));
  }

  /** The header: a line that is not an event. */
  private writeLine(line: string): void {
    this.writer.json(line + '\n');
    this.writer.end();
  }

  /** Writes out the line the writer holds; an event counts once written. */
  private finishLine(): void {
    this.writer.end();
    this.events++;
  }

  private writeBytes(data: Buffer): void {
    if (this.fd === null)
      throw new AssentError('TERMINAL_RECORDING_FAILED', 'The recording is closed.');
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off);
    } catch (err) {
      throw new AssentError(
        'TERMINAL_RECORDING_FAILED',
        `Cannot write the recording ${this.path}.`,
        {
          cause: err,
        },
      );
    }
    this.hash.update(data);
    this.bytes += data.length;
  }
}
