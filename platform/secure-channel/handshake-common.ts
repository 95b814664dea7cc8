// Pieces both handshake roles share: the result shape, version lists and
// the final step from shared secret to SecureChannel.
import { randomBytes } from 'node:crypto';
import { AssentError } from '../../protocol/errors';
import type { EngineerCertificate } from '../../protocol/identity';
import { SecureChannel } from './channel';
import { deriveSessionKeys } from './key-schedule';

/** What a completed handshake yields on either side. */
export interface HandshakeResult {
  readonly channel: SecureChannel;
  /** Short authentication string both people compare, e.g. `123 456`. */
  readonly sas: string;
  readonly version: number;
  /** Final transcript hash, hex: identifies this handshake (audit). */
  readonly transcriptHash: string;
  /** The initiator learns the agent's device key; the responder the verified engineer certificate. */
  readonly peer: { readonly deviceKey: string } | { readonly certificate: EngineerCertificate };
}

/** Where a handshake object is: each accepts its frames once, in order; a failure is final. */
export type HandshakeState = 'ready' | 'waiting' | 'done' | 'failed';

/** A handshake message that came at the wrong step. */
export function outOfOrder(what: string): AssentError {
  return new AssentError('CHANNEL_HANDSHAKE_FAILED', `The ${what} arrived out of order.`);
}

/** Versions de-duplicated, highest first; misuse throws RangeError. */
export function normaliseVersions(versions: readonly number[]): number[] {
  const list = [...new Set(versions)].sort((a, b) => b - a);
  if (list.length === 0 || list.length > 16 || !list.every((v) => Number.isInteger(v) && v > 0))
    throw new RangeError('versions must be 1..16 positive integers');
  return list;
}

/** 32 random bytes, base64url: the handshake nonce. */
export function randomNonce(): string {
  return randomBytes(32).toString('base64url');
}

/** UTF-8 bytes of a string (transcript parts). */
export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Derives the keys and SAS from the shared secret and final transcript, then wipes the secret material. */
export function finishKeys(
  role: 'initiator' | 'responder',
  shared: Buffer,
  transcript: Buffer,
  version: number,
): { channel: SecureChannel; sas: string } {
  const keys = deriveSessionKeys(shared, transcript, version);
  const channel =
    role === 'initiator'
      ? new SecureChannel({
          sendKey: keys.initiatorToResponder,
          receiveKey: keys.responderToInitiator,
        })
      : new SecureChannel({
          sendKey: keys.responderToInitiator,
          receiveKey: keys.initiatorToResponder,
        });
  // SecureChannel keeps its own KeyObjects; wipe the derivation material.
  shared.fill(0);
  keys.initiatorToResponder.fill(0);
  keys.responderToInitiator.fill(0);
  return { channel, sas: keys.sas };
}
