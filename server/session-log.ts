// The relay's metadata log: one JSON line per pairing event in
// `<dataDir>/relay-sessions.jsonl` (who, when, how many bytes), never content.
// It feeds the vendor's itemized usage; the relay cannot read session content
// anyway (frames are end-to-end encrypted) and does not try.
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/** File name of the metadata log inside the relay's data directory. */
export const SESSION_LOG_FILE = 'relay-sessions.jsonl';

/** One line of the metadata log. */
export type SessionLogRecord =
  | {
      event: 'pair-start' | 'pair-resume';
      at: string;
      pairId: string;
      agentKey: string;
      engineer: { name: string; serial: string; fingerprint: string };
    }
  | {
      event: 'pair-end';
      at: string;
      pairId: string;
      reason: string;
      durationMs: number;
      bytes: { agentToEngineer: number; engineerToAgent: number };
    };

/** Appends metadata records; a relay without a data directory keeps none. */
export class SessionLog {
  readonly #stream: WriteStream | undefined;

  constructor(dataDir: string | undefined, log: (line: string) => void) {
    if (dataDir === undefined) return;
    this.#stream = createWriteStream(join(dataDir, SESSION_LOG_FILE), { flags: 'a' });
    this.#stream.on('error', (err) => log(`session log: ${err.message}`));
  }

  write(record: SessionLogRecord): void {
    this.#stream?.write(`${JSON.stringify(record)}\n`);
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    const stream = this.#stream;
    if (!stream || stream.closed || stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => stream.end(resolve));
  }
}
