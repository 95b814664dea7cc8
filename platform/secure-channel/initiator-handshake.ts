// The engineer's side of the end-to-end handshake (initiator). See
// docs/protocol.md, "End-to-end channel".
import { AssentError } from '../../protocol/errors';
import { canonicalJson, SIGNING_DOMAINS, type EngineerCertificate } from '../../protocol/identity';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../protocol/limits';
import { FRAME_TYPES, HandshakeResponse, type HandshakeInit } from '../../protocol/wire/handshake';
import { signPayload, verifyPayload, type SigningKeyPair } from '../signing';
import {
  finishKeys,
  normaliseVersions,
  outOfOrder,
  randomNonce,
  utf8,
  type HandshakeResult,
  type HandshakeState,
} from './handshake-common';
import {
  canonicalBytes,
  encodeHandshakeFrame,
  parseHandshakeFrame,
  withoutSignature,
} from './handshake-frames';
import { generateEphemeralKeyPair, sharedSecret, type EphemeralKeyPair } from './key-schedule';
import { transcriptHash } from './transcript';

/** The engineer's side: start() → send init; onResponse(response) → send finish, keep result. */
export class InitiatorHandshake {
  readonly #certificate: EngineerCertificate;
  readonly #signingKey: SigningKeyPair;
  readonly #versions: number[];
  readonly #expectedDeviceKey: string | undefined;
  #state: HandshakeState = 'ready';
  #ephemeral: EphemeralKeyPair | undefined;
  #init: Buffer | undefined;

  constructor(opts: {
    certificate: EngineerCertificate;
    signingKey: SigningKeyPair;
    versions?: readonly number[];
    /** The agent's device key when known out of band; any other key is CHANNEL_PEER_UNTRUSTED. */
    expectedDeviceKey?: string;
  }) {
    // Both come from the engineer's keychain and credential store: a mismatch
    // is a local fault the engineer can fix, not a programming error.
    if (opts.certificate.publicKey !== opts.signingKey.publicKey) {
      throw new AssentError(
        'KEY_INVALID',
        'The engineer signing key does not match the installed credential; run assent-engineer login again.',
      );
    }
    this.#certificate = opts.certificate;
    this.#signingKey = opts.signingKey;
    this.#versions = normaliseVersions(opts.versions ?? SUPPORTED_PROTOCOL_VERSIONS);
    this.#expectedDeviceKey = opts.expectedDeviceKey;
  }

  /** The init frame (0x01): versions offered, ephemeral key, nonce. */
  start(): Buffer {
    if (this.#state !== 'ready')
      throw new AssentError('CHANNEL_HANDSHAKE_FAILED', 'The handshake was already started.');
    this.#ephemeral = generateEphemeralKeyPair();
    const init: HandshakeInit = {
      proto: 'assent',
      versions: this.#versions,
      ephemeral: this.#ephemeral.publicKey,
      nonce: randomNonce(),
    };
    this.#init = encodeHandshakeFrame(FRAME_TYPES.handshakeInit, init);
    this.#state = 'waiting';
    return this.#init;
  }

  /** Verifies the agent's response (0x02); returns the finish frame (0x03) to send and the result. */
  onResponse(frame: Buffer): { finish: Buffer; result: HandshakeResult } {
    if (this.#state !== 'waiting') throw outOfOrder('handshake response');
    try {
      const out = this.#onResponse(frame, this.#ephemeral!, this.#init!);
      this.#state = 'done';
      return out;
    } catch (error) {
      this.#state = 'failed';
      throw error;
    } finally {
      this.#ephemeral = undefined; // forward secrecy: the private half is gone either way
      this.#init = undefined;
    }
  }

  #onResponse(
    frame: Buffer,
    ephemeral: EphemeralKeyPair,
    init: Buffer,
  ): { finish: Buffer; result: HandshakeResult } {
    const { message, raw } = parseHandshakeFrame(
      frame,
      FRAME_TYPES.handshakeResponse,
      HandshakeResponse,
      'handshake response',
    );
    const highest = this.#versions[0]!;
    if (!this.#versions.includes(message.version)) {
      throw new AssentError(
        'CHANNEL_VERSION_UNSUPPORTED',
        `The agent chose protocol version ${message.version}, which was not offered (offered ${this.#versions.join(', ')}).`,
      );
    }
    canonicalBytes(message.ephemeral, 32, "agent's ephemeral key");
    canonicalBytes(message.nonce, 32, "agent's nonce");
    canonicalBytes(message.deviceKey, 32, "agent's device key");
    canonicalBytes(message.signature, 64, "agent's signature");

    const th2 = transcriptHash(undefined, init, utf8(canonicalJson(withoutSignature(raw))));
    if (
      !verifyPayload(
        message.deviceKey,
        SIGNING_DOMAINS.handshakeResponder,
        th2.toString('hex'),
        message.signature,
      )
    ) {
      // The signature covers our offer as the agent received it: a lower
      // version with a broken signature is what a rewritten offer looks like.
      if (message.version < highest) {
        throw new AssentError(
          'CHANNEL_VERSION_UNSUPPORTED',
          `Protocol version ${message.version} was chosen although ${highest} was offered, and the agent's signature does not cover this offer: a downgrade in transit.`,
        );
      }
      throw new AssentError(
        'CHANNEL_PEER_UNTRUSTED',
        "The agent's handshake signature does not verify: the handshake was altered in transit or the peer does not hold the device key.",
      );
    }
    if (this.#expectedDeviceKey !== undefined && message.deviceKey !== this.#expectedDeviceKey) {
      throw new AssentError(
        'CHANNEL_PEER_UNTRUSTED',
        'The agent answered with a device key other than the expected one.',
      );
    }

    const finishBody = { certificate: this.#certificate };
    // Hash the body as the agent will see it: after a JSON round trip.
    const finishSeen: unknown = JSON.parse(JSON.stringify(finishBody));
    const th3 = transcriptHash(th2, frame, utf8(canonicalJson(finishSeen)));
    const signature = signPayload(
      this.#signingKey.privateKey,
      SIGNING_DOMAINS.handshakeInitiator,
      th3.toString('hex'),
    );
    const finish = encodeHandshakeFrame(FRAME_TYPES.handshakeFinish, { ...finishBody, signature });
    const final = transcriptHash(th3, finish);
    const shared = sharedSecret(ephemeral, message.ephemeral);
    const { channel, sas } = finishKeys('initiator', shared, final, message.version);
    return {
      finish,
      result: {
        channel,
        sas,
        version: message.version,
        transcriptHash: final.toString('hex'),
        peer: { deviceKey: message.deviceKey },
      },
    };
  }
}
