// Renderer and main (the hand-over files): a finding's sentences said from a catalog's `<section>.<key>` texts.
import type { ReasonPart } from '../../preload/contract';

/** The i18next instance's members the lookup needs: the page's global one, or one main made for an export. */
export interface CatalogLookup {
  language: string;
  exists(key: string): boolean;
  t(key: string, values: Record<string, string | number>): string;
}

/** The parts said from the catalog's `<section>.<key>` texts, or `english` in English or unless every part has its text. */
export function catalogText(catalog: CatalogLookup, section: string, parts: readonly ReasonPart[], english: string): string {
  if (parts.length === 0 || catalog.language === 'en') return english;
  const keys = parts.map((p) => `${section}.${p.key}`);
  if (!keys.every((k) => catalog.exists(k))) return english;
  return parts.map((p, i) => catalog.t(keys[i]!, p.values)).join('');
}
