// Renderer: the words the Timeline uses for sources and results, and the colours that tell them apart in the histogram.
import { i18next } from '../../i18n';

const KNOWN_SOURCES = ['signin', 'directory_audit', 'ual', 'exchange', 'object', 'finding', 'custody'] as const;

/** A source's name in the interface language; an unknown source (a later importer's) as it is called. */
export function sourceName(source: string): string {
  return (KNOWN_SOURCES as readonly string[]).includes(source) ? i18next.t(`timeline.source.${source as (typeof KNOWN_SOURCES)[number]}`) : source;
}

/** Sign-in and audit results are 'success' and 'failure'; anything else (a finding's severity, 'interrupted') as written. */
export function resultName(result: string): string {
  return result === 'success' || result === 'failure' ? i18next.t(`timeline.result.${result}`) : result;
}

const SOURCE_COLOURS: Record<string, string> = {
  signin: 'var(--tl-signin)',
  directory_audit: 'var(--tl-audit)',
  ual: 'var(--tl-ual)',
  exchange: 'var(--tl-exchange)',
  object: 'var(--tl-object)',
  finding: 'var(--tl-finding)',
  custody: 'var(--tl-custody)',
};
const RESULT_COLOURS: Record<string, string> = { success: 'var(--tl-success)', failure: 'var(--tl-failure)' };
const SPARE = ['var(--tl-spare-1)', 'var(--tl-spare-2)', 'var(--tl-spare-3)', 'var(--tl-spare-4)'];

/** A stable colour per part of the split (source or result), spare colours for the rest in order. */
export function partColour(split: 'source' | 'result', part: string, index: number): string {
  const known = split === 'source' ? SOURCE_COLOURS[part] : RESULT_COLOURS[part];
  return known ?? SPARE[index % SPARE.length]!;
}

/** The order the parts stack in: known sources in their order, then the rest by name. */
export function partOrder(split: 'source' | 'result', parts: Iterable<string>): string[] {
  const rank = (p: string) => {
    const list: readonly string[] = split === 'source' ? KNOWN_SOURCES : ['success', 'failure'];
    const i = list.indexOf(p);
    return i < 0 ? list.length : i;
  };
  return [...new Set(parts)].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}
