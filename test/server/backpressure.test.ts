import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_PLAINTEXT_BYTES, RELAY_HIGH_WATER_BYTES } from '../../protocol/limits';
import type { Relay } from '../../server/relay';
import {
  cleanUpAfterEach,
  makeVendor,
  pairUp,
  startRelay,
  type Peer,
  until,
} from './relay-harness';

const vendor = makeVendor();
let relay: Relay | undefined;
const peers: Peer[] = [];
cleanUpAfterEach(peers);

const TOTAL_BYTES = 200 * 1024 * 1024;
const FRAME_BYTES = MAX_PLAINTEXT_BYTES;
/** Frames the writer keeps handed to ws but not yet flushed to its socket. */
const WRITER_IN_FLIGHT = 16;

describe('relay backpressure', () => {
  it('stops reading a fast writer while the reader is slow; queues stay bounded; bytes arrive exact', async () => {
    relay = await startRelay(vendor);
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    const writer = pair.agent.ws;
    const reader = pair.engineer;

    let maxQueued = 0;
    const sampler = setInterval(() => {
      if (relay) maxQueued = Math.max(maxQueued, relay.stats().queuedBytes);
    }, 2);
    sampler.unref();

    const received = createHash('sha256');
    let receivedBytes = 0;
    reader.sink = (frame) => {
      received.update(frame);
      receivedBytes += frame.length;
    };
    reader.ws.pause();

    const sent = createHash('sha256');
    const patterns = [randomBytes(FRAME_BYTES), randomBytes(FRAME_BYTES), randomBytes(FRAME_BYTES)];
    let sentBytes = 0;
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const writing = (async () => {
      for (let i = 0; sentBytes < TOTAL_BYTES; i++) {
        while (inFlight >= WRITER_IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
        const frame = Buffer.from(patterns[i % patterns.length]!);
        frame.writeUInt32BE(i, 0);
        sent.update(frame);
        sentBytes += frame.length;
        inFlight += 1;
        writer.send(frame, { binary: true }, () => {
          inFlight -= 1;
          wake?.();
        });
      }
    })();

    // With the reader stopped, the writer stalls: the relay has stopped reading it.
    let forwarded = -1;
    await until(() => {
      const now = relay!.stats().bytes;
      const stalled = now === forwarded && now > 0;
      forwarded = now;
      return stalled;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(relay.stats().bytes).toBe(forwarded);
    expect(forwarded).toBeLessThan(TOTAL_BYTES / 4);
    expect(relay.stats().queuedBytes).toBeLessThanOrEqual(RELAY_HIGH_WATER_BYTES + 2 * FRAME_BYTES);

    reader.ws.resume();
    await writing;
    await until(() => receivedBytes === TOTAL_BYTES, 60_000);
    clearInterval(sampler);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    expect(relay.stats().bytes).toBe(TOTAL_BYTES);
    // Never more than the high-water mark plus the frames in hand when it was crossed.
    expect(maxQueued).toBeLessThanOrEqual(RELAY_HIGH_WATER_BYTES + 2 * FRAME_BYTES);
  });
});

describe('relay backpressure and the heartbeat', () => {
  it('a sender the relay paused is not cut for unheard pongs; the dead reader is', async () => {
    relay = await startRelay(vendor, { heartbeatIntervalMs: 400 });
    const pair = await pairUp(relay, vendor);
    peers.push(pair.agent, pair.engineer);
    // The engineer stops reading: it hears neither frames nor pings, like a dead peer.
    pair.engineer.ws.pause();
    const frame = randomBytes(FRAME_BYTES);
    let stop = false;
    const writing = (async () => {
      while (!stop && pair.agent.ws.readyState === pair.agent.ws.OPEN) {
        if (pair.agent.ws.bufferedAmount > 4 * FRAME_BYTES) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        pair.agent.ws.send(frame, { binary: true });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    expect((await pair.agent.next('peer-away', 10_000)).graceMs).toBeGreaterThan(0);
    stop = true;
    await writing;
    // The relay cut the engineer; its client sees that once it reads again.
    pair.engineer.ws.resume();
    expect((await pair.engineer.closed).code).toBe(1006);
    // Several more heartbeats: the writer, resumed once its reader was gone, still answers them.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(pair.agent.ws.readyState).toBe(pair.agent.ws.OPEN);
    expect(relay.stats()).toMatchObject({ connections: 1, pairs: 1 });
  });
});
