// Renderer: the interface language (English or Japanese) through i18next, catalogs bundled with the page.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { ja } from './ja';

export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'peregrine.language';

/** The OS/browser preference: Japanese for any `ja*`, English otherwise. */
export function detectLanguage(preferred: readonly string[]): Language {
  const first = preferred[0] ?? 'en';
  return first.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

function storedLanguage(): Language | null {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return v === 'en' || v === 'ja' ? v : null;
  } catch {
    return null;
  }
}

function initialLanguage(): Language {
  return storedLanguage() ?? detectLanguage(typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]);
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, ja: { translation: ja } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  supportedLngs: [...LANGUAGES],
  interpolation: { escapeValue: false },
  returnNull: false,
  initAsync: false,
});

function applyLang(lng: string) {
  if (typeof document !== 'undefined') document.documentElement.lang = lng;
}
applyLang(i18next.language);
i18next.on('languageChanged', applyLang);

export function currentLanguage(): Language {
  return i18next.language === 'ja' ? 'ja' : 'en';
}

/** Chooses the language and remembers it on this computer. */
export function setLanguage(lng: Language): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, lng);
  } catch {
    // Storage refused (private mode): the choice lasts until the page reloads.
  }
  void i18next.changeLanguage(lng);
}

/** The BCP 47 locale Intl formats with for the interface language. */
export function localeOf(lng: Language = currentLanguage()): string {
  return lng === 'ja' ? 'ja-JP' : 'en-US';
}

export { i18next };
