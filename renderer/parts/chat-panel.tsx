// Chat with the engineer (not consent-gated).
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ChatEntry } from '../../protocol/ipc';
import { assentApi } from '../api';
import { formatTime } from '../format';
import { ErrorNote } from './field';
import { useErrorMessage } from './use-error-message';

export function ChatPanel({
  chat,
  canSend,
  onSent,
}: {
  chat: readonly ChatEntry[];
  canSend: boolean;
  onSent: (entry: ChatEntry) => void;
}) {
  const { t, i18n } = useTranslation();
  const toMessage = useErrorMessage();
  const id = useId();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (text.trim() === '') return;
    try {
      onSent(await assentApi().chatSend({ text }));
      setText('');
      setError(null);
    } catch (err: unknown) {
      setError(toMessage(err));
    }
  };

  return (
    <section aria-labelledby={`${id}-title`} className="panel chat">
      <h3 id={`${id}-title`}>{t('chat.title')}</h3>
      {chat.length === 0 ? (
        <p>{t('chat.empty')}</p>
      ) : (
        <ol className="chat-log" aria-live="polite">
          {chat.map((entry) => (
            <li key={entry.id} className={entry.from}>
              <span className="who">
                {entry.from === 'engineer' ? t('chat.fromEngineer') : t('chat.fromYou')}
              </span>{' '}
              <time dateTime={new Date(entry.sentAt).toISOString()}>
                {formatTime(entry.sentAt, i18n.language)}
              </time>
              <p>{entry.text}</p>
            </li>
          ))}
        </ol>
      )}
      <form onSubmit={(e) => void send(e)} className="chat-form">
        <label htmlFor={`${id}-text`}>{t('chat.message')}</label>
        <input
          id={`${id}-text`}
          value={text}
          maxLength={4000}
          disabled={!canSend}
          onChange={(e) => setText(e.target.value)}
          autoComplete="off"
        />
        <button type="submit" disabled={!canSend || text.trim() === ''}>
          {t('chat.send')}
        </button>
      </form>
      <ErrorNote message={error} />
    </section>
  );
}
