import { describe, expect, it } from 'vitest';
import { MAX_FAILED_ATTEMPTS_PER_CODE } from '../../protocol/limits';
import { RELAY_PATHS } from '../../protocol/wire/relay';
import { generateSigningKeyPair } from '../../platform/signing';
import type { Relay } from '../../server/relay';
import {
  cleanUpAfterEach,
  connectAgent,
  expectPeer,
  expectRefusal,
  headersFor,
  makeVendor,
  open,
  startRelay,
  type Peer,
  type TestEngineer,
} from './relay-harness';

const vendor = makeVendor();
let relay: Relay | undefined;
const peers: Peer[] = [];
cleanUpAfterEach(peers);

function join(r: Relay, engineer: TestEngineer, code: string, now?: number) {
  return open(
    r.url,
    RELAY_PATHS.engineer,
    headersFor('engineer', engineer.key, code, engineer.certificate, now),
  );
}

/** A wrong code sharing the first three digits of `code`. */
function near(code: string, i: number): string {
  const tail = (Number(code.slice(3)) + 1 + i) % 10_000_000;
  return code.slice(0, 3) + String(tail).padStart(7, '0');
}

describe('session codes', () => {
  it('issues 10-digit codes, unique among live ones', async () => {
    relay = await startRelay(vendor);
    const codes = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { peer, code } = await connectAgent(relay, generateSigningKeyPair());
      peers.push(peer);
      expect(code).toMatch(/^[0-9]{10}$/);
      codes.add(code);
    }
    expect(codes.size).toBe(20);
    expect(relay.stats().waiting).toBe(20);
  });

  it('a code is single use', async () => {
    relay = await startRelay(vendor);
    const { peer, code } = await connectAgent(relay, generateSigningKeyPair());
    peers.push(peer, expectPeer(await join(relay, vendor.engineer(), code)));
    const again = expectRefusal(await join(relay, vendor.engineer(), code));
    expect([again.status, again.body.code]).toEqual([404, 'RELAY_CODE_UNKNOWN']);
  });

  it('a code expires: the agent is told, and joining answers like an unknown code', async () => {
    relay = await startRelay(vendor, { codeTtlMs: 150 });
    const { peer, code } = await connectAgent(relay, generateSigningKeyPair());
    peers.push(peer);
    await peer.next('code-expired');
    const late = expectRefusal(await join(relay, vendor.engineer(), code));
    const unknown = expectRefusal(await join(relay, vendor.engineer(), near(code, 0)));
    expect([late.status, late.body]).toEqual([404, unknown.body]);
    // The agent may ask for a new code and be joined with it.
    peer.send({ t: 'new-code' });
    const fresh = await peer.next('code');
    peers.push(expectPeer(await join(relay, vendor.engineer(), fresh.code)));
    await peer.next('paired');
  });

  it('expiry follows the relay clock (injected), even before the timer fires', async () => {
    let clock = Date.now();
    relay = await startRelay(vendor, { now: () => clock, codeTtlMs: 60_000 });
    const { peer, code } = await connectAgent(relay, generateSigningKeyPair());
    peers.push(peer);
    clock += 60_001;
    const late = expectRefusal(await join(relay, vendor.engineer(), code, clock));
    expect(late.body.code).toBe('RELAY_CODE_UNKNOWN');
    await peer.next('code-expired');
  });

  it('new-code withdraws the old code', async () => {
    relay = await startRelay(vendor);
    const { peer, code } = await connectAgent(relay, generateSigningKeyPair());
    peers.push(peer);
    peer.send({ t: 'new-code' });
    const { code: second } = await peer.next('code');
    expect(second).not.toBe(code);
    expect(expectRefusal(await join(relay, vendor.engineer(), code)).body.code).toBe(
      'RELAY_CODE_UNKNOWN',
    );
    peers.push(expectPeer(await join(relay, vendor.engineer(), second)));
    expect(relay.stats().waiting).toBe(0);
  });

  it('burns a code after repeated near misses; burned answers like unknown', async () => {
    relay = await startRelay(vendor, { freeAttemptsPerSource: 100 });
    const { peer, code } = await connectAgent(relay, generateSigningKeyPair());
    peers.push(peer);
    const guesser = vendor.engineer();
    const bodies = new Set<string>();
    for (let i = 0; i < MAX_FAILED_ATTEMPTS_PER_CODE; i++) {
      const miss = expectRefusal(await join(relay, guesser, near(code, i)));
      expect(miss.status).toBe(404);
      bodies.add(JSON.stringify(miss.body));
    }
    await peer.next('code-burned');
    const burned = expectRefusal(await join(relay, vendor.engineer(), code));
    bodies.add(JSON.stringify(burned.body));
    expect([...bodies]).toEqual([
      JSON.stringify({ code: 'RELAY_CODE_UNKNOWN', message: burned.body.message }),
    ]);
    peer.send({ t: 'new-code' });
    const { code: next } = await peer.next('code');
    peers.push(expectPeer(await join(relay, vendor.engineer(), next)));
  });

  it('misses far from a live code do not count against it', async () => {
    relay = await startRelay(vendor, { freeAttemptsPerSource: 100 });
    const { peer, code } = await connectAgent(relay, generateSigningKeyPair());
    peers.push(peer);
    const far = String((Number(code.slice(0, 3)) + 500) % 1000).padStart(3, '0') + code.slice(3);
    for (let i = 0; i < MAX_FAILED_ATTEMPTS_PER_CODE + 1; i++)
      expectRefusal(await join(relay, vendor.engineer(), far));
    peers.push(expectPeer(await join(relay, vendor.engineer(), code)));
  });

  it('limits guesses per source with exponential backoff and Retry-After', async () => {
    let clock = Date.now();
    relay = await startRelay(vendor, {
      now: () => clock,
      freeAttemptsPerSource: 3,
      sourceBackoffBaseMs: 1000,
      sourceBackoffMaxMs: 4000,
    });
    const engineer = vendor.engineer();
    const guess = () => join(relay!, engineer, '0000000001', clock);
    for (let i = 0; i < 3; i++) expect(expectRefusal(await guess()).status).toBe(404);
    const waits: unknown[] = [];
    for (const step of [1000, 2000, 4000, 4000]) {
      const limited = expectRefusal(await guess());
      expect([limited.status, limited.body.code]).toEqual([429, 'RELAY_RATE_LIMITED']);
      waits.push(limited.headers['retry-after']);
      clock += step;
      expect(expectRefusal(await guess()).status).toBe(404);
    }
    expect(waits).toEqual(['1', '2', '4', '4']);
    // Even the right code waits while the source is blocked.
    const { peer, code } = await connectAgent(relay, generateSigningKeyPair(), {});
    peers.push(peer);
    expect(expectRefusal(await join(relay, engineer, code, clock)).status).toBe(429);
  });
});
