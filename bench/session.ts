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
// engineer (this process) run as three processes, as they would in real use.
// Targets (printed as PASS/MISS, never enforced): throughput ≥ 1.5× OpenSSH,
// round trip p50 ≤ OpenSSH's echo, p99 < 5 ms.
//
//   node bin/run-ts.js bench/session.ts   (ASSENT_BENCH_BULK_MIB=64 for a quick look)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineerSession } from '../console/engineer-session';
import { issueCertificate } from '../platform/credentials';
import { exportPrivateKey, generateSigningKeyPair } from '../platform/signing';
import { MESSAGE_RATE_PER_SECOND } from '../protocol/limits';
import type { VendorPublicKey } from '../protocol/identity';
import {
  measureSshEchoRoundTrips,
  measureSshThroughput,
  startOpenSshOrSkip,
  type OpenSsh,
} from './openssh';
import { BenchChild } from './support/bench-child';
import { hasPrivateKeyring, runUnderPrivateKeyring } from './support/keyring';
import { pacedRoundTrips } from './support/round-trips';
import { startRelayProcess } from './support/relay-process';
import type { SessionAgentSetup } from './support/session-agent';
import { latencyLine, mbps, ms, rateLine, ratio, spread, verdict } from './support/stats';
import { startWsReference } from './support/ws-reference';

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
const TRANSFER_TIMEOUT_MS = 600_000;

/** One agent helper process, one engineer credential, one relay. */
interface Stack {
  agent: BenchChild;
  relayUrl: string;
  connect(code: string): Promise<EngineerSession>;
}

async function sessionSetup(stack: Stack): Promise<{ setup: number[]; toCode: number[] }> {
  const setup: number[] = [];
  const toCode: number[] = [];
  for (let i = 0; i < SETUP_REPETITIONS; i++) {
    stack.agent.send({ op: 'session' });
    const { code, startToCodeMs } = await stack.agent.next('code');
    const t0 = performance.now();
    const engineer = await stack.connect(code as string);
    await engineer.waitForApproval();
    setup.push(performance.now() - t0);
    toCode.push(startToCodeMs as number);
    await engineer.endSession('setup measured');
    await stack.agent.next('ended');
  }
  return { setup, toCode };
}

function chatRoundTrips(engineer: EngineerSession): Promise<number[]> {
  return pacedRoundTrips(ROUND_TRIPS, WARMUP, PACE_MS, (i) => {
    const text = `bench ping ${i}`;
    return new Promise<void>((resolve) => {
      const onChat = (chat: { from: string; text: string }): void => {
        if (chat.from !== 'agent' || chat.text !== text) return;
        engineer.off('chat', onChat);
        resolve();
      };
      engineer.on('chat', onChat);
      engineer.chat(text);
    });
  });
}

/**
 * Round trips of `grant.list-request` → `grant.list`: the same relay,
 * encryption and validation as chat, through the action router, but no disk
 * write on the way (chat is audited before the agent sees it).
 */
function messageRoundTrips(engineer: EngineerSession): Promise<number[]> {
  return pacedRoundTrips(ROUND_TRIPS, WARMUP, PACE_MS, () => {
    const requestId = engineer.link.nextRequestId();
    return new Promise<void>((resolve) => {
      const off = engineer.link.on('grant.list', (message) => {
        if (message.requestId !== requestId) return;
        off();
        resolve();
      });
      engineer.link.send({ type: 'grant.list-request', requestId });
    });
  });
}

async function engineerToAgent(
  stack: Stack,
  engineer: EngineerSession,
  buffers: Buffer[],
): Promise<number> {
  const streamId = engineer.link.nextStreamId();
  stack.agent.send({ op: 'expect', streamId, bytes: BULK_BYTES });
  await stack.agent.next('expecting');
  const t0 = performance.now();
  for (let sent = 0, i = 0; sent < BULK_BYTES; sent += MIB, i++)
    await engineer.link.sendStream(streamId, buffers[i % buffers.length]!);
  await stack.agent.next('received', TRANSFER_TIMEOUT_MS);
  return BULK_BYTES / ((performance.now() - t0) / 1000);
}

async function agentToEngineer(stack: Stack, engineer: EngineerSession): Promise<number> {
  stack.agent.send({ op: 'open-stream' });
  const streamId = (await stack.agent.next('stream'))['streamId'] as number;
  let received = 0;
  let off: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    off = engineer.link.onStream(streamId, (chunk) => {
      received += chunk.length;
      if (received >= BULK_BYTES) resolve();
    });
  });
  const t0 = performance.now();
  stack.agent.send({ op: 'send', streamId, bytes: BULK_BYTES });
  await done;
  const rate = BULK_BYTES / ((performance.now() - t0) / 1000);
  off();
  await stack.agent.next('sent');
  return rate;
}

async function measure(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'assent-bench-session-'));
  const vendorKey = generateSigningKeyPair();
  const vendor: VendorPublicKey = {
    kind: 'assent-vendor-key',
    v: 1,
    vendor: 'Acme Support',
    publicKey: vendorKey.publicKey,
  };
  writeFileSync(join(root, 'vendor.pub'), JSON.stringify(vendor));
  const engineerKey = generateSigningKeyPair();
  const certificate = issueCertificate(vendorKey.privateKey, {
    vendor: 'Acme Support',
    name: 'Bench Engineer',
    email: 'bench@acme.example',
    roles: ['engineer'],
    publicKey: engineerKey.publicKey,
    days: 1,
  });
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const relay = await startRelayProcess(join(root, 'relay'), join(root, 'vendor.pub'));
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
    const ws = await startWsReference();
    cleanups.push(() => ws.close());
    const ssh: OpenSsh | undefined = await startOpenSshOrSkip('session');
    if (ssh) cleanups.push(() => ssh.close());
    const stack: Stack = {
      agent,
      relayUrl: relay.url,
      connect: (code) =>
        EngineerSession.connect({
          relayUrl: relay.url,
          code,
          certificate,
          signingKey: engineerKey,
          reason: 'Benchmark',
        }),
    };

    const { setup, toCode } = await sessionSetup(stack);
    stack.agent.send({ op: 'session' });
    const engineer = await stack.connect((await agent.next('code'))['code'] as string);
    cleanups.push(() => engineer.endSession('benchmark over'));
    await engineer.waitForApproval();

    const chat = await chatRoundTrips(engineer);
    const message = await messageRoundTrips(engineer);
    const wsEcho = await ws.roundTrips(ROUND_TRIPS, WARMUP, PACE_MS, ECHO_BYTES);
    const sshEcho = ssh
      ? await measureSshEchoRoundTrips(ssh, ROUND_TRIPS, WARMUP, PACE_MS)
      : undefined;

    const buffers = Array.from({ length: 4 }, () => randomBytes(MIB));
    const bulk = {
      up: [] as number[],
      down: [] as number[],
      ws: [] as number[],
      ssh: [] as number[],
    };
    // Interleaved rounds, so drift on the shared machine hits every variant alike.
    for (let round = 0; round < BULK_ROUNDS; round++) {
      if (ssh) bulk.ssh.push(await measureSshThroughput(ssh, BULK_BYTES));
      bulk.ws.push(await ws.throughput(BULK_BYTES));
      bulk.up.push(await engineerToAgent(stack, engineer, buffers));
      bulk.down.push(await agentToEngineer(stack, engineer));
    }
    const cipher = ssh?.defaultCipher() ?? 'unavailable';

    console.log(
      `session: relay, agent and engineer in 3 processes on ${relay.url}; ${new Date().toISOString()}`,
    );
    console.log(`setup, code issued → approved-ready (auto-accept): ${latencyLine(spread(setup))}`);
    console.log(`agent start → code shown:                         ${latencyLine(spread(toCode))}`);
    console.log(`round trips (${ROUND_TRIPS} after ${WARMUP} warm-up, one every ${PACE_MS} ms):`);
    console.log(`  assent chat via relay (E2E, validated, audited) ${latencyLine(spread(chat))}`);
    console.log(
      `  assent grant.list request/reply (E2E, no disk)  ${latencyLine(spread(message))}`,
    );
    console.log(
      `  plain ws echo, ${ECHO_BYTES} B (no relay, no E2E)      ${latencyLine(spread(wsEcho))}`,
    );
    if (sshEcho) console.log(`  ssh -tt echo (${cipher})  ${latencyLine(spread(sshEcho))}`);
    console.log(`bulk ${BULK_BYTES / MIB} MiB, ${BULK_ROUNDS} interleaved rounds:`);
    console.log(`  assent engineer→agent via relay (E2E)  ${rateLine(spread(bulk.up))}`);
    console.log(`  assent agent→engineer via relay (E2E)  ${rateLine(spread(bulk.down))}`);
    console.log(`  plain ws (no relay, no E2E)            ${rateLine(spread(bulk.ws))}`);
    if (ssh) console.log(`  ssh -T cat (${cipher})  ${rateLine(spread(bulk.ssh))}`);

    const up = spread(bulk.up).p50;
    const down = spread(bulk.down).p50;
    const chatSpread = spread(chat);
    console.log('ratios:');
    console.log(
      `  assent/ws throughput: up ${ratio(up / spread(bulk.ws).p50)}, down ${ratio(down / spread(bulk.ws).p50)}`,
    );
    console.log(
      `  assent vs the machine's encrypted-relay ceiling (${mbps(CEILING_BYTES_PER_SECOND)}): up ${ratio(up / CEILING_BYTES_PER_SECOND)}, down ${ratio(down / CEILING_BYTES_PER_SECOND)}`,
    );
    const messageSpread = spread(message);
    console.log(
      `  round trip p50 over plain ws: chat ${ratio(chatSpread.p50 / spread(wsEcho).p50)}, grant.list ${ratio(messageSpread.p50 / spread(wsEcho).p50)}`,
    );
    if (ssh && sshEcho) {
      const sshRate = spread(bulk.ssh).p50;
      const sshP50 = spread(sshEcho).p50;
      console.log(
        `  ${verdict(up >= 1.5 * sshRate)} throughput engineer→agent / ssh ${ratio(up / sshRate)} (target ≥ 1.5×)`,
      );
      console.log(
        `  ${verdict(down >= 1.5 * sshRate)} throughput agent→engineer / ssh ${ratio(down / sshRate)} (target ≥ 1.5×)`,
      );
      console.log(
        `  ${verdict(chatSpread.p50 <= sshP50)} round trip p50 chat/ssh ${ratio(chatSpread.p50 / sshP50)} (target ≤ 1×)`,
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
export async function run(): Promise<void> {
  if (hasPrivateKeyring()) return measure();
  const status = await runUnderPrivateKeyring('bench/session.ts', []);
  if (status !== 0) throw new Error(`bench/session.ts failed (exit ${status})`);
}

/** Entry point for `node bin/run-ts.js bench/session.ts`. */
export async function main(): Promise<number> {
  await run();
  return 0;
}
