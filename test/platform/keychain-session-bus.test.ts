// Without a D-Bus session bus there is no Secret Service on Linux: the
// keychain refuses at once with the reason, instead of the keyring library
// keeping a secret where the next process cannot find it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sessionBusProblem } from '../../platform/keychain';

const dir = mkdtempSync(join(tmpdir(), 'assent-session-bus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(process.platform === 'linux')('keychain without a session bus', () => {
  it('finds a session bus by its address or by $XDG_RUNTIME_DIR/bus, and says why when there is none', () => {
    expect(sessionBusProblem({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' })).toBe(
      null,
    );
    const runtime = join(dir, 'runtime');
    rmSync(runtime, { recursive: true, force: true });
    mkdirSync(runtime);
    expect(sessionBusProblem({ XDG_RUNTIME_DIR: runtime })).toMatch(/no D-Bus session bus/);
    writeFileSync(join(runtime, 'bus'), '');
    expect(sessionBusProblem({ XDG_RUNTIME_DIR: runtime })).toBe(null);
    expect(sessionBusProblem({})).toMatch(/DBUS_SESSION_BUS_ADDRESS is not set/);
  });

  it('stops `vendor init` with KEYCHAIN_UNAVAILABLE and writes no vendor key', () => {
    const home = join(dir, 'vendor');
    const env = { ...process.env };
    delete env['DBUS_SESSION_BUS_ADDRESS'];
    delete env['XDG_RUNTIME_DIR'];
    const result = spawnSync(
      process.execPath,
      ['bin/assent-engineer.js', 'vendor', 'init', '--vendor', 'X', '--vendor-home', home],
      { env, encoding: 'utf8' },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('KEYCHAIN_UNAVAILABLE');
    expect(result.stderr).toContain('no D-Bus session bus');
    expect(existsSync(join(home, 'vendor.pub'))).toBe(false);
  });
});
