// Renderer: the words (and icons) the Findings screen uses for triage states, stages, phases, IOC types and event sources.
import type { Confidence, Finding, IocType, RemediationPhase, Severity, StageId, TriageState } from '../../lib/api';

export const SEVERITY_ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Mirrors TRIAGE_STATES in the contract (a value there would pull zod into the renderer). */
export const TRIAGE_ORDER: readonly TriageState[] = ['open', 'confirmed', 'false_positive', 'needs_info'];

const TRIAGE: Record<TriageState, { icon: string; word: string }> = {
  open: { icon: '○', word: 'Open' },
  confirmed: { icon: '●', word: 'Confirmed' },
  false_positive: { icon: '⊘', word: 'False positive' },
  needs_info: { icon: '?', word: 'Needs info' },
};

export function triageWord(state: TriageState): string {
  return TRIAGE[state].word;
}

export function triageIcon(state: TriageState): string {
  return TRIAGE[state].icon;
}

export const STAGE_WORDS: Record<StageId, string> = {
  'initial-access': 'Initial access',
  persistence: 'Persistence',
  privilege: 'Privilege',
  credentials: 'App credentials',
  'mail-flow': 'Mail-flow abuse',
  'cleanup-cycles': 'Cleanup cycles',
};

export const PHASE_WORDS: Record<RemediationPhase, string> = {
  contain: 'Contain',
  eradicate: 'Eradicate',
  recover: 'Recover',
  verify: 'Verify',
  harden: 'Harden',
};

export const CONFIDENCE_WORDS: Record<Confidence, string> = { low: 'Low', medium: 'Medium', high: 'High' };

export const IOC_TYPE_WORDS: Record<IocType, string> = {
  ip: 'IP address',
  'connector-sender-ip': 'Connector sender IP',
  'app-id': 'App ID',
  'service-principal-id': 'Service principal ID',
  account: 'Account',
  email: 'Email address',
  'object-name': 'Object name',
};

const SOURCE_WORDS: Record<string, string> = {
  signin: 'Sign-in log',
  directory_audit: 'Directory audit',
  ual: 'Unified audit log',
};

export function sourceWord(source: string): string {
  return SOURCE_WORDS[source] ?? source;
}

const SOURCE_SHORT: Record<string, string> = { signin: 'Sign-in', directory_audit: 'Audit', ual: 'UAL' };

/** For a narrow table column; the full name goes in the tooltip. */
export function sourceShort(source: string): string {
  return SOURCE_SHORT[source] ?? source;
}

/** Everything a text filter matches against. */
export function findingHaystack(f: Finding): string {
  return [f.title, f.ruleId, f.subject.name ?? '', f.subject.id, f.reason, ...f.attack, triageWord(f.triage.state), f.triage.note, ...f.iocs.map((i) => i.value)].join('\n').toLowerCase();
}

/** The IOCs of a finding as lines of text, for "Copy all". */
export function iocLines(f: Finding): string {
  return f.iocs.map((i) => `${i.type}\t${i.value}\t${i.context}`).join('\n');
}
