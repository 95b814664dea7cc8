// History and billing from the audit log: past sessions with their signed
// summaries, and the itemized monthly usage the vendor bills from.
import type { KeyObject } from 'node:crypto';
import type { SessionSummary, SignedSessionSummary } from '../../protocol/audit';
import { canonicalJson } from '../../protocol/identity';
import { readAuditRecords } from './audit-reader';
import { SessionTally, verifySessionSummary } from './session-summary';

/** The state of a session's signed summary. */
export type SummarySignature =
  /** Present and signed by the given device key. */
  | 'valid'
  /** Present but not signed by the given device key (or malformed). */
  | 'invalid'
  /** The session has no summary record (it was cut short, or is still running). */
  | 'missing'
  /** Present, but no device key was given to check it against. */
  | 'unchecked';

/** One past session. */
export interface SessionHistoryEntry {
  readonly sessionId: string;
  /** The signed summary when there is one (and it is not signed by another key), otherwise the one computed from the records. */
  readonly summary: SessionSummary;
  readonly signature: SummarySignature;
  /** Whether the signed summary equals the one computed from the records before it; null without one. */
  readonly matchesRecords: boolean | null;
}

interface SessionState {
  readonly tally: SessionTally;
  signed: SignedSessionSummary | null;
  signatureValid: boolean | null;
  matchesRecords: boolean | null;
}

/**
 * Every session in the log, oldest first. Reads the log once, holding one
 * tally per session, never the records; stops at the first invalid record
 * (run verifyAuditLog to see why).
 */
export async function listSessions(
  file: string,
  devicePublicKey?: string | KeyObject,
): Promise<SessionHistoryEntry[]> {
  const sessions = new Map<string, SessionState>();
  for await (const record of readAuditRecords(file)) {
    if (record.sessionId === undefined) continue;
    let state = sessions.get(record.sessionId);
    if (!state) {
      state = {
        tally: new SessionTally(record.sessionId),
        signed: null,
        signatureValid: null,
        matchesRecords: null,
      };
      sessions.set(record.sessionId, state);
    }
    if (record.type !== 'session.summary') {
      state.tally.add(record);
      continue;
    }
    const signed = record.data as unknown as SignedSessionSummary;
    const wellFormed =
      verifySessionSummary(signed, signed?.devicePublicKey ?? '') &&
      signed.summary.sessionId === record.sessionId;
    state.signed = wellFormed ? signed : null;
    state.signatureValid = !wellFormed
      ? false
      : devicePublicKey === undefined
        ? null
        : verifySessionSummary(signed, devicePublicKey);
    state.matchesRecords =
      wellFormed && state.tally.seen
        ? canonicalJson(state.tally.summary()) === canonicalJson(signed.summary)
        : false;
  }
  const entries: SessionHistoryEntry[] = [];
  for (const [sessionId, state] of sessions) {
    if (!state.tally.seen && !state.signed) continue;
    // A summary signed by another key is reported as such, and billed from the records.
    const summary =
      state.signed && (state.signatureValid !== false || !state.tally.seen)
        ? state.signed.summary
        : state.tally.summary();
    const signature: SummarySignature =
      state.signatureValid === false
        ? 'invalid'
        : state.signed === null
          ? 'missing'
          : state.signatureValid === null
            ? 'unchecked'
            : 'valid';
    entries.push({ sessionId, summary, signature, matchesRecords: state.matchesRecords });
  }
  return entries.sort((a, b) => Date.parse(a.summary.start) - Date.parse(b.summary.start));
}

/** One line of the monthly usage report. */
export interface MonthlyReportRow {
  readonly sessionId: string;
  readonly start: string;
  readonly end: string;
  /** Started minutes (rounded up), as billed. */
  readonly durationMinutes: number;
  readonly engineer: string;
  readonly engineerEmail: string;
  readonly engineerFingerprint: string;
  readonly ticket: string;
  readonly actionsRequested: number;
  readonly actionsAllowed: number;
  readonly actionsDenied: number;
  readonly actionsFailed: number;
  readonly summarySignature: SummarySignature;
}

/** Accepted sessions that started in the given UTC month, oldest first. */
export async function monthlyReport(
  file: string,
  options: { year: number; month: number; devicePublicKey?: string | KeyObject },
): Promise<MonthlyReportRow[]> {
  const { year, month } = options;
  if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12)
    throw new RangeError(`monthlyReport: bad month ${year}-${month}`);
  const from = Date.UTC(year, month - 1, 1);
  const to = Date.UTC(year, month, 1);
  const sessions = await listSessions(file, options.devicePublicKey);
  return sessions
    .filter(({ summary }) => {
      const start = Date.parse(summary.start);
      return summary.accepted && start >= from && start < to;
    })
    .map(({ sessionId, summary, signature }) => ({
      sessionId,
      start: summary.start,
      end: summary.end,
      durationMinutes: Math.ceil(summary.durationMs / 60_000),
      engineer: summary.engineer?.name ?? '',
      engineerEmail: summary.engineer?.email ?? '',
      engineerFingerprint: summary.engineer?.fingerprint ?? '',
      ticket: summary.ticket ?? '',
      actionsRequested: summary.counts.requested,
      actionsAllowed: summary.counts.allowed,
      actionsDenied: summary.counts.denied,
      actionsFailed: summary.counts.failed,
      summarySignature: signature,
    }));
}
