// Signed session summaries kept beside the log, one file a session:
// `<dataDir>/audit/summaries/<sessionId>.json` holds the `session.summary`
// record itself, so each file also anchors a point of the chain (its seq and
// hash): cutting records off the end of the log no longer goes unseen.
import type { KeyObject } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditRecord, SignedSessionSummary } from '../../protocol/audit';
import { AssentError } from '../../protocol/errors';
import { checkRecordLine, recordLine } from './audit-record';
import { syncDirectory } from './audit-tail';
import type { AuditAnchor } from './audit-verify';
import { verifySessionSummary } from './session-summary';

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Session ids become file names: our own code must only use these characters. */
export function assertSummaryFileId(sessionId: string): void {
  if (!SAFE_ID.test(sessionId))
    throw new TypeError(`session id ${JSON.stringify(sessionId)} is not [A-Za-z0-9_-]{1,64}`);
}

/** Directory of the summary files. */
export function summariesDir(dataDir: string): string {
  return join(dataDir, 'audit', 'summaries');
}

/** Writes a session.summary record atomically (temp file, fsync, rename, fsync of the directory). */
export async function writeSummaryFile(dataDir: string, record: AuditRecord): Promise<string> {
  if (record.type !== 'session.summary' || record.sessionId === undefined)
    throw new TypeError('only session.summary records with a session id are kept as files');
  assertSummaryFileId(record.sessionId);
  const dir = summariesDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, `${record.sessionId}.json`);
  const temp = `${target}.tmp-${process.pid}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${recordLine(record)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
  await syncDirectory(dir);
  return target;
}

/** One summary file as read back. */
export type SummaryFile =
  | { readonly name: string; readonly ok: true; readonly record: AuditRecord }
  | { readonly name: string; readonly ok: false; readonly reason: string };

/** Reads every summary file (none when the directory does not exist). */
export async function readSummaryFiles(dataDir: string): Promise<SummaryFile[]> {
  const dir = summariesDir(dataDir);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AssentError('IO_FAILED', `The summaries in ${dir} could not be listed.`, { cause });
  }
  const files: SummaryFile[] = [];
  for (const name of names) {
    const text = (await readFile(join(dir, name), 'utf8')).replace(/\n$/, '');
    const checked = checkRecordLine(text);
    if (!checked.ok) files.push({ name, ok: false, reason: checked.reason });
    else if (
      checked.record.type !== 'session.summary' ||
      `${checked.record.sessionId}.json` !== name
    )
      files.push({ name, ok: false, reason: 'not the summary record of this session' });
    else files.push({ name, ok: true, record: checked.record });
  }
  return files;
}

/** The chain points the summary files vouch for, for verifyAuditLog. */
export function summaryAnchors(files: readonly SummaryFile[]): AuditAnchor[] {
  return files.flatMap((f) =>
    f.ok ? [{ seq: f.record.seq, hash: f.record.hash, source: `summary ${f.name}` }] : [],
  );
}

/** The signed summary of one session, checked against the device key; AUDIT_SUMMARY_INVALID otherwise. */
export async function readSessionSummary(
  dataDir: string,
  sessionId: string,
  devicePublicKey: string | KeyObject,
): Promise<SignedSessionSummary> {
  assertSummaryFileId(sessionId);
  let text: string;
  try {
    text = await readFile(join(summariesDir(dataDir), `${sessionId}.json`), 'utf8');
  } catch (cause) {
    throw new AssentError('AUDIT_SUMMARY_INVALID', `No summary of session ${sessionId}.`, {
      cause,
    });
  }
  const checked = checkRecordLine(text.replace(/\n$/, ''));
  const data = checked.ok ? checked.record.data : undefined;
  if (
    !checked.ok ||
    checked.record.sessionId !== sessionId ||
    !verifySessionSummary(data, devicePublicKey) ||
    data.summary.sessionId !== sessionId
  )
    throw new AssentError(
      'AUDIT_SUMMARY_INVALID',
      `The summary of session ${sessionId} does not verify against the device key.`,
    );
  return data as SignedSessionSummary;
}
