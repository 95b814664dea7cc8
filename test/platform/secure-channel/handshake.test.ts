// The authenticated key exchange with real Ed25519/X25519 keys and real
// certificates: happy path, every single-byte tampering, identity failures.
import { describe, expect, it } from 'vitest';
import {
  decodePlaintext,
  InitiatorHandshake,
  ResponderHandshake,
} from '../../../platform/secure-channel';
import { generateSigningKeyPair } from '../../../platform/signing';
import { AssentError } from '../../../protocol/errors';
import { FRAME_TYPES } from '../../../protocol/wire/handshake';
import {
  certify,
  expectCode,
  frameJson,
  jsonFrame,
  connect,
  makeHandshakes,
  makeParties,
  pinnedVerifier,
  revoke,
  runHandshake,
  signedResponse,
  thrown,
  type FrameRewriter,
} from './fixtures';

describe('handshake: happy path', () => {
  it('agrees on keys, SAS, version and transcript, and carries data both ways', () => {
    const parties = makeParties();
    const { initiator, responder } = makeHandshakes(parties);
    const { engineer, agent } = runHandshake(initiator, responder);

    expect(engineer.sas).toMatch(/^\d{3} \d{3}$/);
    expect(agent.sas).toBe(engineer.sas);
    expect(engineer.version).toBe(1);
    expect(agent.version).toBe(1);
    expect(agent.transcriptHash).toBe(engineer.transcriptHash);
    expect(engineer.transcriptHash).toMatch(/^[0-9a-f]{64}$/);
    expect(engineer.peer).toEqual({ deviceKey: parties.deviceKey.publicKey });
    expect(agent.peer).toEqual({ certificate: parties.certificate });

    // Key confirmation: neither side is established before it decrypted a frame.
    expect(agent.channel.established).toBe(false);
    expect(engineer.channel.established).toBe(false);
    const hello = agent.channel.open(engineer.channel.sealJson({ type: 'hello', n: 1 }));
    expect(agent.channel.established).toBe(true);
    expect(decodePlaintext(hello)).toEqual({ kind: 'json', value: { type: 'hello', n: 1 } });

    const reply = engineer.channel.open(agent.channel.sealJson({ type: 'welcome' }));
    expect(engineer.channel.established).toBe(true);
    expect(decodePlaintext(reply)).toEqual({ kind: 'json', value: { type: 'welcome' } });

    const chunk = Buffer.from('bulk bytes');
    const stream = decodePlaintext(agent.channel.open(engineer.channel.sealStream(7, chunk)));
    expect(stream).toEqual({ kind: 'stream', streamId: 7, bytes: chunk });

    expect(decodePlaintext(engineer.channel.open(agent.channel.sealClose()))).toEqual({
      kind: 'close',
    });
    expect(agent.channel.closed).toBe(true);
    expect(engineer.channel.closed).toBe(true);
    expect(engineer.channel.endReceived).toBe(true);
  });

  it('gives a fresh SAS and transcript for every handshake between the same parties', () => {
    const parties = makeParties();
    const first = connect(parties);
    const second = connect(parties);
    expect(second.engineer.transcriptHash).not.toBe(first.engineer.transcriptHash);
    // Keys differ too: a frame of the first session does not open in the second.
    expectCode(
      () => second.agent.channel.open(first.engineer.channel.sealJson({ type: 'hello' })),
      'CHANNEL_FRAME_INVALID',
    );
  });

  it('picks the highest common version', () => {
    const parties = makeParties();
    const both = connect(parties, { initiatorVersions: [1, 2], responderVersions: [2, 1] });
    expect(both.engineer.version).toBe(2);
    expect(both.agent.version).toBe(2);
    const older = connect(parties, { initiatorVersions: [1, 2], responderVersions: [1] });
    expect(older.engineer.version).toBe(1);
    expect(older.agent.sas).toBe(older.engineer.sas);
  });
});

describe('handshake: tampering in transit', () => {
  // Every byte of the frame, with a low bit and the ASCII case bit flipped.
  function sweep(
    which: keyof FrameRewriter,
    allowed: string[],
    flips = [0x01, 0x20],
  ): Map<string, number> {
    const parties = makeParties();
    const codes = new Map<string, number>();
    const probe = makeHandshakes(parties);
    const lengths = { init: 0, response: 0, finish: 0 };
    runHandshake(probe.initiator, probe.responder, {
      init: (f) => ((lengths.init = f.length), f),
      response: (f) => ((lengths.response = f.length), f),
      finish: (f) => ((lengths.finish = f.length), f),
    });
    for (let index = 0; index < lengths[which]; index++) {
      for (const flip of flips) {
        const { initiator, responder } = makeHandshakes(parties);
        const error = thrown(() =>
          runHandshake(initiator, responder, {
            [which]: (f: Buffer) => {
              expect(f.length).toBe(lengths[which]);
              f[index]! ^= flip;
              return f;
            },
          }),
        );
        expect(error, `byte ${index} ^ ${flip}`).toBeInstanceOf(AssentError);
        const code = (error as AssentError).code;
        expect(allowed, `byte ${index} ^ ${flip}: ${code}`).toContain(code);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    return codes;
  }

  it('rejects every altered byte of the init frame', () => {
    const codes = sweep('init', [
      'CHANNEL_HANDSHAKE_FAILED',
      'CHANNEL_VERSION_UNSUPPORTED',
      'CHANNEL_PEER_UNTRUSTED',
    ]);
    // Malformed JSON fails at the agent; altered keys or nonces at the engineer's signature check.
    expect(codes.get('CHANNEL_HANDSHAKE_FAILED')).toBeGreaterThan(0);
    expect(codes.get('CHANNEL_PEER_UNTRUSTED')).toBeGreaterThan(0);
  });

  it('rejects every altered byte of the response frame', () => {
    const codes = sweep('response', [
      'CHANNEL_HANDSHAKE_FAILED',
      'CHANNEL_VERSION_UNSUPPORTED',
      'CHANNEL_PEER_UNTRUSTED',
    ]);
    expect(codes.get('CHANNEL_HANDSHAKE_FAILED')).toBeGreaterThan(0);
    expect(codes.get('CHANNEL_PEER_UNTRUSTED')).toBeGreaterThan(0);
  });

  it('rejects every altered byte of the finish frame', () => {
    const codes = sweep(
      'finish',
      [
        'CHANNEL_HANDSHAKE_FAILED',
        'CHANNEL_PEER_UNTRUSTED',
        'CREDENTIAL_INVALID',
        'VENDOR_KEY_MISMATCH',
      ],
      [0x01],
    ); // the certificate makes this frame long: one flip a byte keeps the test quick
    expect(codes.get('CHANNEL_HANDSHAKE_FAILED')).toBeGreaterThan(0);
    expect(codes.get('CHANNEL_PEER_UNTRUSTED')).toBeGreaterThan(0);
    expect(codes.get('CREDENTIAL_INVALID')).toBeGreaterThan(0);
  });

  it('names the failure of each kind of targeted alteration', () => {
    const parties = makeParties();
    const attempt = (mitm: FrameRewriter): unknown => {
      const { initiator, responder } = makeHandshakes(parties);
      return thrown(() => runHandshake(initiator, responder, mitm));
    };
    const code = (mitm: FrameRewriter): string => (attempt(mitm) as AssentError).code;

    // Wrong frame type, cut-off JSON, oversized frame: malformed.
    expect(code({ init: (f) => ((f[0] = FRAME_TYPES.data), f) })).toBe('CHANNEL_HANDSHAKE_FAILED');
    expect(code({ response: (f) => f.subarray(0, f.length - 3) })).toBe('CHANNEL_HANDSHAKE_FAILED');
    expect(code({ finish: (f) => f.subarray(0, 1) })).toBe('CHANNEL_HANDSHAKE_FAILED');
    expect(code({ init: (f) => Buffer.concat([f, Buffer.alloc(20_000, 0x20)]) })).toBe(
      'CHANNEL_HANDSHAKE_FAILED',
    );
    // A second spelling of the same signature bytes (unused base64url bits set).
    expect(
      code({
        response: (f) => {
          const body = frameJson(f);
          const sig = body.signature as string;
          const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          body.signature = sig.slice(0, -1) + last[last.indexOf(sig.at(-1)!) ^ 1];
          return jsonFrame(FRAME_TYPES.handshakeResponse, body);
        },
      }),
    ).toBe('CHANNEL_HANDSHAKE_FAILED');
    // Extra field added by the relay: the signature covers every field.
    expect(
      code({
        response: (f) => jsonFrame(FRAME_TYPES.handshakeResponse, { ...frameJson(f), note: 'x' }),
      }),
    ).toBe('CHANNEL_PEER_UNTRUSTED');
    expect(
      code({
        finish: (f) => jsonFrame(FRAME_TYPES.handshakeFinish, { ...frameJson(f), note: 'x' }),
      }),
    ).toBe('CHANNEL_PEER_UNTRUSTED');
    // A certificate with one field changed no longer carries the vendor's signature.
    expect(
      code({
        finish: (f) => {
          const body = frameJson(f);
          body.certificate = { ...(body.certificate as object), name: 'Mallory' };
          return jsonFrame(FRAME_TYPES.handshakeFinish, body);
        },
      }),
    ).toBe('CREDENTIAL_INVALID');
  });

  it('rejects frames out of order, twice, or from another handshake', () => {
    const parties = makeParties();
    const { initiator, responder } = makeHandshakes(parties);
    const init = initiator.start();
    expectCode(() => responder.onFinish(init), 'CHANNEL_HANDSHAKE_FAILED');
    expectCode(() => initiator.start(), 'CHANNEL_HANDSHAKE_FAILED');

    // The response of one handshake replayed into another.
    const first = makeHandshakes(parties);
    const second = makeHandshakes(parties);
    const firstResponse = first.responder.onInit(first.initiator.start());
    second.initiator.start();
    expectCode(() => second.initiator.onResponse(firstResponse), 'CHANNEL_PEER_UNTRUSTED');
    // A failed handshake stays failed.
    expectCode(() => second.initiator.onResponse(firstResponse), 'CHANNEL_HANDSHAKE_FAILED');

    // The agent answers one init only.
    const third = makeHandshakes(parties);
    const thirdInit = third.initiator.start();
    third.responder.onInit(thirdInit);
    expectCode(() => third.responder.onInit(thirdInit), 'CHANNEL_HANDSHAKE_FAILED');
  });
});

describe('handshake: identities', () => {
  it('rejects a response signed by a key other than the device key it names', () => {
    const parties = makeParties();
    const { initiator } = makeHandshakes(parties);
    const init = initiator.start();
    const body = {
      version: 1,
      ephemeral: frameJson(init).ephemeral as string,
      nonce: frameJson(init).nonce as string,
      deviceKey: parties.deviceKey.publicKey,
    };
    const forged = signedResponse(init, body, generateSigningKeyPair());
    expectCode(() => initiator.onResponse(forged), 'CHANNEL_PEER_UNTRUSTED');
  });

  it('rejects a validly signed response from a device key other than the expected one', () => {
    const parties = makeParties();
    const { initiator, responder } = makeHandshakes(parties, {
      expectedDeviceKey: generateSigningKeyPair().publicKey,
    });
    const response = responder.onInit(initiator.start());
    expectCode(() => initiator.onResponse(response), 'CHANNEL_PEER_UNTRUSTED');

    const matching = makeHandshakes(parties, { expectedDeviceKey: parties.deviceKey.publicKey });
    expect(runHandshake(matching.initiator, matching.responder).engineer.version).toBe(1);
  });

  it('rejects a degenerate (low-order) ephemeral key from either side', () => {
    const parties = makeParties();
    const zeroKey = Buffer.alloc(32).toString('base64url');
    const a = makeHandshakes(parties);
    const init = frameJson(a.initiator.start());
    expectCode(
      () =>
        a.responder.onInit(jsonFrame(FRAME_TYPES.handshakeInit, { ...init, ephemeral: zeroKey })),
      'CHANNEL_HANDSHAKE_FAILED',
    );

    const b = makeHandshakes(parties);
    const bInit = b.initiator.start();
    const response = signedResponse(
      bInit,
      {
        version: 1,
        ephemeral: zeroKey,
        nonce: frameJson(bInit).nonce as string,
        deviceKey: parties.deviceKey.publicKey,
      },
      parties.deviceKey,
    );
    expectCode(() => b.initiator.onResponse(response), 'CHANNEL_HANDSHAKE_FAILED');
  });

  it('rejects an engineer certified by another vendor', () => {
    const parties = makeParties();
    const otherVendor = generateSigningKeyPair();
    const { initiator, responder } = makeHandshakes(parties, {
      certificate: certify(otherVendor, parties.engineerKey),
    });
    expectCode(() => runHandshake(initiator, responder), 'VENDOR_KEY_MISMATCH');
  });

  it('rejects an expired engineer certificate', () => {
    const parties = makeParties();
    const longAgo = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000);
    const { initiator, responder } = makeHandshakes(parties, {
      certificate: certify(parties.vendor, parties.engineerKey, { days: 30, now: longAgo }),
    });
    expectCode(() => runHandshake(initiator, responder), 'CREDENTIAL_EXPIRED');
  });

  it('rejects a revoked engineer certificate', () => {
    const parties = makeParties();
    const revocations = revoke(parties.vendor, [parties.certificate.serial]);
    const { initiator, responder } = makeHandshakes(parties, { revocations });
    expectCode(() => runHandshake(initiator, responder), 'CREDENTIAL_REVOKED');
  });

  it('rejects a valid certificate presented by someone without its key', () => {
    const parties = makeParties();
    const mallory = generateSigningKeyPair();
    const malloryCert = certify(parties.vendor, mallory, { name: 'Mallory' });
    const { initiator, responder } = makeHandshakes(parties, {
      certificate: malloryCert,
      signingKey: mallory,
    });
    const error = thrown(() =>
      runHandshake(initiator, responder, {
        finish: (f) =>
          jsonFrame(FRAME_TYPES.handshakeFinish, {
            ...frameJson(f),
            certificate: parties.certificate,
          }),
      }),
    );
    expect((error as AssentError).code).toBe('CHANNEL_PEER_UNTRUSTED');
  });

  it('turns a verifier fault into CHANNEL_PEER_UNTRUSTED and refuses a mismatched signing key', () => {
    const parties = makeParties();
    const initiator = new InitiatorHandshake({
      certificate: parties.certificate,
      signingKey: parties.engineerKey,
    });
    const responder = new ResponderHandshake({
      deviceKey: parties.deviceKey,
      verifyEngineer: () => {
        throw new Error('verifier broke');
      },
    });
    expectCode(() => runHandshake(initiator, responder), 'CHANNEL_PEER_UNTRUSTED');
    expectCode(
      () =>
        new InitiatorHandshake({
          certificate: parties.certificate,
          signingKey: generateSigningKeyPair(),
        }),
      'KEY_INVALID',
    );
  });
});

describe('handshake: downgrade', () => {
  it('rejects an offer a man in the middle cut down to an older version', () => {
    const parties = makeParties();
    const { initiator, responder } = makeHandshakes(parties, {
      initiatorVersions: [1, 2],
      responderVersions: [1, 2],
    });
    const error = expectCode(
      () =>
        runHandshake(initiator, responder, {
          init: (f) => jsonFrame(FRAME_TYPES.handshakeInit, { ...frameJson(f), versions: [1] }),
        }),
      'CHANNEL_VERSION_UNSUPPORTED',
    );
    expect(error.message).toMatch(/downgrade/);
  });

  it('rejects an offer of [1] rewritten in transit to a version the engineer never offered', () => {
    const parties = makeParties();
    const { initiator, responder } = makeHandshakes(parties, {
      initiatorVersions: [1],
      responderVersions: [1, 2],
    });
    expectCode(
      () =>
        runHandshake(initiator, responder, {
          init: (f) => jsonFrame(FRAME_TYPES.handshakeInit, { ...frameJson(f), versions: [2] }),
        }),
      'CHANNEL_VERSION_UNSUPPORTED',
    );
  });

  it('rejects a response whose version a man in the middle lowered', () => {
    const parties = makeParties();
    const { initiator, responder } = makeHandshakes(parties, {
      initiatorVersions: [1, 2],
      responderVersions: [1, 2],
    });
    expectCode(
      () =>
        runHandshake(initiator, responder, {
          response: (f) =>
            jsonFrame(FRAME_TYPES.handshakeResponse, { ...frameJson(f), version: 1 }),
        }),
      'CHANNEL_VERSION_UNSUPPORTED',
    );
  });

  it('rejects a version that was not offered, even when properly signed', () => {
    const parties = makeParties();
    const { initiator } = makeHandshakes(parties, { initiatorVersions: [1] });
    const init = initiator.start();
    const response = signedResponse(
      init,
      {
        version: 2,
        ephemeral: frameJson(init).ephemeral as string,
        nonce: frameJson(init).nonce as string,
        deviceKey: parties.deviceKey.publicKey,
      },
      parties.deviceKey,
    );
    expectCode(() => initiator.onResponse(response), 'CHANNEL_VERSION_UNSUPPORTED');
  });

  it('refuses when there is no common version', () => {
    const parties = makeParties();
    const { initiator, responder } = makeHandshakes(parties, {
      initiatorVersions: [2],
      responderVersions: [1],
    });
    expectCode(() => runHandshake(initiator, responder), 'CHANNEL_VERSION_UNSUPPORTED');
  });
});

describe('handshake: man in the middle', () => {
  it('rejects ephemeral keys substituted in transit', () => {
    const parties = makeParties();
    const relayKey = frameJson(makeHandshakes(parties).initiator.start()).ephemeral;
    for (const which of ['init', 'response'] as const) {
      const { initiator, responder } = makeHandshakes(parties);
      expectCode(
        () =>
          runHandshake(initiator, responder, {
            [which]: (f: Buffer) => jsonFrame(f[0]!, { ...frameJson(f), ephemeral: relayKey }),
          }),
        'CHANNEL_PEER_UNTRUSTED',
      );
    }
  });

  it('shows different SAS when a relay with its own keys runs two handshakes', () => {
    const parties = makeParties();
    // The relay holds its own device key and even a certificate of the same vendor.
    const relayDevice = generateSigningKeyPair();
    const relayEngineer = generateSigningKeyPair();
    const toEngineer = new ResponderHandshake({
      deviceKey: relayDevice,
      verifyEngineer: pinnedVerifier(parties.vendor.publicKey),
    });
    const toAgent = new InitiatorHandshake({
      certificate: certify(parties.vendor, relayEngineer, { name: 'Relay' }),
      signingKey: relayEngineer,
    });
    const { initiator: engineerSide, responder: agentSide } = makeHandshakes(parties);
    const engineer = runHandshake(engineerSide, toEngineer).engineer;
    const agent = runHandshake(toAgent, agentSide).agent;

    expect(engineer.sas).not.toBe(agent.sas);
    expect(engineer.transcriptHash).not.toBe(agent.transcriptHash);
    expect(engineer.peer).toEqual({ deviceKey: relayDevice.publicKey });
    // Frames of one side do not open on the other.
    expectCode(
      () => agent.channel.open(engineer.channel.sealJson({ type: 'hello' })),
      'CHANNEL_FRAME_INVALID',
    );
  });
});
