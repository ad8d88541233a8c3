// Main process / CLI: remediation steps for mail flow: the connector, the header-stripping rules, forwarding and inbox rules.
import type { DraftStep, PlanContext } from './context';

export function mailSteps(_ctx: PlanContext): DraftStep[] {
  return [];
}
