import { defineErrorCodes } from './define';

/** Errors the relay reports, at the HTTP upgrade or as a close reason. */
export const RELAY_ERROR_CODES = defineErrorCodes({
  RELAY_BAD_REQUEST: {
    meaning: 'The upgrade request is malformed or names an unknown endpoint.',
    httpStatus: 400,
  },
  RELAY_UNAUTHENTICATED: {
    meaning: 'The upgrade carried no valid proof of a device or engineer key.',
    httpStatus: 401,
  },
  RELAY_CREDENTIAL_EXPIRED: {
    meaning: 'The engineer credential has expired; ask the vendor admin for a new one.',
    httpStatus: 401,
  },
  RELAY_CREDENTIAL_REVOKED: {
    meaning: 'The engineer credential has been revoked by the vendor admin.',
    httpStatus: 403,
  },
  RELAY_WRONG_VENDOR: {
    meaning: 'The engineer credential is not signed by the vendor key this relay serves.',
    httpStatus: 403,
  },
  RELAY_CODE_UNKNOWN: {
    meaning: 'The session code is unknown, expired or already used.',
    httpStatus: 404,
  },
  RELAY_RATE_LIMITED: {
    meaning: 'Too many attempts from this source; wait before trying again.',
    httpStatus: 429,
  },
  RELAY_RESUME_UNKNOWN: {
    meaning: 'The session to resume is unknown or its grace period has passed.',
    httpStatus: 404,
  },
  RELAY_FULL: { meaning: 'The relay is at its connection limit.', httpStatus: 503 },
  RELAY_PEER_GONE: {
    meaning: 'The other side left the session or did not come back in time.',
    closeCode: 4001,
  },
  RELAY_FRAME_TOO_LARGE: { meaning: 'A frame exceeded the size limit.', closeCode: 1009 },
  RELAY_PROTOCOL_VIOLATION: {
    meaning: 'A peer sent a control message that is malformed or not allowed in its state.',
    closeCode: 1008,
  },
  RELAY_SHUTTING_DOWN: {
    meaning: 'The relay is shutting down.',
    httpStatus: 503,
    closeCode: 1001,
  },
  RELAY_UNREACHABLE: { meaning: 'The relay could not be reached; check the URL and the network.' },
  RELAY_HEARTBEAT_TIMEOUT: {
    meaning: 'The connection stopped answering heartbeats and was closed.',
    closeCode: 4002,
  },
});
