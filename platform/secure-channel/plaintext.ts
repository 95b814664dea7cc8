// The plaintext inside an encrypted frame: a kind byte (PLAINTEXT_KINDS), then
// the body. Encoding is done by SecureChannel's seal helpers; decoding here.
import { AssentError } from '../../protocol/errors';
import { MAX_JSON_MESSAGE_BYTES, MAX_PLAINTEXT_BYTES } from '../../protocol/limits';
import { PLAINTEXT_KINDS } from '../../protocol/wire/handshake';

/** Bytes before the payload of a stream plaintext: kind byte and u32 stream id. */
export const STREAM_HEADER_BYTES = 1 + 4;
/** Largest plaintext one frame may carry: a full stream chunk with its header. */
export const MAX_FRAME_PLAINTEXT_BYTES = STREAM_HEADER_BYTES + MAX_PLAINTEXT_BYTES;
/** Largest stream id (u32). */
export const MAX_STREAM_ID = 0xffff_ffff;

/** A decrypted plaintext, by kind. */
export type DecodedPlaintext =
  | { kind: 'json'; value: unknown }
  | { kind: 'stream'; streamId: number; bytes: Buffer }
  | { kind: 'close' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function invalid(message: string, cause?: unknown): AssentError {
  return new AssentError('CHANNEL_MESSAGE_INVALID', message, { cause });
}

/**
 * Splits a plaintext returned by SecureChannel.open into its kind and body.
 * JSON is parsed but not validated: schema validation is the caller's job.
 * `bytes` of a stream is a view into `plaintext` (no copy).
 */
export function decodePlaintext(plaintext: Buffer): DecodedPlaintext {
  if (plaintext.length === 0) throw invalid('An encrypted message was empty.');
  switch (plaintext[0]) {
    case PLAINTEXT_KINDS.json: {
      if (plaintext.length - 1 > MAX_JSON_MESSAGE_BYTES)
        throw invalid(`A JSON message exceeded ${MAX_JSON_MESSAGE_BYTES} bytes.`);
      let value: unknown;
      try {
        value = JSON.parse(utf8.decode(plaintext.subarray(1)));
      } catch (cause) {
        throw invalid('A message inside the channel was not valid UTF-8 JSON.', cause);
      }
      return { kind: 'json', value };
    }
    case PLAINTEXT_KINDS.stream:
      if (plaintext.length < STREAM_HEADER_BYTES)
        throw invalid('A stream message was too short to carry a stream id.');
      if (plaintext.length - STREAM_HEADER_BYTES > MAX_PLAINTEXT_BYTES)
        throw invalid(`A stream chunk exceeded ${MAX_PLAINTEXT_BYTES} bytes.`);
      return {
        kind: 'stream',
        streamId: plaintext.readUInt32BE(1),
        bytes: plaintext.subarray(STREAM_HEADER_BYTES),
      };
    case PLAINTEXT_KINDS.close:
      if (plaintext.length !== 1) throw invalid('The end-of-channel message carried a body.');
      return { kind: 'close' };
    default:
      throw invalid(`Unknown message kind 0x${plaintext[0]!.toString(16).padStart(2, '0')}.`);
  }
}
