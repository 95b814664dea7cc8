import { defineErrorCodes } from './define';

/** Errors of the end-to-end channel; every one ends the session. */
export const CHANNEL_ERROR_CODES = defineErrorCodes({
  CHANNEL_VERSION_UNSUPPORTED: {
    meaning: 'The peer offered no protocol version this side supports (possible downgrade).',
    closeCode: 4010,
  },
  CHANNEL_HANDSHAKE_FAILED: {
    meaning: 'The key exchange failed: a message was malformed or out of order.',
    closeCode: 4011,
  },
  CHANNEL_PEER_UNTRUSTED: {
    meaning: "The peer's identity could not be verified against the pinned keys.",
    closeCode: 4012,
  },
  CHANNEL_FRAME_INVALID: {
    meaning:
      'A frame was too short, malformed, or failed authentication (tampered, reflected or forged).',
    closeCode: 4013,
  },
  CHANNEL_FRAME_REPLAYED: {
    meaning: 'A frame arrived out of sequence (replayed, reordered or dropped).',
    closeCode: 4014,
  },
  CHANNEL_TRUNCATED: {
    meaning: 'The channel closed without an authenticated end message.',
    closeCode: 4015,
  },
  CHANNEL_MESSAGE_INVALID: {
    meaning: 'A decrypted message did not match its schema.',
    closeCode: 4016,
  },
  CHANNEL_CLOSED: { meaning: 'The channel is closed; nothing more can be sent.' },
  CHANNEL_EXHAUSTED: {
    meaning: 'The channel reached its message limit and must be re-established.',
    closeCode: 4017,
  },
});
