// "Get help": the approver describes the problem and starts a session.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionView } from '../../protocol/ipc';
import { assentApi } from '../api';
import { ErrorNote } from '../parts/field';
import { useErrorMessage } from '../parts/use-error-message';

export function GetHelp({ onStarted }: { onStarted: (session: SessionView) => void }) {
  const { t } = useTranslation();
  const toMessage = useErrorMessage();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const field = (name: string) => {
      const value = String(data.get(name) ?? '').trim();
      return value === '' ? undefined : value;
    };
    setBusy(true);
    setError(null);
    try {
      const session = await assentApi().sessionStart({
        ticket: field('ticket'),
        description: field('description'),
        since: field('since'),
        tried: field('tried'),
      });
      onStarted(session);
    } catch (err: unknown) {
      setError(toMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby={`${id}-title`} className="panel">
      <h2 id={`${id}-title`}>{t('getHelp.title')}</h2>
      <p>{t('getHelp.intro')}</p>
      <form onSubmit={(e) => void submit(e)} className="form">
        <label htmlFor={`${id}-ticket`}>{t('getHelp.ticket')}</label>
        <input id={`${id}-ticket`} name="ticket" maxLength={120} autoComplete="off" />
        <label htmlFor={`${id}-description`}>{t('getHelp.description')}</label>
        <textarea id={`${id}-description`} name="description" rows={3} maxLength={2000} />
        <label htmlFor={`${id}-since`}>{t('getHelp.since')}</label>
        <input id={`${id}-since`} name="since" maxLength={200} autoComplete="off" />
        <label htmlFor={`${id}-tried`}>{t('getHelp.tried')}</label>
        <textarea id={`${id}-tried`} name="tried" rows={2} maxLength={2000} />
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('getHelp.starting') : t('getHelp.start')}
          </button>
        </div>
      </form>
      <ErrorNote message={error} />
    </section>
  );
}
