// The queue of pending actions; focus moves to the newest card when it arrives.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsentRequestView } from '../../protocol/ipc';
import { ConsentCard } from '../parts/consent-card';

export function ConsentQueue({
  pending,
  newestRequestId,
}: {
  pending: readonly ConsentRequestView[];
  newestRequestId: string | null;
}) {
  const { t } = useTranslation();
  const newest = useRef<HTMLElement | null>(null);

  useEffect(() => {
    newest.current?.focus();
    newest.current?.scrollIntoView({ block: 'nearest' });
  }, [newestRequestId]);

  return (
    <section aria-labelledby="consent-title" className="panel">
      <h2 id="consent-title">{t('consent.title')}</h2>
      {pending.length === 0 ? (
        <p>{t('consent.empty')}</p>
      ) : (
        pending.map((request) => (
          <ConsentCard
            key={request.requestId}
            request={request}
            ref={request.requestId === newestRequestId ? newest : undefined}
          />
        ))
      )}
    </section>
  );
}
