// Who is asking, the security code to compare, and the ground rules; Accept / Refuse.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionView } from '../../protocol/ipc';
import { assentApi } from '../api';
import { formatDuration } from '../format';
import { ErrorNote, Fact } from '../parts/field';
import { useErrorMessage } from '../parts/use-error-message';
import { useNow } from '../use-now';

export function SessionRequest({
  session,
  onDecided,
}: {
  session: SessionView;
  onDecided: (session: SessionView) => void;
}) {
  const { t, i18n } = useTranslation();
  const toMessage = useErrorMessage();
  const now = useNow();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const engineer = session.engineer;

  const decide = async (accept: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const api = assentApi();
      onDecided(accept ? await api.sessionAccept({}) : await api.sessionRefuse({}));
    } catch (err: unknown) {
      setError(toMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="request-title" className="panel">
      <h2 id="request-title">{t('request.title')}</h2>
      <p>{t('request.intro')}</p>
      <dl className="facts">
        {engineer !== undefined && (
          <>
            <Fact label={t('request.engineer')}>{engineer.name}</Fact>
            <Fact label={t('request.email')}>{engineer.email}</Fact>
            <Fact label={t('request.vendor')}>{engineer.vendor}</Fact>
            <Fact label={t('request.fingerprint')}>
              <code className="break">{engineer.fingerprint}</code>
            </Fact>
          </>
        )}
        {session.ticket !== undefined && <Fact label={t('request.ticket')}>{session.ticket}</Fact>}
        {session.reason !== undefined && <Fact label={t('request.reason')}>{session.reason}</Fact>}
      </dl>
      {session.sas !== undefined && (
        <div className="sas" role="group" aria-labelledby="sas-label">
          <p id="sas-label" className="label">
            {t('request.sas')}
          </p>
          <p className="sas-code" data-testid="sas">
            {session.sas}
          </p>
          <p>{t('request.sasHelp')}</p>
        </div>
      )}
      <h3>{t('request.rules')}</h3>
      {session.rules === undefined ? (
        <p>{t('request.noRules')}</p>
      ) : (
        <>
          <ul>
            {session.rules.summary.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
          <p>
            {t('request.rulesFingerprint')}:{' '}
            <code className="break">{session.rules.fingerprint}</code>
          </p>
        </>
      )}
      {session.decideBy !== undefined && (
        <p className="countdown">
          {t('request.decideWithin', {
            time: formatDuration(session.decideBy - now, i18n.language),
          })}
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void decide(true)}>
          {t('request.accept')}
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void decide(false)}>
          {t('request.refuse')}
        </button>
      </div>
      <ErrorNote message={error} />
    </section>
  );
}
