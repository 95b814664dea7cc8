// Active session grants, each with Revoke.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { GrantInfo } from '../../protocol/consent';
import { assentApi } from '../api';
import { formatCount, formatDateTime } from '../format';
import { ErrorNote } from '../parts/field';
import { useErrorMessage } from '../parts/use-error-message';

export function GrantsScreen({ grants }: { grants: readonly GrantInfo[] }) {
  const { t, i18n } = useTranslation();
  const toMessage = useErrorMessage();
  const [error, setError] = useState<string | null>(null);

  const revoke = async (grantId: string) => {
    try {
      await assentApi().grantRevoke({ grantId });
      setError(null);
    } catch (err: unknown) {
      setError(toMessage(err));
    }
  };
  const scopeText = (g: GrantInfo) =>
    g.scope.pathPrefix ?? g.scope.command ?? g.scope.product ?? t('grants.anywhere');

  return (
    <section aria-labelledby="grants-title" className="panel">
      <h2 id="grants-title">{t('grants.title')}</h2>
      <p>{t('grants.intro')}</p>
      {grants.length === 0 ? (
        <p>{t('grants.empty')}</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">{t('grants.kind')}</th>
              <th scope="col">{t('grants.scope')}</th>
              <th scope="col">{t('grants.granted')}</th>
              <th scope="col">{t('grants.expires')}</th>
              <th scope="col">{t('grants.uses')}</th>
              <td />
            </tr>
          </thead>
          <tbody>
            {grants.map((g) => (
              <tr key={g.id} data-grant-id={g.id}>
                <td>{t(`kind.${g.scope.kind}`)}</td>
                <td>
                  <code className="path">{scopeText(g)}</code>
                </td>
                <td>{formatDateTime(g.grantedAt, i18n.language)}</td>
                <td>
                  {g.expiresAt === undefined
                    ? t('grants.noExpiry')
                    : formatDateTime(g.expiresAt, i18n.language)}
                </td>
                <td>
                  {g.scope.maxUses === undefined
                    ? formatCount(g.uses, i18n.language)
                    : t('grants.usesOf', {
                        uses: formatCount(g.uses, i18n.language),
                        max: formatCount(g.scope.maxUses, i18n.language),
                      })}
                </td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    aria-label={t('grants.revokeLabel', { scope: scopeText(g) })}
                    onClick={() => void revoke(g.id)}
                  >
                    {t('grants.revoke')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNote message={error} />
    </section>
  );
}
