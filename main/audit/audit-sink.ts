// What the parts that write audit records need of the log: the one method.
// Depend on this rather than on AuditLog, so a part's tests can hand it a
// real AuditLog without the part knowing how the log is kept.
import type { AuditEvent, AuditRecord } from '../../protocol/audit';

/** Appends one event; resolves once it is on disk, throws AUDIT_WRITE_FAILED when it cannot be. */
export interface AuditSink {
  append(event: AuditEvent): Promise<AuditRecord>;
  /** Appends several events in order, all or none; resolves once all are on disk. */
  appendAll(events: readonly AuditEvent[]): Promise<AuditRecord[]>;
}
