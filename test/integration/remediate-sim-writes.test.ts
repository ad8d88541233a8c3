// The simulator applies every write the mail-flow, Exchange access, account and hardening steps send: each item's own read shows its expectation met afterwards, and a new collection of the tenant no longer shows what was removed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { detect } from '../../main/detect/engine';
import type { PlannedStep, RemediationRequest, StepItem } from '../../main/remediate/model';
import { planRemediation } from '../../main/remediate/plan';
import { parseRef } from '../../main/remediate/ps';
import { listObjects } from '../../db/queries/objects';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import { withAuditOff } from '../support/findings';
import { delegatedToken } from '../sim/directory/test-tokens';
import { json, simRequest, type SimResponse } from '../sim/https-client';
import { DIRECTORY_ROLES, EXCHANGE_POWERSHELL_CLIENT_ID } from '../sim/wellknown';

const MY_ACTIONS = new Set(['exo.remove-inbound-connector', 'exo.remove-transport-rules', 'exo.remove-mailbox-forwarding', 'exo.remove-inbox-rules',
  'user.revoke-sessions', 'user.reset-password', 'user.require-mfa', 'tenant.security-defaults', 'ca.admin-mfa-report-only', 'ca.admin-mfa-enforce',
  'ca.block-attacker-addresses', 'exo.enable-audit', 'exo.remove-app-role-assignments', 'exo.disable-audit-bypass']);

const envelope = z.object({ value: z.array(z.record(z.string(), z.unknown())) });

/** Sends one planned request as it is written, placeholders resolved: the recorded results, a password made here. */
class Sender {
  readonly results = new Map<string, Record<string, unknown>>();
  constructor(private readonly c: CollectedCase, private readonly graphToken: string, private readonly exchangeToken: string) {}

  private resolve(text: string): string {
    return text.replace(/\{\{ref:[^}]+\}\}/g, (m) => {
      const ref = parseRef(m)!;
      const value = this.results.get(`${ref.stepId}/${ref.itemKey}`)?.[ref.field];
      if (typeof value !== 'string') throw new Error(`${m} is not recorded yet`);
      return value;
    }).replace('{{secret:password}}', `${randomBytes(18).toString('base64')}k7#Q`);
  }

  send(r: RemediationRequest): Promise<SimResponse> {
    const { sim } = this.c;
    if (r.api === 'graph') {
      const body = r.body ? this.resolve(JSON.stringify(r.body)) : undefined;
      return simRequest(`${sim.url}${this.resolve(r.path)}`, {
        ca: sim.caPem, method: r.method,
        headers: { Authorization: `Bearer ${this.graphToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        ...(body ? { body } : {}),
      });
    }
    return simRequest(`${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand`, {
      ca: sim.caPem, method: 'POST', headers: { Authorization: `Bearer ${this.exchangeToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ CmdletInput: { CmdletName: r.cmdlet, Parameters: r.parameters } }),
    });
  }

  /** The item's read as the object it describes: null when absent (404), the first row of an Exchange answer. */
  async read(item: StepItem): Promise<Record<string, unknown> | null> {
    const response = await this.send(item.read);
    if (response.status === 404) return null;
    expect(response.status, `${JSON.stringify(item.read)}: ${response.text.slice(0, 300)}`).toBe(200);
    const body = json(response) as Record<string, unknown>;
    return item.read.api === 'exchange' ? (envelope.parse(body).value[0] ?? null) : body;
  }
}

const at = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

/** Whether the live object meets the item's expectation, written after `since`. */
function meets(item: StepItem, live: Record<string, unknown> | null, since: number): boolean {
  const e = item.expect;
  if ('absent' in e) return live === null;
  if (live === null) return false;
  if ('equals' in e) return Object.entries(e.equals).every(([p, v]) => JSON.stringify(at(live, p) ?? null) === JSON.stringify(v));
  if ('notBefore' in e) return Date.parse(String(at(live, e.notBefore.path))) >= Math.floor(since / 1000) * 1000;
  return !(at(live, e.listLacks.path) as Record<string, unknown>[] | undefined)?.some((x) => x[e.listLacks.field] === e.listLacks.value);
}

describe('the simulator applies the mail-flow, account and hardening writes', () => {
  let c: CollectedCase;
  let plan: PlannedStep[];
  let sender: Sender;
  let remediator: string;
  const outcomes: { step: string; item: string; before: boolean; after: boolean; status: number }[] = [];

  beforeAll(async () => {
    c = await collectedCase({ scenario: 'contoso', seed: 1, users: 150, eventsPerUserPerDay: 0.5 });
    // The remediating account: a Global Administrator the attacker did not take.
    const taken = new Set(c.sim.groundTruth.compromisedAccounts.map((a) => a.id));
    const ga = c.sim.tenant.directoryRoleAssignments.find((a) => a.roleDefinitionId === DIRECTORY_ROLES.globalAdministrator.templateId && a.principalType === 'User' && !taken.has(a.principalId))!;
    remediator = c.sim.tenant.users.find((u) => u.id === ga.principalId)!.userPrincipalName;
    const graphToken = (await delegatedToken(c.sim, 'https://graph.microsoft.com/.default', remediator, c.sim.groundTruth.remediationClient.appId)).access_token;
    const exchangeToken = (await delegatedToken(c.sim, 'https://outlook.office365.com/.default', remediator, EXCHANGE_POWERSHELL_CLIENT_ID)).access_token;
    sender = new Sender(c, graphToken, exchangeToken);
    // The attacker turned Unified Audit Log ingestion off (the scenario does not: done here, with the finding it gives).
    c.sim.exchange.state.auditConfig.unifiedAuditLogIngestionEnabled = false;
    plan = planRemediation({ db: c.db, report: withAuditOff(detect(c.db), c.sim.tenantId), exclude: { accounts: [remediator], appIds: [] } }).filter((s) => MY_ACTIONS.has(s.action));
    for (const step of plan) {
      for (const item of step.items) {
        const before = meets(item, await sender.read(item), Date.now());
        const since = Date.now();
        let status = 0;
        for (const w of item.writes) {
          const response = await sender.send(w);
          status = response.status;
          if (response.status === 201) sender.results.set(`${step.id}/${item.key}`, json(response) as Record<string, unknown>);
        }
        outcomes.push({ step: step.id, item: item.key, before, after: meets(item, await sender.read(item), since), status });
      }
    }
  }, 180_000);
  afterAll(async () => c?.dispose());

  it('plans steps of every area here, each write accepted, each expectation unmet before and met after', () => {
    expect(new Set(plan.map((s) => s.action))).toEqual(new Set(['exo.remove-inbound-connector', 'exo.remove-transport-rules', 'exo.remove-mailbox-forwarding',
      'user.revoke-sessions', 'user.reset-password', 'user.require-mfa', 'ca.admin-mfa-report-only', 'ca.admin-mfa-enforce', 'ca.block-attacker-addresses', 'exo.enable-audit',
      'exo.remove-app-role-assignments', 'exo.disable-audit-bypass']));
    expect(outcomes.filter((o) => o.status < 200 || o.status >= 300)).toEqual([]);
    expect(outcomes.filter((o) => !o.after)).toEqual([]);
    // Sessions revoked and passwords reset earlier in the run are already "after" for nothing else: all started unmet.
    expect(outcomes.filter((o) => o.before)).toEqual([]);
  });

  it('a new collection no longer shows the connector, the rules or the forwarding, and shows the new policies', async () => {
    const runId = await c.collectAgain();
    const report = detect(c.db, { runId });
    const strong = report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
    const truth = c.sim.exchange.state.groundTruth();
    const connectors = listObjects(c.db, runId, 'inboundConnector').map((o) => o.objectId);
    const rules = listObjects(c.db, runId, 'transportRule').map((o) => o.objectId);
    for (const x of truth.maliciousInboundConnectors) expect(connectors).not.toContain(x.guid);
    for (const x of truth.maliciousTransportRules) expect(rules).not.toContain(x.guid);
    for (const x of [...truth.decoyInboundConnectors, ...truth.decoyTransportRules]) expect([...connectors, ...rules]).toContain(x.guid);
    expect(strong.flatMap((f) => f.objects).filter((o) => o.kind === 'inboundConnector' || o.kind === 'transportRule')).toEqual([]);
    expect(report.findings.filter((f) => f.ruleId === 'mail.external-forwarding' && f.objects.some((o) => o.kind === 'mailbox' || o.kind === 'inboxRule'))).toEqual([]);
    const policies = listObjects(c.db, runId, 'conditionalAccessPolicy').map((p) => [p.displayName, p.raw.state]);
    expect(policies).toEqual(expect.arrayContaining([['Peregrine: require MFA for administrator roles', 'enabled'], ['Peregrine: block attacker addresses', 'enabled']]));
    expect(report.findings.some((f) => f.ruleId === 'posture.mfa-not-enforced')).toBe(false);
    // The app's Exchange role assignment and the taken admin's exemption are gone; the archiving service's are collected as before.
    expect(strong.flatMap((f) => f.objects).filter((o) => o.kind === 'exchangeRoleAssignment' || o.kind === 'mailboxAuditBypass')).toEqual([]);
    const assignments = listObjects(c.db, runId, 'exchangeRoleAssignment').map((o) => o.displayName);
    expect(assignments).toEqual(truth.appRbac.decoys.flatMap((d) => d.roleAssignmentNames));
    const exempt = listObjects(c.db, runId, 'mailboxAuditBypass').filter((o) => o.raw.AuditBypassEnabled === true).map((o) => o.displayName);
    expect(exempt).toEqual(truth.auditBypass.decoys.map((d) => d.name));
  });

  it('leaves the remediating account alone and names it among the policies\' exclusions', async () => {
    const id = c.sim.tenant.users.find((u) => u.userPrincipalName === remediator)!.id;
    expect(plan.some((s) => s.target.id === id)).toBe(false);
    const policies = c.sim.tenant.conditionalAccessPolicies.filter((p) => p.displayName.startsWith('Peregrine:'));
    expect(policies).toHaveLength(2);
    for (const p of policies) expect(p.conditions.users.excludeUsers).toContain(id);
  });
});
