// Any process with a case file open: per-run snapshots of tenant objects by kind (users, role assignments, grants, policies, connectors, transport rules…).
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { checkEvidenceRun, parseAll, withoutSecrets } from './directory';
import type { JsonObject } from '../json';

/** How to read one kind: where its id, name and relationship ends are. */
export interface ObjectKind {
  kind: string;
  id: (o: Record<string, unknown>) => unknown;
  name?: (o: Record<string, unknown>) => unknown;
  principal?: (o: Record<string, unknown>) => unknown;
  resource?: (o: Record<string, unknown>) => unknown;
}

export interface TenantObjectRecord {
  runId: string;
  kind: string;
  objectId: string;
  evidenceId: number;
  evidenceSha256: string;
  displayName: string | null;
  principalId: string | null;
  resourceId: string | null;
  raw: JsonObject;
}

const AnObject = z.record(z.string(), z.unknown());
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : null);

/** Validates the whole page first (one bad object refuses it, naming the field), then stores each object; returns rows written. */
export function insertObjects(db: Database, runId: string, evidenceId: number, spec: ObjectKind, objects: unknown[]): number {
  const parsed = parseAll(AnObject, objects, spec.kind, evidenceId);
  const rows = parsed.map(({ value }, index) => {
    const id = str(spec.id(value));
    if (!id) throw new Error(`${spec.kind} ${index + 1} of evidence ${evidenceId} has no id; the page was not stored.`);
    return { id, value };
  });
  const insert = db.prepare(
    `INSERT OR REPLACE INTO tenant_object (run_id, kind, object_id, evidence_id, display_name, principal_id, resource_id, raw)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    checkEvidenceRun(db, runId, evidenceId);
    for (const { id, value } of rows) {
      insert.run(runId, spec.kind, id, evidenceId, str(spec.name?.(value)), str(spec.principal?.(value)), str(spec.resource?.(value)), JSON.stringify(withoutSecrets(value)));
    }
  })();
  return rows.length;
}

interface ObjectColumns {
  run_id: string;
  kind: string;
  object_id: string;
  evidence_id: number;
  evidence_sha256: string;
  display_name: string | null;
  principal_id: string | null;
  resource_id: string | null;
  raw: string;
}

export function listObjects(db: Database, runId: string, kind: string): TenantObjectRecord[] {
  const rows = db
    .prepare(
      `SELECT o.*, e.sha256 AS evidence_sha256 FROM tenant_object o JOIN evidence e ON e.id = o.evidence_id
       WHERE o.run_id = ? AND o.kind = ? ORDER BY o.display_name COLLATE NOCASE, o.object_id`,
    )
    .all(runId, kind) as ObjectColumns[];
  return rows.map((r) => ({
    runId: r.run_id,
    kind: r.kind,
    objectId: r.object_id,
    evidenceId: r.evidence_id,
    evidenceSha256: r.evidence_sha256,
    displayName: r.display_name,
    principalId: r.principal_id,
    resourceId: r.resource_id,
    raw: JSON.parse(r.raw) as JsonObject,
  }));
}

export function countObjects(db: Database, runId: string): Record<string, number> {
  const rows = db.prepare('SELECT kind, count(*) AS n FROM tenant_object WHERE run_id = ? GROUP BY kind').all(runId) as { kind: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
}
