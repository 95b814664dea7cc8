// Session summaries: the itemized usage of one session, computed from its
// audit records and signed by the device key, from which the monthly report
// is made (DESIGN.md "Audit").
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  AUDIT_GENESIS_HASH,
  AuditEngineer,
  KNOWN_AUDIT_DATA,
  SessionSummary,
  SignedSessionSummary,
  type AuditRecord,
  type SignedSessionSummaryBody,
} from '../../protocol/audit';
import { SIGNING_DOMAINS } from '../../protocol/identity';
import { rawPublicKey, signPayload, verifyPayload } from '../../platform/signing';

/** Accumulates the records of one session, one at a time (reports never hold the whole log). */
export class SessionTally {
  private start: string | null = null;
  private last: string | null = null;
  private acceptedAt: string | null = null;
  private endedAt: string | null = null;
  private engineer: AuditEngineer | null = null;
  private ticket: string | undefined;
  private chat = 0;
  private readonly counts = {
    requested: 0,
    allowed: 0,
    denied: 0,
    failed: 0,
    byKind: {} as Record<string, number>,
  };

  constructor(readonly sessionId: string) {}

  /** Takes one record; records of other sessions and summaries are ignored. */
  add(record: AuditRecord): void {
    if (record.sessionId !== this.sessionId || record.type === 'session.summary') return;
    this.start ??= record.time;
    this.last = record.time;
    const data = record.data as Record<string, unknown>;
    switch (record.type) {
      case 'session.handshake':
      case 'session.requested':
      case 'session.accepted':
      case 'session.resumed': {
        this.takeEngineer(data);
        if (typeof data.ticket === 'string' && data.ticket !== '' && this.ticket === undefined)
          this.ticket = data.ticket;
        if (record.type === 'session.accepted') this.acceptedAt ??= record.time;
        break;
      }
      case 'session.ended':
        this.endedAt ??= record.time;
        break;
      case 'chat':
        this.chat += 1;
        break;
      case 'action.requested': {
        const parsed = KNOWN_AUDIT_DATA['action.requested'].safeParse(data);
        this.counts.requested += 1;
        const kind = parsed.success ? parsed.data.kind : 'unknown';
        this.counts.byKind[kind] = (this.counts.byKind[kind] ?? 0) + 1;
        break;
      }
      case 'action.decided':
        if (data.allowed === true) this.counts.allowed += 1;
        else if (data.allowed === false) this.counts.denied += 1;
        break;
      case 'action.error':
        this.counts.failed += 1;
        break;
    }
  }

  /** The first complete engineer (with an email) wins; a name and fingerprint alone is kept until then. */
  private takeEngineer(data: Record<string, unknown>): void {
    if (this.engineer?.email) return;
    const full = AuditEngineer.safeParse(data.engineer);
    const flat = AuditEngineer.safeParse({
      name: typeof data.engineer === 'string' ? data.engineer : (this.engineer?.name ?? ''),
      email: typeof data.email === 'string' ? data.email : '',
      fingerprint: data.fingerprint,
    });
    const found = full.success ? full.data : flat.success ? flat.data : null;
    if (found && (!this.engineer || found.email)) this.engineer = found;
  }

  /** True once any record of the session was added. */
  get seen(): boolean {
    return this.start !== null;
  }

  /**
   * The summary so far. Billed time runs from acceptance (or the first record,
   * for a session never accepted) to the end record (or the last record, for
   * a session a crash cut short).
   */
  summary(): SessionSummary {
    if (this.start === null || this.last === null)
      throw new TypeError(`no audit records for session ${this.sessionId}`);
    const start = this.acceptedAt ?? this.start;
    const end = this.endedAt ?? this.last;
    const durationMs = Math.max(0, Date.parse(end) - Date.parse(start));
    return SessionSummary.parse({
      sessionId: this.sessionId,
      start,
      end: durationMs === 0 ? start : end,
      durationMs,
      engineer: this.engineer,
      ...(this.ticket === undefined ? {} : { ticket: this.ticket }),
      accepted: this.acceptedAt !== null,
      ended: this.endedAt !== null,
      counts: { ...this.counts, byKind: { ...this.counts.byKind } },
      chatMessages: this.chat,
    });
  }
}

/** The summary of `sessionId` computed from `records` (any order of sessions, chain order within). */
export function buildSessionSummary(
  records: Iterable<AuditRecord>,
  sessionId: string,
): SessionSummary {
  const tally = new SessionTally(sessionId);
  for (const record of records) tally.add(record);
  return tally.summary();
}

/**
 * Signs a summary with the device key. `log` is the last record before the
 * summary record (AuditLog.summarizeSession passes it); without it the
 * summary anchors nothing (seq 0).
 */
export function signSessionSummary(
  summary: SessionSummary,
  deviceKey: KeyObject,
  log: { seq: number; hash: string } = { seq: 0, hash: AUDIT_GENESIS_HASH },
): SignedSessionSummary {
  const body: SignedSessionSummaryBody = {
    kind: 'assent-session-summary',
    v: 1,
    summary: SessionSummary.parse(summary),
    log: { seq: log.seq, hash: log.hash },
    devicePublicKey: rawPublicKey(createPublicKey(deviceKey)),
  };
  return { ...body, signature: signPayload(deviceKey, SIGNING_DOMAINS.sessionSummary, body) };
}

/** True when `signed` is a well-formed summary signed by `devicePublicKey` (raw base64url or KeyObject). */
export function verifySessionSummary(
  signed: unknown,
  devicePublicKey: string | KeyObject,
): signed is SignedSessionSummary {
  const parsed = SignedSessionSummary.safeParse(signed);
  if (!parsed.success) return false;
  const { signature, ...body } = parsed.data;
  const expected =
    typeof devicePublicKey === 'string'
      ? devicePublicKey
      : rawPublicKey(
          devicePublicKey.type === 'public' ? devicePublicKey : createPublicKey(devicePublicKey),
        );
  if (body.devicePublicKey !== expected) return false;
  return verifyPayload(expected, SIGNING_DOMAINS.sessionSummary, body, signature);
}
