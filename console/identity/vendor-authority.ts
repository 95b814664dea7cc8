// The vendor admin's signing authority: the vendor key (Ed25519, only in the
// OS keychain), issuing engineer credentials, and the signed revocation list.
import { join } from 'node:path';
import { z } from 'zod';
import { AssentError } from '../../protocol/errors';
import type { EngineerCertificate } from '../../protocol/identity';
import {
  CREDENTIAL_SERIAL,
  RevocationList,
  VendorPublicKey,
  type Role,
} from '../../protocol/identity';
import { ensurePrivateDir } from '../../platform/app-dirs';
import { issueCertificate, signRevocationList } from '../../platform/credentials';
import { readJsonFile, writeJsonFileAtomic } from '../../platform/json-file';
import { loadSecret, profileIdFor, storeSecret } from '../../platform/keychain';
import {
  exportPrivateKey,
  generateSigningKeyPair,
  importPrivateKey,
  type SigningKeyPair,
} from '../../platform/signing';
import { encodeCredentialToken } from './credential-token';

const SERVICE = 'assent-vendor';
const account = (home: string): string => `vendor-key@${profileIdFor(home)}`;

const IssuedLog = z.array(
  z.object({
    serial: z.string(),
    name: z.string(),
    email: z.string(),
    roles: z.array(z.string()),
    notAfter: z.string(),
  }),
);

/** Files of the vendor home. */
export const vendorFiles = (home: string) => ({
  publicKey: join(home, 'vendor.pub'),
  issued: join(home, 'issued.json'),
  revocations: join(home, 'revocations.json'),
});

/** The vendor's key and name, loaded from the keychain and the vendor home. */
export interface VendorAuthority {
  readonly vendor: string;
  readonly key: SigningKeyPair;
  readonly publicKey: VendorPublicKey;
}

/** Creates the vendor signing key (refuses to replace an existing one). */
export function initVendor(home: string, vendor: string): VendorPublicKey {
  ensurePrivateDir(home);
  if (loadSecret(SERVICE, account(home))) {
    throw new AssentError(
      'USAGE',
      `A vendor key already exists for ${home}; it is never replaced silently.`,
    );
  }
  const pair = generateSigningKeyPair();
  storeSecret(SERVICE, account(home), exportPrivateKey(pair.privateKey));
  const pub: VendorPublicKey = {
    kind: 'assent-vendor-key',
    v: 1,
    vendor,
    publicKey: pair.publicKey,
  };
  writeJsonFileAtomic(vendorFiles(home).publicKey, pub, 0o644);
  return pub;
}

/** Loads the vendor authority of `home`; throws KEY_NOT_FOUND before `vendor init`. */
export function loadVendor(home: string): VendorAuthority {
  const stored = loadSecret(SERVICE, account(home));
  const pub = readJsonFile(vendorFiles(home).publicKey, VendorPublicKey);
  if (!stored || !pub)
    throw new AssentError(
      'KEY_NOT_FOUND',
      'No vendor key here yet; run `assent-engineer vendor init --vendor NAME` first.',
    );
  const key = importPrivateKey(stored);
  if (key.publicKey !== pub.publicKey)
    throw new AssentError(
      'KEY_INVALID',
      'vendor.pub does not match the vendor key in the keychain.',
    );
  return { vendor: pub.vendor, key, publicKey: pub };
}

/**
 * Issues an engineer credential: a fresh engineer key pair and a certificate
 * signed by the vendor key, returned as a one-time token for `assent-engineer
 * login`. The token holds the engineer's private key: hand it over like a
 * password; login moves the key into the engineer's keychain.
 */
export function issueCredential(
  home: string,
  request: { name: string; email: string; roles: Role[]; days: number },
): { token: string; certificate: EngineerCertificate } {
  const authority = loadVendor(home);
  const engineerKey = generateSigningKeyPair();
  const certificate = issueCertificate(authority.key.privateKey, {
    vendor: authority.vendor,
    publicKey: engineerKey.publicKey,
    ...request,
  });
  const issued = readJsonFile(vendorFiles(home).issued, IssuedLog) ?? [];
  issued.push({
    serial: certificate.serial,
    name: certificate.name,
    email: certificate.email,
    roles: certificate.roles,
    notAfter: certificate.notAfter,
  });
  writeJsonFileAtomic(vendorFiles(home).issued, issued);
  return {
    token: encodeCredentialToken(certificate, exportPrivateKey(engineerKey.privateKey)),
    certificate,
  };
}

/** Adds serials to the vendor's signed revocation list (its sequence grows by one). */
export function revokeCredentials(
  home: string,
  serials: string[],
  options: { force?: boolean } = {},
): RevocationList {
  // A mistyped serial must not pass for a revocation while the credential it meant stays valid.
  for (const serial of serials)
    if (!CREDENTIAL_SERIAL.test(serial))
      throw new AssentError(
        'USAGE',
        `"${serial}" is not a credential serial: 32 hexadecimal digits, as assent-engineer vendor list shows them.`,
      );
  const issued = new Set(listIssued(home).map((entry) => entry.serial));
  const unknown = serials.filter((serial) => !issued.has(serial));
  if (unknown.length > 0 && !options.force)
    throw new AssentError(
      'CREDENTIAL_UNKNOWN',
      `No credential ${unknown.join(', ')} was issued from this vendor home (assent-engineer vendor list); nothing was revoked. Pass --force to revoke ${unknown.length === 1 ? 'it' : 'them'} anyway (issued from another copy of this vendor home).`,
      { details: { unknown } },
    );
  const authority = loadVendor(home);
  const current = readJsonFile(vendorFiles(home).revocations, RevocationList);
  const list = signRevocationList(
    authority.key.privateKey,
    [...(current?.revokedSerials ?? []), ...serials],
    (current?.sequence ?? 0) + 1,
  );
  writeJsonFileAtomic(vendorFiles(home).revocations, list, 0o644);
  return list;
}

/** Credentials issued from this vendor home (public data only). */
export function listIssued(home: string): z.infer<typeof IssuedLog> {
  return readJsonFile(vendorFiles(home).issued, IssuedLog) ?? [];
}
