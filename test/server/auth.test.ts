import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAssentError } from '../../protocol/errors';
import { AUTH_HEADERS, RELAY_PATHS } from '../../protocol/wire/relay';
import { signRevocationList } from '../../platform/credentials';
import { generateSigningKeyPair, type SigningKeyPair } from '../../platform/signing';
import type { Relay } from '../../server/relay';
import { REVOCATIONS_FILE } from '../../server/revocation-source';
import {
  cleanUpAfterEach,
  connectAgent,
  expectPeer,
  expectRefusal,
  headersFor,
  joinEngineer,
  makeVendor,
  open,
  startRelay,
  tempDir,
  type Peer,
} from './relay-harness';

const vendor = makeVendor();
let relay: Relay | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
const peers: Peer[] = [];
cleanUpAfterEach(peers);

function revocationList(vendorKey: SigningKeyPair, serials: string[], sequence: number) {
  return signRevocationList(vendorKey.privateKey, serials, sequence);
}

/** An agent waiting with a code, to give engineers something real to join. */
async function waitingCode(r: Relay): Promise<string> {
  const { peer, code } = await connectAgent(r, generateSigningKeyPair());
  peers.push(peer);
  return code;
}

describe('relay authentication at the upgrade', () => {
  it('refuses each bad upgrade with its HTTP status and code, and opens no socket', async () => {
    relay = await startRelay(vendor, { freeAttemptsPerSource: 100 });
    const agentKey = generateSigningKeyPair();
    const good = headersFor('agent', agentKey, '');
    const cases: [string, string, Record<string, string>, number, string][] = [
      ['unknown endpoint', '/v1/other', good, 400, 'RELAY_BAD_REQUEST'],
      ['no proof', RELAY_PATHS.agent, {}, 401, 'RELAY_UNAUTHENTICATED'],
      [
        'forged signature',
        RELAY_PATHS.agent,
        { ...good, [AUTH_HEADERS.deviceKey]: generateSigningKeyPair().publicKey },
        401,
        'RELAY_UNAUTHENTICATED',
      ],
      [
        'proof for the other endpoint',
        RELAY_PATHS.engineer,
        { ...headersFor('agent', agentKey, ''), [AUTH_HEADERS.sessionCode]: '0000000000' },
        401,
        'RELAY_UNAUTHENTICATED',
      ],
      [
        'engineer without code',
        RELAY_PATHS.engineer,
        headersFor('agent', agentKey, ''),
        400,
        'RELAY_BAD_REQUEST',
      ],
      [
        'malformed resume token',
        RELAY_PATHS.agent,
        { ...headersFor('agent', agentKey, ''), [AUTH_HEADERS.resume]: 'short' },
        400,
        'RELAY_BAD_REQUEST',
      ],
    ];
    for (const [name, path, headers, status, code] of cases) {
      const refusal = expectRefusal(await open(relay.url, path, headers));
      expect([name, refusal.status, refusal.body.code]).toEqual([name, status, code]);
      expect(refusal.body.message.length).toBeGreaterThan(0);
    }
    expect(relay.stats().connections).toBe(0);
  });

  it('answers 503 RELAY_FULL at the connection limit and 426 to plain HTTP', async () => {
    relay = await startRelay(vendor, { maxConnections: 1 });
    peers.push(
      expectPeer(
        await open(relay.url, RELAY_PATHS.agent, headersFor('agent', generateSigningKeyPair(), '')),
      ),
    );
    const full = expectRefusal(
      await open(relay.url, RELAY_PATHS.agent, headersFor('agent', generateSigningKeyPair(), '')),
    );
    expect([full.status, full.body.code]).toEqual([503, 'RELAY_FULL']);
    const response = await fetch(relay.url.replace('ws:', 'http:') + RELAY_PATHS.agent);
    expect(response.status).toBe(426);
    expect(((await response.json()) as { code: string }).code).toBe('RELAY_BAD_REQUEST');
  });

  it('refuses a replayed proof (same nonce) even within the skew window', async () => {
    relay = await startRelay(vendor);
    const headers = headersFor('agent', generateSigningKeyPair(), '');
    const first = expectPeer(await open(relay.url, RELAY_PATHS.agent, headers));
    peers.push(first);
    const replay = expectRefusal(await open(relay.url, RELAY_PATHS.agent, headers));
    expect([replay.status, replay.body.code]).toEqual([401, 'RELAY_UNAUTHENTICATED']);
    expect(replay.body.message).toMatch(/replayed/);
  });

  it('refuses proofs from a clock outside the skew window', async () => {
    const offset = 10 * 60 * 1000;
    relay = await startRelay(vendor, { now: () => Date.now() + offset });
    const key = generateSigningKeyPair();
    const late = expectRefusal(
      await open(relay.url, RELAY_PATHS.agent, headersFor('agent', key, '')),
    );
    expect([late.status, late.body.code]).toEqual([401, 'RELAY_UNAUTHENTICATED']);
    const synced = headersFor('agent', key, '', undefined, Date.now() + offset);
    peers.push(expectPeer(await open(relay.url, RELAY_PATHS.agent, synced)));
  });

  it('refuses an expired engineer credential with 401 RELAY_CREDENTIAL_EXPIRED', async () => {
    relay = await startRelay(vendor);
    const code = await waitingCode(relay);
    const expired = vendor.engineer({ days: 1, now: new Date(Date.now() - 3 * 86_400_000) });
    const refusal = expectRefusal(await joinEngineer(relay, expired, code));
    expect([refusal.status, refusal.body.code]).toEqual([401, 'RELAY_CREDENTIAL_EXPIRED']);
    // The code was not spent on a refused engineer.
    peers.push(expectPeer(await joinEngineer(relay, vendor.engineer(), code)));
  });

  it('refuses a credential of another vendor with 403 RELAY_WRONG_VENDOR', async () => {
    relay = await startRelay(vendor);
    const code = await waitingCode(relay);
    const refusal = expectRefusal(await joinEngineer(relay, makeVendor().engineer(), code));
    expect([refusal.status, refusal.body.code]).toEqual([403, 'RELAY_WRONG_VENDOR']);
  });

  it('honours the signed revocation list and re-reads it when it changes', async () => {
    dir = tempDir();
    const revoked = vendor.engineer();
    const later = vendor.engineer();
    const file = join(dir.path, REVOCATIONS_FILE);
    writeFileSync(
      file,
      JSON.stringify(revocationList(vendor.key, [revoked.certificate.serial], 1)),
    );
    relay = await startRelay(vendor, { dataDir: dir.path });

    const agent = await connectAgent(relay, generateSigningKeyPair());
    peers.push(agent.peer);
    const refusal = expectRefusal(await joinEngineer(relay, revoked, agent.code));
    expect([refusal.status, refusal.body.code]).toEqual([403, 'RELAY_CREDENTIAL_REVOKED']);

    // A newer list, written while the relay runs, applies to the next upgrade.
    writeFileSync(
      file,
      JSON.stringify(
        revocationList(vendor.key, [revoked.certificate.serial, later.certificate.serial], 2),
      ),
    );
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const second = expectRefusal(await joinEngineer(relay, later, agent.code));
    expect(second.body.code).toBe('RELAY_CREDENTIAL_REVOKED');

    // Agents get the list in force with their welcome.
    const fresh = expectPeer(
      await open(relay.url, RELAY_PATHS.agent, headersFor('agent', generateSigningKeyPair(), '')),
    );
    peers.push(fresh);
    expect((await fresh.next('welcome')).revocations?.sequence).toBe(2);

    // A forged list (other vendor) or an older one never replaces it.
    writeFileSync(file, JSON.stringify(revocationList(makeVendor().key, [], 3)));
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    expect(expectRefusal(await joinEngineer(relay, later, agent.code)).body.code).toBe(
      'RELAY_CREDENTIAL_REVOKED',
    );
    writeFileSync(file, JSON.stringify(revocationList(vendor.key, [], 1)));
    utimesSync(file, new Date(), new Date(Date.now() + 15_000));
    expect(expectRefusal(await joinEngineer(relay, later, agent.code)).body.code).toBe(
      'RELAY_CREDENTIAL_REVOKED',
    );
    peers.push(expectPeer(await joinEngineer(relay, vendor.engineer(), agent.code)));
  });

  it('refuses to start with a revocation list that does not verify or is not JSON', async () => {
    dir = tempDir();
    const file = join(dir.path, REVOCATIONS_FILE);
    writeFileSync(file, JSON.stringify(revocationList(makeVendor().key, [], 1)));
    const forged = await startRelay(vendor, { dataDir: dir.path }).catch((e: unknown) => e);
    expect(isAssentError(forged, 'REVOCATION_LIST_INVALID')).toBe(true);
    writeFileSync(file, '{"kind":');
    const garbled = await startRelay(vendor, { dataDir: dir.path }).catch((e: unknown) => e);
    expect(isAssentError(garbled, 'REVOCATION_LIST_INVALID')).toBe(true);
  });

  it('keeps the list in force when the file turns to garbage while running', async () => {
    dir = tempDir();
    const revoked = vendor.engineer();
    const file = join(dir.path, REVOCATIONS_FILE);
    writeFileSync(
      file,
      JSON.stringify(revocationList(vendor.key, [revoked.certificate.serial], 1)),
    );
    const lines: string[] = [];
    relay = await startRelay(vendor, { dataDir: dir.path, log: (line) => lines.push(line) });
    writeFileSync(file, 'not json');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const code = await waitingCode(relay);
    expect(expectRefusal(await joinEngineer(relay, revoked, code)).body.code).toBe(
      'RELAY_CREDENTIAL_REVOKED',
    );
    expect(lines.some((line) => line.includes('ignored revocations.json'))).toBe(true);
  });

  it('rate-limits failed authentication per source with 429 and Retry-After', async () => {
    let clock = Date.now();
    relay = await startRelay(vendor, { now: () => clock, freeAttemptsPerSource: 2 });
    const forged = () => ({
      ...headersFor('agent', generateSigningKeyPair(), '', undefined, clock),
      [AUTH_HEADERS.deviceKey]: generateSigningKeyPair().publicKey,
    });
    for (let i = 0; i < 2; i++)
      expect(expectRefusal(await open(relay.url, RELAY_PATHS.agent, forged())).status).toBe(401);
    const limited = expectRefusal(
      await open(
        relay.url,
        RELAY_PATHS.agent,
        headersFor('agent', generateSigningKeyPair(), '', undefined, clock),
      ),
    );
    expect([limited.status, limited.body.code, limited.headers['retry-after']]).toEqual([
      429,
      'RELAY_RATE_LIMITED',
      '1',
    ]);
    clock += 1000;
    peers.push(
      expectPeer(
        await open(
          relay.url,
          RELAY_PATHS.agent,
          headersFor('agent', generateSigningKeyPair(), '', undefined, clock),
        ),
      ),
    );
  });
});
