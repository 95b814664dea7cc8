// The encrypted frame layer of the end-to-end channel: AES-256-GCM with one
// key per direction and counter nonces that must arrive exactly in sequence.
// Frame: type 0x17 (1) ‖ counter (8, big-endian) ‖ ciphertext ‖ tag (16);
// nonce = 4 zero bytes ‖ counter; AAD = the 9 header bytes. See
// docs/protocol.md, "End-to-end channel".
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type CipherGCM,
  type DecipherGCM,
  type KeyObject,
} from 'node:crypto';
import { AheadCiphers } from './ahead-ciphers';
import { AssentError } from '../../protocol/errors';
import {
  MAX_FRAMES_PER_CHANNEL,
  MAX_JSON_MESSAGE_BYTES,
  MAX_PLAINTEXT_BYTES,
} from '../../protocol/limits';
import { FRAME_TYPES, PLAINTEXT_KINDS } from '../../protocol/wire/handshake';
import { MAX_FRAME_PLAINTEXT_BYTES, MAX_STREAM_ID, STREAM_HEADER_BYTES } from './plaintext';

export { decodePlaintext, type DecodedPlaintext } from './plaintext';

/** Type byte and big-endian counter: authenticated as AAD. */
export const FRAME_HEADER_BYTES = 1 + 8;
/** AES-GCM tag length. */
export const FRAME_TAG_BYTES = 16;
/** The shortest valid frame: header, a one-byte plaintext (the kind), tag. */
export const MIN_FRAME_BYTES = FRAME_HEADER_BYTES + 1 + FRAME_TAG_BYTES;
/** The longest valid frame: a full stream chunk. */
export const MAX_ENCRYPTED_FRAME_BYTES =
  FRAME_HEADER_BYTES + MAX_FRAME_PLAINTEXT_BYTES + FRAME_TAG_BYTES;

const CIPHER = 'aes-256-gcm';
const TWO_POW_32 = 2 ** 32;
const JSON_KIND = Uint8Array.of(PLAINTEXT_KINDS.json);
const CLOSE_KIND = Uint8Array.of(PLAINTEXT_KINDS.close);
const HANDSHAKE_TYPES: ReadonlySet<number> = new Set([
  FRAME_TYPES.handshakeInit,
  FRAME_TYPES.handshakeResponse,
  FRAME_TYPES.handshakeFinish,
]);

/** The two direction keys of one side (32 bytes each). */
export interface ChannelKeys {
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
}

/** Options of a SecureChannel. */
export interface SecureChannelOptions {
  /** Frames per direction before CHANNEL_EXHAUSTED; default MAX_FRAMES_PER_CHANNEL (tests lower it). */
  readonly maxFrames?: number;
}

function directionKey(bytes: Uint8Array, which: string): KeyObject {
  if (bytes.byteLength !== 32) throw new RangeError(`${which} must be 32 bytes`);
  return createSecretKey(Buffer.from(bytes));
}

/**
 * One side of an established end-to-end channel. Any fault makes it unusable:
 * the call that found it throws the fault, every later call CHANNEL_CLOSED.
 */
export class SecureChannel {
  readonly #sendKey: KeyObject;
  readonly #receiveKey: KeyObject;
  readonly #maxFrames: number;
  // Each direction's next frame's AES-GCM context is made ahead (ahead-ciphers.ts).
  readonly #sealCiphers: AheadCiphers<CipherGCM>;
  readonly #openCiphers: AheadCiphers<DecipherGCM>;
  #sendCounter = 0;
  #receiveCounter = 0;
  #sentClose = false;
  #receivedClose = false;
  #failure: AssentError | undefined;

  constructor(keys: ChannelKeys, options: SecureChannelOptions = {}) {
    this.#sendKey = directionKey(keys.sendKey, 'sendKey');
    this.#receiveKey = directionKey(keys.receiveKey, 'receiveKey');
    const maxFrames = options.maxFrames ?? MAX_FRAMES_PER_CHANNEL;
    if (!Number.isInteger(maxFrames) || maxFrames < 1 || maxFrames > MAX_FRAMES_PER_CHANNEL)
      throw new RangeError(`maxFrames must be an integer in 1..${MAX_FRAMES_PER_CHANNEL}`);
    this.#maxFrames = maxFrames;
    const gcm = { authTagLength: FRAME_TAG_BYTES };
    this.#sealCiphers = new AheadCiphers(
      (nonce) => createCipheriv(CIPHER, this.#sendKey, nonce, gcm),
      () => (this.closed || this.#sendCounter >= this.#maxFrames ? null : this.#sendCounter),
    );
    this.#openCiphers = new AheadCiphers(
      (nonce) => createDecipheriv(CIPHER, this.#receiveKey, nonce, gcm),
      () =>
        this.#failure || this.#receivedClose || this.#receiveCounter >= this.#maxFrames
          ? null
          : this.#receiveCounter,
    );
  }

  /** True once nothing more can be sent: this side sent close, the peer's close arrived, or a fault. */
  get closed(): boolean {
    return this.#failure !== undefined || this.#sentClose || this.#receivedClose;
  }

  /**
   * Key confirmation: true once one frame from the peer decrypted. The agent
   * must not treat the session as established before this.
   */
  get established(): boolean {
    return this.#receiveCounter > 0;
  }

  /** True once the peer's authenticated end (`close`) arrived. */
  get endReceived(): boolean {
    return this.#receivedClose;
  }

  /** The fault that ended the channel, if one did. */
  get failure(): AssentError | undefined {
    return this.#failure;
  }

  /** Encrypts one plaintext (kind byte + body) into a data frame. */
  seal(plaintext: Uint8Array): Buffer {
    if (plaintext.byteLength === 0)
      throw new RangeError('a plaintext carries at least its kind byte');
    const frame = this.#seal(plaintext);
    if (plaintext.byteLength === 1 && plaintext[0] === PLAINTEXT_KINDS.close)
      this.#sentClose = true;
    return frame;
  }

  /** Encrypts a JSON application message (validated by the receiver against its schema). */
  sealJson(message: unknown): Buffer {
    const text = JSON.stringify(message);
    if (text === undefined) throw new TypeError('sealJson: message is not JSON-serialisable');
    const body = Buffer.from(text, 'utf8');
    if (body.length > MAX_JSON_MESSAGE_BYTES)
      throw new RangeError(`a JSON message is limited to ${MAX_JSON_MESSAGE_BYTES} bytes`);
    return this.#seal(JSON_KIND, body);
  }

  /** Encrypts a chunk of bulk data for a stream (at most MAX_PLAINTEXT_BYTES). */
  sealStream(streamId: number, bytes: Uint8Array): Buffer {
    return this.#seal(this.#streamHeader(streamId, bytes), bytes);
  }

  #streamHeader(streamId: number, bytes: Uint8Array): Buffer {
    if (!Number.isInteger(streamId) || streamId < 0 || streamId > MAX_STREAM_ID)
      throw new RangeError('streamId must be a u32');
    if (bytes.byteLength > MAX_PLAINTEXT_BYTES)
      throw new RangeError(`a stream chunk is limited to ${MAX_PLAINTEXT_BYTES} bytes`);
    const header = Buffer.allocUnsafe(STREAM_HEADER_BYTES);
    header[0] = PLAINTEXT_KINDS.stream;
    header.writeUInt32BE(streamId, 1);
    return header;
  }

  /**
   * sealStream, as the frame's parts (see #sealParts): the bulk ciphertext is
   * not copied into one frame buffer. For a sender that writes the parts
   * with one gathered write.
   */
  sealStreamParts(streamId: number, bytes: Uint8Array): Buffer[] {
    return this.#sealParts(this.#streamHeader(streamId, bytes), bytes);
  }

  /** Encrypts the authenticated end of the channel; nothing can be sent after it. */
  sealClose(): Buffer {
    const frame = this.#seal(CLOSE_KIND);
    this.#sentClose = true;
    return frame;
  }

  /**
   * Authenticates and decrypts one data frame; returns the plaintext (kind
   * byte + body; see decodePlaintext). Frames must arrive in exact sequence.
   * Frames from the peer are still opened after this side sent close, so its
   * in-flight messages and its own close can be read.
   */
  open(frame: Buffer): Buffer {
    this.#usable(false);
    if (this.#receivedClose)
      throw this.#fail(
        'CHANNEL_FRAME_INVALID',
        'A frame arrived after the peer ended the channel.',
      );
    if (frame.length === 0) throw this.#fail('CHANNEL_FRAME_INVALID', 'An empty frame arrived.');
    const type = frame[0]!;
    if (type !== FRAME_TYPES.data) {
      throw this.#fail(
        'CHANNEL_FRAME_INVALID',
        HANDSHAKE_TYPES.has(type)
          ? 'A handshake frame arrived after the handshake.'
          : `A frame of unknown type 0x${type.toString(16).padStart(2, '0')} arrived.`,
      );
    }
    if (frame.length < MIN_FRAME_BYTES)
      throw this.#fail(
        'CHANNEL_FRAME_INVALID',
        `A ${frame.length}-byte frame is too short to be valid.`,
      );
    if (frame.length > MAX_ENCRYPTED_FRAME_BYTES)
      throw this.#fail(
        'CHANNEL_FRAME_INVALID',
        `A ${frame.length}-byte frame exceeds the frame limit.`,
      );

    // Authenticate first, with the nonce the header names: a reflected or
    // forged frame fails here whatever its counter; only an authentic frame
    // can be judged as replayed or reordered.
    const counter = frame.readUInt32BE(1) * TWO_POW_32 + frame.readUInt32BE(5);
    const tagStart = frame.length - FRAME_TAG_BYTES;
    // The nonce is the frame's own counter, as sent (checked against ours once it authenticated).
    const decipher = this.#openCiphers.take(counter);
    decipher.setAAD(frame.subarray(0, FRAME_HEADER_BYTES));
    decipher.setAuthTag(frame.subarray(tagStart));
    const plaintext = decipher.update(frame.subarray(FRAME_HEADER_BYTES, tagStart));
    try {
      decipher.final();
    } catch (cause) {
      throw this.#fail(
        'CHANNEL_FRAME_INVALID',
        'A frame failed authentication (tampered, forged or reflected).',
        cause,
      );
    }

    if (counter !== this.#receiveCounter) {
      throw this.#fail(
        'CHANNEL_FRAME_REPLAYED',
        counter < this.#receiveCounter
          ? `A frame was replayed (counter ${counter}, expected ${this.#receiveCounter}).`
          : `A frame arrived out of order or one was dropped (counter ${counter}, expected ${this.#receiveCounter}).`,
      );
    }
    if (counter >= this.#maxFrames)
      throw this.#fail('CHANNEL_EXHAUSTED', 'The peer sent more frames than one channel allows.');
    this.#receiveCounter = counter + 1;
    this.#openCiphers.prepareSoon();
    if (plaintext[0] === PLAINTEXT_KINDS.close) {
      if (plaintext.length !== 1)
        throw this.#fail('CHANNEL_MESSAGE_INVALID', 'The end-of-channel message carried a body.');
      this.#receivedClose = true;
    }
    return plaintext;
  }

  /**
   * Call when the transport closed. Throws CHANNEL_TRUNCATED unless the
   * peer's authenticated end arrived, this side ended first, or a fault was
   * already reported. The channel is unusable afterwards.
   */
  transportClosed(): void {
    if (this.closed) {
      this.#failure ??= new AssentError(
        'CHANNEL_CLOSED',
        'The transport closed after the channel ended.',
      );
      return;
    }
    throw this.#fail(
      'CHANNEL_TRUNCATED',
      'The connection closed without the peer ending the channel (truncated).',
    );
  }

  #seal(first: Uint8Array, second?: Uint8Array): Buffer {
    const parts = this.#sealParts(first, second);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /**
   * Encrypts into the frame's parts, in order: header ‖ ciphertext of
   * `first`; the ciphertext of `second` as the cipher returned it (not
   * copied); the tag. Concatenated they are the frame.
   */
  #sealParts(first: Uint8Array, second?: Uint8Array): Buffer[] {
    this.#usable(true);
    const counter = this.#sendCounter;
    if (counter >= this.#maxFrames)
      throw this.#fail(
        'CHANNEL_EXHAUSTED',
        'This channel has sent as many frames as it may; it must be re-established.',
      );
    const length = first.byteLength + (second?.byteLength ?? 0);
    if (length > MAX_FRAME_PLAINTEXT_BYTES)
      throw new RangeError(`a plaintext is limited to ${MAX_FRAME_PLAINTEXT_BYTES} bytes`);

    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + first.byteLength);
    head[0] = FRAME_TYPES.data;
    head.writeUInt32BE(Math.floor(counter / TWO_POW_32), 1);
    head.writeUInt32BE(counter >>> 0, 5);
    const cipher = this.#sealCiphers.take(counter);
    cipher.setAAD(head.subarray(0, FRAME_HEADER_BYTES));
    // AES-GCM is a stream mode: update() returns exactly as many bytes as it is given.
    cipher.update(first).copy(head, FRAME_HEADER_BYTES);
    const parts = [head];
    if (second && second.byteLength > 0) parts.push(cipher.update(second));
    const rest = cipher.final();
    if (rest.length > 0) parts.push(rest);
    parts.push(cipher.getAuthTag());
    this.#sendCounter = counter + 1;
    this.#sealCiphers.prepareSoon();
    return parts;
  }

  #usable(sending: boolean): void {
    if (this.#failure)
      throw new AssentError('CHANNEL_CLOSED', `The channel is closed: ${this.#failure.message}`, {
        cause: this.#failure,
      });
    if (sending && this.closed)
      throw new AssentError(
        'CHANNEL_CLOSED',
        this.#sentClose ? 'This side already ended the channel.' : 'The peer ended the channel.',
      );
  }

  #fail(code: AssentError['code'], message: string, cause?: unknown): AssentError {
    const error = new AssentError(code, message, cause === undefined ? undefined : { cause });
    this.#failure = error;
    return error;
  }
}
