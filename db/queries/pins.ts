// Any process with a case file open: the examiner's pins on timeline events; each pin or unpin is written with its custody entry.
import type { Database } from 'better-sqlite3';
import { appendCustody } from './custody';

export const PIN_ACTION = 'timeline.pin';

export interface PinRecord {
  seq: number;
  source: string;
  recordId: string;
  state: 'pinned' | 'unpinned';
  note: string;
  /** The event's own time (UTC ISO). */
  eventAt: string;
  /** The SHA-256 of the evidence page the event was read from (null for rows without one, e.g. custody). */
  evidenceSha256: string | null;
  at: string;
  actor: string;
  custodySeq: number;
}

export interface PinColumns {
  seq: number;
  source: string;
  record_id: string;
  state: 'pinned' | 'unpinned';
  note: string;
  event_at: string;
  evidence_sha256: string | null;
  at: string;
  actor: string;
  custody_seq: number;
}

const toRecord = (r: PinColumns): PinRecord => ({
  seq: r.seq, source: r.source, recordId: r.record_id, state: r.state, note: r.note, eventAt: r.event_at, evidenceSha256: r.evidence_sha256,
  at: r.at, actor: r.actor, custodySeq: r.custody_seq,
});

/**
 * Pins (or unpins) one event with a note: the custody entry and the row are written in one transaction, so neither
 * exists without the other. `summary` (the event's one-line message) goes into the custody entry only, for a reader of
 * custody.json.
 */
export function recordPin(
  db: Database,
  pin: { source: string; recordId: string; state: 'pinned' | 'unpinned'; note: string; eventAt: string; evidenceSha256: string | null; at: string; actor: string; summary: string },
): PinRecord {
  return db.transaction(() => {
    const custody = appendCustody(db, {
      at: pin.at,
      action: PIN_ACTION,
      actor: pin.actor,
      details: { source: pin.source, record: pin.recordId, state: pin.state, note: pin.note, eventAt: pin.eventAt, evidenceSha256: pin.evidenceSha256, event: pin.summary },
    });
    const info = db
      .prepare('INSERT INTO timeline_pin (source, record_id, state, note, event_at, evidence_sha256, at, actor, custody_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(pin.source, pin.recordId, pin.state, pin.note, pin.eventAt, pin.evidenceSha256, pin.at, pin.actor, custody.seq);
    return toRecord({
      seq: Number(info.lastInsertRowid), source: pin.source, record_id: pin.recordId, state: pin.state, note: pin.note, event_at: pin.eventAt,
      evidence_sha256: pin.evidenceSha256, at: pin.at, actor: pin.actor, custody_seq: custody.seq,
    });
  }).immediate();
}

/** The events pinned now (each event's newest entry is a pin), in the events' time order. */
export function currentPins(db: Database): PinRecord[] {
  const rows = db
    .prepare(
      `SELECT p.* FROM timeline_pin p JOIN (SELECT source, record_id, max(seq) AS seq FROM timeline_pin GROUP BY source, record_id) m ON m.seq = p.seq
       WHERE p.state = 'pinned' ORDER BY p.event_at, p.seq`,
    )
    .all() as PinColumns[];
  return rows.map(toRecord);
}

/** The newest entry of one event, or null when it was never pinned. */
export function latestPin(db: Database, source: string, recordId: string): PinRecord | null {
  const row = db.prepare('SELECT * FROM timeline_pin WHERE source = ? AND record_id = ? ORDER BY seq DESC LIMIT 1').get(source, recordId) as PinColumns | undefined;
  return row ? toRecord(row) : null;
}
