// Main process / CLI: remediation steps for hardening: security defaults or conditional access, blocked addresses, auditing.
import type { DraftStep, PlanContext } from './context';

export function hardeningSteps(_ctx: PlanContext): DraftStep[] {
  return [];
}
