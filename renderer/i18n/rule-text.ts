// Renderer and main (the hand-over files): a finding's rule texts (title, explanation, remediation step) in a
// language. English is what main's rules say; Japanese comes from rules-ja.ts.
import type { Finding } from '../../preload/contract';
import { RULES_JA, type RuleText } from './rules-ja';

export type RuleFields = Pick<Finding, 'ruleId' | 'title'> & Partial<Pick<Finding, 'explanation' | 'remediation'>>;

export function ruleText(language: string, f: RuleFields): RuleText {
  const ja = language.startsWith('ja') ? RULES_JA[f.ruleId] : undefined;
  return ja ?? { title: f.title, explanation: f.explanation ?? '', step: f.remediation?.step ?? '' };
}
