// Main process, workers and CLI (verify --deep, export, the record view): derives a page's rows again from its evidence with the collector's own parsers, in a scratch database, and compares them with the case's.
import { gunzipSync } from 'node:zlib';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { migrate } from '../../db/migrate';
import { sha256Hex, type EvidenceColumns } from '../../db/queries/evidence';
import { EVENT_SOURCE_TABLES, evidenceDerivedTables } from '../../db/tables';
import { rereadPage, sourceNamed as collectedSourceNamed } from '../collect/sources';
import { importSourceNamed } from '../import/sources';
import { computeChanges, listChanges, type SnapshotEntity } from '../../db/queries/changes';
import type { CustodyRow, Report } from './trust';

/** An evidence row's head and its body as received. */
export type EvidencePage = EvidenceColumns & { body: Buffer };

type Row = Record<string, unknown>;

const TABLES = evidenceDerivedTables();

/** The source an evidence row was stored by: a collection's, or an import format's (main/import). */
const sourceNamed = (name: string) => collectedSourceNamed(name) ?? importSourceNamed(name);

const keyOf = (key: readonly string[], row: Row): string => JSON.stringify(key.map((c) => row[c]));

/** How a row is named in a message: `sign_in row 812 (id …)`, `application 7a1…`, `tenant_object mailbox 5c2…`. */
export function rowName(table: string, row: Row): string {
  const spec = TABLES.find((t) => t.table === table);
  if (spec?.rowId) return `${table} row ${String(row[spec.rowId])} (id ${String(row.id ?? row.record_id)})`;
  const key = spec?.key.filter((c) => c !== 'run_id') ?? [];
  return `${table} ${key.map((c) => String(row[c])).join(' ')}`;
}

const shown = (v: unknown): string => {
  const text = v === null || v === undefined ? 'NULL' : typeof v === 'string' ? JSON.stringify(v) : String(v);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
};

/** What one evidence page derives to: rows per derived table, or why it does not derive. */
/** `records`: how many of its objects the source counts as records new to the run (see CollectionSource.recount). */
export type Derivation = { rows: Map<string, Row[]>; objects: unknown[]; records: number } | { error: string };

/**
 * A scratch database (in memory, the current schema, no foreign keys) in which each page is stored by its source's own
 * `store` inside a transaction that is rolled back: nothing of the case is written, and each page is derived alone.
 */
export function createRederiver(): { derive(page: EvidencePage, session: Map<string, unknown>): Derivation; close(): void } {
  const scratch = new BetterSqlite3(':memory:');
  migrate(scratch);
  scratch.pragma('foreign_keys = OFF');
  // Each page is derived alone and rolled back: the lookup indexes only slow its inserts. The UNIQUE ones (no SQL of
  // their own) stay, since a page that holds a record twice is stored as the collector stores it, by key.
  for (const index of scratch.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL`).pluck().all() as string[]) {
    scratch.exec(`DROP INDEX ${index}`);
  }
  const stub = scratch.prepare(
    `INSERT INTO evidence (id, run_id, source, method, url, status, content_type, request_id, request_body, collected_at, sha256, size, body_gz)
     VALUES (@id, @run_id, @source, @method, @url, @status, @content_type, @request_id, @request_body, @collected_at, @sha256, @size, x'')`,
  );
  const selects = new Map(TABLES.map(({ table }) => [table, scratch.prepare(`SELECT * FROM ${table}`)]));
  return {
    derive(page, session) {
      const source = sourceNamed(page.source);
      if (!source) return { error: `It comes from ${page.source}, which Peregrine does not collect: its rows cannot be derived again.` };
      let objects: unknown[];
      try {
        objects = rereadPage(source, { method: page.method, url: page.url, requestBody: page.request_body, body: page.body }, session);
      } catch (err) {
        return { error: `Its body cannot be read as a page of ${source.label.toLowerCase()} (${(err as Error).message}).` };
      }
      scratch.exec('BEGIN');
      try {
        const { body: _body, ...head } = page;
        stub.run(head);
        source.store(scratch, page.run_id, page.id, objects);
        const rows = new Map<string, Row[]>();
        for (const [table, select] of selects) {
          const list = select.all() as Row[];
          if (list.length) rows.set(table, list);
        }
        return { rows, objects, records: source.recount ? source.recount(objects, session) : objects.length };
      } catch (err) {
        return { error: `Its objects no longer derive (${(err as Error).message}).` };
      } finally {
        scratch.exec('ROLLBACK');
      }
    },
    close: () => scratch.close(),
  };
}

/**
 * Compares the case's rows derived from one evidence page with the page's derivation: every row the page derives is
 * in the case, pointing at this page (or at a later page of the run that read the same record again), with the same
 * values; every row of the case pointing at this page is one of them. Returns the rows compared.
 */
export function comparePage(db: Database, page: EvidencePage, derivation: Derivation, report: Report): number {
  const where = `evidence row ${page.id} (${page.source}, ${page.url})`;
  if ('error' in derivation) {
    report(where, derivation.error);
    return 0;
  }
  let compared = 0;
  for (const { table, key, rowId } of TABLES) {
    const derived = derivation.rows.get(table) ?? [];
    // A case from an older schema lacks the newer tables (verify opens it as it is); nothing of its evidence derives into them.
    if (!statements(db).present.has(table)) {
      if (derived.length > 0) report(where, `It derives ${table} rows, but this case has no ${table} table: its schema is older than its evidence.`);
      continue;
    }
    const stored = statements(db).atPage(table).all(page.id) as Row[];
    if (derived.length === 0 && stored.length === 0) continue;
    const byKey = new Map(stored.map((r) => [keyOf(key, r), r]));
    for (const d of derived) {
      compared += 1;
      const k = keyOf(key, d);
      const s = byKey.get(k);
      if (s) {
        byKey.delete(k);
        const fields = differingColumns(d, s, rowId);
        if (fields.length) {
          report(rowName(table, s), `It differs from evidence row ${page.id} in ${fields.map((f) => `${f} (stored ${shown(s[f])}, evidence ${shown(d[f])})`).join(', ')}: the row was changed outside Peregrine.`);
        }
        if (table === 'event') checkEventSource(db, s, report);
        continue;
      }
      const elsewhere = statements(db).byKey(table, key).get(...key.map((c) => d[c])) as Row | undefined;
      if (elsewhere && Number(elsewhere.evidence_id) > page.id) continue; // read again by a later page of the run
      if (elsewhere) {
        report(rowName(table, elsewhere), `Evidence row ${page.id} holds it, but the row points at evidence row ${String(elsewhere.evidence_id)}: the row was changed outside Peregrine.`);
      } else {
        report(`${where}`, `It holds ${rowName(table, d).replace(/ row \d+ \(/, ' (')}, which is missing from ${table}: the row was deleted outside Peregrine.`);
      }
    }
    for (const s of byKey.values()) {
      report(rowName(table, s), `It is not in evidence row ${page.id}, which it points at: the row was added or changed outside Peregrine.`);
    }
  }
  return compared;
}

/** Columns whose values differ, leaving out the surrogate row ids (assigned at insert, checked through what they name). */
function differingColumns(derived: Row, stored: Row, rowId: string | null): string[] {
  return Object.keys(derived).filter((c) => c !== rowId && c !== 'source_row_id' && derived[c] !== stored[c]);
}

/**
 * One stored row checked against the evidence page it points at (the record view): the page derived again — with the
 * requests of the run's earlier pages of the source replayed first, so a source that reads its pages in sessions
 * reads this one as the collector did — and the row under the same key. `mismatch` says how the stored row differs.
 */
export function rederiveRow(db: Database, table: string, stored: Row): { derived: Row | null; objects: unknown[]; mismatch: string | null } {
  const spec = TABLES.find((t) => t.table === table);
  if (!spec) throw new Error(`${table} is not derived from evidence.`);
  const evidenceId = Number(stored.evidence_id);
  const row = db.prepare('SELECT id, run_id, source, method, url, status, content_type, request_id, request_body, collected_at, sha256, size, body_gz FROM evidence WHERE id = ?').get(evidenceId) as
    | (Omit<EvidencePage, 'body'> & { body_gz: Buffer })
    | undefined;
  if (!row) return { derived: null, objects: [], mismatch: `Evidence row ${evidenceId}, which the row points at, is missing from the case.` };
  const { body_gz: gz, ...head } = row;
  const body = gunzipSync(gz);
  if (sha256Hex(body) !== head.sha256) return { derived: null, objects: [], mismatch: `Evidence row ${evidenceId} no longer matches its sha256: run verify.` };
  const source = sourceNamed(head.source);
  const session = new Map<string, unknown>();
  if (source) {
    // Most sources need only the earlier requests; a search session's own earlier pages are read whole, since its
    // progress (the last ResultIndex) is in their rows, and a page that does not continue it reads as a stall.
    const searchSession = sessionIdOf(head.request_body);
    const earlier = db.prepare('SELECT method, url, request_body, body_gz FROM evidence WHERE run_id = ? AND source = ? AND id < ? ORDER BY id').iterate(head.run_id, head.source, evidenceId) as IterableIterator<{ method: string; url: string; request_body: string | null; body_gz: Buffer }>;
    for (const e of earlier) {
      const sameSession = searchSession !== null && sessionIdOf(e.request_body) === searchSession;
      try {
        rereadPage(source, { method: e.method, url: e.url, requestBody: e.request_body, body: sameSession ? gunzipSync(e.body_gz) : EMPTY_PAGE }, session);
      } catch {
        // a page that does not read leaves the session as it was: the row's own page says what is wrong
      }
    }
  }
  const rederiver = createRederiver();
  try {
    const derivation = rederiver.derive({ ...head, body }, session);
    if ('error' in derivation) return { derived: null, objects: [], mismatch: `Evidence row ${evidenceId}: ${derivation.error}` };
    const key = keyOf(spec.key, stored);
    const derived = (derivation.rows.get(table) ?? []).find((d) => keyOf(spec.key, d) === key) ?? null;
    if (!derived) return { derived: null, objects: derivation.objects, mismatch: `${rowName(table, stored)} is not in evidence row ${evidenceId}, which it points at: it was added or changed outside Peregrine.` };
    const fields = differingColumns(derived, stored, spec.rowId);
    const mismatch = fields.length ? `${rowName(table, stored)} differs from evidence row ${evidenceId} in ${fields.join(', ')}: it was changed outside Peregrine; shown as read from the evidence.` : null;
    return { derived, objects: derivation.objects, mismatch };
  } finally {
    rederiver.close();
  }
}

const EMPTY_PAGE = Buffer.from('{"value":[]}');

/** The search session an Exchange request belongs to (Search-UnifiedAuditLog's SessionId), or null. */
function sessionIdOf(requestBody: string | null): string | null {
  if (!requestBody) return null;
  try {
    const id = (JSON.parse(requestBody) as { CmdletInput?: { Parameters?: { SessionId?: unknown } } }).CmdletInput?.Parameters?.SessionId;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

/**
 * object_change derived again: for each collection.finished entry that records a comparison with an earlier run, the
 * changes between the two runs' snapshots (themselves derived from evidence) of each entity it compared, against the
 * rows stored for the run. A run custody records no comparison for holds no rows.
 */
export function checkObjectChanges(db: Database, custody: CustodyRow[], report: Report): number {
  const compared = new Map<string, { previous: string; entities: string[]; entry: CustodyRow }>();
  for (const e of custody) {
    const { runId, comparedWith, changes } = e.details as { runId?: unknown; comparedWith?: unknown; changes?: unknown };
    if (e.action !== 'collection.finished' || typeof runId !== 'string') continue;
    if (typeof comparedWith === 'string' && typeof changes === 'object' && changes !== null) compared.set(runId, { previous: comparedWith, entities: Object.keys(changes), entry: e });
    else compared.delete(runId);
  }
  const name = (c: { entity: string; objectId: string; runId: string }) => `object_change ${c.entity} ${c.objectId} (run ${c.runId})`;
  const key = (c: { entity: string; objectId: string }) => `${c.entity}\u0000${c.objectId}`;
  let count = 0;
  const runs = db.prepare('SELECT DISTINCT run_id FROM object_change').pluck().all() as string[];
  for (const runId of new Set([...runs, ...compared.keys()])) {
    const c = compared.get(runId);
    const expected = new Map((c ? c.entities.flatMap((entity) => computeChanges(db, entity as SnapshotEntity, c.previous, runId)) : []).map((x) => [key(x), x]));
    for (const stored of listChanges(db, runId)) {
      count += 1;
      const derived = expected.get(key(stored));
      expected.delete(key(stored));
      if (!derived) {
        report(name(stored), c ? `The two collections' snapshots show no such change: the row was added outside Peregrine.` : 'No custody entry records a comparison for this run: the row was added outside Peregrine.');
        continue;
      }
      const fields: string[] = (['previousRunId', 'displayName', 'change'] as const).filter((f) => derived[f] !== stored[f]);
      if (JSON.stringify(derived.fields) !== JSON.stringify(stored.fields)) fields.push('fields');
      if (fields.length) report(name(stored), `It differs from the comparison of the two collections' snapshots in ${fields.join(', ')}: the row was changed outside Peregrine.`);
    }
    for (const missing of expected.values()) {
      report(name(missing), `The two collections' snapshots show this change (${missing.change}), but the row is missing: it was deleted outside Peregrine.`);
    }
  }
  return count;
}

/** An event's source_row_id must name the record it was derived with. */
function checkEventSource(db: Database, event: Row, report: Report): void {
  const table = EVENT_SOURCE_TABLES[String(event.source)];
  const row = table ? (statements(db).sourceRow(table).get(event.source_row_id) as { run_id: string; id: string } | undefined) : undefined;
  if (!row || row.id !== event.record_id || row.run_id !== event.run_id) {
    report(rowName('event', event), `It points at ${table ?? String(event.source)} row ${String(event.source_row_id)}, which is not record ${String(event.record_id)} of its run: the event was changed outside Peregrine.`);
  }
}

const cache = new WeakMap<Database, ReturnType<typeof prepareStatements>>();

function prepareStatements(db: Database) {
  const at = new Map<string, BetterSqlite3.Statement>();
  const key = new Map<string, BetterSqlite3.Statement>();
  const source = new Map<string, BetterSqlite3.Statement>();
  const memo = (map: Map<string, BetterSqlite3.Statement>, name: string, sql: () => string) => {
    let s = map.get(name);
    if (!s) map.set(name, (s = db.prepare(sql())));
    return s;
  };
  return {
    present: new Set(db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[]),
    atPage: (table: string) => memo(at, table, () => `SELECT * FROM ${table} WHERE evidence_id = ?`),
    byKey: (table: string, columns: readonly string[]) => memo(key, table, () => `SELECT * FROM ${table} WHERE ${columns.map((c) => `${c} = ?`).join(' AND ')}`),
    sourceRow: (table: string) => memo(source, table, () => `SELECT run_id, id FROM ${table} WHERE row_id = ?`),
  };
}

function statements(db: Database): ReturnType<typeof prepareStatements> {
  let s = cache.get(db);
  if (!s) cache.set(db, (s = prepareStatements(db)));
  return s;
}
