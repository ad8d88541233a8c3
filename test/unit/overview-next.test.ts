// Vitest (plain Node): the overview's one next thing to do — integrity first, then collecting, triage, proving what
// remediation removed, the checklist, and the export — and its words in both languages.
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseOverview, ChecklistOverview, CollectionRunView, RemediationPhase } from '../../preload/contract';
import { nextStep } from '../../renderer/features/overview/nextStep';
import { i18next } from '../../renderer/i18n';

const overview = (over: Partial<CaseOverview> = {}): CaseOverview => ({
  runId: '62ccce75-5a72-45c1-b4d8-7a4156ef56c6',
  collectedAt: '2026-10-15T09:00:00Z',
  collections: { clean: 1, total: 1 },
  objects: [],
  severities: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
  untriaged: 0,
  custody: { entries: 4, head: 'a'.repeat(64), lastEntryAt: '2026-10-15T09:00:00Z' },
  ...over,
});

const run = (state: CollectionRunView['state'], resumable = state !== 'done'): CollectionRunView => ({
  runId: '62ccce75-5a72-45c1-b4d8-7a4156ef56c6', state, startedAt: '2026-10-15T08:00:00Z', finishedAt: state === 'running' ? null : '2026-10-15T09:00:00Z',
  environment: 'sim', account: 'admin@contoso.com', error: null, resumable, changes: [],
  sources: [
    { source: 'graph.users', label: 'Users', state: 'done', pages: 1, records: 10, windowFrom: null, windowTo: null, truncated: false, notices: [], retries: 0, error: null },
    { source: 'exo.mailboxes', label: 'Mailboxes', state: state === 'done' ? 'done' : 'failed', pages: 0, records: 0, windowFrom: null, windowTo: null, truncated: false, notices: [], retries: 0, error: null },
  ],
});

const checklist = (total: number, verified: number, settled = 0): ChecklistOverview => ({
  total, verified, links: [],
  phases: (['contain', 'eradicate', 'recover', 'verify', 'harden'] as RemediationPhase[]).map((phase, i) => ({ phase, total: i === 0 ? total : 0, verified: i === 0 ? verified : 0, settled: i === 0 ? settled : 0, failed: 0 })),
});

afterEach(async () => {
  await i18next.changeLanguage('en');
});

describe('the next thing to do', () => {
  it('goes to Custody first when the last verification found a problem, whatever else is pending', () => {
    expect(nextStep({ overview: overview({ untriaged: 3 }), newest: run('done'), checklist: checklist(5, 0), integrityOk: false })).toMatchObject({ kind: 'verify', route: 'custody' });
  });

  it('asks for a collection before there is one, and for a resume when the newest stopped', () => {
    expect(nextStep({ overview: overview({ runId: null }), newest: null, checklist: null, integrityOk: true })).toMatchObject({ kind: 'collect', route: 'collect' });
    const resume = nextStep({ overview: overview(), newest: run('failed'), checklist: null, integrityOk: true });
    expect(resume).toMatchObject({ kind: 'resume', route: 'collect', text: 'Resume the collection: 1 source did not finish.' });
  });

  it('then triage, then proving what was done, then the checklist, then the export', () => {
    const at = (o: Partial<CaseOverview>, c: ChecklistOverview | null) => nextStep({ overview: overview(o), newest: run('done'), checklist: c, integrityOk: true });
    expect(at({ untriaged: 35 }, checklist(8, 0))).toMatchObject({ kind: 'triage', route: 'findings', text: 'Triage 35 findings nobody has looked at yet.', go: 'Go to Findings' });
    expect(at({}, checklist(8, 2, 3))).toMatchObject({ kind: 'recollect', route: 'collect' });
    expect(at({}, checklist(8, 2))).toMatchObject({ kind: 'remediate', route: 'checklist', text: 'Work through the checklist: 6 steps not verified yet.' });
    expect(at({}, checklist(8, 8))).toMatchObject({ kind: 'export', route: 'export' });
    expect(at({}, null)).toMatchObject({ kind: 'export' });
  });

  it('says it in Japanese', async () => {
    await i18next.changeLanguage('ja');
    expect(nextStep({ overview: overview({ untriaged: 35 }), newest: run('done'), checklist: null, integrityOk: null })).toMatchObject({
      text: 'まだ誰も確認していない検出結果 35 件をトリアージしてください。',
      go: '検出結果へ',
    });
  });
});
