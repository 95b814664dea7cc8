// The measurements of bench/session.ts against the real session stack: the
// agent (bench/support/session-agent.ts) and the engineer
// (bench/support/session-engineer.ts) each in a helper process, commanded
// over IPC by the bench process, which only orchestrates. The round-trip
// functions run inside the engineer's process.
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

/** The agent and the engineer helper processes of one relay. */
export interface Stack {
  agent: BenchChild;
  engineer: BenchChild;
}

/** Opens a session on the agent and joins it from the engineer; resolves with the setup times. */
export async function joinSession(stack: Stack): Promise<{ setupMs: number; toCodeMs: number }> {
  stack.agent.send({ op: 'session' });
  const { code, startToCodeMs } = await stack.agent.next('code');
  stack.engineer.send({ op: 'connect', code });
  const { ms } = await stack.engineer.next('approved');
  return { setupMs: ms as number, toCodeMs: startToCodeMs as number };
}

/** Session setup `repetitions` times: code issued → approved-ready, and agent start → code. */
export async function sessionSetup(
  stack: Stack,
  repetitions: number,
): Promise<{ setup: number[]; toCode: number[] }> {
  const setup: number[] = [];
  const toCode: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const { setupMs, toCodeMs } = await joinSession(stack);
    setup.push(setupMs);
    toCode.push(toCodeMs);
    stack.engineer.send({ op: 'end', reason: 'setup measured' });
    await stack.engineer.next('ended');
    await stack.agent.next('ended');
  }
  return { setup, toCode };
}

/** Round trips measured in the engineer's process (`chat-round-trips` or `message-round-trips`). */
export async function roundTrips(
  stack: Stack,
  kind: 'chat' | 'message',
  pacing: Pacing,
): Promise<number[]> {
  stack.engineer.send({ op: `${kind}-round-trips`, ...pacing });
  return (await stack.engineer.next('round-trips', TRANSFER_TIMEOUT_MS))['times'] as number[];
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

/** `bytes` engineer → agent on a fresh stream; timed from the send command to the agent having every byte. */
export async function engineerToAgent(stack: Stack, bytes: number): Promise<number> {
  stack.engineer.send({ op: 'open-stream' });
  const streamId = (await stack.engineer.next('stream'))['streamId'] as number;
  stack.agent.send({ op: 'expect', streamId, bytes });
  await stack.agent.next('expecting');
  const t0 = performance.now();
  stack.engineer.send({ op: 'send', streamId, bytes });
  await stack.agent.next('received', TRANSFER_TIMEOUT_MS);
  const rate = bytes / ((performance.now() - t0) / 1000);
  await stack.engineer.next('sent');
  return rate;
}

/** `bytes` agent → engineer on a fresh stream; timed from the send command to the engineer having every byte. */
export async function agentToEngineer(stack: Stack, bytes: number): Promise<number> {
  stack.agent.send({ op: 'open-stream' });
  const streamId = (await stack.agent.next('stream'))['streamId'] as number;
  stack.engineer.send({ op: 'expect', streamId, bytes });
  await stack.engineer.next('expecting');
  const t0 = performance.now();
  stack.agent.send({ op: 'send', streamId, bytes });
  await stack.engineer.next('received', TRANSFER_TIMEOUT_MS);
  const rate = bytes / ((performance.now() - t0) / 1000);
  await stack.agent.next('sent');
  return rate;
}
