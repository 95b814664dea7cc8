// Past sessions from the audit log, the chain's verification, and the
// monthly CSV report.
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AuditSessionView, AuditVerifyView } from '../../protocol/ipc';
import { assentApi } from '../api';
import { formatCount, formatDateTime, formatDuration } from '../format';
import { ErrorNote } from '../parts/field';
import { useErrorMessage } from '../parts/use-error-message';

const thisMonth = () => new Date().toISOString().slice(0, 7);

/** Saves text as a file through the browser's download (no Node in the renderer). */
function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

export function HistoryScreen() {
  const { t, i18n } = useTranslation();
  const toMessage = useErrorMessage();
  const id = useId();
  const [sessions, setSessions] = useState<AuditSessionView[] | null>(null);
  const [verify, setVerify] = useState<AuditVerifyView | null>(null);
  const [month, setMonth] = useState(thisMonth);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      const api = assentApi();
      const [list, check] = await Promise.all([api.auditSessions({}), api.auditVerify({})]);
      setSessions(list);
      setVerify(check);
    } catch (err: unknown) {
      setError(toMessage(err));
    }
  };
  useEffect(() => {
    void load();
    // Load once on mount; the Verify button reloads.
  }, []);

  const exportMonth = async () => {
    try {
      const report = await assentApi().auditExportMonth({ month });
      download(report.fileName, report.csv);
      setSaved(report.fileName);
    } catch (err: unknown) {
      setError(toMessage(err));
    }
  };

  return (
    <section aria-labelledby={`${id}-title`} className="panel">
      <h2 id={`${id}-title`}>{t('history.title')}</h2>
      <p>{t('history.intro')}</p>
      {verify !== null && (
        <p className={verify.ok ? 'ok' : 'error'} role="status" data-testid="audit-verify">
          {verify.ok
            ? t('history.verifyOk', { count: verify.records })
            : verify.firstBroken !== undefined
              ? t('history.verifyBroken', { line: formatCount(verify.firstBroken, i18n.language) })
              : t('history.verifyBrokenUnknown')}
        </p>
      )}
      <button type="button" onClick={() => void load()}>
        {t('history.verify')}
      </button>
      {sessions !== null &&
        (sessions.length === 0 ? (
          <p>{t('history.empty')}</p>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t('history.started')}</th>
                <th scope="col">{t('history.duration')}</th>
                <th scope="col">{t('history.engineer')}</th>
                <th scope="col">{t('history.ticket')}</th>
                <th scope="col">{t('history.actions')}</th>
                <th scope="col">{t('history.summary')}</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.sessionId}>
                  <td>{formatDateTime(s.startedAt, i18n.language)}</td>
                  <td>
                    {s.endedAt === undefined
                      ? t('history.running')
                      : formatDuration(s.endedAt - s.startedAt, i18n.language, 'short')}
                  </td>
                  <td>{[s.engineer, s.vendor].filter(Boolean).join(', ')}</td>
                  <td>{s.ticket ?? ''}</td>
                  <td>{formatCount(s.actions, i18n.language)}</td>
                  <td>{s.summarySigned ? t('history.signed') : t('history.unsigned')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <h3>{t('history.exportTitle')}</h3>
      <div className="inline-form">
        <label htmlFor={`${id}-month`}>{t('history.month')}</label>
        <input
          id={`${id}-month`}
          type="month"
          value={month}
          onChange={(e) => setMonth(e.target.value)}
        />
        <button type="button" onClick={() => void exportMonth()}>
          {t('history.export')}
        </button>
      </div>
      <p role="status">{saved === null ? '' : t('history.exported', { file: saved })}</p>
      <ErrorNote message={error} />
    </section>
  );
}
