// Named limits of the session backbone (HOUSE-STYLE habit 5). Domain limits
// (files, terminal, fixes) live beside their schemas.

/** Protocol version spoken inside the end-to-end channel. */
export const PROTOCOL_VERSION = 1;
/** Versions this build accepts; the highest common one is chosen, and the offer is signed. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];

/** Largest plaintext carried by one encrypted frame (bulk data is chunked to this). */
export const MAX_PLAINTEXT_BYTES = 256 * 1024;
/** Encrypted frame overhead: 1 type byte, 8 counter bytes, 16 tag bytes. */
export const FRAME_OVERHEAD_BYTES = 1 + 8 + 16;
/** ws `maxPayload` at the relay and the peers: one full frame and a little slack; larger frames close with 1009. */
export const MAX_FRAME_BYTES = MAX_PLAINTEXT_BYTES + FRAME_OVERHEAD_BYTES + 64;
/** Largest relay control message (JSON text frame). */
export const MAX_CONTROL_MESSAGE_BYTES = 16 * 1024;
/** Largest JSON message inside the channel. */
export const MAX_JSON_MESSAGE_BYTES = 128 * 1024;
/** Frames per direction before the channel must be re-established (AES-GCM counter nonce budget). */
export const MAX_FRAMES_PER_CHANNEL = 2 ** 32;

/** Session code: 10 decimal digits, about 33 bits. */
export const SESSION_CODE_DIGITS = 10;
/** Leading digits of a code that select it for per-code attempt counting. */
export const SESSION_CODE_PREFIX_DIGITS = 3;
/** A session code expires this long after it is issued. */
export const SESSION_CODE_TTL_MS = 10 * 60 * 1000;
/** Wrong guesses that share a live code's prefix before that code is burned. */
export const MAX_FAILED_ATTEMPTS_PER_CODE = 5;
/** Failed code attempts from one source before backoff starts. */
export const FREE_ATTEMPTS_PER_SOURCE = 5;
/** Backoff after the free attempts: doubles each failure, starting here. */
export const SOURCE_BACKOFF_BASE_MS = 1000;
/** Backoff never grows past this. */
export const SOURCE_BACKOFF_MAX_MS = 5 * 60 * 1000;
/** Failure counters of a source are forgotten after this quiet period. */
export const SOURCE_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/** Upgrade proofs older or newer than this (clock skew) are refused. */
export const AUTH_MAX_SKEW_MS = 2 * 60 * 1000;
/** Heartbeat: the relay pings every interval and closes a peer that missed a pong. */
export const HEARTBEAT_INTERVAL_MS = 20 * 1000;
/** Bytes queued to a peer before the relay stops reading from the other side. */
export const RELAY_HIGH_WATER_BYTES = 1024 * 1024;
/** After the relay sends a WebSocket close frame, the peer has this long to answer before it is cut off. */
export const RELAY_CLOSE_TIMEOUT_MS = 30 * 1000;

/** The approver must answer a session request within this time, or it is refused. */
export const SESSION_APPROVAL_TIMEOUT_MS = 120 * 1000;
/** A dropped session may resume within this grace period (same engineer key only). */
export const RESUME_GRACE_MS = 60 * 1000;
/** Reconnect backoff of the agent: first delay and ceiling. */
export const RECONNECT_BASE_MS = 250;
export const RECONNECT_MAX_MS = 8 * 1000;
/** Handshake must complete within this time after pairing. */
export const HANDSHAKE_TIMEOUT_MS = 15 * 1000;

/** Chat messages longer than this are refused. */
export const MAX_CHAT_CHARS = 4000;
/** Messages per second a peer may send inside the channel (token bucket, with this burst). */
export const MESSAGE_RATE_PER_SECOND = 200;
export const MESSAGE_RATE_BURST = 400;
/** Text fields from the peer (names, ticket, reason) are cut to these lengths. */
export const MAX_TICKET_CHARS = 120;
export const MAX_REASON_CHARS = 2000;
