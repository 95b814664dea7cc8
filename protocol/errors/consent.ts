import { defineErrorCodes } from './define';

/** Errors of the consent engine and the action router (issue 3). */
export const CONSENT_ERROR_CODES = defineErrorCodes({
  CONSENT_DENIED: { meaning: 'The person at the customer machine denied the action.' },
  CONSENT_DENIED_BY_RULE: {
    meaning:
      'The ground rules or the machine policy forbid the action; the rule that denied it is named.',
  },
  CONSENT_TIMEOUT: {
    meaning: 'Nobody at the customer machine answered the consent prompt in time; that means deny.',
  },
  CONSENT_CANCELLED: { meaning: 'The engineer withdrew the request before it was decided.' },
  CONSENT_SESSION_ENDED: {
    meaning: 'The session ended while the action waited for consent or ran.',
  },
  CONSENT_PROMPT_UNKNOWN: {
    meaning: 'No pending consent prompt has that id (already decided, timed out or cancelled).',
  },
  CONSENT_SCOPE_INVALID: {
    meaning:
      'The allow-similar scope does not cover the prompted action or reaches beyond what the rules allow.',
  },
  GRANT_INVALID: {
    meaning: 'The grant is not genuine or is bound to another action; the handler was not run.',
  },
  GRANT_REVOKED: { meaning: 'The grant was revoked; the action in flight was stopped.' },
  GRANT_UNKNOWN: { meaning: 'No active session grant has that id.' },
  ACTION_UNKNOWN_KIND: { meaning: 'The agent has no handler for that kind of action.' },
  ACTION_BAD_PARAMS: { meaning: 'The action parameters do not match the schema of its kind.' },
  ACTION_DUPLICATE_REQUEST: {
    meaning: 'A request with that id is already pending or running in this session.',
  },
});
