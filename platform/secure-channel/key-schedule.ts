// Ephemeral X25519, HKDF-SHA256 key derivation and the short authentication
// string, all from node:crypto (issue 2: no home-made primitives).
import {
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { AssentError } from '../../protocol/errors';
import { rawPublicKey } from '../signing';

/** Bytes of each direction's AES-256-GCM key. */
export const DIRECTION_KEY_BYTES = 32;
/** Digits of the short authentication string (shown as two groups of three). */
export const SAS_DIGITS = 6;

/** An ephemeral X25519 key pair; the private half is dropped right after derivation. */
export interface EphemeralKeyPair {
  readonly privateKey: KeyObject;
  /** Raw 32-byte public key, base64url. */
  readonly publicKey: string;
}

/**
 * A fresh ephemeral X25519 key pair. The public key is taken from its SPKI
 * encoding, not a JWK export: Node 20 can deadlock in a JWK export of a key
 * just generated when a garbage collection inside the export finalizes the
 * key generation job, which takes the same key's lock (seen once: a test
 * worker hung for good in KeyObjectHandle::ExportJWK).
 */
export function generateEphemeralKeyPair(): EphemeralKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: rawPublicKey(publicKey) };
}

/**
 * X25519(own private, peer public). OpenSSL refuses low-order peer points
 * (an all-zero result); that and any malformed key is a failed handshake.
 */
export function sharedSecret(own: EphemeralKeyPair, peerPublicKey: string): Buffer {
  try {
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: peerPublicKey },
      format: 'jwk',
    });
    const shared = diffieHellman({ privateKey: own.privateKey, publicKey });
    if (shared.length !== 32 || shared.every((b) => b === 0))
      throw new Error('degenerate X25519 result');
    return shared;
  } catch (cause) {
    throw new AssentError(
      'CHANNEL_HANDSHAKE_FAILED',
      "The peer's ephemeral key is not a usable X25519 public key.",
      { cause },
    );
  }
}

/** What the key schedule produces from one handshake. */
export interface SessionKeys {
  /** AES-256-GCM key for frames the engineer (initiator) sends. */
  readonly initiatorToResponder: Buffer;
  /** AES-256-GCM key for frames the agent (responder) sends. */
  readonly responderToInitiator: Buffer;
  /** Short authentication string, e.g. `123 456`. */
  readonly sas: string;
}

/**
 * HKDF-SHA256 with the final transcript hash as salt: one key per direction
 * (info `assent/1 keys v<version>`) and the SAS (info `assent/1 sas v<version>`).
 */
export function deriveSessionKeys(
  shared: Buffer,
  transcript: Buffer,
  version: number,
): SessionKeys {
  const keys = Buffer.from(
    hkdfSync('sha256', shared, transcript, `assent/1 keys v${version}`, 2 * DIRECTION_KEY_BYTES),
  );
  const sasBytes = Buffer.from(
    hkdfSync('sha256', shared, transcript, `assent/1 sas v${version}`, 8),
  );
  // 64 bits reduced modulo 10^6: the bias is below 2^-44, far under a guess.
  const value = sasBytes.readBigUInt64BE(0) % 10n ** BigInt(SAS_DIGITS);
  const digits = value.toString().padStart(SAS_DIGITS, '0');
  return {
    initiatorToResponder: keys.subarray(0, DIRECTION_KEY_BYTES),
    responderToInitiator: keys.subarray(DIRECTION_KEY_BYTES),
    sas: `${digits.slice(0, 3)} ${digits.slice(3)}`,
  };
}
