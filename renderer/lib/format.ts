// Renderer: formatting of timestamps, counts, sizes and hashes the same way on every screen.

const partsCache = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
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
    partsCache.set(timeZone, f);
  }
  return f;
}

/**
 * Absolute timestamp, e.g. `2025-03-14 02:13:05 UTC` or `2025-03-14 03:13:05 +01:00`.
 * Without the zone suffix when a column header already names the zone.
 */
export function formatTimestamp(iso: string | null | undefined, timeZone = 'UTC', withZone = true): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = formatter(timeZone).formatToParts(d);
  } catch {
    parts = formatter('UTC').formatToParts(d);
    timeZone = 'UTC';
  }
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = get('timeZoneName').replace(/^GMT/, '');
  const zone = timeZone === 'UTC' || offset === '' ? 'UTC' : offset;
  const stamp = `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
  return withZone ? `${stamp} ${zone}` : stamp;
}

/** A relative hint (`3 min ago`, `in 14 min`), only ever shown next to an absolute time. */
export function relativeHint(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '';
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  const unit = abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 86400 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86400)} d`;
  return s >= 0 ? `in ${unit}` : `${unit} ago`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${formatCount(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

/** First 12 hex characters, enough to tell hashes apart on screen; the copy button copies all of it. */
export function shortHash(hash: string | null | undefined, length = 12): string {
  if (!hash) return '—';
  return hash.length > length ? `${hash.slice(0, length)}…` : hash;
}

export const SIGN_IN_AUDIENCE: Record<string, string> = {
  AzureADMyOrg: 'Single tenant',
  AzureADMultipleOrgs: 'Multi-tenant',
  AzureADandPersonalMicrosoftAccount: 'Multi-tenant + personal',
  PersonalMicrosoftAccount: 'Personal accounts',
};
