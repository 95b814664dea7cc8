// Ed25519 keys and domain-separated signatures over canonical JSON, from
// node:crypto (no home-made primitives).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { AssentError } from '../protocol/errors';
import { canonicalJson, type SigningDomain } from '../protocol/identity';
import { fromBase64Url, toBase64Url } from './encoding';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** An Ed25519 key pair; the private half is only ever serialised into the keychain. */
export interface SigningKeyPair {
  readonly privateKey: KeyObject;
  /** Raw 32-byte public key, base64url. */
  readonly publicKey: string;
}

/** Creates a fresh Ed25519 key pair. */
export function generateSigningKeyPair(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey: rawPublicKey(publicKey) };
}

/** The raw 32-byte public key of an Ed25519 or X25519 KeyObject (public, or private: its public half), base64url. */
export function rawPublicKey(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return toBase64Url(spki.subarray(spki.length - 32));
}

/** A KeyObject for a raw base64url Ed25519 public key. */
export function publicKeyFromRaw(raw: string): KeyObject {
  const bytes = fromBase64Url(raw);
  if (bytes.length !== 32)
    throw new AssentError('KEY_INVALID', 'An Ed25519 public key must be 32 bytes.');
  return createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]),
    format: 'der',
    type: 'spki',
  });
}

/** PKCS#8 DER base64url of a private key: the form stored in the keychain. */
export function exportPrivateKey(key: KeyObject): string {
  return toBase64Url(key.export({ type: 'pkcs8', format: 'der' }));
}

/** Parses a private key stored by exportPrivateKey and derives its public key. */
export function importPrivateKey(serialized: string): SigningKeyPair {
  try {
    const privateKey = createPrivateKey({
      key: fromBase64Url(serialized),
      format: 'der',
      type: 'pkcs8',
    });
    if (privateKey.asymmetricKeyType !== 'ed25519')
      throw new Error(`not ed25519 but ${privateKey.asymmetricKeyType}`);
    return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) };
  } catch (cause) {
    throw new AssentError('KEY_INVALID', 'The stored private key could not be parsed.', { cause });
  }
}

function message(domain: SigningDomain, payload: unknown): Buffer {
  const body = typeof payload === 'string' ? payload : canonicalJson(payload);
  return Buffer.from(`${domain}\n${body}`, 'utf8');
}

/** Signs the canonical JSON of `payload` (or a string as is) under `domain`; base64url signature. */
export function signPayload(key: KeyObject, domain: SigningDomain, payload: unknown): string {
  return toBase64Url(sign(null, message(domain, payload), key));
}

/** Verifies a signature made by signPayload; false for any malformed input. */
export function verifyPayload(
  publicKey: string | KeyObject,
  domain: SigningDomain,
  payload: unknown,
  signature: string,
): boolean {
  try {
    const key = typeof publicKey === 'string' ? publicKeyFromRaw(publicKey) : publicKey;
    const sig = fromBase64Url(signature);
    if (sig.length !== 64) return false;
    return verify(null, message(domain, payload), key, sig);
  } catch {
    return false;
  }
}

/** A short, readable fingerprint of a public key: first 16 bytes of SHA-256, in groups of 4 hex. */
export function keyFingerprint(publicKey: string): string {
  const hex = createHash('sha256').update(fromBase64Url(publicKey)).digest('hex').slice(0, 32);
  return hex.match(/.{4}/g)!.join(':');
}
