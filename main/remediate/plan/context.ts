// Main process / CLI: what a step generator reads — the newest collection, the findings still standing, and what must never be touched.
import type { Database } from 'better-sqlite3';
import type { DetectionReport, Finding } from '../../../preload/contract';
import { getRun } from '../../../db/queries/runs';
import { createContext as createDetectContext, type DetectContext } from '../../detect/context';
import type { PlannedStep } from '../model';

/** Never touched by a plan, whatever the findings say. Matched by id (object id, app id) or UPN, never by display name. */
export interface Exclusions {
  /** The account doing the remediation, break-glass accounts: object ids or user principal names. */
  accounts: readonly string[];
  /** Peregrine's own engagement and remediation apps (and any other app the consultant protects): app ids. */
  appIds: readonly string[];
}

export interface PlanInput {
  db: Database;
  /** The findings of the newest collection, with their triage (detect(db)). */
  report: DetectionReport;
  exclude: Exclusions;
}

export interface PlanContext {
  db: Database;
  /** The newest collection's detection context: its applications, service principals and tenant objects. */
  collection: DetectContext;
  runId: string;
  /** Findings a step may act on: every finding not triaged false positive. */
  findings: readonly Finding[];
  findingsOf(...ruleIds: string[]): Finding[];
  isExcludedAccount(idOrUpn: string | null | undefined): boolean;
  isExcludedApp(appId: string | null | undefined): boolean;
}

/** A step as a generator makes it; the plan gives it its place in the checklist. */
export type DraftStep = Omit<PlannedStep, 'order' | 'text'> & { text: NonNullable<PlannedStep['text']> };

/** One area of the checklist (the malicious app, mail flow, accounts, hardening): its steps from the findings. */
export type StepGenerator = (ctx: PlanContext) => DraftStep[];

export function planContext(input: PlanInput): PlanContext | null {
  const runId = input.report.runId;
  if (!runId) return null;
  const run = getRun(input.db, runId);
  if (!run) return null;
  const findings = input.report.findings.filter((f) => f.triage.state !== 'false_positive');
  const accounts = new Set(input.exclude.accounts.map((a) => a.toLowerCase()));
  const appIds = new Set(input.exclude.appIds.map((a) => a.toLowerCase()));
  return {
    db: input.db,
    collection: createDetectContext(input.db, run),
    runId,
    findings,
    findingsOf: (...ruleIds) => findings.filter((f) => ruleIds.includes(f.ruleId)),
    isExcludedAccount: (v) => !!v && accounts.has(v.toLowerCase()),
    isExcludedApp: (v) => !!v && appIds.has(v.toLowerCase()),
  };
}
