// Import (any thread): the dates an audit search CSV was written with — the exporting machine's locale — read as
// told, or inferred from every date in the file when only one reading fits; never guessed.
import { ImportError } from './errors';

/** How the export wrote its dates. Times are H:mm[:ss[.fff]] with an optional AM/PM (`tt`); all are UTC. */
export const DATE_FORMATS = ['iso', 'M/d/yyyy', 'd/M/yyyy', 'd.M.yyyy', 'yyyy/M/d'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export const isDateFormat = (v: string): v is DateFormat => (DATE_FORMATS as readonly string[]).includes(v);

const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
const TIME = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7}))?)?\s*([AaPp][Mm])?`;
const SLASH = new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4}),?\s+${TIME}$`);
const DOT = new RegExp(String.raw`^(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s+${TIME}$`);
const YMD = new RegExp(String.raw`^(\d{4})/(\d{1,2})/(\d{1,2}),?\s+${TIME}$`);

/**
 * '2024-05-01T10:00:00.000Z', or null when `value` is not a date in `format`. ISO 8601 reads as itself whatever the
 * format: it cannot be mistaken for another (a format given for one file's locale dates fits the others too).
 */
export function readDate(value: string, format: DateFormat): string | null {
  const v = value.trim();
  if (ISO.test(v)) return isoOf(v);
  if (format === 'iso') return null;
  const m = (format === 'd.M.yyyy' ? DOT : format === 'yyyy/M/d' ? YMD : SLASH).exec(v);
  if (!m) return null;
  const [a, b, c, h, mi, s, frac, half] = m.slice(1);
  const [y, mo, d] = format === 'M/d/yyyy' ? [c, a, b] : format === 'yyyy/M/d' ? [a, b, c] : [c, b, a];
  let hour = Number(h);
  if (half) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (half.toUpperCase() === 'PM' ? 12 : 0);
  }
  const [Y, M, D, min, sec] = [Number(y), Number(mo), Number(d), Number(mi), Number(s ?? 0)];
  if (M < 1 || M > 12 || D < 1 || hour > 23 || min > 59 || sec > 59) return null;
  const t = Date.UTC(Y, M - 1, D, hour, min, sec, Number(((frac ?? '') + '000').slice(0, 3)));
  const date = new Date(t);
  if (date.getUTCDate() !== D || Y < 1000) return null; // 31/4 is no date
  return date.toISOString();
}

function isoOf(v: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(v);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), Number(((frac ?? '') + '000').slice(0, 3)));
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    t -= (zone.startsWith('-') ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/**
 * Collects a file's dates and says which format they were written in. A/B/yyyy dates are month-first only when
 * some B is over 12, day-first only when some A is; a file where none is (or both are) cannot be read safely.
 */
export class DateEvidence {
  private kinds = new Set<'iso' | 'slash' | 'dot' | 'ymd'>();
  private dayFirst: { line: number; value: string } | null = null;
  private monthFirst: { line: number; value: string } | null = null;
  private example: { line: number; value: string } | null = null;
  private unreadable: { line: number; value: string } | null = null;

  add(value: string, line: number): void {
    const v = value.trim();
    if (v === '') return;
    if (ISO.test(v)) this.kinds.add('iso');
    else if (DOT.test(v)) this.kinds.add('dot');
    else if (YMD.test(v)) this.kinds.add('ymd');
    else {
      const m = SLASH.exec(v);
      if (!m) {
        this.unreadable ??= { line, value: v };
        return;
      }
      this.kinds.add('slash');
      this.example ??= { line, value: v };
      if (Number(m[1]) > 12) this.dayFirst ??= { line, value: v };
      if (Number(m[2]) > 12) this.monthFirst ??= { line, value: v };
    }
  }

  /** The format, or an ImportError saying why it cannot be told (and what to pass). */
  resolve(file: string, field: string): DateFormat {
    if (this.unreadable) throw new ImportError('date_format', file, this.unreadable.line, field, `'${this.unreadable.value}' is not a date Peregrine can read; give --date-format (${DATE_FORMATS.join(', ')}).`);
    if (this.kinds.size > 1) throw new ImportError('date_format', file, null, field, `the dates are written in more than one format (${[...this.kinds].join(', ')}); give --date-format.`);
    const kind = [...this.kinds][0];
    if (kind === undefined || kind === 'iso') return 'iso';
    if (kind === 'dot') return 'd.M.yyyy';
    if (kind === 'ymd') return 'yyyy/M/d';
    if (this.dayFirst && this.monthFirst) {
      throw new ImportError('date_format', file, this.monthFirst.line, field, `'${this.dayFirst.value}' (line ${this.dayFirst.line}) is day-first but '${this.monthFirst.value}' is month-first: the dates contradict each other; give --date-format M/d/yyyy or d/M/yyyy.`);
    }
    if (this.dayFirst) return 'd/M/yyyy';
    if (this.monthFirst) return 'M/d/yyyy';
    throw new ImportError('date_format', file, this.example?.line ?? null, field, `every date in the file (e.g. '${this.example?.value ?? ''}') reads both as month/day and as day/month; the file cannot say which. Give --date-format M/d/yyyy (e.g. United States) or --date-format d/M/yyyy (e.g. United Kingdom), as the exporting machine was set.`);
  }
}
