// Any process with a case file open: per-source progress of a collection run, its resume checkpoint and completeness account.
import type { Database } from 'better-sqlite3';
import { CaseFileError } from '../errors';

export type SourceState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/** What a service said about a source beside its records: a warning or error in a 200, or a source the cloud does not serve. */
export interface SourceNotice {
  kind: 'warning' | 'error' | 'unavailable';
  text: string;
}

/** Distinct notices kept per source: a warning repeated on every page is kept once. */
const MAX_NOTICES = 50;

export interface SourceRecord {
  runId: string;
  source: string;
  label: string;
  state: SourceState;
  pages: number;
  records: number;
  /** Where to continue: the next page not yet stored. Null before the first page and once done. */
  nextUrl: string | null;
  windowFrom: string | null;
  windowTo: string | null;
  /** What the source was asked to cover beyond a window (e.g. mailboxes), as planned. */
  scope: unknown;
  expected: number | null;
  truncated: boolean;
  /** Warnings and errors the service gave with its answers, and what the cloud does not serve. */
  notices: SourceNotice[];
  retries: number;
  errors: number;
  lastError: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

interface SourceColumns {
  run_id: string;
  source: string;
  label: string;
  state: SourceState;
  pages: number;
  records: number;
  next_url: string | null;
  window_from: string | null;
  window_to: string | null;
  scope: string | null;
  expected: number | null;
  truncated: number;
  notices: string | null;
  retries: number;
  errors: number;
  last_error: string | null;
  started_at: string | null;
  finished_at: string | null;
}

const toRecord = (r: SourceColumns): SourceRecord => ({
  runId: r.run_id,
  source: r.source,
  label: r.label,
  state: r.state,
  pages: r.pages,
  records: r.records,
  nextUrl: r.next_url,
  windowFrom: r.window_from,
  windowTo: r.window_to,
  scope: r.scope === null ? null : (JSON.parse(r.scope) as unknown),
  expected: r.expected,
  truncated: r.truncated === 1,
  notices: r.notices === null ? [] : (JSON.parse(r.notices) as SourceNotice[]),
  retries: r.retries,
  errors: r.errors,
  lastError: r.last_error,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export function initSources(
  db: Database,
  runId: string,
  sources: { source: string; label: string; windowFrom?: string | null; windowTo?: string | null; scope?: unknown }[],
): void {
  const insert = db.prepare(
    `INSERT INTO collection_source (run_id, source, label, window_from, window_to, scope) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  for (const s of sources) insert.run(runId, s.source, s.label, s.windowFrom ?? null, s.windowTo ?? null, s.scope === undefined ? null : JSON.stringify(s.scope));
}

/** In the order they were planned. */
export function listSources(db: Database, runId: string): SourceRecord[] {
  return (db.prepare('SELECT * FROM collection_source WHERE run_id = ? ORDER BY rowid').all(runId) as SourceColumns[]).map(toRecord);
}

function changeOne(db: Database, sql: string, runId: string, source: string, ...args: unknown[]): void {
  const changed = db.prepare(sql).run(...args, runId, source).changes;
  if (changed !== 1) throw new CaseFileError('invalid_input', `Collection run ${runId} has no source "${source}".`);
}

export function markSourceRunning(db: Database, runId: string, source: string, at: string): void {
  changeOne(db, `UPDATE collection_source SET state = 'running', started_at = coalesce(started_at, ?) WHERE run_id = ? AND source = ?`, runId, source, at);
}

/** Called in the same transaction as the page's evidence and rows: the checkpoint moves only with what it covers. */
export function recordPage(db: Database, runId: string, source: string, page: { records: number; nextUrl: string | null; truncated?: boolean; notices?: SourceNotice[] }): void {
  if (page.notices?.length) addNotices(db, runId, source, page.notices);
  changeOne(
    db,
    `UPDATE collection_source SET pages = pages + 1, records = records + ?, next_url = ?, truncated = max(truncated, ?) WHERE run_id = ? AND source = ?`,
    runId,
    source,
    page.records,
    page.nextUrl,
    page.truncated ? 1 : 0,
  );
}

function addNotices(db: Database, runId: string, source: string, notices: SourceNotice[]): void {
  const row = db.prepare('SELECT notices FROM collection_source WHERE run_id = ? AND source = ?').get(runId, source) as { notices: string | null } | undefined;
  if (!row) throw new CaseFileError('invalid_input', `Collection run ${runId} has no source "${source}".`);
  const kept = row.notices === null ? [] : (JSON.parse(row.notices) as SourceNotice[]);
  const fresh = notices.filter((n, i) => !kept.some((k) => k.kind === n.kind && k.text === n.text) && notices.findIndex((m) => m.kind === n.kind && m.text === n.text) === i);
  if (fresh.length === 0 || kept.length >= MAX_NOTICES) return;
  changeOne(db, 'UPDATE collection_source SET notices = ? WHERE run_id = ? AND source = ?', runId, source, JSON.stringify([...kept, ...fresh].slice(0, MAX_NOTICES)));
}

/** What a source's reader said it could not read, recorded after its pages (a collection folder's `incomplete` list). */
export function recordIncomplete(db: Database, runId: string, source: string, notices: SourceNotice[]): void {
  addNotices(db, runId, source, notices);
  changeOne(db, 'UPDATE collection_source SET truncated = 1 WHERE run_id = ? AND source = ?', runId, source);
}

export function recordRetry(db: Database, runId: string, source: string): void {
  changeOne(db, `UPDATE collection_source SET retries = retries + 1 WHERE run_id = ? AND source = ?`, runId, source);
}

export function finishSource(db: Database, runId: string, source: string, end: { state: 'done' | 'failed' | 'cancelled'; at: string; error?: string | null }): void {
  changeOne(
    db,
    `UPDATE collection_source SET state = ?, finished_at = ?, last_error = ?, errors = errors + ?,
       next_url = CASE WHEN ? = 'done' THEN NULL ELSE next_url END
     WHERE run_id = ? AND source = ?`,
    runId,
    source,
    end.state,
    end.at,
    end.error ?? null,
    end.error ? 1 : 0,
    end.state,
  );
}
