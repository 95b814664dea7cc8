import { describe, expect, it } from 'vitest';
import { createApprovalNonces } from '../../../main/ipc/approval-nonce';

const digestA = 'a'.repeat(64);
const digestB = 'b'.repeat(64);

describe('approval nonces', () => {
  it('accepts a nonce once, for the digest it was issued for', () => {
    const book = createApprovalNonces();
    const nonce = book.issueNonce(digestA);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(book.consumeNonce(nonce, digestA)).toBe(true);
    expect(book.consumeNonce(nonce, digestA)).toBe(false);
  });

  it('refuses a nonce presented for another digest, and spends it', () => {
    const book = createApprovalNonces();
    const nonce = book.issueNonce(digestA);
    expect(book.consumeNonce(nonce, digestB)).toBe(false);
    expect(book.consumeNonce(nonce, digestA)).toBe(false);
  });

  it('refuses unknown, malformed and expired nonces', () => {
    let now = 1_000;
    const book = createApprovalNonces({ ttlMs: 50, now: () => now });
    expect(book.consumeNonce('x'.repeat(43), digestA)).toBe(false);
    expect(book.consumeNonce(undefined as unknown as string, digestA)).toBe(false);
    const nonce = book.issueNonce(digestA);
    now += 50;
    expect(book.consumeNonce(nonce, digestA)).toBe(false);
  });

  it('issues distinct nonces and forgets those of an answered digest', () => {
    const book = createApprovalNonces();
    const n1 = book.issueNonce(digestA);
    const n2 = book.issueNonce(digestA);
    const n3 = book.issueNonce(digestB);
    expect(new Set([n1, n2, n3]).size).toBe(3);
    book.forgetDigest(digestA);
    expect(book.size).toBe(1);
    expect(book.consumeNonce(n1, digestA)).toBe(false);
    expect(book.consumeNonce(n3, digestB)).toBe(true);
  });

  it('keeps at most maxOutstanding nonces, dropping the oldest', () => {
    const book = createApprovalNonces({ maxOutstanding: 3 });
    const first = book.issueNonce(digestA);
    for (let i = 0; i < 3; i++) book.issueNonce(digestB);
    expect(book.size).toBe(3);
    expect(book.consumeNonce(first, digestA)).toBe(false);
  });

  it('throws TypeError for an empty digest (our own misuse)', () => {
    expect(() => createApprovalNonces().issueNonce('')).toThrow(TypeError);
  });
});
