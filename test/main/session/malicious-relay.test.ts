// A compromised relay must not be able to read session content or make the
// agent do anything (DESIGN "Threat model"): every manipulation of the frames
// it forwards is rejected, ends the session with a clear code, executes
// nothing, and is recorded in the audit log.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { auditLogPath } from '../../../main/audit/audit-log';
import type { AgentSession, SessionEnd } from '../../../main/session/agent-session';
import type { EngineerSession } from '../../../console/engineer-session';
import { HostileRelay, type Delivery, type Side } from '../../support/hostile-relay';
import { SessionHarness, waitFor } from '../../support/session-harness';

let harness: SessionHarness | undefined;
let hostile: HostileRelay | undefined;
afterEach(async () => {
  await harness?.close();
  await hostile?.close();
  harness = undefined;
  hostile = undefined;
});

/** An approved session through the hostile relay, with forwarding still honest. */
async function approvedThroughHostileRelay(): Promise<{
  agent: AgentSession;
  engineer: EngineerSession;
  chats: string[];
}> {
  hostile = await HostileRelay.start();
  harness = await SessionHarness.start({ agentRelayUrl: hostile.url });
  const { session: agent, code } = await harness.startSession();
  expect(code).toBe(hostile.code);
  const requested = waitFor(agent, 'request');
  const engineer = await harness.connect(code, harness.engineer(), { relayUrl: hostile.url });
  await requested;
  const approved = engineer.waitForApproval();
  await agent.accept();
  await approved;
  const chats: string[] = [];
  agent.on('chat', ({ from, text }) => {
    if (from === 'engineer') chats.push(text);
  });
  return { agent, engineer, chats };
}

/** Arms a manipulation of the engineer's next data frames; returns the agent's end. */
async function attack(
  manipulate: (frame: Buffer, n: number) => Delivery[],
  from: Side = 'engineer',
): Promise<{ end: SessionEnd; chats: string[]; engineer: EngineerSession; agent: AgentSession }> {
  const { agent, engineer, chats } = await approvedThroughHostileRelay();
  let first = -1;
  hostile!.tamper = (side, frame, n) => {
    if (side !== from) return [{ to: 'peer', frame }];
    if (first < 0) first = n;
    return manipulate(frame, n - first);
  };
  const ended = waitFor<SessionEnd>(agent, 'ended');
  if (from === 'engineer') {
    engineer.chat('one');
    engineer.chat('two');
  } else {
    agent.chat('one');
    agent.chat('two');
  }
  return { end: await ended, chats, engineer, agent };
}

function auditOf(): string {
  return readFileSync(auditLogPath(harness!.dataDir), 'utf8');
}

describe('a malicious relay', () => {
  it('cannot replay a frame: the replay is refused and not executed', async () => {
    const { end, chats } = await attack((frame, n) =>
      n === 0
        ? [
            { to: 'peer', frame },
            { to: 'peer', frame },
          ]
        : [{ to: 'peer', frame }],
    );
    expect(end.code).toBe('CHANNEL_FRAME_REPLAYED');
    expect(chats).toEqual(['one']);
    expect(auditOf()).toContain('"code":"CHANNEL_FRAME_REPLAYED"');
  });

  it('cannot reorder frames', async () => {
    let held: Buffer | undefined;
    const { end, chats } = await attack((frame, n) => {
      if (n === 0) {
        held = frame;
        return [];
      }
      return n === 1
        ? [
            { to: 'peer', frame },
            { to: 'peer', frame: held! },
          ]
        : [{ to: 'peer', frame }];
    });
    expect(end.code).toBe('CHANNEL_FRAME_REPLAYED');
    expect(chats).toEqual([]);
  });

  it('cannot reflect the agent its own frames', async () => {
    const { end, chats } = await attack((frame) => [{ to: 'self', frame }], 'agent');
    expect(end.code).toBe('CHANNEL_FRAME_INVALID');
    expect(chats).toEqual([]);
  });

  it('cannot truncate a frame', async () => {
    const { end, chats } = await attack((frame) => [
      { to: 'peer', frame: frame.subarray(0, frame.length - 3) },
    ]);
    expect(end.code).toBe('CHANNEL_FRAME_INVALID');
    expect(chats).toEqual([]);
  });

  it('cannot flip a bit of the ciphertext', async () => {
    const { end, chats } = await attack((frame) => {
      const copy = Buffer.from(frame);
      copy[12]! ^= 0x01;
      return [{ to: 'peer', frame: copy }];
    });
    expect(end.code).toBe('CHANNEL_FRAME_INVALID');
    expect(chats).toEqual([]);
  });

  for (const [name, bytes] of [
    ['a 0-byte frame', Buffer.alloc(0)],
    ['a 1-byte frame', Buffer.from([0x17])],
    [
      'a forged data frame',
      Buffer.concat([Buffer.from([0x17]), Buffer.alloc(8), Buffer.alloc(64, 7)]),
    ],
    [
      'a late handshake frame',
      Buffer.concat([Buffer.from([0x01]), Buffer.from('{"proto":"assent"}')]),
    ],
  ] as const) {
    it(`cannot inject ${name}`, async () => {
      const { end, chats } = await attack((frame, n) =>
        n === 0 ? [{ to: 'peer', frame: bytes }] : [{ to: 'peer', frame }],
      );
      expect(['CHANNEL_FRAME_INVALID', 'CHANNEL_MESSAGE_INVALID']).toContain(end.code);
      expect(chats).toEqual([]);
      expect(auditOf()).toContain('"type":"session.error"');
    });
  }

  it('cannot downgrade the protocol version offered by the engineer', async () => {
    hostile = await HostileRelay.start();
    harness = await SessionHarness.start({ agentRelayUrl: hostile.url });
    const { session: agent, code } = await harness.startSession();
    hostile.tamper = (side, frame, n) => {
      if (side === 'engineer' && n === 0) {
        const body = JSON.parse(frame.subarray(1).toString('utf8')) as { versions: number[] };
        body.versions = [2];
        return [
          {
            to: 'peer',
            frame: Buffer.concat([frame.subarray(0, 1), Buffer.from(JSON.stringify(body))]),
          },
        ];
      }
      return [{ to: 'peer', frame }];
    };
    let requested = false;
    agent.on('request', () => (requested = true));
    const ended = waitFor<SessionEnd>(agent, 'ended');
    await harness.connect(code, harness.engineer(), { relayUrl: hostile.url });
    expect((await ended).code).toBe('CHANNEL_VERSION_UNSUPPORTED');
    expect(requested).toBe(false);
  });

  it('cannot pass off an engineer certified by another key: the approver is never asked', async () => {
    hostile = await HostileRelay.start();
    harness = await SessionHarness.start({ agentRelayUrl: hostile.url });
    const { session: agent, code } = await harness.startSession();
    const { generateSigningKeyPair } = await import('../../../platform/signing');
    let requested = false;
    agent.on('request', () => (requested = true));
    const ended = waitFor<SessionEnd>(agent, 'ended');
    await harness.connect(code, harness.engineer({ vendorKey: generateSigningKeyPair() }), {
      relayUrl: hostile.url,
    });
    expect((await ended).code).toBe('VENDOR_KEY_MISMATCH');
    expect(requested).toBe(false);
  });

  it('cannot bring in an engineer the vendor revoked: the agent checks its own revocation list', async () => {
    hostile = await HostileRelay.start();
    harness = await SessionHarness.start({ agentRelayUrl: hostile.url });
    const revoked = harness.engineer();
    const { signRevocationList } = await import('../../../platform/credentials');
    const { offerRevocations } = await import('../../../main/identity/vendor-trust');
    offerRevocations(
      harness.dataDir,
      harness.vendor.publicKey,
      signRevocationList(harness.vendorKey.privateKey, [revoked.certificate.serial], 7),
    );
    const { session: agent, code } = await harness.startSession();
    let requested = false;
    agent.on('request', () => (requested = true));
    const ended = waitFor<SessionEnd>(agent, 'ended');
    await harness.connect(code, revoked, { relayUrl: hostile.url });
    expect((await ended).code).toBe('CREDENTIAL_REVOKED');
    expect(requested).toBe(false);
  });

  it('closes on an oversized frame (1009) and ends the session', async () => {
    const { end } = await attack((frame, n) =>
      n === 0
        ? [{ to: 'peer', frame: Buffer.alloc(2 * 1024 * 1024, 0x17) }]
        : [{ to: 'peer', frame }],
    );
    expect(end.code).toBe('RELAY_FRAME_TOO_LARGE');
  });
});
