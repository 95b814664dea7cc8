// Test harness for the relay: real relays on 127.0.0.1:0, real ws clients
// with real signed upgrade headers, real vendor keys and certificates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import type { EngineerCertificate } from '../../protocol/identity';
import { RELAY_PATHS, RelayToPeer, type RelayRole } from '../../protocol/wire/relay';
import { issueCertificate } from '../../platform/credentials';
import { buildAuthHeaders } from '../../platform/relay-auth';
import { generateSigningKeyPair, type SigningKeyPair } from '../../platform/signing';
import { createRelay, type Relay, type RelayOptions } from '../../server/relay';

/** A vendor with its signing key; issues engineer credentials. */
export interface TestVendor {
  key: SigningKeyPair;
  engineer(options?: { name?: string; days?: number; now?: Date }): TestEngineer;
}

export interface TestEngineer {
  key: SigningKeyPair;
  certificate: EngineerCertificate;
}

export function makeVendor(): TestVendor {
  const key = generateSigningKeyPair();
  return {
    key,
    engineer(options = {}) {
      const engineerKey = generateSigningKeyPair();
      const certificate = issueCertificate(key.privateKey, {
        vendor: 'Example Vendor',
        name: options.name ?? 'Erin Engineer',
        email: 'erin@vendor.example',
        roles: ['engineer'],
        publicKey: engineerKey.publicKey,
        days: options.days ?? 30,
        ...(options.now ? { now: options.now } : {}),
      });
      return { key: engineerKey, certificate };
    },
  };
}

/** Relays and temp dirs made by the current test file, for cleanUpAfterEach. */
const madeRelays = new Set<Relay>();
const madeDirs = new Set<{ cleanup(): void }>();

/** A temporary data directory removed by `cleanup`. */
export function tempDir(): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), 'assent-relay-test-'));
  const dir = { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
  madeDirs.add(dir);
  return dir;
}

/** Starts a relay for `vendor` on 127.0.0.1:0. */
export function startRelay(
  vendor: TestVendor,
  options: Partial<RelayOptions> = {},
): Promise<Relay> {
  return createRelay({
    host: '127.0.0.1',
    port: 0,
    vendorPublicKey: vendor.key.publicKey,
    ...options,
  }).then((relay) => {
    madeRelays.add(relay);
    return relay;
  });
}

/** After each test: terminates `peers`, closes every relay startRelay made and removes every tempDir. */
export function cleanUpAfterEach(peers: Peer[]): void {
  afterEach(async () => {
    terminateAll(...peers.splice(0));
    for (const relay of [...madeRelays]) {
      madeRelays.delete(relay);
      await relay.close();
    }
    for (const dir of [...madeDirs]) {
      madeDirs.delete(dir);
      dir.cleanup();
    }
  });
}

/** A connected client that records the control messages and binary frames it receives. */
export class Peer {
  readonly messages: RelayToPeer[] = [];
  readonly frames: Buffer[] = [];
  /** When set, binary frames go here instead of `frames` (bulk tests). */
  sink: ((frame: Buffer) => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (this.sink) this.sink(data);
        else this.frames.push(data);
      } else this.messages.push(RelayToPeer.parse(JSON.parse(data.toString('utf8'))));
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
    ws.on('error', () => undefined);
  }

  /** Waits for (and removes) the first control message of type `t`. */
  async next<T extends RelayToPeer['t']>(
    t: T,
    timeoutMs = 5000,
  ): Promise<Extract<RelayToPeer, { t: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => m.t === t);
      if (index >= 0) return this.messages.splice(index, 1)[0] as Extract<RelayToPeer, { t: T }>;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`closed before '${t}'`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no '${t}' within ${timeoutMs} ms: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until `n` bytes of binary frames have arrived; returns them concatenated. */
  async bytes(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.reduce((sum, f) => sum + f.length, 0) < n) {
      if (Date.now() > deadline) throw new Error(`fewer than ${n} bytes arrived`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return Buffer.concat(this.frames.splice(0));
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }
}

/** The outcome of an upgrade that the relay refused. */
export interface Refusal {
  status: number;
  body: { code: string; message: string };
  headers: Record<string, string | string[] | undefined>;
}

/** Opens a WebSocket with the given headers; resolves with the peer or the HTTP refusal. */
export function open(
  url: string,
  path: string,
  headers: Record<string, string>,
  options: ClientOptions = {},
): Promise<Peer | Refusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}${path}`, { headers, ...options });
    const peer = new Peer(ws);
    ws.once('open', () => resolve(peer));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Refusal['body'],
          headers: res.headers,
        }),
      );
    });
    ws.once('error', reject);
  });
}

/** Signed headers for a role and target. */
export function headersFor(
  role: RelayRole,
  key: SigningKeyPair,
  target: string,
  certificate?: EngineerCertificate,
  now?: number,
): Record<string, string> {
  return buildAuthHeaders({
    role,
    path: RELAY_PATHS[role],
    signingKey: key,
    ...(certificate ? { certificate } : {}),
    target,
    ...(now !== undefined ? { now } : {}),
  });
}

export function isPeer(result: Peer | Refusal): result is Peer {
  return result instanceof Peer;
}

export function expectPeer(result: Peer | Refusal): Peer {
  if (!isPeer(result)) throw new Error(`refused: ${result.status} ${JSON.stringify(result.body)}`);
  return result;
}

export function expectRefusal(result: Peer | Refusal): Refusal {
  if (isPeer(result)) {
    result.ws.terminate();
    throw new Error('the relay opened a WebSocket where it should have refused');
  }
  return result;
}

/** Connects an agent; resolves after its welcome and code. */
export async function connectAgent(
  relay: Relay,
  key: SigningKeyPair,
  options: ClientOptions = {},
): Promise<{ peer: Peer; code: string }> {
  const peer = expectPeer(
    await open(relay.url, RELAY_PATHS.agent, headersFor('agent', key, ''), options),
  );
  await peer.next('welcome');
  const { code } = await peer.next('code');
  return { peer, code };
}

/** Connects an engineer with a code (refusal or peer). */
export function joinEngineer(
  relay: Relay,
  engineer: TestEngineer,
  code: string,
  options: ClientOptions = {},
): Promise<Peer | Refusal> {
  return open(
    relay.url,
    RELAY_PATHS.engineer,
    headersFor('engineer', engineer.key, code, engineer.certificate),
    options,
  );
}

/** A complete pair: agent and engineer both received `paired`. */
export async function pairUp(
  relay: Relay,
  vendor: TestVendor,
  options: { agentKey?: SigningKeyPair; engineer?: TestEngineer; client?: ClientOptions } = {},
) {
  const agentKey = options.agentKey ?? generateSigningKeyPair();
  const engineer = options.engineer ?? vendor.engineer();
  const { peer: agent, code } = await connectAgent(relay, agentKey, options.client);
  const eng = expectPeer(await joinEngineer(relay, engineer, code, options.client));
  const agentPaired = await agent.next('paired');
  await eng.next('welcome');
  const engineerPaired = await eng.next('paired');
  return {
    agent,
    engineer: eng,
    agentKey,
    engineerId: engineer,
    agentPaired,
    engineerPaired,
    code,
  };
}

/** Closes every peer without waiting for a handshake. */
export function terminateAll(...peers: (Peer | undefined)[]): void {
  for (const peer of peers) peer?.ws.terminate();
}

/** Polls `condition` until it holds (relay-side state settles a moment after a client sees a close). */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
