// A receiver whose disk is behind holds the link: reading stops on its side,
// and through the relay the sender's sends stop resolving, so nothing grows
// without bound in between. Real relay, agent and engineer.
import { afterEach, describe, expect, it } from 'vitest';
import { SessionHarness } from '../../support/session-harness';

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const CHUNK = Buffer.alloc(256 * 1024, 7);
const TOTAL_CHUNKS = 256; // 64 MiB

describe('holding the inbound side of a session', () => {
  it('stops the sender while the engineer holds, and everything arrives once it lets go', async () => {
    harness = await SessionHarness.start();
    const { agentSession: session, engineer, peer } = await harness.approvedSession();

    const streamId = peer.nextStreamId();
    let received = 0;
    engineer.link.onStream(streamId, (chunk) => (received += chunk.length));
    const release = engineer.link.holdInbound();
    let sent = 0;
    const send = peer.streamSender(streamId);
    const sender = (async () => {
      for (let i = 0; i < TOTAL_CHUNKS; i++) {
        await send(CHUNK);
        sent += CHUNK.length;
      }
    })();

    // Held: the sender soon stops getting its sends resolved, and what the
    // engineer read stays at what was in its last socket read.
    await expect.poll(() => sent, { timeout: 10_000 }).toBeGreaterThan(0);
    let before = -1;
    await expect
      .poll(
        () => {
          const still = sent === before;
          before = sent;
          return still;
        },
        { interval: 300, timeout: 15_000 },
      )
      .toBe(true);
    expect(sent).toBeLessThan((TOTAL_CHUNKS * CHUNK.length) / 2);
    expect(received).toBeLessThanOrEqual(2 * 1024 * 1024);

    release();
    await sender;
    await expect.poll(() => received, { timeout: 15_000 }).toBe(TOTAL_CHUNKS * CHUNK.length);
    expect(session.state).toBe('active');
    expect(engineer.state).toBe('active');
  });
});
