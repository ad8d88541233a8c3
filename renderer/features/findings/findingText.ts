// Renderer: the words (and icons) the Findings screen uses for triage states, stages, phases, IOC types and event sources.
import { currentLanguage, i18next } from '../../i18n';
import { ruleText, type RuleFields } from '../../i18n/rules';
import { catalogText as sharedCatalogText } from '../../i18n/parts';
import type { RuleText } from '../../i18n/rules-ja';
// Types straight from the contract, so plain-Node tests can load this module.
import type { Confidence, Finding, Ioc, IocType, ReasonPart, RemediationPhase, Severity, StageId, TriageState } from '../../../preload/contract';

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Mirrors TRIAGE_STATES in the contract (a value there would pull zod into the renderer). */
export const TRIAGE_ORDER: readonly TriageState[] = ['open', 'confirmed', 'false_positive', 'needs_info'];

const TRIAGE_ICON: Record<TriageState, string> = { open: '○', confirmed: '●', false_positive: '⊘', needs_info: '?' };

export function triageWord(state: TriageState): string {
  return i18next.t(`findings.triageState.${state}`);
}

export function triageIcon(state: TriageState): string {
  return TRIAGE_ICON[state];
}

/** A finding nobody has triaged yet: not the same as one triaged as open. */
export function untriagedWord(): string {
  return i18next.t('findings.untriagedState');
}

export function untriagedIcon(): string {
  return '◌';
}

export function stageWord(stage: StageId): string {
  return i18next.t(`findings.stage.${stage}`);
}

/** A stage's title in the interface language; main's own title for a stage the catalogs do not know. */
/** The rule's title, explanation and remediation step in the interface language (rules-ja.ts), else main's English. */
export function ruleTexts(f: RuleFields): RuleText {
  return ruleText(i18next.language, f);
}

export function stageTitle(stage: { id: string; title: string }): string {
  return i18next.exists(`findings.stage.${stage.id}`) ? i18next.t(`findings.stage.${stage.id as StageId}`) : stage.title;
}

export function phaseWord(phase: RemediationPhase): string {
  return i18next.t(`findings.phase.${phase}`);
}

export function confidenceWord(confidence: Confidence): string {
  return i18next.t(`findings.confidence.${confidence}`);
}

export function iocTypeWord(type: IocType): string {
  return i18next.t(`findings.iocType.${type}`);
}

const SOURCES = ['signin', 'directory_audit', 'ual'] as const;
type KnownSource = (typeof SOURCES)[number];
const known = (source: string): source is KnownSource => (SOURCES as readonly string[]).includes(source);

export function sourceWord(source: string): string {
  return known(source) ? i18next.t(`findings.source.${source}`) : source;
}

/** For a narrow table column; the full name goes in the tooltip. */
export function sourceShort(source: string): string {
  return known(source) ? i18next.t(`findings.sourceShort.${source}`) : source;
}

/**
 * Why a finding matched, in the interface language: from the rule's sentences and their values where it gives them and
 * the catalog has every sentence (`reason.<key>`); otherwise as main wrote it.
 */
export function reasonText(f: Pick<Finding, 'reason' | 'reasonParts'>): string {
  return catalogText('reason', f.reasonParts ?? [], f.reason);
}

/** What an IOC is, in the interface language (`iocContext.<key>`), else as main wrote it. */
export function iocContextText(i: Pick<Ioc, 'context' | 'contextPart'>): string {
  return catalogText('iocContext', i.contextPart ? [i.contextPart] : [], i.context);
}

/** What a finding is about, in the interface language (`subjectName.<key>`), else its name (or id) as main wrote it. */
export function subjectName(f: Pick<Finding, 'subject'>): string {
  return catalogText('subjectName', f.subject.namePart ? [f.subject.namePart] : [], f.subject.name ?? f.subject.id);
}

/** The kind of thing a finding is about (application, mailbox…) in the interface language; unknown kinds as main wrote them. */
export function subjectTypeWord(type: string): string {
  return i18next.exists(`subjectType.${type}`) ? i18next.t(`subjectType.${type}` as 'subjectType.ip') : type;
}

/** The parts said from the interface language's catalog (renderer/i18n/parts.ts). */
function catalogText(section: string, parts: readonly ReasonPart[], english: string): string {
  const t = i18next.t.bind(i18next) as (key: string, values: Record<string, string | number>) => string;
  return sharedCatalogText({ language: currentLanguage(), exists: (k) => i18next.exists(k), t }, section, parts, english);
}

/** Everything a text filter matches against. */
export function findingHaystack(f: Finding): string {
  return [f.title, ruleTexts(f).title, f.ruleId, f.subject.name ?? '', subjectName(f), f.subject.id, f.reason, reasonText(f), ...f.attack, f.triage.at === null ? untriagedWord() : triageWord(f.triage.state), f.triage.note, ...f.iocs.map((i) => i.value), ...f.iocs.map(iocContextText)].join('\n').toLowerCase();
}

/** The IOCs of a finding as lines of text, for "Copy all". */
export function iocLines(f: Finding): string {
  return f.iocs.map((i) => `${i.type}\t${i.value}\t${i.context}`).join('\n');
}
