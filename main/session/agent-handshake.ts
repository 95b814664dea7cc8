// The agent's side of the key exchange with one engineer: answers the
// engineer's init, checks the finish against the pinned vendor key and the
// revocation list, and, on resume, insists on the engineer key that was
// approved before.
import { AssentError } from '../../protocol/errors';
import type { EngineerCertificate, RevocationList } from '../../protocol/identity';
import { FRAME_TYPES } from '../../protocol/wire/handshake';
import { verifyCertificate } from '../../platform/credentials';
import { ResponderHandshake, type SecureChannel } from '../../platform/secure-channel';
import { keyFingerprint, type SigningKeyPair } from '../../platform/signing';
import type { VerifiedEngineer } from './peer-link';

/** What a completed exchange yields. */
export interface EngineerHandshakeOutcome {
  readonly channel: SecureChannel;
  readonly engineer: VerifiedEngineer;
  readonly sas: string;
  readonly version: number;
  readonly transcriptHash: string;
}

/** The engineer as the agent shows and audits them, from a verified certificate. */
export function verifiedEngineer(certificate: EngineerCertificate): VerifiedEngineer {
  return {
    name: certificate.name,
    email: certificate.email,
    vendor: certificate.vendor,
    roles: certificate.roles,
    publicKey: certificate.publicKey,
    fingerprint: keyFingerprint(certificate.publicKey),
    serial: certificate.serial,
  };
}

/** One key exchange as responder. Feed it the handshake frames in order. */
export class AgentHandshake {
  private readonly responder: ResponderHandshake;

  constructor(options: {
    deviceKey: SigningKeyPair;
    vendorPublicKey: string;
    revocations: RevocationList | undefined;
    now: number;
    /** On resume: the engineer key that was approved; any other key is refused. */
    previousEngineerKey?: string | undefined;
  }) {
    this.responder = new ResponderHandshake({
      deviceKey: options.deviceKey,
      verifyEngineer: (certificate: unknown): EngineerCertificate => {
        const verified = verifyCertificate(certificate, options.vendorPublicKey, {
          revocations: options.revocations,
          now: new Date(options.now),
        });
        if (options.previousEngineerKey && verified.publicKey !== options.previousEngineerKey) {
          throw new AssentError(
            'SESSION_RESUME_REJECTED',
            'A different engineer key tried to resume the session.',
          );
        }
        return verified;
      },
    });
  }

  /** Handles one frame: a reply to send, or the outcome. Throws an AssentError on any fault. */
  onFrame(frame: Buffer): { reply: Buffer } | { done: EngineerHandshakeOutcome } {
    switch (frame[0]) {
      case FRAME_TYPES.handshakeInit:
        return { reply: this.responder.onInit(frame) };
      case FRAME_TYPES.handshakeFinish: {
        const result = this.responder.onFinish(frame);
        if (!('certificate' in result.peer)) throw new AssentError('CHANNEL_HANDSHAKE_FAILED');
        return {
          done: {
            channel: result.channel,
            engineer: verifiedEngineer(result.peer.certificate),
            sas: result.sas,
            version: result.version,
            transcriptHash: result.transcriptHash,
          },
        };
      }
      default:
        throw new AssentError(
          'CHANNEL_HANDSHAKE_FAILED',
          'A frame arrived that is not part of the key exchange.',
        );
    }
  }
}
