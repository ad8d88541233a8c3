// Main process and CLI: reads the timeline index — pages by key in either direction, filters, full-text search (FTS5) and the histogram.
import type { Database } from 'better-sqlite3';
import type { TimelineRowInput } from './model';

/** Every filter is optional; all given must hold. Text comparisons of names and ids ignore ASCII case. */
export interface TimelineFilter {
  /** Inclusive lower bound, UTC ISO ('2024-05-01T00:00:00.000Z'). */
  from?: string;
  /** Exclusive upper bound. */
  to?: string;
  /** One or more sources ('signin', 'directory_audit', 'ual', 'exchange', 'object', 'finding', 'custody'). */
  sources?: string[];
  /** As the source wrote it ('Add service principal.', 'New-InboxRule'). */
  operation?: string;
  /** UPN or object id (sign-ins, audits), examiner (custody). */
  actor?: string;
  ip?: string;
  /** A target's id or name. */
  target?: string;
  /** 'success', 'failure', … (a finding's is its severity). */
  result?: string;
  /** Only rows that support at least one finding. */
  supporting?: boolean;
  /** Only rows supporting this finding (its key). */
  finding?: string;
  /** Only rows supporting any of these findings (a storyline stage's). */
  findings?: string[];
  /** An indicator: an address, app id, object id, account or name, matched against IP, actor, app and target. */
  ioc?: string;
  /** What a consultant types: words, names, addresses, ids (see ftsQuery). */
  search?: string;
}

/** A row's place in the order (at, id): the cursor of keyset paging. */
export interface TimelineCursor {
  at: string;
  id: number;
}

/** A row as pages and the export read it: the stored row, the hashes of its evidence and custody entry, the findings it supports. */
export interface TimelineRow extends TimelineRowInput {
  id: number;
  evidenceSha256: string | null;
  custodyHash: string | null;
  /** Keys of the findings the row supports. */
  findings: string[];
}

export interface TimelinePageQuery {
  filter?: TimelineFilter;
  limit: number;
  /** The page after this row (forward)… */
  after?: TimelineCursor;
  /** …or the page before it (backward). Neither: the first page, or with `last` the last one. */
  before?: TimelineCursor;
  last?: boolean;
}

export interface TimelinePage {
  rows: TimelineRow[];
  /** Pass as `before` for the previous page; null when nothing comes before. */
  previous: TimelineCursor | null;
  /** Pass as `after` for the next page; null when nothing comes after. */
  next: TimelineCursor | null;
}

export class TimelineQueryError extends Error {
  override readonly name = 'TimelineQueryError';
  constructor(
    /** The option at fault, e.g. 'from', 'limit', 'search'. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A time as the index stores it, from any ISO 8601 text; refuses what is not a time, naming the option. */
export function isoTime(field: string, value: string): string {
  if (ISO.test(value)) return value;
  const ms = Date.parse(/^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new TimelineQueryError(field, `${field}: '${value}' is not a time; give an ISO 8601 time such as 2024-05-01T10:00:00Z or a date such as 2024-05-01.`);
  return new Date(ms).toISOString();
}

/**
 * FTS5 query text from what a consultant types: each whitespace-separated word becomes a quoted phrase (so the dots of
 * an address, the @ of a UPN and the dashes of a GUID are matched as the sequence of tokens they split into, not read
 * as query syntax), all words must match, and a word ending in * matches as a prefix. Returns null for no words.
 */
export function ftsQuery(text: string): string | null {
  const words = text.split(/\s+/).filter((w) => w.replace(/\*+$/, '').replace(/[^\p{L}\p{N}]/gu, '') !== '');
  if (words.length === 0) return null;
  return words
    .map((w) => {
      const prefix = w.endsWith('*');
      const body = w.replace(/\*+$/, '').replace(/"/g, '""');
      return `"${body}"${prefix ? ' *' : ''}`;
    })
    .join(' AND ');
}

type Params = Record<string, string | number>;

/** WHERE clauses and their parameters; only fragments written here reach the SQL text. */
export function timelineWhere(filter: TimelineFilter): { clauses: string[]; params: Params } {
  const clauses: string[] = [];
  const params: Params = {};
  if (filter.from !== undefined) {
    clauses.push('t.at >= @from');
    params.from = isoTime('from', filter.from);
  }
  if (filter.to !== undefined) {
    clauses.push('t.at < @to');
    params.to = isoTime('to', filter.to);
  }
  if (filter.sources !== undefined && filter.sources.length > 0) {
    const names = filter.sources.map((s, i) => {
      params[`source${i}`] = s;
      return `@source${i}`;
    });
    clauses.push(names.length === 1 ? `t.source = ${names[0]}` : `t.source IN (${names.join(', ')})`);
  }
  const exact = (column: string, name: keyof TimelineFilter, value: string | undefined, nocase: boolean) => {
    if (value === undefined || value === '') return;
    clauses.push(`t.${column} = @${name}${nocase ? ' COLLATE NOCASE' : ''}`);
    params[name] = value;
  };
  exact('operation', 'operation', filter.operation, true);
  exact('actor', 'actor', filter.actor, true);
  exact('ip', 'ip', filter.ip, false);
  exact('result', 'result', filter.result, false);
  if (filter.target !== undefined && filter.target !== '') {
    clauses.push('(t.target_id = @target COLLATE NOCASE OR t.target_name = @target COLLATE NOCASE)');
    params.target = filter.target;
  }
  if (filter.supporting) clauses.push('t.findings > 0');
  if (filter.finding !== undefined && filter.finding !== '') {
    clauses.push('t.id IN (SELECT timeline_id FROM timeline_support WHERE finding_key = @finding)');
    params.finding = filter.finding;
  }
  if (filter.findings !== undefined && filter.findings.length > 0) {
    const names = filter.findings.map((key, i) => {
      params[`finding${i}`] = key;
      return `@finding${i}`;
    });
    clauses.push(`t.id IN (SELECT timeline_id FROM timeline_support WHERE finding_key IN (${names.join(', ')}))`);
  }
  if (filter.ioc !== undefined && filter.ioc !== '') {
    clauses.push(`(t.ip = @ioc OR t.actor = @ioc COLLATE NOCASE OR t.actor_app_id = @ioc COLLATE NOCASE OR t.target_id = @ioc COLLATE NOCASE
      OR t.target_name = @ioc COLLATE NOCASE)`);
    params.ioc = filter.ioc;
  }
  if (filter.search !== undefined) {
    const match = ftsQuery(filter.search);
    if (match === null) throw new TimelineQueryError('search', `search: '${filter.search}' has no words to look for.`);
    clauses.push('t.id IN (SELECT rowid FROM timeline_fts WHERE timeline_fts MATCH @search)');
    params.search = match;
  }
  return { clauses, params };
}

type RowColumns = Omit<TimelineRow, 'findings'> & { findingKeys: string | null };

/** The columns of a row as the pages and the export read it (evidence hash, custody hash and finding keys joined in). */
export const ROW_SELECT = `t.id, t.at, t.source, t.record_id AS recordId, t.operation, t.result, t.actor, t.actor_app_id AS actorAppId, t.ip,
  t.target_type AS targetType, t.target_id AS targetId, t.target_name AS targetName, t.message, t.event_id AS eventId, t.evidence_id AS evidenceId,
  ev.sha256 AS evidenceSha256, t.custody_seq AS custodySeq, c.hash AS custodyHash,
  CASE WHEN t.findings > 0 THEN (SELECT json_group_array(finding_key) FROM timeline_support s WHERE s.timeline_id = t.id) END AS findingKeys`;
export const ROW_JOINS = `LEFT JOIN evidence ev ON ev.id = t.evidence_id LEFT JOIN custody c ON c.seq = t.custody_seq`;

export function toRow(r: RowColumns): TimelineRow {
  const { findingKeys, ...row } = r;
  return { ...row, findings: findingKeys === null ? [] : (JSON.parse(findingKeys) as string[]) };
}

/** The SQL of a page query (exported so a test can check its plan). `descending` reads backwards from the cursor. */
export function timelinePageSql(query: TimelinePageQuery): { sql: string; params: Params; descending: boolean } {
  const { clauses, params } = timelineWhere(query.filter ?? {});
  const descending = query.before !== undefined || (query.last === true && query.after === undefined);
  const cursor = query.after ?? query.before;
  if (cursor) {
    // Keyset: strictly after (or before) the cursor's (at, id); a row value keeps it one index range, never an OFFSET.
    clauses.push(descending ? '(t.at, t.id) < (@cursorAt, @cursorId)' : '(t.at, t.id) > (@cursorAt, @cursorId)');
    params.cursorAt = cursor.at;
    params.cursorId = cursor.id;
  }
  params.limit = query.limit + 1;
  const whereSql = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  const order = descending ? 't.at DESC, t.id DESC' : 't.at, t.id';
  return { sql: `SELECT ${ROW_SELECT} FROM timeline t ${ROW_JOINS} ${whereSql} ORDER BY ${order} LIMIT @limit`, params, descending };
}

export const MAX_PAGE = 10_000;

/** One page in time order (ties by id), with the cursors of its neighbours. */
export function timelinePage(db: Database, query: TimelinePageQuery): TimelinePage {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_PAGE) {
    throw new TimelineQueryError('limit', `limit: a page holds 1 to ${MAX_PAGE} rows, not ${query.limit}.`);
  }
  if (query.after && query.before) throw new TimelineQueryError('after', 'after and before: give one cursor, not both.');
  const { sql, params, descending } = timelinePageSql(query);
  const fetched = (db.prepare(sql).all(params) as RowColumns[]).map(toRow);
  const more = fetched.length > query.limit;
  const rows = more ? fetched.slice(0, query.limit) : fetched;
  if (descending) rows.reverse();
  const first = rows[0];
  const last = rows.at(-1);
  const cursorOf = (r: TimelineRow | undefined): TimelineCursor | null => (r ? { at: r.at, id: r.id } : null);
  if (descending) {
    // Read backwards: more rows lie before the first; after the last lie rows only if we started from a cursor.
    return { rows, previous: more ? cursorOf(first) : null, next: query.before ? cursorOf(last) : null };
  }
  return { rows, previous: query.after ? cursorOf(first) : null, next: more ? cursorOf(last) : null };
}

/** How many rows match. */
export function timelineCount(db: Database, filter: TimelineFilter = {}): number {
  const { clauses, params } = timelineWhere(filter);
  const whereSql = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return db.prepare(`SELECT count(*) FROM timeline t ${whereSql}`).pluck().get(params) as number;
}

export interface HistogramBucket {
  /** Start of the hour or day, UTC ISO. */
  start: string;
  /** Rows per source or per result in this bucket. */
  counts: Record<string, number>;
  total: number;
}

export interface HistogramQuery {
  bucket: 'hour' | 'day';
  split: 'source' | 'result';
}

/**
 * Rows over time. Without a filter (or with a time range on whole hours only) it reads the hourly counts kept beside the
 * index (timeline_hour); with any other filter it counts the matching rows.
 */
export function timelineHistogram(db: Database, filter: TimelineFilter, query: HistogramQuery): HistogramBucket[] {
  const width = query.bucket === 'hour' ? 13 : 10;
  const split = query.split === 'source' ? 'source' : 'result';
  const { from, to, ...rest } = filter;
  const onlyTime = Object.values(rest).every((v) => v === undefined || v === false || (Array.isArray(v) && v.length === 0));
  const wholeHour = (t: string | undefined) => t === undefined || /T\d\d:00:00\.000Z$/.test(isoTime('from', t));
  let rows: { bucket: string; part: string; n: number }[];
  if (onlyTime && wholeHour(from) && wholeHour(to)) {
    const clauses: string[] = [];
    const params: Params = {};
    if (from !== undefined) {
      clauses.push('hour >= @from');
      params.from = isoTime('from', from).slice(0, 13);
    }
    if (to !== undefined) {
      clauses.push('hour < @to');
      params.to = isoTime('to', to).slice(0, 13);
    }
    const whereSql = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    rows = db.prepare(`SELECT substr(hour, 1, ${width}) AS bucket, ${split} AS part, sum(n) AS n FROM timeline_hour ${whereSql} GROUP BY 1, 2 ORDER BY 1, 2`).all(params) as typeof rows;
  } else {
    const { clauses, params } = timelineWhere(filter);
    const whereSql = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    rows = db.prepare(`SELECT substr(t.at, 1, ${width}) AS bucket, t.${split} AS part, count(*) AS n FROM timeline t ${whereSql} GROUP BY 1, 2 ORDER BY 1, 2`).all(params) as typeof rows;
  }
  const buckets: HistogramBucket[] = [];
  for (const r of rows) {
    const start = query.bucket === 'hour' ? `${r.bucket}:00:00.000Z` : `${r.bucket}T00:00:00.000Z`;
    let b = buckets.at(-1);
    if (!b || b.start !== start) buckets.push((b = { start, counts: {}, total: 0 }));
    b.counts[r.part] = r.n;
    b.total += r.n;
  }
  return buckets;
}
