// Main process / CLI / workers: what a detection rule is and what it returns; the engine turns hits into findings.
import type { Database } from 'better-sqlite3';
import type { Confidence, Finding, FindingObject, Ioc, ReasonPart, RemediationPhase, Severity, StageId } from '../../preload/contract';
import type { DetectContext } from './context';

export interface Hit {
  /** What the finding is about: its id makes the finding key (rule id + subject id). */
  subject: { type: string; id: string; name: string | null; namePart?: ReasonPart };
  severity: Severity;
  confidence?: Confidence;
  /** Why this instance matched, with the values that matched. */
  reason: string;
  /** The reason's sentences as keys and values, for the screens' other languages (see Finding.reasonParts). */
  reasonParts?: ReasonPart[];
  objects: FindingObject[];
  /** event.id of every event that proves it. */
  eventIds: number[];
  iocs: Ioc[];
  /** Overrides the rule's stage for this hit (a rule can support two stages). */
  stage?: StageId | null;
}

export interface Rule {
  id: string;
  title: string;
  /** What the rule looks for and why it matters, for the consultant. */
  explanation: string;
  /** The highest severity the rule gives; each hit carries its own. */
  severity: Severity;
  confidence: Confidence;
  attack: string[];
  remediation: { phase: RemediationPhase; step: string };
  /** Third-party rules (../shared/corpus/rules) this one covers: `vendor: title`. */
  covers: string[];
  stage: StageId | null;
  /** `prior` holds the findings of every rule that ran before it (correlations run last). */
  evaluate(ctx: DetectContext, prior: readonly Finding[]): Hit[];
}

export type { Database };

export const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
