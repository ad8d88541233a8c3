// Any process (pure): the shape the log parsers produce (an entity row plus its event) and the error for a record that cannot be read.
import type { JsonObject, JsonValue } from '../json';

export type LogSource = 'signin' | 'directory_audit' | 'ual';

/** Event results. Sources say more (error codes, result reasons): those stay in the entity row. */
export type EventResult = 'success' | 'failure' | 'timeout' | 'unknown';

/** One row of the unified timeline, before it gets its evidence and source-row references. */
export interface NormalizedEvent {
  /** UTC, ISO 8601 with milliseconds ('2024-05-01T10:00:00.000Z'), so text order is time order. */
  at: string;
  source: LogSource;
  /** The source's own record id (sign-in id, directory audit id, UAL record Id). */
  recordId: string;
  /** normalizeOperation(rawOperation). */
  operation: string;
  rawOperation: string;
  result: EventResult;
  /** UPN when the source gives one, else the user's object id. */
  actorUser: string | null;
  actorAppId: string | null;
  actorIp: string | null;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
}

/** A record that does not have the shape its source promises. */
export class LogRecordError extends Error {
  override readonly name = 'LogRecordError';
  readonly code = 'invalid_record';
  constructor(
    /** Which log and shape, e.g. 'sign-in (Graph signIn)'. */
    readonly source: string,
    /** Position of the record in its page or file, from 0. */
    readonly index: number,
    readonly recordId: string | null,
    /** Dotted path of the offending field, e.g. 'status.errorCode'. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${source} #${index}${recordId ? ` (id ${recordId})` : ''}: field '${field}' ${problem}`);
  }
}

/** Where a reader is, for error messages. */
export interface RecordContext {
  source: string;
  index: number;
  recordId: string | null;
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Export formats (Log Analytics, portal CSV) write empty strings where the value is absent. */
const absent = (v: unknown): boolean => v === undefined || v === null || v === '';

/**
 * Typed reads of one record's fields; every refusal is a LogRecordError naming the source, the record
 * and the field. `path` prefixes field names for nested objects.
 */
export class FieldReader {
  constructor(
    readonly record: Record<string, unknown>,
    readonly ctx: RecordContext,
    readonly path = '',
  ) {}

  fail(field: string, problem: string): never {
    throw new LogRecordError(this.ctx.source, this.ctx.index, this.ctx.recordId, this.path + field, problem);
  }

  has(field: string): boolean {
    return !absent(this.record[field]);
  }

  /** A string, or null when absent. Numbers and booleans are accepted as their text (CSV/Log Analytics type drift). */
  text(field: string): string | null {
    const v = this.record[field];
    if (absent(v)) return null;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return this.fail(field, `must be text, got ${describe(v)}`);
  }

  requiredText(field: string): string {
    return this.text(field) ?? this.fail(field, 'is missing');
  }

  /** The first present of several spellings of one field. */
  firstText(...fields: string[]): string | null {
    for (const f of fields) {
      const v = this.text(f);
      if (v !== null) return v;
    }
    return null;
  }

  integer(field: string): number | null {
    const v = this.record[field];
    if (absent(v)) return null;
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
    if (typeof n === 'number' && Number.isInteger(n)) return n;
    return this.fail(field, `must be an integer, got ${describe(v)}`);
  }

  boolean(field: string): boolean | null {
    const v = this.record[field];
    if (absent(v)) return null;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
    return this.fail(field, `must be true or false, got ${describe(v)}`);
  }

  /**
   * An object, or null when absent. Log Analytics and CSV exports keep nested objects as JSON text
   * ("InitiatedBy", "Status", "LocationDetails"): that text is parsed here.
   */
  object(field: string): Record<string, unknown> | null {
    const v = this.embedded(field);
    if (v === null) return null;
    if (isObject(v)) return v;
    return this.fail(field, `must be an object, got ${describe(v)}`);
  }

  /** As object(), for arrays. */
  array(field: string): unknown[] | null {
    const v = this.embedded(field);
    if (v === null) return null;
    if (Array.isArray(v)) return v;
    return this.fail(field, `must be an array, got ${describe(v)}`);
  }

  /** A reader for a nested object (null when absent). */
  nested(field: string): FieldReader | null {
    const o = this.object(field);
    return o ? new FieldReader(o, this.ctx, `${this.path}${field}.`) : null;
  }

  private embedded(field: string): unknown {
    const v = this.record[field];
    if (absent(v)) return null;
    if (typeof v !== 'string') return v;
    const trimmed = v.trim();
    if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return this.fail(field, `must be JSON, got text '${clip(v)}'`);
    try {
      return JSON.parse(trimmed) as unknown;
    } catch (err) {
      return this.fail(field, `holds JSON text that does not parse (${(err as Error).message})`);
    }
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'string') return `text '${clip(v)}'`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** A JSON-safe deep copy (what the case file keeps as `raw`). */
export function toJson(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(toJson);
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  return null;
}

export function toJsonObject(value: Record<string, unknown>): JsonObject {
  return toJson(value) as JsonObject;
}

/**
 * An IP address without the port or brackets the Unified Audit Log sometimes adds
 * ("[2a01:110::1]:36185", "203.0.113.7:51234"). Plain IPv6 is left alone.
 */
export function cleanIp(value: string | null): string | null {
  if (value === null) return null;
  const v = value.trim();
  if (v === '') return null;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(v);
  if (bracketed) return bracketed[1] ?? null;
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(v);
  if (v4port) return v4port[1] ?? null;
  return v;
}
