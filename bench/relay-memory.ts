// Relay memory per idle paired session (issue 2 benchmark; target: 9,000
// idle pairs, 18,000 sockets, in under 250 MiB of relay memory). The relay
// runs in a child process so its figures are its own; this process opens
// real agent and engineer sockets with real signed upgrades and pairs them.
// Reference, measured in the same run: a bare `ws` server holding the same
// number of idle sockets (no authentication, no pairing), i.e. the floor
// that `ws` and Node's sockets cost by themselves.
//
//   node bin/run-ts.js bench/relay-memory.ts [--pairs 1000,9000]
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import type { EngineerCertificate } from '../protocol/identity';
import { MAX_FRAME_BYTES } from '../protocol/limits';
import { RELAY_PATHS, RelayToPeer } from '../protocol/wire/relay';
import { issueCertificate } from '../platform/credentials';
import { buildAuthHeaders } from '../platform/relay-auth';
import { generateSigningKeyPair, type SigningKeyPair } from '../platform/signing';
import { createRelay } from '../server/relay';
import { NODE_FLAGS } from '../platform/node-flags';

const DEFAULT_STEPS = [1000, 9000];
const TARGET_MIB = 250;
const TARGET_PAIRS = 9000;
const CONCURRENCY = 200;
const DEADLINE_MS = 10 * 60 * 1000;
const MiB = 1024 * 1024;

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  connections: number;
}

/** The measured process: a relay or a plain ws server, answering 'measure' over IPC. */
async function child(kind: string, vendorPublicKey: string): Promise<number> {
  let url: string;
  let connections: () => number;
  let close: () => Promise<void>;
  if (kind === 'relay') {
    const relay = await createRelay({ host: '127.0.0.1', port: 0, vendorPublicKey });
    url = relay.url;
    connections = () => relay.stats().connections;
    close = () => relay.close();
  } else {
    let open = 0;
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      clientTracking: false,
      maxPayload: MAX_FRAME_BYTES,
    });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      open += 1;
      ws.on('close', () => (open -= 1));
    });
    url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
    connections = () => open;
    close = () => new Promise((resolve) => wss.close(() => resolve()));
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message) => {
    if (message !== 'measure') return;
    gc?.();
    gc?.();
    const usage = process.memoryUsage();
    const memory: Memory = {
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      external: usage.external,
      connections: connections(),
    };
    process.send?.(memory);
  });
  process.send?.({ url });
  await new Promise((resolve) => process.once('disconnect', resolve));
  await close();
  return 0;
}

function startChild(
  kind: 'relay' | 'plain',
  vendorPublicKey: string,
): Promise<{ proc: ChildProcess; url: string }> {
  const runner = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(
    process.execPath,
    [...NODE_FLAGS, '--expose-gc', runner, self, '--child', kind, vendorPublicKey],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${kind} child exited with ${code}`)));
    proc.once('message', (message) => resolve({ proc, url: (message as { url: string }).url }));
  });
}

function measure(proc: ChildProcess): Promise<Memory> {
  return new Promise((resolve) => {
    proc.once('message', (message) => resolve(message as Memory));
    proc.send('measure');
  });
}

/** A client socket whose control messages are queued from the first byte (they can arrive with the 101). */
interface Client {
  ws: WebSocket;
  next(t: RelayToPeer['t']): Promise<RelayToPeer>;
}

function connect(url: string, headers?: Record<string, string>): Promise<Client> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  const queue: RelayToPeer[] = [];
  let waiter:
    { t: string; resolve: (m: RelayToPeer) => void; reject: (e: Error) => void } | undefined;
  ws.on('message', (data: Buffer) => {
    const message = RelayToPeer.parse(JSON.parse(data.toString('utf8')));
    if (waiter && message.t === waiter.t) {
      const { resolve } = waiter;
      waiter = undefined;
      resolve(message);
    } else queue.push(message);
  });
  ws.on('close', (code) => waiter?.reject(new Error(`closed with ${code}`)));
  const next = (t: RelayToPeer['t']): Promise<RelayToPeer> => {
    const index = queue.findIndex((m) => m.t === t);
    if (index >= 0) return Promise.resolve(queue.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => (waiter = { t, resolve, reject }));
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, next }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`refused with ${res.statusCode}`)),
    );
  });
}

interface Engineer {
  key: SigningKeyPair;
  certificate: EngineerCertificate;
}

async function openPair(url: string, engineer: Engineer): Promise<WebSocket[]> {
  const agentKey = generateSigningKeyPair();
  const agent = await connect(
    `${url}${RELAY_PATHS.agent}`,
    buildAuthHeaders({ role: 'agent', path: RELAY_PATHS.agent, signingKey: agentKey, target: '' }),
  );
  const { code } = (await agent.next('code')) as Extract<RelayToPeer, { t: 'code' }>;
  const eng = await connect(
    `${url}${RELAY_PATHS.engineer}`,
    buildAuthHeaders({
      role: 'engineer',
      path: RELAY_PATHS.engineer,
      signingKey: engineer.key,
      certificate: engineer.certificate,
      target: code,
    }),
  );
  await Promise.all([agent.next('paired'), eng.next('paired')]);
  return [agent.ws, eng.ws];
}

async function inBatches(
  count: number,
  open: () => Promise<WebSocket[]>,
  into: WebSocket[],
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      into.push(...(await open()));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const fmt = (bytes: number): string => (bytes / MiB).toFixed(1).padStart(8);
const perPair = (bytes: number, pairs: number): string =>
  (bytes / pairs / 1024).toFixed(2).padStart(10);

function row(label: string, pairs: number, memory: Memory, base: Memory): string {
  const grow = pairs === 0 ? '         -' : perPair(memory.rss - base.rss, pairs);
  const heap = pairs === 0 ? '         -' : perPair(memory.heapUsed - base.heapUsed, pairs);
  return `${label.padEnd(18)}${String(pairs).padStart(6)}${String(memory.connections).padStart(8)}${fmt(memory.rss)}${fmt(memory.heapUsed)}${fmt(memory.external)}${grow}${heap}`;
}

/** Opens the idle sessions, measures, and prints the table. */
export async function run(steps: number[] = DEFAULT_STEPS): Promise<void> {
  const started = Date.now();
  const vendor = generateSigningKeyPair();
  const engineers: Engineer[] = Array.from({ length: 50 }, () => {
    const key = generateSigningKeyPair();
    return {
      key,
      certificate: issueCertificate(vendor.privateKey, {
        vendor: 'Bench Vendor',
        name: 'Bench Engineer',
        email: 'bench@vendor.example',
        roles: ['engineer'],
        publicKey: key.publicKey,
        days: 1,
      }),
    };
  });
  console.log(
    `relay memory: idle paired sessions (target: ${TARGET_PAIRS} pairs under ${TARGET_MIB} MiB of relay RSS)`,
  );
  console.log(
    `${'process'.padEnd(18)}${'pairs'.padStart(6)}${'sockets'.padStart(8)}${'RSS MiB'.padStart(8)}${'heap'.padStart(8)}${'extern'.padStart(8)}${'RSS/pair KiB'.padStart(10)}${'heap/pair'.padStart(10)}`,
  );

  const results: Record<string, { base: Memory; last: Memory; pairs: number }> = {};
  for (const kind of ['relay', 'plain'] as const) {
    const { proc, url } = await startChild(kind, vendor.publicKey);
    const sockets: WebSocket[] = [];
    try {
      const base = await measure(proc);
      const label = kind === 'relay' ? 'assent-relay' : 'plain ws (ref)';
      console.log(row(label, 0, base, base));
      let pairs = 0;
      let last = base;
      for (const target of steps) {
        if (Date.now() - started > DEADLINE_MS) throw new Error('bench deadline passed');
        const open =
          kind === 'relay'
            ? () => openPair(url, engineers[pairs % engineers.length]!)
            : async () => [(await connect(url)).ws, (await connect(url)).ws];
        await inBatches(target - pairs, open, sockets);
        pairs = target;
        last = await measure(proc);
        console.log(row(label, pairs, last, base));
      }
      results[kind] = { base, last, pairs };
    } finally {
      for (const ws of sockets) ws.terminate();
      proc.disconnect();
      await new Promise((resolve) => proc.once('exit', resolve));
    }
  }

  const relay = results.relay!;
  const plain = results.plain!;
  const relayPerPair = (relay.last.rss - relay.base.rss) / relay.pairs;
  const plainPerPair = (plain.last.rss - plain.base.rss) / plain.pairs;
  const totalMiB = relay.last.rss / MiB;
  console.log(
    `relay RSS per pair / plain ws per pair: ${(relayPerPair / plainPerPair).toFixed(2)}x`,
  );
  const verdict =
    relay.pairs < TARGET_PAIRS
      ? `not judged (fewer than ${TARGET_PAIRS} pairs)`
      : totalMiB < TARGET_MIB
        ? 'PASS'
        : 'MISS';
  console.log(
    `relay RSS at ${relay.pairs} pairs: ${totalMiB.toFixed(1)} MiB of ${TARGET_MIB} MiB target (${((totalMiB / TARGET_MIB) * 100).toFixed(0)}%): ${verdict}`,
  );
  console.log(`bench time: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `node bin/run-ts.js bench/relay-memory.ts`; `--child KIND KEY` is the measured process. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--child') return child(argv[1] ?? 'relay', argv[2] ?? '');
  const steps = argv[0] === '--pairs' ? (argv[1] ?? '').split(',').map(Number) : DEFAULT_STEPS;
  if (steps.some((n, i) => !Number.isInteger(n) || n <= (steps[i - 1] ?? 0)))
    throw new RangeError('--pairs takes growing counts, e.g. --pairs 1000,9000');
  await run(steps);
  return 0;
}
