// Main process and CLI: what the hand-over files say in the examiner's chosen language, from the same catalogs the
// screens use (renderer/i18n), through an i18next instance of its own (the renderer's global one is the page's).
import i18next, { type i18n } from 'i18next';
import type { Finding, Ioc, ReasonPart, StorylineStage } from '../../preload/contract';
import { en } from '../../renderer/i18n/en';
import { ja } from '../../renderer/i18n/ja';
import { catalogText } from '../../renderer/i18n/parts';
import { ruleText } from '../../renderer/i18n/rule-text';
import type { RuleText } from '../../renderer/i18n/rules-ja';

export const OUTPUT_LANGUAGES = ['en', 'ja'] as const;
export type OutputLanguage = (typeof OUTPUT_LANGUAGES)[number];

export function isOutputLanguage(value: string): value is OutputLanguage {
  return (OUTPUT_LANGUAGES as readonly string[]).includes(value);
}

const instances = new Map<OutputLanguage, i18n>();

function instance(lang: OutputLanguage): i18n {
  let it = instances.get(lang);
  if (!it) {
    it = i18next.createInstance();
    // Synchronous: the catalogs are in memory, and the files are written in one go.
    void it.init({ lng: lang, fallbackLng: 'en', resources: { en: { translation: en }, ja: { translation: ja } }, interpolation: { escapeValue: false }, initAsync: false });
    instances.set(lang, it);
  }
  return it;
}

export interface OutputText {
  lang: OutputLanguage;
  /** A catalog text by key with its values. */
  t(key: string, values?: Record<string, unknown>): string;
  /** Whether the catalog has a text for the key. */
  has(key: string): boolean;
  /** Why a finding matched: its sentences from the catalog where every one has a text, else main's English. */
  reason(f: Pick<Finding, 'reason' | 'reasonParts'>): string;
  iocContext(i: Pick<Ioc, 'context' | 'contextPart'>): string;
  subjectName(f: Pick<Finding, 'subject'>): string;
  /** The rule's title, explanation and remediation step. */
  rule(f: Pick<Finding, 'ruleId' | 'title' | 'explanation' | 'remediation'>): RuleText;
  stageTitle(s: Pick<StorylineStage, 'id' | 'title'>): string;
}

/**
 * A storyline stage summed up: in English main's own summary; in another language its top finding by its rule's
 * title (and how many more), as the Findings screen says it.
 */
export function stageSummary(x: OutputText, stage: StorylineStage, byKey: ReadonlyMap<string, Finding>): string {
  const top = stage.findingKeys[0] ? byKey.get(stage.findingKeys[0]) : undefined;
  if (x.lang === 'en' || !top) return stage.summary;
  const title = x.rule(top).title;
  return stage.findingKeys.length > 1 ? x.t('handover.md.stageSummaryMore', { title, count: stage.findingKeys.length - 1 }) : title;
}

export function outputText(lang: OutputLanguage): OutputText {
  const it = instance(lang);
  const t = (key: string, values?: Record<string, unknown>) => (it.t as (k: string, v?: Record<string, unknown>) => string)(key, values);
  const parts = (section: string, list: readonly ReasonPart[], english: string) =>
    catalogText({ language: lang, exists: (k) => it.exists(k), t: (k, v) => t(k, v) }, section, list, english);
  return {
    lang,
    t,
    has: (key) => it.exists(key),
    reason: (f) => parts('reason', f.reasonParts ?? [], f.reason),
    iocContext: (i) => parts('iocContext', i.contextPart ? [i.contextPart] : [], i.context),
    subjectName: (f) => parts('subjectName', f.subject.namePart ? [f.subject.namePart] : [], f.subject.name ?? f.subject.id),
    rule: (f) => ruleText(lang, f),
    stageTitle: (s) => (lang !== 'en' && it.exists(`findings.stage.${s.id}`) ? t(`findings.stage.${s.id}`) : s.title),
  };
}
