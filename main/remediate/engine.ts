// Main process / CLI: executes a remediation step item by item — live read (evidence) → compare with what the step was
// planned on → dry run, or the exact writes through the guard → read again → verified only when the tenant shows it.
// Every outcome is a custody entry; a re-run does only what is left.
import type { Database } from 'better-sqlite3';
import { insertRemediationEvidence, latestActions, listRemediationEvidence, recordAction, wroteBefore, type RemediationEvidenceKind } from '../../db/queries/remediation';
import { GuardRefusedError, type WriteGuard } from './guard';
import { stepState, type Expectation, type ItemResult, type Outcome, type PlannedStep, type RemediationRequest, type StepItem } from './model';
import { redactText, resolvePlaceholders, type Resolution } from './secrets';
import type { TenantAnswer, TenantClient } from './tenant';

export interface EngineDeps {
  db: Database;
  client: TenantClient;
  guard: WriteGuard;
  /** Who is signed in for remediation (UPN or app id): recorded with every action. */
  account: string;
  /** The examiner, as custody names them. */
  actor: string;
  clock: () => Date;
  /** Object ids, app ids and UPNs never touched (the remediating account, break-glass accounts, Peregrine's apps), lower case. */
  protectedIds: ReadonlySet<string>;
  /** Ids of the objects the findings still standing name (subjects and objects), lower case. */
  standingIds: ReadonlySet<string>;
  /** Told after each outcome is recorded (the workbench keeps its findings: an outcome does not change them). */
  onRecorded?: () => void;
  /** Told a generated temporary password, once, to show it; it is never stored or logged. */
  onSecret?: (info: { stepId: string; itemKey: string; target: StepItem['target']; password: string }) => void;
}

export type RunMode = 'dry-run' | 'write';

export interface ItemRun {
  stepId: string;
  itemKey: string;
  target: StepItem['target'];
  outcome: Outcome;
  note: string;
  /** True when this run left the item as it was (already verified, absent or skipped earlier). */
  unchanged: boolean;
}

/** A step that cannot run now: another step must be verified first, or the step is not the recorded plan. */
export class StepBlockedError extends Error {}

const DONE_BEFORE = new Set<Outcome>(['verified', 'already-absent', 'skipped']);

/** The value at a dotted path (`a.b.0.c`) of a JSON value, or undefined. */
export function valueAt(value: unknown, path: string): unknown {
  let v: unknown = value;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

/** The object a read answered: Graph's body, an Exchange cmdlet's first result; null when absent. */
export interface LiveRead {
  status: number;
  absent: boolean;
  object: unknown;
}

/** A 404, or an Exchange error that says the object "couldn't be found" (ManagementObjectNotFoundException). */
export function notFound(answer: { status: number; body: Buffer }): boolean {
  return answer.status === 404 || (answer.status >= 400 && /couldn't be found|ManagementObjectNotFoundException|Request_ResourceNotFound/.test(answer.body.toString('utf8')));
}

export function readOf(req: RemediationRequest, answer: { status: number; body: Buffer }): LiveRead {
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString('utf8') || 'null');
  } catch {
    json = null;
  }
  const absent = notFound(answer);
  if (req.api === 'exchange' && answer.status === 200) {
    const value = (json as { value?: unknown[] } | null)?.value;
    return { status: 200, absent: Array.isArray(value) && value.length === 0, object: Array.isArray(value) ? (value[0] ?? null) : null };
  }
  return { status: answer.status, absent, object: answer.status < 300 ? json : null };
}

/** Whether the live object meets the expectation. `writtenAt`: when the write was answered (notBefore). */
export function meets(expect: Expectation, read: LiveRead, writtenAt: number | null): boolean {
  if ('absent' in expect) return read.absent;
  if (read.absent || read.status >= 300) return false;
  if ('equals' in expect) return Object.entries(expect.equals).every(([path, value]) => same(valueAt(read.object, path), value));
  if ('listLacks' in expect) {
    const list = valueAt(read.object, expect.listLacks.path);
    if (list === undefined || list === null) return true;
    if (!Array.isArray(list)) return false;
    return !list.some((el) => lower(valueAt(el, expect.listLacks.field)) === lower(expect.listLacks.value));
  }
  const at = Date.parse(String(valueAt(read.object, expect.notBefore.path) ?? ''));
  // The service's timestamps are in whole seconds: the write's own second counts.
  return writtenAt !== null && Number.isFinite(at) && at >= Math.floor(writtenAt / 1000) * 1000;
}

/** Fields of `plannedOn` the live object no longer shows, as "field: planned X, now Y". */
export function changedFields(plannedOn: Record<string, unknown>, object: unknown): string[] {
  return Object.entries(plannedOn)
    .filter(([path, value]) => !same(lower(valueAt(object, path)), lower(value)))
    .map(([path, value]) => `${path}: planned ${JSON.stringify(value)}, now ${JSON.stringify(valueAt(object, path) ?? null)}`);
}

function errorText(answer: { status: number; body: Buffer }): string {
  const text = answer.body.toString('utf8');
  try {
    const json = JSON.parse(text) as { error?: { code?: string; message?: string; details?: { message?: string }[] } };
    if (json.error) return `HTTP ${answer.status} ${json.error.code ?? ''}: ${json.error.message ?? json.error.details?.[0]?.message ?? ''}`.trim();
  } catch {
    // not JSON
  }
  return `HTTP ${answer.status}${text ? `: ${text.slice(0, 300)}` : ''}`;
}

function forbidden(step: PlannedStep, answer: { status: number; body: Buffer }): string {
  const needs = [...step.needs.graphScopes, ...step.needs.exchangeRoles].join(', ') || 'none listed';
  const roles = step.needs.directoryRoles.join(', ') || 'none';
  return `${errorText(answer)}. The remediation sign-in lacks a permission or role this step needs: scopes ${needs}; directory role ${roles}. Sign in with an account holding them (or consent the scopes) and run the step again.`;
}

/** Item states from the latest recorded outcome of each item (null when none yet). */
export function itemResults(db: Database, step: PlannedStep): ItemResult[] {
  const latest = latestActions(db, step.id);
  // A step that sends nothing (the re-collection) is proved as a whole: its results are whatever was recorded for it.
  if (step.items.length === 0) {
    return [...latest.values()].map((a) => ({ key: a.itemKey, outcome: a.outcome, at: a.at, note: a.note, beforeSha256: a.beforeSha256, afterSha256: a.afterSha256 }));
  }
  return step.items.map((item) => {
    const a = latest.get(item.key);
    return { key: item.key, outcome: a?.outcome ?? null, at: a?.at ?? null, note: a?.note ?? '', beforeSha256: a?.beforeSha256 ?? null, afterSha256: a?.afterSha256 ?? null };
  });
}

/** A value an earlier step recorded: the newest write answer (else read) of that step's item holding the field. */
export function refLookup(db: Database, ref: string): string | null {
  const [stepId, itemKey, field] = ref.split('/');
  if (!stepId || !itemKey || !field) return null;
  const rows = listRemediationEvidence(db, stepId).filter((e) => e.itemKey === itemKey && e.status < 300).reverse();
  for (const kind of ['write', 'read-after'] as const) {
    for (const row of rows.filter((r) => r.kind === kind)) {
      try {
        const v = valueAt(JSON.parse(row.body.toString('utf8')) as unknown, field);
        if (typeof v === 'string' || typeof v === 'number') return String(v);
      } catch {
        // not JSON
      }
    }
  }
  return null;
}

export function createEngine(deps: EngineDeps) {
  const { db } = deps;

  /** Refuses a step whose `after` steps are not verified or done yet. */
  function checkOrder(step: PlannedStep, steps: ReadonlyMap<string, PlannedStep>): void {
    for (const id of step.after) {
      const before = steps.get(id);
      const state = before ? stepState(itemResults(db, before)) : 'planned';
      if (state !== 'verified' && state !== 'done') throw new StepBlockedError(`${step.id} runs after ${id}, which is ${state}: run that step first.`);
    }
  }

  async function runStep(step: PlannedStep, mode: RunMode, plan: ReadonlyMap<string, PlannedStep> = new Map(), opts: { confirmedSeparately?: boolean } = {}): Promise<ItemRun[]> {
    if (mode === 'write') checkOrder(step, plan);
    if (mode === 'write' && step.confirmSeparately && !opts.confirmedSeparately) throw new StepBlockedError(separateConfirmation(step));
    const latest = latestActions(db, step.id);
    const runs: ItemRun[] = [];
    for (const item of step.items) {
      const previous = latest.get(item.key)?.outcome ?? null;
      if (previous && DONE_BEFORE.has(previous)) {
        runs.push({ stepId: step.id, itemKey: item.key, target: item.target, outcome: previous, note: latest.get(item.key)!.note, unchanged: true });
        continue;
      }
      runs.push(await runItem(step, item, mode, previous));
    }
    return runs;
  }

  function refusal(step: PlannedStep, item: StepItem): string | null {
    const ids = [step.target.id, item.target.id, step.target.name, item.target.name].filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase());
    const hit = ids.find((id) => deps.protectedIds.has(id));
    if (hit) return `Never touched: ${hit} is the remediating account, a break-glass account or one of Peregrine's own apps.`;
    if (!deps.standingIds.has(step.target.id.toLowerCase()) && !deps.standingIds.has(item.target.id.toLowerCase())) {
      return `Not touched: no finding still standing names ${step.target.name ?? step.target.id} (a dismissed finding, or the plan is older than the findings).`;
    }
    return null;
  }

  async function runItem(step: PlannedStep, item: StepItem, mode: RunMode, previous: Outcome | null): Promise<ItemRun> {
    const evidence: { id: number; sha256: string }[] = [];
    const secrets: string[] = [];
    const resolution: Resolution = { password: null };
    let before: string | null = null;
    let after: string | null = null;
    const finish = (outcome: Outcome, note: string): ItemRun => {
      recordAction(db, {
        stepId: step.id, itemKey: item.key, outcome, note: redactText(note, secrets), account: deps.account, beforeSha256: before, afterSha256: after,
        evidence, at: deps.clock().toISOString(), actor: deps.actor,
      });
      deps.onRecorded?.();
      return { stepId: step.id, itemKey: item.key, target: item.target, outcome, note: redactText(note, secrets), unchanged: false };
    };
    const store = (kind: RemediationEvidenceKind, answer: TenantAnswer): string => {
      const row = insertRemediationEvidence(db, {
        stepId: step.id, itemKey: item.key, kind, method: answer.request.method, url: answer.request.url,
        requestBody: answer.request.body === undefined ? null : redactText(JSON.stringify(answer.request.body), secrets),
        status: answer.status, collectedAt: deps.clock().toISOString(), body: Buffer.from(redactText(answer.body.toString('utf8'), secrets), 'utf8'),
      });
      evidence.push(row);
      return row.sha256;
    };
    /** Sends one request; a connection lost or a guard refusal ends the item as failed (returned as a string). */
    const send = async (req: RemediationRequest, kind: RemediationEvidenceKind): Promise<TenantAnswer | string> => {
      try {
        return await deps.client.send(req);
      } catch (err) {
        if (err instanceof GuardRefusedError) return err.message;
        const what = req.api === 'graph' ? `${req.method} ${req.path}` : req.cmdlet;
        // A write sent without an answer is evidence too (status 0): the tenant may have applied it.
        if (kind === 'write') store('write', { request: deps.client.concrete(req), status: 0, headers: {}, body: Buffer.from(JSON.stringify({ error: (err as Error).message })) });
        return `The connection was lost during ${what} (${(err as Error).message}): the change may or may not have reached the tenant. Run the step again: it reads the object first and does only what is left.`;
      }
    };

    const refused = refusal(step, item);
    if (refused) return finish('skipped', refused);

    deps.guard.clear();
    const first = await send(item.read, 'read-before');
    if (typeof first === 'string') return finish('failed', first);
    before = store('read-before', first);
    const live = readOf(item.read, first);
    if (first.status === 403) return finish('failed', forbidden(step, first));
    // An earlier run wrote it (or sent it and lost the answer): this read is its proof.
    const earlier = previous === 'done' || wroteBefore(db, step.id, item.key);
    const provenEarlier = 'The tenant shows the change an earlier run of this step sent; nothing more was written.';
    if (live.absent) {
      return 'absent' in item.expect && earlier
        ? finish('verified', provenEarlier)
        : finish('already-absent', `${item.target.name ?? item.target.id} is no longer in the tenant (${errorText(first)}): nothing to do.`);
    }
    if (first.status >= 300) return finish('failed', `The live read failed: ${errorText(first)}.`);
    if (meets(item.expect, live, null) && !('notBefore' in item.expect)) {
      return earlier ? finish('verified', provenEarlier) : finish('already-absent', 'The tenant already shows this change: nothing was written.');
    }
    const changed = changedFields(item.plannedOn, live.object);
    if (changed.length) return finish('changed', `The object changed since the collection the step was planned on: ${changed.join('; ')}. Nothing was written; collect again and re-plan.`);

    if (mode === 'dry-run') {
      const list = item.writes.map((w) => (w.api === 'graph' ? `${w.method} ${w.path}` : w.cmdlet)).join(', ');
      return finish('dry-run', `Dry run: the object matches the plan; would send ${list}. Nothing was written.`);
    }
    let writes: RemediationRequest[];
    try {
      writes = item.writes.map((w) => resolvePlaceholders(w, resolution, (ref) => refLookup(db, ref)));
    } catch (err) {
      return finish('failed', (err as Error).message);
    }
    if (resolution.password) secrets.push(resolution.password);

    deps.guard.admit(writes.map((w) => deps.client.concrete(w)));
    let writtenAt: number | null = null;
    let attempted = false;
    try {
      for (const write of writes) {
        attempted = true;
        const answer = await send(write, 'write');
        if (typeof answer === 'string') return finish('failed', answer);
        store('write', answer);
        if (notFound(answer)) return finish('already-absent', `${item.target.name ?? item.target.id} was already gone when written (${errorText(answer)}).`);
        if (answer.status === 403) return finish('failed', forbidden(step, answer));
        if (answer.status >= 300) return finish('failed', `${errorText(answer)}. Nothing more was sent for this item.`);
        const date = Date.parse(answer.headers.date ?? '');
        writtenAt = Number.isFinite(date) ? date : deps.clock().getTime();
      }
    } finally {
      deps.guard.clear();
      // Shown once whatever the answer: a password sent over a connection that was lost may have been set.
      if (attempted && resolution.password) deps.onSecret?.({ stepId: step.id, itemKey: item.key, target: item.target, password: resolution.password });
    }

    const proof = await send(item.read, 'read-after');
    if (typeof proof === 'string') return finish('done', `Written; the read that proves it failed (${proof}). Run the step again to verify.`);
    after = store('read-after', proof);
    return meets(item.expect, readOf(item.read, proof), writtenAt)
      ? finish('verified', 'Written, and the tenant shows the change.')
      : finish('done', 'Written, but the tenant does not show the change: replication can take minutes, or something put it back (a new collection shows who). Run the step again to verify.');
  }

  /**
   * Runs steps in checklist order; a step blocked by its order is reported and the others still run. A step that
   * needs its own confirmation is never run here, whatever the mode: it is reported as blocked, saying how to run it.
   */
  async function runSteps(steps: readonly PlannedStep[], mode: RunMode, plan: ReadonlyMap<string, PlannedStep>): Promise<{ step: PlannedStep; items: ItemRun[]; blocked: string | null }[]> {
    const results: { step: PlannedStep; items: ItemRun[]; blocked: string | null }[] = [];
    for (const step of steps) {
      if (step.confirmSeparately && mode === 'write') {
        results.push({ step, items: [], blocked: separateConfirmation(step) });
        continue;
      }
      try {
        results.push({ step, items: await runStep(step, mode, plan), blocked: null });
      } catch (err) {
        if (!(err instanceof StepBlockedError)) throw err;
        results.push({ step, items: [], blocked: err.message });
      }
    }
    return results;
  }

  /**
   * Verifies one step again, live: every item a run (or the client, outside Peregrine) changed is read again, stored
   * as evidence and compared with what the step expects. Still showing: `verified`; no longer showing (put back,
   * re-created): `failed`, saying so. Items never written are left as they are. Nothing is written to the tenant.
   */
  async function verifyStep(step: PlannedStep, plan: ReadonlyMap<string, PlannedStep> = new Map()): Promise<ItemRun[]> {
    const latest = latestActions(db, step.id);
    const runs: ItemRun[] = [];
    for (const item of step.items) {
      const previous = latest.get(item.key)?.outcome ?? null;
      if (!previous || !CHANGED.has(previous)) continue;
      // A step after this one changed the same object further (the policy created report-only, then enforced): that
      // step's expectation is the one the tenant must show now, and it is verified there.
      const later = [...plan.values()].find((s) => s.after.includes(step.id) && s.items.some((i) => i.target.kind === item.target.kind && i.target.id === item.target.id && CHANGED.has(latestActions(db, s.id).get(i.key)?.outcome ?? 'dry-run')));
      if (later) {
        runs.push({ stepId: step.id, itemKey: item.key, target: item.target, outcome: previous, note: `Carried on by ${later.id}, which changed the same object after this step: verified there.`, unchanged: true });
        continue;
      }
      runs.push(await verifyItem(step, item, previous));
    }
    return runs;
  }

  async function verifyItem(step: PlannedStep, item: StepItem, previous: Outcome): Promise<ItemRun> {
    const evidence: { id: number; sha256: string }[] = [];
    let after: string | null = null;
    const finish = (outcome: Outcome, note: string): ItemRun => {
      recordAction(db, { stepId: step.id, itemKey: item.key, outcome, note, account: deps.account, beforeSha256: null, afterSha256: after, evidence, at: deps.clock().toISOString(), actor: deps.actor });
      deps.onRecorded?.();
      return { stepId: step.id, itemKey: item.key, target: item.target, outcome, note, unchanged: false };
    };
    deps.guard.clear();
    let answer: TenantAnswer;
    try {
      answer = await deps.client.send(item.read);
    } catch (err) {
      const what = item.read.api === 'graph' ? `${item.read.method} ${item.read.path}` : item.read.cmdlet;
      return { stepId: step.id, itemKey: item.key, target: item.target, outcome: previous, note: `Not verified: the read ${what} failed (${(err as Error).message}); the earlier result stands. Verify again.`, unchanged: true };
    }
    const row = insertRemediationEvidence(db, {
      stepId: step.id, itemKey: item.key, kind: 'read-after', method: answer.request.method, url: answer.request.url,
      requestBody: answer.request.body === undefined ? null : JSON.stringify(answer.request.body), status: answer.status, collectedAt: deps.clock().toISOString(), body: answer.body,
    });
    evidence.push(row);
    after = row.sha256;
    const live = readOf(item.read, answer);
    if (answer.status === 403) return finish('failed', `Could not verify: ${forbidden(step, answer)}`);
    if (!live.absent && answer.status >= 300) {
      return { stepId: step.id, itemKey: item.key, target: item.target, outcome: previous, note: `Not verified: the read failed (${errorText(answer)}); the earlier result stands. Verify again.`, unchanged: true };
    }
    // Gone altogether (the application deleted after its secrets were removed): what this step took away went with it.
    if (live.absent && ('listLacks' in item.expect || 'equals' in item.expect)) {
      return finish('verified', `${item.target.name ?? item.target.id} is no longer in the tenant (deleted by a later step, or since): what this step removed cannot come back with it.`);
    }
    // A change made outside Peregrine has no write of ours to measure from: it must come after the collection the step
    // was planned on.
    const since = firstWriteAt(db, step.id, item.key) ?? (previous === 'done-outside' ? plannedAt(db, step) : null);
    if (meets(item.expect, live, since)) {
      return finish('verified', previous === 'done-outside'
        ? 'Verified live: the tenant shows the change made outside Peregrine.'
        : 'Verified again live: the tenant still shows the change.');
    }
    if (previous === 'done-outside') return finish('failed', `The tenant does not show the change recorded as done outside Peregrine for ${item.target.name ?? item.target.id}: run the step, or ask whoever made it.`);
    return finish('failed', `The tenant no longer shows this change: ${item.target.name ?? item.target.id} was put back or re-created since it was ${previous}. A new collection shows who did it; run the step again.`);
  }

  return { runStep, runSteps, verifyStep };
}

/** Outcomes that say the tenant was changed (or already showed the change): what "verify the checklist" reads again. */
export const CHANGED: ReadonlySet<Outcome> = new Set<Outcome>(['done', 'verified', 'already-absent', 'done-outside']);

/**
 * The moment a `notBefore` expectation is measured from on a later verify: the live read taken just before the item's
 * first successful write (the tenant had not changed then; its change is the write's, whatever the clocks' seconds).
 */
function firstWriteAt(db: Database, stepId: string, itemKey: string): number | null {
  const rows = listRemediationEvidence(db, stepId).filter((e) => e.itemKey === itemKey);
  const write = rows.findIndex((e) => e.kind === 'write' && e.status > 0 && e.status < 300);
  if (write < 0) return null;
  const read = rows.slice(0, write).reverse().find((e) => e.kind === 'read-before');
  return Date.parse((read ?? rows[write]!).collectedAt);
}

/** When the collection a step was planned on started. */
function plannedAt(db: Database, step: PlannedStep): number | null {
  const at = db.prepare('SELECT started_at FROM collection_run WHERE run_id = ?').pluck().get(step.source.runId) as string | undefined;
  return at ? Date.parse(at) : null;
}

/** Why a step is not run with the others, and how to run it on its own. */
export function separateConfirmation(step: PlannedStep): string {
  return `Held back: every finding behind "${step.title}" is medium or lower (a lead to check, such as forwarding a person may have set up themselves). Check it with the owner, then run it on its own: run ${step.id} --yes --confirm-separately (in the Checklist, tick its confirmation).`;
}
