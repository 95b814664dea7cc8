// The agent's device key (Ed25519): proves the agent to the relay, signs its
// side of the handshake, countersigns ground rules and signs session
// summaries. The private key is only in the OS keychain.
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import { ensurePrivateDir } from '../../platform/app-dirs';
import { loadSecret, profileIdFor, storeSecret } from '../../platform/keychain';
import {
  exportPrivateKey,
  generateSigningKeyPair,
  importPrivateKey,
  type SigningKeyPair,
} from '../../platform/signing';
import { writeJsonFileAtomic } from '../../platform/json-file';

const SERVICE = 'assent-agent';
const account = (dataDir: string): string => `device-key@${profileIdFor(dataDir)}`;

/** Loads the device key of the agent using `dataDir`; throws KEY_NOT_FOUND when there is none. */
export function loadDeviceKey(dataDir: string): SigningKeyPair {
  const stored = loadSecret(SERVICE, account(dataDir));
  if (!stored) throw new AssentError('KEY_NOT_FOUND', 'This agent has no device key yet.');
  return importPrivateKey(stored);
}

/** Loads the device key, creating it (in the keychain) on first use. */
export function loadOrCreateDeviceKey(dataDir: string): SigningKeyPair {
  const stored = loadSecret(SERVICE, account(dataDir));
  if (stored) return importPrivateKey(stored);
  const pair = generateSigningKeyPair();
  storeSecret(SERVICE, account(dataDir), exportPrivateKey(pair.privateKey));
  ensurePrivateDir(dataDir);
  // Only the public half is written to disk, for the admin's convenience.
  writeJsonFileAtomic(
    join(dataDir, 'device.pub.json'),
    { kind: 'assent-device-key', v: 1, publicKey: pair.publicKey },
    0o644,
  );
  return pair;
}
