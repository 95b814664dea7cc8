// The window: session state and End session always visible, the sections,
// and a live region that announces new approval requests.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { assentApi } from './api';
import { LANGUAGES, LANGUAGE_NAMES, type Language } from './i18n/index';
import { ActivityScreen } from './screens/activity-screen';
import { ConsentQueue } from './screens/consent-queue';
import { GrantsScreen } from './screens/grants-screen';
import { HistoryScreen } from './screens/history-screen';
import { RulesScreen } from './screens/rules-screen';
import { SessionScreen } from './screens/session-screen';
import { useAssentState } from './use-assent-state';

const SECTIONS = ['session', 'consent', 'activity', 'grants', 'history', 'rules'] as const;
type Section = (typeof SECTIONS)[number];

export function App() {
  const { t, i18n } = useTranslation();
  const [state, dispatch] = useAssentState();
  const [section, setSection] = useState<Section>('session');
  const [announcement, setAnnouncement] = useState('');
  const [ending, setEnding] = useState(false);
  const seen = useRef<string | null>(null);
  const { session, pending } = state;
  const live = session.phase !== 'idle' && session.phase !== 'ended';

  // A new approval request: open the queue (focus goes to its card) and announce it.
  useEffect(() => {
    const newest = pending.find((p) => p.requestId === state.newestRequestId);
    if (newest === undefined || seen.current === newest.requestId) return;
    seen.current = newest.requestId;
    setSection('consent');
    setAnnouncement(t('consent.announce', { action: t(`kind.${newest.preview.kind}`) }));
  }, [state.newestRequestId, pending, t]);

  useEffect(() => {
    document.documentElement.lang = i18n.language;
    document.title = t('app.title');
  }, [i18n.language, t]);

  const endSession = async () => {
    setEnding(true);
    try {
      dispatch({ type: 'session', session: await assentApi().sessionEnd({}) });
      setAnnouncement(t('endSession.done'));
    } finally {
      setEnding(false);
    }
  };

  const label = (s: Section) =>
    s === 'consent' && pending.length > 0
      ? t('nav.consentWithCount', { count: pending.length })
      : t(`nav.${s}`);

  return (
    <div className="app">
      <header className="topbar">
        <h1>{t('app.title')}</h1>
        <p className={`phase phase-${session.phase}`} data-testid="phase">
          {t(`phase.${session.phase}`)}
        </p>
        {live && (
          <button
            type="button"
            className="danger end-session"
            onClick={() => void endSession()}
            disabled={ending}
          >
            {t('endSession.button')}
          </button>
        )}
        <label className="language">
          <span>{t('app.language')}</span>
          <select
            value={i18n.language}
            onChange={(e) => void i18n.changeLanguage(e.target.value as Language)}
          >
            {LANGUAGES.map((lang) => (
              <option key={lang} value={lang} lang={lang}>
                {LANGUAGE_NAMES[lang]}
              </option>
            ))}
          </select>
        </label>
      </header>
      <nav aria-label={t('app.nav')} className="sections">
        <ul>
          {SECTIONS.map((s) => (
            <li key={s}>
              <button
                type="button"
                aria-current={section === s ? 'page' : undefined}
                onClick={() => setSection(s)}
                data-section={s}
              >
                {label(s)}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        {section === 'session' && (
          <SessionScreen
            session={session}
            onSession={(s) => dispatch({ type: 'session', session: s })}
          />
        )}
        {section === 'consent' && (
          <ConsentQueue pending={pending} newestRequestId={state.newestRequestId} />
        )}
        {section === 'activity' && (
          <ActivityScreen
            activity={state.activity}
            progress={state.progress}
            chat={state.chat}
            terminal={state.terminal}
            canChat={session.phase === 'active'}
            onChatSent={(entry) => dispatch({ type: 'chat', entry })}
          />
        )}
        {section === 'grants' && <GrantsScreen grants={state.grants} />}
        {section === 'history' && <HistoryScreen />}
        {section === 'rules' && <RulesScreen />}
      </main>
      <div
        className="visually-hidden"
        role="status"
        aria-live="polite"
        aria-label={t('app.liveRegionLabel')}
      >
        {announcement}
      </div>
    </div>
  );
}
