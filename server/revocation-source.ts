// The vendor's revocation list as the relay sees it: `<dataDir>/revocations.json`,
// signed by the vendor key, re-read whenever its modification time changes so
// the vendor admin can revoke a credential without restarting the relay. A
// list that fails to verify, or is older than the one in force, is ignored
// (with a log line): the relay never falls back to a weaker list.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAssentError } from '../protocol/errors';
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

  /** Reads the file again if it changed; throws REVOCATION_LIST_INVALID only when `strict` (start-up). */
  async refresh(strict = false): Promise<RevocationList | undefined> {
    if (!this.#path) return this.#list;
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.#path)).mtimeMs;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return this.#list;
      throw cause;
    }
    if (mtimeMs === this.#mtimeMs) return this.#list;
    this.#mtimeMs = mtimeMs;
    try {
      const candidate = verifyRevocationList(
        JSON.parse(await readFile(this.#path, 'utf8')),
        this.#vendorPublicKey,
      );
      const chosen = newerRevocationList(this.#list, candidate);
      if (chosen !== candidate)
        this.#log(
          `revocation list sequence ${candidate.sequence} is not newer; kept the current one`,
        );
      this.#list = chosen;
    } catch (cause) {
      const reason = isAssentError(cause) ? cause.message : 'it is not valid JSON';
      if (strict) throw cause;
      this.#log(`ignored ${REVOCATIONS_FILE}: ${reason}`);
    }
    return this.#list;
  }
}
