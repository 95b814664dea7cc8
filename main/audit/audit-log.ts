// The agent's append-only, hash-chained audit log (DESIGN.md "Audit", issue 2).
// An action is audited before it runs: callers await append() and refuse the
// action when it throws AUDIT_WRITE_FAILED.
import type { KeyObject } from 'node:crypto';
import { constants, fdatasyncSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent, AuditRecord, SignedSessionSummary } from '../../protocol/audit';
import { AssentError, isAssentError } from '../../protocol/errors';
import { readAuditRecords } from './audit-reader';
import { lockAuditLog, type AuditLock } from './audit-lock';
import type { AuditSink } from './audit-sink';
import { assertAuditEvent, sealRecord } from './audit-record';
import { moveTornLine, readAuditTail, syncDirectory, type MovedTornLine } from './audit-tail';
import { SpaceAhead } from './space-ahead';
import { SessionTally, signSessionSummary } from './session-summary';
import { assertSummaryFileId, writeSummaryFile } from './summary-files';

/** Options of AuditLog.open, with their defaults. */
export interface AuditLogOptions {
  /**
   * Synchronous durability (default true): every append resolves only once
   * the record is on disk (fdatasync semantics). False only where a crash may
   * lose the last records (benchmarks of the bare write path).
   */
  readonly durable?: boolean;
  /** Clock for record times (tests inject one). */
  readonly now?: () => Date;
}

/** Path of the log inside an agent data directory. */
export function auditLogPath(dataDir: string): string {
  return join(dataDir, 'audit', 'audit.jsonl');
}

/** The audit log of one agent data directory; one instance (one process) appends at a time. */
export class AuditLog implements AuditSink {
  private queue: Promise<unknown> = Promise.resolve();
  private poisoned: unknown = null;
  private closed = false;

  private constructor(
    readonly dataDir: string,
    readonly file: string,
    private readonly handle: FileHandle,
    private seq: number,
    private hash: string,
    private size: number,
    /** Space written ahead of the records (none for a file that is not regular, or not durable). */
    private readonly ahead: SpaceAhead,
    /** True where O_DSYNC is not available: fdatasync after each write. */
    private readonly syncAfterWrite: boolean,
    private readonly now: () => Date,
    /** The torn last line moved aside when this log was opened, if there was one. */
    readonly recovered: MovedTornLine | null,
    private readonly lock: AuditLock,
  ) {}

  /**
   * Opens (creating it 0600 in a 0700 directory) `<dataDir>/audit/audit.jsonl`,
   * continues its chain, and moves a torn last line aside, recording that.
   */
  static async open(dataDir: string, options: AuditLogOptions = {}): Promise<AuditLog> {
    const now = options.now ?? (() => new Date());
    const dir = join(dataDir, 'audit');
    const file = auditLogPath(dataDir);
    let handle: FileHandle | undefined;
    let lock: AuditLock | undefined;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      lock = await lockAuditLog(file);
      const durable = options.durable ?? true;
      // O_DSYNC makes each write return only once its data is on disk: the
      // guarantee of write + fdatasync in one system call (about half the
      // latency, measured in bench/audit.ts). Not O_APPEND: records are
      // written at their offset, over space written ahead (space-ahead.ts).
      const dsync = durable ? (constants.O_DSYNC ?? 0) : 0;
      handle = await open(file, constants.O_RDWR | constants.O_CREAT | dsync, 0o600);
      const stat = await handle.stat();
      // Only a regular file gets its mode fixed (never chmod a device a link points at).
      if (stat.isFile()) await handle.chmod(0o600);
      // A just-created log must not vanish in a crash with its directory entry.
      if (durable && stat.size === 0) {
        await syncDirectory(dir);
        await syncDirectory(dataDir);
      }
      const tail = await readAuditTail(handle, stat.isFile() ? stat.size : 0);
      const moved = tail.torn ? await moveTornLine(handle, file, tail.torn, now()) : null;
      const ahead = new SpaceAhead(handle, moved ? tail.size : stat.size, {
        regular: stat.isFile(),
        durable,
        syncAfterWrite: durable && dsync === 0,
      });
      // Space a killed writer left ahead may not have reached the disk yet
      // (moving a torn line aside cut the file and synced it already).
      if (durable && !moved && stat.size > tail.size) await handle.datasync();
      await ahead.prepare(tail.size);
      const log = new AuditLog(
        dataDir,
        file,
        handle,
        tail.lastSeq,
        tail.lastHash,
        tail.size,
        ahead,
        durable && dsync === 0,
        now,
        moved,
        lock,
      );
      if (moved)
        await log.append({
          type: 'audit.recovered',
          actor: 'system',
          data: {
            tornFile: moved.file,
            offset: moved.offset,
            bytes: moved.bytes,
            sha256: moved.sha256,
          },
        });
      return log;
    } catch (cause) {
      await handle?.close().catch(() => undefined);
      await lock?.release();
      if (isAssentError(cause)) throw cause;
      throw new AssentError('AUDIT_WRITE_FAILED', `The audit log ${file} could not be opened.`, {
        cause,
      });
    }
  }

  /** Seq of the last record (0 for an empty log). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Hash of the last record (64 zeros for an empty log). */
  get lastHash(): string {
    return this.hash;
  }

  /**
   * Appends one record: one write of the whole line, synchronized (O_DSYNC,
   * or fdatasync where the platform lacks it). Appends
   * run one at a time in call order. Throws TypeError for a malformed event
   * (strings over 4 KiB included) and AUDIT_WRITE_FAILED when the disk refuses.
   */
  async append(event: AuditEvent): Promise<AuditRecord> {
    const [record] = await this.appendAll([event]);
    return record!;
  }

  /**
   * Appends several records in chain order with one synchronized write: all
   * of them are on disk when it resolves, or none is kept (a failed write is
   * cut back to the last good record). For records that are decided together,
   * such as an action's request and the decision a rule made at once.
   */
  async appendAll(events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    const checked = events.map((event) => assertAuditEvent(event));
    if (checked.length === 0) return [];
    return this.enqueue(async () => this.write(checked));
  }

  /**
   * Computes the summary of `sessionId` from its records, signs it with the
   * device key, appends it as a `session.summary` record and keeps that record
   * in `<dataDir>/audit/summaries/<sessionId>.json`.
   */
  async summarizeSession(sessionId: string, deviceKey: KeyObject): Promise<SignedSessionSummary> {
    assertSummaryFileId(sessionId);
    return this.enqueue(async () => {
      const tally = new SessionTally(sessionId);
      let readTo = 0;
      for await (const record of readAuditRecords(this.file)) {
        tally.add(record);
        readTo = record.seq;
      }
      // Never sign usage computed from a log that does not verify to its end.
      if (readTo !== this.seq)
        throw new AssentError(
          'AUDIT_CHAIN_BROKEN',
          `The audit log does not verify after record ${readTo}; the session summary was not signed.`,
        );
      const signed = signSessionSummary(tally.summary(), deviceKey, {
        seq: this.seq,
        hash: this.hash,
      });
      const [record] = await this.write([
        { type: 'session.summary', sessionId, actor: 'agent', data: signed },
      ]);
      try {
        await writeSummaryFile(this.dataDir, record!);
      } catch (cause) {
        throw new AssentError('AUDIT_WRITE_FAILED', 'The session summary could not be saved.', {
          cause,
        });
      }
      return signed;
    });
  }

  /** Waits for pending appends, cuts off the space written ahead, then closes the file. */
  async close(): Promise<void> {
    await this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      try {
        await this.ahead.settle();
        // A log at rest ends with its last record. If this fails, the next open finds the space.
        if (this.ahead.position(this.size) !== null)
          await this.handle.truncate(this.size).catch(() => undefined);
      } finally {
        await this.handle.close();
        await this.lock.release();
      }
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes the records' lines with synchronous system calls on the event
   * loop. An append is a few hundred bytes: the thread pool's round trip cost
   * more than the write itself (O_DSYNC append p50 ~270 µs through the pool,
   * ~170 µs direct, measured here), and in the pool an audit write queued
   * behind a transfer's file reads. The event loop waits for the disk's sync
   * of one small write per action, which is what the action waits for anyway.
   */
  private async write(events: readonly AuditEvent[]): Promise<AuditRecord[]> {
    if (this.closed) throw new AssentError('AUDIT_WRITE_FAILED', 'The audit log is closed.');
    if (this.poisoned !== null)
      throw new AssentError(
        'AUDIT_WRITE_FAILED',
        'The audit log failed to sync earlier; reopen it before auditing more.',
        { cause: this.poisoned },
      );
    const records: AuditRecord[] = [];
    const lines: string[] = [];
    let seq = this.seq;
    let hash = this.hash;
    const at = this.now();
    for (const event of events) {
      const { record, line } = sealRecord(event, ++seq, hash, at);
      records.push(record);
      lines.push(`${line}\n`);
      hash = record.hash;
    }
    const bytes = Buffer.from(lines.join(''), 'utf8');
    const position = this.ahead.position(this.size);
    if (position !== null) await this.ahead.before(position, bytes.length);
    let written = false;
    try {
      const bytesWritten = writeSync(this.handle.fd, bytes, 0, bytes.length, position);
      if (bytesWritten !== bytes.length)
        throw new Error(`short write: ${bytesWritten} of ${bytes.length} bytes`);
      written = true;
      if (this.syncAfterWrite) fdatasyncSync(this.handle.fd);
    } catch (cause) {
      await this.undo(cause, written);
      const code = (cause as NodeJS.ErrnoException).code;
      throw new AssentError(
        'AUDIT_WRITE_FAILED',
        `The audit record could not be written${code ? ` (${code})` : ''}; the action was not carried out.`,
        { cause },
      );
    }
    this.seq = seq;
    this.hash = hash;
    this.size += bytes.length;
    this.ahead.grow(this.size);
    return records;
  }

  /**
   * After a failed append, cuts the file back to its last good record so the
   * next append does not follow a partial line. A failed fdatasync poisons
   * the log: after it the kernel may have dropped the pages, and a retried
   * sync can report success for data that never reached the disk.
   */
  private async undo(cause: unknown, syncFailed: boolean): Promise<void> {
    if (syncFailed || (cause as NodeJS.ErrnoException).code === 'EIO') this.poisoned = cause;
    try {
      await this.ahead.settle();
      await this.handle.truncate(this.size);
      this.ahead.cut(this.size);
    } catch {
      this.poisoned ??= cause;
    }
  }
}
