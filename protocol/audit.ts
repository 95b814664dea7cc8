// The local audit log (DESIGN.md "Audit", issue 2): one JSON record a line,
// each carrying the hash of the one before. These schemas are the record
// format, the data of the event types the session summary reads, and the
// signed session summary. `type` stays an open string and `data` an open JSON
// record, so every part can add its own event types without editing this file.
import { z } from 'zod';
import { PublicKey32, Signature64 } from './identity';

/** prevHash of the first record. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);
/** Strings in `data` longer than this are refused (records hold digests, never contents). */
export const MAX_AUDIT_STRING_CHARS = 4096;
/** A whole record line longer than this is refused when written and invalid when read. */
export const MAX_AUDIT_LINE_BYTES = 64 * 1024;

/** Who caused an event. */
export const AUDIT_ACTORS = ['approver', 'engineer', 'agent', 'admin', 'system'] as const;
export const AuditActor = z.enum(AUDIT_ACTORS);
export type AuditActor = z.infer<typeof AuditActor>;

/** An event type: dotted lower-case words, e.g. `session.accepted`, `file.read` (and plain `chat`). */
export const AuditEventType = z
  .string()
  .max(64)
  .regex(/^(chat|[a-z]+(\.[a-z-]+)+)$/, 'dotted lower-case words such as session.accepted');
export type AuditEventType = z.infer<typeof AuditEventType>;

/** Small JSON data of a record: digests, sizes, ids, outcomes. */
export const AuditData = z.record(z.string(), z.json());
export type AuditData = z.infer<typeof AuditData>;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256');

/** What a caller appends; the log adds seq, time and the hashes. */
export const AuditEvent = z.object({
  type: AuditEventType,
  sessionId: z.string().min(1).max(64).optional(),
  actor: AuditActor.optional(),
  data: AuditData,
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** One line of the log. `hash` = sha256(canonicalJson(record without hash)). */
export const AuditRecord = z.strictObject({
  seq: z.number().int().positive(),
  time: z.iso.datetime(),
  prevHash: Sha256Hex,
  hash: Sha256Hex,
  type: AuditEventType,
  sessionId: z.string().min(1).max(64).optional(),
  actor: AuditActor.optional(),
  data: AuditData,
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** The engineer as recorded once the handshake verified them. */
export const AuditEngineer = z.object({
  name: z.string().max(200),
  email: z.string().max(320),
  fingerprint: z.string().max(128),
  vendor: z.string().max(200).optional(),
});
export type AuditEngineer = z.infer<typeof AuditEngineer>;

/**
 * The engineer as the session records name them: an AuditEngineer object, or
 * flat fields (`engineer` the name, beside `email` and `fingerprint`).
 */
const EngineerFields = {
  engineer: z
    .union([AuditEngineer, z.string().max(200)])
    .nullable()
    .optional(),
  email: z.string().max(320).nullable().optional(),
  fingerprint: z.string().max(128).nullable().optional(),
};
const Ticket = z.string().max(200).nullable().optional();

/**
 * Data of the event types the session summary reads. Objects are loose:
 * callers may add fields; the fields listed here must have these shapes.
 */
export const KNOWN_AUDIT_DATA = {
  'session.handshake': z.looseObject({ ...EngineerFields }),
  'session.requested': z.looseObject({ ...EngineerFields, ticket: Ticket }),
  'session.accepted': z.looseObject({ ...EngineerFields, ticket: Ticket }),
  'session.resumed': z.looseObject({ ...EngineerFields }),
  /** Length and (better) digest of the text; the text itself is refused. */
  chat: z.looseObject({
    length: z.number().int().nonnegative(),
    digest: Sha256Hex.optional(),
    text: z.never().optional(),
  }),
  'action.requested': z.looseObject({ kind: z.string().max(64) }),
  'action.decided': z.looseObject({ allowed: z.boolean() }),
  'action.error': z.looseObject({ code: z.string().max(64) }),
} as const satisfies Record<string, z.ZodType>;

/** Known event types with a one-line meaning (docs/protocol.md lists the same). */
export const KNOWN_AUDIT_EVENT_TYPES = {
  'session.code-issued': 'The agent obtained a session code from the relay (digest, expiry).',
  'session.handshake': 'The key exchange completed; data.engineer is the verified engineer.',
  'session.requested': 'The engineer asked for the session (engineer, ticket, reason).',
  'session.accepted': 'The approver accepted the session.',
  'session.refused': 'The approver refused the session, or did not answer in time.',
  'session.resumed': 'A dropped session resumed with the same engineer key.',
  'session.ended': 'The session ended (by whom, why).',
  'session.summary': 'The signed session summary (data is a SignedSessionSummary).',
  chat: 'A chat message: who sent it, length and digest, never the text.',
  'action.requested': 'The engineer asked for an action (kind, digest).',
  'action.decided': 'The action was allowed or denied (allowed, basis).',
  'action.result': 'The action ran (digests and sizes of data read or written).',
  'action.error': 'The action failed (code).',
  'audit.recovered': 'A torn last line from a crash was moved aside on open (file, bytes, digest).',
} as const;

/** Action counts of one session. */
export const SessionCounts = z.object({
  requested: z.number().int().nonnegative(),
  allowed: z.number().int().nonnegative(),
  denied: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  byKind: z.record(z.string(), z.number().int().nonnegative()),
});
export type SessionCounts = z.infer<typeof SessionCounts>;

/** The itemized usage of one session, computed from its records. */
export const SessionSummary = z.strictObject({
  sessionId: z.string().min(1).max(64),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  durationMs: z.number().int().nonnegative(),
  /** Null when no record of the session names the engineer. */
  engineer: AuditEngineer.nullable(),
  ticket: z.string().max(200).optional(),
  /** True when the approver accepted the session (only accepted sessions are billed). */
  accepted: z.boolean(),
  /** True when a session.ended record closes the session. */
  ended: z.boolean(),
  counts: SessionCounts,
  chatMessages: z.number().int().nonnegative(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

/** A session summary signed by the device key. `log` anchors the chain: the last record before it. */
export const SignedSessionSummaryBody = z.strictObject({
  kind: z.literal('assent-session-summary'),
  v: z.literal(1),
  summary: SessionSummary,
  log: z.strictObject({ seq: z.number().int().nonnegative(), hash: Sha256Hex }),
  devicePublicKey: PublicKey32,
});
export type SignedSessionSummaryBody = z.infer<typeof SignedSessionSummaryBody>;

export const SignedSessionSummary = SignedSessionSummaryBody.extend({ signature: Signature64 });
export type SignedSessionSummary = z.infer<typeof SignedSessionSummary>;
