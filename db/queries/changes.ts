// Any process with a case file open: per-object differences between two collections of the same directory objects.
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';

export type ChangeKind = 'appeared' | 'disappeared' | 'modified';

export interface ObjectChange {
  runId: string;
  previousRunId: string;
  entity: string;
  objectId: string;
  displayName: string | null;
  change: ChangeKind;
  fields: string[] | null;
}

/** Entities that are snapshotted per run: the two with tables of their own, and every tenant_object kind as `object:<kind>`. */
const SNAPSHOT_TABLES = { application: 'application', servicePrincipal: 'service_principal' } as const;
export type SnapshotEntity = keyof typeof SNAPSHOT_TABLES | `object:${string}`;

interface SnapshotRow {
  object_id: string;
  display_name: string | null;
  raw: string;
}

function snapshot(db: Database, entity: SnapshotEntity, runId: string): Map<string, SnapshotRow> {
  const rows = (
    entity.startsWith('object:')
      ? db.prepare('SELECT object_id, display_name, raw FROM tenant_object WHERE run_id = ? AND kind = ?').all(runId, entity.slice('object:'.length))
      : db.prepare(`SELECT object_id, display_name, raw FROM ${SNAPSHOT_TABLES[entity as keyof typeof SNAPSHOT_TABLES]} WHERE run_id = ?`).all(runId)
  ) as SnapshotRow[];
  return new Map(rows.map((r) => [r.object_id, r]));
}

function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => canonicalize(before[k] ?? null) !== canonicalize(after[k] ?? null)).sort();
}

/** Compares two runs' snapshots of one entity; records and returns the differences. Idempotent per (run, entity). */
export function recordChanges(db: Database, entity: SnapshotEntity, previousRunId: string, runId: string): ObjectChange[] {
  const changes = computeChanges(db, entity, previousRunId, runId);
  const insert = db.prepare(
    `INSERT OR REPLACE INTO object_change (run_id, previous_run_id, entity, object_id, display_name, change, fields) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const c of changes) insert.run(c.runId, c.previousRunId, c.entity, c.objectId, c.displayName, c.change, c.fields ? JSON.stringify(c.fields) : null);
  return changes;
}

/** The differences between two runs' snapshots of one entity, read only (verify --deep derives object_change with it). */
export function computeChanges(db: Database, entity: SnapshotEntity, previousRunId: string, runId: string): ObjectChange[] {
  const before = snapshot(db, entity, previousRunId);
  const after = snapshot(db, entity, runId);
  const changes: ObjectChange[] = [];
  for (const [id, row] of after) {
    const old = before.get(id);
    if (!old) changes.push({ runId, previousRunId, entity, objectId: id, displayName: row.display_name, change: 'appeared', fields: null });
    else if (old.raw !== row.raw) {
      const fields = changedFields(JSON.parse(old.raw) as Record<string, unknown>, JSON.parse(row.raw) as Record<string, unknown>);
      if (fields.length) changes.push({ runId, previousRunId, entity, objectId: id, displayName: row.display_name, change: 'modified', fields });
    }
  }
  for (const [id, row] of before) {
    if (!after.has(id)) changes.push({ runId, previousRunId, entity, objectId: id, displayName: row.display_name, change: 'disappeared', fields: null });
  }
  return changes;
}

interface ChangeColumns {
  run_id: string;
  previous_run_id: string;
  entity: string;
  object_id: string;
  display_name: string | null;
  change: ChangeKind;
  fields: string | null;
}

const toChange = (r: ChangeColumns): ObjectChange => ({
  runId: r.run_id,
  previousRunId: r.previous_run_id,
  entity: r.entity,
  objectId: r.object_id,
  displayName: r.display_name,
  change: r.change,
  fields: r.fields ? (JSON.parse(r.fields) as string[]) : null,
});

/** An object's history across collections, oldest first. */
export function objectHistory(db: Database, entity: string, objectId: string): ObjectChange[] {
  const rows = db
    .prepare(
      `SELECT c.* FROM object_change c JOIN collection_run r ON r.run_id = c.run_id
       WHERE c.entity = ? AND c.object_id = ? ORDER BY r.started_at, c.rowid`,
    )
    .all(entity, objectId) as ChangeColumns[];
  return rows.map(toChange);
}

export function listChanges(db: Database, runId: string): ObjectChange[] {
  return (db.prepare('SELECT * FROM object_change WHERE run_id = ? ORDER BY entity, change, display_name, object_id').all(runId) as ChangeColumns[]).map(toChange);
}
