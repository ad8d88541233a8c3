// Main process: what every handler area of the workbench shares — its dependencies, the open case, the cached findings.
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { ICachePlugin } from '@azure/msal-node';
import type { CaseSummary, DetectionReport, RecentCase } from '../../../preload/contract';
import type { TenantEnvironment } from '../../auth/environment';
import type { KeyAccess } from '../../sign/keys';
import type { HttpTransport } from '../../http/https';
import { createHttpTransport } from '../../http/https';
import type { WorkerEntry } from '../../jobs/collect-job';
import type { ReportsLimit } from '../../graph/pacer';
import { closeDatabase } from '../../../db/connection';
import { custodyHead } from '../../../db/queries/custody';
import { CaseReader, ReaderFailed } from '../../jobs/reader-job';
import { verifyCaseFile, type VerifyReport } from '../../case/verify';
import { detect } from '../../detect/engine';
import { HandlerError } from '../dispatch';
import { chosenEnvironment, type ChosenEnvironment, type TenantChoice } from '../../auth/tenant-choice';
import { loadSettings, SettingsError } from '../../settings/store';
import { withoutPaths } from '../static-files';

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
  /** The environment file the host was started with (the simulator's), or null. */
  environment: TenantEnvironment | null;
  /** A real tenant named at start-up (`--tenant`, `--cloud`, `--client-id`); the Collect screen can name another. */
  tenantChoice?: TenantChoice | null;
  clock?: () => Date;
  /** Electron's open dialog for "Open a case file…"; absent in the browser host, which takes a typed path. */
  chooseCaseFile?: () => Promise<string | null>;
  /** Electron asks the consultant where to save; the browser host uses casesDir. */
  chooseNewCaseFile?: (suggestedName: string) => Promise<string | null>;
  transport?: (environment: TenantEnvironment) => HttpTransport;
  /** The collection worker's code (bundled in the app, TypeScript through tsx elsewhere). */
  collectionWorker: WorkerEntry;
  /** The import worker's code; absent, import-worker beside the collection worker (.cjs bundled, .ts through tsx). */
  importWorker?: WorkerEntry;
  /** The case reader's code (the rules, verification); absent, reader-worker beside the collection worker (.cjs bundled, .ts through tsx). */
  readerWorker?: WorkerEntry;
  /** The app's open dialog for files to import (several at once); absent in the browser host, which takes paths. */
  chooseImportFiles?: () => Promise<string[] | null>;
  /** Persists tokens encrypted (the OS keychain in the app); absent means memory only. */
  tokenCache?: ICachePlugin;
  /** Opens the system browser for a browser sign-in (the app); absent, the renderer opens the page in a new tab. */
  openBrowser?: (url: string) => Promise<void>;
  /** The report endpoints' limit collections pace to: Graph's 5 per 10 s unless a simulator set up otherwise says so. */
  reportsLimit?: ReportsLimit;
}

export interface OpenCase {
  file: string;
  db: Database;
  summary: CaseSummary;
}

/** One workbench's shared state; each area reads it and none keeps a copy of the open case. */
export interface WorkbenchContext {
  deps: WorkbenchDeps;
  clock: () => Date;
  transportFor(environment: TenantEnvironment): HttpTransport;
  openCase(): OpenCase | null;
  requireCase(): OpenCase;
  /** Makes `next` the open case (closing the one before) and puts it first in the recent list. */
  setOpen(next: OpenCase, how?: { created: boolean }): void;
  closeCase(): void;
  readRecent(): (RecentCase & { file: string })[];
  /**
   * Findings are a pure function of the case: cached until the custody log moves (a collection, a triage, an import).
   * Computed in a worker thread: the window stays responsive on a case of millions of events.
   */
  detection(): Promise<DetectionReport>;
  /** The findings of an earlier collection of the open case (the overview's history), in the same worker. */
  detectionOf(runId: string): Promise<DetectionReport>;
  /**
   * The findings now, for code that cannot wait: the cached report when it is current (a handler that awaited
   * `detection()` first), else computed on this thread.
   */
  detectionNow(): DetectionReport;
  /** The case's custody moved without changing what the rules see (a triage): keep the cached findings. */
  keepDetection(): void;
  requireEnvironment(): TenantEnvironment;
  /** The tenant sign-ins go to now: a named tenant (with Settings' client ids), else the environment file; null if neither. */
  environment(): TenantEnvironment | (ChosenEnvironment & { source: 'chosen' }) | null;
  /** Names a real tenant (null: back to the environment file); listeners drop sign-ins made for the one before. */
  chooseTenant(choice: TenantChoice | null): void;
  /** Called after the tenant changed, before anything signs in to the new one. */
  onEnvironmentChanged(listener: () => void): void;
  /** Something is writing to the case in the background (a collection): the case stays open and sign-ins stay put. */
  busy(): string | null;
  /** Areas that write in the background report it here. */
  addBusyCheck(check: () => string | null): void;
  /** Called each time a case becomes the open one, after it is open; `created` when it was made just now. */
  onCaseOpened(listener: (open: OpenCase, created: boolean) => void): void;
  /** A case file verified in the case reader thread (not deep: every evidence row's hash, custody, checkpoints). */
  verifyFile(file: string): Promise<VerifyReport>;
  /** Stops the case reader thread. */
  close(): Promise<void>;
}

export function createContext(deps: WorkbenchDeps): WorkbenchContext {
  const clock = deps.clock ?? (() => new Date());
  const recentFile = path.join(deps.homeDir, 'recent-cases.json');
  let open: OpenCase | null = null;
  let cachedDetection: { file: string; head: string | null; report: DetectionReport } | null = null;
  let inflight: { file: string; head: string | null; promise: Promise<DetectionReport> } | null = null;
  // Beside the collection worker, built the same way (bundled in the app, TypeScript through tsx elsewhere).
  const reader = new CaseReader(
    () => deps.readerWorker ?? { file: path.join(path.dirname(deps.collectionWorker.file), `reader-worker${path.extname(deps.collectionWorker.file)}`), execArgv: deps.collectionWorker.execArgv },
  );
  /** A reader's refusal as the handler's: its code, the message without this machine's paths. */
  const read = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ReaderFailed) throw new HandlerError(err.code ?? 'reader_failed', withoutPaths(err.message));
      throw err;
    }
  };
  const detectIn = (file: string, runId?: string) => read(() => reader.detect(file, runId));
  /** The findings on this thread: the cached report when it answers for the case's custody head, else the rules run here. */
  function detectionNow(): DetectionReport {
    const { file, db } = requireCase();
    const head = custodyHead(db);
    if (cachedDetection?.file === file && cachedDetection.head === head) return cachedDetection.report;
    cachedDetection = { file, head, report: detect(db) };
    return cachedDetection.report;
  }
  /**
   * Whether another thread may read the open case while this one writes: in WAL mode readers never block a writer. A
   * case received from someone else is kept in its rollback journal until it is written to (main/host/areas/case.ts),
   * and there a reader's lock would hold up this thread's next write, so it is read here.
   */
  const sharedReads = (db: Database) => String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
  const busyChecks: (() => string | null)[] = [];
  let choice: TenantChoice | null = deps.tenantChoice ?? null;
  const environmentListeners: (() => void)[] = [];

  /** Settings are read at each sign-in, so a client id saved there is the one the next sign-in uses. */
  function currentEnvironment(): TenantEnvironment | (ChosenEnvironment & { source: 'chosen' }) | null {
    if (!choice) return deps.environment;
    let settings;
    try {
      settings = loadSettings(deps.homeDir);
    } catch (err) {
      if (err instanceof SettingsError) throw new HandlerError('settings_invalid', `${withoutPaths(err.message)} Its client ids decide how Peregrine signs in: fix them on Settings first.`);
      throw err;
    }
    return { ...chosenEnvironment(choice, settings), source: 'chosen' as const };
  }
  const openedListeners: ((open: OpenCase, created: boolean) => void)[] = [];

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

  return {
    deps,
    clock,
    transportFor: deps.transport ?? ((env: TenantEnvironment) => createHttpTransport({ ca: env.caPem, userAgent: `Peregrine/${deps.toolVersion}` })),
    openCase: () => open,
    requireCase,
    setOpen(next, how = { created: false }) {
      if (open) closeDatabase(open.db);
      open = next;
      remember(next.file, next.summary);
      for (const listener of openedListeners) listener(next, how.created);
    },
    closeCase() {
      if (open) closeDatabase(open.db);
      open = null;
    },
    readRecent,
    async detection() {
      const { file, db } = requireCase();
      if (!sharedReads(db)) return detectionNow();
      const head = custodyHead(db);
      if (cachedDetection?.file === file && cachedDetection.head === head) return cachedDetection.report;
      if (inflight?.file === file && inflight.head === head) return inflight.promise;
      const promise = detectIn(file).then((run) => {
        // Kept at the head the worker read, which a later request compares with the case's own.
        if (open?.file === file) cachedDetection = { file, head: run.head, report: run.report };
        return run.report;
      });
      inflight = { file, head, promise };
      const clear = () => {
        if (inflight?.promise === promise) inflight = null;
      };
      promise.then(clear, clear);
      return promise;
    },
    detectionNow,
    async detectionOf(runId) {
      const { file, db } = requireCase();
      return sharedReads(db) ? (await detectIn(file, runId)).report : detect(db, { runId });
    },
    keepDetection() {
      if (cachedDetection && open) cachedDetection.head = custodyHead(open.db);
    },
    requireEnvironment() {
      const env = currentEnvironment();
      if (!env) throw new HandlerError('no_environment', 'No tenant is chosen. Name the tenant and its cloud on the Collect screen (or start Peregrine with --tenant <domain> --cloud <cloud>).');
      return env;
    },
    environment: currentEnvironment,
    chooseTenant(next) {
      choice = next;
      for (const listener of environmentListeners) listener();
    },
    onEnvironmentChanged(listener) {
      environmentListeners.push(listener);
    },
    busy() {
      for (const check of busyChecks) {
        const why = check();
        if (why) return why;
      }
      return null;
    },
    addBusyCheck(check) {
      busyChecks.push(check);
    },
    onCaseOpened(listener) {
      openedListeners.push(listener);
    },
    verifyFile: (file) => (open?.file === file && !sharedReads(open.db) ? Promise.resolve(verifyCaseFile(file)) : read(() => reader.verify(file))),
    close: () => reader.close(),
  };
}

export function safeFileName(name: string): string {
  const cleaned = name.normalize('NFKC').replace(/[^\p{L}\p{N}._ -]+/gu, '-').replace(/\s+/g, ' ').trim().replace(/^\.+/, '');
  return (cleaned || 'case').slice(0, 80);
}

export function uniquePath(dir: string, fileName: string): string {
  const ext = path.extname(fileName);
  const stem = fileName.slice(0, fileName.length - ext.length);
  for (let i = 1; ; i++) {
    const candidate = path.join(dir, i === 1 ? fileName : `${stem} (${i})${ext}`);
    if (!fs.existsSync(candidate)) return candidate;
  }
}
