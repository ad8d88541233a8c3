// Main process: the contract's handlers over one open case, one tenant session and one collection at a time; both transports share it.
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { CaseSummary, CollectionStatus, DetectionReport, Handlers, RecentCase, SignerView, SignInState } from '../../preload/contract';
import { createCase, openCase } from '../case/case';
import { verifyCaseFile } from '../case/verify';
import { closeDatabase } from '../../db/connection';
import { custodyHead, listCustody } from '../../db/queries/custody';
import type { TenantEnvironment } from '../auth/environment';
import type { ICachePlugin } from '@azure/msal-node';
import { createTenantSession, exchangeAudience, graphAudience, type SessionAudience, type TenantSession } from '../auth/device-code';
import { appOnlyAnchorMailbox, createAppOnlySession, type AppOnlySession } from '../auth/app-only';
import { createHttpTransport, type HttpTransport } from '../http/https';
import { startCollectionJob, type RunningJob, type WorkerEntry } from '../jobs/collect-job';
import { collectionStatus } from '../collect/engine';
import { getRun, latestCompletedRun, listRuns } from '../../db/queries/runs';
import { directoryRolesOf, preflight } from '../collect/preflight';
import { createGraphReader } from '../graph/reader';
import type { ReportsLimit } from '../graph/pacer';
import { readOnlyTransport } from '../http/read-only';
import { listSources } from '../../db/queries/sources';
import { listChanges } from '../../db/queries/changes';
import { applicationRows } from '../detect';
import { detect } from '../detect/engine';
import { evidenceRecord, RecordNotFoundError } from '../detect/records';
import { iocCsv, iocStix } from '../detect/iocs';
import { findingsExportFiles } from '../detect/summary';
import { recordTriage } from '../../db/queries/triage';
import { ExaminerKeyError, examinerKeyStatus, exportExaminerKey, importExaminerKey, loadOrCreateExaminerKey, type KeyAccess } from '../sign/keys';
import { exportCase } from '../timeline/export';
import { HandlerError } from './dispatch';
import { startBrowserSignIn } from './browser-sign-in';
import { withoutPaths } from './static-files';

export interface WorkbenchDeps {
  host: 'electron' | 'browser';
  toolVersion: string;
  /** Where new case files go; the renderer never names a path. */
  casesDir: string;
  /** Peregrine's own settings folder (recent cases), outside every case file. */
  homeDir: string;
  /** Where the examiner's signing key lives, outside every case file. */
  keyDir: string;
  /** How the key is unlocked: the OS keychain in the app, else a passphrase; absent, signing asks for one and fails. */
  keyAccess?: KeyAccess;
  /** The desktop app's file dialogs for moving the key; absent in the browser host, which then does not offer it. */
  chooseKeyFile?: (mode: 'save' | 'open', suggestedName: string) => Promise<string | null>;
  environment: TenantEnvironment | null;
  clock?: () => Date;
  /** Electron asks the consultant where to save; the browser host uses casesDir. */
  chooseNewCaseFile?: (suggestedName: string) => Promise<string | null>;
  transport?: (environment: TenantEnvironment) => HttpTransport;
  /** The collection worker's code (bundled in the app, TypeScript through tsx elsewhere). */
  collectionWorker: WorkerEntry;
  /** Persists tokens encrypted (the OS keychain in the app); absent means memory only. */
  tokenCache?: ICachePlugin;
  /** Opens the system browser for a browser sign-in (the app); absent, the renderer opens the page in a new tab. */
  openBrowser?: (url: string) => Promise<void>;
  /** The report endpoints' limit collections pace to: Graph's 5 per 10 s unless a simulator set up otherwise says so. */
  reportsLimit?: ReportsLimit;
}

interface OpenCase {
  file: string;
  db: Database;
  summary: CaseSummary;
}

export interface Workbench {
  handlers: Handlers;
  /** The open case's file, for the host's own use (never sent to the renderer). */
  currentCaseFile(): string | null;
  close(): Promise<void>;
}

export function createWorkbench(deps: WorkbenchDeps): Workbench {
  const clock = deps.clock ?? (() => new Date());
  const transportFor = deps.transport ?? ((env: TenantEnvironment) => createHttpTransport({ ca: env.caPem, userAgent: `Peregrine/${deps.toolVersion}` }));
  const recentFile = path.join(deps.homeDir, 'recent-cases.json');
  let open: OpenCase | null = null;
  const runs = new Map<string, CollectionStatus>();
  let active: { runId: string; job: RunningJob; done: Promise<void> } | null = null;

  // Findings are a pure function of the case: cached until the custody log moves (a collection, a triage, an import).
  let cachedDetection: { file: string; head: string | null; report: DetectionReport } | null = null;
  const detection = (): DetectionReport => {
    const { file, db } = requireCase();
    const head = custodyHead(db);
    if (cachedDetection?.file === file && cachedDetection.head === head) return cachedDetection.report;
    cachedDetection = { file, head, report: detect(db) };
    return cachedDetection.report;
  };
  const requireCase = (): OpenCase => {
    if (!open) throw new HandlerError('no_case_open', 'No case is open. Create or open a case first.');
    return open;
  };

  function readRecent(): (RecentCase & { file: string })[] {
    try {
      const list = JSON.parse(fs.readFileSync(recentFile, 'utf8')) as (RecentCase & { file: string })[];
      return Array.isArray(list) ? list.filter((r) => typeof r.file === 'string' && fs.existsSync(r.file)) : [];
    } catch {
      return [];
    }
  }
  function remember(file: string, summary: CaseSummary) {
    const list = readRecent().filter((r) => r.caseId !== summary.caseId);
    list.unshift({ caseId: summary.caseId, name: summary.name, fileName: summary.fileName, lastOpenedAt: clock().toISOString(), file });
    fs.mkdirSync(deps.homeDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(recentFile, JSON.stringify(list.slice(0, 20), null, 2), { mode: 0o600 });
  }
  function setOpen(next: OpenCase) {
    if (open) closeDatabase(open.db);
    open = next;
    remember(next.file, next.summary);
  }

  interface SignInSlot {
    session: TenantSession | null;
    state: SignInState;
  }
  const graphSlot: SignInSlot = { session: null, state: { state: 'signed-out' } };
  const exchangeSlot: SignInSlot = { session: null, state: { state: 'signed-out' } };
  /** The engagement app's session (app-only): when present it stands in for both device-code sign-ins. Its key lives only in it. */
  let appOnly: AppOnlySession | null = null;

  const requireEnvironment = (): TenantEnvironment => {
    if (!deps.environment) throw new HandlerError('no_environment', 'No tenant is configured. Start Peregrine with --env <environment file> or --tenant <domain>.');
    return deps.environment;
  };

  function appOnlyState(session: AppOnlySession): SignInState {
    const account = session.account()!;
    const cert = session.certificate;
    return {
      state: 'signed-in',
      method: 'app-only',
      username: account.username,
      tenantId: account.tenantId,
      scopes: account.scopes,
      certificate: { subject: cert.subject, thumbprintSha1: cert.thumbprintSha1, notAfter: cert.notAfter.toISOString() },
    };
  }

  /** Ends every sign-in, device-code and app-only: one way of reading the tenant at a time. */
  async function signOutAll(): Promise<void> {
    for (const slot of [graphSlot, exchangeSlot]) {
      slot.session?.cancelSignIn();
      await slot.session?.signOut();
      slot.session = null;
      slot.state = { state: 'signed-out' };
    }
    await appOnly?.signOut();
    appOnly = null;
  }

  /** Who reads the tenant for a preflight or a collection: the engagement app for both services, or the device-code sign-ins. */
  type Reader = Pick<TenantSession, 'environment' | 'getAccessToken' | 'account'>;
  function tenantAccess(): { graph: Reader | null; exchange: Reader | null; appOnly: boolean } {
    if (appOnly?.account()) return { graph: appOnly, exchange: appOnly, appOnly: true };
    return {
      graph: graphSlot.session?.account() ? graphSlot.session : null,
      exchange: exchangeSlot.session?.account() ? exchangeSlot.session : null,
      appOnly: false,
    };
  }

  const graphReaderOf = (session: Reader) =>
    createGraphReader({
      baseUrl: session.environment.graphBaseUrl,
      transport: readOnlyTransport(transportFor(session.environment)),
      getToken: (o) => session.getAccessToken(session.environment.graphScopes, o),
      maxRetries: 1,
    });

  /** Exchange routes each request by a mailbox: the signed-in person's, or for the app the tenant's system mailbox. */
  function anchorMailbox(access: ReturnType<typeof tenantAccess>): string {
    if (!access.appOnly) return `UPN:${access.exchange!.account()!.username}`;
    return appOnlyAnchorMailbox(access.exchange!.account()!.tenantId);
  }

  /** Starts a sign-in (device code unless the browser is asked for); answers as soon as the code or page is known, and the slot follows the outcome. */
  async function startSignIn(slot: SignInSlot, audience: (env: TenantEnvironment) => SessionAudience, method: 'browser' | 'device-code' = 'device-code'): Promise<SignInState> {
    const env = requireEnvironment();
    if (appOnly) {
      // Back to delegated sign-in: the engagement app's session (and its key) goes.
      await appOnly.signOut();
      appOnly = null;
    }
    slot.session?.cancelSignIn();
    const session = createTenantSession(env, transportFor(env), clock, audience(env), deps.tokenCache);
    slot.session = session;
    slot.state = { state: 'signed-out' };
    const restored = deps.tokenCache ? await session.restore() : null;
    if (restored) {
      slot.state = { state: 'signed-in', method, username: restored.username, tenantId: restored.tenantId, scopes: restored.scopes };
      return slot.state;
    }
    if (method === 'browser') return startBrowserSignIn(slot, session, deps.openBrowser);
    return await new Promise<SignInState>((resolve) => {
      session
        .signInWithDeviceCode((p) => {
          slot.state = { state: 'waiting', userCode: p.userCode, verificationUri: p.verificationUri, message: p.message, expiresAt: p.expiresAt.toISOString() };
          resolve(slot.state);
        })
        .then((account) => {
          if (slot.session !== session) return;
          slot.state = { state: 'signed-in', method: 'device-code', username: account.username, tenantId: account.tenantId, scopes: account.scopes };
          resolve(slot.state);
        })
        .catch((err: Error) => {
          if (slot.session !== session) return;
          slot.state = { state: 'error', message: `Sign-in failed: ${err.message}` };
          resolve(slot.state);
        });
    });
  }

  /** Runs a collection (new or resumed) in a worker; paging, hashing and SQLite writes never block the window. */
  function startJob(
    runId: string,
    access: ReturnType<typeof tenantAccess>,
    plan: { resume: boolean; anchorMailbox: string | null; window: { from: string; to: string } | null; inboxRuleMailboxes: string[] },
  ): CollectionStatus {
    const { file, summary } = requireCase();
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

  const handlers: Handlers = {
    app: {
      info: async () => ({
        version: deps.toolVersion,
        host: deps.host,
        environment: deps.environment
          ? {
              name: deps.environment.name,
              cloud: deps.environment.cloud,
              tenantId: deps.environment.tenant,
              authority: `${deps.environment.authorityHost}/${deps.environment.tenant}`,
              graphBaseUrl: deps.environment.graphBaseUrl,
              clientId: deps.environment.clientId,
              simulator: deps.environment.cloud === 'simulator',
            }
          : null,
      }),
    },
    case: {
      recent: async () => readRecent().map(({ caseId, name, fileName, lastOpenedAt }) => ({ caseId, name, fileName, lastOpenedAt })),
      create: async (input) => {
        const suggested = `${safeFileName(input.name)}.peregrine`;
        const file = deps.chooseNewCaseFile ? await deps.chooseNewCaseFile(suggested) : uniquePath(deps.casesDir, suggested);
        if (!file) throw new HandlerError('cancelled', 'No file was chosen; no case was created.');
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const created = createCase(file, input, { clock, toolVersion: deps.toolVersion });
        setOpen({ file, ...created });
        return created.summary;
      },
      open: async ({ caseId }) => {
        const entry = readRecent().find((r) => r.caseId === caseId);
        if (!entry) throw new HandlerError('unknown_case', 'That case is not in the recent list any more (moved or deleted?). Open its file again.');
        const opened = openCase(entry.file);
        if (opened.summary.caseId !== caseId) {
          closeDatabase(opened.db);
          throw new HandlerError('case_mismatch', `${entry.fileName} now holds a different case; it was not opened.`);
        }
        setOpen({ file: entry.file, ...opened });
        return opened.summary;
      },
      current: async () => open?.summary ?? null,
      close: async () => {
        if (active) throw new HandlerError('busy', 'A collection is writing to this case; wait for it to finish or cancel it before closing.');
        if (open) closeDatabase(open.db);
        open = null;
        return null;
      },
      verify: async () => {
        const { file } = requireCase();
        const report = verifyCaseFile(file);
        const first = report.problems[0];
        return {
          ok: report.ok,
          checkedAt: clock().toISOString(),
          evidenceRows: report.checked.evidence,
          custodyEntries: report.checked.custody,
          chainHead: report.chainHead,
          problem: first ? `${first.where}: ${first.message}` : null,
        };
      },
      custody: async () =>
        listCustody(requireCase().db).map((e) => ({
          seq: e.seq,
          at: e.at,
          action: e.action,
          actor: e.actor,
          summary: summarizeDetails(e.details),
          hash: e.hash,
        })),
    },
    auth: {
      start: async ({ method }) => startSignIn(graphSlot, (env) => graphAudience(env), method),
      status: async () => (appOnly ? appOnlyState(appOnly) : graphSlot.state),
      signOut: async () => {
        await signOutAll();
        return graphSlot.state;
      },
      // The engagement app's certificate already gets Exchange Online tokens: no second sign-in.
      startExchange: async ({ method }) => (appOnly ? appOnlyState(appOnly) : startSignIn(exchangeSlot, (env) => exchangeAudience(env), method)),
      exchangeStatus: async () => (appOnly ? appOnlyState(appOnly) : exchangeSlot.state),
      startAppOnly: async ({ appId, certificatePem, privateKeyPem }) => {
        const env = requireEnvironment();
        if (active) throw new HandlerError('busy', 'A collection is running with the current sign-in; wait for it to finish or cancel it before signing in again.');
        await signOutAll();
        let session: AppOnlySession | null = null;
        try {
          // Checks the key against the certificate and its dates before any request, then asks the tenant for a Graph token.
          session = createAppOnlySession(env, transportFor(env), { clientId: appId, certificatePem, privateKeyPem }, clock);
          const account = await session.signIn();
          if (account.scopes.length === 0) {
            throw new Error(`The tenant signed app ${appId} in but granted it no application permissions (app roles), so it can read nothing. An administrator must grant admin consent to the app's Microsoft Graph permissions (and Exchange.ManageAsApp with an Exchange role for Exchange Online).`);
          }
        } catch (err) {
          await session?.signOut();
          return { state: 'error', message: `App-only sign-in failed: ${(err as Error).message}` };
        }
        appOnly = session;
        return appOnlyState(session);
      },
    },
    collect: {
      start: async ({ logDays, exchange, inboxRuleMailboxes }) => {
        requireCase();
        const env = deps.environment;
        const access = tenantAccess();
        if (!env || !access.graph) throw new HandlerError('auth_required', 'Sign in to the tenant before collecting.');
        if (exchange && !access.exchange) throw new HandlerError('auth_required', 'Sign in to Exchange Online before collecting its configuration and audit log.');
        // A simulated tenant's "now" is its scenario date; a real tenant's is now.
        const until = env.simulator?.referenceTime ? new Date(env.simulator.referenceTime) : clock();
        const window = logDays > 0 ? { from: new Date(until.getTime() - logDays * 86_400_000).toISOString(), to: until.toISOString() } : null;
        if (inboxRuleMailboxes.length && !exchange) throw new HandlerError('invalid_input', 'Inbox rules are read through Exchange Online: include Exchange Online to read them.');
        if (active) throw new HandlerError('busy', 'A collection is already running; wait for it to finish or cancel it.');
        const anchor = exchange ? anchorMailbox(access) : null;
        return startJob(crypto.randomUUID(), access, { resume: false, anchorMailbox: anchor, window, inboxRuleMailboxes });
      },
      status: async ({ runId }) => {
        const { db } = requireCase();
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
        const { db } = requireCase();
        const run = getRun(db, runId);
        if (!run) throw new HandlerError('unknown_run', 'There is no such collection in this case.');
        if (run.state === 'done') throw new HandlerError('not_resumable', 'That collection finished cleanly; start a new one instead.');
        const planned = listSources(db, runId);
        const exchange = planned.some((p) => p.source.startsWith('exo.') && p.state !== 'done');
        const access = tenantAccess();
        if (!access.graph) throw new HandlerError('auth_required', 'Sign in to the tenant to resume the collection.');
        if (exchange && !access.exchange) throw new HandlerError('auth_required', 'This collection still has Exchange Online sources to read: sign in to Exchange Online first.');
        if (access.graph.account()!.tenantId !== run.tenantId) throw new HandlerError('wrong_tenant', `That collection was from tenant ${run.tenantId}; you are signed in to another tenant.`);
        if (active) throw new HandlerError('busy', 'A collection is already running; wait for it to finish or cancel it.');
        const anchor = exchange ? anchorMailbox(access) : null;
        return startJob(runId, access, { resume: true, anchorMailbox: anchor, window: null, inboxRuleMailboxes: [] });
      },
      preflight: async ({ logDays, exchange }) => {
        const { db } = requireCase();
        const previousRun = latestCompletedRun(db);
        const access = tenantAccess();
        const signedIn = access.graph?.account() ?? null;
        // An app has no directory roles of its own to read here (no object id): its app roles are the scopes below.
        const roles = access.graph && signedIn ? await directoryRolesOf(graphReaderOf(access.graph), signedIn.objectId) : null;
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
        const { db } = requireCase();
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
    },
    evidence: {
      applications: async () => applicationRows(requireCase().db, detection()),
    },
    findings: {
      list: async () => detection(),
      evidence: async (ref) => {
        try {
          return evidenceRecord(requireCase().db, ref);
        } catch (error) {
          if (error instanceof RecordNotFoundError) throw new HandlerError('not_found', error.message);
          throw error;
        }
      },
      triage: async ({ key, state, note }) => {
        const { db, summary } = requireCase();
        const report = detection();
        const finding = report.findings.find((f) => f.key === key);
        if (!finding) throw new HandlerError('not_found', `No finding "${key}" in the newest collection: collect again or reload the findings.`);
        const at = clock().toISOString();
        const saved = recordTriage(db, { findingKey: key, ruleId: finding.ruleId, state, note: note.trim(), at, actor: summary.examiner, details: { title: finding.title, subject: finding.subject.name ?? finding.subject.id } });
        finding.triage = { state: saved.state, note: saved.note, at: saved.at, by: saved.actor };
        // The findings did not change, only their triage: keep the cached report current instead of running every rule again.
        if (cachedDetection) cachedDetection.head = custodyHead(db);
        return finding.triage;
      },
      iocs: async ({ format }) => {
        const { summary } = requireCase();
        const report = detection();
        const options = { caseId: summary.caseId, caseName: summary.name, examiner: summary.examiner, now: clock(), toolVersion: deps.toolVersion };
        return format === 'csv' ? iocCsv(report, options) : iocStix(report, options);
      },
    },
    export: {
      run: async ({ passphrase }) => {
        const { file, db, summary } = requireCase();
        if (active) throw new HandlerError('busy', 'A collection is still running; export once it has finished so the export covers it.');
        const signer = withKey(() => loadOrCreateExaminerKey(deps.keyDir, summary.examiner, keyAccess(passphrase)));
        const stamp = clock().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
        const outDir = uniquePath(path.join(path.dirname(file), 'exports'), `${safeFileName(summary.name)}-${stamp}`);
        fs.mkdirSync(path.dirname(outDir), { recursive: true });
        const report = detection();
        const extraFiles = findingsExportFiles(report, { caseId: summary.caseId, caseName: summary.name, examiner: summary.examiner, now: clock(), toolVersion: deps.toolVersion });
        return exportCase(db, outDir, { signer, clock, toolVersion: deps.toolVersion, findings: report.findings, extraFiles });
      },
      signer: async () => signerView(),
      exportKey: async ({ passphrase, filePassphrase }) => {
        const status = examinerKeyStatus(deps.keyDir);
        if (!status.protection) throw new HandlerError('no_key', 'There is no examiner key yet: the first export makes one.');
        const target = await chooseKeyFile('save', 'peregrine-examiner-key.pem');
        if (!target) return null;
        withKey(() => exportExaminerKey(deps.keyDir, signerIdentity() ?? status.identity ?? 'examiner', keyAccess(passphrase), target, filePassphrase));
        return { fileName: path.basename(target), signer: signerView() };
      },
      importKey: async ({ passphrase, filePassphrase, replace, identity }) => {
        const source = await chooseKeyFile('open', 'peregrine-examiner-key.pem');
        if (!source) return null;
        // Under the keychain when the host has one; else under the passphrase typed with it (or the file's).
        const access = keyAccess(passphrase ?? filePassphrase);
        withKey(() => importExaminerKey(deps.keyDir, identity, source, filePassphrase, access, { replace }));
        return { fileName: path.basename(source), signer: signerView() };
      },
    },
  };

  /** A key refusal as the consultant's sentence: the key folder is Peregrine's own, so file names only, no paths. */
  function withKey<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ExaminerKeyError) throw new HandlerError(err.code, err.message.replaceAll(deps.keyDir + path.sep, ''));
      throw err;
    }
  }

  let keyNotice: string | null = null;
  function keyAccess(passphrase: string | undefined): KeyAccess {
    const base = deps.keyAccess ?? {};
    const onNotice = (message: string) => {
      // Shown on the page: the key's folder is this machine's business, not the renderer's.
      keyNotice = withoutPaths(message);
      base.onNotice?.(message);
    };
    return { ...base, onNotice, ...(passphrase ? { passphrase: () => passphrase } : {}) };
  }

  function signerIdentity(): string | null {
    return open?.summary.examiner ?? null;
  }

  function signerView(): SignerView {
    const status = examinerKeyStatus(deps.keyDir);
    const keychain = !!deps.keyAccess?.keychain;
    return {
      identity: signerIdentity() ?? status.identity,
      fingerprint: status.fingerprint,
      protection: status.protection,
      needsPassphrase: !keychain && !deps.keyAccess?.passphrase,
      keyTransfer: !!deps.chooseKeyFile,
      notice: keyNotice,
    };
  }

  async function chooseKeyFile(mode: 'save' | 'open', suggested: string): Promise<string | null> {
    if (!deps.chooseKeyFile) {
      throw new HandlerError('unsupported', 'Moving the signing key needs the desktop app (or `peregrine key export|import` on the command line).');
    }
    return deps.chooseKeyFile(mode, suggested);
  }

  return {
    handlers,
    currentCaseFile: () => open?.file ?? null,
    async close() {
      graphSlot.session?.cancelSignIn();
      exchangeSlot.session?.cancelSignIn();
      await appOnly?.signOut();
      appOnly = null;
      active?.job.cancel();
      await active?.done;
      if (open) closeDatabase(open.db);
      open = null;
    },
  };
}

function safeFileName(name: string): string {
  const cleaned = name.normalize('NFKC').replace(/[^\p{L}\p{N}._ -]+/gu, '-').replace(/\s+/g, ' ').trim().replace(/^\.+/, '');
  return (cleaned || 'case').slice(0, 80);
}

function uniquePath(dir: string, fileName: string): string {
  const ext = path.extname(fileName);
  const stem = fileName.slice(0, fileName.length - ext.length);
  for (let i = 1; ; i++) {
    const candidate = path.join(dir, i === 1 ? fileName : `${stem} (${i})${ext}`);
    if (!fs.existsSync(candidate)) return candidate;
  }
}

function summarizeDetails(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  return Object.entries(details as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(' · ')
    .slice(0, 300);
}

