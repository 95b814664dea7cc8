// Benchmark (not a test), issue 4: the interactive remote terminal against
// OpenSSH on loopback, both measured in the same run.
//  1. Keystroke echo round trip: engineer console -> relay on 127.0.0.1 ->
//     agent -> pty -> back, p50/p99, against `ssh -tt` to a throwaway sshd
//     (bench/openssh.ts). Both run `cat > /dev/null` in the remote pty, so the
//     echo is the pty line discipline's on both sides.
//     Targets: p50 no worse than OpenSSH's, p99 under 5 ms.
//  2. Throughput of `cat` of a large file through the pty, against `ssh -tt`.
//     Target: at least OpenSSH's.
// The agent keeps its device key in the OS keychain; without a session bus
// this re-runs itself under dbus-run-session with a throwaway gnome-keyring,
// as bin/run-tests.js does.
//
//   node bin/run-ts.js bench/terminal.ts
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openShell, type RemoteShell } from '../console/terminal/terminal-client';
import { SessionHarness } from '../test/support/session-harness';
import { startOpenSsh } from './openssh';

const KEYSTROKES = 1000;
/**
 * One keystroke per 10 ms on both sides: a very fast typist, and under the
 * session's message rate limit (MESSAGE_RATE_PER_SECOND), which a burst of
 * back-to-back keystrokes would trip.
 */
const KEYSTROKE_INTERVAL_MS = 10;
const WARMUP = 50;
const FILE_BYTES = 64 * 1024 * 1024;
const END_MARK = 'assent-bench-end';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Measures echo round trips: `send(char)` then wait until `char` comes back. */
async function echoRoundTrips(
  send: (text: string) => void,
  onOutput: (listener: ((text: string) => void) | null) => void,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + KEYSTROKES; i++) {
    if (i % 200 === 199) {
      // Keep the line short (canonical mode buffers it); Enter is not timed.
      await new Promise<void>((resolve) => {
        onOutput((t) => t.includes('\n') && resolve());
        send('\r');
      });
    }
    if (process.env['BENCH_DEBUG'] && i % 100 === 0) stage(`keystroke ${i}`);
    const ch = String.fromCharCode(97 + (i % 26));
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      onOutput((t) => t.includes(ch) && resolve());
      send(ch);
    });
    const elapsed = performance.now() - t0;
    if (i >= WARMUP) times.push(elapsed);
    if (elapsed < KEYSTROKE_INTERVAL_MS)
      await new Promise((r) => setTimeout(r, KEYSTROKE_INTERVAL_MS - elapsed));
  }
  onOutput(null);
  return times.sort((a, b) => a - b);
}

/** Waits until the accumulated output contains `mark`; returns total bytes seen. */
function waitForMark(
  subscribe: (listener: (chunk: Buffer) => void) => void,
  mark: string,
): Promise<number> {
  return new Promise((resolve) => {
    let bytes = 0;
    let tail = '';
    subscribe((chunk) => {
      bytes += chunk.length;
      tail = (tail + chunk.toString('latin1')).slice(-4096);
      if (tail.includes(mark)) resolve(bytes);
    });
  });
}

async function assentFigures(file: string) {
  const harness = await SessionHarness.start({
    rules: {
      terminal: 'interactive',
      readableRoots: [dirname(file)],
      recordSessions: false,
      requireTerminalRecording: false,
    },
  });
  try {
    const { engineer } = await harness.approvedSession({
      onServices: (services) =>
        services.engine.on('prompt', (p: { id: string }) =>
          services.engine.decide(p.id, { how: 'allow-once' }, { approver: 'bench' }),
        ),
    });
    let listener: ((chunk: Buffer) => void) | null = null;
    const shell: RemoteShell = await openShell(engineer.link, {
      cols: 200,
      rows: 50,
      onOutput: (bytes) => listener?.(bytes),
    });
    stage('assent: shell open');
    const ready = waitForMark((l) => (listener = l), 'ready-42');
    shell.write('echo ready-$((6*7)); exec cat > /dev/null\r');
    await ready;
    const echo = await echoRoundTrips(
      (t) => shell.write(t),
      (l) => (listener = l ? (c) => l(c.toString('latin1')) : null),
    );
    shell.close();
    await shell.done.catch(() => undefined);
    stage('assent: echo measured');
    // Throughput: a second window runs cat of the file.
    let out: ((chunk: Buffer) => void) | null = null;
    const second = await openShell(engineer.link, {
      cols: 200,
      rows: 50,
      onOutput: (b) => out?.(b),
    });
    const started = waitForMark((l) => (out = l), 'go-7');
    second.write(`stty -echo; echo go-$((3+4))\r`);
    await started;
    const t0 = performance.now();
    const done = waitForMark((l) => (out = l), END_MARK);
    second.write(`cat ${file}; echo ${END_MARK}\r`);
    const bytes = await done;
    const seconds = (performance.now() - t0) / 1000;
    stage('assent: cat measured');
    second.close();
    await second.done.catch(() => undefined);
    await engineer.endSession();
    return { echo, throughput: bytes / seconds };
  } finally {
    await harness.close();
  }
}

async function sshFigures(file: string) {
  const sshd = await startOpenSsh();
  try {
    const child: ChildProcess = sshd.ssh(['-tt'], 'echo ready-$((6*7)); exec cat > /dev/null');
    let listener: ((chunk: Buffer) => void) | null = null;
    child.stdout!.on('data', (c: Buffer) => listener?.(c));
    await waitForMark((l) => (listener = l), 'ready-42');
    const echo = await echoRoundTrips(
      (t) => child.stdin!.write(t),
      (l) => (listener = l ? (c) => l(c.toString('latin1')) : null),
    );
    child.kill();
    const t0 = performance.now();
    const cat = sshd.ssh(['-tt'], `cat ${file}; echo ${END_MARK}`);
    let bytes = 0;
    cat.stdout!.on('data', (c: Buffer) => (bytes += c.length));
    await new Promise((r) => cat.once('exit', r));
    const seconds = (performance.now() - t0) / 1000;
    return { echo, throughput: bytes / seconds };
  } finally {
    await sshd.close();
  }
}

/** Progress on stderr (the figures go to stdout). */
const stage = (text: string): void => void process.stderr.write(`terminal bench: ${text}\n`);

const ms = (v: number): string => `${v.toFixed(3)} ms`;
const mbs = (v: number): string => `${(v / 1e6).toFixed(1)} MB/s`;

async function measure(): Promise<void> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'assent-bench-term-')));
  try {
    const shellRoot = join(dir, 'root');
    mkdirSync(shellRoot);
    const file = join(shellRoot, 'big.txt');
    const line = 'assent terminal benchmark line: 0123456789abcdefghijklmnopqrstuvwxyz\n';
    writeFileSync(file, line.repeat(Math.ceil(FILE_BYTES / line.length)));
    stage('ssh');
    const ssh = await sshFigures(file);
    stage('assent');
    const assent = await assentFigures(file);
    const row = (name: string, f: { echo: number[]; throughput: number }) =>
      `${name.padEnd(22)} echo p50 ${ms(percentile(f.echo, 50))}  p99 ${ms(percentile(f.echo, 99))}  cat ${mbs(f.throughput)}`;
    console.log(
      `terminal: ${KEYSTROKES} keystrokes, cat of ${FILE_BYTES / 1024 / 1024} MiB through a pty`,
    );
    console.log(row('ssh -tt (loopback)', ssh));
    console.log(row('assent via relay', assent));
    const p50 = percentile(assent.echo, 50) / percentile(ssh.echo, 50);
    const p99 = percentile(assent.echo, 99);
    console.log(
      `ratios: echo p50 assent/ssh ${p50.toFixed(2)} (target <= 1), echo p99 ${ms(p99)} (target < 5 ms), ` +
        `cat throughput assent/ssh ${(assent.throughput / ssh.throughput).toFixed(2)} (target >= 1)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark (under a private session bus and keyring when none is set up). */
export async function run(): Promise<void> {
  if (process.env['ASSENT_TEST_KEYRING'] === '1') return measure();
  const home = mkdtempSync(join(tmpdir(), 'assent-bench-keyring-'));
  try {
    const script = `printf '%s' assent-bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
exec node bin/run-ts.js bench/terminal.ts`;
    const result = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], {
      stdio: 'inherit',
      env: { ...process.env, XDG_DATA_HOME: join(home, 'data'), ASSENT_TEST_KEYRING: '1' },
    });
    if (result.status !== 0) throw new Error(`bench/terminal.ts failed (${result.status})`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `node bin/run-ts.js bench/terminal.ts` */
export async function main(): Promise<number> {
  await run();
  return 0;
}
