// Vitest (plain Node): the renderer's own wording and ordering logic — storyline steps, triage states, progress and custody sentences.
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding, Severity, TriageState } from '../../preload/contract';
import { overallProgress } from '../../renderer/features/collect/overallProgress';
import { custodySentence, linkState, summaryFacts } from '../../renderer/features/custody/custodyText';
import { i18next } from '../../renderer/i18n';
import { numberedSteps } from '../../renderer/features/findings/steps';
import { DEFAULT_FINDING_SORT, nextFindingSort, sortFindings } from '../../renderer/features/findings/findingSort';

describe('a reason written as numbered steps', () => {
  it('splits into its steps, in order, without the numbers', () => {
    const reason = '1. 2026-10-01 08:00 UTC: admin@contoso.com signed in from 203.0.113.7 during credential stuffing. 2. admin@contoso.com is privileged and had no MFA. ' +
      '3. 2026-10-05 09:00 UTC: admin@contoso.com registered contoso_kq from 10.1.2.3. 10. not a step.';
    expect(numberedSteps(reason)).toEqual([
      '2026-10-01 08:00 UTC: admin@contoso.com signed in from 203.0.113.7 during credential stuffing.',
      'admin@contoso.com is privileged and had no MFA.',
      '2026-10-05 09:00 UTC: admin@contoso.com registered contoso_kq from 10.1.2.3. 10. not a step.',
    ]);
  });

  it('leaves an ordinary sentence alone', () => {
    expect(numberedSteps('The app holds Exchange.ManageAsApp and was consented in version 2. Nothing else.')).toBeNull();
    expect(numberedSteps('1. Only one step.')).toBeNull();
    expect(numberedSteps('Seen 1. then 2. again')).toBeNull();
  });
});

/** A finding with only what the list sorts on filled in. */
function finding(key: string, severity: Severity, title: string, firstAt: string | null, triage: { state: TriageState; at: string | null }, attack: string[] = []): Finding {
  return {
    key, ruleId: key, title, severity, confidence: 'high', attack, covers: [], stage: null, explanation: '', reason: '', remediation: { phase: 'contain', step: '' },
    subject: { type: 'application', id: key, name: title }, firstAt, lastAt: firstAt, objects: [], events: [], iocs: [],
    triage: { state: triage.state, note: '', at: triage.at, by: triage.at ? 'Examiner' : null },
  } as unknown as Finding;
}

describe('the findings list order', () => {
  const never = { state: 'open' as const, at: null };
  const open = { state: 'open' as const, at: '2026-10-20T00:00:00Z' };
  const confirmed = { state: 'confirmed' as const, at: '2026-10-20T00:00:00Z' };
  const all = [
    finding('b', 'high', 'Beta', '2026-10-05T00:00:00Z', confirmed, ['T1098']),
    finding('a', 'critical', 'Alpha', '2026-10-07T00:00:00Z', never),
    finding('c', 'high', 'alpha two', null, open, ['T1078']),
    finding('d', 'high', 'Delta', '2026-10-01T00:00:00Z', never),
    finding('e', 'low', 'Echo', '2026-10-02T00:00:00Z', open),
  ];
  const keys = (sort: Parameters<typeof sortFindings>[1]) => sortFindings(all, sort).map((g) => `${g.level}:${g.findings.map((f) => f.key).join('')}`).filter((g) => !g.endsWith(':'));

  it('is most severe first, each group as the rules reported it, until a column is chosen', () => {
    expect(keys(DEFAULT_FINDING_SORT)).toEqual(['critical:a', 'high:bcd', 'low:e']);
    expect(keys({ column: 'severity', dir: 'asc' })).toEqual(['low:e', 'high:bcd', 'critical:a']);
  });

  it('sorts inside each severity group by the chosen column, a missing value last either way', () => {
    expect(keys({ column: 'finding', dir: 'asc' })).toEqual(['critical:a', 'high:cbd', 'low:e']);
    expect(keys({ column: 'finding', dir: 'desc' })).toEqual(['critical:a', 'high:dbc', 'low:e']);
    expect(keys({ column: 'first', dir: 'asc' })).toEqual(['critical:a', 'high:dbc', 'low:e']);
    expect(keys({ column: 'first', dir: 'desc' })).toEqual(['critical:a', 'high:bdc', 'low:e']);
    expect(keys({ column: 'attack', dir: 'asc' })).toEqual(['critical:a', 'high:cbd', 'low:e']);
  });

  it('puts a finding nobody triaged before one triaged as open', () => {
    expect(keys({ column: 'triage', dir: 'asc' })).toEqual(['critical:a', 'high:dcb', 'low:e']);
    expect(keys({ column: 'triage', dir: 'desc' })).toEqual(['critical:a', 'high:bcd', 'low:e']);
  });

  it('flips the direction on a second click and starts another column ascending', () => {
    expect(nextFindingSort(DEFAULT_FINDING_SORT, 'severity')).toEqual({ column: 'severity', dir: 'asc' });
    expect(nextFindingSort(DEFAULT_FINDING_SORT, 'first')).toEqual({ column: 'first', dir: 'asc' });
    expect(nextFindingSort({ column: 'first', dir: 'asc' }, 'first')).toEqual({ column: 'first', dir: 'desc' });
  });
});

describe('the overall collection bar', () => {
  const source = (name: string, state: 'pending' | 'running' | 'done' | 'failed', records: number) => ({ source: name, label: name, state, pages: 0, records, error: null });
  const running = {
    state: 'running' as const,
    sources: [source('applications', 'done', 60), source('signIns', 'done', 1_000), source('ual', 'running', 22_000)],
  };

  it('counts records against last time\'s sizes, so a big source does not read as almost done', () => {
    // Two of three sources done would read 67 %; the records say 23,060 of about 36,060.
    const p = overallProgress(running, new Map([['applications', 60], ['signIns', 1_000], ['ual', 35_000]]));
    expect(p).toEqual({ counts: 'records', value: 23_060, max: 36_060 });
  });

  it('never shows a running collection full, even past last time\'s size', () => {
    const p = overallProgress(running, new Map([['ual', 20_000]]));
    expect(p.counts).toBe('records');
    expect(p.max).toBe(23_060);
    expect(p.value).toBeLessThan(p.max);
  });

  it('counts sources, and says so, when an unfinished source has no known size', () => {
    expect(overallProgress(running, new Map([['ual', null]]))).toEqual({ counts: 'sources', value: 2, max: 3 });
    expect(overallProgress(running, new Map())).toEqual({ counts: 'sources', value: 2, max: 3 });
    expect(overallProgress({ ...running, state: 'done' }, new Map([['ual', 35_000]]))).toEqual({ counts: 'sources', value: 2, max: 3 });
  });
});

describe('a custody entry in words', () => {
  afterEach(async () => {
    await i18next.changeLanguage('en');
  });
  const created = 'caseId: 125f4e6d-ae65-41fa-8b9f-faddc4bab0b8 · fileName: case.peregrine · name: contoso seed 1 · schemaVersion: 150 · timeZone: Asia/Tokyo · toolVersion: 0.1.0';
  const finished = 'runId: 62ccce75-5a72-45c1-b4d8-7a4156ef56c6 · state: done · evidenceDigest: 3f2a9c0b1d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4';

  it('reads main\'s facts back, a value holding the separator included', () => {
    expect(summaryFacts(created).get('timeZone')).toBe('Asia/Tokyo');
    expect(summaryFacts('finding: a:b · note: one · two · to: confirmed').get('note')).toBe('one · two');
  });

  it('says what happened, per kind of entry, in either language', async () => {
    expect(custodySentence('case.created', created)).toBe('Case “contoso seed 1” created as case.peregrine, display zone Asia/Tokyo, Peregrine 0.1.0.');
    expect(custodySentence('collection.finished', finished)).toBe('Collection 62ccce75… finished; its evidence digest is 3f2a9c0b1d4e….');
    expect(custodySentence('finding.triaged', 'finding: storyline.oauth-mail-abuse:app · rule: storyline.oauth-mail-abuse · from: open · to: confirmed · note: not theirs'))
      .toBe('Finding storyline.oauth-mail-abuse:app triaged: Open → Confirmed. Note: not theirs');
    expect(custodySentence('export.created', 'folder: export-1 · manifestSha256: ab · custodyHeadSigned: cd · checkpointThrough: 7 · files: 9 · signerFingerprint: SHA256:abcdefghijklmnopqrstu'))
      .toBe('Signed export export-1: 9 files, custody signed through entry 7 with key SHA256:abcdefghi….');
    expect(custodySentence('engagement.settings', 'engagementAppIds: 6e053d8a-3378-460f-bfaa-3eb49f6b16de · breakGlass: —'))
      .toBe('Engagement settings recorded: own apps 6e053d8a-3378-460f-bfaa-3eb49f6b16de; accounts never to touch —.');
    await i18next.changeLanguage('ja');
    expect(custodySentence('collection.finished', finished)).toBe('収集 62ccce75… が完了。証拠ダイジェストは 3f2a9c0b1d4e…。');
  });

  it('tells remediation entries in words from their facts, the outcome in the interface language', async () => {
    const planned = 'step: exo.remove-inbound-connector:4ae4b785 · specSha256: 0f8516947e58298ae66fb1193439c13717ba0a8f721ac972e148b4c1ee6c5406';
    const action = 'step: exo.remove-inbound-connector:4ae4b785 · item: 4ae4b785 · outcome: verified · note:  · account: admin@contoso.com · before: ab';
    expect(custodySentence('remediation.planned', planned)).toBe('Remediation step exo.remove-inbound-connector:4ae4b785 recorded in the checklist (its spec hashes to 0f8516947e58…).');
    expect(custodySentence('remediation.action', action)).toBe('Remediation step exo.remove-inbound-connector:4ae4b785, item 4ae4b785: Verified. Signed in as admin@contoso.com.');
    await i18next.changeLanguage('ja');
    expect(custodySentence('remediation.action', action)).toMatch(/^修復手順 exo\.remove-inbound-connector:4ae4b785、対象 4ae4b785: 検証済み。/);
  });

  it('keeps main\'s own summary for an action it does not know', () => {
    expect(custodySentence('case.renamed', 'from: a · to: b')).toBe('from: a · to: b');
  });

  it('gives each entry its link state from the last verification', () => {
    expect(linkState(1, { ok: true, problem: null })).toBe('start');
    expect(linkState(4, { ok: true, problem: null })).toBe('linked');
    const broken = { ok: false, problem: 'custody entry 3 (finding.triaged): prev_hash … does not match the hash of entry 2' };
    expect([1, 2, 3, 4].map((seq) => linkState(seq, broken))).toEqual(['start', 'linked', 'broken', 'unverified']);
    // An evidence problem leaves the chain's links sound.
    expect(linkState(3, { ok: false, problem: 'evidence row 9 (graph.applications, https://…): The body\'s sha256 is …' })).toBe('linked');
    expect(linkState(3, null)).toBe('unchecked');
  });
});
