// Main process / CLI: the raw record behind a finding's evidence row (an event's source record, or a collected object), with the evidence page it came from.
import type { Database } from 'better-sqlite3';
import { getEvidence } from '../../db/queries/evidence';
import { ualRawReader, type UalRawRef } from '../../db/queries/ualRaw';
import type { EvidenceRecordView } from '../../preload/contract';

export type EvidenceRef = { kind: 'event'; eventId: number } | { kind: 'object'; runId: string; objectKind: string; objectId: string };

/** Thrown when the reference names nothing in this case. */
export class RecordNotFoundError extends Error {
  override readonly name = 'RecordNotFoundError';
}

const SOURCE_TABLES: Record<string, string> = { signin: 'sign_in', directory_audit: 'directory_audit', ual: 'ual_record' };

export function evidenceRecord(db: Database, ref: EvidenceRef): EvidenceRecordView {
  let title: string;
  let record: unknown;
  let evidenceId: number;
  if (ref.kind === 'event') {
    const event = db.prepare('SELECT source, source_row_id, operation, raw_operation, at, evidence_id FROM event WHERE id = ?').get(ref.eventId) as
      | { source: string; source_row_id: number; raw_operation: string; at: string; evidence_id: number }
      | undefined;
    if (!event) throw new RecordNotFoundError(`Event ${ref.eventId} is not in this case.`);
    const table = SOURCE_TABLES[event.source];
    if (!table) throw new RecordNotFoundError(`Event ${ref.eventId} comes from an unknown source "${event.source}".`);
    // A collected UAL record is kept only in its evidence page; ualRaw.ts reads it from there or from `raw`.
    const columns = table === 'ual_record' ? 'raw, evidence_id, page_index' : 'raw';
    const row = db.prepare(`SELECT ${columns} FROM ${table} WHERE row_id = ?`).get(event.source_row_id) as UalRawRef | undefined;
    if (!row) throw new RecordNotFoundError(`The ${event.source} record of event ${ref.eventId} is missing from the case.`);
    title = `${event.raw_operation}, ${event.at.slice(0, 19).replace('T', ' ')} UTC`;
    record = table === 'ual_record' ? ualRawReader(db).read(row) : JSON.parse(row.raw!);
    evidenceId = event.evidence_id;
  } else {
    const table = ref.objectKind === 'application' ? 'application' : ref.objectKind === 'servicePrincipal' ? 'service_principal' : 'tenant_object';
    const row = (
      table === 'tenant_object'
        ? db.prepare('SELECT raw, evidence_id, display_name FROM tenant_object WHERE run_id = ? AND kind = ? AND object_id = ?').get(ref.runId, ref.objectKind, ref.objectId)
        : db.prepare(`SELECT raw, evidence_id, display_name FROM ${table} WHERE run_id = ? AND object_id = ?`).get(ref.runId, ref.objectId)
    ) as { raw: string; evidence_id: number; display_name: string | null } | undefined;
    if (!row) throw new RecordNotFoundError(`No ${ref.objectKind} ${ref.objectId} was collected in run ${ref.runId}.`);
    title = `${ref.objectKind} ${row.display_name ?? ref.objectId}`;
    record = JSON.parse(row.raw);
    evidenceId = row.evidence_id;
  }
  const evidence = getEvidence(db, evidenceId);
  if (!evidence) throw new RecordNotFoundError(`Evidence row ${evidenceId} is missing from the case.`);
  return {
    title,
    json: JSON.stringify(record, null, 2),
    evidence: { id: evidence.id, sha256: evidence.sha256, source: evidence.source, url: evidence.url, collectedAt: evidence.collectedAt, bytes: evidence.size },
  };
}
