// Where each part keeps its files. Private keys are never here: they live in
// the OS keychain (platform/keychain.ts); these folders hold public keys,
// certificates, configuration, the audit log and staged data.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

function base(kind: 'data' | 'config'): string {
  const env = process.env;
  if (process.platform === 'win32') return env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support');
  if (kind === 'data') return env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share');
  return env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
}

/** The agent's data directory: `--data`, else ASSENT_DATA_DIR, else the per-user default. */
export function agentDataDir(explicit?: string): string {
  return resolve(explicit ?? process.env.ASSENT_DATA_DIR ?? join(base('data'), 'assent-agent'));
}

/** The engineer console's folder (certificate, preferences): `--home`, ASSENT_ENGINEER_HOME, or default. */
export function engineerHome(explicit?: string): string {
  return resolve(
    explicit ?? process.env.ASSENT_ENGINEER_HOME ?? join(base('config'), 'assent-engineer'),
  );
}

/** The vendor admin's folder (vendor public key, issued serials, revocation list). */
export function vendorHome(explicit?: string): string {
  return resolve(
    explicit ?? process.env.ASSENT_VENDOR_HOME ?? join(base('config'), 'assent-vendor'),
  );
}

/** Creates `dir` (and parents) readable only by the user; returns it. */
export function ensurePrivateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
