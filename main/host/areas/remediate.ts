// Main process: the Checklist screen's handlers — the plan with each step's state, the remediation sign-in (separate
// from collection's, with write scopes, asked for only here), running a step in the background (a dry run unless the
// consultant asks to write, destructive writes only with the object's name typed), and marking steps done or skipped.
import type { Database } from 'better-sqlite3';
import type {
  ChecklistItemView,
  ChecklistProgress,
  ChecklistStepView,
  Handlers,
  RemediationRunView,
  RemediationSignInView,
} from '../../../preload/contract';
import type { TenantEnvironment } from '../../auth/environment';
import { createTenantSession, exchangeAudience } from '../../auth/device-code';
import { createGraphReader } from '../../graph/reader';
import { readOnlyTransport } from '../../http/read-only';
import { directoryRolesOf } from '../../collect/preflight';
import { latestActions, latestSteps, listActions, recordAction, recordPlannedSteps } from '../../../db/queries/remediation';
import { PHASES, stepState, type PlannedStep, type RemediationRequest } from '../../remediate/model';
import { recordedEngagement } from '../../../db/queries/engagement';
import { engagementAppIds } from '../../detect/engine';
import { planRemediation } from '../../remediate/plan';
import { createWriteGuard } from '../../remediate/guard';
import { createTenantClient } from '../../remediate/tenant';
import { CHANGED, createEngine, itemResults, separateConfirmation, StepBlockedError } from '../../remediate/engine';
import { exchangeRoleText, needsExchange, remediationPreflight, remediationScopes } from '../../remediate/sign-in';
import { closeTheLoop } from '../../remediate/standing';
import { protectedIdsOf } from '../../remediate/protected';
import { HandlerError } from '../dispatch';
import { followSignIn, signedOutSlot, signOutSlots, type SignInSlot } from './sign-in-slot';
import type { WorkbenchContext } from './context';

interface ActiveRun {
  view: RemediationRunView;
  done: Promise<void>;
}

/** Outcomes a mark-done or a skip leaves alone: the tenant already shows the item, or it was skipped before. */
const SETTLED = new Set(['verified', 'already-absent']);

function requestView(r: RemediationRequest): { api: 'graph' | 'exchange'; line: string; body: string | null } {
  if (r.api === 'graph') return { api: 'graph', line: `${r.method} ${r.path}`, body: r.body === undefined ? null : JSON.stringify(r.body, null, 2) };
  return { api: 'exchange', line: r.cmdlet, body: Object.keys(r.parameters).length ? JSON.stringify(r.parameters, null, 2) : null };
}

export function progressOf(steps: readonly { phase: PlannedStep['phase']; state: ChecklistStepView['state'] }[]): ChecklistProgress {
  return {
    total: steps.length,
    verified: steps.filter((s) => s.state === 'verified').length,
    phases: PHASES.map((phase) => {
      const of = steps.filter((s) => s.phase === phase);
      return {
        phase,
        total: of.length,
        verified: of.filter((s) => s.state === 'verified').length,
        settled: of.filter((s) => s.state === 'done' || s.state === 'done-outside' || s.state === 'skipped').length,
        failed: of.filter((s) => s.state === 'failed').length,
      };
    }),
  };
}

export function remediateArea(ctx: WorkbenchContext) {
  const { clock } = ctx;
  const graphSlot = signedOutSlot();
  const exchangeSlot = signedOutSlot();
  /** The signed-in account's directory roles (read once per sign-in); undefined: not read yet. */
  let roles: string[] | null | undefined;
  let active: ActiveRun | null = null;
  const runs = new Map<string, RemediationRunView>();
  ctx.addBusyCheck(() => (active ? 'remediation' : null));

  const env = (): TenantEnvironment => ctx.requireEnvironment();
  /** The tenant now, for leaving Peregrine's own apps out of the plan; a Settings file that cannot be read names none. */
  const currentEnvironment = (): TenantEnvironment | null => {
    try {
      return ctx.environment();
    } catch {
      return null;
    }
  };
  const ownApps = (e: TenantEnvironment | null): string[] => (e ? [e.clientId, e.remediationClientId, ...e.engagementAppIds].filter((x): x is string => !!x) : []);
  const graphAccount = () => (graphSlot.session?.account() ? graphSlot.session.account() : null);

  /**
   * The plan as it stands: the remediating account, the break-glass accounts and own apps the case records (Settings →
   * Engagement) and Peregrine's own apps left out, as the engine also refuses them.
   */
  function plan(db: Database): PlannedStep[] {
    const account = graphAccount();
    const facts = recordedEngagement(db);
    const accounts = [...(account ? [account.username, ...(account.objectId ? [account.objectId] : [])] : []), ...facts.breakGlass];
    return planRemediation({ db, report: ctx.detectionNow(), exclude: { accounts, appIds: [...ownApps(currentEnvironment()), ...engagementAppIds(db)] } });
  }

  /** The plan, recorded in the case's custody when a step is new or changed (not while a collection writes to it). */
  function recordedPlan(): { db: Database; steps: PlannedStep[] } {
    const { db, summary } = ctx.requireCase();
    const steps = plan(db);
    if (!ctx.busy()) {
      if (recordPlannedSteps(db, steps, { at: clock().toISOString(), actor: summary.examiner }).length) ctx.keepDetection();
    }
    return { db, steps };
  }

  function findStep(steps: PlannedStep[], stepId: string): PlannedStep {
    const step = steps.find((s) => s.id === stepId);
    if (!step) throw new HandlerError('unknown_step', `There is no step "${stepId}" in this case's checklist: the findings it came from may be gone or dismissed. Reload the checklist.`);
    return step;
  }

  async function signInView(steps?: PlannedStep[]): Promise<RemediationSignInView> {
    const account = graphAccount();
    if (account && roles === undefined && graphSlot.session) {
      const session = graphSlot.session;
      const reader = createGraphReader({
        baseUrl: session.environment.graphBaseUrl,
        transport: readOnlyTransport(ctx.transportFor(session.environment)),
        getToken: (o) => session.getAccessToken(remediationScopes(session.environment, []), o),
        maxRetries: 1,
      });
      roles = await directoryRolesOf(reader, account.objectId);
    }
    const pending = steps ?? (ctx.openCase() ? plan(ctx.requireCase().db) : []);
    return { graph: graphSlot.state, exchange: exchangeSlot.state, needsExchange: needsExchange(pending), roles: account ? (roles ?? null) : null };
  }

  function stepView(db: Database, step: PlannedStep, findingTitles: Map<string, Omit<ChecklistStepView['findings'][number], 'key'>>): ChecklistStepView {
    const results = itemResults(db, step);
    const account = graphAccount();
    const pre = account ? remediationPreflight([step], account.scopes, roles ?? null)[0]! : null;
    const items: ChecklistItemView[] = step.items.map((item, i) => ({
      key: item.key,
      target: item.target,
      snapshot: JSON.stringify(item.plannedOn, null, 2),
      read: requestView(item.read),
      writes: item.writes.map(requestView),
      powershell: item.powershell,
      undo: item.undo,
      outcome: results[i]!.outcome,
      at: results[i]!.at,
      note: results[i]!.note,
      beforeSha256: results[i]!.beforeSha256,
      afterSha256: results[i]!.afterSha256,
    }));
    return {
      id: step.id,
      phase: step.phase,
      order: step.order,
      action: step.action,
      title: step.title,
      why: step.why,
      findings: step.findingKeys.map((key) => ({ key, ruleId: findingTitles.get(key)?.ruleId ?? '', title: findingTitles.get(key)?.title ?? key, severity: findingTitles.get(key)?.severity ?? 'info' })),
      target: step.target,
      confirmName: step.target.name ?? step.target.id,
      destructive: step.destructive,
      risk: step.risk,
      needs: step.needs,
      after: step.after,
      manualOnly: step.items.every((i) => i.writes.length === 0),
      usesExchange: needsExchange([step]),
      source: step.source,
      state: stepState(results),
      items,
      trail: listActions(db, step.id).map((a) => ({
        itemKey: a.itemKey, outcome: a.outcome, note: a.note, at: a.at, actor: a.actor, account: a.account, beforeSha256: a.beforeSha256, afterSha256: a.afterSha256, custodySeq: a.custodySeq,
      })),
      preflight: pre ? { missingScopes: pre.missingScopes, missingRoles: pre.missingRoles, missingExchangeRoles: pre.missingExchangeRoles.map(exchangeRoleText) } : null,
      confirmSeparately: step.confirmSeparately === true,
      text: step.text ?? null,
    };
  }

  function titles(): Map<string, Omit<ChecklistStepView['findings'][number], 'key'>> {
    return new Map(ctx.detectionNow().findings.map((f) => [f.key, { ruleId: f.ruleId, title: f.title, severity: f.severity }]));
  }

  /**
   * Starts a delegated remediation sign-in: device code (answers with the code) or browser (answers with the page).
   * Write scopes live only in memory: no token cache for remediation, so signing out (or closing Peregrine) ends them.
   */
  async function startSignIn(slot: SignInSlot, service: 'graph' | 'exchange', method: 'browser' | 'device-code', steps: PlannedStep[]): Promise<void> {
    const e = env();
    if (active) throw new HandlerError('busy', 'A remediation step is running with the current sign-in; wait for it to finish.');
    slot.session?.cancelSignIn();
    await slot.session?.signOut();
    const audience = service === 'graph' ? { clientId: e.remediationClientId ?? e.clientId, scopes: remediationScopes(e, steps) } : exchangeAudience(e);
    if (service === 'graph') roles = undefined;
    await followSignIn(slot, createTenantSession(e, ctx.transportFor(e), clock, audience), method, ctx.deps.openBrowser, 'Remediation sign-in failed');
  }

  async function signOutAll(): Promise<void> {
    await signOutSlots([graphSlot, exchangeSlot]);
    roles = undefined;
  }
  // A remediation sign-in is for the tenant it was made in: naming another tenant ends it.
  ctx.onEnvironmentChanged(() => {
    void signOutAll();
  });

  /** Records one outcome for every item not already settled: done outside Peregrine, or skipped. */
  function recordManual(stepId: string, outcome: 'done-outside' | 'skipped', note: string): ChecklistStepView {
    const { db, summary } = ctx.requireCase();
    if (active?.view.stepId === stepId) throw new HandlerError('busy', 'This step is running; wait for it to finish.');
    const { steps } = recordedPlan();
    const step = findStep(steps, stepId);
    const latest = latestActions(db, step.id);
    const open = step.items.filter((i) => !SETTLED.has(latest.get(i.key)?.outcome ?? '') && latest.get(i.key)?.outcome !== outcome);
    if (open.length === 0) throw new HandlerError('nothing_left', `Every item of "${step.title}" is already ${outcome === 'skipped' ? 'skipped' : 'verified or absent'}: nothing was recorded.`);
    const at = clock().toISOString();
    for (const item of open) {
      recordAction(db, { stepId: step.id, itemKey: item.key, outcome, note, account: graphAccount()?.username ?? null, beforeSha256: null, afterSha256: null, evidence: [], at, actor: summary.examiner });
    }
    ctx.keepDetection();
    return stepView(db, step, titles());
  }

  /** The remediation account, once nothing else is running and the remediation sign-in is there. */
  function ready(): NonNullable<ReturnType<typeof graphAccount>> {
    if (active) throw new HandlerError('busy', `${active.view.mode === 'verify' ? 'The checklist is being verified' : `The step ${active.view.stepId} is running`}; wait for it to finish.`);
    if (ctx.busy()) throw new HandlerError('busy', 'A collection is writing to this case; wait for it to finish before remediating.');
    const account = graphAccount();
    if (!graphSlot.session || !account) throw new HandlerError('auth_required', 'Sign in for remediation first (Checklist → Sign in for remediation). The collection sign-in reads only and is never used to change the tenant.');
    return account;
  }

  /** The guarded engine for `using` steps, as the signed-in remediation account; passwords go to the run's view. */
  function engineFor(db: Database, steps: PlannedStep[], using: PlannedStep[], view: RemediationRunView) {
    const { summary } = ctx.requireCase();
    const e = env();
    const session = graphSlot.session!;
    const account = graphAccount()!;
    const exo = needsExchange(using) ? exchangeSlot.session : null;
    const transport = ctx.transportFor(e);
    const guard = createWriteGuard(transport, [new URL(e.graphBaseUrl).hostname, ...e.exchangeHosts.filter((h) => !h.startsWith('*.'))]);
    const scopes = remediationScopes(e, steps);
    const client = createTenantClient({
      transport: guard.transport,
      graphBaseUrl: e.graphBaseUrl,
      graphToken: (o) => session.getAccessToken(scopes, o),
      exchange: exo?.account()
        ? {
            invokeUrl: new URL(`/adminapi/beta/${encodeURIComponent(account.tenantId)}/InvokeCommand`, e.exchangeBaseUrl).toString(),
            token: (o) => exo.getAccessToken(e.exchangeScopes, o),
            anchorMailbox: `UPN:${exo.account()!.username}`,
          }
        : undefined,
    });
    const standing = ctx.detectionNow().findings.filter((f) => f.triage.state !== 'false_positive').flatMap((f) => [f.subject.id, ...f.objects.map((o) => o.id)]);
    return createEngine({
      db, client, guard, account: account.username, actor: summary.examiner, clock,
      protectedIds: protectedIdsOf(db, [account.username, account.objectId], ownApps(e)),
      standingIds: new Set(standing.map((s) => s.toLowerCase())),
      // The screen polls the checklist while a run records outcomes: the findings stay as they were.
      onRecorded: () => ctx.keepDetection(),
      // Held in memory until the screen reads it once; never stored, logged or put in custody.
      onSecret: (s) => view.secrets.push({ itemKey: s.itemKey, target: s.target.name ?? s.target.id, password: s.password }),
    });
  }

  /** Runs `work` in the background as the active run; the screen polls runStatus until it is no longer running. */
  function start(view: RemediationRunView, work: () => Promise<void>): RemediationRunView {
    runs.set(view.runId, view);
    const done = work()
      .then(() => {
        view.state = 'finished';
      })
      .catch((err: Error) => {
        view.state = err instanceof StepBlockedError ? 'blocked' : 'failed';
        view.message = err.message;
      })
      .finally(() => {
        view.finishedAt = clock().toISOString();
        active = null;
        ctx.keepDetection();
      });
    active = { view, done };
    return { ...view, secrets: [] };
  }

  const handlers: Handlers['remediate'] = {
    checklist: async () => {
      await ctx.detection(); // computed off this thread; the plan below reads it
      const { db, steps } = recordedPlan();
      const t = titles();
      const views = steps.map((s) => stepView(db, s, t));
      return { steps: views, progress: progressOf(views), runId: (await ctx.detection()).runId ?? null, signIn: await signInView(steps), running: active?.view ?? null };
    },
    progress: async () => {
      await ctx.detection(); // computed off this thread; the plan below reads it
      const { db } = ctx.requireCase();
      const steps = plan(db).map((s) => ({ step: s, phase: s.phase, state: stepState(itemResults(db, s)) }));
      return {
        ...progressOf(steps),
        links: steps.flatMap(({ step, state }) => step.findingKeys.map((findingKey) => ({ findingKey, stepId: step.id, title: step.title, state }))),
      };
    },
    signIn: async ({ service, method }) => {
      const { db } = ctx.requireCase();
      const steps = plan(db);
      if (service === 'exchange' && !graphAccount()) throw new HandlerError('auth_required', 'Sign in to Microsoft Graph for remediation first; Exchange Online is signed in as the same account.');
      await startSignIn(service === 'graph' ? graphSlot : exchangeSlot, service, method ?? 'device-code', steps);
      return signInView(steps);
    },
    signInStatus: async () => {
      const view = await signInView();
      const g = graphAccount();
      const x = exchangeSlot.session?.account();
      if (g && x && g.username.toLowerCase() !== x.username.toLowerCase()) {
        await signOutSlots([exchangeSlot]);
        exchangeSlot.state = { state: 'error', message: `Exchange Online was signed in as ${x.username}, Microsoft Graph as ${g.username}: remediate as one account. Sign in to Exchange Online again as ${g.username}.` };
        return { ...view, exchange: exchangeSlot.state };
      }
      return view;
    },
    signOut: async () => {
      if (active) throw new HandlerError('busy', 'A remediation step is running with this sign-in; wait for it to finish.');
      await signOutAll();
      return signInView();
    },
    run: async ({ stepId, mode, confirmName, confirmSeparately }) => {
      await ctx.detection();
      const { db } = ctx.requireCase();
      const account = ready();
      const { steps } = recordedPlan();
      const step = findStep(steps, stepId);
      if (step.items.every((i) => i.writes.length === 0)) throw new HandlerError('no_requests', `"${step.title}" sends nothing: it is proved by a new collection (Collect, then Verify the checklist).`);
      if (mode === 'write' && step.destructive && (confirmName ?? '').trim() !== (step.target.name ?? step.target.id)) {
        throw new HandlerError('confirmation_mismatch', `"${step.title}" deletes or overwrites something: type the object's name exactly (${step.target.name ?? step.target.id}) to confirm. Nothing was sent.`);
      }
      if (mode === 'write' && step.confirmSeparately && confirmSeparately !== true) {
        throw new HandlerError('confirmation_required', `${separateConfirmation(step)} Nothing was sent.`);
      }
      if (needsExchange([step]) && !exchangeSlot.session?.account()) throw new HandlerError('auth_required', `"${step.title}" runs Exchange Online cmdlets: sign in to Exchange Online for remediation first, as ${account.username}.`);
      const view: RemediationRunView = { runId: crypto.randomUUID(), stepId: step.id, mode, state: 'running', startedAt: clock().toISOString(), finishedAt: null, items: [], message: null, secrets: [] };
      const engine = engineFor(db, steps, [step], view);
      // The engine awaits every request, so the other handlers are served between them; the screen polls runStatus.
      return start(view, async () => {
        const items = await engine.runStep(step, mode, new Map(steps.map((s) => [s.id, s])), { confirmedSeparately: confirmSeparately === true });
        view.items = items.map((i) => ({ stepId: i.stepId, itemKey: i.itemKey, target: i.target, outcome: i.outcome, note: i.note, unchanged: i.unchanged }));
      });
    },
    verify: async () => {
      await ctx.detection(); // computed off this thread; the plan below reads it
      const { db, summary } = ctx.requireCase();
      ready();
      const { steps: planned } = recordedPlan();
      const recorded = [...latestSteps(db).values()].map((s) => s.spec as unknown as PlannedStep).sort((a, b) => a.order - b.order);
      const changed = recorded.filter((s) => itemResults(db, s).some((i) => i.outcome !== null && CHANGED.has(i.outcome)));
      if (needsExchange(changed) && !exchangeSlot.session?.account()) throw new HandlerError('auth_required', 'Steps done through Exchange Online are read again with its cmdlets: sign in to Exchange Online for remediation first.');
      const view: RemediationRunView = { runId: crypto.randomUUID(), stepId: 'checklist', mode: 'verify', state: 'running', startedAt: clock().toISOString(), finishedAt: null, items: [], message: null, secrets: [] };
      const engine = engineFor(db, planned, changed, view);
      return start(view, async () => {
        for (const step of changed) {
          for (const i of await engine.verifyStep(step, new Map(recorded.map((x) => [x.id, x])))) view.items.push({ stepId: i.stepId, itemKey: i.itemKey, target: i.target, outcome: i.outcome, note: i.note, unchanged: i.unchanged });
        }
        const loop = closeTheLoop(db, recorded, { at: clock().toISOString(), actor: summary.examiner }, await ctx.detection());
        view.message = loop.text;
        view.closing = {
          recollection: loop.recollection, runId: loop.runId, closed: loop.closed.length,
          standing: loop.standing.map((x) => ({ key: x.finding.key, ruleId: x.finding.ruleId, title: x.finding.title, severity: x.finding.severity, reason: x.reason })),
        };
      });
    },
    runStatus: async ({ runId }) => {
      const view = runs.get(runId);
      if (!view) throw new HandlerError('unknown_run', 'There is no such remediation run in this session.');
      // Passwords are handed over once, then forgotten here.
      const secrets = view.secrets.splice(0);
      return { ...view, items: [...view.items], secrets };
    },
    markDone: async ({ stepId, note }) => {
      await ctx.detection();
      return recordManual(stepId, 'done-outside', note);
    },
    skip: async ({ stepId, note }) => {
      await ctx.detection();
      return recordManual(stepId, 'skipped', note);
    },
  };

  return {
    handlers,
    async close() {
      await active?.done;
      await signOutAll();
    },
  };
}

export type RemediateArea = ReturnType<typeof remediateArea>;
