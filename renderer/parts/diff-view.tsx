// A unified diff shown unified or side by side, with line numbers, from the
// core's unified text (never re-diffed here).
import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

export interface DiffLine {
  readonly kind: 'context' | 'add' | 'del' | 'hunk';
  readonly text: string;
  readonly oldNo?: number;
  readonly newNo?: number;
}

/** Parses the hunks of a unified diff (file headers are skipped). */
export function parseUnifiedDiff(unified: string): DiffLine[] {
  const lines: DiffLine[] = [];
  let oldNo = 0;
  let newNo = 0;
  let inHunk = false;
  for (const raw of unified.split('\n')) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk !== null) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[2]);
      inHunk = true;
      lines.push({ kind: 'hunk', text: raw });
    } else if (!inHunk || raw.startsWith('\\')) {
      continue;
    } else if (raw.startsWith('+')) {
      lines.push({ kind: 'add', text: raw.slice(1), newNo: newNo++ });
    } else if (raw.startsWith('-')) {
      lines.push({ kind: 'del', text: raw.slice(1), oldNo: oldNo++ });
    } else if (raw.startsWith(' ')) {
      lines.push({ kind: 'context', text: raw.slice(1), oldNo: oldNo++, newNo: newNo++ });
    }
  }
  return lines;
}

interface Row {
  readonly left?: DiffLine;
  readonly right?: DiffLine;
  readonly hunk?: string;
}

/** Pairs deletions with the additions that follow them, for the side-by-side layout. */
export function toSideBySide(lines: readonly DiffLine[]): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < lines.length;) {
    const line = lines[i]!;
    if (line.kind === 'hunk') {
      rows.push({ hunk: line.text });
      i += 1;
    } else if (line.kind === 'context') {
      rows.push({ left: line, right: line });
      i += 1;
    } else {
      const dels: DiffLine[] = [];
      const adds: DiffLine[] = [];
      while (i < lines.length && lines[i]!.kind === 'del') dels.push(lines[i++]!);
      while (i < lines.length && lines[i]!.kind === 'add') adds.push(lines[i++]!);
      for (let k = 0; k < Math.max(dels.length, adds.length); k++) {
        rows.push({ left: dels[k], right: adds[k] });
      }
    }
  }
  return rows;
}

const mark = { add: '+', del: '−', context: ' ', hunk: '' } as const;

export function DiffView({ unified, truncated }: { unified: string; truncated?: boolean }) {
  const { t } = useTranslation();
  const id = useId();
  const [layout, setLayout] = useState<'unified' | 'split'>('unified');
  const lines = useMemo(() => parseUnifiedDiff(unified), [unified]);
  const added = lines.filter((l) => l.kind === 'add').length;
  const removed = lines.filter((l) => l.kind === 'del').length;

  return (
    <div className="diff" role="group" aria-labelledby={`${id}-title`}>
      <div className="diff-head">
        <h4 id={`${id}-title`}>{t('diff.title')}</h4>
        <span className="diff-stat">
          <span className="add-text">{t('diff.added', { count: added })}</span>{' '}
          <span className="del-text">{t('diff.removed', { count: removed })}</span>
        </span>
        <fieldset className="segmented">
          <legend className="visually-hidden">{t('diff.view')}</legend>
          {(['unified', 'split'] as const).map((value) => (
            <label key={value}>
              <input
                type="radio"
                name={`${id}-layout`}
                value={value}
                checked={layout === value}
                onChange={() => setLayout(value)}
              />
              {t(`diff.${value}`)}
            </label>
          ))}
        </fieldset>
      </div>
      <div className="diff-body" tabIndex={0} aria-label={t('diff.title')}>
        {layout === 'unified' ? (
          <table className="diff-table">
            <tbody>
              {lines.map((line, i) =>
                line.kind === 'hunk' ? (
                  <tr key={i} className="hunk">
                    <td colSpan={4}>{line.text}</td>
                  </tr>
                ) : (
                  <tr key={i} className={line.kind}>
                    <td className="ln" aria-label={t('diff.oldLine')}>
                      {line.oldNo ?? ''}
                    </td>
                    <td className="ln" aria-label={t('diff.newLine')}>
                      {line.newNo ?? ''}
                    </td>
                    <td className="mark" aria-hidden="true">
                      {mark[line.kind]}
                    </td>
                    <td className="code">{line.text}</td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        ) : (
          <table className="diff-table split">
            <thead>
              <tr>
                <th colSpan={2}>{t('consent.before')}</th>
                <th colSpan={2}>{t('consent.after')}</th>
              </tr>
            </thead>
            <tbody>
              {toSideBySide(lines).map((row, i) =>
                row.hunk !== undefined ? (
                  <tr key={i} className="hunk">
                    <td colSpan={4}>{row.hunk}</td>
                  </tr>
                ) : (
                  <tr key={i}>
                    <td className="ln">{row.left?.oldNo ?? ''}</td>
                    <td className={`code ${row.left?.kind ?? 'empty'}`}>{row.left?.text ?? ''}</td>
                    <td className="ln">{row.right?.newNo ?? ''}</td>
                    <td className={`code ${row.right?.kind ?? 'empty'}`}>
                      {row.right?.text ?? ''}
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        )}
      </div>
      {truncated === true && <p className="note">{t('consent.diffTruncated')}</p>}
    </div>
  );
}
