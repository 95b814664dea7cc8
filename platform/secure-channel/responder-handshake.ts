// The agent's side of the end-to-end handshake (responder). See
// docs/protocol.md, "End-to-end channel".
import { AssentError } from '../../protocol/errors';
import { canonicalJson, SIGNING_DOMAINS, type EngineerCertificate } from '../../protocol/identity';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../../protocol/limits';
import {
  FRAME_TYPES,
  HandshakeFinish,
  HandshakeInit,
  type HandshakeResponse,
} from '../../protocol/wire/handshake';
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
import { generateEphemeralKeyPair, sharedSecret } from './key-schedule';
import { transcriptHash } from './transcript';

/** What the responder keeps between its response and the engineer's finish. */
interface PendingResponse {
  readonly th2: Buffer;
  readonly response: Buffer;
  readonly shared: Buffer;
  readonly version: number;
}

/** The agent's side: onInit(init) → send response; onFinish(finish) → result. */
export class ResponderHandshake {
  readonly #deviceKey: SigningKeyPair;
  readonly #verifyEngineer: (cert: unknown) => EngineerCertificate;
  readonly #versions: number[];
  #state: HandshakeState = 'ready';
  #pending: PendingResponse | undefined;

  constructor(opts: {
    deviceKey: SigningKeyPair;
    /** Checks the certificate against the pinned vendor key and revocations (verifyCertificate); throws its AssentError. */
    verifyEngineer: (cert: unknown) => EngineerCertificate;
    versions?: readonly number[];
  }) {
    this.#deviceKey = opts.deviceKey;
    this.#verifyEngineer = opts.verifyEngineer;
    this.#versions = normaliseVersions(opts.versions ?? SUPPORTED_PROTOCOL_VERSIONS);
  }

  /** Answers the engineer's init (0x01) with the signed response (0x02). */
  onInit(frame: Buffer): Buffer {
    if (this.#state !== 'ready') throw outOfOrder('handshake init');
    try {
      const response = this.#onInit(frame);
      this.#state = 'waiting';
      return response;
    } catch (error) {
      this.#state = 'failed';
      throw error;
    }
  }

  /** Verifies the engineer's finish (0x03): certificate and signature; returns the result. */
  onFinish(frame: Buffer): HandshakeResult {
    if (this.#state !== 'waiting') throw outOfOrder('handshake finish');
    try {
      const result = this.#onFinish(frame, this.#pending!);
      this.#state = 'done';
      return result;
    } catch (error) {
      this.#state = 'failed';
      throw error;
    } finally {
      this.#pending?.shared.fill(0);
      this.#pending = undefined;
    }
  }

  #onInit(frame: Buffer): Buffer {
    const { message } = parseHandshakeFrame(
      frame,
      FRAME_TYPES.handshakeInit,
      HandshakeInit,
      'handshake init',
    );
    const version = this.#versions.find((v) => message.versions.includes(v));
    if (version === undefined) {
      throw new AssentError(
        'CHANNEL_VERSION_UNSUPPORTED',
        `The engineer offered protocol versions ${message.versions.join(', ')}; this agent supports ${this.#versions.join(', ')}.`,
      );
    }
    canonicalBytes(message.ephemeral, 32, "engineer's ephemeral key");
    canonicalBytes(message.nonce, 32, "engineer's nonce");
    // The shared secret is computed now, so the ephemeral private key lives
    // only inside this call (forward secrecy) and a degenerate peer key fails early.
    const ephemeral = generateEphemeralKeyPair();
    const shared = sharedSecret(ephemeral, message.ephemeral);
    const body = {
      version,
      ephemeral: ephemeral.publicKey,
      nonce: randomNonce(),
      deviceKey: this.#deviceKey.publicKey,
    };
    const th2 = transcriptHash(undefined, frame, utf8(canonicalJson(body)));
    const signature = signPayload(
      this.#deviceKey.privateKey,
      SIGNING_DOMAINS.handshakeResponder,
      th2.toString('hex'),
    );
    const response = encodeHandshakeFrame(FRAME_TYPES.handshakeResponse, {
      ...body,
      signature,
    } satisfies HandshakeResponse);
    this.#pending = { th2, response, shared, version };
    return response;
  }

  #onFinish(frame: Buffer, pending: PendingResponse): HandshakeResult {
    const { message, raw } = parseHandshakeFrame(
      frame,
      FRAME_TYPES.handshakeFinish,
      HandshakeFinish,
      'handshake finish',
    );
    canonicalBytes(message.signature, 64, "engineer's signature");
    canonicalBytes(message.certificate.signature, 64, "engineer certificate's signature");
    let certificate: EngineerCertificate;
    try {
      certificate = this.#verifyEngineer(raw.certificate);
    } catch (cause) {
      if (cause instanceof AssentError) throw cause;
      throw new AssentError(
        'CHANNEL_PEER_UNTRUSTED',
        "The engineer's certificate could not be verified.",
        { cause },
      );
    }
    const th3 = transcriptHash(
      pending.th2,
      pending.response,
      utf8(canonicalJson(withoutSignature(raw))),
    );
    if (
      !verifyPayload(
        certificate.publicKey,
        SIGNING_DOMAINS.handshakeInitiator,
        th3.toString('hex'),
        message.signature,
      )
    ) {
      throw new AssentError(
        'CHANNEL_PEER_UNTRUSTED',
        "The engineer's handshake signature does not verify: the handshake was altered in transit or the peer does not hold the certified key.",
      );
    }
    const final = transcriptHash(th3, frame);
    const { channel, sas } = finishKeys('responder', pending.shared, final, pending.version);
    return {
      channel,
      sas,
      version: pending.version,
      transcriptHash: final.toString('hex'),
      peer: { certificate },
    };
  }
}
