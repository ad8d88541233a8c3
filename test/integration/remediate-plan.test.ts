// The mail-flow, account and hardening steps planned from collected simulator cases: every malicious object of the ground truth gets exactly one item, no decoy and no excluded account appears, and the PowerShell names the right ids inside safe literals.
import { describe, expect, it } from 'vitest';
import type { DetectionReport } from '../../preload/contract';
import { detect } from '../../main/detect/engine';
import type { PlannedStep, RemediationRequest } from '../../main/remediate/model';
import { planRemediation, type Exclusions } from '../../main/remediate/plan';
import { planContext } from '../../main/remediate/plan/context';
import { remediationScript } from '../../main/remediate/powershell';
import { mailSteps } from '../../main/remediate/plan/mail';
import { accountSteps } from '../../main/remediate/plan/accounts';
import { hardeningSteps, ADMIN_ROLE_TEMPLATES } from '../../main/remediate/plan/harden';
import { collectedForSuite, type CollectedCase } from '../support/collected-case';
import { lexSingleQuoted } from '../support/ps-lex';
import { withAuditOff } from '../support/findings';
import { VARIED_SEEDS } from '../support/varied-seeds';
import { en } from '../../renderer/i18n/en';
import { ja } from '../../renderer/i18n/ja';

const lower = (s: string) => s.toLowerCase();
const NONE: Exclusions = { accounts: [], appIds: [] };

const itemsOf = (plan: readonly PlannedStep[], action: string) => plan.filter((s) => s.action === action).flatMap((s) => s.items);
const requestsOf = (plan: readonly PlannedStep[]) => plan.flatMap((s) => s.items.flatMap((i) => [i.read, ...i.writes]));
/** Every id a request names: Graph path segments, Exchange Identity / Mailbox parameters. */
const namedIds = (r: RemediationRequest) => (r.api === 'graph' ? r.path.split(/[/?]/) : [r.parameters.Identity, r.parameters.Mailbox].filter((v): v is string => typeof v === 'string')).map(lower);

/** The body of a conditional-access policy the plan creates. */
function policyBody(r: RemediationRequest): { state: string; conditions: { users: { includeRoles?: string[]; excludeUsers: string[] } } } {
  if (r.api !== 'graph' || !r.body) throw new Error('not a Graph request with a body');
  return r.body as ReturnType<typeof policyBody>;
}

/** What the plan gets wrong against the simulator's ground truth (empty when right). */
export function judgePlan(c: CollectedCase, plan: readonly PlannedStep[], exclude: Exclusions): string[] {
  const truth = c.sim.groundTruth;
  const exchange = c.sim.exchange.state.groundTruth();
  const problems: string[] = [];
  const exactlyOnce = (action: string, ids: string[], what: string) => {
    const keys = itemsOf(plan, action).map((i) => lower(i.target.id));
    for (const id of ids) {
      const n = keys.filter((k) => k === lower(id)).length;
      if (n !== 1) problems.push(`${what} ${id}: ${n} items in ${action}`);
    }
  };
  // Mail flow: the live connector and every live header-stripping rule, the rules in one bulk step.
  exactlyOnce('exo.remove-inbound-connector', exchange.maliciousInboundConnectors.map((x) => x.guid), 'malicious connector');
  exactlyOnce('exo.remove-transport-rules', exchange.maliciousTransportRules.map((x) => x.guid), 'malicious transport rule');
  const bulk = plan.filter((s) => s.action === 'exo.remove-transport-rules');
  if (bulk.length !== (exchange.maliciousTransportRules.length > 0 ? 1 : 0)) problems.push(`${bulk.length} transport-rule steps for ${exchange.maliciousTransportRules.length} rules`);
  // Forwarding outside: every forwarding mailbox once, every forwarding inbox rule that was collected once.
  const excluded = new Set(exclude.accounts.map(lower));
  const isExcluded = (a: { id: string; userPrincipalName: string }) => excluded.has(lower(a.id)) || excluded.has(lower(a.userPrincipalName));
  const excludedUpns = new Set(c.sim.tenant.users.filter(isExcluded).map((u) => lower(u.userPrincipalName)));
  const forwarding = new Set(itemsOf(plan, 'exo.remove-mailbox-forwarding').map((i) => lower(i.target.name ?? '')));
  for (const m of exchange.externalForwarding.mailboxes) if (!excludedUpns.has(lower(m)) && !forwarding.has(lower(m))) problems.push(`forwarding mailbox ${m} not in the plan`);
  const collectedRules = new Set((c.db.prepare("SELECT object_id FROM tenant_object WHERE kind = 'inboxRule' AND run_id = ?").pluck().all(c.runId) as string[]).map(lower));
  exactlyOnce('exo.remove-inbox-rules', exchange.externalForwarding.inboxRules.filter((r) => collectedRules.has(lower(r))), 'forwarding inbox rule');
  // Accounts: every account taken (not excluded) signed out, given a new password and MFA, once each; no other account signed out or reset.
  const taken = truth.compromisedAccounts.filter((a) => !isExcluded(a));
  for (const action of ['user.revoke-sessions', 'user.reset-password', 'user.require-mfa']) exactlyOnce(action, taken.map((a) => a.id), 'taken account');
  const takenIds = new Set(truth.compromisedAccounts.map((a) => lower(a.id)));
  for (const i of [...itemsOf(plan, 'user.revoke-sessions'), ...itemsOf(plan, 'user.reset-password')]) if (!takenIds.has(lower(i.target.id))) problems.push(`account ${i.target.name} was not taken but is signed out or reset`);
  // Decoys: never named by a step, an item or a request.
  const decoys = [
    ...exchange.decoyInboundConnectors.flatMap((x) => [x.guid, x.name]), ...exchange.decoyTransportRules.flatMap((x) => [x.guid, x.name]),
    ...truth.decoys.flatMap((d) => [d.applicationObjectId, d.servicePrincipalId, d.appId].filter((x): x is string => x !== null)),
  ].map(lower);
  const named = new Set([...plan.flatMap((s) => [s.target.id, ...s.items.flatMap((i) => [i.key, i.target.id, i.target.name ?? ''])]).map(lower), ...requestsOf(plan).flatMap(namedIds)]);
  for (const d of decoys) if (named.has(d)) problems.push(`decoy ${d} is in the plan`);
  // Excluded accounts: no step acts on them (a conditional-access policy lists them among its exclusions, nowhere else).
  const excludedIds = new Set(c.sim.tenant.users.filter(isExcluded).flatMap((a) => [lower(a.id), lower(a.userPrincipalName)]));
  for (const id of excludedIds) if (named.has(id)) problems.push(`excluded account ${id} is acted on`);
  // The stuffing source is blocked.
  const location = plan.find((s) => s.action === 'ca.block-attacker-addresses' && s.items.some((i) => i.key === 'location'));
  if (!JSON.stringify(location?.items[0]?.writes ?? []).includes(`${truth.attackerIp}/32`)) problems.push(`attacker address ${truth.attackerIp} not blocked`);
  return problems;
}

/** What is wrong with an item's PowerShell: a line that does not lex, or a write whose ids are not in its line. */
function powershellProblems(plan: readonly PlannedStep[]): string[] {
  const problems: string[] = [];
  for (const s of plan) {
    for (const i of s.items) {
      const lines = i.powershell;
      for (const [n, w] of i.writes.entries()) {
        const line = lines[lines.length - i.writes.length + n] ?? '';
        const strings = lexSingleQuoted(line).strings.map(lower);
        const ids = w.api === 'exchange' ? namedIds(w) : [lower(w.path)];
        for (const id of ids) if (!strings.some((x) => x === id || (w.api === 'graph' && id.startsWith(x)))) problems.push(`${s.id} ${i.key}: ${id} not a literal of "${line}"`);
        if (w.api === 'exchange' && !line.startsWith(`${w.cmdlet} `)) problems.push(`${s.id} ${i.key}: line does not run ${w.cmdlet}`);
        if (w.api === 'graph' && !line.startsWith(`Invoke-MgGraphRequest -Method ${w.method} `)) problems.push(`${s.id} ${i.key}: line does not send ${w.method}`);
      }
    }
  }
  return problems;
}

const CASES = [
  { scenario: 'contoso' as const, seed: 7, users: 150 },
  { scenario: 'fabrikam' as const, seed: 7, users: 150 },
  ...VARIED_SEEDS.slice(0, 4),
];

describe.each(CASES)('remediation plan over $scenario seed $seed', (opts) => {
  const suite = collectedForSuite(opts);

  it('plans one item per malicious object of mail flow and accounts, and none for a decoy', () => {
    const { c, report } = suite;
    const plan = planRemediation({ db: c.db, report, exclude: NONE });
    expect(judgePlan(c, plan, NONE)).toEqual([]);
  });

  it('never acts on an excluded account, by id or by user principal name', () => {
    const { c, report } = suite;
    const [first, second] = c.sim.groundTruth.compromisedAccounts;
    const exclude: Exclusions = { accounts: [first!.userPrincipalName.toUpperCase(), ...(second ? [second.id] : [])], appIds: [] };
    const plan = planRemediation({ db: c.db, report, exclude });
    expect(judgePlan(c, plan, exclude)).toEqual([]);
    expect(plan.some((s) => s.target.id === first!.id)).toBe(false);
    // Conditional access names them only to leave them out.
    const policies = plan.filter((s) => s.action === 'ca.admin-mfa-report-only' || s.action === 'ca.block-attacker-addresses').flatMap((s) => s.items.flatMap((i) => i.writes));
    for (const w of policies.filter((x) => x.api === 'graph' && x.path.endsWith('/policies'))) {
      expect(policyBody(w).conditions.users.excludeUsers).toContain(first!.id);
    }
  });

  it('notices a missing generator or an excluded account planned anyway (the check can fail)', () => {
    const { c, report } = suite;
    const ctx = planContext({ db: c.db, report, exclude: NONE })!;
    const withoutMail = [...accountSteps(ctx), ...hardeningSteps(ctx)].map((d, i) => ({ ...d, order: i + 1 }));
    const mailTruth = c.sim.exchange.state.groundTruth().maliciousTransportRules.length;
    if (mailTruth > 0) expect(judgePlan(c, withoutMail, NONE).join('\n')).toMatch(/malicious transport rule .*: 0 items/);
    const full = planRemediation({ db: c.db, report, exclude: NONE });
    const victim = c.sim.groundTruth.compromisedAccounts[0]!;
    expect(judgePlan(c, full, { accounts: [victim.id], appIds: [] }).join('\n')).toMatch(/excluded account .* is acted on/);
  });

  it('drops the steps of a finding triaged false positive', () => {
    const { c, report } = suite;
    const dismissed = (ruleId: string): DetectionReport => ({ ...report, findings: report.findings.map((f) => (f.ruleId === ruleId ? { ...f, triage: { ...f.triage, state: 'false_positive' as const } } : f)) });
    const ctx = planContext({ db: c.db, report: dismissed('exchange.header-stripping-rule'), exclude: NONE })!;
    expect(mailSteps(ctx).some((s) => s.action === 'exo.remove-transport-rules')).toBe(false);
    const noStuffing = planContext({ db: c.db, report: dismissed('signin.credential-stuffing'), exclude: NONE })!;
    expect(accountSteps(noStuffing).some((s) => s.action === 'user.reset-password')).toBe(false);
  });

  it('writes each item\'s PowerShell from its requests, the ids inside literals', () => {
    const { c, report } = suite;
    const plan = planRemediation({ db: c.db, report, exclude: NONE });
    expect(powershellProblems(plan)).toEqual([]);
    for (const i of itemsOf(plan, 'user.reset-password')) {
      expect(JSON.stringify(i.writes)).toContain('{{secret:password}}');
      expect(i.powershell.join('\n')).toMatch(/^\$password = .*RandomNumberGenerator/m);
      expect(i.powershell.join('\n')).toContain("'password' = $password");
    }
  });

  it('requires MFA for administrators the way the tenant allows: security defaults, or a policy report-only then enforced', () => {
    const { c, report } = suite;
    const plan = planRemediation({ db: c.db, report, exclude: NONE });
    const enabledPolicies = c.sim.tenant.conditionalAccessPolicies.filter((p) => p.state === 'enabled').length;
    const defaults = plan.filter((s) => s.action === 'tenant.security-defaults');
    const reportOnly = plan.find((s) => s.action === 'ca.admin-mfa-report-only');
    const enforce = plan.find((s) => s.action === 'ca.admin-mfa-enforce');
    if (enabledPolicies === 0) {
      expect(defaults).toHaveLength(1);
      expect(reportOnly).toBeUndefined();
    } else {
      expect(defaults).toHaveLength(0);
      const body = policyBody(reportOnly!.items[0]!.writes[0]!);
      expect(body.state).toBe('enabledForReportingButNotEnforced');
      expect(body.conditions.users.includeRoles).toEqual(expect.arrayContaining([...ADMIN_ROLE_TEMPLATES]));
      expect(enforce!.after).toEqual([reportOnly!.id]);
      expect(JSON.stringify(enforce!.items[0]!.writes)).toContain(`{{ref:${reportOnly!.id}/policy/id}}`);
      expect(reportOnly!.order).toBeLessThan(enforce!.order);
    }
  });

  it('names, in every step with items, an object a standing finding names (what the engine re-checks before writing)', () => {
    const { c, report } = suite;
    const plan = planRemediation({ db: c.db, report, exclude: NONE });
    const standing = new Set(report.findings.flatMap((f) => [f.subject.id, ...f.objects.map((o) => o.id)]).map(lower));
    const orphans = plan.filter((s) => s.items.length > 0 && !standing.has(lower(s.target.id)) && !s.items.every((i) => standing.has(lower(i.target.id))));
    expect(orphans.map((s) => s.id)).toEqual([]);
  });

  it('puts every item\'s PowerShell in the remediation script as it is shown, one line each', () => {
    const { c, report } = suite;
    const plan = planRemediation({ db: c.db, report, exclude: NONE });
    const script = remediationScript({ steps: plan, tenant: { id: c.sim.tenantId, domain: c.sim.tenant.domain }, caseName: 'case', generatedAt: '2026-12-07T00:00:00Z' }, 'b'.repeat(64));
    const lines = new Set(script.split('\n').map((l) => l.trim().replace(/^\$response = /, '')));
    const missing = plan.flatMap((s) => s.items.flatMap((i) => i.powershell.filter((l) => !lines.has(l)).map((l) => `${s.id} ${i.key}: ${l}`)));
    expect(missing).toEqual([]);
    expect(lexSingleQuoted(script).strings.length).toBeGreaterThan(plan.length);
  });

  it('turns security defaults on where no conditional-access policy is enabled, and auditing back on where it was turned off', () => {
    const { c, report } = suite;
    const ctx = planContext({ db: c.db, report: withAuditOff(report, c.sim.tenantId), exclude: NONE })!;
    const noPolicies = { ...ctx, collection: { ...ctx.collection, objects: (kind: string) => (kind === 'conditionalAccessPolicy' ? [] : ctx.collection.objects(kind)) } };
    const steps = hardeningSteps(noPolicies);
    const defaults = steps.filter((s) => s.action === 'tenant.security-defaults');
    expect(defaults).toHaveLength(1);
    expect(defaults[0]!.items[0]!.writes).toEqual([{ api: 'graph', method: 'PATCH', path: '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy', body: { isEnabled: true } }]);
    expect(steps.some((s) => s.action === 'ca.admin-mfa-report-only' || s.action === 'ca.admin-mfa-enforce')).toBe(false);
    const audit = steps.filter((s) => s.action === 'exo.enable-audit');
    expect(audit.map((s) => s.items[0]!.powershell)).toEqual([['Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled:$true -Confirm:$false']]);
    expect(hardeningSteps(planContext({ db: c.db, report, exclude: NONE })!).some((s) => s.action === 'exo.enable-audit')).toBe(false);
  });

  it('holds back for its own confirmation exactly the steps whose findings are all medium or lower', () => {
    const { c, report } = suite;
    const plan = planRemediation({ db: c.db, report, exclude: NONE });
    const severity = new Map(report.findings.map((f) => [f.key, f.severity]));
    const lead = (s: PlannedStep) => s.findingKeys.length > 0 && s.findingKeys.every((k) => severity.get(k) !== 'high' && severity.get(k) !== 'critical');
    expect(plan.filter((s) => s.confirmSeparately !== lead(s)).map((s) => s.id)).toEqual([]);
    expect(plan.some((s) => s.confirmSeparately)).toBe(plan.some(lead));
    // The attack's own steps (the app, the connector, the rules, the taken accounts) are never held back.
    expect(plan.filter((s) => s.confirmSeparately && /^(sp|app|user)\.|remove-inbound-connector|remove-transport-rules/.test(s.action)).map((s) => s.id)).toEqual([]);
  });

  it('gives every step its words as data: a title and note in both catalogs, every value they name given', () => {
    const { c, report } = suite;
    const plan = planRemediation({ db: c.db, report: withAuditOff(report, c.sim.tenantId), exclude: NONE });
    const problems: string[] = [];
    for (const s of plan) {
      if (!s.text) {
        problems.push(`${s.id}: no text`);
        continue;
      }
      const key = s.text.key.replace(/[.-]/g, '_');
      for (const [lang, catalog] of [['en', en], ['ja', ja]] as const) {
        const words = (catalog.checklist.step as Record<string, Record<string, string>>)[key];
        if (!words) {
          problems.push(`${s.id}: no ${lang} words for ${key}`);
          continue;
        }
        for (const [field, text] of Object.entries(words)) {
          for (const m of text.matchAll(/\{\{(\w+)/g)) if (!(m[1]! in s.text.params)) problems.push(`${s.id}: ${lang} ${field} names {{${m[1]}}}, not given`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('plans the same checklist twice, byte for byte', () => {
    const { c, report } = suite;
    const a = planRemediation({ db: c.db, report, exclude: NONE });
    const b = planRemediation({ db: c.db, report: detect(c.db), exclude: NONE });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
