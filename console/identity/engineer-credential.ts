// The engineer's installed credential: certificate in the engineer home,
// private key in the OS keychain.
import { join } from 'node:path';
import { AssentError } from '../../protocol/errors';
import { EngineerCertificate } from '../../protocol/identity';
import { ensurePrivateDir } from '../../platform/app-dirs';
import { readJsonFile, writeJsonFileAtomic } from '../../platform/json-file';
import { loadSecret, profileIdFor, storeSecret } from '../../platform/keychain';
import { importPrivateKey, type SigningKeyPair } from '../../platform/signing';
import { decodeCredentialToken } from './credential-token';

const SERVICE = 'assent-engineer';
const account = (home: string): string => `credential-key@${profileIdFor(home)}`;
const certificateFile = (home: string): string => join(home, 'certificate.json');

/** An engineer's certificate and signing key. */
export interface EngineerCredential {
  readonly certificate: EngineerCertificate;
  readonly signingKey: SigningKeyPair;
}

/** Installs a credential token: the key goes to the keychain, the certificate to the engineer home. */
export function login(home: string, token: string): EngineerCertificate {
  const { certificate, privateKey } = decodeCredentialToken(token);
  const key = importPrivateKey(privateKey);
  if (key.publicKey !== certificate.publicKey) {
    throw new AssentError(
      'CREDENTIAL_INVALID',
      'The credential token holds a key that does not match its certificate.',
    );
  }
  ensurePrivateDir(home);
  storeSecret(SERVICE, account(home), privateKey);
  writeJsonFileAtomic(certificateFile(home), certificate);
  return certificate;
}

/** Loads the installed credential; throws KEY_NOT_FOUND before `login`. */
export function loadCredential(home: string): EngineerCredential {
  const certificate = readJsonFile(certificateFile(home), EngineerCertificate);
  const stored = loadSecret(SERVICE, account(home));
  if (!certificate || !stored) {
    throw new AssentError(
      'KEY_NOT_FOUND',
      'No engineer credential is installed; run `assent-engineer login <credential>` first.',
    );
  }
  const signingKey = importPrivateKey(stored);
  if (signingKey.publicKey !== certificate.publicKey) {
    throw new AssentError(
      'CREDENTIAL_INVALID',
      'The installed certificate does not match the key in the keychain; log in again.',
    );
  }
  return { certificate, signingKey };
}
