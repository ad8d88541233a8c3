// Main process, workers and CLI (verify, export): the checks of a case file that need no re-derivation — its schema against the migrations, foreign keys, and what custody records against the tables that custody vouches for.
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { migrate, schemaVersion } from '../../db/migrate';
import { migrations } from '../../db/migrations';
import { runEvidenceDigest } from '../../db/queries/evidence';
import { TABLES, tableNames, type TableSpec } from '../../db/tables';
import { PIN_ACTION, type PinColumns } from '../../db/queries/pins';
import { checkProjection, checkRemediationActions, checkRemediationSteps } from './remediation-trust';

/** Where a problem is and what it is; the checks call it for each one found, in order. */
export type Report = (where: string, message: string) => void;

export interface CustodyRow {
  seq: number;
  at: string;
  action: string;
  actor: string;
  details: Record<string, unknown>;
}

const squash = (sql: string | null): string => (sql ?? '').replace(/\s+/g, ' ').trim();

const referenceSchemas = new Map<number, { tables: Set<string>; triggers: Map<string, { table: string; sql: string }> }>();

/** The schema the migrations create up to `version` (built once per version in memory): what an untouched case holds. */
export function referenceSchema(version: number): { tables: Set<string>; triggers: Map<string, { table: string; sql: string }> } {
  let schema = referenceSchemas.get(version);
  if (!schema) {
    const mem = new BetterSqlite3(':memory:');
    try {
      migrate(mem, { migrations: migrations.filter((m) => m.version <= version) });
      const rows = mem.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('table', 'trigger') AND name NOT LIKE 'sqlite_%'`).all() as { type: string; name: string; tbl_name: string; sql: string }[];
      schema = {
        tables: new Set(rows.filter((r) => r.type === 'table').map((r) => r.name)),
        triggers: new Map(rows.filter((r) => r.type === 'trigger').map((r) => [r.name, { table: r.tbl_name, sql: squash(r.sql) }])),
      };
    } finally {
      mem.close();
    }
    referenceSchemas.set(version, schema);
  }
  return schema;
}

/**
 * Tables and guard triggers against the ones the migrations create at the file's schema version: every table known
 * to the registry (db/tables.ts), every guard trigger of a guarded table present with the SQL its migration wrote,
 * and no trigger the migrations did not create.
 */
export function checkSchema(db: Database, report: Report): void {
  const reference = referenceSchema(schemaVersion(db));
  const rows = db.prepare(`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE type IN ('table', 'trigger') AND name NOT LIKE 'sqlite_%'`).all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
  const tables = new Set(rows.filter((r) => r.type === 'table').map((r) => r.name));
  for (const name of tables) {
    if (!(name in TABLES)) report(`schema (table ${name})`, 'The table is not part of the Peregrine schema: it was added outside Peregrine.');
  }
  for (const name of reference.tables) {
    if (!tables.has(name)) report(`schema (table ${name})`, 'The table is missing: it was dropped outside Peregrine.');
  }
  const triggers = new Map(rows.filter((r) => r.type === 'trigger').map((r) => [r.name, squash(r.sql)]));
  for (const [name, expected] of reference.triggers) {
    const spec = (TABLES as Record<string, TableSpec>)[expected.table];
    if (!spec?.guarded) continue;
    const actual = triggers.get(name);
    if (actual === undefined) {
      report(`schema (trigger ${name})`, `The append-only guard of ${expected.table} is missing: its rows could have been changed outside Peregrine.`);
    } else if (actual !== expected.sql) {
      report(`schema (trigger ${name})`, `The append-only guard of ${expected.table} was redefined outside Peregrine: it is not the trigger the migrations create.`);
    }
  }
  for (const name of triggers.keys()) {
    if (!reference.triggers.has(name)) report(`schema (trigger ${name})`, 'The trigger is not part of the Peregrine schema: it was added outside Peregrine.');
  }
}

/** PRAGMA foreign_key_check, grouped by the missing row: `evidence row 45 is missing but 58 rows point at it`. */
export function checkForeignKeys(db: Database, report: Report): void {
  const broken = db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string; fkid: number }[];
  const missing = new Map<string, { parent: string; value: unknown; from: Map<string, number[]> }>();
  const columnOf = new Map<string, string>();
  for (const b of broken) {
    const fkKey = `${b.table}/${b.fkid}`;
    let column = columnOf.get(fkKey);
    if (column === undefined) {
      const list = db.pragma(`foreign_key_list(${JSON.stringify(b.table)})`) as { id: number; from: string }[];
      column = list.find((f) => f.id === b.fkid)?.from ?? '?';
      columnOf.set(fkKey, column);
    }
    const value = b.rowid === null ? null : (db.prepare(`SELECT ${JSON.stringify(column)} FROM ${JSON.stringify(b.table)} WHERE rowid = ?`).pluck().get(b.rowid) as unknown);
    const key = `${b.parent}\u0000${String(value)}`;
    let entry = missing.get(key);
    if (!entry) missing.set(key, (entry = { parent: b.parent, value, from: new Map() }));
    const rows = entry.from.get(b.table) ?? [];
    rows.push(b.rowid ?? 0);
    entry.from.set(b.table, rows);
  }
  for (const { parent, value, from } of missing.values()) {
    const total = [...from.values()].reduce((n, rows) => n + rows.length, 0);
    const detail = [...from].sort(([a], [b]) => a.localeCompare(b)).map(([table, rows]) => `${table} ${rows.length} (row ${rows[0]}${rows.length > 1 ? ', …' : ''})`).join(', ');
    report(`${parent} row ${String(value)}`, `The row is missing but ${total} row${total === 1 ? '' : 's'} point at it (${detail}): it was deleted outside Peregrine.`);
  }
}

export function readCustody(db: Database): CustodyRow[] {
  const rows = db.prepare('SELECT seq, at, action, actor, details FROM custody ORDER BY seq').all() as { seq: number; at: string; action: string; actor: string; details: string }[];
  return rows.map((r) => {
    let details: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(r.details);
      if (typeof parsed === 'object' && parsed !== null) details = parsed as Record<string, unknown>;
    } catch {
      // the chain check names it
    }
    return { seq: r.seq, at: r.at, action: r.action, actor: r.actor, details };
  });
}

const entryName = (e: CustodyRow) => `custody entry ${e.seq} (${e.action})`;

/** Names the fields whose values differ, in the order given. */
function differing(pairs: [field: string, stored: unknown, recorded: unknown][]): string[] {
  return pairs.filter(([, a, b]) => (a ?? null) !== (b ?? null)).map(([f]) => f);
}

/** The case identity row against the case.created entry that opens the chain. */
export function checkCaseIdentity(db: Database, custody: CustodyRow[], report: Report): void {
  const meta = db.prepare('SELECT * FROM case_meta').get() as Record<string, unknown> | undefined;
  if (!meta) return; // reported by the caller
  const created = custody.find((e) => e.action === 'case.created');
  if (!created) {
    report('case_meta', 'No custody entry records the creation of this case (case.created): the custody log was emptied or replaced.');
    return;
  }
  const d = created.details;
  const fields = differing([
    ['case_id', meta.case_id, d.caseId],
    ['name', meta.name, d.name],
    ['client', meta.client, d.client],
    ['reference', meta.reference, d.reference],
    ['time_zone', meta.time_zone, d.timeZone],
    ['created_at', meta.created_at, created.at],
    ['examiner', meta.examiner, created.actor],
  ]);
  if (fields.length) report('case_meta', `The case identity differs from ${entryName(created)} in ${fields.join(', ')}: it was changed outside Peregrine.`);
}

interface SourceSummary {
  source: string;
  pages: number;
  state?: string;
  records?: number;
  retries?: number;
  error?: string | null;
  truncated?: boolean;
}

const summaryOf = (details: Record<string, unknown>, field: 'sources' | 'checkpoint'): SourceSummary[] | null => {
  const list = details[field];
  if (!Array.isArray(list)) return null;
  return list.filter((s): s is SourceSummary => typeof s === 'object' && s !== null && typeof (s as SourceSummary).source === 'string' && typeof (s as SourceSummary).pages === 'number');
};

/**
 * Collection runs and their evidence against the custody entries that record them: each run's collection.started
 * entry (environment, tenant, account, start time), its collection.finished entry (state, end time, evidence pages
 * per source and the digest of its evidence hashes), and no evidence of a run custody does not know.
 */
export function checkRuns(db: Database, custody: CustodyRow[], report: Report): void {
  const runs = db.prepare('SELECT * FROM collection_run ORDER BY started_at, run_id').all() as { run_id: string; started_at: string; finished_at: string | null; state: string; environment: string; tenant_id: string; account: string | null }[];
  const ofRun = (runId: string) => custody.filter((e) => e.action.startsWith('collection.') && e.details.runId === runId);
  const pages = new Map<string, Map<string, number>>();
  for (const r of db.prepare('SELECT run_id, source, count(*) AS n FROM evidence GROUP BY run_id, source').all() as { run_id: string; source: string; n: number }[]) {
    const bySource = pages.get(r.run_id) ?? new Map<string, number>();
    bySource.set(r.source, r.n);
    pages.set(r.run_id, bySource);
  }
  for (const run of runs) {
    const where = `collection_run ${run.run_id}`;
    const entries = ofRun(run.run_id);
    const started = entries.find((e) => e.action === 'collection.started');
    const evidenceRows = [...(pages.get(run.run_id)?.values() ?? [])].reduce((a, b) => a + b, 0);
    if (!started) {
      report(where, `No custody entry records the start of this collection (collection.started), yet ${evidenceRows} evidence rows belong to it: the custody log was emptied or replaced.`);
      continue;
    }
    const d = started.details;
    const fields = differing([['started_at', run.started_at, started.at], ['environment', run.environment, d.environment], ['tenant_id', run.tenant_id, d.tenantId], ['account', run.account, d.account]]);
    if (fields.length) report(where, `The run differs from ${entryName(started)} in ${fields.join(', ')}: the run or the custody entry was changed.`);
    checkPlan(db, run.run_id, started, report);

    const last = entries.filter((e) => e.action === 'collection.finished' || e.action === 'collection.resumed').at(-1);
    if (run.state !== 'running') {
      if (last?.action !== 'collection.finished') {
        report(where, `The run is ${run.state}, but no custody entry records how it ended (collection.finished): custody entries were removed.`);
        continue;
      }
      const endFields = differing([['state', run.state, last.details.state], ['finished_at', run.finished_at, last.at]]);
      if (endFields.length) report(where, `The run differs from ${entryName(last)} in ${endFields.join(', ')}: the run or the custody entry was changed.`);
    }
    if (!last) continue;
    const recorded = summaryOf(last.details, last.action === 'collection.finished' ? 'sources' : 'checkpoint');
    const stored = pages.get(run.run_id) ?? new Map<string, number>();
    if (last.action === 'collection.finished') checkSourceAccounts(db, run.run_id, last, recorded ?? [], report);
    for (const s of recorded ?? []) {
      const n = stored.get(s.source) ?? 0;
      const exact = last.action === 'collection.finished';
      if (exact ? n !== s.pages : n < s.pages) {
        report(`${where} (${s.source})`, `${n} evidence row${n === 1 ? ' is' : 's are'} stored, but ${entryName(last)} records ${s.pages} pages read: evidence rows were ${n < s.pages ? 'deleted' : 'added'} outside Peregrine.`);
      }
    }
    const digest = last.action === 'collection.finished' ? last.details.evidenceDigest : undefined;
    if (typeof digest === 'string') {
      const actual = runEvidenceDigest(db, run.run_id);
      if (actual !== digest) {
        report(where, `The hashes of its evidence rows no longer match the digest ${entryName(last)} recorded when the collection finished: an evidence row was replaced (body and sha256 rewritten) or removed; verify --deep names the rows that no longer derive.`);
      }
    }
  }
  const known = new Set(runs.map((r) => r.run_id));
  for (const e of custody) {
    if (e.action === 'collection.started' && typeof e.details.runId === 'string' && !known.has(e.details.runId)) {
      report(`collection_run ${e.details.runId}`, `${entryName(e)} records this collection, but its run row is missing.`);
    }
  }
}

/** The sources a run planned and the window its log sources read, against its collection.started entry. */
function checkPlan(db: Database, runId: string, started: CustodyRow, report: Report): void {
  const { sources, window } = started.details as { sources?: unknown; window?: { from?: unknown; to?: unknown } | null };
  const rows = db.prepare('SELECT source, window_from, window_to FROM collection_source WHERE run_id = ?').all(runId) as { source: string; window_from: string | null; window_to: string | null }[];
  if (Array.isArray(sources)) {
    const planned = new Set(sources.map(String));
    for (const r of rows) if (!planned.has(r.source)) report(`collection_source ${r.source} (run ${runId})`, `${entryName(started)} did not plan this source: the row was added outside Peregrine.`);
    const stored = new Set(rows.map((r) => r.source));
    for (const source of planned) if (!stored.has(source)) report(`collection_source ${source} (run ${runId})`, `${entryName(started)} planned this source, but its row is missing.`);
  }
  if (window !== undefined) {
    for (const r of rows) {
      if (r.window_from === null && r.window_to === null) continue;
      if (r.window_from !== window?.from || r.window_to !== window?.to) {
        report(`collection_source ${r.source} (run ${runId})`, `Its window ${r.window_from ?? '-'} – ${r.window_to ?? '-'} is not the one ${entryName(started)} records: the window was changed outside Peregrine.`);
      }
    }
  }
}

/**
 * A finished run's completeness account (collection_source: state, pages, records, retries, last error, truncation)
 * against what its collection.finished entry recorded, so a truncated window or a failed source cannot be hidden.
 */
function checkSourceAccounts(db: Database, runId: string, entry: CustodyRow, recorded: SourceSummary[], report: Report): void {
  const rows = new Map((db.prepare('SELECT source, state, pages, records, retries, last_error, truncated FROM collection_source WHERE run_id = ?').all(runId) as { source: string; state: string; pages: number; records: number; retries: number; last_error: string | null; truncated: number }[]).map((r) => [r.source, r]));
  for (const s of recorded) {
    const where = `collection_source ${s.source} (run ${runId})`;
    const row = rows.get(s.source);
    rows.delete(s.source);
    if (!row) {
      report(where, `${entryName(entry)} records this source, but its row is missing.`);
      continue;
    }
    const fields = differing([
      ['state', row.state, s.state ?? row.state],
      ['pages', row.pages, s.pages],
      ['records', row.records, s.records ?? row.records],
      ['retries', row.retries, s.retries ?? row.retries],
      ['last_error', row.last_error, s.error === undefined ? row.last_error : s.error],
      ['truncated', row.truncated === 1, s.truncated ?? row.truncated === 1],
    ]);
    if (fields.length) report(where, `It differs from ${entryName(entry)} in ${fields.join(', ')}: the completeness account was changed outside Peregrine.`);
  }
  for (const source of rows.keys()) report(`collection_source ${source} (run ${runId})`, `${entryName(entry)} does not record this source: the row was added outside Peregrine.`);
}

/** Each annotation table rebuilt from the custody entries it projects, and compared row by row. */
export function checkAnnotations(db: Database, custody: CustodyRow[], report: Report): void {
  // A case from an older schema lacks the newer tables (verify opens it as it is): custody entries of their actions
  // cannot exist there either, so there is nothing to rebuild.
  const present = new Set(db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[]);
  for (const table of tableNames()) {
    const spec = TABLES[table] as TableSpec;
    if (spec.kind !== 'annotation' || !present.has(table)) continue;
    if (table === 'remediation_step') checkRemediationSteps(db, custody, report);
    else if (table === 'remediation_action') checkRemediationActions(db, custody, report);
    else if (table === 'finding_triage') checkTriage(db, custody, report);
    else if (table === 'timeline_pin') checkPins(db, custody, report);
    else throw new Error(`No projection is defined for the annotation table ${table}.`);
  }
}

interface TriageColumns { seq: number; finding_key: string; rule_id: string; state: string; note: string; at: string; actor: string; custody_seq: number }

function checkTriage(db: Database, custody: CustodyRow[], report: Report): void {
  checkProjection<TriageColumns>(custody, {
    table: 'finding_triage', action: 'finding.triaged', what: 'decision',
    rows: db.prepare('SELECT * FROM finding_triage ORDER BY seq').all() as TriageColumns[],
    name: (r) => `finding ${r.finding_key}`,
    compare: (r, d) => [['finding_key', r.finding_key, d.details.finding], ['rule_id', r.rule_id, d.details.rule], ['state', r.state, d.details.to], ['note', r.note, d.details.note], ['at', r.at, d.at], ['actor', r.actor, d.actor]],
    orphan: (e) => `The decision it records (finding ${String(e.details.finding)}: ${String(e.details.to)})`,
  }, report);
}

function checkPins(db: Database, custody: CustodyRow[], report: Report): void {
  checkProjection<PinColumns>(custody, {
    table: 'timeline_pin', action: PIN_ACTION, what: 'decision',
    rows: db.prepare('SELECT * FROM timeline_pin ORDER BY seq').all() as PinColumns[],
    name: (r) => `${r.source} record ${r.record_id}`,
    compare: (r, e) => [
      ['source', r.source, e.details.source], ['record_id', r.record_id, e.details.record], ['state', r.state, e.details.state], ['note', r.note, e.details.note],
      ['event_at', r.event_at, e.details.eventAt], ['evidence_sha256', r.evidence_sha256, e.details.evidenceSha256], ['at', r.at, e.at], ['actor', r.actor, e.actor],
    ],
    orphan: (e) => `The pin it records (${String(e.details.source)} record ${String(e.details.record)}: ${String(e.details.state)})`,
  }, report);
}
