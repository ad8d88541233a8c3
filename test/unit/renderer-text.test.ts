// Vitest (plain Node): the renderer's own wording and ordering logic — storyline steps, triage states, progress and custody sentences.
import { describe, expect, it } from 'vitest';
import type { Finding, Severity, TriageState } from '../../preload/contract';
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
