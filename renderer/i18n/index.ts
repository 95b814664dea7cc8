// i18next set up with the four catalogues; the OS locale picks the language.
import i18next, { type i18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import { de } from './de';
import { en } from './en';
import { fr } from './fr';
import { nb } from './nb';

export const LANGUAGES = ['en', 'fr', 'de', 'nb'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Names of the languages in themselves (for the picker). */
export const LANGUAGE_NAMES: Readonly<Record<Language, string>> = {
  en: 'English',
  fr: 'Français',
  de: 'Deutsch',
  nb: 'Norsk bokmål',
};

/** The supported language for a BCP 47 tag (`nb-NO`, `no`, `nn` -> nb; unknown -> en). */
export function pickLanguage(tag: string): Language {
  const base = tag.toLowerCase().split(/[-_]/)[0] ?? '';
  if (base === 'nb' || base === 'no' || base === 'nn') return 'nb';
  if (base === 'fr' || base === 'de') return base;
  return 'en';
}

/** Creates and initialises the i18next instance. */
export async function createI18n(language: Language): Promise<i18n> {
  const instance = i18next.createInstance();
  await instance.use(initReactI18next).init({
    lng: language,
    fallbackLng: 'en',
    resources: {
      en: { translation: en },
      fr: { translation: fr },
      de: { translation: de },
      nb: { translation: nb },
    },
    // React escapes output itself.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return instance;
}
