#!/usr/bin/env node
// Runs the test suite inside a private D-Bus session with a real, unlocked
// gnome-keyring secret service, so keychain tests hit a real OS keychain and
// never the developer's own. Extra arguments are passed to `vitest run`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const need = ['dbus-run-session', 'gnome-keyring-daemon'];
for (const tool of need) {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  if (found.status !== 0) {
    console.error(
      `run-tests: '${tool}' is missing. Install the test dependencies: apt-get install dbus gnome-keyring libsecret-tools (see DEVELOPERS.md).`,
    );
    process.exit(2);
  }
}

const home = mkdtempSync(join(tmpdir(), 'assent-test-keyring-'));
const vitestArgs = process.argv
  .slice(2)
  .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
  .join(' ');
// gnome-keyring-daemon reads the login password on stdin; --unlock creates and
// unlocks the default collection with it.
const script = `
printf '%s' assent-test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
exec node node_modules/vitest/vitest.mjs run ${vitestArgs}
`;
const result = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], {
  stdio: 'inherit',
  env: {
    ...process.env,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR_HINT: home,
    ASSENT_TEST_KEYRING: '1',
  },
});
rmSync(home, { recursive: true, force: true });
process.exit(result.status ?? 1);
