// Runs a bench entry under a private D-Bus session with an unlocked, throwaway
// gnome-keyring, exactly as bin/run-tests.js runs the tests: benches that
// open an agent keep its device key in the OS keychain, and must never touch
// the developer's own.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { profileFlags, REPO_ROOT } from './bench-child';
import { NODE_FLAGS } from '../../platform/node-flags';

/** True when this process already runs under the private keyring. */
export function hasPrivateKeyring(): boolean {
  return process.env['ASSENT_TEST_KEYRING'] === '1';
}

/**
 * Runs `measure` here when this process is already under the private keyring,
 * otherwise re-runs the bench `entry` under one; a failed re-run throws.
 */
export async function measureUnderPrivateKeyring(
  entry: string,
  measure: () => Promise<void>,
): Promise<void> {
  if (hasPrivateKeyring()) return measure();
  const status = await runUnderPrivateKeyring(entry, []);
  if (status !== 0) throw new Error(`${entry} failed (exit ${status})`);
}

/** The tools the private keyring needs that are missing (empty when all are there). */
export function missingKeyringTools(): string[] {
  return ['dbus-run-session', 'gnome-keyring-daemon'].filter(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
  );
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `node bin/run-ts.js <entry> [args]` under dbus-run-session with a
 * fresh keyring and XDG_DATA_HOME; resolves with its exit status. The keyring
 * home is removed afterwards.
 */
export async function runUnderPrivateKeyring(
  entry: string,
  args: readonly string[],
): Promise<number> {
  const missing = missingKeyringTools();
  if (missing.length > 0)
    throw new Error(
      `${missing.join(', ')} missing: apt-get install dbus gnome-keyring libsecret-tools (see DEVELOPERS.md)`,
    );
  const home = mkdtempSync(join(tmpdir(), 'assent-bench-keyring-'));
  // gnome-keyring-daemon reads the login password on stdin; --unlock creates
  // and unlocks the default collection with it.
  const script = `printf '%s' assent-bench-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
exec node ${[...NODE_FLAGS, ...profileFlags(), 'bin/run-ts.js', entry, ...args].map(quote).join(' ')}`;
  try {
    const child = spawn('dbus-run-session', ['--', 'sh', '-c', script], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      env: {
        ...process.env,
        XDG_DATA_HOME: join(home, 'data'),
        XDG_RUNTIME_DIR_HINT: home,
        ASSENT_TEST_KEYRING: '1',
      },
    });
    // Forward Ctrl-C and termination so the benches can clean up (sshd, relay).
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        process.off('SIGINT', forward);
        process.off('SIGTERM', forward);
        resolve(code ?? (signal ? 128 : 1));
      });
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
