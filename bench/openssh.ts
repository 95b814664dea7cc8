// A throwaway OpenSSH server on 127.0.0.1 for benchmarks that compare with
// ssh (reference measured in the same run): fresh host and client keys in a
// temp dir, key authentication only, the current user. sshd needs its
// privilege-separation directory (/run/sshd); when it is missing and we run
// as root it is created, as the Debian package would. Also the reference
// measurements the benches share: `ssh -T … cat` throughput, `ssh -tt` echo
// round trips and `scp` of a file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** A running sshd and how to reach it. */
export interface OpenSsh {
  readonly port: number;
  /** The sshd listener's process id (its cutime/cstime include the finished session processes). */
  readonly pid: number | undefined;
  /** A directory removed with the server: where copies made by `scp` can land. */
  readonly scratchDir: string;
  /** Spawns `ssh [options] user@127.0.0.1 command` (e.g. `ssh(['-tt'], 'cat')`), stdin/stdout piped. */
  ssh(options: readonly string[], command: string): ChildProcess;
  /** The argument vector of `ssh(options, command)`, starting with `ssh`. */
  sshArgv(options: readonly string[], command: string): string[];
  /** Copies a local file to `remotePath` on the server with `scp`; resolves when scp exits 0. */
  scp(localPath: string, remotePath: string): Promise<void>;
  /** The cipher ssh negotiates by default with this server (e.g. chacha20-poly1305@openssh.com). */
  defaultCipher(): string;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function exited(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${what} exited with ${code ?? signal}`)),
    );
  });
}

/** Starts sshd; throws with a readable message when it cannot (no sshd, no privsep dir). */
export async function startOpenSsh(): Promise<OpenSsh> {
  const sshd = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));
  if (!sshd) throw new Error('sshd is not installed');
  for (const tool of ['ssh', 'ssh-keygen'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0)
      throw new Error(`${tool} is not installed`);
  if (!existsSync('/run/sshd')) {
    if (process.getuid?.() !== 0) throw new Error('sshd needs /run/sshd (create it as root)');
    mkdirSync('/run/sshd', { mode: 0o755 });
  }
  const dir = mkdtempSync(join(tmpdir(), 'assent-bench-sshd-'));
  for (const name of ['host_key', 'client_key'])
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)], {
      stdio: 'ignore',
    });
  copyFileSync(join(dir, 'client_key.pub'), join(dir, 'authorized_keys'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      // scp speaks SFTP since OpenSSH 9.0.
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
    ].join('\n') + '\n',
  );
  const server = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' });
  // Never leave sshd behind, even when the bench throws or exits early.
  const killOnExit = (): void => void server.kill();
  process.once('exit', killOnExit);
  const common = [
    '-i',
    join(dir, 'client_key'),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'BatchMode=yes',
  ];
  const target = `${userInfo().username}@127.0.0.1`;
  const base = [...common, '-p', String(port)];
  const sshArgv = (options: readonly string[], command: string): string[] => [
    'ssh',
    ...base,
    ...options,
    target,
    command,
  ];
  const ssh = (options: readonly string[], command: string): ChildProcess =>
    spawn('ssh', sshArgv(options, command).slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once('exit', r));
      server.kill();
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Wait until it accepts a login.
  for (let i = 0; ; i++) {
    const probe = spawnSync('ssh', [...base, target, 'true'], { stdio: 'ignore' });
    if (probe.status === 0) break;
    if (i > 50 || server.exitCode !== null) {
      await stop();
      throw new Error('sshd did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const scratchDir = join(dir, 'scratch');
  mkdirSync(scratchDir);
  return {
    port,
    pid: server.pid,
    scratchDir,
    ssh,
    sshArgv,
    scp: (localPath, remotePath) =>
      exited(
        spawn('scp', [...common, '-q', '-P', String(port), localPath, `${target}:${remotePath}`], {
          stdio: ['ignore', 'ignore', 'inherit'],
        }),
        'scp',
      ),
    defaultCipher() {
      const probe = spawnSync('ssh', [...base, '-v', target, 'true'], { encoding: 'utf8' });
      return /kex: server->client cipher: (\S+)/.exec(probe.stderr)?.[1] ?? 'unknown';
    },
    close: stop,
  };
}

/** Starts sshd, or prints why the OpenSSH reference is unavailable and returns undefined. */
export async function startOpenSshOrSkip(bench: string): Promise<OpenSsh | undefined> {
  try {
    return await startOpenSsh();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.log(`${bench}: OpenSSH reference unavailable (${reason}); ratios against it skipped`);
    return undefined;
  }
}

/**
 * Bytes per second of `ssh -T … 'cat > /dev/null'` fed `bytes` from /dev/zero
 * by `head` in a shell pipeline (ssh compression is off by default, so zeros
 * cost what any bytes cost; this process is not in the data path); from spawn
 * to the pipeline's exit, so it includes the connection setup.
 */
export async function measureSshThroughput(
  server: OpenSsh,
  bytes: number,
  options: readonly string[] = [],
): Promise<number> {
  const t0 = performance.now();
  const pipeline = spawn(
    'sh',
    [
      '-c',
      `head -c ${bytes} /dev/zero | "$@"`,
      'sh',
      ...server.sshArgv(['-T', ...options], 'cat > /dev/null'),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await exited(pipeline, 'head | ssh -T');
  return bytes / ((performance.now() - t0) / 1000);
}

/**
 * Round trips in milliseconds of one byte through `ssh -tt` to a remote
 * `cat` in a raw, non-echoing pty: ssh → sshd → pty → cat and back. With
 * `intervalMs`, each round trip starts at least that long after the one
 * before (keystroke pacing, as the other sides of a comparison are paced).
 */
export async function measureSshEchoRoundTrips(
  server: OpenSsh,
  count: number,
  warmup = 50,
  intervalMs = 0,
): Promise<number[]> {
  const child = server.ssh(['-tt'], 'stty raw -echo; echo ready-$((6*7)); exec cat');
  let pending: { byte: number; resolve: () => void } | undefined;
  let ready: (() => void) | undefined;
  let seen = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    if (ready) {
      seen += chunk.toString('latin1');
      if (seen.includes('ready-42')) ready();
      return;
    }
    if (pending && chunk.includes(pending.byte)) pending.resolve();
  });
  const done = exited(child, 'ssh -tt').catch(() => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      ready = resolve;
      child.once('exit', () => reject(new Error('ssh -tt ended before the remote cat started')));
    });
    ready = undefined;
    const times: number[] = [];
    for (let i = 0; i < warmup + count; i++) {
      const byte = 97 + (i % 26);
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        pending = { byte, resolve };
        child.stdin!.write(Buffer.of(byte));
      });
      const elapsed = performance.now() - t0;
      if (i >= warmup) times.push(elapsed);
      if (elapsed < intervalMs) await new Promise((r) => setTimeout(r, intervalMs - elapsed));
    }
    return times;
  } finally {
    child.kill();
    await done;
  }
}

/** Bytes per second of `scp` of `localPath` (of `bytes` bytes) into the server's scratch directory. */
export async function measureScp(
  server: OpenSsh,
  localPath: string,
  bytes: number,
): Promise<number> {
  const target = join(server.scratchDir, 'scp-copy');
  const t0 = performance.now();
  await server.scp(localPath, target);
  const rate = bytes / ((performance.now() - t0) / 1000);
  rmSync(target, { force: true });
  return rate;
}
