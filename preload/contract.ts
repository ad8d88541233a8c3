// Shared by main, preload and renderer: every bridge channel with its zod input schema and output type.
// No electron, no Node built-ins: the renderer compiles this file too.
import { z } from 'zod';
import { OBJECT_KINDS, type EvidenceColumnType, type ObjectKindId } from './evidenceKinds';

export { EVIDENCE_KINDS, OBJECT_KINDS, type EvidenceColumnType, type EvidenceKind, type ObjectKindId } from './evidenceKinds';

/** What every channel answers. Main never throws across the bridge. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape };
export interface ApiErrorShape {
  /** Stable machine code, e.g. `invalid_input`, `no_case_open`, `auth_required`. */
  code: string;
  /** What happened and what to do next, in the consultant's words. */
  message: string;
  /** Technical detail, shown one click away. */
  detail?: string;
}

// ---- shared output shapes --------------------------------------------------------------

export interface CaseSummary {
  caseId: string;
  name: string;
  client: string | null;
  examiner: string;
  reference: string | null;
  timeZone: string;
  createdAt: string;
  /** File name only: the renderer never sees or chooses paths. */
  fileName: string;
  schemaVersion: number;
}

export interface RecentCase {
  caseId: string;
  name: string;
  fileName: string;
  lastOpenedAt: string;
}

export interface IntegrityStatus {
  ok: boolean;
  checkedAt: string;
  evidenceRows: number;
  custodyEntries: number;
  chainHead: string | null;
  /** The first problem found, naming the table and row, or null. */
  problem: string | null;
}

/** A case file opened from disk that someone else made (another examiner, another Peregrine version), checked before use. */
export interface ReceivedCaseView {
  fileName: string;
  /** The examiner the case names, and the Peregrine version that created it. */
  examiner: string;
  toolVersion: string;
  /** The Peregrine version that last upgraded its schema, when one is recorded and differs from toolVersion. */
  schemaWrittenBy: string | null;
  /** Why it counts as received: another examiner than Settings names (or none named there), another Peregrine version. */
  reasons: ('examiner' | 'version')[];
  /** This Peregrine's version and Settings' examiner (empty when none), as compared. */
  here: { examiner: string; toolVersion: string };
  /** The verification run on opening, before anything else touched the file. */
  verification: { ok: boolean; checkedAt: string; evidenceRows: number; custodyEntries: number; chainHead: string | null; problems: { where: string; message: string }[] };
}

export interface OpenedCase {
  summary: CaseSummary;
  /** Set when the case was made by someone else or another version: what was found and how it verified. */
  received: ReceivedCaseView | null;
}

export interface EnvironmentSummary {
  name: string;
  cloud: string;
  tenantId: string;
  authority: string;
  graphBaseUrl: string;
  exchangeBaseUrl: string;
  clientId: string;
  /** Where the collection client id came from: named for this tenant, Settings, Microsoft's public client, or the environment file. */
  clientIdFrom: 'chosen' | 'settings' | 'default' | 'file';
  /** The client remediation signs in with (the collection client when none is set). */
  remediationClientId: string;
  simulator: boolean;
  /** True when the tenant was named (Collect screen or --tenant), false for the environment file. */
  chosen: boolean;
}

/** What the Collect screen's tenant picker shows: the tenant now, and the environment file to go back to, if any. */
export interface TenantView {
  environment: EnvironmentSummary | null;
  /** The environment file the host was started with (its name), which "Use the environment file" returns to. */
  fileEnvironment: string | null;
}

export type SignInState =
  | { state: 'signed-out' }
  | { state: 'waiting'; userCode: string; verificationUri: string; message: string; expiresAt: string }
  /**
   * Browser sign-in under way (authorization code with PKCE; the answer comes back to a loopback listener in main).
   * `opened`: main opened the system browser itself (the app); otherwise the page is for the renderer to open in a new tab.
   */
  | { state: 'browser'; url: string; opened: boolean }
  | {
      state: 'signed-in';
      /** The person (device code), or `app:<application id>` for the engagement app (app-only). */
      username: string;
      tenantId: string;
      /** Delegated scopes, or the app roles granted to the engagement app. */
      scopes: string[];
      /** App-only: one certificate gets both Graph and Exchange Online tokens, so Exchange needs no sign-in of its own. */
      method: 'browser' | 'device-code' | 'app-only';
      /** App-only: the certificate as it describes itself (never the key), to check against the app registration. */
      certificate?: { subject: string; thumbprintSha1: string; notAfter: string };
    }
  | { state: 'error'; message: string };

export interface SourceProgress {
  source: string;
  label: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  pages: number;
  records: number;
  error: string | null;
}

export interface CollectionStatus {
  runId: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string | null;
  sources: SourceProgress[];
  error: string | null;
}

export interface PreflightRow {
  source: string;
  label: string;
  service: 'graph' | 'exchange';
  /** The permission or role the source needs, in words. */
  needs: string;
  status: 'ok' | 'missing' | 'unknown' | 'not-signed-in';
  /** What will be missing or short, and why. */
  note: string | null;
  /** From this case's last clean collection, if any. */
  estimatedRecords: number | null;
}

export interface PreflightView {
  graphAccount: string | null;
  exchangeAccount: string | null;
  /** The signed-in user's directory roles; null when they could not be read. */
  roles: string[] | null;
  grantedScopes: string[];
  rows: PreflightRow[];
  /** The least time the report endpoints' throttling allows, from the last collection's sizes; null when unknown. */
  estimatedMinimumSeconds: number | null;
  basis: string | null;
}

/** One source's account in a collection run: what was read, over which window, and what is missing. */
export interface SourceCompleteness {
  source: string;
  label: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
  pages: number;
  records: number;
  windowFrom: string | null;
  windowTo: string | null;
  /** The service said it held more than it returned (a capped window), or the cloud does not serve the log. */
  truncated: boolean;
  /** Warnings and errors the service gave with its answers (a warning can mean partial results), or what the cloud does not serve. */
  notices: { kind: 'warning' | 'error' | 'unavailable'; text: string }[];
  retries: number;
  error: string | null;
}

export interface CollectionRunView {
  runId: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string | null;
  environment: string;
  account: string | null;
  error: string | null;
  /** A run that did not finish cleanly can be resumed from its checkpoints. */
  resumable: boolean;
  sources: SourceCompleteness[];
  /** Against the previous clean collection: objects that appeared, disappeared or changed. */
  changes: { entity: string; objectId: string; displayName: string | null; change: 'appeared' | 'disappeared' | 'modified'; fields: string[] | null }[];
}

export interface AppFlag {
  ruleId: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  title: string;
  /** Why, in words, with the values that matched. */
  reason: string;
  attack: string | null;
}

export interface ApplicationRow {
  id: string;
  appId: string;
  /** One of the engagement's own apps (by app id): shown as ours, its findings rated info. */
  ours: boolean;
  displayName: string;
  signInAudience: string | null;
  createdDateTime: string | null;
  publisherDomain: string | null;
  passwordCredentials: number;
  keyCredentials: number;
  /** Application permissions requested, as `resource: permission` in words. */
  permissions: string[];
  evidenceId: number;
  evidenceSha256: string;
  flags: AppFlag[];
}

export interface ExportResult {
  folderName: string;
  /** Where the folder is on this machine, to find it and hand it over. */
  folderPath: string;
  files: { name: string; sha256: string; bytes: number }[];
  signerFingerprint: string;
  custodyHead: string;
  /** Exact commands a client runs in the export folder to verify it without Peregrine. */
  verifyCommands: string[];
  /** A scoped export's filters (as its manifest states them), the events it holds and the case's; null: the whole timeline. */
  scope: { filter: Record<string, string | boolean | string[]>; words: string; events: number; caseEvents: number } | null;
}

/** An export made from this case, as its custody entry records it. */
export interface ExportRecord {
  seq: number;
  at: string;
  actor: string;
  folder: string;
  manifestSha256: string;
  files: number;
  signerFingerprint: string;
  /** A scoped export's filters in words, with the events it holds and the case's; null for every event. */
  scope: { words: string; events: number; caseEvents: number } | null;
  /** The folder on this machine when it is still in the case's exports folder (where the app writes); null when it was written elsewhere (the CLI's --out) or moved. */
  path: string | null;
}

/** An earlier export checked again as a client would (verify: signature, every file, custody up to the signed head). */
export interface ExportCheck {
  folder: string;
  ok: boolean;
  /** Whether the manifest's hash is still the one the custody entry recorded when it was written. */
  sameManifest: boolean;
  files: number;
  checkedAt: string;
  problems: { where: string; message: string }[];
}

/** The examiner's signing key as Settings and the export confirmation show it. Never a path or a secret. */
export interface SignerView {
  /** Who signs: the open case's examiner, else the name kept with the key. */
  identity: string | null;
  /** 'SHA256:…' as ssh-keygen -lf prints it; null before the first export makes the key. */
  fingerprint: string | null;
  /** How the private key is kept: under the OS keychain, under a passphrase, or (an older key, until next use) unencrypted. */
  protection: 'keychain' | 'passphrase' | 'unencrypted' | null;
  /** Signing needs a passphrase typed here (no secure OS keychain, none given to the host). */
  needsPassphrase: boolean;
  /** The host can choose key files (the desktop app's dialogs); the browser host cannot. */
  keyTransfer: boolean;
  /** Said once after a key found unencrypted was encrypted (and its plain file removed), else null. */
  notice: string | null;
}

export interface KeyTransferResult {
  /** File name only. */
  fileName: string;
  signer: SignerView;
}

export interface CustodyEntryView {
  seq: number;
  at: string;
  action: string;
  actor: string;
  summary: string;
  hash: string;
}


// ---- detection ----------------------------------------------------------------------------

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type Confidence = 'low' | 'medium' | 'high';
export const TRIAGE_STATES = ['open', 'confirmed', 'false_positive', 'needs_info'] as const;
export type TriageState = (typeof TRIAGE_STATES)[number];
/** The storyline of ATTACK.md, in kill-chain order. */
export const STAGES = ['initial-access', 'persistence', 'privilege', 'credentials', 'mail-flow', 'cleanup-cycles'] as const;
export type StageId = (typeof STAGES)[number];
export type RemediationPhase = 'contain' | 'eradicate' | 'recover' | 'verify' | 'harden';

/** A tenant object a finding rests on, as collected in one run, with the evidence page it came from. */
export interface FindingObject {
  kind: string;
  id: string;
  name: string | null;
  runId: string;
  evidenceId: number;
  evidenceSha256: string;
}

/** A timeline event a finding rests on (event table row), with the evidence page it came from. */
export interface FindingEvent {
  id: number;
  at: string;
  source: string;
  recordId: string;
  /** Normalised (lower case), what rules match on. */
  operation: string;
  /** As the source wrote it, e.g. 'New-InboundConnector': what the screens show. */
  rawOperation: string;
  result: string;
  actorUser: string | null;
  actorAppId: string | null;
  actorIp: string | null;
  targetName: string | null;
  evidenceId: number;
  evidenceSha256: string;
}

export type IocType = 'ip' | 'connector-sender-ip' | 'app-id' | 'service-principal-id' | 'account' | 'email' | 'object-name';
export interface Ioc {
  type: IocType;
  value: string;
  /** What it is, e.g. 'stuffing source', 'connector Ran_abcde accepts mail from it'. */
  context: string;
  /** The same as a key and its values, for a screen to say in its own language (`iocContext.<key>`). */
  contextPart?: ReasonPart;
}

export interface Triage {
  state: TriageState;
  note: string;
  /** Null while never triaged. */
  at: string | null;
  by: string | null;
}

/** One sentence of a finding's reason: which sentence, and the values it names (plain text and numbers only). */
export interface ReasonPart {
  key: string;
  values: Record<string, string | number>;
}

export interface Finding {
  /** Stable across detection runs and collections: rule id + subject id. Triage is keyed by it. */
  key: string;
  ruleId: string;
  title: string;
  severity: Severity;
  confidence: Confidence;
  /** MITRE ATT&CK technique ids. */
  attack: string[];
  /** What the rule looks for and why it matters, for the consultant. */
  explanation: string;
  /** Why this instance matched, with the values that matched. */
  reason: string;
  /**
   * The same reason as sentences with their values, for a screen to say in its own language (`findings.reason.<key>`);
   * absent where a rule gives its reason in English only.
   */
  reasonParts?: ReasonPart[];
  /** The checklist step that undoes it. */
  remediation: { phase: RemediationPhase; step: string };
  /** Third-party rules this one covers (vendor: title). */
  covers: string[];
  stage: StageId | null;
  /** `namePart`: the name as a key and values where main words it in English (`subjectName.<key>`). */
  subject: { type: string; id: string; name: string | null; namePart?: ReasonPart };
  firstAt: string | null;
  lastAt: string | null;
  objects: FindingObject[];
  events: FindingEvent[];
  iocs: Ioc[];
  triage: Triage;
  /**
   * About one of the engagement's own apps (matched by app id, never by name): kept for the record, rated info, and
   * left out of the storyline and the indicators.
   */
  ours: boolean;
}

export interface StorylineStage {
  id: StageId;
  title: string;
  /** Evidence supports this stage. */
  lit: boolean;
  at: string | null;
  summary: string;
  findingKeys: string[];
}

export interface RuleInfo {
  id: string;
  title: string;
  severity: Severity;
  attack: string[];
  covers: string[];
}

/** Peregrine's settings on this machine, as Settings shows them. */
export interface SettingsView {
  examiner: string;
  collectionClientId: string;
  remediationClientId: string;
  engagementAppIds: string[];
  breakGlass: string[];
  defaultTimeZone: string;
  /** After an update: whether the open case's custody recorded the change (null: no case open, or only read). */
  recordedInCase: boolean | null;
}

export interface DetectionReport {
  /** The collection the rules ran over (the newest clean one), or null when the case has none. */
  runId: string | null;
  collectedAt: string | null;
  findings: Finding[];
  storyline: StorylineStage[];
  rules: RuleInfo[];
  /** How long the rules took, for the status line. */
  elapsedMs: number;
}

export interface EvidenceRecordView {
  title: string;
  /** The record or object as re-read from its evidence page, pretty-printed JSON. */
  json: string;
  evidence: { id: number; sha256: string; source: string; url: string | null; collectedAt: string; bytes: number };
  /** Set when the stored row no longer matches what its evidence page derives to (the JSON is then the evidence's). */
  mismatch: string | null;
}

// ---- the timeline ----------------------------------------------------------------------------

/** One event of the case's timeline, as the Timeline screen shows it. */
export interface TimelineRowView {
  id: number;
  /** UTC ISO with milliseconds. */
  at: string;
  /** 'signin', 'directory_audit', 'ual', 'exchange', 'object', 'finding', 'custody'. */
  source: string;
  recordId: string;
  operation: string;
  result: string;
  actor: string | null;
  actorAppId: string | null;
  ip: string | null;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
  message: string;
  eventId: number | null;
  evidenceId: number | null;
  evidenceSha256: string | null;
  custodySeq: number | null;
  custodyHash: string | null;
  /** Keys of the findings the event supports. */
  findings: string[];
  /** The examiner has pinned it. */
  pinned: boolean;
}

/** A row's place in the (time, id) order: the key pages are read by. */
export interface TimelineCursorView {
  at: string;
  id: number;
}

export interface TimelinePageView {
  rows: TimelineRowView[];
  /** Pass as `before` for the rows before this page; null when there are none. */
  previous: TimelineCursorView | null;
  /** Pass as `after` for the rows after this page; null when there are none. */
  next: TimelineCursorView | null;
}

export interface TimelineBucketView {
  /** Start of the hour or day, UTC ISO. */
  start: string;
  counts: Record<string, number>;
  total: number;
}

/** The whole index at a glance: how many events, from when to when, which sources and results. */
export interface TimelineOverview {
  total: number;
  first: string | null;
  last: string | null;
  sources: { name: string; count: number }[];
  results: { name: string; count: number }[];
  /** When the index was last brought up to date with the case. */
  builtAt: string | null;
}

export interface TimelinePinView {
  seq: number;
  source: string;
  recordId: string;
  note: string;
  eventAt: string;
  evidenceSha256: string | null;
  /** When it was pinned, and by whom. */
  at: string;
  actor: string;
  /** The custody entry that records the pin. */
  custodySeq: number;
  custodyHash: string;
  /** The event's row in the index now (null if the index no longer holds it), and its message. */
  timelineId: number | null;
  message: string | null;
}

/** An event's raw record: as re-read from its evidence page when it has one, else the row (custody entry, finding) itself. */
export interface TimelineRecordView {
  row: TimelineRowView;
  title: string;
  /** Pretty-printed JSON. */
  json: string;
  evidence: EvidenceRecordView['evidence'] | null;
  mismatch: string | null;
  pin: TimelinePinView | null;
}

export interface IocFile {
  fileName: string;
  mediaType: string;
  content: string;
  count: number;
}


// ---- evidence browsing and the case overview ------------------------------------------------

/** A finding as an evidence row or panel names it (its rule id, so the screen gives the title in the interface language). */
export interface FindingLink {
  key: string;
  ruleId: string;
  title: string;
  severity: Severity;
}

/** One kind's table: its columns (headers come from the interface language), the collection it lists, and how many rows. */
export interface EvidenceKindView {
  kind: ObjectKindId;
  columns: { id: string; type: EvidenceColumnType }[];
  /** A narrowing offered as a checkbox (e.g. `forwarding`), or null. */
  toggle: string | null;
  runId: string | null;
  collectedAt: string | null;
  count: number;
}

export interface EvidenceObjectRow {
  objectId: string;
  name: string | null;
  values: Record<string, string | number | null>;
  findings: FindingLink[];
}

export interface EvidencePage {
  kind: ObjectKindId;
  runId: string | null;
  collectedAt: string | null;
  /** Rows that pass the filter, over every page. */
  total: number;
  offset: number;
  rows: EvidenceObjectRow[];
}

export type ObjectHistoryEvent = 'first-seen' | 'created' | 'changed' | 'unchanged' | 'removed' | 're-created' | 'absent';

export interface ObjectHistoryEntry {
  runId: string;
  collectedAt: string;
  event: ObjectHistoryEvent;
  objectId: string | null;
  name: string | null;
  fields: string[] | null;
  evidenceId: number | null;
  evidenceSha256: string | null;
}

export interface EvidenceObjectView {
  kind: ObjectKindId;
  objectId: string;
  name: string | null;
  runId: string;
  /** The record as collected (secrets left out), JSON text; the screen shows it as a tree. */
  raw: string;
  evidence: { id: number; sha256: string; source: string; url: string; collectedAt: string };
  findings: FindingLink[];
  history: ObjectHistoryEntry[];
}

/** A malicious object (one the findings name) and whether the newest collection still has it. */
export interface OverviewObject {
  kind: string;
  id: string;
  name: string | null;
  findings: FindingLink[];
  /** Live: in the newest collection. Removed: named by findings of an earlier collection, absent from the newest. */
  state: 'live' | 'removed';
  /** Removed: the newest collection that still had it. */
  lastSeenAt: string | null;
}

export interface CaseOverview {
  runId: string | null;
  collectedAt: string | null;
  /** Collections that finished cleanly, and all of them. */
  collections: { clean: number; total: number };
  objects: OverviewObject[];
  severities: Record<Severity, number>;
  untriaged: number;
  /** The custody log's length, head and newest entry (the last verification is the renderer's integrity status). */
  custody: { entries: number; head: string | null; lastEntryAt: string | null };
}

// ---- input schemas ----------------------------------------------------------------------

// ---- remediation (the Checklist screen) ---------------------------------------------------

export type ChecklistStepState = 'planned' | 'skipped' | 'done' | 'verified' | 'failed' | 'done-outside';
export type ChecklistOutcome = 'dry-run' | 'done' | 'verified' | 'already-absent' | 'failed' | 'changed' | 'skipped' | 'done-outside';

/** One request exactly as the step sends it: `PATCH /v1.0/servicePrincipals/…` with its JSON body, or a cmdlet and its parameters. */
export interface ChecklistRequestView {
  api: 'graph' | 'exchange';
  line: string;
  body: string | null;
}

export interface ChecklistItemView {
  key: string;
  target: { kind: string; id: string; name: string | null };
  /** The fields the step was planned on, as the newest collection shows them (JSON). */
  snapshot: string;
  read: ChecklistRequestView;
  writes: ChecklistRequestView[];
  powershell: string[];
  undo: { text: string; powershell: string[] } | null;
  outcome: ChecklistOutcome | null;
  at: string | null;
  note: string;
  beforeSha256: string | null;
  afterSha256: string | null;
}

export interface ChecklistTrailEntry {
  itemKey: string;
  outcome: ChecklistOutcome;
  note: string;
  at: string;
  actor: string;
  account: string | null;
  beforeSha256: string | null;
  afterSha256: string | null;
  custodySeq: number;
}

export interface ChecklistStepView {
  id: string;
  phase: RemediationPhase;
  order: number;
  action: string;
  title: string;
  why: string;
  /** The findings this step answers (the rule's id, so the screen can give its title in the interface language). */
  findings: { key: string; ruleId: string; title: string; severity: Severity }[];
  target: { kind: string; id: string; name: string | null };
  /** What the consultant types to confirm a destructive write: the object's name (its id when it has none). */
  confirmName: string;
  destructive: boolean;
  risk: 'low' | 'medium' | 'high';
  needs: { graphScopes: string[]; exchangeRoles: string[]; directoryRoles: string[] };
  /** Steps that must be verified or done first. */
  after: string[];
  /** Runs without requests: its proof is a new collection. */
  manualOnly: boolean;
  usesExchange: boolean;
  source: { runId: string; evidenceId: number | null; evidenceSha256: string | null };
  state: ChecklistStepState;
  items: ChecklistItemView[];
  trail: ChecklistTrailEntry[];
  /**
   * What the remediation sign-in lacks for this step; null before signing in. Exchange roles are judged from the
   * directory roles (Exchange or Global Administrator hold them all), each with the role groups that hold it.
   */
  preflight: { missingScopes: string[]; missingRoles: string[]; missingExchangeRoles: string[] } | null;
  /** Every finding behind it is medium or lower: it runs only on its own, with a confirmation of its own. */
  confirmSeparately: boolean;
  /** The title and note as data (the step's kind and its values), for the screen to word in its language; null for a plan recorded before. */
  text: { key: string; params: Record<string, string | number> } | null;
}

export interface ChecklistPhaseProgress {
  phase: RemediationPhase;
  total: number;
  verified: number;
  /** Done (written, not yet shown), done outside Peregrine or skipped: settled but not verified. */
  settled: number;
  failed: number;
}

export interface ChecklistProgress {
  total: number;
  verified: number;
  phases: ChecklistPhaseProgress[];
}

/** Progress and which steps answer which findings, read without recording anything (Start, Findings). */
export interface ChecklistOverview extends ChecklistProgress {
  links: { findingKey: string; stepId: string; title: string; state: ChecklistStepState }[];
}

export interface RemediationSignInView {
  graph: SignInState;
  exchange: SignInState;
  /** A pending step sends Exchange cmdlets: Exchange Online needs its own remediation sign-in. */
  needsExchange: boolean;
  /** The signed-in account's directory roles; null when not signed in or not readable. */
  roles: string[] | null;
}

export interface ChecklistView {
  steps: ChecklistStepView[];
  progress: ChecklistProgress;
  /** The collection the plan was made from; null without one. */
  runId: string | null;
  signIn: RemediationSignInView;
  /** The run in progress, if any. */
  running: RemediationRunView | null;
}

export interface RemediationItemRunView {
  /** The step the item belongs to (verify the checklist re-reads items of many steps). */
  stepId?: string;
  itemKey: string;
  target: { kind: string; id: string; name: string | null };
  outcome: ChecklistOutcome;
  note: string;
  unchanged: boolean;
}

export interface RemediationRunView {
  runId: string;
  stepId: string;
  /** verify: the checklist verified — every changed object read again live, then the newest collection. */
  mode: 'dry-run' | 'write' | 'verify';
  state: 'running' | 'finished' | 'blocked' | 'failed';
  startedAt: string;
  finishedAt: string | null;
  items: RemediationItemRunView[];
  /** Why the run stopped (a step that must come first, an error), in the consultant's words. */
  message: string | null;
  /** Temporary passwords this run set: handed over once by the first status read after they were made, then forgotten. */
  secrets: { itemKey: string; target: string; password: string }[];
  /**
   * verify: the newest collection against the checklist — whether it was made after the last change, and the high and
   * critical findings the checklist has not closed (each with why). Absent for step runs.
   */
  closing?: { recollection: 'after-changes' | 'before-changes' | 'none'; runId: string | null; standing: { key: string; ruleId: string; title: string; severity: Severity; reason: string }[]; closed: number };
}

/** Names, references and zones are printed on one line in custody, exports and VERIFY.txt: no line breaks or control characters. */
export const SINGLE_LINE = /^[^\p{Cc}\u2028\u2029]*$/u;
/** A tenant as Entra takes it: its id (a GUID) or a verified domain such as contoso.onmicrosoft.com. */
export const TENANT_PATTERN = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+)$/i;
/** The clouds a tenant can live in (main/auth/environment.ts names each one's endpoints). */
export const CLOUD_CHOICES = ['commercial', 'gcc', 'gcchigh', 'dod', 'china'] as const;
export const SINGLE_LINE_MESSAGE = 'must be a single line (no line breaks, tabs or other control characters)';
const text = (max: number) => z.string().trim().min(1).max(max).regex(SINGLE_LINE, SINGLE_LINE_MESSAGE);
const optionalText = (max: number) => z.string().trim().max(max).regex(SINGLE_LINE, SINGLE_LINE_MESSAGE).optional();

export const NewCaseInput = z.object({
  name: text(200),
  examiner: text(200),
  client: optionalText(200),
  reference: optionalText(200),
  timeZone: optionalText(64),
});
export type NewCaseInput = z.infer<typeof NewCaseInput>;

const Empty = z.object({}).strict();
/** How a delegated sign-in goes: the system browser (authorization code with PKCE) or a device code (the default, as before). */
const SignInStart = z.object({ method: z.enum(['browser', 'device-code']).optional() }).strict();
/** The signing key's passphrase, when the host has no secure keychain; never stored, logged or echoed. */
const passphrase = z.string().min(10, 'the passphrase must be at least 10 characters').max(1024);
export const KeyExportInput = z.object({ passphrase: passphrase.optional(), filePassphrase: passphrase }).strict();
export const KeyImportInput = z
  .object({
    passphrase: passphrase.optional(),
    filePassphrase: passphrase,
    replace: z.boolean(),
    /** Who the key signs for, kept with its public half: one line. */
    identity: z.string().trim().min(1, 'name the signer').max(200).regex(SINGLE_LINE, `the signer name ${SINGLE_LINE_MESSAGE}`),
  })
  .strict();
const CaseRef = z.object({ caseId: z.string().uuid() }).strict();
/**
 * Open a case file from disk. The desktop app picks it in its own dialog (no path from the page); the browser host
 * takes the path typed on the Start screen. `upgrade`: the examiner agreed to upgrade the received case that was
 * refused for needing it, so that same file is opened again and upgraded.
 */
export const OpenFileInput = z
  .object({
    path: z.string().trim().min(1, 'type the path of a case file').max(4096, 'is longer than any path').regex(SINGLE_LINE, SINGLE_LINE_MESSAGE).optional(),
    upgrade: z.boolean().optional(),
  })
  .strict();
const RunRef = z.object({ runId: z.string().uuid() }).strict();
/** PEM files are a few KB; 16 KB leaves room for a certificate chain and refuses anything else picked by mistake. */
const PEM_MAX = 16 * 1024;
const pem = (what: string, begin: RegExp, expected: string) =>
  z
    .string()
    .max(PEM_MAX, `the ${what} file is larger than 16 KB: choose the PEM file itself`)
    .regex(begin, `the ${what} file is not PEM text (expected ${expected})`);
/**
 * App-only sign-in with the engagement app the client created: its id, its certificate and that certificate's private
 * key, as the text of files the examiner picked. The key stays in main's memory: never stored, logged or echoed.
 */
export const AppOnlySignInInput = z
  .object({
    appId: z
      .string()
      .trim()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "must be the app registration's application (client) id, a GUID"),
    certificatePem: pem('certificate', /-----BEGIN CERTIFICATE-----/, '-----BEGIN CERTIFICATE-----'),
    privateKeyPem: pem('private key', /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/, '-----BEGIN PRIVATE KEY-----'),
  })
  .strict();
export type AppOnlySignInInput = z.infer<typeof AppOnlySignInInput>;

const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The Collect screen names a real tenant (its cloud, optionally the client id to sign in with), or goes back to the environment file. */
export const TenantChoiceInput = z.discriminatedUnion('source', [
  z.object({ source: z.literal('file') }).strict(),
  z
    .object({
      source: z.literal('tenant'),
      tenant: z.string().trim().min(1, 'name the tenant').max(253).regex(TENANT_PATTERN, "must be the tenant's id (a GUID) or a verified domain such as contoso.onmicrosoft.com"),
      cloud: z.enum(CLOUD_CHOICES),
      /** Empty: Settings' collection client, else Microsoft Graph Command Line Tools. */
      clientId: z.union([z.literal(''), z.string().trim().regex(GUID_TEXT, "must be an app registration's application (client) id, a GUID")]).default(''),
    })
    .strict(),
]);
export type TenantChoiceInput = z.input<typeof TenantChoiceInput>;

export const CollectOptions = z
  .object({
    /** Days of sign-ins and audits to read, up to now (0 skips them). Entra keeps 30 days on P1/P2, 7 on Free. */
    logDays: z.number().int().min(0).max(180).default(30),
    /** Also read Exchange Online (needs its own sign-in first). */
    exchange: z.boolean().default(false),
    /** Mailboxes whose inbox rules to read (with Exchange), by UPN or address. */
    inboxRuleMailboxes: z.array(z.string().trim().regex(/^[^\s@]+@[^\s@]+$/, 'must be a mailbox address')).max(500).default([]),
  })
  .strict();


export const EvidenceRef = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('event'), eventId: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal('object'), runId: z.string().uuid(), objectKind: z.string().regex(/^[A-Za-z]{2,40}$/), objectId: z.string().min(1).max(200) }).strict(),
]);
export const EvidenceListInput = z
  .object({
    kind: z.enum(OBJECT_KINDS),
    offset: z.number().int().min(0).max(10_000_000).default(0),
    limit: z.number().int().min(1).max(500).default(100),
    /** A column id of the kind, or `findings`; main refuses any other. */
    sort: z.string().regex(/^[A-Za-z]{1,40}$/, 'must be a column id').default('findings'),
    dir: z.enum(['asc', 'desc']).default('desc'),
    filter: z.string().max(200).default(''),
    toggle: z.boolean().default(false),
    flaggedOnly: z.boolean().default(false),
  })
  .strict();
export const EvidenceObjectInput = z
  .object({ kind: z.enum(OBJECT_KINDS), objectId: z.string().min(1).max(400), runId: z.string().uuid().optional() })
  .strict();
export const TriageInput = z
  .object({
    key: z.string().min(3).max(300),
    state: z.enum(TRIAGE_STATES),
    note: z.string().max(4000).default(''),
  })
  .strict();
export const IocExportInput = z.object({ format: z.enum(['csv', 'stix']) }).strict();
/** Settings fields to change (the rest stay); main checks each value again (ids, accounts, time zone). */
export const SettingsUpdateInput = z
  .object({
    examiner: z.string().max(200).optional(),
    collectionClientId: z.string().max(64).optional(),
    remediationClientId: z.string().max(64).optional(),
    engagementAppIds: z.array(z.string().max(64)).max(50).optional(),
    breakGlass: z.array(z.string().max(320)).max(50).optional(),
    defaultTimeZone: z.string().max(64).optional(),
  })
  .strict();

/** `<action>:<object id>` as the plan makes it. */
const StepId = z
  .string()
  .min(3)
  .max(300)
  .regex(/^[a-z][a-z.-]*:[^\s]+$/, 'must be a checklist step id (<action>:<object id>)');
export const RemediationSignInInput = z.object({ service: z.enum(['graph', 'exchange']), method: z.enum(['browser', 'device-code']).optional() }).strict();
export const RemediationRunInput = z
  .object({
    stepId: StepId,
    /** A dry run unless asked to write. */
    mode: z.enum(['dry-run', 'write']).default('dry-run'),
    /** A destructive write: the object's name as the consultant typed it (checked in main). */
    confirmName: z.string().max(400).optional(),
    /** A step only medium or lower findings call for: the consultant confirmed it on its own (checked in main). */
    confirmSeparately: z.boolean().optional(),
  })
  .strict();
export const RemediationRunRef = z.object({ runId: z.string().uuid() }).strict();
export const RemediationNoteInput = z
  .object({
    stepId: StepId,
    note: z.string().trim().min(1, 'say why (a reason or what was done, by whom)').max(2000),
  })
  .strict();

/** A time the timeline reads: an ISO 8601 date or date-time (main normalises it to UTC and names the field it refuses). */
const TimelineTime = z.string().trim().max(40).regex(/^\d{4}-\d\d-\d\d([T ][0-9:.]+(Z|[+-]\d\d:?\d\d)?)?$/, 'must be an ISO 8601 date or time, e.g. 2024-05-01 or 2024-05-01T10:00:00Z');
const TimelineText = z.string().trim().max(400).regex(SINGLE_LINE, SINGLE_LINE_MESSAGE);
const FindingKey = z.string().min(3).max(300);
export const TimelineFilterInput = z
  .object({
    from: TimelineTime.optional(),
    to: TimelineTime.optional(),
    sources: z.array(z.string().regex(/^[a-z][a-z_]{0,39}$/, 'must be a source name such as signin or ual')).max(20).optional(),
    operation: TimelineText.optional(),
    actor: TimelineText.optional(),
    ip: TimelineText.optional(),
    target: TimelineText.optional(),
    result: TimelineText.optional(),
    supporting: z.boolean().optional(),
    finding: FindingKey.optional(),
    findings: z.array(FindingKey).max(200).optional(),
    ioc: TimelineText.optional(),
    search: TimelineText.optional(),
  })
  .strict();
/** Which events the timeline shows: every field optional, all given must hold (main/timeline/query.ts). */
export type TimelineFilter = z.input<typeof TimelineFilterInput>;
/** `scope`: the timeline's filters to cut the exported timeline by (the Timeline screen's "Export these events"); absent: every event. `lang`: FINDINGS.md's language. */
export const ExportInput = z.object({ passphrase: passphrase.optional(), scope: TimelineFilterInput.optional(), lang: z.enum(['en', 'ja']).optional() }).strict();
/** An earlier export, by its folder's name as its custody entry records it (never a path). */
export const ExportFolderInput = z.object({ folder: z.string().min(1).max(255).regex(/^[^/\\]+$/, 'a folder name, not a path') }).strict();
const TimelineCursor = z.object({ at: TimelineTime, id: z.number().int().nonnegative() }).strict();
export const TimelinePageInput = z
  .object({
    filter: TimelineFilterInput.default({}),
    limit: z.number().int().min(1).max(1000).default(200),
    after: TimelineCursor.optional(),
    before: TimelineCursor.optional(),
    /** Neither cursor: the first page, or with `last` the last one. */
    last: z.boolean().optional(),
  })
  .strict();
export const TimelineHistogramInput = z
  .object({ filter: TimelineFilterInput.default({}), bucket: z.enum(['hour', 'day']), split: z.enum(['source', 'result']) })
  .strict();
export const TimelineCountInput = z.object({ filters: z.array(TimelineFilterInput).min(1).max(60) }).strict();
export const TimelineRowRef = z.object({ id: z.number().int().positive() }).strict();
export const TimelinePinInput = z
  .object({ id: z.number().int().positive(), note: z.string().trim().min(1, 'say why the event matters').max(2000) })
  .strict();
export const TimelineUnpinInput = z
  .object({ source: z.string().regex(/^[a-z][a-z_]{0,39}$/), recordId: z.string().min(1).max(400), note: z.string().trim().max(2000).default('') })
  .strict();
// ---- import (files a client exported) ----------------------------------------------------------

/** A file of an import as the renderer sees it: its name (never its path), what it was told to be, and its count. */
export interface ImportFileView {
  name: string;
  size: number;
  /** Format id (see `peregrine import --help`) and its name in words. */
  format: string;
  label: string;
  detectedBy: 'content' | 'override';
  container: string;
  encoding: string;
  dateFormat: string | null;
  /** Records read (after the plan's dry run) or stored; null until read. */
  records: number | null;
  sha256: string | null;
  /** Why nothing of it was stored (already in the case), or null. */
  skipped: string | null;
}

export interface ImportJobView {
  jobId: string;
  /** planning: formats told, every record read without writing; planned: counts known, nothing written; importing: storing. */
  phase: 'planning' | 'planned' | 'importing' | 'done' | 'failed' | 'cancelled';
  files: ImportFileView[];
  progress: { file: string; fileIndex: number; files: number; bytes: number; totalBytes: number; records: number; elapsedMs: number } | null;
  /** After an import: the run the records were stored under (null when every file was already in the case). */
  result: { runId: string | null; records: number; window: { from: string; to: string } | null } | null;
  /** Why it stopped: the file, line and field when known. Nothing was written. */
  error: { message: string; code: string; file: string | null; line: number | null; field: string | null } | null;
}

export const ImportPlanInput = z
  .object({
    /** Browser host only: the files or folders to import, as paths on the machine serving the UI. The app asks main's open dialog. */
    paths: z.array(z.string().min(1).max(4096).regex(SINGLE_LINE, `a path ${SINGLE_LINE_MESSAGE}`)).min(1).max(200).optional(),
    /** A format id, when the content does not say (checked in main). */
    format: z.string().regex(/^[a-z0-9-]{2,40}$/).optional(),
    /** How an audit search CSV writes its dates (checked in main). */
    dateFormat: z.string().max(20).optional(),
  })
  .strict();
export const ImportRef = z.object({ jobId: z.string().uuid() }).strict();
export const ImportStartInput = z
  .object({
    jobId: z.string().uuid(),
    /** Who handed the files over, when and how: recorded in custody with each file. */
    note: z.string().trim().min(1, 'say who handed the files over').max(2000),
    /** A collection script's folder: the app ids of the examiner's own apps in the tenant (as a live collection records them). */
    engagementApps: z.array(z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'an app id (a GUID)')).max(20).optional(),
  })
  .strict();

// ---- the contract -------------------------------------------------------------------------

/** One entry per bridge method: `namespace.method`. `output` is a phantom for typing only. */
function channel<I extends z.ZodType, O>(input: I) {
  return { input, output: undefined as unknown as O };
}

export const contract = {
  app: {
    info: channel<typeof Empty, { version: string; host: 'electron' | 'browser'; environment: EnvironmentSummary | null }>(Empty),
  },
  case: {
    recent: channel<typeof Empty, RecentCase[]>(Empty),
    create: channel<typeof NewCaseInput, CaseSummary>(NewCaseInput.strict()),
    open: channel<typeof CaseRef, CaseSummary>(CaseRef),
    /** Opens a case file chosen from disk; one received from someone else is verified first and the result returned. */
    openFile: channel<typeof OpenFileInput, OpenedCase>(OpenFileInput),
    /** The open case's received status as found when it was opened from disk; null for a case of one's own. */
    received: channel<typeof Empty, ReceivedCaseView | null>(Empty),
    current: channel<typeof Empty, CaseSummary | null>(Empty),
    close: channel<typeof Empty, null>(Empty),
    verify: channel<typeof Empty, IntegrityStatus>(Empty),
    custody: channel<typeof Empty, CustodyEntryView[]>(Empty),
  },
  auth: {
    start: channel<typeof SignInStart, SignInState>(SignInStart),
    status: channel<typeof Empty, SignInState>(Empty),
    signOut: channel<typeof Empty, SignInState>(Empty),
    /** Exchange Online issues its own tokens to its own public client: a second device code. */
    startExchange: channel<typeof SignInStart, SignInState>(SignInStart),
    exchangeStatus: channel<typeof Empty, SignInState>(Empty),
    /** App-only with the engagement app's certificate: replaces any device-code sign-in and serves Graph and Exchange. */
    startAppOnly: channel<typeof AppOnlySignInInput, SignInState>(AppOnlySignInInput),
    /** The tenant sign-ins go to, and the environment file to go back to. */
    tenant: channel<typeof Empty, TenantView>(Empty),
    /** Names the tenant (and its cloud, and the client to sign in with), signing out of the one before. */
    chooseTenant: channel<typeof TenantChoiceInput, TenantView>(TenantChoiceInput),
  },
  collect: {
    start: channel<typeof CollectOptions, CollectionStatus>(CollectOptions),
    status: channel<typeof RunRef, CollectionStatus>(RunRef),
    cancel: channel<typeof RunRef, null>(RunRef),
    resume: channel<typeof RunRef, CollectionStatus>(RunRef),
    runs: channel<typeof Empty, CollectionRunView[]>(Empty),
    preflight: channel<typeof CollectOptions, PreflightView>(CollectOptions),
  },
  evidence: {
    applications: channel<typeof Empty, ApplicationRow[]>(Empty),
    /** Each evidence kind's columns, the collection its screen lists and how many rows it has. */
    kinds: channel<typeof Empty, EvidenceKindView[]>(Empty),
    /** One page of one kind, sorted and filtered in main (a table is never sent whole). */
    list: channel<typeof EvidenceListInput, EvidencePage>(EvidenceListInput),
    /** One object: its raw record, evidence row, the findings naming it and its history across collections. */
    object: channel<typeof EvidenceObjectInput, EvidenceObjectView>(EvidenceObjectInput),
    /** The case at a glance: what is live and removed, completeness, custody. */
    overview: channel<typeof Empty, CaseOverview>(Empty),
  },
  findings: {
    list: channel<typeof Empty, DetectionReport>(Empty),
    evidence: channel<typeof EvidenceRef, EvidenceRecordView>(EvidenceRef),
    triage: channel<typeof TriageInput, Triage>(TriageInput),
    iocs: channel<typeof IocExportInput, IocFile>(IocExportInput),
  },
  export: {
    run: channel<typeof ExportInput, ExportResult>(ExportInput),
    /** Every export made from the open case (its custody entries), newest first, with where each folder is. */
    history: channel<typeof Empty, ExportRecord[]>(Empty),
    /** Checks an earlier export in the case's exports folder again, as the client's verify would. */
    verify: channel<typeof ExportFolderInput, ExportCheck>(ExportFolderInput),
    /** The key exports are signed with (Settings, export confirmation). */
    signer: channel<typeof Empty, SignerView>(Empty),
    /** Desktop app only: writes the key, encrypted under filePassphrase, where main's save dialog says; null if cancelled. */
    exportKey: channel<typeof KeyExportInput, KeyTransferResult | null>(KeyExportInput),
    /** Desktop app only: makes the key in the file main's open dialog picks the examiner key; null if cancelled. */
    importKey: channel<typeof KeyImportInput, KeyTransferResult | null>(KeyImportInput),
  },
  settings: {
    get: channel<typeof Empty, SettingsView>(Empty),
    /** Saves the settings outside every case; the engagement's apps and untouchable accounts go into the open case's custody. */
    update: channel<typeof SettingsUpdateInput, SettingsView>(SettingsUpdateInput),
  },
  import: {
    /** Tells each file's format and reads every record without writing (the counts); poll status. */
    plan: channel<typeof ImportPlanInput, ImportJobView>(ImportPlanInput),
    status: channel<typeof ImportRef, ImportJobView>(ImportRef),
    /** Stores a planned import in the case as one run (all or nothing); poll status. */
    start: channel<typeof ImportStartInput, ImportJobView>(ImportStartInput),
    cancel: channel<typeof ImportRef, ImportJobView>(ImportRef),
  },
  remediate: {
    /** The checklist of the newest collection, recorded in the case when new or changed, with each step's state. */
    checklist: channel<typeof Empty, ChecklistView>(Empty),
    /** Steps verified per phase and the step of each finding, for Start and Findings (nothing recorded). */
    progress: channel<typeof Empty, ChecklistOverview>(Empty),
    /** The remediation sign-in, separate from collection's, with the write scopes the pending steps need. */
    signIn: channel<typeof RemediationSignInInput, RemediationSignInView>(RemediationSignInInput),
    signInStatus: channel<typeof Empty, RemediationSignInView>(Empty),
    signOut: channel<typeof Empty, RemediationSignInView>(Empty),
    /** Starts a step (a dry run by default) in the background; poll runStatus. */
    run: channel<typeof RemediationRunInput, RemediationRunView>(RemediationRunInput),
    runStatus: channel<typeof RemediationRunRef, RemediationRunView>(RemediationRunRef),
    /** Verify the checklist in the background: every changed object read again live, then the newest collection; poll runStatus. */
    verify: channel<typeof Empty, RemediationRunView>(Empty),
    /** Done outside Peregrine, with a note: never shown as verified until a collection proves it. */
    markDone: channel<typeof RemediationNoteInput, ChecklistStepView>(RemediationNoteInput),
    skip: channel<typeof RemediationNoteInput, ChecklistStepView>(RemediationNoteInput),
  },
  timeline: {
    /** The index at a glance (brought up to date with the case first). */
    overview: channel<typeof Empty, TimelineOverview>(Empty),
    /** One page in time order, by key: after or before a row, or the first or last page. */
    page: channel<typeof TimelinePageInput, TimelinePageView>(TimelinePageInput),
    /** Events per hour or day, split by source or result. */
    histogram: channel<typeof TimelineHistogramInput, TimelineBucketView[]>(TimelineHistogramInput),
    /** How many events match each filter (the "N events" links of Findings). */
    count: channel<typeof TimelineCountInput, number[]>(TimelineCountInput),
    record: channel<typeof TimelineRowRef, TimelineRecordView>(TimelineRowRef),
    pins: channel<typeof Empty, TimelinePinView[]>(Empty),
    /** Pins an event with a note: a custody entry. */
    pin: channel<typeof TimelinePinInput, TimelinePinView>(TimelinePinInput),
    /** Removes a pin: a custody entry too (the pin stays in the history). */
    unpin: channel<typeof TimelineUnpinInput, null>(TimelineUnpinInput),
  },
} as const;

export type Contract = typeof contract;
export type Namespace = keyof Contract;
export type ChannelName = { [N in Namespace]: `${N}.${keyof Contract[N] & string}` }[Namespace];

type InputOf<C> = C extends { input: infer I extends z.ZodType } ? z.input<I> : never;
type OutputOf<C> = C extends { output: infer O } ? O : never;

/** The bridge as the renderer sees it: one async function per channel, answering a Result. */
export type Bridge = {
  [N in Namespace]: {
    [M in keyof Contract[N]]: (input: InputOf<Contract[N][M]>) => Promise<Result<OutputOf<Contract[N][M]>>>;
  };
};

/** Server-side handlers: parsed input in, value out (throw a HandlerError for a clean refusal). */
export type Handlers = {
  [N in Namespace]: {
    [M in keyof Contract[N]]: (input: z.output<Contract[N][M] extends { input: infer I extends z.ZodType } ? I : never>) => Promise<OutputOf<Contract[N][M]>>;
  };
};

/** Every channel name, in contract order: both transports build their bridge from this list. */
export const channelNames: ChannelName[] = (Object.keys(contract) as Namespace[]).flatMap((ns) =>
  Object.keys(contract[ns]).map((m) => `${ns}.${m}` as ChannelName),
);

export function channelSchema(name: string): z.ZodType | null {
  const [ns, method] = name.split('.');
  if (!ns || !method || !Object.hasOwn(contract, ns)) return null;
  const group = contract[ns as Namespace] as Record<string, { input: z.ZodType }>;
  return Object.hasOwn(group, method) ? group[method]!.input : null;
}

/** The IPC channel prefix; the renderer never sees raw channel strings. */
export const IPC_PREFIX = 'peregrine:';
