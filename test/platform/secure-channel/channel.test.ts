// Encrypted data frames: sequence, authentication, limits and the end of the
// channel, on channels from a real handshake and on directly keyed pairs.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodePlaintext,
  MAX_ENCRYPTED_FRAME_BYTES,
  MIN_FRAME_BYTES,
  SecureChannel,
} from '../../../platform/secure-channel';
import { MAX_JSON_MESSAGE_BYTES, MAX_PLAINTEXT_BYTES } from '../../../protocol/limits';
import { FRAME_TYPES, PLAINTEXT_KINDS } from '../../../protocol/wire/handshake';
import { connect, expectCode, makeParties } from './fixtures';

/** Two channel ends keyed like a handshake would key them, plus a factory for fresh receivers. */
function pair(options: { maxFrames?: number } = {}): {
  a: SecureChannel;
  b: SecureChannel;
  freshB: () => SecureChannel;
} {
  const aToB = randomBytes(32);
  const bToA = randomBytes(32);
  const freshB = (): SecureChannel =>
    new SecureChannel({ sendKey: bToA, receiveKey: aToB }, options);
  return {
    a: new SecureChannel({ sendKey: aToB, receiveKey: bToA }, options),
    b: freshB(),
    freshB,
  };
}

describe('SecureChannel: frames in sequence', () => {
  it('numbers frames from 0 per direction, big-endian, with the data type byte', () => {
    const { a, b } = pair();
    const f0 = a.sealJson({ n: 0 });
    const f1 = a.sealJson({ n: 1 });
    const g0 = b.sealJson({ n: 0 });
    expect(f0[0]).toBe(FRAME_TYPES.data);
    expect(f0.readBigUInt64BE(1)).toBe(0n);
    expect(f1.readBigUInt64BE(1)).toBe(1n);
    expect(g0.readBigUInt64BE(1)).toBe(0n);
    expect(f0.length).toBe(1 + 8 + 1 + Buffer.byteLength('{"n":0}') + 16);
    expect(decodePlaintext(b.open(f0))).toEqual({ kind: 'json', value: { n: 0 } });
    expect(decodePlaintext(b.open(f1))).toEqual({ kind: 'json', value: { n: 1 } });
    expect(decodePlaintext(a.open(g0))).toEqual({ kind: 'json', value: { n: 0 } });
  });

  it('rejects a replayed frame and is closed afterwards', () => {
    const { a, b } = pair();
    const f0 = a.sealJson({ type: 'chat', text: 'hi' });
    b.open(f0);
    const error = expectCode(() => b.open(f0), 'CHANNEL_FRAME_REPLAYED');
    expect(error.message).toMatch(/replayed/);
    expect(b.closed).toBe(true);
    expectCode(() => b.open(a.sealJson({ n: 2 })), 'CHANNEL_CLOSED');
    expectCode(() => b.sealJson({ n: 1 }), 'CHANNEL_CLOSED');
  });

  it('rejects reordered and dropped frames', () => {
    const { a, freshB } = pair();
    const f0 = a.sealJson({ n: 0 });
    const f1 = a.sealJson({ n: 1 });
    const f2 = a.sealJson({ n: 2 });
    const reordered = freshB();
    expect(expectCode(() => reordered.open(f1), 'CHANNEL_FRAME_REPLAYED').message).toMatch(
      /out of order/,
    );
    const dropped = freshB();
    dropped.open(f0);
    expectCode(() => dropped.open(f2), 'CHANNEL_FRAME_REPLAYED');
  });

  it('rejects a reflected frame: one sealed by A fed back to A', () => {
    const { a } = pair();
    const frame = a.sealJson({ type: 'chat', text: 'mine' });
    expectCode(() => a.open(frame), 'CHANNEL_FRAME_INVALID');
  });

  it('rejects reflection on channels from a real handshake too', () => {
    const { engineer, agent } = connect(makeParties());
    expectCode(
      () => engineer.channel.open(engineer.channel.sealJson({ n: 1 })),
      'CHANNEL_FRAME_INVALID',
    );
    expectCode(() => agent.channel.open(agent.channel.sealJson({ n: 1 })), 'CHANNEL_FRAME_INVALID');
  });
});

describe('SecureChannel: malformed and tampered frames', () => {
  it('rejects 0-byte, 1-byte and too-short frames', () => {
    const { a, freshB } = pair();
    const frame = a.sealJson({});
    expectCode(() => freshB().open(Buffer.alloc(0)), 'CHANNEL_FRAME_INVALID');
    expectCode(() => freshB().open(Buffer.of(FRAME_TYPES.data)), 'CHANNEL_FRAME_INVALID');
    expectCode(() => freshB().open(Buffer.of(0x00)), 'CHANNEL_FRAME_INVALID');
    expectCode(
      () => freshB().open(Buffer.alloc(MIN_FRAME_BYTES - 1, FRAME_TYPES.data)),
      'CHANNEL_FRAME_INVALID',
    );
    // Truncated anywhere: the tag no longer matches.
    for (const keep of [MIN_FRAME_BYTES, frame.length - 1, frame.length - 16]) {
      expectCode(() => freshB().open(frame.subarray(0, keep)), 'CHANNEL_FRAME_INVALID');
    }
  });

  it('rejects unknown frame types and handshake frames after the handshake', () => {
    const { a, freshB } = pair();
    const frame = a.sealJson({ n: 1 });
    for (const type of [
      FRAME_TYPES.handshakeInit,
      FRAME_TYPES.handshakeResponse,
      FRAME_TYPES.handshakeFinish,
    ]) {
      const error = expectCode(
        () => freshB().open(Buffer.concat([Buffer.of(type), frame.subarray(1)])),
        'CHANNEL_FRAME_INVALID',
      );
      expect(error.message).toMatch(/handshake/);
    }
    expectCode(
      () => freshB().open(Buffer.concat([Buffer.of(0x42), frame.subarray(1)])),
      'CHANNEL_FRAME_INVALID',
    );
  });

  it('rejects every single flipped bit in header, ciphertext and tag', () => {
    const { a, freshB } = pair();
    const frame = a.sealJson({ type: 'chat', text: 'hello' });
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const copy = Buffer.from(frame);
      copy[bit >> 3]! ^= 1 << (bit & 7);
      expectCode(() => freshB().open(copy), 'CHANNEL_FRAME_INVALID');
    }
    expect(decodePlaintext(freshB().open(frame)).kind).toBe('json');
  });

  it('rejects an oversized frame and a frame forged with a wrong key', () => {
    const { freshB } = pair();
    const huge = Buffer.alloc(MAX_ENCRYPTED_FRAME_BYTES + 1);
    huge[0] = FRAME_TYPES.data;
    expectCode(() => freshB().open(huge), 'CHANNEL_FRAME_INVALID');
    const stranger = new SecureChannel({ sendKey: randomBytes(32), receiveKey: randomBytes(32) });
    expectCode(() => freshB().open(stranger.sealJson({ n: 0 })), 'CHANNEL_FRAME_INVALID');
  });
});

describe('SecureChannel: end of the channel', () => {
  it('ends with an authenticated close; nothing may follow it', () => {
    const { a, b } = pair();
    const before = a.sealJson({ n: 0 });
    const close = a.sealClose();
    expect(a.closed).toBe(true);
    expectCode(() => a.sealJson({ n: 1 }), 'CHANNEL_CLOSED');
    expectCode(() => a.sealClose(), 'CHANNEL_CLOSED');

    b.open(before);
    expect(decodePlaintext(b.open(close))).toEqual({ kind: 'close' });
    expect(b.endReceived).toBe(true);
    expect(b.closed).toBe(true);
    expectCode(() => b.sealJson({ n: 0 }), 'CHANNEL_CLOSED');
    b.transportClosed(); // not truncation: the end was authenticated
  });

  it('rejects a frame after the peer’s close', () => {
    const aToB = randomBytes(32);
    const bToA = randomBytes(32);
    const b = new SecureChannel({ sendKey: bToA, receiveKey: aToB });
    // A rogue peer that keeps sending after its close: a second sender with
    // the same key makes the frame with counter 1 the honest side refuses to seal.
    const close = new SecureChannel({ sendKey: aToB, receiveKey: bToA }).sealClose();
    const rogue = new SecureChannel({ sendKey: aToB, receiveKey: bToA });
    rogue.sealJson({ n: 0 });
    const afterClose = rogue.sealJson({ n: 1 });
    b.open(close);
    expectCode(() => b.open(afterClose), 'CHANNEL_FRAME_INVALID');
    expectCode(() => b.open(afterClose), 'CHANNEL_CLOSED');
  });

  it('still opens the peer’s in-flight frames after this side closed', () => {
    const { a, b } = pair();
    const fromB = b.sealJson({ type: 'chat', text: 'late' });
    const bClose = b.sealClose();
    a.sealClose();
    expect(decodePlaintext(a.open(fromB)).kind).toBe('json');
    expect(decodePlaintext(a.open(bClose)).kind).toBe('close');
  });

  it('reports truncation when the transport closes before an authenticated end', () => {
    const { a, b } = pair();
    b.open(a.sealJson({ n: 0 }));
    expectCode(() => b.transportClosed(), 'CHANNEL_TRUNCATED');
    expectCode(() => b.open(a.sealJson({ n: 1 })), 'CHANNEL_CLOSED');

    const { a: closer } = pair();
    closer.sealClose();
    closer.transportClosed(); // this side ended first: not truncation
  });

  it('rejects a close that carries a body', () => {
    const { a, b } = pair();
    expectCode(
      () => b.open(a.seal(Buffer.of(PLAINTEXT_KINDS.close, 0))),
      'CHANNEL_MESSAGE_INVALID',
    );
  });

  it('stops at the frame limit in both directions', () => {
    const { a, b } = pair({ maxFrames: 3 });
    for (let i = 0; i < 3; i++) b.open(a.sealJson({ i }));
    expectCode(() => a.sealJson({ i: 3 }), 'CHANNEL_EXHAUSTED');
    expectCode(() => a.sealJson({ i: 3 }), 'CHANNEL_CLOSED');

    const aToB = randomBytes(32);
    const bToA = randomBytes(32);
    const sender = new SecureChannel({ sendKey: aToB, receiveKey: bToA }, { maxFrames: 5 });
    const receiver = new SecureChannel({ sendKey: bToA, receiveKey: aToB }, { maxFrames: 2 });
    receiver.open(sender.sealJson({ i: 0 }));
    receiver.open(sender.sealJson({ i: 1 }));
    expectCode(() => receiver.open(sender.sealJson({ i: 2 })), 'CHANNEL_EXHAUSTED');
  });
});

describe('SecureChannel: payloads', () => {
  it('round-trips full-size stream chunks through a real handshake', () => {
    const { engineer, agent } = connect(makeParties());
    agent.channel.open(engineer.channel.sealJson({ type: 'hello' }));
    for (const [streamId, size] of [
      [1, MAX_PLAINTEXT_BYTES],
      [0xffff_ffff, MAX_PLAINTEXT_BYTES - 1],
      [2, 0],
    ] as const) {
      const bytes = randomBytes(size);
      const frame = engineer.channel.sealStream(streamId, bytes);
      expect(frame.length).toBeLessThanOrEqual(MAX_ENCRYPTED_FRAME_BYTES);
      const decoded = decodePlaintext(agent.channel.open(frame));
      expect(decoded.kind).toBe('stream');
      if (decoded.kind !== 'stream') return;
      expect(decoded.streamId).toBe(streamId);
      expect(decoded.bytes.equals(bytes)).toBe(true);
    }
    const back = randomBytes(MAX_PLAINTEXT_BYTES);
    const decoded = decodePlaintext(engineer.channel.open(agent.channel.sealStream(4, back)));
    expect(decoded.kind === 'stream' && decoded.bytes.equals(back)).toBe(true);
  });

  it('seals a stream chunk as parts that, concatenated, are the frame (in sequence with whole frames)', () => {
    const { engineer, agent } = connect(makeParties());
    const bytes = randomBytes(MAX_PLAINTEXT_BYTES);
    const parts = engineer.channel.sealStreamParts(7, bytes);
    expect(parts.length).toBe(3);
    // The bulk ciphertext is the cipher's own output, not copied into a frame buffer.
    expect(parts[1]!.length).toBe(bytes.length);
    const decoded = decodePlaintext(agent.channel.open(Buffer.concat(parts)));
    expect(decoded.kind === 'stream' && decoded.streamId === 7 && decoded.bytes.equals(bytes)).toBe(
      true,
    );
    // The counter advanced: a whole frame sealed next opens next.
    const next = decodePlaintext(agent.channel.open(engineer.channel.sealJson({ type: 'n' })));
    expect(next.kind).toBe('json');
    expect(() =>
      engineer.channel.sealStreamParts(1, Buffer.alloc(MAX_PLAINTEXT_BYTES + 1)),
    ).toThrow(RangeError);
  });

  it('refuses to seal what the receiver would refuse (our own misuse throws at once)', () => {
    const { a } = pair();
    expect(() => a.sealStream(1, Buffer.alloc(MAX_PLAINTEXT_BYTES + 1))).toThrow(RangeError);
    expect(() => a.sealStream(-1, Buffer.alloc(1))).toThrow(RangeError);
    expect(() => a.sealStream(2 ** 32, Buffer.alloc(1))).toThrow(RangeError);
    expect(() => a.sealJson({ blob: 'x'.repeat(MAX_JSON_MESSAGE_BYTES) })).toThrow(RangeError);
    expect(() => a.sealJson(undefined)).toThrow(TypeError);
    expect(() => a.seal(new Uint8Array(0))).toThrow(RangeError);
    // Misuse does not consume a counter or end the channel.
    expect(a.closed).toBe(false);
    expect(a.sealJson({ n: 0 }).readBigUInt64BE(1)).toBe(0n);
  });
});
