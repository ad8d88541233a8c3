// Renderer: formatting of timestamps, counts, sizes and hashes the same way on every screen.

import { i18next, localeOf, currentLanguage, type Language } from '../i18n';

const partsCache = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string, lng: Language): Intl.DateTimeFormat {
  const key = `${lng}|${timeZone}`;
  let f = partsCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lng === 'ja' ? 'ja-JP' : 'en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    partsCache.set(key, f);
  }
  return f;
}

/**
 * Absolute timestamp in the interface language, e.g. `2025-03-14 02:13:05 UTC` (English keeps the sortable
 * ISO order) or `2025/03/14 11:13:05 +09:00` (Japanese, as Intl's ja-JP writes it).
 * Without the zone suffix when a column header already names the zone.
 */
export function formatTimestamp(iso: string | null | undefined, timeZone = 'UTC', withZone = true, lng: Language = currentLanguage()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = formatter(timeZone, lng).formatToParts(d);
  } catch {
    parts = formatter('UTC', lng).formatToParts(d);
    timeZone = 'UTC';
  }
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = get('timeZoneName').replace(/^GMT/, '');
  const zone = timeZone === 'UTC' || offset === '' ? 'UTC' : offset;
  const sep = lng === 'ja' ? '/' : '-';
  const stamp = `${get('year')}${sep}${get('month')}${sep}${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
  return withZone ? `${stamp} ${zone}` : stamp;
}

/** A relative hint (`3 min ago`, `14 分後`), only ever shown next to an absolute time. */
export function relativeHint(iso: string | null | undefined, now = Date.now(), lng: Language = currentLanguage()): string {
  if (!iso) return '';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '';
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  const [value, unit] = abs < 60 ? [s, 'second' as const] : abs < 3600 ? [Math.round(s / 60), 'minute' as const] : abs < 86400 ? [Math.round(s / 3600), 'hour' as const] : [Math.round(s / 86400), 'day' as const];
  if (lng === 'en') {
    // English as it always read ("3 min ago", "in 14 min"), not the ICU data's abbreviations, which differ by runtime.
    const amount = `${Math.abs(value)} ${{ second: 's', minute: 'min', hour: 'h', day: 'd' }[unit]}`;
    return value >= 0 ? `in ${amount}` : `${amount} ago`;
  }
  return new Intl.RelativeTimeFormat(localeOf(lng), { numeric: 'always', style: 'short' }).format(value, unit);
}

export function formatCount(n: number, lng: Language = currentLanguage()): string {
  return n.toLocaleString(localeOf(lng));
}

export function formatBytes(n: number, lng: Language = currentLanguage()): string {
  const one = (v: number) => v.toLocaleString(localeOf(lng), { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false });
  if (n < 1024) return `${formatCount(n, lng)} B`;
  if (n < 1024 * 1024) return `${one(n / 1024)} KiB`;
  return `${one(n / (1024 * 1024))} MiB`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0
    ? i18next.t('format.durationMinutes', { minutes: m, seconds: String(s % 60).padStart(2, '0') })
    : i18next.t('format.durationSeconds', { seconds: s });
}

/** First 12 hex characters, enough to tell hashes apart on screen; the copy button copies all of it. */
export function shortHash(hash: string | null | undefined, length = 12): string {
  if (!hash) return '—';
  return hash.length > length ? `${hash.slice(0, length)}…` : hash;
}

/** How an app's sign-in audience reads on screen, in the interface language. */
export function signInAudience(value: string): string {
  switch (value) {
    case 'AzureADMyOrg':
      return i18next.t('format.audience.singleTenant');
    case 'AzureADMultipleOrgs':
      return i18next.t('format.audience.multiTenant');
    case 'AzureADandPersonalMicrosoftAccount':
      return i18next.t('format.audience.multiTenantPersonal');
    case 'PersonalMicrosoftAccount':
      return i18next.t('format.audience.personal');
    default:
      return value;
  }
}
