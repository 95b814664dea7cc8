import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../protocol/limits';
import { keyFingerprint } from '../../platform/signing';
import type { Relay } from '../../server/relay';
import { SESSION_LOG_FILE } from '../../server/session-log';
import {
  cleanUpAfterEach,
  makeVendor,
  pairUp,
  startRelay,
  tempDir,
  type Peer,
} from './relay-harness';

const vendor = makeVendor();
let relay: Relay | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
const peers: Peer[] = [];
cleanUpAfterEach(peers);

describe('relay pairing and forwarding', () => {
  it('pairs agent and engineer and tells each who the other proved to be', async () => {
    dir = tempDir();
    relay = await startRelay(vendor, { dataDir: dir.path });
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    expect(pair.agentPaired.pairId).toBe(pair.engineerPaired.pairId);
    expect(pair.agentPaired.peer).toEqual({
      role: 'engineer',
      certificate: pair.engineerId.certificate,
    });
    expect(pair.engineerPaired.peer).toEqual({ role: 'agent', deviceKey: pair.agentKey.publicKey });
    expect(pair.agentPaired.resumeToken).not.toBe(pair.engineerPaired.resumeToken);
    expect(relay.stats()).toMatchObject({ connections: 2, pairs: 1, waiting: 0 });
  });

  it('forwards binary frames both ways byte-exact and logs only metadata', async () => {
    dir = tempDir();
    relay = await startRelay(vendor, { dataDir: dir.path });
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    const toEngineer = [randomBytes(1), randomBytes(65_536), randomBytes(200_000), Buffer.alloc(0)];
    const toAgent = [randomBytes(3), randomBytes(100_000)];
    for (const frame of toEngineer) pair.agent.ws.send(frame, { binary: true });
    for (const frame of toAgent) pair.engineer.ws.send(frame, { binary: true });
    const totalE = toEngineer.reduce((s, f) => s + f.length, 0);
    const totalA = toAgent.reduce((s, f) => s + f.length, 0);
    expect((await pair.engineer.bytes(totalE)).equals(Buffer.concat(toEngineer))).toBe(true);
    expect((await pair.agent.bytes(totalA)).equals(Buffer.concat(toAgent))).toBe(true);
    // Frame boundaries are kept: the same frames arrive, not just the same bytes.
    const marker = Buffer.from('frame-boundary');
    pair.agent.ws.send(marker, { binary: true });
    pair.agent.ws.send(marker, { binary: true });
    await pair.engineer.bytes(marker.length * 2);
    expect(relay.stats().bytes).toBe(totalE + totalA + marker.length * 2);

    pair.agent.send({ t: 'leave' });
    expect((await pair.engineer.next('peer-left')).code).toBe('RELAY_PEER_GONE');
    expect((await pair.engineer.closed).code).toBe(4001);
    expect((await pair.agent.closed).code).toBe(1000);
    await relay.close();
    relay = undefined;
    const log = readFileSync(join(dir.path, SESSION_LOG_FILE), 'utf8');
    const records = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((r) => r.event)).toEqual(['pair-start', 'pair-end']);
    expect(records[0]).toMatchObject({
      agentKey: keyFingerprint(pair.agentKey.publicKey),
      engineer: { name: 'Erin Engineer', serial: pair.engineerId.certificate.serial },
    });
    expect(records[1]).toMatchObject({
      reason: 'leave',
      bytes: { agentToEngineer: totalE + marker.length * 2, engineerToAgent: totalA },
    });
    // Content never reaches the log.
    const sample = toAgent[1]!.subarray(0, 16);
    expect(log.includes(sample.toString('base64'))).toBe(false);
    expect(log.includes(sample.toString('hex'))).toBe(false);
  });

  it('a 1000 close ends the pair at once', async () => {
    relay = await startRelay(vendor);
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    pair.engineer.ws.close(1000);
    expect((await pair.agent.next('peer-left')).code).toBe('RELAY_PEER_GONE');
    expect((await pair.agent.closed).code).toBe(4001);
    expect(relay.stats().pairs).toBe(0);
  });

  it('closes a peer that sends an oversized frame with 1009 and ends the pair', async () => {
    relay = await startRelay(vendor);
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    pair.engineer.ws.send(Buffer.alloc(MAX_FRAME_BYTES + 1), { binary: true });
    expect((await pair.engineer.closed).code).toBe(1009);
    expect((await pair.agent.next('peer-left')).code).toBe('RELAY_PEER_GONE');
    expect(pair.agent.frames).toHaveLength(0);
  });

  it('closes with 1008 on control-message garbage', async () => {
    relay = await startRelay(vendor);
    for (const garbage of [
      'not json',
      '{"t":"explode"}',
      '[]',
      JSON.stringify({ t: 'new-code', x: 'y'.repeat(20_000) }),
    ]) {
      const pair = await pairUp(relay, vendor);
      peers.push(pair.agent, pair.engineer);
      pair.agent.ws.send(garbage);
      const closed = await pair.agent.closed;
      expect(closed.code).toBe(1008);
      expect((await pair.engineer.next('peer-left')).code).toBe('RELAY_PEER_GONE');
    }
    // new-code is an agent's message, and only while it waits.
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    pair.engineer.send({ t: 'new-code' });
    expect((await pair.engineer.closed).code).toBe(1008);
  });
});
