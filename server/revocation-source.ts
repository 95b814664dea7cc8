// The vendor's revocation list as the relay sees it: `<dataDir>/revocations.json`,
// signed by the vendor key, re-read whenever its modification time changes so
// the vendor admin can revoke a credential without restarting the relay. A
// list that fails to verify, or is older than the one in force, is ignored
// (with a log line): the relay never falls back to a weaker list.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AssentError, isAssentError } from '../protocol/errors';
import type { RevocationList } from '../protocol/identity';
import { newerRevocationList, verifyRevocationList } from '../platform/credentials';

/** File name of the revocation list inside the relay's data directory. */
export const REVOCATIONS_FILE = 'revocations.json';

/** Loads and refreshes the revocation list from the data directory. */
export class RevocationSource {
  readonly #path: string | undefined;
  readonly #vendorPublicKey: string;
  readonly #log: (line: string) => void;
  #list: RevocationList | undefined;
  #mtimeMs = -1;

  constructor(dataDir: string | undefined, vendorPublicKey: string, log: (line: string) => void) {
    this.#path = dataDir === undefined ? undefined : join(dataDir, REVOCATIONS_FILE);
    this.#vendorPublicKey = vendorPublicKey;
    this.#log = log;
  }

  /** The list in force (undefined when the vendor has none). */
  get current(): RevocationList | undefined {
    return this.#list;
  }

  /** Reads the file again if it changed; throws (IO_FAILED, REVOCATION_LIST_INVALID) only when `strict` (start-up). */
  async refresh(strict = false): Promise<RevocationList | undefined> {
    const path = this.#path;
    if (!path) return this.#list;
    let mtimeMs: number;
    let text: string;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
      if (mtimeMs === this.#mtimeMs) return this.#list;
      text = await readFile(path, 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return this.#list;
      // Unreadable for now: keep the list in force (never a weaker one) and say so.
      return this.#reject(
        new AssentError('IO_FAILED', `Cannot read ${path}: ${code ?? String(cause)}.`, { cause }),
        strict,
      );
    }
    this.#mtimeMs = mtimeMs;
    try {
      const candidate = verifyRevocationList(JSON.parse(text), this.#vendorPublicKey);
      const chosen = newerRevocationList(this.#list, candidate);
      if (chosen !== candidate)
        this.#log(
          `revocation list sequence ${candidate.sequence} is not newer; kept the current one`,
        );
      this.#list = chosen;
      return chosen;
    } catch (cause) {
      const err = isAssentError(cause)
        ? cause
        : new AssentError('REVOCATION_LIST_INVALID', `${path} is not valid JSON.`, { cause });
      return this.#reject(err, strict);
    }
  }

  #reject(err: AssentError, strict: boolean): RevocationList | undefined {
    if (strict) throw err;
    this.#log(`ignored ${REVOCATIONS_FILE}: ${err.message}`);
    return this.#list;
  }
}
