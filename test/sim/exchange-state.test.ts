// Test (Vitest, Node): the Exchange state each scenario and seed builds: the attack's connector and rules (or only their audit history), decoys, determinism, ground truth.
import { describe, expect, it } from 'vitest';
import { SCENARIO_NAMES, buildTenant, type Tenant } from './scenario';
import { ExchangeState } from './exchange/state';

const RAN = /^Ran_[a-z]{5}$/;
const TEST_RULE = /^Test0\d{1,2}$/;

function snapshot(state: ExchangeState): string {
  return JSON.stringify({
    org: state.org, inbound: state.inboundConnectors, outbound: state.outboundConnectors, rules: state.transportRules,
    history: state.history, truth: state.groundTruth(),
  });
}

const cases: { tenant: Tenant; state: ExchangeState }[] = [];
for (const scenario of SCENARIO_NAMES) {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const tenant = buildTenant({ scenario, seed });
    cases.push({ tenant, state: new ExchangeState(tenant) });
  }
}

describe('Exchange state', () => {
  it('is identical for the same scenario and seed, and differs across seeds and scenarios', () => {
    const again = new ExchangeState(buildTenant({ scenario: 'contoso', seed: 1 }));
    const first = cases[0];
    if (!first) throw new Error('no cases');
    expect(snapshot(again)).toBe(snapshot(first.state));
    const snapshots = new Set(cases.map((c) => snapshot(c.state)));
    expect(snapshots.size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.tenant.scenario, c.tenant.seed, c] as const))('%s seed %i: current attack artifacts match the last cycle of tenant.attack.exchange', (_s, _seed, { tenant, state }) => {
    const facts = tenant.attack.exchange;
    const last = facts.cycles[facts.cycles.length - 1];
    const live = last !== undefined && last.removedDateTime === null;
    const ran = state.inboundConnectors.filter((c) => RAN.test(c.name));
    const tests = state.transportRules.filter((r) => TEST_RULE.test(r.name));
    const truth = state.groundTruth();
    expect(truth.attackLive).toBe(live);
    if (live) {
      expect(ran).toHaveLength(1);
      expect(ran[0]?.name).toBe(last.connectorName);
      expect(ran[0]?.connectorType).toBe('OnPremises');
      expect(ran[0]?.senderIpAddresses).toEqual(facts.attackerMailIps);
      expect(tests.map((r) => r.name)).toEqual(facts.transportRuleNames);
      expect(tests.map((r) => r.parameters.RemoveHeader)).toEqual(facts.removedHeaders);
      expect(tests.every((r) => r.actions.join() === 'RemoveHeaderAction' && r.conditions.length === 0 && r.state === 'Enabled')).toBe(true);
      expect(truth.maliciousInboundConnectors.map((c) => c.name)).toEqual([last.connectorName]);
      expect(truth.maliciousTransportRules).toHaveLength(12);
    } else {
      expect(ran).toHaveLength(0);
      expect(tests).toHaveLength(0);
      expect(truth.maliciousInboundConnectors).toHaveLength(0);
      expect(truth.maliciousTransportRules).toHaveLength(0);
    }
  });

  it.each(cases.map((c) => [c.tenant.scenario, c.tenant.seed, c] as const))('%s seed %i: the audit history shows every create/remove cycle by the malicious app', (_s, _seed, { tenant, state }) => {
    const facts = tenant.attack.exchange;
    const byApp = state.history.filter((r) => {
      const data = JSON.parse(r.AuditData) as { AppId: string };
      return data.AppId === tenant.attack.maliciousAppId;
    });
    const count = (op: string) => byApp.filter((r) => r.Operations === op).length;
    const removed = facts.cycles.filter((c) => c.removedDateTime !== null).length;
    expect(count('New-InboundConnector')).toBe(facts.cycles.length);
    expect(count('New-TransportRule')).toBe(12 * facts.cycles.length);
    expect(count('Remove-TransportRule')).toBe(12 * removed);
    expect(count('Remove-InboundConnector')).toBe(removed);
    expect(new Set(state.groundTruth().maliciousAuditRecordIds)).toEqual(new Set(byApp.map((r) => r.Identity)));
    expect(state.auditTruth().maliciousAuditRecordIds).toEqual(state.groundTruth().maliciousAuditRecordIds);
    const times = state.history.map((r) => Date.parse(r.CreationDate));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.max(...times)).toBeLessThanOrEqual(Date.parse(tenant.referenceTime));
  });

  it('keeps decoys that must not match the attack patterns', () => {
    for (const { state } of cases) {
      const truth = state.groundTruth();
      expect(truth.decoyInboundConnectors.length).toBeGreaterThanOrEqual(2);
      expect(truth.decoyTransportRules.length).toBeGreaterThanOrEqual(2);
      const onPrem = state.inboundConnectors.find((c) => c.guid === truth.decoyInboundConnectors[0]?.guid);
      expect(onPrem?.connectorType).toBe('OnPremises');
      expect(onPrem?.senderIpAddresses.length).toBeGreaterThan(0);
      expect(onPrem?.comment).toMatch(/documented/);
      expect(onPrem?.senderIpAddresses.some((ip) => state.attackerMailIps.includes(ip))).toBe(false);
      for (const d of truth.decoyInboundConnectors) expect(d.name).not.toMatch(RAN);
      for (const d of truth.decoyTransportRules) {
        const rule = state.transportRules.find((r) => r.guid === d.guid);
        expect(rule?.name).not.toMatch(TEST_RULE);
        expect(rule?.parameters.RemoveHeader ?? null).toBeNull();
      }
      const names = state.transportRules.map((r) => r.name);
      expect(names.some((n) => /disclaimer/i.test(n))).toBe(true);
      expect(names.some((n) => /journal/i.test(n))).toBe(true);
    }
  });

  it('counts mailboxes, inbox rules and external forwarding in the ground truth', () => {
    for (const { tenant, state } of cases.slice(0, 3)) {
      const truth = state.groundTruth();
      expect(truth.counts.mailboxes).toBe(tenant.users.length);
      expect(truth.counts.inboxRules).toBe(tenant.users.reduce((n, u) => n + state.inboxRules(u).length, 0));
      expect(truth.counts.transportRules).toBe(state.transportRules.length);
      for (const upn of truth.externalForwarding.mailboxes) {
        const user = state.findUser(upn);
        expect(user && state.mailbox(user).forwardingSmtpAddress).toMatch(/^smtp:.+@/);
      }
    }
  });

  it('names and addresses differ between the two scenarios', () => {
    const contoso = cases.find((c) => c.tenant.scenario === 'contoso');
    const fabrikam = cases.find((c) => c.tenant.scenario === 'fabrikam');
    expect(contoso?.state.org.domain).not.toBe(fabrikam?.state.org.domain);
    expect(contoso?.state.inboundConnectors.map((c) => c.name)).not.toEqual(fabrikam?.state.inboundConnectors.map((c) => c.name));
  });
});
