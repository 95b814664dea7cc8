// The measurements of bench/session.ts against the real session stack: the
// engineer's side runs in the calling process, the agent in its helper
// process (bench/support/session-agent.ts), commanded over IPC.
import type { EngineerSession } from '../../console/engineer-session';
import type { BenchChild } from './bench-child';
import { pacedRoundTrips } from './round-trips';

/** How many round trips, after how many unmeasured ones, at most one per `intervalMs`. */
export interface Pacing {
  readonly count: number;
  readonly warmup: number;
  readonly intervalMs: number;
}

/** A bulk transfer may take this long on a loaded machine before the bench gives up. */
const TRANSFER_TIMEOUT_MS = 600_000;

/** One agent helper process, one engineer credential, one relay. */
export interface Stack {
  agent: BenchChild;
  relayUrl: string;
  connect(code: string): Promise<EngineerSession>;
}

export async function sessionSetup(
  stack: Stack,
  repetitions: number,
): Promise<{ setup: number[]; toCode: number[] }> {
  const setup: number[] = [];
  const toCode: number[] = [];
  for (let i = 0; i < repetitions; i++) {
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

export function chatRoundTrips(engineer: EngineerSession, pacing: Pacing): Promise<number[]> {
  return pacedRoundTrips(pacing.count, pacing.warmup, pacing.intervalMs, (i) => {
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
export function messageRoundTrips(engineer: EngineerSession, pacing: Pacing): Promise<number[]> {
  return pacedRoundTrips(pacing.count, pacing.warmup, pacing.intervalMs, () => {
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

export async function engineerToAgent(
  stack: Stack,
  engineer: EngineerSession,
  buffers: Buffer[],
  bytes: number,
): Promise<number> {
  const streamId = engineer.link.nextStreamId();
  stack.agent.send({ op: 'expect', streamId, bytes });
  await stack.agent.next('expecting');
  const t0 = performance.now();
  for (let sent = 0, i = 0; sent < bytes; i++) {
    const buffer = buffers[i % buffers.length]!;
    await engineer.link.sendStream(
      streamId,
      buffer.subarray(0, Math.min(buffer.length, bytes - sent)),
    );
    sent += buffer.length;
  }
  await stack.agent.next('received', TRANSFER_TIMEOUT_MS);
  return bytes / ((performance.now() - t0) / 1000);
}

export async function agentToEngineer(
  stack: Stack,
  engineer: EngineerSession,
  bytes: number,
): Promise<number> {
  stack.agent.send({ op: 'open-stream' });
  const streamId = (await stack.agent.next('stream'))['streamId'] as number;
  let received = 0;
  let off: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    off = engineer.link.onStream(streamId, (chunk) => {
      received += chunk.length;
      if (received >= bytes) resolve();
    });
  });
  const t0 = performance.now();
  stack.agent.send({ op: 'send', streamId, bytes });
  await done;
  const rate = bytes / ((performance.now() - t0) / 1000);
  off();
  await stack.agent.next('sent');
  return rate;
}
