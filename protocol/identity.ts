// Identity documents: the vendor's public key, engineer credentials, and the
// vendor's signed revocation list. Signatures are Ed25519 over the canonical
// JSON (keys sorted, no whitespace) of the document without its `signature`.
import { z } from 'zod';

/** Unpadded base64url. */
export const Base64Url = z.string().regex(/^[A-Za-z0-9_-]*$/, 'base64url');
/** A raw 32-byte Ed25519 or X25519 public key, base64url (43 characters). */
export const PublicKey32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a 32-byte key in base64url');
/** A 64-byte Ed25519 signature, base64url (86 characters). */
export const Signature64 = z
  .string()
  .regex(/^[A-Za-z0-9_-]{86}$/, 'a 64-byte signature in base64url');

/** A credential's serial: 16 random bytes in lowercase hex. */
export const CREDENTIAL_SERIAL = /^[0-9a-f]{32}$/;

export const ROLES = ['engineer', 'installer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** The vendor's public signing key as distributed to agents and relays (`vendor.pub`). */
export const VendorPublicKey = z.object({
  kind: z.literal('assent-vendor-key'),
  v: z.literal(1),
  vendor: z.string().min(1).max(200),
  publicKey: PublicKey32,
});
export type VendorPublicKey = z.infer<typeof VendorPublicKey>;

/** The signed part of an engineer credential (a certificate). */
export const EngineerCertificateBody = z.object({
  kind: z.literal('assent-engineer-certificate'),
  v: z.literal(1),
  serial: z.string().regex(CREDENTIAL_SERIAL),
  vendor: z.string().min(1).max(200),
  vendorKey: PublicKey32,
  name: z.string().min(1).max(200),
  email: z.string().min(3).max(320),
  roles: z.array(Role).min(1),
  publicKey: PublicKey32,
  notBefore: z.iso.datetime(),
  notAfter: z.iso.datetime(),
});
export type EngineerCertificateBody = z.infer<typeof EngineerCertificateBody>;

export const EngineerCertificate = EngineerCertificateBody.extend({ signature: Signature64 });
export type EngineerCertificate = z.infer<typeof EngineerCertificate>;

/** The vendor's signed list of revoked credential serials; `sequence` only grows. */
export const RevocationListBody = z.object({
  kind: z.literal('assent-revocation-list'),
  v: z.literal(1),
  vendorKey: PublicKey32,
  sequence: z.number().int().nonnegative(),
  issuedAt: z.iso.datetime(),
  revokedSerials: z.array(z.string().regex(CREDENTIAL_SERIAL)).max(100_000),
});
export type RevocationListBody = z.infer<typeof RevocationListBody>;

export const RevocationList = RevocationListBody.extend({ signature: Signature64 });
export type RevocationList = z.infer<typeof RevocationList>;

/** Signing domain tags: a signature made for one purpose never verifies for another. */
export const SIGNING_DOMAINS = {
  certificate: 'assent/certificate/v1',
  revocationList: 'assent/revocation-list/v1',
  relayAuth: 'assent/relay-auth/v1',
  handshakeResponder: 'assent/handshake/responder/v1',
  handshakeInitiator: 'assent/handshake/initiator/v1',
  sessionSummary: 'assent/session-summary/v1',
  groundRulesVendor: 'assent/ground-rules/vendor/v1',
  groundRulesCustomer: 'assent/ground-rules/customer/v1',
  fixRelease: 'assent/fix-release/v1',
} as const;
export type SigningDomain = (typeof SIGNING_DOMAINS)[keyof typeof SIGNING_DOMAINS];

/** Canonical JSON: object keys sorted, no whitespace; the bytes that get signed and hashed. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError('canonicalJson: non-finite number');
    if (value === undefined) throw new TypeError('canonicalJson: undefined');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
