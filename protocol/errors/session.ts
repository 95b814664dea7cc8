import { defineErrorCodes } from './define';

/** Errors of the session as the two people see it. */
export const SESSION_ERROR_CODES = defineErrorCodes({
  SESSION_REFUSED: {
    meaning: 'The person at the customer machine refused the session.',
    closeCode: 4020,
  },
  SESSION_APPROVAL_TIMEOUT: {
    meaning: 'Nobody at the customer machine answered the session request in time.',
    closeCode: 4021,
  },
  SESSION_ENDED: { meaning: 'The session has ended.', closeCode: 4022 },
  SESSION_NOT_ACTIVE: { meaning: 'The session is not active; the request cannot be served now.' },
  SESSION_ALREADY_RUNNING: { meaning: 'A session is already running on this agent.' },
  SESSION_RESUME_REJECTED: {
    meaning:
      'The session could not be resumed: a different engineer key returned or the grace period passed.',
    closeCode: 4023,
  },
  SESSION_DURATION_EXCEEDED: {
    meaning: 'The session reached its maximum duration.',
    closeCode: 4024,
  },
  SESSION_BAD_STATE: { meaning: 'The request does not fit the current state of the session.' },
  CHAT_TOO_LONG: { meaning: 'The chat message is longer than the limit.' },
  RATE_LIMITED: {
    meaning: 'The peer sent messages faster than the limit allows.',
    closeCode: 4025,
  },
});
