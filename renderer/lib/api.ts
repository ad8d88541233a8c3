// Renderer: the ONLY reader of the bridge global `window.peregrine`; unwraps each Result or throws an ApiError.
import type {
  ApiErrorShape,
  AppOnlySignInInput,
  ApplicationRow,
  Bridge,
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
  ExportResult,
  IntegrityStatus,
  IocFile,
  KeyTransferResult,
  NewCaseInput,
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
} from '../../preload/contract';

/** What a collection reads: days of sign-ins and audits up to now (0 skips them), whether Exchange Online is included, and whose inbox rules. */
export interface CollectOptions {
  logDays: number;
  exchange: boolean;
  inboxRuleMailboxes?: string[];
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
    /** `passphrase` unlocks the signing key when the host has no secure keychain (SignerView.needsPassphrase). */
    run: (passphrase?: string): Promise<ExportResult> => call('export.run', (b) => b.export.run(passphrase ? { passphrase } : {})),
    signer: (): Promise<SignerView> => call('export.signer', (b) => b.export.signer({})),
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
};

/** Any thrown value as an ApiError, so screens render one error shape. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({ code: 'renderer_error', message: 'Something went wrong in the interface.', detail: describe(err) });
}

export type {
  ApplicationRow,
  AppFlag,
  CaseSummary,
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
  ExportResult,
  Finding,
  FindingEvent,
  FindingObject,
  IntegrityStatus,
  Ioc,
  IocFile,
  IocType,
  NewCaseInput,
  PreflightRow,
  PreflightView,
  RecentCase,
  RemediationItemRunView,
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
} from '../../preload/contract';
