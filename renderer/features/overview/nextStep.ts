// Renderer: the one next thing to do in a case, from its overview, its newest collection, its checklist and its integrity.
import { i18next } from '../../i18n';
import type { CaseOverview, ChecklistOverview, CollectionRunView } from '../../../preload/contract';

export interface NextStep {
  kind: 'verify' | 'collect' | 'resume' | 'triage' | 'recollect' | 'remediate' | 'export';
  text: string;
  route: 'custody' | 'collect' | 'findings' | 'checklist' | 'export';
  go: string;
}

interface Inputs {
  overview: CaseOverview;
  /** The newest collection run, clean or not. */
  newest: CollectionRunView | null;
  checklist: ChecklistOverview | null;
  /** The last verification's verdict; null before one. */
  integrityOk: boolean | null;
}

/** First what makes the rest untrustworthy (integrity), then collecting, triage, remediation and proving it, then the export. */
export function nextStep({ overview, newest, checklist, integrityOk }: Inputs): NextStep {
  const t = i18next.t.bind(i18next);
  const step = (kind: NextStep['kind'], text: string, route: NextStep['route']): NextStep => ({ kind, text, route, go: t(`overview.next.go.${route}`) });
  if (integrityOk === false) return step('verify', t('overview.next.verify'), 'custody');
  if (!newest) return step('collect', t('overview.next.collect'), 'collect');
  const unfinished = newest.sources.filter((s) => s.state !== 'done').length;
  if (newest.state !== 'done' && newest.state !== 'running' && newest.resumable) return step('resume', t('overview.next.resume', { count: Math.max(1, unfinished) }), 'collect');
  if (!overview.runId) return step('collect', t('overview.next.collect'), 'collect');
  if (overview.untriaged > 0) return step('triage', t('overview.next.triage', { count: overview.untriaged }), 'findings');
  const open = checklist ? checklist.total - checklist.verified : 0;
  // Steps done (or done outside) but not yet seen gone by a collection: collect again to prove them.
  const unproved = checklist?.phases.reduce((n, p) => n + p.settled, 0) ?? 0;
  if (unproved > 0) return step('recollect', t('overview.next.recollect'), 'collect');
  if (open > 0) return step('remediate', t('overview.next.remediate', { count: open }), 'checklist');
  return step('export', t('overview.next.export'), 'export');
}
