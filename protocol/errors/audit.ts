import { defineErrorCodes } from './define';

/** Errors of the local audit log. */
export const AUDIT_ERROR_CODES = defineErrorCodes({
  AUDIT_CHAIN_BROKEN: {
    meaning: 'An audit record does not match the hash chain (the log was altered).',
  },
  AUDIT_RECORD_INVALID: {
    meaning: 'An audit record is not valid JSON or does not match its schema.',
  },
  AUDIT_WRITE_FAILED: {
    meaning: 'The audit log could not be written; the action was not carried out.',
  },
  AUDIT_SUMMARY_INVALID: {
    meaning: 'A signed session summary does not verify against the device key.',
  },
});
