// Engineer certificates and the vendor's revocation list: issuing (console)
// and verifying (relay and agent) share this one implementation.
import { randomBytes, type KeyObject } from 'node:crypto';
import { AssentError } from '../protocol/errors';
import {
  EngineerCertificate,
  RevocationList,
  SIGNING_DOMAINS,
  type EngineerCertificateBody,
  type RevocationListBody,
  type Role,
} from '../protocol/identity';
import { rawPublicKey, signPayload, verifyPayload } from './signing';

const DAY_MS = 24 * 60 * 60 * 1000;

/** What a vendor admin states when issuing a credential. */
export interface CertificateRequest {
  vendor: string;
  name: string;
  email: string;
  roles: Role[];
  /** The engineer's raw Ed25519 public key (base64url). */
  publicKey: string;
  days: number;
  now?: Date;
}

/** Signs an engineer certificate with the vendor key. */
export function issueCertificate(
  vendorKey: KeyObject,
  request: CertificateRequest,
): EngineerCertificate {
  if (!Number.isFinite(request.days) || request.days <= 0 || request.days > 3660) {
    throw new RangeError('days must be between 1 and 3660');
  }
  const now = request.now ?? new Date();
  const body: EngineerCertificateBody = {
    kind: 'assent-engineer-certificate',
    v: 1,
    serial: randomBytes(16).toString('hex'),
    vendor: request.vendor,
    vendorKey: rawPublicKey(vendorKey),
    name: request.name,
    email: request.email,
    roles: [...new Set(request.roles)],
    publicKey: request.publicKey,
    notBefore: new Date(now.getTime() - 5 * 60 * 1000).toISOString(),
    notAfter: new Date(now.getTime() + request.days * DAY_MS).toISOString(),
  };
  return EngineerCertificate.parse({
    ...body,
    signature: signPayload(vendorKey, SIGNING_DOMAINS.certificate, body),
  });
}

function withoutSignature<T extends { signature: string }>(doc: T): Omit<T, 'signature'> {
  const { signature: _signature, ...body } = doc;
  return body;
}

/**
 * Checks a certificate against the pinned vendor key, its validity window and
 * the revocation list. Throws an AssentError with the reason.
 */
export function verifyCertificate(
  input: unknown,
  vendorPublicKey: string,
  options: { revocations?: RevocationList | undefined; now?: Date; requiredRole?: Role } = {},
): EngineerCertificate {
  const parsed = EngineerCertificate.safeParse(input);
  if (!parsed.success)
    throw new AssentError('CREDENTIAL_INVALID', 'The engineer credential is malformed.');
  const cert = parsed.data;
  if (cert.vendorKey !== vendorPublicKey) {
    throw new AssentError(
      'VENDOR_KEY_MISMATCH',
      'The engineer credential was issued by a different vendor key than the one pinned here.',
    );
  }
  if (
    !verifyPayload(
      vendorPublicKey,
      SIGNING_DOMAINS.certificate,
      withoutSignature(cert),
      cert.signature,
    )
  ) {
    throw new AssentError(
      'CREDENTIAL_INVALID',
      'The engineer credential signature does not verify.',
    );
  }
  const now = (options.now ?? new Date()).getTime();
  if (now < Date.parse(cert.notBefore)) throw new AssentError('CREDENTIAL_NOT_YET_VALID');
  if (now > Date.parse(cert.notAfter)) {
    throw new AssentError(
      'CREDENTIAL_EXPIRED',
      `The engineer credential of ${cert.name} expired on ${cert.notAfter}.`,
    );
  }
  if (options.revocations?.revokedSerials.includes(cert.serial)) {
    throw new AssentError(
      'CREDENTIAL_REVOKED',
      `The engineer credential of ${cert.name} has been revoked.`,
    );
  }
  if (options.requiredRole && !cert.roles.includes(options.requiredRole)) {
    throw new AssentError(
      'CREDENTIAL_ROLE_MISSING',
      `The credential of ${cert.name} does not carry the ${options.requiredRole} role.`,
    );
  }
  return cert;
}

/** Signs a revocation list (sequence must grow with each new list). */
export function signRevocationList(
  vendorKey: KeyObject,
  serials: string[],
  sequence: number,
  now = new Date(),
): RevocationList {
  const body: RevocationListBody = {
    kind: 'assent-revocation-list',
    v: 1,
    vendorKey: rawPublicKey(vendorKey),
    sequence,
    issuedAt: now.toISOString(),
    revokedSerials: [...new Set(serials)].sort(),
  };
  return RevocationList.parse({
    ...body,
    signature: signPayload(vendorKey, SIGNING_DOMAINS.revocationList, body),
  });
}

/** Verifies a revocation list against the vendor key; throws REVOCATION_LIST_INVALID. */
export function verifyRevocationList(input: unknown, vendorPublicKey: string): RevocationList {
  const parsed = RevocationList.safeParse(input);
  if (!parsed.success)
    throw new AssentError('REVOCATION_LIST_INVALID', 'The revocation list is malformed.');
  const list = parsed.data;
  if (
    list.vendorKey !== vendorPublicKey ||
    !verifyPayload(
      vendorPublicKey,
      SIGNING_DOMAINS.revocationList,
      withoutSignature(list),
      list.signature,
    )
  ) {
    throw new AssentError(
      'REVOCATION_LIST_INVALID',
      'The revocation list is not signed by the pinned vendor key.',
    );
  }
  return list;
}

/**
 * Picks the list to keep: a newer valid list replaces the current one; an
 * older or equal sequence is ignored (freeze/rollback of the list).
 */
export function newerRevocationList(
  current: RevocationList | undefined,
  candidate: RevocationList,
): RevocationList {
  if (!current || candidate.sequence > current.sequence) return candidate;
  return current;
}
