// Any process (pure): every timestamp spelling the Microsoft logs use, as one UTC ISO form that sorts as text.
import type { FieldReader } from './record';

const MONTH_FIRST = /^(\d{1,2})\/(\d{1,2})\/(\d{4}),?\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?\s*([AP]M)?$/i;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const POWERSHELL = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/**
 * '2024-05-01T10:00:00.000Z' from: ISO 8601 with any fraction (Graph sends 7 digits) and offset; ISO
 * without a zone (the Management Activity API's CreationTime and Log Analytics exports are UTC);
 * PowerShell's ConvertTo-Json '/Date(ms)/'; the Azure portal's CSV 'M/D/YYYY, h:mm:ss.fff AM' (its
 * column header says [UTC]); epoch milliseconds. Null when the text is none of these.
 */
export function toUtcIso(value: string | number): string | null {
  if (typeof value === 'number') return fromMs(value);
  const v = value.trim();
  const ps = POWERSHELL.exec(v);
  // The optional offset in /Date(ms+0100)/ is the writer's zone for display only: ms is already UTC.
  if (ps) return fromMs(Number(ps[1]));
  const iso = ISO.exec(v);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac, zone] = iso;
    const ms = Number(((frac ?? '') + '000').slice(0, 3));
    let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), ms);
    if (zone && zone.toUpperCase() !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
    }
    return checked(t, Number(mo), Number(d), Number(h), Number(mi), Number(s ?? 0));
  }
  const us = MONTH_FIRST.exec(v);
  if (us) {
    const [, mo, d, y, h12, mi, s, frac, half] = us;
    let h = Number(h12);
    if (half) {
      if (h < 1 || h > 12) return null;
      h = (h % 12) + (half.toUpperCase() === 'PM' ? 12 : 0);
    }
    const ms = Number(((frac ?? '') + '000').slice(0, 3));
    return checked(Date.UTC(Number(y), Number(mo) - 1, Number(d), h, Number(mi), Number(s), ms), Number(mo), Number(d), h, Number(mi), Number(s));
  }
  return null;
}

function checked(t: number, mo: number, d: number, h: number, mi: number, s: number): string | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  return fromMs(t);
}

function fromMs(ms: number): string | null {
  const date = new Date(ms);
  // Outside years 1000-9999 toISOString() changes width ('+010000-…') and the text would no longer sort as time.
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1000 || date.getUTCFullYear() > 9999) return null;
  return date.toISOString();
}

/** The field as a UTC timestamp; null when absent; a LogRecordError when present but unreadable. */
export function readTime(r: FieldReader, field: string): string | null {
  const v = r.record[field];
  if (typeof v === 'number') return toUtcIso(v) ?? r.fail(field, `is not a timestamp: ${v}`);
  const text = r.text(field);
  if (text === null) return null;
  return toUtcIso(text) ?? r.fail(field, `is not a timestamp: '${text}'`);
}

/** The first present of several timestamp fields (export formats rename them). */
export function readFirstTime(r: FieldReader, ...fields: string[]): string | null {
  for (const f of fields) {
    const t = readTime(r, f);
    if (t !== null) return t;
  }
  return null;
}
