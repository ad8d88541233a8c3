// Test (Vitest, Node): the log store: determinism, counts equal to ground truth, ordering, appends, the attack's and decoys' records in the corpus shapes, bounded memory.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTenant, type Tenant } from './scenario';
import { SimLogStore, createLogStore } from './logs/store';
import { directoryAuditId, directoryAuditRecord, target } from './logs/records';
import { createPrng } from './prng';
import { AZURE_AD_POWERSHELL_CLIENT_ID } from './wellknown';
import type { GraphDirectoryAudit, GraphSignIn, UnifiedAuditRecord } from './logs/types';
import { CORPUS, corpus, prerequisite } from '../support/prerequisites';
import { itNeeds } from '../support/vitest-prerequisites';

const needsCorpus = prerequisite([corpus()]);
const DAY = 24 * 60 * 60 * 1000;

const tenants = new Map<string, Tenant>();
function tenantFor(scenario: 'contoso' | 'fabrikam', seed: number, users?: number): Tenant {
  const key = `${scenario}/${seed}/${users ?? ''}`;
  let t = tenants.get(key);
  if (!t) {
    t = buildTenant({ scenario, seed, ...(users !== undefined ? { users } : {}) });
    tenants.set(key, t);
  }
  return t;
}

function all<T>(it: Iterable<T>): T[] {
  return [...it];
}

function auditData(r: UnifiedAuditRecord): Record<string, unknown> {
  return JSON.parse(r.AuditData) as Record<string, unknown>;
}

describe('determinism', () => {
  it('gives byte-identical records and ground truth for the same tenant and seed, and different ones for another seed', () => {
    const a = new SimLogStore(tenantFor('contoso', 1), { days: 7, seed: 1 });
    const b = new SimLogStore(tenantFor('contoso', 1), { days: 7, seed: 1 });
    const c = new SimLogStore(tenantFor('contoso', 2), { days: 7, seed: 2 });
    const take = (s: SimLogStore) => JSON.stringify([
      all(s.signIns.iterate(s.fromMs, s.toMs)).slice(0, 500),
      all(s.directoryAudits.iterate(s.fromMs, s.toMs)),
      all(s.unifiedAudit.iterate(s.fromMs, s.fromMs + DAY, 'asc')),
    ]);
    expect(take(a)).toBe(take(b));
    expect(JSON.stringify(a.groundTruth())).toBe(JSON.stringify(b.groundTruth()));
    expect(take(a)).not.toBe(take(c));
  });

  it('gives a calendar day the same records whatever the window length (seeded by seed, source and day)', () => {
    const t = tenantFor('contoso', 1);
    const short = new SimLogStore(t, { days: 5, seed: 1 });
    const long = new SimLogStore(t, { days: 20, seed: 1 });
    const lo = short.referenceMs - 3 * DAY;
    expect(JSON.stringify(all(short.signIns.iterate(lo, short.referenceMs)))).toBe(JSON.stringify(all(long.signIns.iterate(lo, long.referenceMs))));
  });

  it('generates a day the same way whether it is reached first or after others (lazy, per-day seeds)', () => {
    const t = tenantFor('fabrikam', 3);
    const a = new SimLogStore(t, { days: 10, seed: 3, cacheDays: 1 });
    const b = new SimLogStore(t, { days: 10, seed: 3, cacheDays: 1 });
    const lo = a.fromMs + 4 * DAY;
    const hi = lo + DAY;
    all(b.signIns.iterate(b.fromMs, b.toMs)); // b walks everything first
    expect(JSON.stringify(all(a.signIns.iterate(lo, hi)))).toBe(JSON.stringify(all(b.signIns.iterate(lo, hi))));
  });
});

describe('counts', () => {
  const store = new SimLogStore(tenantFor('contoso', 1), { days: 30, seed: 1 });
  const truth = store.groundTruth();

  it('counts without generating and agrees with iteration and the ground truth, per source and per day', () => {
    expect(truth.counts.signIns).toBe(all(store.signIns.iterate(store.fromMs, store.toMs)).length);
    expect(truth.counts.directoryAudits).toBe(all(store.directoryAudits.iterate(store.fromMs, store.toMs)).length);
    expect(truth.counts.unifiedAudit).toBe(all(store.unifiedAudit.iterate(store.fromMs, store.toMs)).length);
    // The Unified Audit Log holds a copy of every sign-in and directory audit, plus Exchange admin records.
    expect(truth.counts.unifiedAudit).toBeGreaterThan(truth.counts.signIns + truth.counts.directoryAudits);
    const sum = (k: 'signIns' | 'directoryAudits' | 'unifiedAudit') => truth.countsPerDay.reduce((n, d) => n + d[k], 0);
    expect(sum('signIns')).toBe(truth.counts.signIns);
    expect(sum('directoryAudits')).toBe(truth.counts.directoryAudits);
    expect(sum('unifiedAudit')).toBe(truth.counts.unifiedAudit);
    // About 3 sign-ins per user per day by default.
    expect(truth.counts.signIns / (tenantFor('contoso', 1).users.length * 30)).toBeGreaterThan(2);
  });

  it('counts what Graph serves: the last 30 days of a longer window, the whole of a shorter one', () => {
    expect(truth.countsServedByGraph).toEqual({ signIns: truth.counts.signIns, directoryAudits: truth.counts.directoryAudits });
    const long = new SimLogStore(tenantFor('contoso', 1), { days: 45, seed: 1, eventsPerUserPerDay: 0.5 });
    const served = long.groundTruth();
    const from = long.referenceMs - 30 * DAY;
    expect(served.countsServedByGraph).toEqual({
      signIns: all(long.signIns.iterate(from, long.referenceMs)).length,
      directoryAudits: all(long.directoryAudits.iterate(from, long.referenceMs)).length,
    });
    expect(served.countsServedByGraph.signIns).toBeLessThan(served.counts.signIns);
  });

  it('counts partial ranges exactly', () => {
    const lo = store.fromMs + 3.3 * DAY;
    const hi = lo + 2.6 * DAY;
    const records = all(store.signIns.iterate(lo, hi));
    expect(store.signIns.count(lo, hi)).toBe(records.length);
    for (const r of records) {
      const ms = Date.parse(r.createdDateTime);
      expect(ms).toBeGreaterThanOrEqual(Math.floor(lo / 1000) * 1000);
      expect(ms).toBeLessThan(hi);
    }
    expect(store.unifiedAudit.count(lo, hi)).toBe(all(store.unifiedAudit.iterate(lo, hi)).length);
  });

  it('iterates newest first by default and oldest first on request', () => {
    const lo = store.toMs - 2 * DAY;
    const desc = all(store.directoryAudits.iterate(lo, store.toMs)).map((r) => Date.parse(r.activityDateTime));
    const asc = all(store.directoryAudits.iterate(lo, store.toMs, 'asc')).map((r) => Date.parse(r.activityDateTime));
    expect(desc.length).toBeGreaterThan(5);
    expect(desc).toEqual([...desc].sort((x, y) => y - x));
    expect(asc).toEqual([...desc].reverse());
  });

  it('rejects knobs outside their range', () => {
    expect(() => createLogStore(tenantFor('contoso', 1), { days: 0, seed: 1 })).toThrow(/days/);
    expect(() => createLogStore(tenantFor('contoso', 1), { days: 181, seed: 1 })).toThrow(/days/);
  });
});

describe('appended records', () => {
  it('merges a write at its timestamp, counts it, mirrors a directory audit into the Unified Audit Log and moves toMs', () => {
    const t = tenantFor('contoso', 1);
    const store = new SimLogStore(t, { days: 3, seed: 1 });
    const at = store.toMs - 6 * 60 * 60 * 1000;
    const before = store.directoryAudits.count(store.fromMs, store.toMs);
    const ualBefore = store.unifiedAudit.count(store.fromMs, store.toMs);
    const prng = createPrng('test/append');
    const correlationId = prng.guid();
    const admin = t.users[0];
    if (!admin) throw new Error('no users');
    const record = directoryAuditRecord({
      id: directoryAuditId(prng, correlationId), ms: at, correlationId, activityDisplayName: 'Delete application', category: 'ApplicationManagement',
      operationType: 'Delete', initiatedBy: { user: { id: admin.id, displayName: null, userPrincipalName: admin.userPrincipalName, ipAddress: '192.0.2.10' } },
      targetResources: [target('Application', t.attack.maliciousApplicationId, t.attack.maliciousDisplayName)],
    });
    store.directoryAudits.append(record);
    expect(store.directoryAudits.count(store.fromMs, store.toMs)).toBe(before + 1);
    const around = all(store.directoryAudits.iterate(at - 60_000, at + 60_000));
    expect(around.map((r) => r.id)).toContain(record.id);
    expect(store.unifiedAudit.count(store.fromMs, store.toMs)).toBe(ualBefore + 1);
    const mirror = all(store.unifiedAudit.iterate(at - 1000, at + 1000)).find((r) => r.Operations === 'Delete application.');
    expect(mirror && auditData(mirror).Workload).toBe('AzureActiveDirectory');
    // A write after the reference time (the consultant's remediation, today) extends the window.
    const later = { ...record, id: `${record.id}-later`, activityDateTime: new Date(store.referenceMs + DAY).toISOString() };
    store.directoryAudits.append(later);
    expect(store.toMs).toBe(store.referenceMs + DAY + 1);
    expect(all(store.directoryAudits.iterate(store.fromMs, store.toMs))[0]?.id).toBe(later.id);
  });
});

describe('the attack and the decoys', () => {
  const t = tenantFor('contoso', 1);
  const store = new SimLogStore(t, { days: 30, seed: 1 });
  const truth = store.groundTruth();
  const a = t.attack;
  const signIns = all(store.signIns.iterate(store.fromMs, store.toMs));
  const audits = all(store.directoryAudits.iterate(store.fromMs, store.toMs));
  const ual = all(store.unifiedAudit.iterate(store.fromMs, store.toMs, 'asc'));
  const byId = new Map<string, GraphSignIn>(signIns.map((s) => [s.id, s]));
  const auditById = new Map<string, GraphDirectoryAudit>(audits.map((s) => [s.id, s]));

  it('has hours of stuffing failures from one IP against many accounts on Azure AD PowerShell, then single-factor successes for the two admins', () => {
    const stuffing = truth.malicious.signIns.map((id) => byId.get(id));
    expect(stuffing.every(Boolean)).toBe(true);
    const records = stuffing as GraphSignIn[];
    expect(new Set(records.map((r) => r.ipAddress))).toEqual(new Set([a.attackerIp]));
    expect(new Set(records.map((r) => r.appId))).toEqual(new Set([AZURE_AD_POWERSHELL_CLIENT_ID]));
    expect(records.every((r) => r.appDisplayName === 'Azure Active Directory PowerShell')).toBe(true);
    expect(new Set(records.map((r) => r.userPrincipalName)).size).toBeGreaterThan(10);
    const codes = new Set(records.map((r) => r.status.errorCode));
    expect(codes.has(50126)).toBe(true);
    expect(codes.has(50034)).toBe(true);
    expect([...codes].some((c) => c === 50076 || c === 50079 || c === 50053 || c === 50057)).toBe(true);
    const times = records.map((r) => Date.parse(r.createdDateTime));
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(2 * 60 * 60 * 1000);
    const successes = records.filter((r) => r.status.errorCode === 0);
    expect(successes.map((r) => r.userId).sort()).toEqual(a.compromisedAdmins.map((c) => c.userId).sort());
    for (const s of successes) {
      expect(s.authenticationRequirement).toBe('singleFactorAuthentication');
      expect(s.status.failureReason).toBeNull();
      expect(a.compromisedAdmins.find((c) => c.userId === s.userId)?.successDateTime).toBe(s.createdDateTime);
    }
  });

  it('has every directory audit step by the compromised admin from the attacker IP, with the names Entra writes', () => {
    const steps = truth.malicious.directoryAudits.map((id) => auditById.get(id) as GraphDirectoryAudit);
    const names = steps.map((s) => s.activityDisplayName);
    for (const name of ['Add application', 'Add service principal', 'Consent to application', 'Add app role assignment to service principal',
      'Update application – Certificates and secrets management ']) {
      expect(names).toContain(name);
    }
    expect(names.filter((n) => n === 'Add member to role')).toHaveLength(2);
    for (const s of steps) {
      expect(s.initiatedBy.user?.id).toBe(a.compromisedUserId);
      expect(s.initiatedBy.user?.ipAddress).toBe(a.attackerIp);
    }
    const roles = steps.filter((s) => s.activityDisplayName === 'Add member to role');
    for (const r of roles) expect(r.targetResources[0]?.type).toBe('ServicePrincipal');
    const roleNames = roles.map((r) => r.targetResources[0]?.modifiedProperties.find((p) => p.displayName === 'Role.DisplayName')?.newValue);
    expect(roleNames.sort()).toEqual(['"Exchange Administrator"', '"Global Administrator"']);
    const grant = steps.find((s) => s.activityDisplayName === 'Add app role assignment to service principal');
    expect(JSON.stringify(grant)).toContain('Exchange.ManageAsApp');
  });

  it('mirrors them into the Unified Audit Log with its own operation names, and holds the Exchange cycles by the app', () => {
    const ops = new Set(ual.map((r) => r.Operations));
    expect(ops.has('Add service principal.')).toBe(true);
    expect(ops.has('Add member to role.')).toBe(true);
    expect(ops.has('Update application – Certificates and secrets management ')).toBe(true);
    expect(ops.has('UserLoginFailed')).toBe(true);
    const malicious = new Set(truth.malicious.unifiedAudit);
    const exchange = ual.filter((r) => r.RecordType === 'ExchangeAdmin' && malicious.has(r.Identity)).map(auditData);
    const connectors = exchange.filter((d) => d.Operation === 'New-InboundConnector');
    expect(connectors.length).toBe(a.exchange.cycles.filter((c) => Date.parse(c.createdDateTime) >= store.fromMs).length);
    for (const c of connectors) {
      expect(String(c.ObjectId)).toMatch(/^Ran_[a-z]{5}$/i);
      const params = c.Parameters as { Name: string; Value: string }[];
      expect(params.find((p) => p.Name === 'SenderIPAddresses')?.Value).toBeTruthy();
      expect(c.AppId).toBe(a.maliciousAppId);
    }
    const rules = exchange.filter((d) => d.Operation === 'New-TransportRule');
    expect(new Set(rules.map((d) => d.ObjectId))).toEqual(new Set(a.exchange.transportRuleNames));
    expect(rules.every((d) => (d.Parameters as { Name: string }[]).some((p) => p.Name === 'RemoveHeader'))).toBe(true);
    const removed = a.exchange.cycles.filter((c) => c.removedDateTime !== null && Date.parse(c.removedDateTime) >= store.fromMs).length;
    expect(exchange.filter((d) => d.Operation === 'Remove-InboundConnector')).toHaveLength(removed);
    // The outbound spike leaves the default alert in the log, once per spam run.
    const alerts = ual.filter((r) => r.RecordType === 'SecurityComplianceAlerts' && malicious.has(r.Identity)).map(auditData);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((d) => d.Name === 'Suspicious email sending patterns detected' && d.Operation === 'AlertTriggered')).toBe(true);
    // Every malicious id of the ground truth is a record of the window.
    const ualIds = new Set(ual.map((r) => r.Identity));
    expect(truth.malicious.unifiedAudit.every((id) => ualIds.has(id))).toBe(true);
  });

  it('has the decoys: two password typos from the usual IP, and a credential rotation by the backup app owner', () => {
    const typos = truth.decoys.signIns.map((id) => byId.get(id) as GraphSignIn);
    expect(typos.filter((s) => s.status.errorCode === 50126)).toHaveLength(2);
    expect(new Set(typos.map((s) => s.ipAddress))).toEqual(new Set([a.benignFailingAdmin.ip]));
    expect(typos.every((s) => s.userId === a.benignFailingAdmin.userId)).toBe(true);
    const rotation = truth.decoys.directoryAudits.map((id) => auditById.get(id) as GraphDirectoryAudit);
    expect(rotation[0]?.initiatedBy.user?.userPrincipalName).toBe(t.decoys.find((d) => d.kind === 'backup-app-registration')?.consentedByUserPrincipalName);
    const malicious = new Set([...truth.malicious.signIns, ...truth.malicious.directoryAudits]);
    expect([...truth.decoys.signIns, ...truth.decoys.directoryAudits].some((id) => malicious.has(id))).toBe(false);
  });
});

describe('shapes against the corpus', () => {
  const store = new SimLogStore(tenantFor('contoso', 1), { days: 2, seed: 1 });
  const signIn = all(store.signIns.iterate(store.fromMs, store.toMs))[0] as GraphSignIn;
  const audit = all(store.directoryAudits.iterate(store.fromMs, store.toMs))[0] as GraphDirectoryAudit;
  const ual = all(store.unifiedAudit.iterate(store.fromMs, store.toMs));

  function corpusJson(path: string): unknown {
    return JSON.parse(readFileSync(resolve(CORPUS, path), 'utf8')) as unknown;
  }

  itNeeds(needsCorpus)('signIn and directoryAudit carry the properties of the Graph samples (corpus: sekoia_entraid_graphapi)', () => {
    const sample = corpusJson('entra_audit/sekoia_entraid_graphapi/raw_tests/test_signin.json') as { input: { message: string } };
    const expected = JSON.parse(sample.input.message) as Record<string, unknown>;
    for (const key of Object.keys(expected)) expect(signIn).toHaveProperty(key);
    expect(Object.keys(signIn.status)).toEqual(Object.keys(expected.status as object));
    expect(Object.keys(signIn.deviceDetail)).toEqual(Object.keys(expected.deviceDetail as object));
    expect(Object.keys(signIn.location)).toEqual(Object.keys(expected.location as object));
    expect(signIn.createdDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const auditSample = corpusJson('entra_audit/sekoia_entraid_graphapi/raw_tests/test_directory_audit.json') as { input: { message: string } };
    const expectedAudit = JSON.parse(auditSample.input.message) as Record<string, unknown>;
    for (const key of Object.keys(expectedAudit)) expect(audit).toHaveProperty(key);
    expect(audit.activityDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
  });

  itNeeds(needsCorpus)('UAL AuditData carries the Management Activity properties of the real samples (corpus: sekoia_o365_mgmt_api, plaso)', () => {
    const aad = corpusJson('ual/sekoia_o365_mgmt_api/raw_tests/add_member_to_role.json') as { input: { message: string } };
    const aadKeys = Object.keys(JSON.parse(aad.input.message) as object);
    const aadRecord = ual.find((r) => r.RecordType === 'AzureActiveDirectory');
    expect(aadRecord).toBeDefined();
    for (const key of aadKeys) expect(auditData(aadRecord as UnifiedAuditRecord)).toHaveProperty(key);
    const plaso = readFileSync(resolve(CORPUS, 'ual/plaso/microsoft_audit_log.jsonl'), 'utf8').split('\n')[0] ?? '{}';
    const exKeys = Object.keys(JSON.parse(plaso) as object);
    const exRecord = ual.find((r) => r.RecordType === 'ExchangeAdmin');
    expect(exRecord).toBeDefined();
    for (const key of exKeys) expect(auditData(exRecord as UnifiedAuditRecord)).toHaveProperty(key);
    const data = auditData(exRecord as UnifiedAuditRecord);
    expect(data.CreationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(exRecord?.Identity).toBe(data.Id);
  });
});

describe('memory', () => {
  it('iterates a large window while holding at most a few days of records', () => {
    const t = tenantFor('contoso', 5, 400);
    const store = new SimLogStore(t, { days: 45, seed: 5 });
    let n = 0;
    for (const r of store.unifiedAudit.iterate(store.fromMs, store.toMs)) if (r.Identity) n++;
    expect(n).toBe(store.unifiedAudit.count(store.fromMs, store.toMs));
    expect(n).toBeGreaterThan(400 * 45 * 2);
    for (const stats of Object.values(store.cacheStats())) {
      expect(stats.peakDays).toBeLessThanOrEqual(stats.capacity);
      expect(stats.capacity).toBeLessThanOrEqual(3);
    }
  });
});
