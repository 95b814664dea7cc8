// The end-to-end channel between engineer and agent (issue 2): handshake and
// encrypted frames. docs/protocol.md, "End-to-end channel", describes the construction.
export {
  FRAME_HEADER_BYTES,
  FRAME_TAG_BYTES,
  MAX_ENCRYPTED_FRAME_BYTES,
  MIN_FRAME_BYTES,
  SecureChannel,
  type ChannelKeys,
  type SecureChannelOptions,
} from './channel';
export { InitiatorHandshake, ResponderHandshake, type HandshakeResult } from './handshake';
export { MAX_HANDSHAKE_FRAME_BYTES } from './handshake-frames';
export { SAS_DIGITS } from './key-schedule';
export {
  decodePlaintext,
  MAX_FRAME_PLAINTEXT_BYTES,
  MAX_STREAM_ID,
  type DecodedPlaintext,
} from './plaintext';
