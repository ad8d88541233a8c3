// Renderer: the interface language (English or Japanese) through i18next, catalogs bundled with the page.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en';
import { ja } from './ja';

export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'peregrine.language';

/** The page's members this module uses, looked up so that it also loads outside a page (unit tests in Node). */
const page = globalThis as unknown as {
  localStorage?: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  navigator?: { languages?: readonly string[]; language?: string };
  document?: { documentElement: { lang: string }; fonts?: { load(font: string, text: string): Promise<unknown> } };
};

/** The OS/browser preference: Japanese for any `ja*`, English otherwise. */
export function detectLanguage(preferred: readonly string[]): Language {
  const first = preferred[0] ?? 'en';
  return first.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

function storedLanguage(): Language | null {
  try {
    const v = page.localStorage?.getItem(STORAGE_KEY) ?? null;
    return v === 'en' || v === 'ja' ? v : null;
  } catch {
    return null;
  }
}

function initialLanguage(): Language {
  const nav = page.navigator;
  return storedLanguage() ?? detectLanguage(nav?.languages ?? (nav?.language ? [nav.language] : []));
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
  if (page.document) page.document.documentElement.lang = lng;
}
applyLang(i18next.language);
i18next.on('languageChanged', applyLang);

export function currentLanguage(): Language {
  return i18next.language === 'ja' ? 'ja' : 'en';
}

const GLYPHS_WAIT_MS = 2000;

/**
 * Loads the bundled Japanese face (fonts.css) before Japanese is first drawn: text laid out while a face is still
 * loading can keep its missing-glyph boxes in Chromium. The face is a local file; the wait is bounded all the same.
 */
export async function ensureGlyphs(lng: Language): Promise<void> {
  const fonts = page.document?.fonts;
  if (lng !== 'ja' || !fonts) return;
  const load = Promise.all(['400', '600'].map((w) => fonts.load(`${w} 16px "Noto Sans JP"`, '日本語'))).then(() => undefined, () => undefined);
  await Promise.race([load, new Promise<void>((resolve) => setTimeout(resolve, GLYPHS_WAIT_MS))]);
}

/** Chooses the language and remembers it on this computer. */
export async function setLanguage(lng: Language): Promise<void> {
  try {
    page.localStorage?.setItem(STORAGE_KEY, lng);
  } catch {
    // Storage refused (private mode): the choice lasts until the page reloads.
  }
  await ensureGlyphs(lng);
  await i18next.changeLanguage(lng);
}

/** The BCP 47 locale Intl formats with for the interface language. */
export function localeOf(lng: Language = currentLanguage()): string {
  return lng === 'ja' ? 'ja-JP' : 'en-US';
}

export { i18next };
