// Benchmark (not a test), issue 2: the session backbone against plain `ws`
// and OpenSSH on loopback, all measured in one run on this machine.
//  - session setup: code issued → approved-ready (auto-accept), N times;
//  - chat round trip engineer → relay → agent → relay → engineer (encrypted,
//    validated, audited on the agent), p50/p99, against a `ws` echo and an
//    `ssh -tt` echo;
//  - bulk throughput of 1 GiB through the relay with end-to-end encryption,
//    both directions, against `ws` without relay or encryption and
//    `ssh -T … cat` with OpenSSH's default cipher.
// Relay (bin/assent-relay.js), agent (bench/support/session-agent.ts) and
// engineer (bench/support/session-engineer.ts) run as three processes, as
// they would in real use; this process only orchestrates (and runs the
// plain-ws client of the reference).
// Targets (printed as PASS/MISS, never enforced): throughput ≥ 1.5× OpenSSH,
// round trip p50 ≤ OpenSSH's echo, p99 < 5 ms.
//
//   node bin/run-ts.js bench/session.ts   (ASSENT_BENCH_BULK_MIB=64 for a quick look)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPrivateKey } from '../platform/signing';
import { MESSAGE_RATE_PER_SECOND } from '../protocol/limits';
import {
  measureSshEchoRoundTrips,
  measureSshThroughput,
  startOpenSshOrSkip,
  type OpenSsh,
} from './openssh';
import { BenchChild } from './support/bench-child';
import { CpuMeter } from './support/cpu-time';
import { measureUnderPrivateKeyring } from './support/keyring';
import { startRelayProcess } from './support/relay-process';
import type { SessionAgentSetup } from './support/session-agent';
import type { SessionEngineerSetup } from './support/session-engineer';
import { latencyLine, mbps, ms, rateLine, ratio, spread, verdict } from './support/stats';
import { startWsReference } from './support/ws-reference';
import {
  agentToEngineer,
  engineerToAgent,
  joinSession,
  roundTrips,
  sessionSetup,
  type Pacing,
  type Stack,
} from './support/session-measures';
import { benchIdentities } from './support/bench-identities';
import { TransferFigures } from './support/transfer-figures';

const MIB = 1024 * 1024;
const BULK_BYTES = Number(process.env['ASSENT_BENCH_BULK_MIB'] ?? 1024) * MIB;
const BULK_ROUNDS = 3;
const SETUP_REPETITIONS = 10;
const ROUND_TRIPS = 500;
const WARMUP = 50;
/** Round trips are paced below the channel's message rate limit (the agent would end the session). */
const PACE_MS = Math.ceil(1000 / (MESSAGE_RATE_PER_SECOND * 0.8));
/** Bytes of the ws reference's echo: about a chat message's JSON. */
const ECHO_BYTES = 100;
/** This machine's ceiling for an encrypted relay (issue 2). */
const CEILING_BYTES_PER_SECOND = 0.45e9;

async function measure(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'assent-bench-session-'));
  const { vendorKey, vendor, vendorKeyFile, engineerKey, certificate } = benchIdentities(root);
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const relay = await startRelayProcess(join(root, 'relay'), vendorKeyFile);
    cleanups.push(() => relay.stop());
    const setupFile = join(root, 'agent-setup.json');
    const agentSetup: SessionAgentSetup = {
      relayUrl: relay.url,
      dataDir: join(root, 'agent'),
      customerDir: join(root, 'customer'),
      vendor,
      vendorPrivateKey: exportPrivateKey(vendorKey.privateKey),
    };
    writeFileSync(setupFile, JSON.stringify(agentSetup), { mode: 0o600 });
    const agent = BenchChild.start('bench/support/session-agent.ts', [setupFile]);
    cleanups.push(() => agent.stop(15_000));
    const engineerFile = join(root, 'engineer-setup.json');
    const engineerSetup: SessionEngineerSetup = {
      relayUrl: relay.url,
      certificate,
      privateKey: exportPrivateKey(engineerKey.privateKey),
    };
    writeFileSync(engineerFile, JSON.stringify(engineerSetup), { mode: 0o600 });
    const engineer = BenchChild.start('bench/support/session-engineer.ts', [engineerFile]);
    cleanups.push(() => engineer.stop(15_000));
    const ws = await startWsReference();
    cleanups.push(() => ws.close());
    const ssh: OpenSsh | undefined = await startOpenSshOrSkip('session');
    if (ssh) cleanups.push(() => ssh.close());
    const stack: Stack = { agent, engineer };

    const loadBefore = loadavg()[0]!;
    const { setup, toCode } = await sessionSetup(stack, SETUP_REPETITIONS);
    await joinSession(stack);

    const pacing: Pacing = { count: ROUND_TRIPS, warmup: WARMUP, intervalMs: PACE_MS };
    const chat = await roundTrips(stack, 'chat', pacing);
    const message = await roundTrips(stack, 'message', pacing);
    const wsEcho = await ws.roundTrips(ROUND_TRIPS, WARMUP, PACE_MS, ECHO_BYTES);
    const sshEcho = ssh
      ? await measureSshEchoRoundTrips(ssh, ROUND_TRIPS, WARMUP, PACE_MS)
      : undefined;

    const assentCpu = new CpuMeter([{ pid: engineer.pid }, { pid: relay.pid }, { pid: agent.pid }]);
    const wsCpu = new CpuMeter([{ pid: process.pid }, { pid: ws.pid }]);
    // ssh, sshd's session processes and cat are waited-for children of this process and of sshd.
    const sshCpu = new CpuMeter([
      { pid: process.pid, children: true },
      { pid: ssh?.pid, children: true },
    ]);
    const split = ['engineer', 'relay', 'agent'];
    const bulk = {
      up: new TransferFigures(BULK_BYTES, split),
      down: new TransferFigures(BULK_BYTES, split),
      ws: new TransferFigures(BULK_BYTES, ['client', 'server']),
      ssh: new TransferFigures(BULK_BYTES),
    };
    // Interleaved rounds, so drift on the shared machine hits every variant alike.
    for (let round = 0; round < BULK_ROUNDS; round++) {
      if (ssh)
        bulk.ssh.addMeasured(
          await sshCpu.measure(async () => {
            const rate = await measureSshThroughput(ssh, BULK_BYTES);
            // sshd reaps its session processes on SIGCHLD; let their CPU time land.
            await new Promise((r) => setTimeout(r, 200));
            return rate;
          }),
        );
      bulk.ws.addMeasured(await wsCpu.measure(() => ws.throughput(BULK_BYTES)));
      bulk.up.addMeasured(await assentCpu.measure(() => engineerToAgent(stack, BULK_BYTES)));
      bulk.down.addMeasured(await assentCpu.measure(() => agentToEngineer(stack, BULK_BYTES)));
    }
    const cipher = ssh?.defaultCipher() ?? 'unavailable';

    console.log(
      `session: relay, agent and engineer in 3 processes on ${relay.url}; ${new Date().toISOString()}; ` +
        `load average ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
    );
    console.log(`setup, code issued → approved-ready (auto-accept): ${latencyLine(spread(setup))}`);
    console.log(`agent start → code shown:                         ${latencyLine(spread(toCode))}`);
    console.log(`round trips (${ROUND_TRIPS} after ${WARMUP} warm-up, one every ${PACE_MS} ms):`);
    const rtt = (name: string, values: number[]): void =>
      console.log(`  ${name.padEnd(48)} ${latencyLine(spread(values))}`);
    rtt('assent chat via relay (E2E, validated, audited)', chat);
    rtt('assent grant.list request/reply (E2E, no disk)', message);
    rtt(`plain ws echo, ${ECHO_BYTES} B (no relay, no E2E)`, wsEcho);
    if (sshEcho) rtt(`ssh -tt echo (${cipher})`, sshEcho);
    console.log(
      `bulk ${BULK_BYTES / MIB} MiB, ${BULK_ROUNDS} interleaved rounds; CPU = seconds per GiB summed over the processes involved:`,
    );
    const row = (name: string, b: TransferFigures): void =>
      console.log(`  ${name.padEnd(48)} ${rateLine(spread(b.rates))}  CPU ${b.cpuLine()}`);
    row('assent engineer→agent via relay (E2E)', bulk.up);
    row('assent agent→engineer via relay (E2E)', bulk.down);
    row('plain ws (no relay, no E2E)', bulk.ws);
    if (ssh) row(`ssh -T cat (${cipher})`, bulk.ssh);

    const up = bulk.up.rate();
    const down = bulk.down.rate();
    const chatSpread = spread(chat);
    const messageSpread = spread(message);
    console.log('ratios:');
    console.log(
      `  assent/ws throughput: up ${ratio(up / bulk.ws.rate())}, down ${ratio(down / bulk.ws.rate())}`,
    );
    console.log(
      `  assent vs the machine's encrypted-relay ceiling (${mbps(CEILING_BYTES_PER_SECOND)}): ` +
        `up ${ratio(up / CEILING_BYTES_PER_SECOND)}, down ${ratio(down / CEILING_BYTES_PER_SECOND)}`,
    );
    console.log(
      `  round trip p50 over plain ws: chat ${ratio(chatSpread.p50 / spread(wsEcho).p50)}, ` +
        `grant.list ${ratio(messageSpread.p50 / spread(wsEcho).p50)}`,
    );
    if (ssh && sshEcho) {
      const sshRate = bulk.ssh.rate();
      const sshP50 = spread(sshEcho).p50;
      const target = (met: boolean, text: string): void => console.log(`  ${verdict(met)} ${text}`);
      target(
        up >= 1.5 * sshRate,
        `throughput engineer→agent / ssh ${ratio(up / sshRate)} (target ≥ 1.5×)`,
      );
      target(
        down >= 1.5 * sshRate,
        `throughput agent→engineer / ssh ${ratio(down / sshRate)} (target ≥ 1.5×)`,
      );
      const sshCpuPerGiB = bulk.ssh.cpuPerGiB();
      const upCpu = bulk.up.cpuPerGiB();
      const downCpu = bulk.down.cpuPerGiB();
      if (sshCpuPerGiB && upCpu && downCpu)
        console.log(
          `  (info) CPU per byte, ssh/assent (load-independent efficiency): up ${ratio(sshCpuPerGiB / upCpu)}, down ${ratio(sshCpuPerGiB / downCpu)}`,
        );
      target(
        chatSpread.p50 <= sshP50,
        `round trip p50 chat/ssh ${ratio(chatSpread.p50 / sshP50)} (target ≤ 1×)`,
      );
      console.log(
        `  (info) round trip p50 grant.list/ssh ${ratio(messageSpread.p50 / sshP50)}, p99 ${ms(messageSpread.p99)}`,
      );
    } else {
      console.log('  OpenSSH ratios skipped (no sshd)');
    }
    console.log(
      `  ${verdict(chatSpread.p99 < 5)} round trip p99 chat ${ms(chatSpread.p99)} (target < 5 ms)`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs the benchmark (re-run under a private session bus and keyring when none is set up). */
export function run(): Promise<void> {
  return measureUnderPrivateKeyring('bench/session.ts', measure);
}

/** Entry point for `node bin/run-ts.js bench/session.ts`. */
export async function main(): Promise<number> {
  await run();
  return 0;
}
