// The live timeline, transfer and fix progress, the terminal mirror and chat.
import { useTranslation } from 'react-i18next';
import type { ActivityEntry, ChatEntry, ProgressView } from '../../protocol/ipc';
import { formatBytes, formatTime } from '../format';
import { ChatPanel } from '../parts/chat-panel';
import { TerminalMirror } from '../parts/terminal-mirror';
import type { TerminalLog } from '../use-assent-state';

function TimelineEntry({ entry }: { entry: ActivityEntry }) {
  const { t, i18n } = useTranslation();
  const kind = entry.kind === undefined ? undefined : t(`kind.${entry.kind}`);
  const what =
    kind !== undefined && entry.subject !== undefined
      ? t('activity.whatWithSubject', { kind, subject: entry.subject })
      : (kind ?? entry.subject ?? '');
  return (
    <li className={`timeline-${entry.event.split('.')[1] ?? entry.event}`}>
      <time dateTime={new Date(entry.at).toISOString()}>{formatTime(entry.at, i18n.language)}</time>{' '}
      <span className="actor">{t(`activity.actor.${entry.actor}`)}</span>{' '}
      <span>{t(`activity.event.${entry.event}`, { what })}</span>
      {entry.detail !== undefined && <span className="detail"> ({entry.detail})</span>}
    </li>
  );
}

function ProgressRow({ progress }: { progress: ProgressView }) {
  const { t, i18n } = useTranslation();
  const done = formatBytes(progress.done, i18n.language);
  const label =
    progress.total === undefined
      ? t('activity.progressUnknown', { done })
      : t('activity.progressDone', { done, total: formatBytes(progress.total, i18n.language) });
  const id = `progress-${progress.id}`;
  return (
    <li>
      <span id={id}>
        <code className="path">{progress.label}</code> {label}
      </span>
      <progress
        aria-labelledby={id}
        value={progress.done}
        max={progress.total ?? undefined}
        className={progress.state}
      />
    </li>
  );
}

export function ActivityScreen({
  activity,
  progress,
  chat,
  terminal,
  canChat,
  onChatSent,
}: {
  activity: readonly ActivityEntry[];
  progress: readonly ProgressView[];
  chat: readonly ChatEntry[];
  terminal: TerminalLog;
  canChat: boolean;
  onChatSent: (entry: ChatEntry) => void;
}) {
  const { t } = useTranslation();
  return (
    <>
      <section aria-labelledby="activity-title" className="panel">
        <h2 id="activity-title">{t('activity.title')}</h2>
        {progress.length > 0 && (
          <>
            <h3>{t('activity.progress')}</h3>
            <ul className="progress-list">
              {progress.map((p) => (
                <ProgressRow key={p.id} progress={p} />
              ))}
            </ul>
          </>
        )}
        <h3>{t('activity.timeline')}</h3>
        {activity.length === 0 ? (
          <p>{t('activity.empty')}</p>
        ) : (
          <ol className="timeline" data-testid="timeline">
            {[...activity].reverse().map((entry) => (
              <TimelineEntry key={entry.id} entry={entry} />
            ))}
          </ol>
        )}
      </section>
      <TerminalMirror log={terminal} />
      <ChatPanel chat={chat} canSend={canChat} onSent={onChatSent} />
    </>
  );
}
