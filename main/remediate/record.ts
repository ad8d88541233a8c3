// Main process / CLI / export: the remediation record as the signed export carries it (actions.json): each recorded
// step with its state, and every action with who did it, as which account, when, the object's sha256 before and
// after, and the evidence rows (their sha256, request and status) — the custody entries' projection, secrets redacted.
import type { Database } from 'better-sqlite3';
import { latestSteps, listActions, listRemediationEvidence } from '../../db/queries/remediation';
import { itemResults } from './engine';
import { stepState, type PlannedStep } from './model';

export const ACTIONS_FILE = 'actions.json';
export const ACTIONS_FORMAT = 'peregrine-remediation/1';

/** actions.json for an export, or nothing when the case holds no remediation (or predates it). */
export function remediationExportFiles(db: Database): { name: string; content: string }[] {
  const hasTable = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'remediation_step'`).get() !== undefined;
  if (!hasTable) return [];
  const stored = [...latestSteps(db).values()];
  if (stored.length === 0) return [];
  const evidence = new Map(listRemediationEvidence(db).map((e) => [e.id, e]));
  const steps = stored
    .map((s) => ({ spec: s.spec as unknown as PlannedStep, specSha256: s.specSha256, custodySeq: s.custodySeq }))
    .sort((a, b) => a.spec.order - b.spec.order)
    .map(({ spec, specSha256, custodySeq }) => ({
      id: spec.id, phase: spec.phase, action: spec.action, title: spec.title, target: spec.target, findingKeys: spec.findingKeys,
      specSha256, plannedCustodySeq: custodySeq, state: stepState(itemResults(db, spec)), items: itemResults(db, spec),
    }));
  const actions = listActions(db).map((a) => ({
    custodySeq: a.custodySeq, at: a.at, actor: a.actor, account: a.account, step: a.stepId, item: a.itemKey, outcome: a.outcome, note: a.note,
    beforeSha256: a.beforeSha256, afterSha256: a.afterSha256,
    evidence: a.evidence.map((ref) => {
      const e = evidence.get(ref.id);
      return { id: ref.id, sha256: ref.sha256, kind: e?.kind ?? null, method: e?.method ?? null, url: e?.url ?? null, status: e?.status ?? null, requestBody: e?.requestBody ?? null };
    }),
  }));
  return [{ name: ACTIONS_FILE, content: `${JSON.stringify({ format: ACTIONS_FORMAT, steps, actions }, null, 2)}\n` }];
}
