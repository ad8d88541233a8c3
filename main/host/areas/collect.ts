// Main process: collections — preflight, start, resume, cancel and the runs' status; each run in a worker so the window never waits.
import type { CollectionStatus, Handlers } from '../../../preload/contract';
import { startCollectionJob, type RunningJob } from '../../jobs/collect-job';
import { collectionStatus } from '../../collect/engine';
import { getRun, latestCompletedRun, listRuns } from '../../../db/queries/runs';
import { directoryRolesOf, preflight } from '../../collect/preflight';
import { listSources } from '../../../db/queries/sources';
import { listChanges } from '../../../db/queries/changes';
import { HandlerError } from '../dispatch';
import type { WorkbenchContext } from './context';
import type { TenantAccess, TenantArea } from './tenant';

export interface CollectArea {
  handlers: Handlers['collect'];
  close(): Promise<void>;
}

export function collectArea(ctx: WorkbenchContext, tenant: TenantArea): CollectArea {
  const { deps, clock } = ctx;
  const runs = new Map<string, CollectionStatus>();
  let active: { runId: string; job: RunningJob; done: Promise<void> } | null = null;
  ctx.addBusyCheck(() => (active ? 'collection' : null));

  /** Runs a collection (new or resumed) in a worker; paging, hashing and SQLite writes never block the window. */
  function startJob(
    runId: string,
    access: TenantAccess,
    plan: { resume: boolean; anchorMailbox: string | null; window: { from: string; to: string } | null; inboxRuleMailboxes: string[] },
  ): CollectionStatus {
    const { file, summary } = ctx.requireCase();
    if (active) throw new HandlerError('busy', 'A collection is already running; wait for it to finish or cancel it.');
    const graphSession = access.graph!;
    const account = graphSession.account()!;
    const env = graphSession.environment;
    const exoSession = plan.anchorMailbox ? access.exchange : null;
    let latest: CollectionStatus = { runId, state: 'running', startedAt: clock().toISOString(), finishedAt: null, sources: [], error: null };
    runs.set(runId, latest);
    const job = startCollectionJob(
      deps.collectionWorker,
      {
        caseFile: file,
        environment: env,
        services: exoSession ? ['graph', 'exchange'] : ['graph'],
        runId,
        tenantId: account.tenantId,
        account: account.username,
        actor: summary.examiner,
        resume: plan.resume,
        pageSize: 999,
        anchorMailbox: exoSession ? plan.anchorMailbox : null,
        window: plan.window,
        inboxRuleMailboxes: plan.inboxRuleMailboxes,
        reportsLimit: deps.reportsLimit ?? null,
      },
      {
        getToken: (service, opts) =>
          service === 'exchange' && exoSession ? exoSession.getAccessToken(env.exchangeScopes, opts) : graphSession.getAccessToken(env.graphScopes, opts),
        onProgress: (s) => {
          latest = s;
          // The run's last word waits for the job to end (below): until then the case is still being written to.
          runs.set(runId, s.state === 'running' ? s : { ...s, state: 'running', finishedAt: null });
        },
      },
    );
    // The final state and the end of the job become visible together, in one step: status and runs never disagree.
    const finish = (status: CollectionStatus) => {
      if (active?.runId === runId) active = null;
      runs.set(runId, status);
    };
    const done = job.done.then(finish, (err: Error) => finish({ ...latest, state: 'failed', finishedAt: clock().toISOString(), error: err.message }));
    active = { runId, job, done };
    return latest;
  }

  const handlers: Handlers['collect'] = {
    start: async ({ logDays, exchange, inboxRuleMailboxes }) => {
      ctx.requireCase();
      const access = tenant.access();
      // The tenant the sign-in was made for (the one named now: naming another signs out).
      const env = access.graph?.environment ?? null;
      if (!env || !access.graph) throw new HandlerError('auth_required', 'Sign in to the tenant before collecting.');
      if (exchange && !access.exchange) throw new HandlerError('auth_required', 'Sign in to Exchange Online before collecting its configuration and audit log.');
      // A simulated tenant's "now" is its scenario date; a real tenant's is now.
      const until = env.simulator?.referenceTime ? new Date(env.simulator.referenceTime) : clock();
      const window = logDays > 0 ? { from: new Date(until.getTime() - logDays * 86_400_000).toISOString(), to: until.toISOString() } : null;
      if (inboxRuleMailboxes.length && !exchange) throw new HandlerError('invalid_input', 'Inbox rules are read through Exchange Online: include Exchange Online to read them.');
      if (active) throw new HandlerError('busy', 'A collection is already running; wait for it to finish or cancel it.');
      const anchor = exchange ? tenant.anchorMailbox(access) : null;
      return startJob(crypto.randomUUID(), access, { resume: false, anchorMailbox: anchor, window, inboxRuleMailboxes });
    },
    status: async ({ runId }) => {
      const { db } = ctx.requireCase();
      const status = runs.get(runId) ?? (getRun(db, runId) ? collectionStatus(db, runId) : null);
      if (!status) throw new HandlerError('unknown_run', 'There is no such collection in this case.');
      return status;
    },
    cancel: async ({ runId }) => {
      if (!active || active.runId !== runId) throw new HandlerError('not_running', 'That collection is not running.');
      active.job.cancel();
      return null;
    },
    resume: async ({ runId }) => {
      const { db } = ctx.requireCase();
      const run = getRun(db, runId);
      if (!run) throw new HandlerError('unknown_run', 'There is no such collection in this case.');
      if (run.state === 'done') throw new HandlerError('not_resumable', 'That collection finished cleanly; start a new one instead.');
      const planned = listSources(db, runId);
      const exchange = planned.some((p) => p.source.startsWith('exo.') && p.state !== 'done');
      const access = tenant.access();
      if (!access.graph) throw new HandlerError('auth_required', 'Sign in to the tenant to resume the collection.');
      if (exchange && !access.exchange) throw new HandlerError('auth_required', 'This collection still has Exchange Online sources to read: sign in to Exchange Online first.');
      if (access.graph.account()!.tenantId !== run.tenantId) throw new HandlerError('wrong_tenant', `That collection was from tenant ${run.tenantId}; you are signed in to another tenant.`);
      if (active) throw new HandlerError('busy', 'A collection is already running; wait for it to finish or cancel it.');
      const anchor = exchange ? tenant.anchorMailbox(access) : null;
      return startJob(runId, access, { resume: true, anchorMailbox: anchor, window: null, inboxRuleMailboxes: [] });
    },
    preflight: async ({ logDays, exchange }) => {
      const { db } = ctx.requireCase();
      const previousRun = latestCompletedRun(db);
      const access = tenant.access();
      const signedIn = access.graph?.account() ?? null;
      // An app has no directory roles of its own to read here (no object id): its app roles are the scopes below.
      const roles = access.graph && signedIn ? await directoryRolesOf(tenant.graphReaderOf(access.graph), signedIn.objectId) : null;
      return preflight({
        roles,
        grantedScopes: signedIn?.scopes ?? [],
        graphAccount: signedIn?.username ?? null,
        exchangeAccount: access.exchange?.account()?.username ?? null,
        logDays,
        exchange,
        previous: previousRun ? Object.fromEntries(listSources(db, previousRun.runId).map((x) => [x.source, x.records])) : null,
      });
    },
    runs: async () => {
      const { db } = ctx.requireCase();
      return listRuns(db)
        .reverse()
        .map((r) => ({
          runId: r.runId,
          // The worker records the end before it closes the case: until then the run is still running here.
          state: active?.runId === r.runId ? 'running' : r.state,
          startedAt: r.startedAt,
          finishedAt: r.finishedAt,
          environment: r.environment,
          account: r.account,
          error: r.error,
          resumable: r.state !== 'done' && active?.runId !== r.runId,
          sources: listSources(db, r.runId).map((x) => ({
            source: x.source,
            label: x.label,
            state: x.state,
            pages: x.pages,
            records: x.records,
            windowFrom: x.windowFrom,
            windowTo: x.windowTo,
            truncated: x.truncated,
            notices: x.notices,
            retries: x.retries,
            error: x.lastError,
          })),
          changes: listChanges(db, r.runId).map(({ entity, objectId, displayName, change, fields }) => ({ entity, objectId, displayName, change, fields })),
        }));
    },
  };

  return {
    handlers,
    async close() {
      active?.job.cancel();
      await active?.done;
    },
  };
}
