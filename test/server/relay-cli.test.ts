import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { VendorPublicKey } from '../../protocol/identity';
import { RELAY_PATHS } from '../../protocol/wire/relay';
import { generateSigningKeyPair } from '../../platform/signing';
import { SESSION_LOG_FILE } from '../../server/session-log';
import {
  expectPeer,
  headersFor,
  makeVendor,
  open,
  tempDir,
  type TestVendor,
} from './relay-harness';
import { makeSelfSignedCertificate } from './tls-cert';

const BIN = fileURLToPath(new URL('../../bin/assent-relay.js', import.meta.url));
const vendor = makeVendor();
let dir: ReturnType<typeof tempDir> | undefined;

afterEach(() => {
  dir?.cleanup();
  dir = undefined;
});

function writeVendorKey(path: string, v: TestVendor): void {
  const key: VendorPublicKey = {
    kind: 'assent-vendor-key',
    v: 1,
    vendor: 'Example Vendor',
    publicKey: v.key.publicKey,
  };
  writeFileSync(path, JSON.stringify(key));
}

interface Running {
  url: Promise<string>;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

function run(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolveUrl) => (found = resolveUrl));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const match = /assent-relay listening on (wss?:\/\/\S+)/.exec(stdout);
    if (match) found(match[1]!);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveExit) =>
    child.on('exit', (code) => resolveExit({ code, stdout, stderr })),
  );
  return { url, exit, kill: (signal) => child.kill(signal) };
}

describe('assent-relay CLI', () => {
  it('listens, prints its URL, serves agents, and exits 0 on SIGTERM', async () => {
    dir = tempDir();
    writeVendorKey(join(dir.path, 'vendor.pub'), vendor);
    const relay = run(['--host', '127.0.0.1', '--port', '0', '--data', dir.path]);
    const url = await relay.url;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const agent = expectPeer(
      await open(url, RELAY_PATHS.agent, headersFor('agent', generateSigningKeyPair(), '')),
    );
    expect((await agent.next('code')).code).toMatch(/^\d{10}$/);
    relay.kill('SIGTERM');
    expect((await agent.closed).code).toBe(1001);
    const { code, stderr } = await relay.exit;
    expect(code).toBe(0);
    expect(stderr).toMatch(/warning: plain ws/);
  });

  it('with --stop-with-stdin, stops when its standard input ends (here /dev/null)', async () => {
    dir = tempDir();
    writeVendorKey(join(dir.path, 'vendor.pub'), vendor);
    const relay = run([
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      dir.path,
      '--stop-with-stdin',
    ]);
    expect(await relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const { code, stdout } = await relay.exit;
    expect(code).toBe(0);
    expect(stdout).toMatch(/assent-relay stopped/);
  });

  it('serves wss with --tls-cert/--tls-key and stops on SIGINT', async () => {
    dir = tempDir();
    const tls = makeSelfSignedCertificate(dir.path);
    const keyFile = join(dir.path, 'vendor-key.json');
    writeVendorKey(keyFile, vendor);
    const relay = run([
      '--port',
      '0',
      '--data',
      join(dir.path, 'data'),
      '--vendor-key',
      keyFile,
      '--tls-cert',
      tls.certFile,
      '--tls-key',
      tls.keyFile,
    ]);
    const url = await relay.url;
    expect(url).toMatch(/^wss:\/\//);
    const agent = expectPeer(
      await open(url, RELAY_PATHS.agent, headersFor('agent', generateSigningKeyPair(), ''), {
        ca: tls.cert,
      }),
    );
    await agent.next('code');
    relay.kill('SIGINT');
    const { code, stderr } = await relay.exit;
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/plain ws/);
  });

  it('refuses to start without a vendor key, off loopback without TLS, or with bad options', async () => {
    dir = tempDir();
    const [noKey, exposed, badPort, help] = await Promise.all([
      run(['--port', '0', '--data', dir.path]).exit,
      run(['--host', '0.0.0.0', '--port', '0', '--data', dir.path]).exit,
      run(['--port', 'eighty']).exit,
      run(['--help']).exit,
    ]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain(`No vendor public key at ${join(dir.path, 'vendor.pub')}`);
    expect(exposed.code).toBe(2);
    expect(exposed.stderr).toMatch(/refusing plain ws on 0\.0\.0\.0/);
    expect(badPort.code).toBe(2);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: assent-relay/);
  });

  it('keeps its metadata log in the data directory', async () => {
    dir = tempDir();
    writeVendorKey(join(dir.path, 'vendor.pub'), vendor);
    const relay = run(['--port', '0', '--data', dir.path]);
    const url = await relay.url;
    const agent = expectPeer(
      await open(url, RELAY_PATHS.agent, headersFor('agent', generateSigningKeyPair(), '')),
    );
    const { code } = await agent.next('code');
    const engineer = vendor.engineer();
    const eng = expectPeer(
      await open(
        url,
        RELAY_PATHS.engineer,
        headersFor('engineer', engineer.key, code, engineer.certificate),
      ),
    );
    await eng.next('paired');
    relay.kill('SIGTERM');
    expect((await relay.exit).code).toBe(0);
    const events = readFileSync(join(dir.path, SESSION_LOG_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event: string; reason?: string }).event);
    expect(events).toEqual(['pair-start', 'pair-end']);
  });
});
