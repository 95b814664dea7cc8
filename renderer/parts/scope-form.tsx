// "Allow for this session": what similar actions the grant covers, for how
// long, and how many times. Defaults are the narrowest sensible scope.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { ActionPreview, ConsentScope } from '../../protocol/consent';

/** Durations offered, in minutes (0: until the session ends). */
export const SCOPE_DURATIONS = [0, 15, 60] as const;

/** The folder an allow-similar grant defaults to: the parent of the path (or the folder itself for a listing). */
export function defaultPathPrefix(preview: ActionPreview): string | undefined {
  const path = preview.path?.canonical;
  if (path === undefined) return undefined;
  if (preview.kind === 'file.list' || preview.kind === 'file.find') return path;
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return cut <= 0 ? path.slice(0, cut + 1) || path : path.slice(0, cut);
}

export function ScopeForm({
  preview,
  onConfirm,
  onCancel,
  disabled,
}: {
  preview: ActionPreview;
  onConfirm: (scope: ConsentScope) => void;
  onCancel: () => void;
  disabled: boolean;
}) {
  const { t } = useTranslation();
  const id = useId();
  const prefix = defaultPathPrefix(preview);
  const command = preview.command?.commandNames?.[0];
  const product = preview.fix?.product;
  const [minutes, setMinutes] = useState<number>(0);
  const [maxUses, setMaxUses] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const uses = Number.parseInt(maxUses, 10);
    onConfirm({
      kind: preview.kind,
      ...(prefix !== undefined ? { pathPrefix: prefix } : {}),
      ...(command !== undefined ? { command } : {}),
      ...(product !== undefined ? { product } : {}),
      ...(minutes > 0 ? { minutes } : {}),
      ...(Number.isFinite(uses) && uses > 0 ? { maxUses: uses } : {}),
    });
  };

  return (
    <form
      className="scope-form"
      onSubmit={submit}
      aria-labelledby={`${id}-title`}
      // Enter in a field must not approve: only the button does.
      onKeyDown={(e) => {
        if (e.key === 'Enter' && !(e.target instanceof HTMLButtonElement)) e.preventDefault();
      }}
    >
      <h4 id={`${id}-title`}>{t('consent.scopeTitle')}</h4>
      <dl className="facts">
        {prefix !== undefined && (
          <div className="fact">
            <dt>{t('consent.scopePath')}</dt>
            <dd>
              <code className="path">{prefix}</code>
            </dd>
          </div>
        )}
        {command !== undefined && (
          <div className="fact">
            <dt>{t('consent.scopeCommand')}</dt>
            <dd>
              <code>{command}</code>
            </dd>
          </div>
        )}
        {product !== undefined && (
          <div className="fact">
            <dt>{t('consent.scopeProduct')}</dt>
            <dd>{product}</dd>
          </div>
        )}
      </dl>
      <label htmlFor={`${id}-duration`}>{t('consent.scopeDuration')}</label>
      <select
        id={`${id}-duration`}
        value={minutes}
        onChange={(e) => setMinutes(Number(e.target.value))}
      >
        {SCOPE_DURATIONS.map((m) => (
          <option key={m} value={m}>
            {m === 0 ? t('consent.scopeUntilEnd') : t('consent.scopeMinutes', { count: m })}
          </option>
        ))}
      </select>
      <label htmlFor={`${id}-uses`}>{t('consent.scopeMaxUses')}</label>
      <input
        id={`${id}-uses`}
        type="number"
        min={1}
        inputMode="numeric"
        value={maxUses}
        onChange={(e) => setMaxUses(e.target.value)}
      />
      <div className="actions">
        <button type="submit" className="primary" disabled={disabled}>
          {t('consent.scopeConfirm')}
        </button>
        <button type="button" onClick={onCancel}>
          {t('consent.scopeCancel')}
        </button>
      </div>
    </form>
  );
}
