// The next frame's AES-GCM context made ahead: used only for the counter it
// was made for, never twice, and frames sealed or opened with one are the
// frames a fresh context would give (same checks, same error codes).
import { createCipheriv, randomBytes, type CipherGCM } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AheadCiphers, frameNonce } from '../../../platform/secure-channel/ahead-ciphers';
import { decodePlaintext, SecureChannel } from '../../../platform/secure-channel';
import { expectCode } from './fixtures';

function pair(): { a: SecureChannel; b: SecureChannel; freshB: () => SecureChannel } {
  const aToB = randomBytes(32);
  const bToA = randomBytes(32);
  const freshB = (): SecureChannel => new SecureChannel({ sendKey: bToA, receiveKey: aToB });
  return { a: new SecureChannel({ sendKey: aToB, receiveKey: bToA }), b: freshB(), freshB };
}

describe('frameNonce', () => {
  it('is four zero bytes, then the counter as a big-endian u64', () => {
    expect(frameNonce(0).toString('hex')).toBe('000000000000000000000000');
    expect(frameNonce(1).toString('hex')).toBe('000000000000000000000001');
    expect(frameNonce(2 ** 32 + 5).toString('hex')).toBe('000000000000000100000005');
  });
});

describe('AheadCiphers', () => {
  const key = randomBytes(32);
  function source(next: () => number | null): { ciphers: AheadCiphers<CipherGCM>; made: number[] } {
    const made: number[] = [];
    const ciphers = new AheadCiphers<CipherGCM>((nonce) => {
      made.push(Number(nonce.readBigUInt64BE(4)));
      return createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    }, next);
    return { ciphers, made };
  }

  it('hands out the context made ahead for its counter, once', async () => {
    const { ciphers, made } = source(() => 7);
    ciphers.prepareSoon();
    ciphers.prepareSoon();
    expect(made).toEqual([]);
    await nextTurn();
    expect(made).toEqual([7]);
    const ahead = ciphers.take(7);
    expect(made).toEqual([7]);
    // Taken: the next take for the same counter makes a new one.
    expect(ciphers.take(7)).not.toBe(ahead);
    expect(made).toEqual([7, 7]);
  });

  it('makes a new context when the one made ahead is for another counter', async () => {
    const { ciphers, made } = source(() => 3);
    ciphers.prepareSoon();
    await nextTurn();
    ciphers.take(4);
    expect(made).toEqual([3, 4]);
  });

  it('makes none when no frame may come, and drops it on clear', async () => {
    let next: number | null = null;
    const { ciphers, made } = source(() => next);
    ciphers.prepareSoon();
    await nextTurn();
    expect(made).toEqual([]);
    next = 1;
    ciphers.prepareSoon();
    await nextTurn();
    ciphers.clear();
    ciphers.take(1);
    expect(made).toEqual([1, 1]);
  });
});

describe('SecureChannel with contexts made ahead', () => {
  it('seals and opens frames across turns of the event loop as with fresh contexts', async () => {
    const { a, b } = pair();
    for (let n = 0; n < 5; n++) {
      const frame = a.sealJson({ n });
      expect(frame.readBigUInt64BE(1)).toBe(BigInt(n));
      expect(decodePlaintext(b.open(frame))).toEqual({ kind: 'json', value: { n } });
      await nextTurn();
    }
    const chunk = randomBytes(1000);
    const parts = a.sealStreamParts(9, chunk);
    expect(decodePlaintext(b.open(Buffer.concat(parts)))).toEqual({
      kind: 'stream',
      streamId: 9,
      bytes: chunk,
    });
  });

  it('still names a replayed or skipped frame after the next context was made', async () => {
    const { a, b, freshB } = pair();
    const f0 = a.sealJson({ n: 0 });
    await nextTurn();
    const f1 = a.sealJson({ n: 1 });
    const f2 = a.sealJson({ n: 2 });
    b.open(f0);
    await nextTurn();
    expectCode(() => b.open(f0), 'CHANNEL_FRAME_REPLAYED');
    const skipping = freshB();
    skipping.open(f0);
    await nextTurn();
    expectCode(() => skipping.open(f2), 'CHANNEL_FRAME_REPLAYED');
    const inOrder = freshB();
    inOrder.open(f0);
    await nextTurn();
    expect(decodePlaintext(inOrder.open(f1))).toEqual({ kind: 'json', value: { n: 1 } });
  });

  it('refuses a tampered frame opened with a context made ahead', async () => {
    const { a, b } = pair();
    b.open(a.sealJson({ n: 0 }));
    await nextTurn();
    const frame = a.sealJson({ n: 1 });
    frame[frame.length - 1]! ^= 1;
    expectCode(() => b.open(frame), 'CHANNEL_FRAME_INVALID');
  });
});
