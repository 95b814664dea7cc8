// Proof of a key at the relay's HTTP upgrade (issue 2, "Relay"): the peer
// signs {role, path, key, time, nonce, target} with its identity key, so the
// relay authenticates before a WebSocket exists. The agent proves its device
// key; the engineer presents its vendor certificate and signs with the
// certificate's key. `target` binds the proof to one code or resume token.
import { randomBytes } from 'node:crypto';
import { AssentError } from '../protocol/errors';
import {
  canonicalJson,
  EngineerCertificate,
  PublicKey32,
  SIGNING_DOMAINS,
} from '../protocol/identity';
import { AUTH_MAX_SKEW_MS } from '../protocol/limits';
import {
  AUTH_HEADERS,
  Nonce16,
  ResumeToken,
  SessionCode,
  Signature64,
  type RelayAuthPayload,
  type RelayRole,
} from '../protocol/wire/relay';
import { fromBase64Url, toBase64Url } from './encoding';
import { signPayload, verifyPayload, type SigningKeyPair } from './signing';

/** What a peer needs to build its upgrade headers. */
export interface AuthHeaderRequest {
  role: RelayRole;
  /** The endpoint path, RELAY_PATHS.agent or RELAY_PATHS.engineer. */
  path: string;
  /** The device key (agent) or the key certified by `certificate` (engineer). */
  signingKey: SigningKeyPair;
  /** Engineer only: its vendor-signed certificate. */
  certificate?: EngineerCertificate;
  /** The session code (engineer join), the resume token (resume), or '' (agent's first connect). */
  target: string;
  /** Milliseconds since the epoch; defaults to Date.now(). */
  now?: number;
}

/** Builds the signed upgrade headers (lower-case names from AUTH_HEADERS). */
export function buildAuthHeaders(request: AuthHeaderRequest): Record<string, string> {
  const { role, path, signingKey, certificate, target } = request;
  if (role === 'engineer' && !certificate)
    throw new TypeError('buildAuthHeaders: an engineer needs its certificate');
  if (role === 'agent' && certificate)
    throw new TypeError('buildAuthHeaders: an agent proves a device key, not a certificate');
  if (certificate && certificate.publicKey !== signingKey.publicKey)
    throw new TypeError('buildAuthHeaders: the signing key is not the certified key');

  const payload: RelayAuthPayload = {
    role,
    path,
    key: signingKey.publicKey,
    time: request.now ?? Date.now(),
    nonce: toBase64Url(randomBytes(16)),
    target,
  };
  const headers: Record<string, string> = {
    [AUTH_HEADERS.time]: String(payload.time),
    [AUTH_HEADERS.nonce]: payload.nonce,
    [AUTH_HEADERS.signature]: signPayload(
      signingKey.privateKey,
      SIGNING_DOMAINS.relayAuth,
      payload,
    ),
  };
  if (certificate) {
    headers[AUTH_HEADERS.certificate] = toBase64Url(Buffer.from(canonicalJson(certificate)));
  } else {
    headers[AUTH_HEADERS.deviceKey] = signingKey.publicKey;
  }
  // The target travels in the header that names what it is; the two shapes cannot be confused.
  if (SessionCode.safeParse(target).success) {
    if (role !== 'engineer') throw new TypeError('buildAuthHeaders: only an engineer joins a code');
    headers[AUTH_HEADERS.sessionCode] = target;
  } else if (ResumeToken.safeParse(target).success) {
    headers[AUTH_HEADERS.resume] = target;
  } else if (target !== '') {
    throw new TypeError('buildAuthHeaders: target must be a session code, a resume token or ""');
  }
  return headers;
}

/** What the relay learned from a valid proof. */
export interface VerifiedAuth {
  role: RelayRole;
  /** The proven Ed25519 public key (device key, or the certificate's key). */
  key: string;
  /** Engineer only: the certificate as presented (still to be checked against the vendor key). */
  certificate?: EngineerCertificate;
  time: number;
  nonce: string;
}

type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function refuse(reason: string): never {
  throw new AssentError('RELAY_UNAUTHENTICATED', `Relay authentication failed: ${reason}.`);
}

function readCertificate(encoded: string | undefined): EngineerCertificate {
  if (!encoded || encoded.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(encoded))
    refuse('no certificate');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(encoded).toString('utf8'));
  } catch {
    refuse('the certificate is not JSON');
  }
  const cert = EngineerCertificate.safeParse(parsed);
  if (!cert.success) refuse('the certificate is malformed');
  return cert.data;
}

/**
 * Checks the upgrade proof of one request: shape, clock skew and signature.
 * Throws RELAY_UNAUTHENTICATED. Nonce replay and the certificate's vendor
 * signature are the caller's checks (they need relay state).
 */
export function verifyAuthHeaders(
  headers: HeaderBag,
  expected: { role: RelayRole; path: string; now: number; target: string },
): VerifiedAuth {
  const { role, path, now, target } = expected;
  let certificate: EngineerCertificate | undefined;
  let key: string;
  if (role === 'engineer') {
    certificate = readCertificate(header(headers, AUTH_HEADERS.certificate));
    key = certificate.publicKey;
  } else {
    const deviceKey = PublicKey32.safeParse(header(headers, AUTH_HEADERS.deviceKey));
    if (!deviceKey.success) refuse('no device key');
    key = deviceKey.data;
  }

  const timeText = header(headers, AUTH_HEADERS.time);
  if (!timeText || !/^[0-9]{1,16}$/.test(timeText)) refuse('no time');
  const time = Number(timeText);
  if (Math.abs(now - time) > AUTH_MAX_SKEW_MS)
    refuse('the clock differs from the relay by more than the allowed skew');

  const nonce = Nonce16.safeParse(header(headers, AUTH_HEADERS.nonce));
  if (!nonce.success) refuse('no nonce');
  const signature = Signature64.safeParse(header(headers, AUTH_HEADERS.signature));
  if (!signature.success) refuse('no signature');

  const payload: RelayAuthPayload = { role, path, key, time, nonce: nonce.data, target };
  if (!verifyPayload(key, SIGNING_DOMAINS.relayAuth, payload, signature.data))
    refuse('the signature does not verify');
  return certificate
    ? { role, key, certificate, time, nonce: nonce.data }
    : { role, key, time, nonce: nonce.data };
}
