// `npm start`: the agent. The desktop app when Electron's binary and a
// display are there; otherwise the headless agent in this terminal, with a
// one-line explanation. When no relay is configured, a local relay runs as a
// child process on 127.0.0.1, and a first run on a machine with no pinned
// vendor sets up a local trial (a vendor key and an engineer credential made
// here, in this user's keychain), so the whole flow can be tried on one
// machine. Vendor and relay code run in their own processes: the agent core
// never imports them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAssentError } from '../../protocol/errors';
import { folderRules } from '../../protocol/ground-rules';
import { agentDataDir } from '../../platform/app-dirs';
import { NODE_FLAGS } from '../../platform/node-flags';
import { loadTrustedVendor, parseVendorKey, trustVendor } from '../identity/vendor-trust';
import { configuredRelayUrl, main as agentMain } from './agent-cli';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name: string): string => join(root, 'bin', `${name}.js`);
/** The local relay's port; another free port is used when it is taken. */
export const LOCAL_RELAY_PORT = 8443;

/** The port to try first: ASSENT_LOCAL_RELAY_PORT (0 for any free port) or LOCAL_RELAY_PORT. */
function localRelayPort(): number {
  const configured = process.env.ASSENT_LOCAL_RELAY_PORT;
  if (configured === undefined || configured === '') return LOCAL_RELAY_PORT;
  const port = Number(configured);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`ASSENT_LOCAL_RELAY_PORT must be a port number (0-65535), not "${configured}"`);
  return port;
}

/** Why Electron cannot start here, or undefined when it can. */
export function electronUnavailable(): string | undefined {
  if (process.env.ASSENT_HEADLESS === '1') return 'ASSENT_HEADLESS=1 is set';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    return 'there is no display';
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path !== 'string' || !existsSync(path))
      return 'the Electron binary is not installed';
  } catch {
    return 'the Electron binary is not installed';
  }
  if (!existsSync(join(root, 'out', 'main', 'index.js')))
    return 'the desktop app is not built (npm run build)';
  return undefined;
}

function run(name: string, args: string[], input?: string): string {
  const result = spawnSync(process.execPath, [bin(name), ...args], {
    encoding: 'utf8',
    input: input ?? '',
  });
  if (result.status !== 0)
    throw new Error(`${name} ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * The folder the trial's ground rules open to the engineer: beside the
 * agent's data folder, never inside it (the agent refuses every action on
 * its own data folder, whatever the rules say).
 */
function localTrialFolder(dataDir: string): string {
  return `${resolve(dataDir)}-local-trial`;
}

/**
 * First run without a pinned vendor: a trial vendor key and engineer
 * credential (in this user's keychain), the vendor pinned, and trial ground
 * rules signed by the trial vendor and countersigned here.
 */
async function setUpLocalTrial(dataDir: string, out: (line: string) => void): Promise<string> {
  const trial = join(dataDir, 'local-trial');
  const vendorDir = join(trial, 'vendor');
  const engineerDir = join(trial, 'engineer');
  const folder = localTrialFolder(dataDir);
  let vendorJson: string;
  try {
    vendorJson = run('assent-engineer', ['vendor', 'show', '--vendor-home', vendorDir]);
  } catch {
    run('assent-engineer', [
      'vendor',
      'init',
      '--vendor',
      'Local trial vendor',
      '--vendor-home',
      vendorDir,
    ]);
    vendorJson = run('assent-engineer', ['vendor', 'show', '--vendor-home', vendorDir]);
  }
  trustVendor(dataDir, parseVendorKey(vendorJson));
  const token = run('assent-engineer', [
    'vendor',
    'issue',
    '--name',
    process.env.USER ?? 'Local engineer',
    '--email',
    'engineer@localhost',
    '--roles',
    'engineer,installer',
    '--days',
    '30',
    '--vendor-home',
    vendorDir,
  ]).trim();
  run('assent-engineer', ['login', '-', '--home', engineerDir], token);

  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'example.log'),
    'The engineer may read and change files in this folder, with your approval for each action.\n',
  );
  writeFileSync(
    join(trial, 'rules.json'),
    JSON.stringify(
      // The engineer may read and change only the trial folder; the terminal is supervised.
      folderRules(folder, {
        title: 'Local trial',
        vendor: 'Local trial vendor',
        customer: 'This machine',
      }),
      null,
      2,
    ),
  );
  run('assent-engineer', [
    'rules',
    'sign',
    join(trial, 'rules.json'),
    '--out',
    join(trial, 'rules.signed.json'),
    '--vendor-home',
    vendorDir,
  ]);
  const accepted = await agentMain([
    'rules',
    'accept',
    join(trial, 'rules.signed.json'),
    '--yes',
    '--admin',
    process.env.USER ?? 'local admin',
    '--data',
    dataDir,
  ]);
  if (accepted !== 0) throw new Error('the trial ground rules could not be installed');
  out(
    'Local trial: no vendor was pinned, so a trial vendor key and an engineer credential were created on this',
  );
  out(`machine (keys in your OS keychain), and trial ground rules allow work only in ${folder}.`);
  return engineerDir;
}

async function startLocalRelay(
  dataDir: string,
  out: (line: string) => void,
): Promise<{ url: string; child: ChildProcess }> {
  const relayDir = join(dataDir, 'local-relay');
  mkdirSync(relayDir, { recursive: true, mode: 0o700 });
  const vendor = loadTrustedVendor(dataDir);
  writeFileSync(join(relayDir, 'vendor.pub'), JSON.stringify(vendor));
  const tryPort = (port: number): Promise<{ url: string; child: ChildProcess }> =>
    new Promise((resolvePromise, reject) => {
      const child = spawn(
        process.execPath,
        [
          ...NODE_FLAGS,
          bin('assent-relay'),
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--data',
          relayDir,
          '--stop-with-stdin',
        ],
        {
          // The relay stops when this pipe closes: when the agent ends, also by a crash or kill -9.
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      let seen = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        const match = /listening on (\S+)/.exec(seen);
        if (match) resolvePromise({ url: match[1]!, child });
      });
      child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString('utf8')));
      child.once('exit', (code) =>
        reject(new Error(`the local relay exited (${code}): ${seen.trim()}`)),
      );
    });
  const port = localRelayPort();
  let relay: { url: string; child: ChildProcess };
  try {
    relay = await tryPort(port);
  } catch (error) {
    if (port === 0) throw error;
    relay = await tryPort(0);
  }
  out(`Local relay running at ${relay.url} (stops with the agent).`);
  return relay;
}

/**
 * How the desktop app is started: Electron with the V8 flags (it takes them
 * for its main process, the agent core, only on its command line), and the
 * data folder and relay this command chose in the environment, where the
 * app's main process reads them (it takes no `--data` or `--relay`).
 */
export function desktopLaunch(
  electron: string,
  argv: readonly string[],
  dataDir: string,
  relayUrl: string,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: electron,
    args: [
      `--js-flags=${NODE_FLAGS.join(' ')}`,
      root,
      ...withoutOptions(argv, ['--data', '--relay']),
    ],
    env: { ...process.env, ASSENT_DATA_DIR: dataDir, ASSENT_RELAY_URL: relayUrl },
  };
}

/** `argv` without the given options and their values. */
function withoutOptions(argv: readonly string[], options: readonly string[]): string[] {
  return argv.filter((a, i) => !options.includes(a) && !options.includes(argv[i - 1] ?? ''));
}

export async function main(argv: string[]): Promise<number> {
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  const dataDir = agentDataDir(
    argv.includes('--data') ? argv[argv.indexOf('--data') + 1] : undefined,
  );
  // The desktop app and the headless agent alike get the local trial and relay when none is set up.
  const reason = electronUnavailable();
  if (reason)
    out(`Electron cannot start here (${reason}); running the headless agent in this terminal.`);

  let relay: { url: string; child: ChildProcess } | undefined;
  let relayUrl = configuredRelayUrl(
    dataDir,
    argv.includes('--relay') ? argv[argv.indexOf('--relay') + 1] : undefined,
  );
  try {
    if (!relayUrl) {
      let engineerDir: string | undefined;
      try {
        loadTrustedVendor(dataDir);
      } catch (error) {
        if (!isAssentError(error, 'VENDOR_NOT_TRUSTED')) throw error;
        engineerDir = await setUpLocalTrial(dataDir, out);
      }
      relay = await startLocalRelay(dataDir, out);
      relayUrl = relay.url;
      if (engineerDir) {
        out(
          `In another terminal, the engineer joins with:  npm run engineer -- connect <code> --relay ${relayUrl} --home ${engineerDir}`,
        );
      }
    }
    if (!reason) {
      const electron = createRequire(import.meta.url)('electron') as string;
      const launch = desktopLaunch(electron, argv, dataDir, relayUrl);
      const child = spawn(launch.command, launch.args, { stdio: 'inherit', env: launch.env });
      return await new Promise((done) => child.once('exit', (code) => done(code ?? 1)));
    }
    return await agentMain([
      'run',
      '--data',
      dataDir,
      '--relay',
      relayUrl,
      ...withoutOptions(argv, ['--data', '--relay']),
    ]);
  } catch (error) {
    process.stderr.write(
      `assent: ${isAssentError(error) ? `${error.message} (${error.code})` : (error as Error).message}\n`,
    );
    return 1;
  } finally {
    relay?.child.kill('SIGTERM');
  }
}
