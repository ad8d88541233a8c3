// Renderer: a finding's rule texts (title, explanation, remediation step) in the interface language, through the
// lookup main's hand-over files share (rule-text.ts).
import { useTranslation } from 'react-i18next';
import { ruleText, type RuleFields } from './rule-text';

export { ruleText, type RuleFields };

/** The lookup in the current language, for components that re-render when the language changes. */
export function useRuleText() {
  const { i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? i18n.language;
  return { rule: (f: RuleFields) => ruleText(language, f) };
}
