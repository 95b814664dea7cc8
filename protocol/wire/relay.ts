// The relay's own protocol: authentication headers at the HTTP upgrade, and
// the JSON control messages it exchanges with each peer as WebSocket *text*
// frames. Session content travels only as *binary* frames, which the relay
// forwards without parsing (it cannot read them: they are end-to-end
// encrypted between agent and engineer).
import { z } from 'zod';
import { EngineerCertificate, PublicKey32, RevocationList, Signature64 } from '../identity';

export const RELAY_PATHS = { agent: '/v1/agent', engineer: '/v1/engineer' } as const;

/** Upgrade request headers (lower case, as Node presents them). */
export const AUTH_HEADERS = {
  /** Agent: its device public key. */
  deviceKey: 'x-assent-device-key',
  /** Engineer: the base64url canonical JSON of its certificate. */
  certificate: 'x-assent-certificate',
  /** Milliseconds since the epoch, decimal. */
  time: 'x-assent-time',
  /** 16 random bytes, base64url; a proof is accepted once. */
  nonce: 'x-assent-nonce',
  /** Ed25519 signature over `relayAuthPayload(...)`. */
  signature: 'x-assent-signature',
  /** Engineer: the session code to join. */
  sessionCode: 'x-assent-session-code',
  /** Either side: a resume token to rejoin a dropped pairing. */
  resume: 'x-assent-resume',
} as const;

export const RelayRole = z.enum(['agent', 'engineer']);
export type RelayRole = z.infer<typeof RelayRole>;

export const Nonce16 = z.string().regex(/^[A-Za-z0-9_-]{22}$/, '16 bytes in base64url');

/** The fields of an upgrade proof; signed as canonical JSON under the relayAuth domain. */
export const RelayAuthPayload = z.object({
  role: RelayRole,
  path: z.string(),
  key: PublicKey32,
  time: z.number().int(),
  nonce: Nonce16,
  /** The code or resume token, so a proof cannot be moved to another session. */
  target: z.string().max(200),
});
export type RelayAuthPayload = z.infer<typeof RelayAuthPayload>;

export const SessionCode = z.string().regex(/^[0-9]{10}$/, 'a 10-digit session code');
export const ResumeToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, '32 bytes in base64url');

const ErrorBody = { code: z.string(), message: z.string().max(1000) };

/** Peer descriptions the relay passes on (what it verified at the upgrade; still re-verified end to end). */
export const PeerInfo = z.discriminatedUnion('role', [
  z.object({ role: z.literal('agent'), deviceKey: PublicKey32 }),
  z.object({ role: z.literal('engineer'), certificate: EngineerCertificate }),
]);
export type PeerInfo = z.infer<typeof PeerInfo>;

/** Control messages from the relay to a peer. */
export const RelayToPeer = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('welcome'),
    relay: z.string().max(100),
    revocations: RevocationList.optional(),
  }),
  z.object({ t: z.literal('code'), code: SessionCode, expiresAt: z.number().int() }),
  z.object({ t: z.literal('code-burned') }),
  z.object({ t: z.literal('code-expired') }),
  z.object({
    t: z.literal('paired'),
    pairId: z.string().max(64),
    resumeToken: ResumeToken,
    peer: PeerInfo,
  }),
  z.object({ t: z.literal('peer-away'), graceMs: z.number().int().nonnegative() }),
  z.object({ t: z.literal('peer-left'), ...ErrorBody }),
  z.object({ t: z.literal('error'), ...ErrorBody }),
]);
export type RelayToPeer = z.infer<typeof RelayToPeer>;

/** Control messages from a peer to the relay. */
export const PeerToRelay = z.discriminatedUnion('t', [
  /** Agent: issue a fresh code (the old one, if any, is withdrawn). */
  z.object({ t: z.literal('new-code') }),
  /** Either: leave for good; the other side is told at once (no grace period). */
  z.object({ t: z.literal('leave') }),
]);
export type PeerToRelay = z.infer<typeof PeerToRelay>;

export { Signature64 };
