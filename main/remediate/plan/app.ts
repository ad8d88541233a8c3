// Main process / CLI: remediation steps for the malicious app: disable, strip credentials, roles, grants and owners, delete.
import type { DraftStep, PlanContext } from './context';

export function appSteps(_ctx: PlanContext): DraftStep[] {
  return [];
}
