// Session messages inside the end-to-end channel (JSON plaintexts). Every
// decrypted message is validated against `ChannelMessage` (messages.ts)
// before anything acts on it.
import { z } from 'zod';
import { MAX_CHAT_CHARS, MAX_REASON_CHARS, MAX_TICKET_CHARS } from '../limits';

const ErrorBody = { code: z.string().max(64), message: z.string().max(2000) };

/** The ground rules as both sides see them at session start. */
export const RulesDigest = z.object({
  fingerprint: z.string().max(128),
  summary: z.array(z.string().max(500)).max(100),
});
export type RulesDigest = z.infer<typeof RulesDigest>;

/** Engineer -> agent, first message after the handshake: why they are here. */
export const SessionHello = z.object({
  type: z.literal('session.hello'),
  reason: z.string().max(MAX_REASON_CHARS).optional(),
  ticket: z.string().max(MAX_TICKET_CHARS).optional(),
  /** True when this handshake resumes a session that was approved before the drop. */
  resuming: z.boolean(),
});

/** Agent -> engineer: the request is shown to the approver; waiting for a decision. */
export const SessionPending = z.object({
  type: z.literal('session.pending'),
  ticket: z.string().max(MAX_TICKET_CHARS).optional(),
  description: z.string().max(MAX_REASON_CHARS).optional(),
  /** Since when the problem occurs, as the approver wrote it. */
  since: z.string().max(MAX_TICKET_CHARS).optional(),
  /** What the customer tried already. */
  tried: z.string().max(MAX_REASON_CHARS).optional(),
  rules: RulesDigest.optional(),
  decideBy: z.number().int(),
});

/** Agent -> engineer: the approver accepted; actions may be requested. */
export const SessionAccepted = z.object({
  type: z.literal('session.accepted'),
  sessionId: z.string().max(64),
  resumed: z.boolean(),
  rules: RulesDigest.optional(),
  endsBy: z.number().int().optional(),
});

/** Agent -> engineer: the approver refused, or did not answer in time. */
export const SessionRefused = z.object({ type: z.literal('session.refused'), ...ErrorBody });

/** Either side: end the session for good. */
export const SessionEnd = z.object({
  type: z.literal('session.end'),
  by: z.enum(['agent', 'engineer']),
  reason: z.string().max(MAX_REASON_CHARS).optional(),
});

/** Either side: chat (not consent-gated). */
export const ChatMessage = z.object({
  type: z.literal('chat'),
  id: z.string().max(64),
  text: z.string().min(1).max(MAX_CHAT_CHARS),
  sentAt: z.number().int(),
});

/** Either side: an error about a message (with the request it answers, if any). */
export const PeerError = z.object({
  type: z.literal('error'),
  requestId: z.string().max(64).optional(),
  ...ErrorBody,
});

export const SESSION_MESSAGES = [
  SessionHello,
  SessionPending,
  SessionAccepted,
  SessionRefused,
  SessionEnd,
  ChatMessage,
  PeerError,
] as const;
