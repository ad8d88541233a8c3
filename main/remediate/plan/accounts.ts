// Main process / CLI: remediation steps for accounts that were taken: sessions, password, MFA.
import type { DraftStep, PlanContext } from './context';

export function accountSteps(_ctx: PlanContext): DraftStep[] {
  return [];
}
