// One pending action: its full preview, the countdown to auto-deny, and the
// three decisions. Focus lands on the card itself, never on a button, and the
// buttons arm only after a short delay, so a stray Enter approves nothing.
import { forwardRef, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsentDecision, ConsentScope } from '../../protocol/consent';
import type { ConsentRequestView } from '../../protocol/ipc';
import { assentApi } from '../api';
import { formatDateTime, formatDuration } from '../format';
import { useNow } from '../use-now';
import { ActionPreviewView } from './action-preview';
import { ErrorNote } from './field';
import { ScopeForm } from './scope-form';
import { useErrorMessage } from './use-error-message';

/** Buttons stay disabled this long after a card appears (a key held or pressed for something else). */
export const ARMING_DELAY_MS = 700;

export const ConsentCard = forwardRef<HTMLElement, { request: ConsentRequestView }>(
  function ConsentCard({ request }, ref) {
    const { t, i18n } = useTranslation();
    const toMessage = useErrorMessage();
    const now = useNow();
    const [armed, setArmed] = useState(false);
    const [choosingScope, setChoosingScope] = useState(false);
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState<string | null>(null);
    const { preview } = request;
    const headingId = `consent-${request.requestId}-title`;

    useEffect(() => {
      const timer = setTimeout(() => setArmed(true), ARMING_DELAY_MS);
      return () => clearTimeout(timer);
    }, []);

    const decide = async (decision: ConsentDecision) => {
      setBusy(true);
      setError(null);
      try {
        await assentApi().consentDecide({
          requestId: request.requestId,
          nonce: request.nonce,
          decision,
        });
      } catch (err: unknown) {
        setError(t('consent.failed', { message: toMessage(err) }));
        setBusy(false);
      }
    };
    const disabled = !armed || busy;

    return (
      <article
        ref={ref}
        className="consent-card"
        aria-labelledby={headingId}
        tabIndex={-1}
        data-request-id={request.requestId}
      >
        <header>
          <h3 id={headingId}>{t(`kind.${preview.kind}`)}</h3>
          <p className="meta">
            {t('consent.requestedAt', { time: formatDateTime(request.requestedAt, i18n.language) })}
          </p>
          <p className="countdown" data-testid="auto-deny">
            {t('consent.autoDeny', {
              time: formatDuration(request.expiresAt - now, i18n.language),
            })}
          </p>
        </header>
        <ActionPreviewView preview={preview} />
        {choosingScope ? (
          <ScopeForm
            preview={preview}
            disabled={disabled}
            onCancel={() => setChoosingScope(false)}
            onConfirm={(scope: ConsentScope) => void decide({ how: 'allow-session', scope })}
          />
        ) : (
          <div className="actions decision">
            <button
              type="button"
              className="primary"
              disabled={disabled}
              onClick={() => void decide({ how: 'allow-once' })}
            >
              {t('consent.allowOnce')}
            </button>
            <button type="button" disabled={disabled} onClick={() => setChoosingScope(true)}>
              {t('consent.allowSession')}
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => void decide({ how: 'deny' })}
            >
              {t('consent.deny')}
            </button>
          </div>
        )}
        {!armed && <p className="note">{t('consent.armed')}</p>}
        <ErrorNote message={error} />
      </article>
    );
  },
);
