// Vendor-signed test credentials. These mirror issueCertificate and
// signRevocationList of platform/credentials.ts, which today call
// rawPublicKey() on the vendor's *private* KeyObject; Node refuses to export
// a private key as SPKI, so both throw. Until that is fixed (reported to the
// lead), the tests sign the same documents here with the same domain tags;
// verification still goes through platform/credentials.ts.
import { randomBytes } from 'node:crypto';
import {
  EngineerCertificate,
  RevocationList,
  SIGNING_DOMAINS,
  type EngineerCertificateBody,
  type RevocationListBody,
} from '../../protocol/identity';
import { signPayload, type SigningKeyPair } from '../../platform/signing';

const DAY_MS = 24 * 60 * 60 * 1000;

/** An engineer certificate signed by `vendor` for `publicKey`. */
export function certify(
  vendor: SigningKeyPair,
  publicKey: string,
  options: { name?: string; days?: number; now?: Date } = {},
): EngineerCertificate {
  const now = options.now ?? new Date();
  const body: EngineerCertificateBody = {
    kind: 'assent-engineer-certificate',
    v: 1,
    serial: randomBytes(16).toString('hex'),
    vendor: 'Example Vendor',
    vendorKey: vendor.publicKey,
    name: options.name ?? 'Erin Engineer',
    email: 'erin@vendor.example',
    roles: ['engineer'],
    publicKey,
    notBefore: new Date(now.getTime() - 5 * 60 * 1000).toISOString(),
    notAfter: new Date(now.getTime() + (options.days ?? 30) * DAY_MS).toISOString(),
  };
  return EngineerCertificate.parse({
    ...body,
    signature: signPayload(vendor.privateKey, SIGNING_DOMAINS.certificate, body),
  });
}

/** A revocation list signed by `vendor`. */
export function revocationList(
  vendor: SigningKeyPair,
  serials: string[],
  sequence: number,
): RevocationList {
  const body: RevocationListBody = {
    kind: 'assent-revocation-list',
    v: 1,
    vendorKey: vendor.publicKey,
    sequence,
    issuedAt: new Date().toISOString(),
    revokedSerials: [...serials].sort(),
  };
  return RevocationList.parse({
    ...body,
    signature: signPayload(vendor.privateKey, SIGNING_DOMAINS.revocationList, body),
  });
}
