// The Session section: what to show depends on the session phase.
import { useTranslation } from 'react-i18next';
import type { SessionView } from '../../protocol/ipc';
import { formatDateTime } from '../format';
import { Fact } from '../parts/field';
import { GetHelp } from './get-help';
import { SessionCode } from './session-code';
import { SessionRequest } from './session-request';

export function SessionScreen({
  session,
  onSession,
}: {
  session: SessionView;
  onSession: (session: SessionView) => void;
}) {
  const { t, i18n } = useTranslation();
  switch (session.phase) {
    case 'idle':
      return <GetHelp onStarted={onSession} />;
    case 'connecting':
    case 'waiting-for-engineer':
      return <SessionCode session={session} />;
    case 'awaiting-approval':
      return <SessionRequest session={session} onDecided={onSession} />;
    case 'active':
      return (
        <section aria-labelledby="active-title" className="panel">
          <h2 id="active-title">{t('active.title')}</h2>
          <dl className="facts">
            {session.engineer !== undefined && (
              <>
                <Fact label={t('request.engineer')}>{session.engineer.name}</Fact>
                <Fact label={t('request.vendor')}>{session.engineer.vendor}</Fact>
              </>
            )}
            {session.ticket !== undefined && (
              <Fact label={t('request.ticket')}>{session.ticket}</Fact>
            )}
          </dl>
          {session.startedAt !== undefined && (
            <p>{t('active.since', { time: formatDateTime(session.startedAt, i18n.language) })}</p>
          )}
          {session.endsBy !== undefined && (
            <p>{t('active.endsBy', { time: formatDateTime(session.endsBy, i18n.language) })}</p>
          )}
          <p>{t('active.hint')}</p>
        </section>
      );
    case 'ended':
      return (
        <>
          <section aria-labelledby="ended-title" className="panel">
            <h2 id="ended-title">{t('ended.title')}</h2>
            {session.endedAt !== undefined && (
              <p>{t('ended.at', { time: formatDateTime(session.endedAt, i18n.language) })}</p>
            )}
            {session.endMessage !== undefined && (
              <p>{t('ended.why', { message: session.endMessage })}</p>
            )}
          </section>
          <GetHelp onStarted={onSession} />
        </>
      );
  }
}
