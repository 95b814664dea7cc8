// `npm start` where the desktop app can run: the app's main process
// (main/electron/index.ts) takes no `--data` or `--relay`, so the data folder
// and the relay this command chose (the local trial's relay included) reach it
// in the environment it reads. The Electron binary cannot run here; what
// decides is plain Node.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { desktopLaunch } from '../../main/cli/start';
import { NODE_FLAGS } from '../../platform/node-flags';
import { agentDataDir } from '../../platform/app-dirs';

const root = resolve(import.meta.dirname, '..', '..');
const saved = process.env.ASSENT_DATA_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.ASSENT_DATA_DIR;
  else process.env.ASSENT_DATA_DIR = saved;
});

describe('npm start with the desktop app', () => {
  it('hands the app its data folder and relay in the environment, with the V8 flags', () => {
    const launch = desktopLaunch(
      '/opt/electron/electron',
      ['--data', '/srv/agent', '--relay', 'ws://127.0.0.1:9', '--ticket', 'T-1'],
      '/srv/agent',
      'ws://127.0.0.1:40001',
    );
    expect(launch.command).toBe('/opt/electron/electron');
    expect(launch.args).toEqual([`--js-flags=${NODE_FLAGS.join(' ')}`, root, '--ticket', 'T-1']);
    expect(launch.env).toMatchObject({
      ASSENT_DATA_DIR: '/srv/agent',
      ASSENT_RELAY_URL: 'ws://127.0.0.1:40001',
    });
  });

  it('the app reads them where they are put', () => {
    process.env.ASSENT_DATA_DIR = '/srv/agent';
    expect(agentDataDir()).toBe('/srv/agent');
    const appMain = readFileSync(resolve(root, 'main/electron/index.ts'), 'utf8');
    expect(appMain).toContain('process.env.ASSENT_RELAY_URL');
    expect(appMain).toMatch(/const dataDir = agentDataDir\(\);/);
  });
});
