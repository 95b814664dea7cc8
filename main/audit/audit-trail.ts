// The whole audit trail of a data directory checked at once: the hash chain,
// the chain points the signed summary files vouch for, and (given the device
// key) their signatures. What `assent-agent audit verify` and the desktop
// history view report.
import type { KeyObject } from 'node:crypto';
import { auditLogPath } from './audit-log';
import { verifyAuditLog, type AuditVerifyResult } from './audit-verify';
import { verifySessionSummary } from './session-summary';
import { readSummaryFiles, summaryAnchors } from './summary-files';

/** The chain result, or the first summary file that does not hold. */
export type AuditTrailResult =
  | AuditVerifyResult
  | {
      ok: false;
      count: number;
      /** The summary file (`<sessionId>.json`) that does not hold. */
      summaryFile: string;
      reason: string;
      code: 'AUDIT_RECORD_INVALID' | 'AUDIT_SUMMARY_INVALID';
    };

/** Verifies the log of `dataDir` against its summary files; signatures too when the device key is given. */
export async function verifyAuditTrail(
  dataDir: string,
  devicePublicKey?: string | KeyObject,
): Promise<AuditTrailResult> {
  const files = await readSummaryFiles(dataDir);
  const chain = await verifyAuditLog(auditLogPath(dataDir), { anchors: summaryAnchors(files) });
  if (!chain.ok) return chain;
  for (const file of files) {
    if (!file.ok)
      return {
        ok: false,
        count: chain.count,
        summaryFile: file.name,
        reason: file.reason,
        code: 'AUDIT_RECORD_INVALID',
      };
    if (devicePublicKey !== undefined && !verifySessionSummary(file.record.data, devicePublicKey))
      return {
        ok: false,
        count: chain.count,
        summaryFile: file.name,
        reason: 'its signature does not verify against the device key',
        code: 'AUDIT_SUMMARY_INVALID',
      };
  }
  return chain;
}
