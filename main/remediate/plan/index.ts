// Main process / CLI: the remediation plan — every area's steps from the findings still standing, in checklist order.
import { PHASES, type PlannedStep } from '../model';
import { planContext, type PlanInput, type StepGenerator } from './context';
import { appSteps } from './app';
import { mailSteps } from './mail';
import { exchangeAccessSteps } from './exchange-access';
import { accountSteps } from './accounts';
import { hardeningSteps } from './harden';
import { isStrong } from './build';

export type { Exclusions, PlanInput } from './context';

/** Areas in the order their steps are listed within a phase. */
const GENERATORS: readonly StepGenerator[] = [appSteps, exchangeAccessSteps, mailSteps, accountSteps, hardeningSteps];

/**
 * The checklist for the case's newest collection: one step per object, phases in order (contain → eradicate →
 * recover → verify → harden), each area's steps in the order its generator gives them; a step only medium or lower
 * findings call for is marked to be confirmed separately. Empty when the case has no
 * collection. Deterministic: the same case gives the same plan, byte for byte.
 */
export function planRemediation(input: PlanInput): PlannedStep[] {
  const ctx = planContext(input);
  if (!ctx) return [];
  const drafts = GENERATORS.flatMap((generate) => generate(ctx));
  const seen = new Set<string>();
  for (const d of drafts) {
    if (seen.has(d.id)) throw new Error(`Two remediation steps have the id ${d.id}: a generator planned the same object twice.`);
    seen.add(d.id);
  }
  const strong = new Set(ctx.findings.filter(isStrong).map((f) => f.key));
  return drafts
    .map((d, index) => ({ d, index }))
    .sort((a, b) => PHASES.indexOf(a.d.phase) - PHASES.indexOf(b.d.phase) || a.index - b.index)
    .map(({ d }, order) => ({ ...d, order: order + 1, confirmSeparately: d.findingKeys.length > 0 && !d.findingKeys.some((k) => strong.has(k)) }));
}
