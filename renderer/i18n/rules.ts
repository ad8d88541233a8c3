// Renderer: a finding's rule texts (title, explanation, remediation step) in the interface language. English is what
// main sends; Japanese comes from rules-ja.ts. The reason a rule gives for one finding is made of the evidence's own
// values and stays as main wrote it.
import { useTranslation } from 'react-i18next';
import { ruleText, type RuleFields } from './rule-text';

export { ruleText, type RuleFields };

/** The lookup in the current language, for components that re-render when the language changes. */
export function useRuleText() {
  const { i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? i18n.language;
  return { rule: (f: RuleFields) => ruleText(language, f) };
}
