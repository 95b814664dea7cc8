// The checks on a fix manifest that need no payload (issue 5): the release
// signature over the exact manifest bytes, the signer against the ground
// rules, expiry (freeze), agent version, binding (wrong target), version
// against what is installed (rollback attack), and every path.
import { isAbsolute, normalize } from 'node:path';
import { AssentError } from '../../protocol/errors';
import { FixManifest, FixSignature, compareSemVer } from '../../protocol/fixes';
import { SIGNING_DOMAINS } from '../../protocol/identity';
import { keyFingerprint, verifyPayload } from '../../platform/signing';
import { checkFixPathSet } from './fix-paths';

/** What the agent trusts and knows when it checks a package. */
export interface FixTrust {
  /** Release keys the ground rules allow (raw Ed25519, base64url). */
  readonly signers: readonly { readonly name: string; readonly publicKey: string }[];
  /** This agent's device public key (for device-bound fixes). */
  readonly deviceKey?: string | undefined;
  /** The customer named in the ground rules in force (for customer-bound fixes). */
  readonly customer?: string | undefined;
  /** This agent's version. */
  readonly agentVersion: string;
  /** Highest installed version of a product that is not rolled back. */
  readonly installedVersion: (product: string) => string | undefined;
  /** True when a fix with this id is installed and not rolled back. */
  readonly isInstalled: (id: string) => boolean;
  readonly now?: () => Date;
}

/** The release key that signed a package, as the ground rules name it. */
export interface FixSigner {
  readonly name: string;
  readonly publicKey: string;
  readonly fingerprint: string;
}

/** Checks the manifest against what the agent trusts (everything but the payload). */
export function checkManifest(
  manifest: FixManifest,
  trust: FixTrust,
): { fromVersion: string | undefined } {
  const now = (trust.now ?? (() => new Date()))();
  if (
    !isAbsolute(manifest.targetRoot) ||
    normalize(manifest.targetRoot) !== manifest.targetRoot ||
    manifest.targetRoot.endsWith('/')
  )
    throw new AssentError(
      'FIX_PACKAGE_INVALID',
      'The target root of the fix is not a canonical absolute path.',
    );
  if (manifest.supersedes !== undefined && manifest.fixKind !== 'permanent')
    throw new AssentError('FIX_PACKAGE_INVALID', 'Only a permanent fix may supersede another.');
  if (manifest.supersedes === manifest.id)
    throw new AssentError('FIX_PACKAGE_INVALID', 'A fix cannot supersede itself.');
  checkFixPathSet(manifest.files.map((f) => f.path));
  if (now.getTime() >= Date.parse(manifest.expiresAt))
    throw new AssentError(
      'FIX_EXPIRED',
      `The fix ${manifest.id} expired on ${manifest.expiresAt}.`,
    );
  if (compareSemVer(trust.agentVersion, manifest.minAgentVersion) < 0)
    throw new AssentError(
      'FIX_AGENT_TOO_OLD',
      `The fix needs agent ${manifest.minAgentVersion} or newer (this is ${trust.agentVersion}).`,
    );
  const binding = manifest.binding;
  if (binding?.deviceKey !== undefined && binding.deviceKey !== trust.deviceKey)
    throw new AssentError('FIX_BINDING_MISMATCH', 'The fix is bound to another device.');
  if (binding?.customer !== undefined && binding.customer !== trust.customer)
    throw new AssentError(
      'FIX_BINDING_MISMATCH',
      `The fix is bound to customer ${binding.customer}.`,
    );
  if (trust.isInstalled(manifest.id))
    throw new AssentError('FIX_VERSION_NOT_NEWER', `The fix ${manifest.id} is already installed.`);
  const fromVersion = trust.installedVersion(manifest.product);
  if (fromVersion !== undefined && compareSemVer(manifest.version, fromVersion) <= 0)
    throw new AssentError(
      'FIX_VERSION_NOT_NEWER',
      `${manifest.product} ${manifest.version} is not newer than the installed ${fromVersion}.`,
    );
  return { fromVersion };
}

/** Checks the release signature envelope over the exact manifest bytes; returns the manifest. */
export function checkSignature(
  manifestBytes: Buffer,
  signatureBytes: Buffer,
  trust: Pick<FixTrust, 'signers'>,
): { manifest: FixManifest; signer: FixSigner } {
  let envelope: FixSignature;
  try {
    envelope = FixSignature.parse(JSON.parse(signatureBytes.toString('utf8')));
  } catch (cause) {
    throw new AssentError('FIX_SIGNATURE_INVALID', 'The fix signature is malformed.', { cause });
  }
  const allowed = trust.signers.find((s) => s.publicKey === envelope.publicKey);
  if (!allowed)
    throw new AssentError(
      'FIX_SIGNER_NOT_ALLOWED',
      `The fix is signed by ${keyFingerprint(envelope.publicKey)}, which the ground rules do not list as a fix signer.`,
    );
  const text = manifestBytes.toString('utf8');
  if (
    !Buffer.from(text, 'utf8').equals(manifestBytes) ||
    !verifyPayload(envelope.publicKey, SIGNING_DOMAINS.fixRelease, text, envelope.signature)
  )
    throw new AssentError(
      'FIX_SIGNATURE_INVALID',
      'The release signature on the fix manifest does not verify.',
    );
  let manifest: FixManifest;
  try {
    manifest = FixManifest.parse(JSON.parse(text));
  } catch (cause) {
    throw new AssentError(
      'FIX_PACKAGE_INVALID',
      'The signed manifest does not match the manifest schema.',
      { cause },
    );
  }
  return {
    manifest,
    signer: {
      name: allowed.name,
      publicKey: allowed.publicKey,
      fingerprint: keyFingerprint(allowed.publicKey),
    },
  };
}
