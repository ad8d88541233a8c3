// Vitest (plain Node): the malicious app's steps planned from collected simulator cases (both scenarios and varied
// seeds) — every malicious object of the ground truth gets exactly one item, no decoy appears, an excluded app and
// findings triaged false positive are left out, and the same case gives the same plan.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import { VARIED_SEEDS } from '../support/varied-seeds';
import { detect } from '../../main/detect/engine';
import { planRemediation } from '../../main/remediate/plan';
import { APP_RULES } from '../../main/remediate/plan/app';
import { recordTriage } from '../../db/queries/triage';
import type { PlannedStep } from '../../main/remediate/model';
import type { ScenarioName } from '../sim/scenario';

const APP_ACTION = /^(app|sp)\./;
const CASES: { scenario: ScenarioName; seed: number; users?: number }[] = [
  { scenario: 'contoso', seed: 1, users: 120 },
  { scenario: 'fabrikam', seed: 11, users: 120 },
  ...VARIED_SEEDS.slice(0, 3),
];

const itemKeys = (steps: PlannedStep[], action: string) => steps.filter((s) => s.action === action).flatMap((s) => s.items.map((i) => i.key.toLowerCase()));

describe.each(CASES)('the malicious app steps of $scenario seed $seed', (opts) => {
  let c: CollectedCase;
  beforeAll(async () => {
    c = await collectedCase({ ...opts, eventsPerUserPerDay: 0.3 });
  }, 300_000);
  afterAll(async () => c?.dispose());

  const plan = (exclude = { accounts: [] as string[], appIds: [] as string[] }) => planRemediation({ db: c.db, report: detect(c.db), exclude }).filter((s) => APP_ACTION.test(s.action));

  it('gives every malicious object exactly one item and names no decoy', () => {
    const steps = plan();
    const truth = c.sim.groundTruth;
    const m = truth.maliciousObjects;
    const lower = (ids: string[]) => ids.map((i) => i.toLowerCase()).sort();
    expect(itemKeys(steps, 'sp.disable').sort()).toEqual(lower(m.servicePrincipalIds));
    expect(itemKeys(steps, 'app.delete').sort()).toEqual(lower(m.applicationObjectIds));
    expect(itemKeys(steps, 'sp.remove-directory-roles').sort()).toEqual(lower(m.roleAssignmentIds));
    expect(itemKeys(steps, 'sp.remove-app-roles').sort()).toEqual(lower(m.appRoleAssignmentIds));
    const credentials = [...itemKeys(steps, 'app.remove-passwords'), ...steps.filter((s) => s.action === 'app.remove-certificates').flatMap((s) => s.items.flatMap((i) => (i.target.name ?? '').split(', ')))];
    expect(credentials.sort()).toEqual(lower(m.credentialKeyIds));
    // Every step's target is the attacker's, and nothing of the decoys or Peregrine's own apps is in any request.
    for (const s of steps) expect([...m.applicationObjectIds, ...m.servicePrincipalIds].map((i) => i.toLowerCase())).toContain(s.target.id.toLowerCase());
    const text = JSON.stringify(steps).toLowerCase();
    for (const d of truth.decoys) for (const id of [d.appId, d.servicePrincipalId, d.applicationObjectId]) if (id) expect(text).not.toContain(id.toLowerCase());
    for (const id of [truth.engagementApp.appId, truth.engagementApp.servicePrincipalId, truth.remediationClient.appId, truth.remediationClient.servicePrincipalId]) expect(text).not.toContain(id.toLowerCase());
    // Contain before eradicate, and the delete last of the app's steps.
    expect(steps.at(-1)!.action).toBe('app.delete');
    expect(steps.findIndex((s) => s.phase === 'eradicate')).toBeGreaterThan(steps.findLastIndex((s) => s.phase === 'contain'));
  });

  it('leaves out an excluded app, and is the same plan when made again', () => {
    const all = plan();
    expect(plan()).toEqual(all);
    const [first, ...others] = c.sim.groundTruth.maliciousApps;
    const without = plan({ accounts: [], appIds: [first!.appId] });
    const targets = new Set(without.map((s) => s.target.id.toLowerCase()));
    expect(targets.has(first!.applicationObjectId.toLowerCase()) || targets.has(first!.servicePrincipalId.toLowerCase())).toBe(false);
    for (const other of others) expect(targets.has(other.servicePrincipalId.toLowerCase())).toBe(true);
  });

  it('leaves out an app whose findings were all triaged false positive', () => {
    const first = c.sim.groundTruth.maliciousApps[0]!;
    const ids = new Set([first.applicationObjectId, first.servicePrincipalId].map((i) => i.toLowerCase()));
    for (const f of detect(c.db).findings.filter((x) => (APP_RULES as readonly string[]).includes(x.ruleId) && [x.subject.id, ...x.objects.map((o) => o.id)].some((i) => ids.has(i.toLowerCase())))) {
      recordTriage(c.db, { findingKey: f.key, ruleId: f.ruleId, state: 'false_positive', note: 'test', at: new Date().toISOString(), actor: 'Examiner' });
    }
    expect(plan().filter((s) => ids.has(s.target.id.toLowerCase()))).toEqual([]);
  });
});
