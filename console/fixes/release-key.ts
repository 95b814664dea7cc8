// The vendor's release key (issue 5): an Ed25519 key, separate from every
// credential key, kept only in the OS keychain (service `assent-vendor`,
// account `release-key@<profile>`). Agents accept the fixes it signs when
// the ground rules list its public key under `fixSigners`.
import { AssentError } from '../../protocol/errors';
import { loadSecret, storeSecret } from '../../platform/keychain';
import {
  exportPrivateKey,
  generateSigningKeyPair,
  importPrivateKey,
  type SigningKeyPair,
} from '../../platform/signing';

/** Keychain account of the release key of a console profile. */
export function releaseKeyAccount(profile: string): string {
  return `release-key@${profile}`;
}

/** Creates and stores a release key; refuses to replace one unless `force`. */
export function createReleaseKey(
  profile: string,
  options: { force?: boolean } = {},
): SigningKeyPair {
  if (!options.force && loadSecret('assent-vendor', releaseKeyAccount(profile)) !== undefined)
    throw new AssentError(
      'USAGE',
      'A release key already exists for this profile; pass --force to replace it (agents will then refuse fixes signed with the new key until the ground rules list it).',
    );
  const key = generateSigningKeyPair();
  storeSecret('assent-vendor', releaseKeyAccount(profile), exportPrivateKey(key.privateKey));
  return key;
}

/** Loads the release key; FIX_RELEASE_KEY_MISSING when there is none. */
export function loadReleaseKey(profile: string): SigningKeyPair {
  const stored = loadSecret('assent-vendor', releaseKeyAccount(profile));
  if (stored === undefined) throw new AssentError('FIX_RELEASE_KEY_MISSING');
  return importPrivateKey(stored);
}
