import { defineErrorCodes } from './define';

/** Errors about keys, credentials and the keychain. */
export const IDENTITY_ERROR_CODES = defineErrorCodes({
  KEYCHAIN_UNAVAILABLE: {
    meaning: 'The OS keychain (secret service) is not reachable; private keys are only kept there.',
  },
  KEY_NOT_FOUND: {
    meaning:
      'No key of that kind is in the keychain; run the matching init or login command first.',
  },
  KEY_INVALID: { meaning: 'A key could not be parsed.' },
  CREDENTIAL_INVALID: { meaning: 'The credential is malformed or its signature does not verify.' },
  CREDENTIAL_EXPIRED: { meaning: 'The credential has expired.' },
  CREDENTIAL_NOT_YET_VALID: { meaning: 'The credential is not valid yet (check the clock).' },
  CREDENTIAL_REVOKED: { meaning: 'The credential is on the vendor revocation list.' },
  CREDENTIAL_ROLE_MISSING: { meaning: 'The credential does not carry the role this action needs.' },
  CREDENTIAL_UNKNOWN: {
    meaning:
      'No credential with that serial was issued from this vendor home (nothing was revoked).',
  },
  VENDOR_NOT_TRUSTED: {
    meaning: 'No vendor key is pinned on this agent; run assent-agent trust-vendor first.',
  },
  VENDOR_KEY_MISMATCH: {
    meaning: 'The credential is signed by a vendor key other than the pinned one.',
  },
  REVOCATION_LIST_INVALID: {
    meaning:
      'The revocation list is malformed, not signed by the vendor, or older than the one in force.',
  },
});
