// Main process / CLI: the raw record behind a finding's evidence row (an event's source record, or a collected object), with the evidence page it came from.
import type { Database } from 'better-sqlite3';
import { getEvidence } from '../../db/queries/evidence';
import { ualRawReader, type UalRawRef } from '../../db/queries/ualRaw';
import type { EvidenceRecordView } from '../../preload/contract';
import { EVENT_SOURCE_TABLES } from '../../db/tables';
import { rederiveRow } from '../case/rederive';

export type EvidenceRef = { kind: 'event'; eventId: number } | { kind: 'object'; runId: string; objectKind: string; objectId: string };

/** Thrown when the reference names nothing in this case. */
export class RecordNotFoundError extends Error {
  override readonly name = 'RecordNotFoundError';
}

/**
 * The record as re-read from its evidence page (the page derived again with the collector's parsers), not the row as
 * stored: a row changed after collection is shown as the evidence holds it, with `mismatch` saying what differs.
 */
export function evidenceRecord(db: Database, ref: EvidenceRef): EvidenceRecordView {
  let title: string;
  let table: string;
  let stored: Record<string, unknown>;
  const mismatches: string[] = [];
  if (ref.kind === 'event') {
    const event = db.prepare('SELECT * FROM event WHERE id = ?').get(ref.eventId) as Record<string, unknown> | undefined;
    if (!event) throw new RecordNotFoundError(`Event ${ref.eventId} is not in this case.`);
    const source = String(event.source);
    const sourceTable = EVENT_SOURCE_TABLES[source];
    if (!sourceTable) throw new RecordNotFoundError(`Event ${ref.eventId} comes from an unknown source "${source}".`);
    const row = db.prepare(`SELECT * FROM ${sourceTable} WHERE row_id = ?`).get(event.source_row_id) as Record<string, unknown> | undefined;
    if (!row) throw new RecordNotFoundError(`The ${source} record of event ${ref.eventId} is missing from the case.`);
    title = `${String(event.raw_operation)}, ${String(event.at).slice(0, 19).replace('T', ' ')} UTC`;
    const eventCheck = rederiveRow(db, 'event', event).mismatch;
    if (eventCheck) mismatches.push(eventCheck);
    if (row.id !== event.record_id || row.run_id !== event.run_id) mismatches.push(`Event ${ref.eventId} points at ${sourceTable} row ${String(row.row_id)}, which is not its record ${String(event.record_id)}.`);
    table = sourceTable;
    stored = row;
  } else {
    table = ref.objectKind === 'application' ? 'application' : ref.objectKind === 'servicePrincipal' ? 'service_principal' : 'tenant_object';
    const row = (
      table === 'tenant_object'
        ? db.prepare('SELECT * FROM tenant_object WHERE run_id = ? AND kind = ? AND object_id = ?').get(ref.runId, ref.objectKind, ref.objectId)
        : db.prepare(`SELECT * FROM ${table} WHERE run_id = ? AND object_id = ?`).get(ref.runId, ref.objectId)
    ) as Record<string, unknown> | undefined;
    if (!row) throw new RecordNotFoundError(`No ${ref.objectKind} ${ref.objectId} was collected in run ${ref.runId}.`);
    title = `${ref.objectKind} ${String(row.display_name ?? ref.objectId)}`;
    stored = row;
  }
  const checked = rederiveRow(db, table, stored);
  if (checked.mismatch) mismatches.push(checked.mismatch);
  // Shown from the evidence when the page still derives the row; otherwise the stored row, flagged.
  const shown = checked.derived ?? stored;
  const record = shown.raw !== null && shown.raw !== undefined
    ? JSON.parse(String(shown.raw))
    : checked.derived && typeof shown.page_index === 'number' ? checked.objects[shown.page_index] : ualRawReader(db).read(stored as unknown as UalRawRef);
  const evidence = getEvidence(db, Number(stored.evidence_id));
  if (!evidence) throw new RecordNotFoundError(`Evidence row ${String(stored.evidence_id)} is missing from the case.`);
  return {
    title,
    json: JSON.stringify(record, null, 2),
    evidence: { id: evidence.id, sha256: evidence.sha256, source: evidence.source, url: evidence.url, collectedAt: evidence.collectedAt, bytes: evidence.size },
    mismatch: mismatches.length ? mismatches.join(' ') : null,
  };
}
