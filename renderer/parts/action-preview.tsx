// Everything the approver must see about one action, drawn from the consent
// engine's preview data: canonical path with invisible characters shown, the
// diff for a text change, sizes and hashes for binary, the command line, the
// fix manifest.
import { useTranslation } from 'react-i18next';
import type { ActionPreview, FileChange, FileFacts, PathDisplay } from '../../protocol/consent';
import { formatBytes, formatDateTime } from '../format';
import { DiffView } from './diff-view';
import { Fact } from './field';

function PathFact({ label, path }: { label: string; path: PathDisplay }) {
  const { t } = useTranslation();
  return (
    <Fact label={label}>
      <code className="path" data-testid="consent-path">
        {path.visible}
      </code>
      {path.hasInvisible && (
        <p className="warning" role="note">
          {t('consent.invisible')}
        </p>
      )}
    </Fact>
  );
}

function FileFactsView({ facts }: { facts: FileFacts }) {
  const { t, i18n } = useTranslation();
  return (
    <>
      <Fact label={t('consent.size')}>{formatBytes(facts.size, i18n.language)}</Fact>
      {facts.sha256 !== undefined && (
        <Fact label={t('consent.sha256')}>
          <code className="break">{facts.sha256}</code>
        </Fact>
      )}
      {facts.modifiedAt !== undefined && (
        <Fact label={t('consent.modified')}>
          {formatDateTime(Date.parse(facts.modifiedAt), i18n.language)}
        </Fact>
      )}
    </>
  );
}

function ChangeView({ change }: { change: FileChange }) {
  const { t } = useTranslation();
  if (!change.binary && change.diff !== undefined) {
    return <DiffView unified={change.diff} truncated={change.diffTruncated} />;
  }
  return (
    <div className="binary-change">
      {change.binary && <p>{t('consent.binaryChange')}</p>}
      <div className="before-after">
        {change.before !== undefined && (
          <div>
            <h4>{t('consent.before')}</h4>
            <dl className="facts">
              <FileFactsView facts={change.before} />
            </dl>
          </div>
        )}
        {change.after !== undefined && (
          <div>
            <h4>{t('consent.after')}</h4>
            <dl className="facts">
              <FileFactsView facts={change.after} />
            </dl>
          </div>
        )}
      </div>
    </div>
  );
}

export function ActionPreviewView({ preview }: { preview: ActionPreview }) {
  const { t, i18n } = useTranslation();
  const { command, fix } = preview;
  return (
    <div className="preview">
      <dl className="facts">
        {preview.path !== undefined && <PathFact label={t('consent.path')} path={preview.path} />}
        {preview.destination !== undefined && (
          <PathFact label={t('consent.destination')} path={preview.destination} />
        )}
        {preview.file !== undefined && <FileFactsView facts={preview.file} />}
        {command !== undefined && (
          <>
            <Fact label={t('consent.mode')}>
              {command.mode === 'supervised'
                ? t('consent.modeSupervised')
                : t('consent.modeInteractive')}
              {command.windowMinutes !== undefined &&
                ` (${t('consent.windowMinutes', { count: command.windowMinutes })})`}
            </Fact>
            {(command.visibleLine ?? command.line) !== undefined && (
              <Fact label={t('consent.command')}>
                <code className="command" data-testid="consent-command">
                  {command.visibleLine ?? command.line}
                </code>
              </Fact>
            )}
            <Fact label={t('consent.cwd')}>
              <code className="path">{command.cwd}</code>
            </Fact>
          </>
        )}
        {fix !== undefined && (
          <>
            <Fact label={t('consent.fixProduct')}>{fix.product}</Fact>
            <Fact label={t('consent.fixVersion')}>
              {fix.fromVersion === undefined
                ? fix.toVersion
                : t('consent.fixVersionChange', { from: fix.fromVersion, to: fix.toVersion })}
            </Fact>
            <Fact label={t('consent.fixKind')}>
              {fix.fixKind === 'workaround'
                ? t('consent.fixKindWorkaround')
                : t('consent.fixKindPermanent')}
            </Fact>
            <Fact label={t('consent.fixSigner')}>
              {fix.signer} <code className="break">{fix.signerFingerprint}</code>
            </Fact>
            <Fact label={t('consent.details')}>{fix.description}</Fact>
          </>
        )}
        {preview.details !== undefined &&
          Object.entries(preview.details).map(([key, value]) => (
            <Fact key={key} label={i18n.exists(`detail.${key}`) ? t(`detail.${key}`) : key}>
              {String(value)}
            </Fact>
          ))}
      </dl>
      {preview.change !== undefined && <ChangeView change={preview.change} />}
      {fix !== undefined && (
        <>
          <h4>{t('consent.fixFiles')}</h4>
          <ul className="fix-files">
            {fix.files.map((file) => (
              <li key={file.path}>
                <code className="path">{file.path}</code> (
                {t(`consent.op${file.op[0]!.toUpperCase()}${file.op.slice(1)}`)})
                {file.change.diff !== undefined && !file.change.binary && (
                  <DiffView unified={file.change.diff} truncated={file.change.diffTruncated} />
                )}
              </li>
            ))}
          </ul>
          {fix.checks.length > 0 && (
            <>
              <h4>{t('consent.fixChecks')}</h4>
              <ul>
                {fix.checks.map((check, i) => (
                  <li key={i}>
                    <code className="command">{check.command}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {fix.rollback === true && <p>{t('consent.fixRollback')}</p>}
        </>
      )}
    </div>
  );
}
