// Any process with a case file open: the unified event timeline, filtered and keyset-paged by (at, id).
import type { Database } from 'better-sqlite3';
import type { NormalizedEvent } from '../normalize/record';

/** A stored event: the normalised fields, where it sits in the case, and what it was derived from. */
export interface EventRecord extends Omit<NormalizedEvent, 'source' | 'result'> {
  id: number;
  runId: string;
  /** Wider than today's log sources: imports and other collectors add their own. */
  source: string;
  result: string;
  evidenceId: number;
  sourceRowId: number;
}

export interface EventFilter {
  runId?: string;
  /** Inclusive lower bound, UTC ISO ('2024-05-01T00:00:00.000Z'). */
  fromAt?: string;
  /** Exclusive upper bound. */
  toAt?: string;
  /** A normalised operation (normalizeOperation), matched exactly. */
  operation?: string;
  actorIp?: string;
  source?: string;
  /** Case-insensitive substring of operation, actor, IP or target. */
  text?: string;
}

export interface EventPageQuery extends EventFilter {
  /** The last event of the previous page: the page continues after its (at, id). */
  afterId?: number;
  limit: number;
}

export interface EventPage {
  events: EventRecord[];
  /** Pass as afterId for the next page; null on the last page. */
  nextAfterId: number | null;
}

interface EventColumns {
  id: number;
  run_id: string;
  at: string;
  source: string;
  record_id: string;
  operation: string;
  raw_operation: string;
  result: string;
  actor_user: string | null;
  actor_app_id: string | null;
  actor_ip: string | null;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  evidence_id: number;
  source_row_id: number;
}

const toEvent = (r: EventColumns): EventRecord => ({
  id: r.id,
  runId: r.run_id,
  at: r.at,
  source: r.source,
  recordId: r.record_id,
  operation: r.operation,
  rawOperation: r.raw_operation,
  result: r.result,
  actorUser: r.actor_user,
  actorAppId: r.actor_app_id,
  actorIp: r.actor_ip,
  targetType: r.target_type,
  targetId: r.target_id,
  targetName: r.target_name,
  evidenceId: r.evidence_id,
  sourceRowId: r.source_row_id,
});

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** WHERE clauses and their parameters; only fragments written here reach the SQL text. */
function where(filter: EventFilter): { clauses: string[]; params: Record<string, string | number> } {
  const clauses: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.runId !== undefined) {
    clauses.push('run_id = @runId');
    params.runId = filter.runId;
  }
  if (filter.fromAt !== undefined) {
    clauses.push('at >= @fromAt');
    params.fromAt = filter.fromAt;
  }
  if (filter.toAt !== undefined) {
    clauses.push('at < @toAt');
    params.toAt = filter.toAt;
  }
  if (filter.operation !== undefined) {
    clauses.push('operation = @operation');
    params.operation = filter.operation;
  }
  if (filter.actorIp !== undefined) {
    clauses.push('actor_ip = @actorIp');
    params.actorIp = filter.actorIp;
  }
  if (filter.source !== undefined) {
    clauses.push('source = @source');
    params.source = filter.source;
  }
  if (filter.text !== undefined && filter.text !== '') {
    // LIKE is case-insensitive for ASCII; UPNs and operations are ASCII in practice.
    clauses.push(
      `(raw_operation LIKE @text ESCAPE '\\' OR operation LIKE @text ESCAPE '\\' OR actor_user LIKE @text ESCAPE '\\'
        OR actor_app_id LIKE @text ESCAPE '\\' OR actor_ip LIKE @text ESCAPE '\\' OR target_name LIKE @text ESCAPE '\\'
        OR target_id LIKE @text ESCAPE '\\')`,
    );
    params.text = `%${escapeLike(filter.text)}%`;
  }
  return { clauses, params };
}

/** The SQL of a page query, exported so a test can check its plan. */
export function eventsPageSql(query: EventPageQuery): { sql: string; params: Record<string, string | number> } {
  const { clauses, params } = where(query);
  if (query.afterId !== undefined) {
    // Keyset: strictly after the previous page's last (at, id). Row-value comparison keeps it one
    // range on event_byAt instead of an OFFSET that rereads every earlier row.
    clauses.push('(at, id) > ((SELECT at FROM event WHERE id = @afterId), @afterId)');
    params.afterId = query.afterId;
  }
  params.limit = query.limit;
  const whereSql = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return { sql: `SELECT * FROM event ${whereSql} ORDER BY at, id LIMIT @limit`, params };
}

/**
 * One page of the timeline in time order (ties by id). A time-range page walks event_byAt and stops
 * at `limit` (the plan test holds this); with an operation or IP filter SQLite may prefer that
 * column's index, which is the better choice for a rare value.
 */
export function eventsPage(db: Database, query: EventPageQuery): EventPage {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > 10_000) {
    throw new RangeError(`An event page holds 1 to 10000 events, not ${query.limit}.`);
  }
  if (query.afterId !== undefined && db.prepare('SELECT 1 FROM event WHERE id = ?').get(query.afterId) === undefined) {
    // Without its row the keyset has no `at` and the page would silently come back empty.
    throw new RangeError(`Event ${query.afterId} is not in this case: start the pages again without afterId.`);
  }
  const { sql, params } = eventsPageSql({ ...query, limit: query.limit + 1 });
  const rows = (db.prepare(sql).all(params) as EventColumns[]).map(toEvent);
  const more = rows.length > query.limit;
  const events = more ? rows.slice(0, query.limit) : rows;
  return { events, nextAfterId: more ? (events.at(-1)?.id ?? null) : null };
}

/** How many events match (for "n of m" and completeness), using the narrowest index the filter allows. */
export function eventCount(db: Database, filter: EventFilter = {}): number {
  const { clauses, params } = where(filter);
  const whereSql = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  return db.prepare(`SELECT count(*) FROM event ${whereSql}`).pluck().get(params) as number;
}
