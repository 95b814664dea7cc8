// The throwaway identities of a bench run: a vendor (its public key written
// where the relay reads it) and an engineer it certified for a day.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate } from '../../platform/credentials';
import { generateSigningKeyPair, type SigningKeyPair } from '../../platform/signing';
import type { EngineerCertificate, VendorPublicKey } from '../../protocol/identity';

export interface BenchIdentities {
  readonly vendorKey: SigningKeyPair;
  readonly vendor: VendorPublicKey;
  /** `<root>/vendor.pub`: the vendor's public key, for the relay's `--vendor-key`. */
  readonly vendorKeyFile: string;
  readonly engineerKey: SigningKeyPair;
  readonly certificate: EngineerCertificate;
}

/** Makes the vendor and the engineer, and writes the vendor's public key into `root`. */
export function benchIdentities(root: string): BenchIdentities {
  const vendorKey = generateSigningKeyPair();
  const vendor: VendorPublicKey = {
    kind: 'assent-vendor-key',
    v: 1,
    vendor: 'Acme Support',
    publicKey: vendorKey.publicKey,
  };
  const vendorKeyFile = join(root, 'vendor.pub');
  writeFileSync(vendorKeyFile, JSON.stringify(vendor));
  const engineerKey = generateSigningKeyPair();
  const certificate = issueCertificate(vendorKey.privateKey, {
    vendor: 'Acme Support',
    name: 'Bench Engineer',
    email: 'bench@acme.example',
    roles: ['engineer'],
    publicKey: engineerKey.publicKey,
    days: 1,
  });
  return { vendorKey, vendor, vendorKeyFile, engineerKey, certificate };
}
