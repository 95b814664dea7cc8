// Renderer entry: picks the language from the OS locale, then renders the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { assentApi } from './api';
import { App } from './app';
import { createI18n, pickLanguage } from './i18n/index';
import './styles.css';

async function start(): Promise<void> {
  const { osLocale } = await assentApi()
    .localeGet({})
    .catch(() => ({ osLocale: navigator.language }));
  const i18n = await createI18n(pickLanguage(osLocale));
  const root = document.getElementById('root');
  if (root === null) throw new Error('#root is missing from index.html');
  createRoot(root).render(
    <StrictMode>
      <I18nextProvider i18n={i18n}>
        <App />
      </I18nextProvider>
    </StrictMode>,
  );
}

void start();
