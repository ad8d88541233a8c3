// Any process with a case file open: the triage history of findings; each decision is written with its custody entry.
import type { Database } from 'better-sqlite3';
import { appendCustody } from './custody';

export type TriageStateValue = 'open' | 'confirmed' | 'false_positive' | 'needs_info';

export interface TriageRecord {
  seq: number;
  findingKey: string;
  ruleId: string;
  state: TriageStateValue;
  note: string;
  at: string;
  actor: string;
  custodySeq: number;
}

interface TriageColumns {
  seq: number;
  finding_key: string;
  rule_id: string;
  state: TriageStateValue;
  note: string;
  at: string;
  actor: string;
  custody_seq: number;
}

const toRecord = (r: TriageColumns): TriageRecord => ({
  seq: r.seq, findingKey: r.finding_key, ruleId: r.rule_id, state: r.state, note: r.note, at: r.at, actor: r.actor, custodySeq: r.custody_seq,
});

/** Records a decision and its custody entry in one transaction: neither exists without the other. */
export function recordTriage(
  db: Database,
  entry: { findingKey: string; ruleId: string; state: TriageStateValue; note: string; at: string; actor: string; details?: Record<string, string | null> },
): TriageRecord {
  return db.transaction(() => {
    const previous = latestTriage(db, entry.findingKey);
    const custody = appendCustody(db, {
      at: entry.at,
      action: 'finding.triaged',
      actor: entry.actor,
      details: { finding: entry.findingKey, rule: entry.ruleId, from: previous?.state ?? 'open', to: entry.state, note: entry.note, ...(entry.details ?? {}) },
    });
    const info = db
      .prepare('INSERT INTO finding_triage (finding_key, rule_id, state, note, at, actor, custody_seq) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(entry.findingKey, entry.ruleId, entry.state, entry.note, entry.at, entry.actor, custody.seq);
    return { seq: Number(info.lastInsertRowid), ...entry, custodySeq: custody.seq };
  }).immediate();
}

export function latestTriage(db: Database, findingKey: string): TriageRecord | null {
  const row = db.prepare('SELECT * FROM finding_triage WHERE finding_key = ? ORDER BY seq DESC LIMIT 1').get(findingKey) as TriageColumns | undefined;
  return row ? toRecord(row) : null;
}

/** The current decision per finding key. */
export function currentTriage(db: Database): Map<string, TriageRecord> {
  const rows = db
    .prepare('SELECT t.* FROM finding_triage t JOIN (SELECT finding_key, max(seq) AS seq FROM finding_triage GROUP BY finding_key) m ON m.seq = t.seq')
    .all() as TriageColumns[];
  return new Map(rows.map((r) => [r.finding_key, toRecord(r)]));
}

export function triageHistory(db: Database, findingKey: string): TriageRecord[] {
  return (db.prepare('SELECT * FROM finding_triage WHERE finding_key = ? ORDER BY seq').all(findingKey) as TriageColumns[]).map(toRecord);
}
