// Main process / CLI: what the export hands the client about the findings — a readable account (storyline, then findings by severity) and the indicators.
import type { DetectionReport, Finding, Severity } from '../../preload/contract';
import { outputText, stageSummary, type OutputLanguage, type OutputText } from '../i18n/texts';
import { iocCsv, iocStix } from './iocs';

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const utc = (at: string | null) => (at ? `${at.slice(0, 19).replace('T', ' ')} UTC` : '—');
/** Markdown special characters in text that came from the tenant (names, addresses) are escaped. */
const md = (text: string) => text.replace(/([\\`*_[\]<>|#])/g, '\\$1');

export interface SummaryOptions {
  caseId: string;
  caseName: string;
  examiner: string;
  now: Date;
  toolVersion: string;
  /** The language FINDINGS.md is written in (default English); the indicators' files stay as their formats define them. */
  lang?: OutputLanguage;
}

/**
 * FINDINGS.md: the storyline and every finding that is not a false positive, for a reader without Peregrine. In
 * Japanese the rules' titles, explanations, steps and reasons come from the catalogs the screens use; technical terms,
 * names and values stay as written.
 */
export function findingsMarkdown(report: DetectionReport, opts: SummaryOptions): string {
  const x = outputText(opts.lang ?? 'en');
  const english = x.lang === 'en';
  const lines: string[] = [];
  const kept = report.findings.filter((f) => f.triage.state !== 'false_positive');
  const dismissed = report.findings.length - kept.length;
  const byKey = new Map(report.findings.map((f) => [f.key, f]));
  lines.push(`# ${x.t('handover.md.title', { name: md(opts.caseName) })}`, '');
  lines.push(x.t('handover.md.prepared', { examiner: md(opts.examiner), version: opts.toolVersion, now: utc(opts.now.toISOString()), collectedAt: utc(report.collectedAt), rules: report.rules.length }), '');
  lines.push(`## ${x.t('handover.md.whatHappened')}`, '');
  for (const [i, stage] of report.storyline.entries()) {
    const summary = stageSummary(x, stage, byKey);
    lines.push(`${i + 1}. **${x.stageTitle(stage)}**: ${stage.lit ? x.t('handover.md.stageLit', { summary: md(summary), at: utc(stage.at) }) : x.t('handover.md.noEvidence')}`);
  }
  const story = kept.find((f) => f.ruleId === 'storyline.oauth-mail-abuse');
  if (story) lines.push('', x.t('handover.md.inOrder', { story: md(x.reason(story)) }));
  lines.push('');
  for (const severity of SEVERITIES) {
    const group = kept.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    const word = english ? `${severity[0]!.toUpperCase()}${severity.slice(1)}` : x.t(`common.severity.${severity}`);
    lines.push(`## ${word} (${group.length})`, '');
    for (const f of group) lines.push(...findingLines(f, x), '');
  }
  if (dismissed > 0) lines.push(x.t('handover.md.dismissed', { count: dismissed }), '');
  lines.push(x.t('handover.md.indicators'), '');
  return lines.join('\n');
}

function findingLines(f: Finding, x: OutputText): string[] {
  const english = x.lang === 'en';
  const rule = x.rule(f);
  const out = [`### ${md(rule.title)}: ${md(x.subjectName(f))}`, ''];
  out.push(md(x.reason(f)), '');
  out.push(`- ${x.t('handover.md.whyItMatters', { text: md(rule.explanation) })}`);
  if (f.attack.length > 0) out.push(`- MITRE ATT&CK: ${f.attack.join(', ')}`);
  out.push(`- ${x.t('handover.md.seen', { first: utc(f.firstAt), last: utc(f.lastAt), objects: x.t('handover.md.objects', { count: f.objects.length }), events: x.t('handover.md.events', { count: f.events.length }) })}`);
  out.push(`- ${x.t('handover.md.toUndo', { phase: english ? f.remediation.phase : x.t(`findings.phase.${f.remediation.phase}`), step: md(rule.step) })}`);
  if (f.triage.state !== 'open') {
    const state = english ? f.triage.state.replace('_', ' ') : x.t(`findings.triageState.${f.triage.state}`);
    out.push(`- ${x.t('handover.md.triage', { state, note: f.triage.note ? `: ${md(f.triage.note)}` : '', by: md(f.triage.by ?? ''), at: utc(f.triage.at) })}`);
  }
  out.push(`- ${x.t('handover.md.findingKey', { key: `\`${f.key}\`` })}`);
  return out;
}

/** The files an export adds for the findings: the readable account and the indicators in both formats. */
export function findingsExportFiles(report: DetectionReport, opts: SummaryOptions): { name: string; content: string }[] {
  return [
    { name: 'FINDINGS.md', content: findingsMarkdown(report, opts) },
    { name: 'iocs.csv', content: iocCsv(report, opts).content },
    { name: 'iocs.stix.json', content: iocStix(report, opts).content },
  ];
}
