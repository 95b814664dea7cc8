import { describe, expect, it } from 'vitest';
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
  pairUp,
  startRelay,
  type Peer,
  until,
} from './relay-harness';

const vendor = makeVendor();
let relay: Relay | undefined;
const peers: Peer[] = [];
cleanUpAfterEach(peers);

describe('drop and resume', () => {
  it('an agent that drops may come back with its token and the same key', async () => {
    relay = await startRelay(vendor);
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    pair.agent.ws.terminate();
    expect((await pair.engineer.next('peer-away')).graceMs).toBeGreaterThan(0);
    expect(relay.stats().pairs).toBe(1);

    // Frames sent while the other side is away are dropped, not buffered.
    pair.engineer.ws.send(Buffer.from('lost'), { binary: true });

    const back = expectPeer(
      await open(
        relay.url,
        RELAY_PATHS.agent,
        headersFor('agent', pair.agentKey, pair.agentPaired.resumeToken),
      ),
    );
    peers.push(back);
    await back.next('welcome');
    const agentAgain = await back.next('paired');
    const engineerAgain = await pair.engineer.next('paired');
    expect(agentAgain.pairId).toBe(pair.agentPaired.pairId);
    expect(agentAgain.resumeToken).not.toBe(pair.agentPaired.resumeToken);
    expect(engineerAgain.resumeToken).not.toBe(pair.engineerPaired.resumeToken);
    expect(agentAgain.peer).toEqual({ role: 'engineer', certificate: pair.engineerId.certificate });

    pair.engineer.ws.send(Buffer.from('after resume'), { binary: true });
    back.ws.send(Buffer.from('reply'), { binary: true });
    expect((await back.bytes(12)).toString()).toBe('after resume');
    expect((await pair.engineer.bytes(5)).toString()).toBe('reply');

    // A used token does not open the seat again.
    const reused = expectRefusal(
      await open(
        relay.url,
        RELAY_PATHS.agent,
        headersFor('agent', pair.agentKey, pair.agentPaired.resumeToken),
      ),
    );
    expect([reused.status, reused.body.code]).toEqual([404, 'RELAY_RESUME_UNKNOWN']);
  });

  it('an engineer may resume only with the same certificate key', async () => {
    relay = await startRelay(vendor);
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    pair.engineer.ws.terminate();
    await pair.agent.next('peer-away');
    const token = pair.engineerPaired.resumeToken;

    const other = vendor.engineer();
    const stranger = expectRefusal(
      await open(
        relay.url,
        RELAY_PATHS.engineer,
        headersFor('engineer', other.key, token, other.certificate),
      ),
    );
    expect([stranger.status, stranger.body.code]).toEqual([404, 'RELAY_RESUME_UNKNOWN']);
    const asAgent = expectRefusal(
      await open(relay.url, RELAY_PATHS.agent, headersFor('agent', pair.engineerId.key, token)),
    );
    expect(asAgent.body.code).toBe('RELAY_RESUME_UNKNOWN');

    const same = pair.engineerId;
    const back = expectPeer(
      await open(
        relay.url,
        RELAY_PATHS.engineer,
        headersFor('engineer', same.key, token, same.certificate),
      ),
    );
    peers.push(back);
    expect((await back.next('paired')).peer).toEqual({
      role: 'agent',
      deviceKey: pair.agentKey.publicKey,
    });
    await pair.agent.next('paired');
  });

  it('a side that reconnects before the relay noticed the drop replaces its old socket', async () => {
    relay = await startRelay(vendor);
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    const back = expectPeer(
      await open(
        relay.url,
        RELAY_PATHS.agent,
        headersFor('agent', pair.agentKey, pair.agentPaired.resumeToken),
      ),
    );
    peers.push(back);
    await back.next('paired');
    await pair.engineer.next('paired');
    expect((await pair.agent.closed).code).toBe(1006);
    expect(relay.stats()).toMatchObject({ connections: 2, pairs: 1 });
    expect(
      pair.engineer.messages.filter((m) => m.t === 'peer-away' || m.t === 'peer-left'),
    ).toEqual([]);
  });

  it('after the grace period the remaining side gets peer-left and is closed', async () => {
    relay = await startRelay(vendor, { resumeGraceMs: 200 });
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    pair.engineer.ws.terminate();
    expect((await pair.agent.next('peer-away')).graceMs).toBe(200);
    expect((await pair.agent.next('peer-left')).code).toBe('RELAY_PEER_GONE');
    expect((await pair.agent.closed).code).toBe(4001);
    const late = expectRefusal(
      await open(
        relay.url,
        RELAY_PATHS.engineer,
        headersFor(
          'engineer',
          pair.engineerId.key,
          pair.engineerPaired.resumeToken,
          pair.engineerId.certificate,
        ),
      ),
    );
    expect([late.status, late.body.code]).toEqual([404, 'RELAY_RESUME_UNKNOWN']);
    await until(() => relay!.stats().connections === 0);
    expect(relay.stats()).toMatchObject({ connections: 0, pairs: 0 });
  });

  it('the heartbeat terminates a peer that stops answering pings', async () => {
    relay = await startRelay(vendor, { heartbeatIntervalMs: 300 });
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    const { peer: mute } = await connectAgent(relay, generateSigningKeyPair(), { autoPong: false });
    peers.push(mute);
    const closed = await mute.closed;
    expect(closed.code).toBe(1006);
    // The responsive pair lived through the same intervals.
    await until(() => relay!.stats().connections === 2);
    expect(relay.stats()).toMatchObject({ connections: 2, pairs: 1, waiting: 0 });
  });

  it('a dead paired peer is cut by the heartbeat and its partner is told it is away', async () => {
    relay = await startRelay(vendor, { heartbeatIntervalMs: 300 });
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    // Stop reading on the engineer: its pongs never leave, as with a dead network.
    pair.engineer.ws.pause();
    expect((await pair.agent.next('peer-away')).graceMs).toBeGreaterThan(0);
  });

  it('close() ends every socket with 1001', async () => {
    relay = await startRelay(vendor);
    const pair = await pairUp(relay, vendor);
    const { peer: waiting } = await connectAgent(relay, generateSigningKeyPair());
    await relay.close();
    relay = undefined;
    for (const peer of [pair.agent, pair.engineer, waiting])
      expect((await peer.closed).code).toBe(1001);
  });

  it('close() does not wait for a peer that never answers the closing handshake', async () => {
    relay = await startRelay(vendor);
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    pair.engineer.ws.pause();
    await relay.close();
    relay = undefined;
    expect((await pair.agent.closed).code).toBe(1001);
  });
});
