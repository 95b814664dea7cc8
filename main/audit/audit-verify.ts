// `audit verify`: walks the whole chain once and reports the first record
// that does not hold. A hash chain alone cannot see a suffix rewritten by
// someone who recomputes every later hash, nor whole records cut off the end;
// the signed session summaries anchor (seq, hash) points that catch both.
import { AUDIT_GENESIS_HASH } from '../../protocol/audit';
import { readAuditLineBatches } from './audit-reader';
import { checkRecordLine } from './audit-record';

/** A point of the chain vouched for elsewhere (a signed session summary). */
export interface AuditAnchor {
  readonly seq: number;
  readonly hash: string;
  /** Where the anchor comes from, for the message. */
  readonly source: string;
}

export type AuditVerifyResult =
  | { ok: true; count: number; lastHash: string }
  | {
      ok: false;
      /** Records that verified before the broken one. */
      count: number;
      /** Line number, which is also the seq the record there must carry. */
      brokenAt: number;
      reason: string;
      code: 'AUDIT_CHAIN_BROKEN' | 'AUDIT_RECORD_INVALID';
    };

/** Checks JSON, schema, seq continuity, prevHash links, each hash and the given anchors. */
export async function verifyAuditLog(
  file: string,
  options: { anchors?: readonly AuditAnchor[] } = {},
): Promise<AuditVerifyResult> {
  const anchors = new Map<number, AuditAnchor>();
  for (const anchor of options.anchors ?? []) if (anchor.seq > 0) anchors.set(anchor.seq, anchor);
  let count = 0;
  let lastHash = AUDIT_GENESIS_HASH;
  const broken = (
    brokenAt: number,
    code: 'AUDIT_CHAIN_BROKEN' | 'AUDIT_RECORD_INVALID',
    reason: string,
  ): AuditVerifyResult => ({ ok: false, count, brokenAt, code, reason });

  for await (const batch of readAuditLineBatches(file))
    for (const line of batch) {
      const at = line.lineNo;
      if (line.oversized)
        return broken(at, 'AUDIT_RECORD_INVALID', 'line is longer than any record');
      if (!line.terminated)
        return broken(
          at,
          'AUDIT_RECORD_INVALID',
          'last line is incomplete (torn write or truncated)',
        );
      const checked = checkRecordLine(line.text);
      if (!checked.ok) return broken(at, checked.code, checked.reason);
      const { record } = checked;
      if (record.seq !== at)
        return broken(
          at,
          'AUDIT_CHAIN_BROKEN',
          `sequence number is ${record.seq}, expected ${at} (a record was removed, inserted or moved)`,
        );
      if (record.prevHash !== lastHash)
        return broken(at, 'AUDIT_CHAIN_BROKEN', 'prevHash does not match the previous record');
      const anchor = anchors.get(at);
      if (anchor && anchor.hash !== record.hash)
        return broken(
          at,
          'AUDIT_CHAIN_BROKEN',
          `record differs from the one ${anchor.source} vouches for`,
        );
      count += 1;
      lastHash = record.hash;
    }
  const beyond = [...anchors.values()]
    .filter((a) => a.seq > count)
    .sort((a, b) => a.seq - b.seq)[0];
  if (beyond)
    return broken(
      count + 1,
      'AUDIT_CHAIN_BROKEN',
      `the log ends at record ${count} but ${beyond.source} vouches for record ${beyond.seq} (records were cut off)`,
    );
  return { ok: true, count, lastHash };
}
