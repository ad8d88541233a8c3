// Main process, workers and CLI (verify, export): the remediation record against custody — each planned step and each
// action rebuilt from the custody entry it projects, and every remediation evidence row's bytes against its sha256 and
// against the hash the action's custody entry recorded for it.
import { gunzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { sha256Hex } from '../../db/queries/evidence';
import type { CustodyRow, Report } from './trust';

const entryName = (e: CustodyRow) => `custody entry ${e.seq} (${e.action})`;

/** Names the fields whose stored value differs from what custody recorded (null and missing are the same). */
function differing(pairs: [field: string, stored: unknown, recorded: unknown][]): string[] {
  return pairs.filter(([, a, b]) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null)).map(([f]) => f);
}

export interface Projection<Row extends { seq: number; custody_seq: number }> {
  table: string;
  action: string;
  /** What a row is, in messages: 'decision', 'row'. */
  what?: string;
  rows: Row[];
  name: (row: Row) => string;
  /** Field by field: the row's value and what the custody entry recorded. */
  compare: (row: Row, entry: CustodyRow) => [string, unknown, unknown][];
  /** Extra checks of a row (a spec's own hash). */
  check?: (row: Row, where: string) => void;
  orphan: (entry: CustodyRow) => string;
}

/** Rows and custody entries one to one, in custody order, each row equal to what its entry records. */
export function checkProjection<Row extends { seq: number; custody_seq: number }>(custody: CustodyRow[], p: Projection<Row>, report: Report): void {
  const bySeq = new Map(custody.map((e) => [e.seq, e]));
  const what = p.what === 'decision' ? { written: 'The decision was written', record: 'the history of decisions was reordered', changed: 'the decision was changed' } : { written: 'The row was written', record: 'the remediation record was reordered', changed: 'the remediation record was changed' };
  const projected = new Set<number>();
  let previous = 0;
  for (const row of p.rows) {
    const where = `${p.table} row ${row.seq} (${p.name(row)})`;
    const entry = bySeq.get(row.custody_seq);
    if (!entry || entry.action !== p.action) {
      report(where, `It has no custody entry: custody entry ${row.custody_seq} ${entry ? `is ${entry.action}, not ${p.action}` : 'does not exist'}. ${what.written} outside Peregrine.`);
      continue;
    }
    if (projected.has(entry.seq)) report(where, `${entryName(entry)} is projected twice: the row was copied outside Peregrine.`);
    projected.add(entry.seq);
    if (row.custody_seq < previous) report(where, `The rows are not in the order of their custody entries: ${what.record}.`);
    previous = row.custody_seq;
    const fields = differing(p.compare(row, entry));
    if (fields.length) report(where, `It differs from ${entryName(entry)} in ${fields.join(', ')}: ${what.changed} outside Peregrine.`);
    p.check?.(row, where);
  }
  for (const entry of custody) {
    if (entry.action === p.action && !projected.has(entry.seq)) report(entryName(entry), `${p.orphan(entry)} has no ${p.table} row: the row was deleted outside Peregrine.`);
  }
}

interface StepColumns { seq: number; step_id: string; spec: string; spec_sha256: string; at: string; actor: string; custody_seq: number }
interface ActionColumns {
  seq: number; step_id: string; item_key: string; outcome: string; note: string; account: string | null; before_sha256: string | null;
  after_sha256: string | null; evidence_ids: string; at: string; actor: string; custody_seq: number;
}

export function checkRemediationSteps(db: Database, custody: CustodyRow[], report: Report): void {
  checkProjection<StepColumns>(custody, {
    table: 'remediation_step', action: 'remediation.planned',
    rows: db.prepare('SELECT * FROM remediation_step ORDER BY seq').all() as StepColumns[],
    name: (r) => `step ${r.step_id}`,
    compare: (r, e) => [['step_id', r.step_id, e.details.step], ['spec_sha256', r.spec_sha256, e.details.specSha256], ['at', r.at, e.at], ['actor', r.actor, e.actor]],
    check: (r, where) => {
      const actual = sha256Hex(r.spec);
      if (actual !== r.spec_sha256) report(where, `The step's spec hashes to ${actual}, not the ${r.spec_sha256} it records: the planned requests were changed after planning.`);
    },
    orphan: (e) => `The plan of step ${String(e.details.step)}`,
  }, report);
}

export function checkRemediationActions(db: Database, custody: CustodyRow[], report: Report): void {
  const evidence = new Map((db.prepare('SELECT id, sha256 FROM remediation_evidence').all() as { id: number; sha256: string }[]).map((r) => [r.id, r.sha256]));
  checkProjection<ActionColumns>(custody, {
    table: 'remediation_action', action: 'remediation.action',
    rows: db.prepare('SELECT * FROM remediation_action ORDER BY seq').all() as ActionColumns[],
    name: (r) => `step ${r.step_id}, item ${r.item_key}`,
    compare: (r, e) => {
      const recorded = Array.isArray(e.details.evidence) ? (e.details.evidence as { id?: unknown }[]).map((x) => x.id) : null;
      return [
        ['step_id', r.step_id, e.details.step], ['item_key', r.item_key, e.details.item], ['outcome', r.outcome, e.details.outcome], ['note', r.note, e.details.note],
        ['account', r.account, e.details.account], ['before_sha256', r.before_sha256, e.details.before], ['after_sha256', r.after_sha256, e.details.after],
        ['evidence_ids', JSON.parse(r.evidence_ids) as unknown, recorded], ['at', r.at, e.at], ['actor', r.actor, e.actor],
      ];
    },
    check: (r, where) => {
      const entry = custody.find((e) => e.seq === r.custody_seq);
      for (const ref of (Array.isArray(entry?.details.evidence) ? entry.details.evidence : []) as { id?: unknown; sha256?: unknown }[]) {
        const stored = evidence.get(Number(ref.id));
        if (stored === undefined) report(where, `Its remediation evidence row ${String(ref.id)} is missing: it was deleted outside Peregrine.`);
        else if (stored !== ref.sha256) report(where, `Its remediation evidence row ${String(ref.id)} now records sha256 ${stored}, not the ${String(ref.sha256)} custody recorded: the row was replaced.`);
      }
    },
    orphan: (e) => `The outcome ${String(e.details.outcome)} of step ${String(e.details.step)}, item ${String(e.details.item)}`,
  }, report);
}

/** Every remediation evidence row's stored bytes against its sha256 and size. Returns the rows checked. */
export function checkRemediationEvidence(db: Database, report: Report): number {
  let count = 0;
  for (const row of db.prepare('SELECT id, step_id, kind, url, sha256, size, body_gz FROM remediation_evidence ORDER BY id').iterate() as IterableIterator<{ id: number; step_id: string; kind: string; url: string; sha256: string; size: number; body_gz: Buffer }>) {
    count += 1;
    const where = `remediation_evidence row ${row.id} (${row.step_id}, ${row.kind} ${row.url})`;
    let body: Buffer;
    try {
      body = gunzipSync(row.body_gz);
    } catch (err) {
      report(where, `The stored body does not decompress (${(err as Error).message}): body_gz was changed or damaged after it was stored.`);
      continue;
    }
    const actual = sha256Hex(body);
    if (actual !== row.sha256) report(where, `The body's sha256 is ${actual} but the row records ${row.sha256}: the body or its hash was changed after it was stored.`);
    else if (body.length !== row.size) report(where, `The body is ${body.length} bytes but the row records ${row.size}.`);
  }
  return count;
}
