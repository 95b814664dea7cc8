// The monthly usage report as CSV (RFC 4180), safe to open in a spreadsheet:
// ticket references and names come from the engineer, so a cell that a
// spreadsheet would run as a formula is defused with a leading apostrophe
// (OWASP "CSV injection").
import type { MonthlyReportRow } from './audit-history';

const COLUMNS: ReadonlyArray<readonly [keyof MonthlyReportRow, string]> = [
  ['sessionId', 'session'],
  ['start', 'start'],
  ['end', 'end'],
  ['durationMinutes', 'duration_minutes'],
  ['engineer', 'engineer'],
  ['engineerEmail', 'engineer_email'],
  ['engineerFingerprint', 'engineer_key'],
  ['ticket', 'ticket'],
  ['actionsRequested', 'actions_requested'],
  ['actionsAllowed', 'actions_allowed'],
  ['actionsDenied', 'actions_denied'],
  ['actionsFailed', 'actions_failed'],
  ['summarySignature', 'summary_signature'],
];

/** Characters that make a spreadsheet treat a cell as a formula (tab and CR included). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: formula-defused, quoted when it holds a comma, quote, CR or LF. */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The report as CSV text: a header line, then one line a row, CRLF line ends. */
export function toCsv(rows: readonly MonthlyReportRow[]): string {
  const lines = [COLUMNS.map(([, header]) => header).join(',')];
  for (const row of rows) lines.push(COLUMNS.map(([key]) => csvCell(row[key])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
