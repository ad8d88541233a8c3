// Renderer: a finding's rule texts (title, explanation, remediation step) and the storyline's stage titles in the
// interface language. English is what main sends; Japanese comes from rules-ja.ts. The reason a rule gives for one
// finding is made of the evidence's own values and stays as main wrote it.
import { useTranslation } from 'react-i18next';
import type { Finding, StageId } from '../../preload/contract';
import { RULES_JA, STAGE_TITLES_JA, type RuleText } from './rules-ja';

export function ruleText(language: string, f: Pick<Finding, 'ruleId' | 'title' | 'explanation' | 'remediation'>): RuleText {
  const ja = language.startsWith('ja') ? RULES_JA[f.ruleId] : undefined;
  return ja ?? { title: f.title, explanation: f.explanation, step: f.remediation.step };
}

export function stageTitle(language: string, stage: { id: StageId; title: string }): string {
  return (language.startsWith('ja') ? STAGE_TITLES_JA[stage.id] : undefined) ?? stage.title;
}

/** The two lookups in the current language, for components. */
export function useRuleText() {
  const { i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? i18n.language;
  return {
    rule: (f: Pick<Finding, 'ruleId' | 'title' | 'explanation' | 'remediation'>) => ruleText(language, f),
    stage: (s: { id: StageId; title: string }) => stageTitle(language, s),
  };
}
