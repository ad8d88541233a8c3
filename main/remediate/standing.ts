// Main process / CLI: closing the loop — which high and critical findings of the newest collection the checklist has
// not closed. A finding is closed when every recorded step that acts on it is verified, or when no step acts on it and
// it names nothing the newest collection still holds (a record of what was, such as a connector removed since).
import type { Database } from 'better-sqlite3';
import { latestActions, listActions, recordAction } from '../../db/queries/remediation';
import { latestCompletedRun } from '../../db/queries/runs';
import { detect } from '../detect/engine';
import type { DetectionReport, Finding } from '../../preload/contract';
import { stepState, type PlannedStep } from './model';
import { itemResults } from './engine';

export interface StandingFinding {
  finding: Finding;
  /** Why it still stands: the steps not verified yet, or the live object no step acts on. */
  reason: string;
}

export interface Closing {
  /** High and critical findings the checklist has not closed. */
  standing: StandingFinding[];
  /** High and critical findings it has: their keys, with the verified steps that closed them (empty: nothing left to act on). */
  closed: { finding: Finding; steps: string[] }[];
}

/** Ids (object ids, app ids) of everything the collection `runId` holds, lower case. */
function liveIds(db: Database, runId: string): Set<string> {
  const ids = new Set<string>();
  for (const sql of [
    'SELECT object_id AS id FROM tenant_object WHERE run_id = ?',
    'SELECT object_id AS id FROM application WHERE run_id = ? UNION SELECT app_id FROM application WHERE run_id = ?',
    'SELECT object_id AS id FROM service_principal WHERE run_id = ? UNION SELECT app_id FROM service_principal WHERE run_id = ?',
  ]) {
    const params = sql.split('?').length - 1 === 2 ? [runId, runId] : [runId];
    for (const r of db.prepare(sql).all(...params) as { id: string }[]) ids.add(r.id.toLowerCase());
  }
  return ids;
}

/** The finding's subject and objects that the collection still holds (a subject `app:<appId>` names the app by its id). */
function liveNamed(f: Finding, live: ReadonlySet<string>): string[] {
  const named = [
    ...f.objects.filter((o) => live.has(o.id.toLowerCase())).map((o) => o.name ?? o.id),
    ...(live.has(f.subject.id.toLowerCase()) || live.has(f.subject.id.replace(/^app:/i, '').toLowerCase()) ? [f.subject.name ?? f.subject.id] : []),
  ];
  return [...new Set(named)];
}

/**
 * The high and critical findings of `report` (the newest collection), each standing or closed by the recorded
 * checklist `steps`. The re-collection step itself is left out: it names every finding and proves none of them.
 */
export function closingOf(db: Database, report: DetectionReport, steps: readonly PlannedStep[]): Closing {
  const live = report.runId ? liveIds(db, report.runId) : new Set<string>();
  const acting = steps.filter((s) => s.action !== 'case.recollect').map((s) => ({ step: s, state: stepState(itemResults(db, s)) }));
  const out: Closing = { standing: [], closed: [] };
  for (const f of report.findings) {
    if (f.triage.state === 'false_positive' || (f.severity !== 'high' && f.severity !== 'critical')) continue;
    const on = acting.filter((a) => a.step.findingKeys.includes(f.key));
    const open = on.filter((a) => a.state !== 'verified');
    if (open.length > 0) {
      out.standing.push({ finding: f, reason: `${open.map((a) => `${a.step.id} is ${a.state}`).join('; ')}` });
      continue;
    }
    const named = liveNamed(f, live);
    if (on.length === 0 && named.length > 0) {
      out.standing.push({ finding: f, reason: `no step of the checklist acts on it, and the tenant still holds ${named.slice(0, 3).join(', ')}${named.length > 3 ? ` and ${named.length - 3} more` : ''}` });
      continue;
    }
    out.closed.push({ finding: f, steps: on.map((a) => a.step.id) });
  }
  return out;
}

export interface LoopClosing extends Closing {
  /** The newest collection against the changes: made after the last of them, before it, or no collection. */
  recollection: 'after-changes' | 'before-changes' | 'none';
  runId: string | null;
  /** One sentence for the consultant. */
  text: string;
}

/**
 * The newest collection against the checklist: the high and critical findings it still shows that no verified step
 * closed, and — when that collection started after the last change — the re-collection step recorded verified (or
 * failed, saying how many stand) as a custody entry, once per change of its result. `report`: the newest collection's
 * detection, when the caller already holds it.
 */
export function closeTheLoop(db: Database, steps: readonly PlannedStep[], who: { at: string; actor: string }, report: DetectionReport = detect(db)): LoopClosing {
  const closing = closingOf(db, report, steps);
  const run = latestCompletedRun(db);
  // The last change: the last write sent (answered or not), or the last step done outside Peregrine. Re-reads are not changes.
  const lastWrite = db.prepare(`SELECT max(collected_at) FROM remediation_evidence WHERE kind = 'write'`).pluck().get() as string | null;
  const lastOutside = listActions(db).filter((a) => a.outcome === 'done-outside').map((a) => a.at).sort().at(-1) ?? null;
  const lastChange = [lastWrite, lastOutside].filter((x): x is string => x !== null).sort().at(-1) ?? null;
  if (!run) return { ...closing, recollection: 'none', runId: null, text: 'The case has no collection: collect the tenant.' };
  if (lastChange !== null && run.startedAt < lastChange) {
    return { ...closing, recollection: 'before-changes', runId: run.runId, text: `Collect again (peregrine collect <case> --env <environment file>): the newest collection (${run.startedAt}) started before the last change (${lastChange}), so it cannot show whether the findings are gone.` };
  }
  const text = closing.standing.length === 0
    ? `Collection ${run.runId} (${run.startedAt}) shows no high or critical finding the checklist has not closed${closing.closed.length ? ` (${closing.closed.length} closed by verified steps or gone from the tenant)` : ''}.`
    : `Collection ${run.runId} (${run.startedAt}) still shows ${closing.standing.length} high or critical ${closing.standing.length === 1 ? 'finding' : 'findings'} the checklist has not closed.`;
  const recollect = steps.find((s) => s.action === 'case.recollect');
  if (recollect) {
    const latest = latestActions(db, recollect.id).get('collection');
    const outcome = closing.standing.length === 0 ? 'verified' : 'failed';
    if (latest?.outcome !== outcome || latest.note !== text) {
      recordAction(db, { stepId: recollect.id, itemKey: 'collection', outcome, note: text, account: null, beforeSha256: null, afterSha256: null, evidence: [], at: who.at, actor: who.actor });
    }
  }
  return { ...closing, recollection: 'after-changes', runId: run.runId, text };
}
