// The ground rules in force, readable.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RulesView } from '../../protocol/ipc';
import { assentApi } from '../api';
import { formatBytes, formatDate, formatDuration } from '../format';
import { ErrorNote, Fact } from '../parts/field';
import { useErrorMessage } from '../parts/use-error-message';

function List({ items }: { items: readonly string[] }) {
  const { t } = useTranslation();
  if (items.length === 0) return <>{t('rules.none_list')}</>;
  return (
    <ul className="plain">
      {items.map((item) => (
        <li key={item}>
          <code className="path">{item}</code>
        </li>
      ))}
    </ul>
  );
}

export function RulesScreen() {
  const { t, i18n } = useTranslation();
  const toMessage = useErrorMessage();
  const [view, setView] = useState<RulesView | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    assentApi()
      .rulesCurrent({})
      .then(setView, (err: unknown) => setError(toMessage(err)));
    // Loaded once when the section opens.
  }, []);

  const lang = i18n.language;
  const terminal = {
    off: t('rules.terminalOff'),
    supervised: t('rules.terminalSupervised'),
    interactive: t('rules.terminalInteractive'),
  };
  return (
    <section aria-labelledby="rules-title" className="panel">
      <h2 id="rules-title">{t('rules.title')}</h2>
      {view === null && <p>{t('rules.none')}</p>}
      {view !== undefined && view !== null && (
        <>
          <h3>{view.rules.title}</h3>
          <p>{t('rules.parties', { vendor: view.rules.vendor, customer: view.rules.customer })}</p>
          <p>{t('rules.revision', { revision: view.rules.revision })}</p>
          <p>
            {t('rules.signedBy', {
              signer: view.vendorSigner,
              date: formatDate(view.vendorSignedAt, lang),
            })}
          </p>
          <p>
            {t('rules.countersignedBy', {
              admin: view.admin,
              date: formatDate(view.countersignedAt, lang),
            })}
          </p>
          <dl className="facts">
            <Fact label={t('rules.fingerprint')}>
              <code className="break">{view.fingerprint}</code>
            </Fact>
            <Fact label={t('rules.readable')}>
              <List items={view.rules.readableRoots} />
            </Fact>
            <Fact label={t('rules.writable')}>
              <List items={view.rules.writableRoots} />
            </Fact>
            <Fact label={t('rules.denied')}>
              <List items={view.rules.deniedGlobs} />
            </Fact>
            <Fact label={t('rules.maxRead')}>{formatBytes(view.rules.maxReadBytes, lang)}</Fact>
            <Fact label={t('rules.maxWrite')}>{formatBytes(view.rules.maxWriteBytes, lang)}</Fact>
            <Fact label={t('rules.terminal')}>{terminal[view.rules.terminal]}</Fact>
            <Fact label={t('rules.fixSigners')}>
              <List items={view.rules.fixSigners.map((s) => s.name)} />
            </Fact>
            <Fact label={t('rules.sessionMax')}>
              {formatDuration(view.rules.sessionMaxMinutes * 60_000, lang, 'short')}
            </Fact>
            <Fact label={t('rules.consentTimeout')}>
              {formatDuration(view.rules.consentTimeoutSeconds * 1000, lang, 'short')}
            </Fact>
            {view.rules.supportHours !== undefined && (
              <Fact label={t('rules.supportHours')}>
                {`${view.rules.supportHours.start}–${view.rules.supportHours.end} (${view.rules.supportHours.timeZone})`}
              </Fact>
            )}
            <Fact label={t('rules.standing')}>
              {view.rules.standingConsents.length === 0 ? (
                t('rules.standingNone')
              ) : (
                <ul className="plain">
                  {view.rules.standingConsents.map((c, i) => (
                    <li key={i}>
                      {t(`kind.${c.kind}`)}
                      {c.under !== undefined && (
                        <>
                          {' '}
                          <code className="path">{c.under}</code>
                        </>
                      )}
                      {c.command !== undefined && (
                        <>
                          {' '}
                          <code>{c.command}</code>
                        </>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </Fact>
          </dl>
          <p>{view.rules.recordSessions ? t('rules.recorded') : t('rules.notRecorded')}</p>
        </>
      )}
      <ErrorNote message={error} />
    </section>
  );
}
