// Benchmark (not a test), issue 4: the interactive remote terminal against
// OpenSSH on loopback, both measured in the same run.
//  1. Keystroke echo round trip: engineer console -> relay on 127.0.0.1 ->
//     agent -> pty -> back, p50/p99, against `ssh -tt` to a throwaway sshd
//     (bench/openssh.ts). Both run `cat > /dev/null` in the remote pty, so the
//     echo is the pty line discipline's on both sides. Same keystrokes, same
//     pacing, timed the same way (write to the first sight of the byte).
//     Targets: p50 no worse than OpenSSH's, p99 under 5 ms.
//  2. Throughput of `cat` of a large file through the pty, against `ssh -tt`:
//     in both, an interactive shell already runs in the pty (echo off), the
//     bench writes `cat <file>; echo <mark>` and times from that write until
//     the mark arrives. Target: at least OpenSSH's.
// Relay (bin/assent-relay.js), agent (bench/support/terminal-agent.ts) and
// engineer console (this process) run as three processes, as in real use
// (ssh and sshd are separate processes too). The agent runs with the ground
// rules' defaults for a terminal: recorded (asciicast, fail closed), audited,
// and mirrored to the approver (the headless UI's mirror, into a sink).
// Echo blocks and cat rounds of the two sides are interleaved, so drift on
// the shared machine hits both alike. Targets are printed as PASS/MISS.
//
//   node bin/run-ts.js bench/terminal.ts   (ASSENT_BENCH_TERMINAL_RECORD=0: without recording)
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineerSession } from '../console/engineer-session';
import { openShell, type RemoteShell } from '../console/terminal/terminal-client';
import { exportPrivateKey } from '../platform/signing';
import { startOpenSsh, type OpenSsh } from './openssh';
import { BenchChild } from './support/bench-child';
import { cpuSeconds } from './support/cpu-time';
import { measureUnderPrivateKeyring } from './support/keyring';
import { startRelayProcess } from './support/relay-process';
import { latencyLine, mbps, ms, ratio, spread, verdict } from './support/stats';
import type { TerminalAgentSetup } from './support/terminal-agent';
import { benchIdentities } from './support/bench-identities';

const KEYSTROKES = 1000;
/** The keystrokes of each side are measured in this many blocks, alternating sides. */
const ECHO_BLOCKS = 5;
/**
 * One keystroke per 10 ms on both sides: a very fast typist, and under the
 * session's message rate limit (MESSAGE_RATE_PER_SECOND), which a burst of
 * back-to-back keystrokes would trip.
 */
const KEYSTROKE_INTERVAL_MS = 10;
const WARMUP = 50;
/** Keystrokes before an (untimed) Enter: canonical mode buffers the line. */
const LINE_LENGTH = 200;
const FILE_BYTES = 64 * 1024 * 1024;
const CAT_ROUNDS = 5;
const RECORD = process.env['ASSENT_BENCH_TERMINAL_RECORD'] !== '0';
/** `echo` or `cat` to measure only one part (e.g. for a CPU profile of one); both by default. */
const ONLY = process.env['ASSENT_BENCH_TERMINAL_ONLY'];

/** How much of the output's end is searched for a mark (the mark, a line end, a prompt). */
const TAIL_BYTES = 4096;

/** One side of the comparison: a pty on the far end, keystrokes in, output out. */
interface Pty {
  /** The processes that carry the bytes (not the shell or cat): their CPU is compared. */
  transport(): Array<number | undefined>;
  write(text: string): void;
  /** Receives every output chunk (replacing the previous listener); null stops. */
  listen(listener: ((chunk: Buffer) => void) | null): void;
  close(): Promise<void>;
}

/** Waits until the output contains `mark`; resolves with the bytes seen until then. */
function waitForMark(pty: Pty, mark: string): Promise<number> {
  return new Promise((resolve) => {
    let bytes = 0;
    let tail = '';
    pty.listen((chunk) => {
      bytes += chunk.length;
      // The mark is followed by at most a prompt: look at the end of each chunk only,
      // rather than making a string of every 128 KiB chunk (ssh's chunks are looked at alike).
      tail = (tail + chunk.subarray(-TAIL_BYTES).toString('latin1')).slice(-TAIL_BYTES);
      if (tail.includes(mark)) {
        pty.listen(null);
        resolve(bytes);
      }
    });
  });
}

/** `echo <prefix>-N` with N computed by the shell, so the mark never appears in the echoed command. */
function markCommand(prefix: string, n: number): { command: string; mark: string } {
  return { command: `echo ${prefix}-$((${n}+0))`, mark: `${prefix}-${n}` };
}

/** Measures `count` echo round trips: write one character, wait until it comes back. */
async function echoRoundTrips(pty: Pty, count: number, warmup: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    if (i % LINE_LENGTH === LINE_LENGTH - 1) {
      await new Promise<void>((resolve) => {
        pty.listen((c) => c.includes(0x0a) && resolve());
        pty.write('\r');
      });
    }
    const byte = 97 + (i % 26);
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      pty.listen((c) => c.includes(byte) && resolve());
      pty.write(String.fromCharCode(byte));
    });
    const elapsed = performance.now() - t0;
    if (i >= warmup) times.push(elapsed);
    if (elapsed < KEYSTROKE_INTERVAL_MS)
      await new Promise((r) => setTimeout(r, KEYSTROKE_INTERVAL_MS - elapsed));
  }
  pty.listen(null);
  return times;
}

/** CPU seconds each process has used so far (0 for one /proc cannot tell). */
function cpuOf(pids: Array<number | undefined>): number[] {
  return pids.map((pid) => cpuSeconds(pid) ?? 0);
}

/**
 * `cat file` in the pty: bytes per second from writing the command to seeing
 * the mark after it, and the transport's CPU seconds per GiB meanwhile.
 */
async function catThroughput(
  pty: Pty,
  file: string,
  round: number,
): Promise<{ rate: number; cpuPerGiB: number; eachPerGiB: number[] }> {
  const { command, mark } = markCommand('assent-bench-end', round);
  const pids = pty.transport();
  const cpu0 = cpuOf(pids);
  const t0 = performance.now();
  const done = waitForMark(pty, mark);
  pty.write(`cat ${file}; ${command}\r`);
  const bytes = await done;
  const seconds = (performance.now() - t0) / 1000;
  const gib = bytes / 2 ** 30;
  const each = cpuOf(pids).map((after, i) => (after - cpu0[i]!) / gib);
  return { rate: bytes / seconds, cpuPerGiB: each.reduce((a, b) => a + b, 0), eachPerGiB: each };
}

/** Processes under `root` (by parent id, from /proc) whose name starts with `name`. */
function descendantsNamed(root: number | undefined, name: string): number[] {
  const parents = new Map<number, { ppid: number; comm: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), { ppid, comm });
    } catch {
      // Gone meanwhile.
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parents.get(pid)?.ppid; p !== undefined && p > 1; p = parents.get(p)?.ppid)
      if (p === root) return true;
    return false;
  };
  return [...parents]
    .filter(([pid, p]) => p.comm.startsWith(name) && under(pid))
    .map(([pid]) => pid);
}

/** Starts `startup` in a pty (echo on: `cat > /dev/null`; echo off: an interactive shell). */
async function ready(pty: Pty, startup: string): Promise<Pty> {
  const { command, mark } = markCommand('ready', 42);
  const seen = waitForMark(pty, mark);
  pty.write(`${command}; ${startup}\r`);
  await seen;
  return pty;
}

/** An interactive window on the agent, through the relay. */
async function assentPty(
  engineer: EngineerSession,
  transport: Array<number | undefined>,
): Promise<Pty> {
  let listener: ((chunk: Buffer) => void) | null = null;
  const shell: RemoteShell = await openShell(engineer.link, {
    cols: 200,
    rows: 50,
    onOutput: (bytes) => listener?.(bytes),
  });
  return {
    transport: () => transport,
    write: (text) => shell.write(text),
    listen: (l) => (listener = l),
    close: async () => {
      shell.close();
      await shell.done.catch(() => undefined);
    },
  };
}

/** `ssh -tt` running the user's shell interactively, as the agent's window does. */
function sshPty(sshd: OpenSsh): Pty {
  const child = sshd.ssh(['-tt'], 'exec "${SHELL:-/bin/bash}" -i');
  let listener: ((chunk: Buffer) => void) | null = null;
  child.stdout!.on('data', (c: Buffer) => listener?.(c));
  const exited = new Promise((r) => child.once('exit', r));
  return {
    // The client, and sshd's processes for this connection (the shell and cat are not sshd).
    transport: () => [child.pid, ...descendantsNamed(sshd.pid, 'sshd')],
    write: (text) => child.stdin!.write(text),
    listen: (l) => (listener = l),
    close: async () => {
      child.kill();
      await exited;
    },
  };
}

/** Echo round trips of both sides, in interleaved blocks (milliseconds). */
async function echoFigures(
  sshd: OpenSsh,
  engineer: EngineerSession,
  transport: Array<number | undefined>,
): Promise<{ ssh: number[]; assent: number[] }> {
  stage('echo');
  const shells = {
    ssh: await ready(sshPty(sshd), 'exec cat > /dev/null'),
    assent: await ready(await assentPty(engineer, transport), 'exec cat > /dev/null'),
  };
  const echo = { ssh: [] as number[], assent: [] as number[] };
  const perBlock = KEYSTROKES / ECHO_BLOCKS;
  for (let block = 0; block < ECHO_BLOCKS; block++) {
    const warmup = block === 0 ? WARMUP : 0;
    echo.ssh.push(...(await echoRoundTrips(shells.ssh, perBlock, warmup)));
    echo.assent.push(...(await echoRoundTrips(shells.assent, perBlock, warmup)));
  }
  await shells.ssh.close();
  await shells.assent.close();
  return echo;
}

/** `cat` throughput of both sides, in interleaved rounds (bytes per second). */
type CatRound = Awaited<ReturnType<typeof catThroughput>>;

async function catFigures(
  sshd: OpenSsh,
  engineer: EngineerSession,
  transport: Array<number | undefined>,
  file: string,
): Promise<{ ssh: CatRound[]; assent: CatRound[] }> {
  stage('cat');
  const shells = {
    ssh: await ready(sshPty(sshd), 'stty -echo'),
    assent: await ready(await assentPty(engineer, transport), 'stty -echo'),
  };
  const cat = { ssh: [] as CatRound[], assent: [] as CatRound[] };
  for (let round = 0; round < CAT_ROUNDS; round++) {
    cat.ssh.push(await catThroughput(shells.ssh, file, round));
    cat.assent.push(await catThroughput(shells.assent, file, round));
  }
  await shells.ssh.close();
  await shells.assent.close();
  return cat;
}

/** Progress on stderr (the figures go to stdout). */
const stage = (text: string): void => void process.stderr.write(`terminal bench: ${text}\n`);

async function measure(): Promise<void> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'assent-bench-term-')));
  const { vendorKey, vendor, vendorKeyFile, engineerKey, certificate } = benchIdentities(root);
  const customerDir = join(root, 'customer');
  mkdirSync(customerDir);
  const file = join(customerDir, 'big.txt');
  const line = 'assent terminal benchmark line: 0123456789abcdefghijklmnopqrstuvwxyz\n';
  writeFileSync(file, line.repeat(Math.ceil(FILE_BYTES / line.length)));
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const sshd = await startOpenSsh();
    cleanups.push(() => sshd.close());
    const relay = await startRelayProcess(join(root, 'relay'), vendorKeyFile);
    cleanups.push(() => relay.stop());
    const setupFile = join(root, 'agent-setup.json');
    const agentSetup: TerminalAgentSetup = {
      relayUrl: relay.url,
      dataDir: join(root, 'agent'),
      customerDir,
      vendor,
      vendorPrivateKey: exportPrivateKey(vendorKey.privateKey),
      record: RECORD,
    };
    writeFileSync(setupFile, JSON.stringify(agentSetup), { mode: 0o600 });
    const agent = BenchChild.start('bench/support/terminal-agent.ts', [setupFile]);
    cleanups.push(() => agent.stop(15_000));
    const transport = [process.pid, relay.pid, agent.pid];
    agent.send({ op: 'session' });
    const engineer = await EngineerSession.connect({
      relayUrl: relay.url,
      code: (await agent.next('code'))['code'] as string,
      certificate,
      signingKey: engineerKey,
      reason: 'Benchmark',
    });
    cleanups.push(() => engineer.endSession('benchmark over'));
    await engineer.waitForApproval();
    const loadBefore = loadavg()[0]!;

    const header =
      `terminal: relay, agent and engineer in 3 processes; recording ${RECORD ? 'on' : 'off'}; ` +
      `load average ${loadBefore.toFixed(1)}`;
    const lines: string[] = [];
    const targets: string[] = [];
    const target = (met: boolean, text: string): void =>
      void targets.push(`  ${verdict(met)} ${text}`);
    if (ONLY !== 'cat') {
      const echo = await echoFigures(sshd, engineer, transport);
      const sshEcho = spread(echo.ssh);
      const assentEcho = spread(echo.assent);
      lines.push(
        `echo: ${KEYSTROKES} keystrokes a side, one per ${KEYSTROKE_INTERVAL_MS} ms, ${ECHO_BLOCKS} interleaved blocks`,
        `  ssh -tt (${sshd.defaultCipher()})  ${latencyLine(sshEcho)}`,
        `  assent via relay  ${' '.repeat(sshd.defaultCipher().length)}${latencyLine(assentEcho)}`,
      );
      target(
        assentEcho.p50 <= sshEcho.p50,
        `echo p50 assent/ssh ${ratio(assentEcho.p50 / sshEcho.p50)} (target ≤ 1×)`,
      );
      target(assentEcho.p99 < 5, `echo p99 ${ms(assentEcho.p99)} (target < 5 ms)`);
    }
    if (ONLY !== 'echo') {
      const cat = await catFigures(sshd, engineer, transport, file);
      const sshCat = spread(cat.ssh.map((r) => r.rate)).p50;
      const assentCat = spread(cat.assent.map((r) => r.rate)).p50;
      const cpu = (rounds: CatRound[]): string =>
        `CPU ${spread(rounds.map((r) => r.cpuPerGiB)).p50.toFixed(1)} s/GiB`;
      const split = (rounds: CatRound[], names: string[]): string =>
        names
          .map((name, i) => `${name} ${spread(rounds.map((r) => r.eachPerGiB[i]!)).p50.toFixed(1)}`)
          .join(', ');
      lines.push(
        `cat of ${FILE_BYTES / 1024 / 1024} MiB, ${CAT_ROUNDS} interleaved rounds (median of each side):`,
        `  ssh -tt           ${cat.ssh.map((r) => mbps(r.rate)).join(', ')}; ${cpu(cat.ssh)} (ssh and sshd)`,
        `  assent via relay  ${cat.assent.map((r) => mbps(r.rate)).join(', ')}; ${cpu(cat.assent)} (${split(cat.assent, ['engineer', 'relay', 'agent'])})`,
      );
      target(
        assentCat >= sshCat,
        `cat throughput assent/ssh ${ratio(assentCat / sshCat)} (${mbps(assentCat)} vs ${mbps(sshCat)}; target ≥ 1×)`,
      );
    }
    console.log(`${header} → ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`);
    for (const line of [...lines, 'ratios:', ...targets]) console.log(line);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs the benchmark (re-run under a private session bus and keyring when none is set up). */
export function run(): Promise<void> {
  return measureUnderPrivateKeyring('bench/terminal.ts', measure);
}

/** Entry point for `node bin/run-ts.js bench/terminal.ts`. */
export async function main(): Promise<number> {
  await run();
  return 0;
}
