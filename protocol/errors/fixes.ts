import { defineErrorCodes } from './define';

/** Errors of signed software fixes (issue 5). */
export const FIX_ERROR_CODES = defineErrorCodes({
  FIX_PACKAGE_INVALID: {
    meaning:
      'The fix package is not a well-formed Assent fix archive (layout, entry type, manifest or size).',
  },
  FIX_PATH_UNSAFE: {
    meaning:
      'A path in the fix is absolute, climbs out with `..`, is a link, a device or fifo, is duplicated, collides by case, or is too long; nothing was written.',
  },
  FIX_SIGNATURE_INVALID: {
    meaning: 'The release signature on the fix manifest does not verify.',
  },
  FIX_SIGNER_NOT_ALLOWED: {
    meaning: 'The fix is signed by a key that the ground rules do not list as a fix signer.',
  },
  FIX_VERSION_NOT_NEWER: {
    meaning:
      'The fix is not newer than what is installed for its product (rollback attack), or it is already installed.',
  },
  FIX_EXPIRED: { meaning: 'The fix package has expired (freeze attack); ask for a fresh one.' },
  FIX_BINDING_MISMATCH: {
    meaning: 'The fix is bound to another device or customer.',
  },
  FIX_AGENT_TOO_OLD: { meaning: 'The fix needs a newer agent version.' },
  FIX_HASH_MISMATCH: {
    meaning:
      'A payload file does not match the size or hash in the signed manifest, or the manifest and payload do not cover the same files.',
  },
  FIX_UPLOAD_INVALID: {
    meaning: 'The uploaded package does not match the size or hash announced in the request.',
  },
  FIX_UPLOAD_UNKNOWN: {
    meaning: 'No staged package has that upload id (never sent, expired, or already used).',
  },
  FIX_TARGET_CONFLICT: {
    meaning:
      'The target does not match the fix: a file to add exists, a file to replace or remove is missing, or a path in the target is a link or not a regular file.',
  },
  FIX_TARGET_CHANGED: {
    meaning:
      'The target files no longer match what the fix installed; rollback refused so nothing newer is overwritten.',
  },
  FIX_CHECK_FAILED: {
    meaning: 'A pre- or post-check of the fix failed; the target was left or restored as it was.',
  },
  FIX_NOT_INSTALLED: { meaning: 'No installed fix has that id.' },
  FIX_SUPERSEDED: {
    meaning: 'The fix was superseded by a permanent fix; roll that one back first.',
  },
  FIX_ROLLED_BACK: {
    meaning:
      'Applying the fix failed and it was rolled back; the target is as it was before (hash-checked).',
  },
  FIX_RECOVERY_FAILED: {
    meaning:
      'An interrupted fix could not be brought back to a consistent state; the target needs manual inspection (see the audit log).',
  },
  FIX_BUSY: {
    meaning:
      'Another process is applying or rolling back a fix on this agent; try again when it has finished.',
  },
  FIX_SIGNER_ROLE_MISSING: {
    meaning: 'Only an engineer with the installer role may sign fix packages.',
  },
  FIX_RELEASE_KEY_MISSING: {
    meaning: 'No release key is stored in the keychain for this profile; run `fix keygen` first.',
  },
});
