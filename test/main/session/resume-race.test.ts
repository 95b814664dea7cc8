// An engineer whose path to the relay dies silently comes back before the
// relay has noticed (the relay swaps in the new socket), while the agent is
// in the middle of sending bulk data. Frames of the old channel still in
// flight must not break the new handshake, and the agent's reading must not
// stay paused for the old socket's backlog. Real relay, agent and engineer.
import { afterEach, describe, expect, it } from 'vitest';
import { isAssentError } from '../../../protocol/errors';
import { SessionHarness, waitFor } from '../../support/session-harness';
import { TcpProxy } from '../../support/tcp-proxy';

let harness: SessionHarness | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await harness?.close();
  harness = proxy = undefined;
});

const CHUNK = Buffer.alloc(256 * 1024, 7);

describe('resume while the agent is sending', () => {
  it('survives the relay swapping in the engineer’s new socket, three times over', async () => {
    harness = await SessionHarness.start({ agent: { resumeGraceMs: 20_000 } });
    proxy = await TcpProxy.start(harness.relay.port);
    const {
      agentSession: session,
      engineer,
      peer,
    } = await harness.approvedSession({ connect: { relayUrl: proxy.url } });

    // The agent streams without pause. A stream that sent on a channel a
    // resume replaced fails (CHANNEL_CLOSED) on the new one as well, as a
    // transfer does, and is started again on a fresh stream id.
    let received = 0;
    const count = (chunk: Buffer): void => void (received += chunk.length);
    let streamId = peer.nextStreamId();
    let send = peer.streamSender(streamId);
    engineer.link.onStream(streamId, count);
    const failedStreams = new Set<number>();
    let sending = true;
    const sender = (async () => {
      while (sending) {
        try {
          await send(CHUNK);
        } catch (error) {
          if (!isAssentError(error, 'CHANNEL_CLOSED')) throw error;
          await new Promise((resolve) => setTimeout(resolve, 5));
          // Interrupted: wait for the resume. Replaced: this stream is over.
          if (error.details?.['streamId'] !== streamId) continue;
          failedStreams.add(streamId);
          streamId = peer.nextStreamId();
          send = peer.streamSender(streamId);
          engineer.link.onStream(streamId, count);
        }
      }
    })();

    const ended: unknown[] = [];
    session.on('ended', (end) => ended.push(end));
    engineer.on('ended', (end) => ended.push(end));
    for (let round = 0; round < 3; round++) {
      const before = received;
      await expect
        .poll(() => received - before, { timeout: 10_000 })
        .toBeGreaterThan(2 * 1024 * 1024);
      const resumed = waitFor(engineer, 'resumed', 15_000);
      proxy.silenceAll();
      await resumed;
      expect(ended).toEqual([]);
    }
    // Each resume ended the stream that was running, and data flows again on a new one.
    await expect.poll(() => failedStreams.size, { timeout: 10_000 }).toBe(3);
    const after = received;
    await expect.poll(() => received - after, { timeout: 10_000 }).toBeGreaterThan(1024 * 1024);
    sending = false;
    await sender;
    expect(session.state).toBe('active');
    expect(engineer.state).toBe('active');
    expect(ended).toEqual([]);
  });
});
