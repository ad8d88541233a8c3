// Main process / CLI: the remediation checklist's model — a step, the exact requests it may send, how it is proved,
// and the states it goes through. The plan (plan.ts), the guarded executor (engine.ts), the PowerShell script
// (powershell.ts) and the Checklist screen all read this one shape, so what is shown is what is sent.

/** The order a consultant works in: stop the bleeding, remove, give accounts back, prove it, make it not happen again. */
export const PHASES = ['contain', 'eradicate', 'recover', 'verify', 'harden'] as const;
export type Phase = (typeof PHASES)[number];

/** Every kind of step the plan can hold; each has one generator in plan.ts and one PowerShell form in powershell.ts. */
export const ACTIONS = [
  // The malicious app (contain, then eradicate).
  'sp.disable',
  'app.remove-passwords',
  'app.remove-certificates',
  'sp.remove-app-roles',
  'sp.remove-directory-roles',
  'sp.revoke-grants',
  'app.remove-owners',
  'app.delete',
  // What Exchange grants beside the directory: the app's RBAC role assignments (eradicate), a mailbox-audit exemption (recover).
  'exo.remove-app-role-assignments',
  'exo.disable-audit-bypass',
  // Mail flow (eradicate).
  'exo.remove-inbound-connector',
  'exo.remove-transport-rules',
  'exo.remove-mailbox-forwarding',
  'exo.remove-inbox-rules',
  // Accounts that were taken (recover).
  'user.revoke-sessions',
  'user.reset-password',
  'user.require-mfa',
  // Proof (verify): a new collection.
  'case.recollect',
  // Hardening.
  'tenant.security-defaults',
  'ca.admin-mfa-report-only',
  'ca.admin-mfa-enforce',
  'ca.block-attacker-addresses',
  'exo.enable-audit',
] as const;
export type ActionKind = (typeof ACTIONS)[number];

export type Api = 'graph' | 'exchange';

/**
 * One request, exactly as it will be sent. Graph paths are relative to the cloud's Graph host and start with the
 * version (`/v1.0/servicePrincipals/…`, `/beta/…`); an Exchange request is always `POST …/InvokeCommand` and is
 * named here by its cmdlet and parameters alone (the engine builds the URL from the tenant and cloud).
 *
 * A value the tenant only gives while the step runs (the id of a policy the step before created) is written
 * `{{ref:<stepId>/<itemKey>/<field>}}` and resolved from that step's recorded result before the guard sees the request.
 * A secret made while the step runs (a temporary password) is written `{{secret:password}}`: generated locally,
 * sent once, shown once, and replaced by `[redacted]` in evidence, custody and logs.
 */
export type RemediationRequest =
  | { api: 'graph'; method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: Record<string, unknown> }
  | { api: 'exchange'; cmdlet: string; parameters: Record<string, unknown> };

/** What the live object must look like for the step to count as verified (read with the item's `read`). */
export type Expectation =
  /** The read answers 404 (Graph) or "couldn't be found" (Exchange). */
  | { absent: true }
  /** Each path (dotted, into the read's JSON object) equals the value (JSON equality; null matches a missing field). */
  | { equals: Record<string, unknown> }
  /** The list at `path` holds no element whose `field` is `value` (a removed credential, grant, owner). */
  | { listLacks: { path: string; field: string; value: string } }
  /** The date-time at `path` is at or after the moment the write was sent (sessions revoked, password changed). */
  | { notBefore: { path: string } };

/** One object a step changes. A bulk step (12 transport rules) has one item per object, each with its own result. */
export interface StepItem {
  /** Stable within the step: the object's id (or key id, rule identity). */
  key: string;
  target: { kind: string; id: string; name: string | null };
  /** The live read taken before the write (the snapshot, hashed as evidence) and again after it (the proof). */
  read: RemediationRequest;
  /**
   * The fields of the read that the step was planned on (dotted paths → values from the newest collection). Before
   * writing, the live read must still show these; otherwise the step stops and says what changed.
   */
  plannedOn: Record<string, unknown>;
  /** The writes, in order. The write guard admits exactly these for this item and nothing else. */
  writes: RemediationRequest[];
  expect: Expectation;
  /** The same change as PowerShell (Microsoft Graph PowerShell / ExchangeOnlineManagement), runnable as written. */
  powershell: string[];
  /** How to put it back, or null where nothing can (a removed secret cannot be restored). */
  undo: { text: string; powershell: string[] } | null;
}

export type Risk = 'low' | 'medium' | 'high';

export interface PlannedStep {
  /** `<action>:<object id>`: stable across re-plans, so a step keeps its history when the plan is made again. */
  id: string;
  phase: Phase;
  /** Position in the checklist (phases first, then this). */
  order: number;
  action: ActionKind;
  /** One line, the object named: "Disable the service principal of Ran_Mail_Sync". */
  title: string;
  /** Why, in the consultant's words, citing what the findings showed. */
  why: string;
  /** Keys of the findings (not dismissed as false positive) that call for this step. */
  findingKeys: string[];
  /** The object the step is about (a bulk step: the owner of its items, e.g. the app or the tenant). */
  target: { kind: string; id: string; name: string | null };
  items: StepItem[];
  /** Least privilege: what the signed-in account's token and directory roles must hold. */
  needs: { graphScopes: string[]; exchangeRoles: string[]; directoryRoles: string[] };
  risk: Risk;
  /** Deletes or overwrites something: the screen asks for the object's name to be typed, the CLI for --yes. */
  destructive: boolean;
  /** Ids of steps that must be verified (or done) first, e.g. enforce after report-only. */
  after: string[];
  /**
   * Every finding behind the step is medium or lower (a lead such as forwarding a person may have set up themselves):
   * a phase run never executes it; it runs only on its own, confirmed separately (CLI --confirm-separately, a tick in
   * the Checklist). Absent in plans recorded before this was asked.
   */
  confirmSeparately?: boolean;
  /**
   * The title and note as data: an i18n key (the step's kind, or a variant of it) and the values they name, so the
   * Checklist words them in its language. `title` and `why` stay the English record. Absent in older plans.
   */
  text?: { key: string; params: Record<string, string | number> };
  /** Evidence the plan was made from: the collection run and the evidence page of the object. */
  source: { runId: string; evidenceId: number | null; evidenceSha256: string | null };
}

/** What happened to an item (the latest wins; every one is a custody entry). */
export const OUTCOMES = ['dry-run', 'done', 'verified', 'already-absent', 'failed', 'changed', 'skipped', 'done-outside'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A step's state, folded from its items' latest outcomes. */
export type StepState = 'planned' | 'skipped' | 'done' | 'verified' | 'failed' | 'done-outside';

export interface ItemResult {
  key: string;
  outcome: Outcome | null;
  at: string | null;
  note: string;
  /** sha256 of the live read before the write, and after it. */
  beforeSha256: string | null;
  afterSha256: string | null;
}

export interface StepStatus {
  id: string;
  state: StepState;
  items: ItemResult[];
}

/**
 * A step's state from its items: verified when every item is verified or already absent; failed when one failed or
 * changed since planning; skipped when every item is skipped; done-outside when one was done outside Peregrine and
 * none is failed (never shown as verified until a collection proves it); done when all items are written; else planned.
 */
export function stepState(items: readonly ItemResult[]): StepState {
  const outcomes = items.map((i) => i.outcome);
  if (outcomes.length === 0) return 'planned';
  if (outcomes.some((o) => o === 'failed' || o === 'changed')) return 'failed';
  if (outcomes.every((o) => o === 'verified' || o === 'already-absent')) return 'verified';
  if (outcomes.every((o) => o === 'skipped')) return 'skipped';
  if (outcomes.some((o) => o === 'done-outside')) return 'done-outside';
  if (outcomes.every((o) => o === 'done' || o === 'verified' || o === 'already-absent' || o === 'skipped')) return 'done';
  return 'planned';
}

export function phaseRank(phase: Phase): number {
  return PHASES.indexOf(phase);
}
