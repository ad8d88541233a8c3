// Main process: what the Timeline screen reads beyond pages — the index at a glance, an event's raw record, and the pins with their events.
import type { Database } from 'better-sqlite3';
import type { DetectionReport, TimelineOverview, TimelinePinView, TimelineRecordView, TimelineRowView } from '../../preload/contract';
import { getEvidence } from '../../db/queries/evidence';
import { currentPins, type PinRecord } from '../../db/queries/pins';
import { evidenceRecord, RecordNotFoundError } from '../detect/records';
import { ROW_JOINS, ROW_SELECT, toRow, type TimelineRow } from './query';

export function timelineOverview(db: Database): TimelineOverview {
  const parts = db.prepare('SELECT source, result, sum(n) AS n FROM timeline_hour GROUP BY source, result').all() as { source: string; result: string; n: number }[];
  const sum = (key: 'source' | 'result') => {
    const m = new Map<string, number>();
    for (const p of parts) m.set(p[key], (m.get(p[key]) ?? 0) + p.n);
    return [...m].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
  };
  const first = db.prepare('SELECT at FROM timeline ORDER BY at LIMIT 1').pluck().get() as string | undefined;
  const last = db.prepare('SELECT at FROM timeline ORDER BY at DESC LIMIT 1').pluck().get() as string | undefined;
  const builtAt = db.prepare('SELECT built_at FROM timeline_state WHERE id = 1').pluck().get() as string | null;
  return { total: parts.reduce((n, p) => n + p.n, 0), first: first ?? null, last: last ?? null, sources: sum('source'), results: sum('result'), builtAt };
}

/** Marks the rows the examiner has pinned. */
export function withPins(rows: TimelineRow[], pins: PinRecord[]): TimelineRowView[] {
  const pinned = new Set(pins.map((p) => `${p.source}\u0000${p.recordId}`));
  return rows.map((r) => ({ ...r, pinned: pinned.has(`${r.source}\u0000${r.recordId}`) }));
}

export function timelineRowById(db: Database, id: number): TimelineRow | null {
  const row = db.prepare(`SELECT ${ROW_SELECT} FROM timeline t ${ROW_JOINS} WHERE t.id = ?`).get(id) as Parameters<typeof toRow>[0] | undefined;
  return row ? toRow(row) : null;
}

export function pinViews(db: Database, pins: PinRecord[] = currentPins(db)): TimelinePinView[] {
  const custodyHash = db.prepare('SELECT hash FROM custody WHERE seq = ?').pluck();
  const row = db.prepare('SELECT id, message FROM timeline WHERE source = ? AND record_id = ?');
  return pins.map((p) => {
    const found = row.get(p.source, p.recordId) as { id: number; message: string } | undefined;
    return {
      seq: p.seq, source: p.source, recordId: p.recordId, note: p.note, eventAt: p.eventAt, evidenceSha256: p.evidenceSha256, at: p.at, actor: p.actor,
      custodySeq: p.custodySeq, custodyHash: custodyHash.get(p.custodySeq) as string, timelineId: found?.id ?? null, message: found?.message ?? null,
    };
  });
}

function evidenceOf(db: Database, id: number | null): TimelineRecordView['evidence'] {
  if (id === null) return null;
  const e = getEvidence(db, id);
  return e ? { id: e.id, sha256: e.sha256, source: e.source, url: e.url, collectedAt: e.collectedAt, bytes: e.size } : null;
}

/**
 * The raw record behind a row: a log event or an object as re-read from its evidence page (the collector's parsers run
 * again, a mismatch said); a custody entry as the chain holds it; a finding as the rules report it.
 */
export function timelineRecord(db: Database, row: TimelineRowView, report: () => DetectionReport, pins: TimelinePinView[]): TimelineRecordView {
  const pin = pins.find((p) => p.source === row.source && p.recordId === row.recordId) ?? null;
  if (row.eventId !== null) {
    const r = evidenceRecord(db, { kind: 'event', eventId: row.eventId });
    return { row, title: r.title, json: r.json, evidence: r.evidence, mismatch: r.mismatch, pin };
  }
  if (row.source === 'object' && row.evidenceId !== null && row.targetType && row.targetId) {
    const page = getEvidence(db, row.evidenceId);
    if (page) {
      try {
        const r = evidenceRecord(db, { kind: 'object', runId: page.runId, objectKind: row.targetType, objectId: row.targetId });
        return { row, title: `${row.operation}: ${r.title}`, json: r.json, evidence: r.evidence, mismatch: r.mismatch, pin };
      } catch (err) {
        if (!(err instanceof RecordNotFoundError)) throw err;
      }
    }
  }
  if (row.source === 'custody' && row.custodySeq !== null) {
    const entry = db.prepare('SELECT seq, at, action, actor, details, prev_hash AS prevHash, hash FROM custody WHERE seq = ?').get(row.custodySeq) as Record<string, unknown> | undefined;
    if (entry) {
      const json = JSON.stringify({ ...entry, details: JSON.parse(String(entry.details)) as unknown }, null, 2);
      return { row, title: `Custody entry ${row.custodySeq}: ${row.operation}`, json, evidence: null, mismatch: null, pin };
    }
  }
  if (row.source === 'finding') {
    const finding = report().findings.find((f) => f.key === row.recordId);
    if (finding) {
      const { events, objects, ...rest } = finding;
      const json = JSON.stringify({ ...rest, events: events.length, objects: objects.map((o) => ({ kind: o.kind, id: o.id, name: o.name, evidenceSha256: o.evidenceSha256 })) }, null, 2);
      return { row, title: `Finding: ${finding.title}`, json, evidence: evidenceOf(db, row.evidenceId), mismatch: null, pin };
    }
  }
  const { pinned: _pinned, ...plain } = row;
  return { row, title: row.message, json: JSON.stringify(plain, null, 2), evidence: evidenceOf(db, row.evidenceId), mismatch: null, pin };
}
