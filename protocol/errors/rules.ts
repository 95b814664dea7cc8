import { defineErrorCodes } from './define';

/** Errors of the ground rules and the machine policy (issue 3). */
export const RULES_ERROR_CODES = defineErrorCodes({
  RULES_MISSING: {
    meaning: 'No countersigned ground rules are in force on this agent; sessions are refused.',
  },
  RULES_INVALID: { meaning: 'The ground rules document does not match the schema.' },
  RULES_UNSIGNED: { meaning: 'The ground rules document carries no vendor signature.' },
  RULES_NOT_COUNTERSIGNED: {
    meaning:
      'The ground rules are signed by the vendor only; the customer admin has not countersigned them.',
  },
  RULES_SIGNATURE_INVALID: {
    meaning:
      'A signature on the ground rules does not verify: the document was changed after signing.',
  },
  RULES_OTHER_VENDOR: {
    meaning: 'The ground rules are signed by a key other than the vendor key pinned on this agent.',
  },
  RULES_OTHER_DEVICE: {
    meaning: 'The ground rules were countersigned on another machine (another device key).',
  },
  RULES_EXPIRED: { meaning: 'The ground rules passed their validUntil date.' },
  RULES_REVISION_OLD: {
    meaning:
      'The ground rules are an older revision than the rules in force for the same vendor and customer.',
  },
  RULES_DECLINED: { meaning: 'The admin declined the ground rules; nothing was installed.' },
  POLICY_INVALID: {
    meaning: 'The machine policy file is malformed; no session can start until it is fixed.',
  },
});
