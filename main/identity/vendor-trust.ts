// The vendor key pinned at setup (`assent-agent trust-vendor`) and the
// vendor's revocation list as last seen. Only a list signed by the pinned key
// with a higher sequence replaces the one in force.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import { PublicKey32, RevocationList, VendorPublicKey } from '../../protocol/identity';
import { ensurePrivateDir } from '../../platform/app-dirs';
import { newerRevocationList, verifyRevocationList } from '../../platform/credentials';
import { readJsonFile, writeJsonFileAtomic } from '../../platform/json-file';

const trustDir = (dataDir: string): string => join(dataDir, 'trust');
const vendorFile = (dataDir: string): string => join(trustDir(dataDir), 'vendor.json');
const revocationsFile = (dataDir: string): string => join(trustDir(dataDir), 'revocations.json');

/** Parses a vendor key given as a `vendor.pub` file path, its JSON text, or a raw base64url key. */
export function parseVendorKey(input: string): VendorPublicKey {
  const text = input.trim();
  if (PublicKey32.safeParse(text).success)
    return { kind: 'assent-vendor-key', v: 1, vendor: 'vendor', publicKey: text };
  let json = text;
  if (!text.startsWith('{')) {
    try {
      json = readFileSync(text, 'utf8');
    } catch (cause) {
      throw new AssentError(
        'KEY_INVALID',
        `"${text}" is neither a vendor key nor a readable file.`,
        { cause },
      );
    }
  }
  try {
    return VendorPublicKey.parse(JSON.parse(json));
  } catch (cause) {
    throw new AssentError(
      'KEY_INVALID',
      'The vendor key file is not a valid assent-vendor-key document.',
      { cause },
    );
  }
}

/** Pins the vendor key for this agent (replacing any previous pin). */
export function trustVendor(dataDir: string, key: VendorPublicKey): void {
  ensurePrivateDir(trustDir(dataDir));
  writeJsonFileAtomic(vendorFile(dataDir), key, 0o644);
}

/** The pinned vendor key; throws VENDOR_NOT_TRUSTED when none is pinned. */
export function loadTrustedVendor(dataDir: string): VendorPublicKey {
  const key = readJsonFile(vendorFile(dataDir), VendorPublicKey);
  if (!key) throw new AssentError('VENDOR_NOT_TRUSTED');
  return key;
}

/** The revocation list in force, if any (verified against the pinned key). */
export function loadRevocations(
  dataDir: string,
  vendorPublicKey: string,
): RevocationList | undefined {
  const list = readJsonFile(revocationsFile(dataDir), RevocationList);
  return list ? verifyRevocationList(list, vendorPublicKey) : undefined;
}

/**
 * Offers a revocation list (from the relay's welcome or an admin's file):
 * kept when it verifies and is newer than the one in force. Returns the list in force.
 */
export function offerRevocations(
  dataDir: string,
  vendorPublicKey: string,
  candidate: unknown,
): RevocationList | undefined {
  const current = loadRevocations(dataDir, vendorPublicKey);
  const verified = verifyRevocationList(candidate, vendorPublicKey);
  const chosen = newerRevocationList(current, verified);
  if (chosen !== current) {
    ensurePrivateDir(trustDir(dataDir));
    writeJsonFileAtomic(revocationsFile(dataDir), chosen, 0o644);
  }
  return chosen;
}
