// Renderer: the ONLY reader of the bridge global `window.peregrine`; unwraps each Result or throws an ApiError.
import type {
  ApiErrorShape,
  AppOnlySignInInput,
  ApplicationRow,
  Bridge,
  CaseOverview,
  EvidenceKindView,
  EvidenceObjectView,
  EvidencePage,
  ObjectKindId,
  CaseSummary,
  ChecklistOverview,
  ChecklistStepView,
  ChecklistView,
  CollectionRunView,
  CollectionStatus,
  CustodyEntryView,
  DetectionReport,
  EnvironmentSummary,
  EvidenceRecordView,
  ExportCheck,
  ExportRecord,
  ExportResult,
  ImportJobView,
  IntegrityStatus,
  IocFile,
  KeyTransferResult,
  NewCaseInput,
  OpenedCase,
  ReceivedCaseView,
  PreflightView,
  RecentCase,
  RemediationRunView,
  RemediationSignInView,
  Result,
  SignerView,
  SignInState,
  Triage,
  TriageState,
  SettingsView,
  TenantChoiceInput,
  TenantView,
  TimelineBucketView,
  TimelineCursorView,
  TimelineFilter,
  TimelineOverview,
  TimelinePageView,
  TimelinePinView,
  TimelineRecordView,
} from '../../preload/contract';

/** What a collection reads: days of sign-ins and audits up to now (0 skips them), whether Exchange Online is included, and whose inbox rules. */
export interface CollectOptions {
  logDays: number;
  exchange: boolean;
  inboxRuleMailboxes?: string[];
}

/** What one page of an evidence kind asks main for. */
export interface EvidenceListQuery {
  kind: ObjectKindId;
  offset: number;
  limit: number;
  sort: string;
  dir: 'asc' | 'desc';
  filter: string;
  toggle: boolean;
  flaggedOnly: boolean;
}

/** The raw record behind a finding's evidence row: an event by its id, or an object as collected in one run. */
export type EvidenceRef = { kind: 'event'; eventId: number } | { kind: 'object'; runId: string; objectKind: string; objectId: string };


/** A refusal or failure from main, in the consultant's words, with the technical detail kept apart. */
export class ApiError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  constructor(shape: ApiErrorShape) {
    super(shape.message);
    this.name = 'ApiError';
    this.code = shape.code;
    this.detail = shape.detail;
  }
}

/** Both transports (Electron preload, loopback browser host) define the same object on window. */
function bridge(): Bridge | null {
  const candidate = (window as unknown as { peregrine?: unknown }).peregrine;
  return typeof candidate === 'object' && candidate !== null ? (candidate as Bridge) : null;
}

export function bridgeAvailable(): boolean {
  return bridge() !== null;
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  const r = value as { ok: unknown; error?: unknown };
  if (r.ok === true) return 'value' in value;
  return r.ok === false && typeof r.error === 'object' && r.error !== null;
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

async function call<T>(channel: string, invoke: (b: Bridge) => Promise<Result<T>>): Promise<T> {
  const b = bridge();
  if (!b) {
    throw new ApiError({
      code: 'bridge_missing',
      message: 'Peregrine cannot reach its host process. Restart Peregrine.',
      detail: `window.peregrine is not defined (channel ${channel})`,
    });
  }
  let answer: unknown;
  try {
    answer = await invoke(b);
  } catch (err) {
    throw new ApiError({
      code: 'transport_failed',
      message: 'Peregrine lost contact with its host process. Nothing was changed by this request; try again, or restart Peregrine.',
      detail: `${channel}: ${describe(err)}`,
    });
  }
  if (!isResult(answer)) {
    throw new ApiError({
      code: 'bad_answer',
      message: 'The host process answered in a form the interface does not understand.',
      detail: `${channel}: ${JSON.stringify(answer)?.slice(0, 500) ?? String(answer)}`,
    });
  }
  if (answer.ok) return answer.value as T;
  const e = answer.error as Partial<ApiErrorShape>;
  throw new ApiError({
    code: typeof e.code === 'string' ? e.code : 'unknown',
    message: typeof e.message === 'string' ? e.message : 'The request failed.',
    detail: typeof e.detail === 'string' ? e.detail : `channel ${channel}`,
  });
}

export interface AppInfo {
  version: string;
  host: 'electron' | 'browser';
  environment: EnvironmentSummary | null;
}

export const api = {
  app: {
    info: (): Promise<AppInfo> => call('app.info', (b) => b.app.info({})),
  },
  case: {
    recent: (): Promise<RecentCase[]> => call('case.recent', (b) => b.case.recent({})),
    create: (input: NewCaseInput): Promise<CaseSummary> => call('case.create', (b) => b.case.create(input)),
    open: (caseId: string): Promise<CaseSummary> => call('case.open', (b) => b.case.open({ caseId })),
    /** The desktop app shows its own dialog (no path); the browser host takes the typed path. */
    openFile: (input: { path?: string; upgrade?: boolean }): Promise<OpenedCase> => call('case.openFile', (b) => b.case.openFile(input)),
    received: (): Promise<ReceivedCaseView | null> => call('case.received', (b) => b.case.received({})),
    current: (): Promise<CaseSummary | null> => call('case.current', (b) => b.case.current({})),
    close: (): Promise<null> => call('case.close', (b) => b.case.close({})),
    verify: (): Promise<IntegrityStatus> => call('case.verify', (b) => b.case.verify({})),
    custody: (): Promise<CustodyEntryView[]> => call('case.custody', (b) => b.case.custody({})),
  },
  auth: {
    start: (method?: 'browser' | 'device-code'): Promise<SignInState> => call('auth.start', (b) => b.auth.start(method ? { method } : {})),
    status: (): Promise<SignInState> => call('auth.status', (b) => b.auth.status({})),
    signOut: (): Promise<SignInState> => call('auth.signOut', (b) => b.auth.signOut({})),
    startExchange: (method?: 'browser' | 'device-code'): Promise<SignInState> => call('auth.startExchange', (b) => b.auth.startExchange(method ? { method } : {})),
    exchangeStatus: (): Promise<SignInState> => call('auth.exchangeStatus', (b) => b.auth.exchangeStatus({})),
    /** App-only with the engagement app's certificate: the PEM texts go to Peregrine's own process only, which keeps the key in memory. */
    startAppOnly: (input: AppOnlySignInInput): Promise<SignInState> => call('auth.startAppOnly', (b) => b.auth.startAppOnly(input)),
    tenant: (): Promise<TenantView> => call('auth.tenant', (b) => b.auth.tenant({})),
    /** Names the tenant and its cloud (signing out of the one before), or goes back to the environment file. */
    chooseTenant: (input: TenantChoiceInput): Promise<TenantView> => call('auth.chooseTenant', (b) => b.auth.chooseTenant(input)),
  },
  collect: {
    start: (options?: CollectOptions): Promise<CollectionStatus> => call('collect.start', (b) => b.collect.start(options ?? {})),
    status: (runId: string): Promise<CollectionStatus> => call('collect.status', (b) => b.collect.status({ runId })),
    cancel: (runId: string): Promise<null> => call('collect.cancel', (b) => b.collect.cancel({ runId })),
    resume: (runId: string): Promise<CollectionStatus> => call('collect.resume', (b) => b.collect.resume({ runId })),
    runs: (): Promise<CollectionRunView[]> => call('collect.runs', (b) => b.collect.runs({})),
    preflight: (options: CollectOptions): Promise<PreflightView> => call('collect.preflight', (b) => b.collect.preflight(options)),
  },
  evidence: {
    applications: (): Promise<ApplicationRow[]> => call('evidence.applications', (b) => b.evidence.applications({})),
    kinds: (): Promise<EvidenceKindView[]> => call('evidence.kinds', (b) => b.evidence.kinds({})),
    /** One page, sorted and filtered in main. */
    list: (input: EvidenceListQuery): Promise<EvidencePage> => call('evidence.list', (b) => b.evidence.list(input)),
    object: (kind: ObjectKindId, objectId: string, runId?: string): Promise<EvidenceObjectView> =>
      call('evidence.object', (b) => b.evidence.object(runId ? { kind, objectId, runId } : { kind, objectId })),
    overview: (): Promise<CaseOverview> => call('evidence.overview', (b) => b.evidence.overview({})),
  },
  findings: {
    /** Runs the detection rules over the newest clean collection. */
    list: (): Promise<DetectionReport> => call('findings.list', (b) => b.findings.list({})),
    evidence: (ref: EvidenceRef): Promise<EvidenceRecordView> => call('findings.evidence', (b) => b.findings.evidence(ref)),
    /** Each call writes a custody entry. */
    triage: (key: string, state: TriageState, note: string): Promise<Triage> => call('findings.triage', (b) => b.findings.triage({ key, state, note })),
    iocs: (format: 'csv' | 'stix'): Promise<IocFile> => call('findings.iocs', (b) => b.findings.iocs({ format })),
  },
  export: {
    /**
     * `passphrase` unlocks the signing key when the host has no secure keychain (SignerView.needsPassphrase); `scope`
     * cuts the exported timeline to the events a timeline filter keeps.
     */
    run: (passphrase?: string, scope?: TimelineFilter, lang?: 'en' | 'ja'): Promise<ExportResult> =>
      call('export.run', (b) => b.export.run({ ...(passphrase ? { passphrase } : {}), ...(scope ? { scope } : {}), ...(lang ? { lang } : {}) })),
    signer: (): Promise<SignerView> => call('export.signer', (b) => b.export.signer({})),
    history: (): Promise<ExportRecord[]> => call('export.history', (b) => b.export.history({})),
    verify: (folder: string): Promise<ExportCheck> => call('export.verify', (b) => b.export.verify({ folder })),
    /** Desktop app only: main asks where to save; the file is encrypted under filePassphrase. Null when cancelled. */
    exportKey: (input: { passphrase?: string; filePassphrase: string }): Promise<KeyTransferResult | null> => call('export.exportKey', (b) => b.export.exportKey(input)),
    /** Desktop app only: main asks which file; it replaces the current key only with replace. Null when cancelled. */
    importKey: (input: { passphrase?: string; filePassphrase: string; replace: boolean; identity: string }): Promise<KeyTransferResult | null> => call('export.importKey', (b) => b.export.importKey(input)),
  },
  settings: {
    get: (): Promise<SettingsView> => call('settings.get', (b) => b.settings.get({})),
    /** Main checks every field again; the engagement's apps and untouchable accounts are recorded in the open case. */
    update: (input: Partial<Omit<SettingsView, 'recordedInCase'>>): Promise<SettingsView> => call('settings.update', (b) => b.settings.update(input)),
  },
  remediate: {
    /** The checklist of the newest collection; new or changed steps are recorded in the case's custody. */
    checklist: (): Promise<ChecklistView> => call('remediate.checklist', (b) => b.remediate.checklist({})),
    progress: (): Promise<ChecklistOverview> => call('remediate.progress', (b) => b.remediate.progress({})),
    signIn: (service: 'graph' | 'exchange', method?: 'browser' | 'device-code'): Promise<RemediationSignInView> =>
      call('remediate.signIn', (b) => b.remediate.signIn(method ? { service, method } : { service })),
    signInStatus: (): Promise<RemediationSignInView> => call('remediate.signInStatus', (b) => b.remediate.signInStatus({})),
    signOut: (): Promise<RemediationSignInView> => call('remediate.signOut', (b) => b.remediate.signOut({})),
    /** A dry run unless mode is write; a destructive write needs the object's name as typed. */
    run: (input: { stepId: string; mode: 'dry-run' | 'write'; confirmName?: string; confirmSeparately?: boolean }): Promise<RemediationRunView> => call('remediate.run', (b) => b.remediate.run(input)),
    verify: (): Promise<RemediationRunView> => call('remediate.verify', (b) => b.remediate.verify({})),
    runStatus: (runId: string): Promise<RemediationRunView> => call('remediate.runStatus', (b) => b.remediate.runStatus({ runId })),
    markDone: (stepId: string, note: string): Promise<ChecklistStepView> => call('remediate.markDone', (b) => b.remediate.markDone({ stepId, note })),
    skip: (stepId: string, note: string): Promise<ChecklistStepView> => call('remediate.skip', (b) => b.remediate.skip({ stepId, note })),
  },
  timeline: {
    overview: (): Promise<TimelineOverview> => call('timeline.overview', (b) => b.timeline.overview({})),
    /** One page by key: after or before a row's (time, id), or the first or last page. Never an offset. */
    page: (input: { filter: TimelineFilter; limit: number; after?: TimelineCursorView; before?: TimelineCursorView; last?: boolean }): Promise<TimelinePageView> =>
      call('timeline.page', (b) => b.timeline.page(input)),
    histogram: (filter: TimelineFilter, bucket: 'hour' | 'day', split: 'source' | 'result'): Promise<TimelineBucketView[]> =>
      call('timeline.histogram', (b) => b.timeline.histogram({ filter, bucket, split })),
    count: (filters: TimelineFilter[]): Promise<number[]> => call('timeline.count', (b) => b.timeline.count({ filters })),
    record: (id: number): Promise<TimelineRecordView> => call('timeline.record', (b) => b.timeline.record({ id })),
    pins: (): Promise<TimelinePinView[]> => call('timeline.pins', (b) => b.timeline.pins({})),
    /** Each call writes a custody entry. */
    pin: (id: number, note: string): Promise<TimelinePinView> => call('timeline.pin', (b) => b.timeline.pin({ id, note })),
    unpin: (source: string, recordId: string, note: string): Promise<null> => call('timeline.unpin', (b) => b.timeline.unpin({ source, recordId, note })),
  },
  import: {
    /** Tells each file's format and counts its records, writing nothing. The app chooses files in its own dialog; the browser host takes paths. */
    plan: (input: { paths?: string[]; format?: string; dateFormat?: string }): Promise<ImportJobView> => call('import.plan', (b) => b.import.plan(input)),
    status: (jobId: string): Promise<ImportJobView> => call('import.status', (b) => b.import.status({ jobId })),
    /** Stores the planned files in the case, with the note on who handed them over. */
    start: (jobId: string, note: string, engagementApps: string[] = []): Promise<ImportJobView> =>
      call('import.start', (b) => b.import.start({ jobId, note, ...(engagementApps.length ? { engagementApps } : {}) })),
    cancel: (jobId: string): Promise<ImportJobView> => call('import.cancel', (b) => b.import.cancel({ jobId })),
  },
};

/** Any thrown value as an ApiError, so screens render one error shape. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({ code: 'renderer_error', message: 'Something went wrong in the interface.', detail: describe(err) });
}

export type {
  ApplicationRow,
  AppFlag,
  CaseOverview,
  CaseSummary,
  EvidenceColumnType,
  EvidenceKindView,
  EvidenceObjectRow,
  EvidenceObjectView,
  EvidencePage,
  FindingLink,
  ObjectHistoryEntry,
  ObjectHistoryEvent,
  ObjectKindId,
  OverviewObject,
  ChecklistItemView,
  ChecklistOutcome,
  ChecklistOverview,
  ChecklistPhaseProgress,
  ChecklistProgress,
  ChecklistRequestView,
  ChecklistStepState,
  ChecklistStepView,
  ChecklistTrailEntry,
  ChecklistView,
  CollectionRunView,
  CollectionStatus,
  Confidence,
  CustodyEntryView,
  DetectionReport,
  EnvironmentSummary,
  EvidenceRecordView,
  ExportCheck,
  ExportRecord,
  ExportResult,
  Finding,
  FindingEvent,
  FindingObject,
  ImportFileView,
  ImportJobView,
  IntegrityStatus,
  Ioc,
  IocFile,
  IocType,
  NewCaseInput,
  OpenedCase,
  PreflightRow,
  PreflightView,
  RecentCase,
  ReceivedCaseView,
  RemediationItemRunView,
  TenantView,
  RemediationPhase,
  RemediationRunView,
  RemediationSignInView,
  RuleInfo,
  Severity,
  SignerView,
  SignInState,
  SourceCompleteness,
  SourceProgress,
  StageId,
  StorylineStage,
  Triage,
  TriageState,
  SettingsView,
  TimelineBucketView,
  TimelineCursorView,
  TimelineFilter,
  TimelineOverview,
  TimelinePageView,
  TimelinePinView,
  TimelineRecordView,
  TimelineRowView,
} from '../../preload/contract';
