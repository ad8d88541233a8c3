// Any process with a case file open: the remediation record — steps as planned, each item's outcomes (each with its
// custody entry, in one transaction) and the evidence of every live read, request and answer (append-only, hashed).
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import { appendCustody } from './custody';
import { sha256Hex } from './evidence';
import type { JsonObject } from '../json';

export type RemediationEvidenceKind = 'read-before' | 'write' | 'read-after';

export const REMEDIATION_OUTCOMES = ['dry-run', 'done', 'verified', 'already-absent', 'failed', 'changed', 'skipped', 'done-outside'] as const;
export type RemediationOutcome = (typeof REMEDIATION_OUTCOMES)[number];

export interface StoredStep {
  seq: number;
  stepId: string;
  spec: JsonObject;
  specSha256: string;
  at: string;
  actor: string;
  custodySeq: number;
}

export interface NewRemediationEvidence {
  stepId: string;
  itemKey: string;
  kind: RemediationEvidenceKind;
  method: string;
  url: string;
  /** Already stripped of secrets by the caller: what was asked, as sent but for them. */
  requestBody: string | null;
  status: number;
  collectedAt: string;
  /** The answer, already stripped of secrets: hashed and stored exactly as given. */
  body: Buffer;
}

export interface RemediationEvidenceRecord extends Omit<NewRemediationEvidence, 'body'> {
  id: number;
  sha256: string;
  size: number;
  body: Buffer;
}

export interface RemediationAction {
  seq: number;
  stepId: string;
  itemKey: string;
  outcome: RemediationOutcome;
  note: string;
  account: string | null;
  beforeSha256: string | null;
  afterSha256: string | null;
  /** Evidence rows of this action with the sha256 each had when recorded (custody holds the same list). */
  evidence: { id: number; sha256: string }[];
  at: string;
  actor: string;
  custodySeq: number;
}

/** The canonical (RFC 8785) JSON of a step spec and its sha256: the same step gives the same bytes. */
export function specDigest(spec: unknown): { text: string; sha256: string } {
  const text = canonicalize(spec);
  return { text, sha256: sha256Hex(text) };
}

/**
 * Records the plan: a step new or changed since its last record (by spec hash) gets a `remediation.planned` custody
 * entry and a row; an unchanged one nothing. Returns the steps recorded now.
 */
export function recordPlannedSteps(db: Database, steps: readonly { id: string }[], who: { at: string; actor: string }): StoredStep[] {
  return db.transaction(() => {
    const latest = latestSteps(db);
    const recorded: StoredStep[] = [];
    for (const step of steps) {
      const { text, sha256 } = specDigest(step);
      if (latest.get(step.id)?.specSha256 === sha256) continue;
      const custody = appendCustody(db, { at: who.at, action: 'remediation.planned', actor: who.actor, details: { step: step.id, specSha256: sha256 } });
      const info = db
        .prepare('INSERT INTO remediation_step (step_id, spec, spec_sha256, at, actor, custody_seq) VALUES (?, ?, ?, ?, ?, ?)')
        .run(step.id, text, sha256, who.at, who.actor, custody.seq);
      recorded.push({ seq: Number(info.lastInsertRowid), stepId: step.id, spec: JSON.parse(text) as JsonObject, specSha256: sha256, at: who.at, actor: who.actor, custodySeq: custody.seq });
    }
    return recorded;
  }).immediate();
}

/** The newest record of each step, by step id. */
export function latestSteps(db: Database): Map<string, StoredStep> {
  const rows = db
    .prepare('SELECT s.* FROM remediation_step s JOIN (SELECT step_id, max(seq) AS seq FROM remediation_step GROUP BY step_id) m ON m.seq = s.seq')
    .all() as { seq: number; step_id: string; spec: string; spec_sha256: string; at: string; actor: string; custody_seq: number }[];
  return new Map(rows.map((r) => [r.step_id, { seq: r.seq, stepId: r.step_id, spec: JSON.parse(r.spec) as JsonObject, specSha256: r.spec_sha256, at: r.at, actor: r.actor, custodySeq: r.custody_seq }]));
}

export function insertRemediationEvidence(db: Database, e: NewRemediationEvidence): { id: number; sha256: string } {
  const sha256 = sha256Hex(e.body);
  const info = db
    .prepare(
      `INSERT INTO remediation_evidence (step_id, item_key, kind, method, url, request_body, status, collected_at, sha256, size, body_gz)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(e.stepId, e.itemKey, e.kind, e.method, e.url, e.requestBody, e.status, e.collectedAt, sha256, e.body.length, gzipSync(e.body, { level: 6 }));
  return { id: Number(info.lastInsertRowid), sha256 };
}

interface EvidenceColumns {
  id: number;
  step_id: string;
  item_key: string;
  kind: RemediationEvidenceKind;
  method: string;
  url: string;
  request_body: string | null;
  status: number;
  collected_at: string;
  sha256: string;
  size: number;
  body_gz: Buffer;
}

const toEvidence = (r: EvidenceColumns): RemediationEvidenceRecord => ({
  id: r.id, stepId: r.step_id, itemKey: r.item_key, kind: r.kind, method: r.method, url: r.url, requestBody: r.request_body,
  status: r.status, collectedAt: r.collected_at, sha256: r.sha256, size: r.size, body: gunzipSync(r.body_gz),
});

/** One step's evidence (or every row), oldest first, bodies decompressed; hashes are verify's to check. */
export function listRemediationEvidence(db: Database, stepId?: string): RemediationEvidenceRecord[] {
  const rows = stepId === undefined
    ? db.prepare('SELECT * FROM remediation_evidence ORDER BY id').all()
    : db.prepare('SELECT * FROM remediation_evidence WHERE step_id = ? ORDER BY id').all(stepId);
  return (rows as EvidenceColumns[]).map(toEvidence);
}

/** Records one item's outcome and its custody entry in one transaction: neither exists without the other. */
export function recordAction(db: Database, a: Omit<RemediationAction, 'seq' | 'custodySeq'>): RemediationAction {
  return db.transaction(() => {
    const custody = appendCustody(db, {
      at: a.at,
      action: 'remediation.action',
      actor: a.actor,
      details: {
        step: a.stepId, item: a.itemKey, outcome: a.outcome, note: a.note, account: a.account,
        before: a.beforeSha256, after: a.afterSha256, evidence: a.evidence.map((e) => ({ id: e.id, sha256: e.sha256 })),
      },
    });
    const info = db
      .prepare(
        `INSERT INTO remediation_action (step_id, item_key, outcome, note, account, before_sha256, after_sha256, evidence_ids, at, actor, custody_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(a.stepId, a.itemKey, a.outcome, a.note, a.account, a.beforeSha256, a.afterSha256, JSON.stringify(a.evidence.map((e) => e.id)), a.at, a.actor, custody.seq);
    return { ...a, seq: Number(info.lastInsertRowid), custodySeq: custody.seq };
  }).immediate();
}

interface ActionColumns {
  seq: number;
  step_id: string;
  item_key: string;
  outcome: RemediationOutcome;
  note: string;
  account: string | null;
  before_sha256: string | null;
  after_sha256: string | null;
  evidence_ids: string;
  at: string;
  actor: string;
  custody_seq: number;
}

export function listActions(db: Database, stepId?: string): RemediationAction[] {
  const rows = (stepId === undefined
    ? db.prepare('SELECT * FROM remediation_action ORDER BY seq').all()
    : db.prepare('SELECT * FROM remediation_action WHERE step_id = ? ORDER BY seq').all(stepId)) as ActionColumns[];
  const sha = db.prepare('SELECT sha256 FROM remediation_evidence WHERE id = ?').pluck();
  return rows.map((r) => ({
    seq: r.seq, stepId: r.step_id, itemKey: r.item_key, outcome: r.outcome, note: r.note, account: r.account, beforeSha256: r.before_sha256,
    afterSha256: r.after_sha256, evidence: (JSON.parse(r.evidence_ids) as number[]).map((id) => ({ id, sha256: (sha.get(id) as string | undefined) ?? '' })),
    at: r.at, actor: r.actor, custodySeq: r.custody_seq,
  }));
}

/** The latest action per item of a step (item key → action). */
export function latestActions(db: Database, stepId: string): Map<string, RemediationAction> {
  const latest = new Map<string, RemediationAction>();
  for (const a of listActions(db, stepId)) latest.set(a.itemKey, a);
  return latest;
}

/** Whether a write was ever sent for the item (answered or not): the tenant may show it though no run verified it. */
export function wroteBefore(db: Database, stepId: string, itemKey: string): boolean {
  return db.prepare(`SELECT 1 FROM remediation_evidence WHERE step_id = ? AND item_key = ? AND kind = 'write' LIMIT 1`).get(stepId, itemKey) !== undefined;
}
