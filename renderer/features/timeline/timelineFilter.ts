// Renderer: the Timeline's filter as the address carries it (so "N events" links and reloads land on the same view), and times typed in the display zone.
import type { TimelineFilter } from '../../lib/api';

const TEXT_KEYS = ['from', 'to', 'operation', 'actor', 'ip', 'target', 'result', 'finding', 'ioc', 'search'] as const;

/** The filter and the storyline stage it came from (a label only), read from the `?…` of `#/timeline?…`. */
export function filterFromQuery(q: URLSearchParams): { filter: TimelineFilter; stage: string | null } {
  const filter: TimelineFilter = {};
  for (const key of TEXT_KEYS) {
    const v = q.get(key)?.trim();
    if (v) filter[key] = v;
  }
  const sources = q.getAll('sources').flatMap((s) => s.split(',')).filter(Boolean);
  if (sources.length) filter.sources = sources;
  const findings = q.getAll('findings').filter(Boolean);
  if (findings.length) filter.findings = findings;
  if (q.get('supporting') === '1') filter.supporting = true;
  return { filter, stage: q.get('stage') };
}

/** `#/timeline?…` for a filter; arrays repeat their key (a finding key may hold a comma). */
export function timelineQueryHref(filter: TimelineFilter, stage?: string | null): string {
  const q = new URLSearchParams();
  for (const key of TEXT_KEYS) {
    const v = filter[key];
    if (v) q.set(key, v);
  }
  if (filter.sources?.length) q.set('sources', filter.sources.join(','));
  for (const f of filter.findings ?? []) q.append('findings', f);
  if (filter.supporting) q.set('supporting', '1');
  if (stage) q.set('stage', stage);
  const text = q.toString();
  return text ? `#/timeline?${text}` : '#/timeline';
}

/** `#/export?…`: the Export screen, its timeline scoped to the events this filter keeps (a storyline stage is a label only, not kept). */
export function exportScopeHref(filter: TimelineFilter): string {
  return timelineQueryHref(filter).replace(/^#\/timeline/, '#/export');
}

export function isEmptyFilter(filter: TimelineFilter): boolean {
  return timelineQueryHref(filter) === '#/timeline';
}

/** Minutes east of UTC of `zone` at the instant `ms`. */
function offsetMinutes(zone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/**
 * A time the consultant typed, as UTC ISO: `2024-05-01`, `2024-05-01 10:00`, `2024-05-01T10:00:30` are read in `zone`
 * (the zone the screen shows); with `Z` or an offset, as written. Null when it is not a time.
 */
export function typedTimeToUtc(text: string, zone: string): string | null {
  const t = text.trim().replace(' ', 'T');
  const m = /^(\d{4}-\d\d-\d\d)(?:T(\d\d:\d\d(?::\d\d(?:\.\d{1,3})?)?))?(Z|[+-]\d\d:?\d\d)?$/.exec(t);
  if (!m) return null;
  const local = `${m[1]}T${m[2] ?? '00:00'}`;
  if (m[3]) {
    const ms = Date.parse(`${local}${m[3]}`);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  const guess = Date.parse(`${local}Z`);
  if (Number.isNaN(guess)) return null;
  // The offset at the guess, then again at the corrected instant (a change of offset between them: daylight saving).
  let ms = guess - offsetMinutes(zone, guess) * 60000;
  ms = guess - offsetMinutes(zone, ms) * 60000;
  return new Date(ms).toISOString();
}

/** A UTC ISO time as the inputs show it in `zone`: `2024-05-01 19:00` (seconds only when not zero). */
export function utcToTyped(iso: string, zone: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const shifted = new Date(ms + offsetMinutes(zone, ms) * 60000).toISOString();
  const seconds = shifted.slice(17, 19) !== '00' ? shifted.slice(16, 19) : '';
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 16)}${seconds}`;
}

/**
 * Values nested as JSON text inside strings (AuditData, ExtendedProperties values, ModifiedProperties NewValue) parsed
 * into the tree; anything else left as it is. Returns the value and whether anything was parsed.
 */
export function expandNestedJson(value: unknown, depth = 0): unknown {
  if (depth > 20) return value;
  if (typeof value === 'string') {
    const s = value.trim();
    if ((s.startsWith('{') && s.endsWith('}')) || (s.startsWith('[') && s.endsWith(']'))) {
      try {
        return { [NESTED]: expandNestedJson(JSON.parse(s) as unknown, depth + 1) };
      } catch {
        return value;
      }
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => expandNestedJson(v, depth + 1));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandNestedJson(v, depth + 1)]));
  return value;
}

/** Marks a value that was JSON text inside a string. */
export const NESTED = '\u0000nested';

export function isNested(value: unknown): value is { [NESTED]: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && NESTED in value;
}
