import { useTranslation } from 'react-i18next';
import { errorCode, errorText } from '../api';

/** Turns a failed call into a sentence in the UI language (known codes translated). */
export function useErrorMessage(): (err: unknown) => string {
  const { t, i18n } = useTranslation();
  return (err) => {
    const code = errorCode(err);
    const key = `errors.${code ?? ''}`;
    if (code !== null && i18n.exists(key)) return t(key);
    return t('common.error', { message: errorText(err) });
  };
}
