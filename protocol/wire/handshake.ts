// The end-to-end handshake messages, sent as binary frames through the relay
// before any encrypted frame. The construction is described in
// docs/protocol.md ("End-to-end channel").
import { z } from 'zod';
import { EngineerCertificate, PublicKey32, Signature64 } from '../identity';

/** First byte of every binary frame on a paired connection. */
export const FRAME_TYPES = {
  /** Engineer -> agent: versions offered, ephemeral key, nonce. */
  handshakeInit: 0x01,
  /** Agent -> engineer: chosen version, ephemeral key, nonce, device key, signature. */
  handshakeResponse: 0x02,
  /** Engineer -> agent: certificate, signature. */
  handshakeFinish: 0x03,
  /** Either: encrypted application data. */
  data: 0x17,
} as const;

export const Nonce32 = z.string().regex(/^[A-Za-z0-9_-]{43}$/, '32 bytes in base64url');

export const HandshakeInit = z.object({
  proto: z.literal('assent'),
  versions: z.array(z.number().int().positive()).min(1).max(16),
  ephemeral: PublicKey32,
  nonce: Nonce32,
});
export type HandshakeInit = z.infer<typeof HandshakeInit>;

export const HandshakeResponse = z.object({
  version: z.number().int().positive(),
  ephemeral: PublicKey32,
  nonce: Nonce32,
  deviceKey: PublicKey32,
  signature: Signature64,
});
export type HandshakeResponse = z.infer<typeof HandshakeResponse>;

export const HandshakeFinish = z.object({
  certificate: EngineerCertificate,
  signature: Signature64,
});
export type HandshakeFinish = z.infer<typeof HandshakeFinish>;

/** First byte of a decrypted plaintext: what the rest is. */
export const PLAINTEXT_KINDS = {
  /** UTF-8 JSON application message (see messages.ts). */
  json: 0x01,
  /** Bulk data: u32 big-endian stream id, then bytes. */
  stream: 0x02,
  /** Authenticated end of the channel; nothing may follow. */
  close: 0x03,
} as const;
