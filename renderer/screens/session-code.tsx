// The one-time session code, large and copyable, with its expiry counting down.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SessionView } from '../../protocol/ipc';
import { formatDuration } from '../format';
import { useNow } from '../use-now';

/** Groups a code for reading aloud: "123 456 7890". */
export function groupCode(code: string): string {
  return code.replace(/(\d{3})(?=\d{4,})/g, '$1 ');
}

export function SessionCode({ session }: { session: SessionView }) {
  const { t, i18n } = useTranslation();
  const now = useNow();
  const [copied, setCopied] = useState(false);
  const code = session.code;
  const left = session.codeExpiresAt === undefined ? null : session.codeExpiresAt - now;

  const copy = async () => {
    if (code === undefined) return;
    await navigator.clipboard.writeText(code);
    setCopied(true);
  };

  return (
    <section aria-labelledby="code-title" className="panel">
      <h2 id="code-title">{t('code.title')}</h2>
      {code === undefined ? (
        <p>{t('phase.connecting')}</p>
      ) : (
        <>
          <p>{t('code.instructions')}</p>
          <p
            className="session-code"
            aria-label={code.split('').join(' ')}
            data-testid="session-code"
          >
            {groupCode(code)}
          </p>
          {left !== null &&
            (left > 0 ? (
              <p className="countdown">
                {t('code.expiresIn', { time: formatDuration(left, i18n.language) })}
              </p>
            ) : (
              <p className="error">{t('code.expired')}</p>
            ))}
          <div className="actions">
            <button type="button" onClick={() => void copy()}>
              {t('code.copy')}
            </button>
            <span role="status">{copied ? t('code.copied') : ''}</span>
          </div>
        </>
      )}
    </section>
  );
}
