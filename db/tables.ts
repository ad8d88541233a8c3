// Any process that checks a case file (verify, export): every table of the schema and the kind of trust it carries, in one place.
// A table added by a migration must be classified here (test/unit/db-tables.test.ts fails until it is).

/**
 * - evidence: raw bytes and their sha256, append-only (guard triggers); verify recomputes every hash.
 * - custody: the hash-chained log of everything done to the case, append-only (guard triggers).
 * - derived: rows read from evidence by the collector's own parsers; `verify --deep` derives them again from each
 *   evidence page and compares (none missing, none extra, none altered).
 * - annotation: the examiner's decisions; each is a custody entry and the table only its projection, which verify
 *   rebuilds from custody and compares.
 * - state: the case's identity and the bookkeeping of collection runs; verify compares what custody records about
 *   them (the case.created entry, collection.started/finished entries) and, with --deep, the page counts.
 * - index: the timeline (main/timeline/model.ts), built from the tables above and the findings computed from them so
 *   that tens of millions of events page, search and count quickly. Nothing in it is a fact of its own: `verify --deep`
 *   checks every row against what it is built from (main/timeline/check.ts), and the export brings it up to date
 *   before reading it. The hourly counts are checked hour by hour; the full-text index (timeline_fts and the shadow
 *   tables FTS5 keeps for it) by its number of rows only: a damaged one misses or finds words, never changes a row.
 */
export type TableKind = 'evidence' | 'custody' | 'derived' | 'annotation' | 'state' | 'index';

export interface DerivedTable {
  kind: 'derived';
  /** The columns that identify a row across re-derivations (a page read again updates the row under this key). */
  key: readonly string[];
  /**
   * A surrogate rowid column (INTEGER PRIMARY KEY) assigned at insert: not compared, and named in messages.
   * event.source_row_id points to one; it is checked through the record it names instead.
   */
  rowId?: string;
  /** How a row is derived: from the evidence page it points to, or from two runs' snapshots (object_change). */
  from: 'evidence' | 'snapshots';
}

export interface AnnotationTable {
  kind: 'annotation';
  /** The custody action whose entries this table projects. */
  action: string;
}

export type TableSpec =
  | { kind: 'evidence' | 'custody' | 'state' | 'index'; guarded: boolean }
  | (DerivedTable & { guarded: false })
  | (AnnotationTable & { guarded: true });

const INDEX = { kind: 'index', guarded: false } as const;

/**
 * Every table the migrations create. `guarded`: its append-only (or identity) triggers are part of the trust
 * model, so verify checks they are present and exactly as the migrations wrote them.
 */
export const TABLES = {
  schema_migration: { kind: 'state', guarded: false },
  case_meta: { kind: 'state', guarded: true },
  collection_run: { kind: 'state', guarded: false },
  collection_source: { kind: 'state', guarded: false },
  evidence: { kind: 'evidence', guarded: true },
  custody: { kind: 'custody', guarded: true },
  // The examiner's signatures over the chain head (main/case/checkpoints.ts): append-only, each checked by its signature.
  custody_checkpoint: { kind: 'custody', guarded: true },
  application: { kind: 'derived', from: 'evidence', key: ['run_id', 'object_id'], guarded: false },
  service_principal: { kind: 'derived', from: 'evidence', key: ['run_id', 'object_id'], guarded: false },
  organization: { kind: 'derived', from: 'evidence', key: ['run_id', 'tenant_id'], guarded: false },
  tenant_object: { kind: 'derived', from: 'evidence', key: ['run_id', 'kind', 'object_id'], guarded: false },
  sign_in: { kind: 'derived', from: 'evidence', key: ['run_id', 'id'], rowId: 'row_id', guarded: false },
  directory_audit: { kind: 'derived', from: 'evidence', key: ['run_id', 'id'], rowId: 'row_id', guarded: false },
  ual_record: { kind: 'derived', from: 'evidence', key: ['run_id', 'id'], rowId: 'row_id', guarded: false },
  event: { kind: 'derived', from: 'evidence', key: ['run_id', 'source', 'record_id'], rowId: 'id', guarded: false },
  // Where each imported record sits in its file (main/import): derived from the evidence chunk like the record itself.
  import_record: { kind: 'derived', from: 'evidence', key: ['run_id', 'source', 'record_id'], guarded: false },
  object_change: { kind: 'derived', from: 'snapshots', key: ['run_id', 'entity', 'object_id'], guarded: false },
  finding_triage: { kind: 'annotation', action: 'finding.triaged', guarded: true },
  // Remediation (main/remediate): the steps as planned and each item's outcomes project custody entries; the live
  // reads, requests and answers taken while remediating are evidence, hashed as stored and named by those entries.
  remediation_step: { kind: 'annotation', action: 'remediation.planned', guarded: true },
  remediation_action: { kind: 'annotation', action: 'remediation.action', guarded: true },
  remediation_evidence: { kind: 'evidence', guarded: true },
  // The examiner's pins on timeline events (main/timeline/pins.ts), each a 'timeline.pin' custody entry.
  timeline_pin: { kind: 'annotation', action: 'timeline.pin', guarded: true },
  timeline: INDEX,
  timeline_support: INDEX,
  timeline_hour: INDEX,
  timeline_state: INDEX,
  // FTS5's virtual table and the shadow tables it creates for it (https://www.sqlite.org/fts5.html, "Shadow tables").
  timeline_fts: INDEX,
  timeline_fts_data: INDEX,
  timeline_fts_idx: INDEX,
  timeline_fts_docsize: INDEX,
  timeline_fts_config: INDEX,
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof TABLES;

export const tableNames = (): TableName[] => Object.keys(TABLES) as TableName[];

export function tablesOfKind<K extends TableKind>(kind: K): TableName[] {
  return tableNames().filter((t) => TABLES[t].kind === kind);
}

/** Derived tables read from an evidence page, with their spec. */
export function evidenceDerivedTables(): { table: TableName; key: readonly string[]; rowId: string | null }[] {
  return tableNames().flatMap((table) => {
    const spec = TABLES[table] as TableSpec;
    return spec.kind === 'derived' && spec.from === 'evidence' ? [{ table, key: spec.key, rowId: spec.rowId ?? null }] : [];
  });
}

/** Where an event's source_row_id points: the event's `source` → the log table holding the record. */
export const EVENT_SOURCE_TABLES: Readonly<Record<string, 'sign_in' | 'directory_audit' | 'ual_record'>> = {
  signin: 'sign_in',
  directory_audit: 'directory_audit',
  ual: 'ual_record',
};
