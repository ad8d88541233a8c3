// Main process / CLI: what the export hands the client about the findings — a readable account (storyline, then findings by severity) and the indicators.
import type { DetectionReport, Finding, Severity } from '../../preload/contract';
import { plural } from './text';
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
}

/** FINDINGS.md: the storyline and every finding that is not a false positive, for a reader without Peregrine. */
export function findingsMarkdown(report: DetectionReport, opts: SummaryOptions): string {
  const lines: string[] = [];
  const kept = report.findings.filter((f) => f.triage.state !== 'false_positive');
  const dismissed = report.findings.length - kept.length;
  lines.push(`# Findings: ${md(opts.caseName)}`, '');
  lines.push(
    `Prepared by ${md(opts.examiner)} with Peregrine ${opts.toolVersion} on ${utc(opts.now.toISOString())}, from the collection of ${utc(report.collectedAt)}` +
      ` (${report.rules.length} rules). Every finding below names the records that prove it; their ids are in findings.json and each record is in timeline.jsonl.`,
    '',
  );
  lines.push('## What happened', '');
  for (const [i, stage] of report.storyline.entries()) {
    lines.push(`${i + 1}. **${stage.title}**: ${stage.lit ? `${md(stage.summary)} (${utc(stage.at)})` : 'no evidence in this collection.'}`);
  }
  const story = kept.find((f) => f.ruleId === 'storyline.oauth-mail-abuse');
  if (story) lines.push('', `In order: ${md(story.reason)}`);
  lines.push('');
  for (const severity of SEVERITIES) {
    const group = kept.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push(`## ${severity[0]!.toUpperCase()}${severity.slice(1)} (${group.length})`, '');
    for (const f of group) lines.push(...findingLines(f), '');
  }
  if (dismissed > 0) lines.push(`${dismissed} finding${dismissed === 1 ? ' was' : 's were'} triaged as false positive${dismissed === 1 ? '' : 's'} and ${dismissed === 1 ? 'is' : 'are'} listed only in findings.json.`, '');
  lines.push('Indicators are in iocs.csv and, as a STIX 2.1 bundle, in iocs.stix.json.', '');
  return lines.join('\n');
}

function findingLines(f: Finding): string[] {
  const out = [`### ${md(f.title)}: ${md(f.subject.name ?? f.subject.id)}`, ''];
  out.push(md(f.reason), '');
  out.push(`- Why it matters: ${md(f.explanation)}`);
  if (f.attack.length > 0) out.push(`- MITRE ATT&CK: ${f.attack.join(', ')}`);
  out.push(`- Seen: ${utc(f.firstAt)} to ${utc(f.lastAt)}; evidence: ${plural(f.objects.length, 'object')}, ${plural(f.events.length, 'event')}`);
  out.push(`- To undo (${f.remediation.phase}): ${md(f.remediation.step)}`);
  if (f.triage.state !== 'open') out.push(`- Triage: ${f.triage.state.replace('_', ' ')}${f.triage.note ? `: ${md(f.triage.note)}` : ''} (${md(f.triage.by ?? '')}, ${utc(f.triage.at)})`);
  out.push(`- Finding key: \`${f.key}\``);
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
