// `assent-agent audit …` (also `npm run audit -- …`): verify the chain, show
// records, list past sessions, and write the monthly usage report.
import { writeFile } from 'node:fs/promises';
import type { AuditRecord } from '../../protocol/audit';
import { systemErrorReason } from '../../platform/system-error';
import { isAssentError } from '../../protocol/errors';
import { listSessions, monthlyReport } from './audit-history';
import { auditLogPath } from './audit-log';
import { readAuditRecords } from './audit-reader';
import { verifyAuditTrail } from './audit-trail';
import { toCsv } from './usage-csv';

/** Where the command reads and writes. */
export interface AuditCommandIo {
  readonly dataDir: string;
  readonly out: (line: string) => void;
  /** The device's raw public key (base64url): summaries are checked against it when given. */
  readonly devicePublicKey?: string;
}

export const AUDIT_USAGE = [
  'usage: assent-agent audit <command>',
  '  verify                          check the hash chain and the signed session summaries',
  '  show [--session ID] [--last N]  print records (default: the last 100)',
  '  sessions                        list past sessions with their summaries',
  '  report --month YYYY-MM [--csv FILE]  itemized usage of one month',
];

const DEFAULT_SHOW_LAST = 100;

/** Runs one audit command; returns the exit code (0 ok, 1 broken or failed, 2 usage). */
export async function runAuditCommand(argv: string[], io: AuditCommandIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const options = parseOptions(rest);
    if (options === null) return usage(io);
    switch (command) {
      case 'verify':
        return await verify(io);
      case 'show':
        return await show(io, options);
      case 'sessions':
        return await sessions(io);
      case 'report':
        return await report(io, options);
      default:
        return usage(io);
    }
  } catch (err) {
    if (!isAssentError(err)) throw err;
    io.out(`error ${err.code}: ${err.message}`);
    return 1;
  }
}

function usage(io: AuditCommandIo): number {
  for (const line of AUDIT_USAGE) io.out(line);
  return 2;
}

function parseOptions(args: string[]): Map<string, string> | null {
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const value = args[i + 1];
    if (!/^--(session|last|month|csv)$/.test(name) || value === undefined) return null;
    options.set(name.slice(2), value);
  }
  return options;
}

async function verify(io: AuditCommandIo): Promise<number> {
  const result = await verifyAuditTrail(io.dataDir, io.devicePublicKey);
  if (result.ok) {
    io.out(`OK: ${result.count} records, chain intact`);
    return 0;
  }
  io.out(
    'summaryFile' in result
      ? `BROKEN summary ${result.summaryFile}: ${result.reason} (${result.code})`
      : `BROKEN at record ${result.brokenAt}: ${result.reason} (${result.code})`,
  );
  return 1;
}

/** Makes text from the peer safe for a terminal: control, bidi and invisible characters escaped. */
function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function formatRecord(record: AuditRecord): string {
  const parts = [`#${record.seq}`, record.time, record.type];
  if (record.sessionId !== undefined) parts.push(`[${record.sessionId}]`);
  if (record.actor !== undefined) parts.push(`by ${record.actor}`);
  parts.push(JSON.stringify(record.data));
  return printable(parts.join(' '));
}

async function show(io: AuditCommandIo, options: Map<string, string>): Promise<number> {
  const lastText = options.get('last');
  const last = lastText === undefined ? DEFAULT_SHOW_LAST : Number(lastText);
  if (!Number.isInteger(last) || last < 1) return usage(io);
  const session = options.get('session');
  const kept: AuditRecord[] = [];
  for await (const record of readAuditRecords(auditLogPath(io.dataDir))) {
    if (session !== undefined && record.sessionId !== session) continue;
    kept.push(record);
    if (kept.length > last) kept.shift();
  }
  if (kept.length === 0) io.out('No records.');
  for (const record of kept) io.out(formatRecord(record));
  return 0;
}

function minutes(ms: number): string {
  return `${Math.ceil(ms / 60_000)} min`;
}

async function sessions(io: AuditCommandIo): Promise<number> {
  const entries = await listSessions(auditLogPath(io.dataDir), io.devicePublicKey);
  if (entries.length === 0) io.out('No sessions.');
  for (const { sessionId, summary, signature, matchesRecords } of entries) {
    const engineer = summary.engineer
      ? `${summary.engineer.name} <${summary.engineer.email}>`
      : 'unknown engineer';
    const c = summary.counts;
    const state = summary.accepted ? (summary.ended ? 'ended' : 'not ended') : 'not accepted';
    const mismatch = matchesRecords === false ? ', DIFFERS FROM RECORDS' : '';
    io.out(
      printable(
        `${summary.start} ${sessionId} ${minutes(summary.durationMs)} ${engineer}` +
          `${summary.ticket ? ` ticket ${summary.ticket}` : ''} (${state}): ` +
          `${c.requested} requested, ${c.allowed} allowed, ${c.denied} denied, ${c.failed} failed, ` +
          `${summary.chatMessages} chat; summary ${signature}${mismatch}`,
      ),
    );
  }
  return 0;
}

async function report(io: AuditCommandIo, options: Map<string, string>): Promise<number> {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(options.get('month') ?? '');
  if (!match) return usage(io);
  const rows = await monthlyReport(auditLogPath(io.dataDir), {
    year: Number(match[1]),
    month: Number(match[2]),
    ...(io.devicePublicKey === undefined ? {} : { devicePublicKey: io.devicePublicKey }),
  });
  const csvFile = options.get('csv');
  if (csvFile !== undefined) {
    try {
      await writeFile(csvFile, toCsv(rows), { mode: 0o600 });
    } catch (cause) {
      io.out(`error IO_FAILED: ${csvFile} could not be written: ${systemErrorReason(cause)}.`);
      return 1;
    }
    io.out(`Wrote ${rows.length} sessions of ${match[0]} to ${csvFile}`);
    return 0;
  }
  let total = 0;
  for (const row of rows) {
    total += row.durationMinutes;
    io.out(
      printable(
        `${row.start} ${row.sessionId} ${row.durationMinutes} min ${row.engineer} ` +
          `ticket ${row.ticket || '-'}: ${row.actionsAllowed} allowed, ${row.actionsDenied} denied ` +
          `(summary ${row.summarySignature})`,
      ),
    );
  }
  io.out(`${match[0]}: ${rows.length} sessions, ${total} minutes`);
  return 0;
}
