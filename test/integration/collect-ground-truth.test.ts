// A full collection matches the scenario's ground truth exactly, per source, in both attack scenarios: counts and ids.
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimHandle } from '../sim/server';
import { listApplications, listServicePrincipals } from '../../db/queries/directory';
import { listObjects } from '../../db/queries/objects';
import { listSources } from '../../db/queries/sources';
import { readOnEveryDetection } from '../../db/queries/logs';
import { ualRawReader, type UalRawRef } from '../../db/queries/ualRaw';
import { collectedCase, type CollectedCase } from '../support/collected-case';

const ids = (db: Database, sql: string, runId: string) => new Set(db.prepare(sql).pluck().all(runId) as string[]);

describe.each(['contoso', 'fabrikam'] as const)('a full collection of the %s scenario', (scenario) => {
  let c: CollectedCase;
  let sim: SimHandle;
  let db: Database;
  let runId: string;
  let chosen: SimHandle['tenant']['users'];

  beforeAll(async () => {
    // Fewer sign-ins per user keeps the paced report requests few; the attack's records are all still there. The report
    // throttle stays on (undefined keeps the simulator's own): this collection is paced as a real one is.
    // As in many real tenants: nobody consented to Peregrine's permissions before, and Conditional Access blocks device code.
    c = await collectedCase({ scenario, seed: 21, eventsPerUserPerDay: 0.25, reportsThrottle: undefined, inboxRuleMailboxes: 3, blockDeviceCode: true });
    ({ sim, db, runId } = c);
    // The examiner picked the first three mailboxes that have inbox rules.
    chosen = sim.tenant.users.filter((u) => sim.exchange.state.inboxRules(u).length > 0).slice(0, 3);
  }, 180_000);

  afterAll(async () => c?.dispose());

  it('signed in through the browser (device code blocked), consenting for the organisation at that first sign-in', () => {
    expect(sim.requests.some((r) => r.path.includes('/oauth2/v2.0/authorize') && r.method === 'POST')).toBe(true);
    expect(sim.requests.some((r) => r.path.includes('/oauth2/v2.0/devicecode'))).toBe(false);
    const cli = sim.tenant.servicePrincipals.find((sp) => sp.appId === '14d82eec-204b-4c2f-b7e8-296a70dab67e')!;
    expect(sim.tenant.oauth2PermissionGrants.filter((g) => g.clientId === cli.id).map((g) => g.consentType)).toEqual(['AllPrincipals']);
  });

  it('holds exactly the tenant\'s directory objects', () => {
    const t = sim.tenant;
    expect(new Set(listApplications(db, runId).map((a) => a.objectId))).toEqual(new Set(t.applications.map((a) => a.id)));
    expect(new Set(listServicePrincipals(db, runId).map((s) => s.objectId))).toEqual(new Set(t.servicePrincipals.map((s) => s.id)));
    expect(new Set(listObjects(db, runId, 'user').map((u) => u.objectId))).toEqual(new Set(t.users.map((u) => u.id)));
    expect(listObjects(db, runId, 'userRegistrationDetails')).toHaveLength(t.userRegistrationDetails.length);
    expect(listObjects(db, runId, 'conditionalAccessPolicy')).toHaveLength(t.conditionalAccessPolicies.length);
    expect(listObjects(db, runId, 'securityDefaults')).toHaveLength(1);
    expect(new Set(listObjects(db, runId, 'oauth2PermissionGrant').map((g) => g.objectId))).toEqual(new Set(t.oauth2PermissionGrants.map((g) => g.id)));
    // The malicious service principal's roles and its Exchange.ManageAsApp grant are among what was collected.
    const maliciousSp = sim.groundTruth.maliciousApp.servicePrincipalId;
    expect(listObjects(db, runId, 'roleAssignment').filter((r) => r.principalId === maliciousSp).length).toBeGreaterThanOrEqual(2);
    expect(listObjects(db, runId, 'appRoleAssignment').some((a) => a.principalId === maliciousSp)).toBe(true);
  });

  it('holds exactly the directory\'s deleted applications and service principals, the campaign\'s first registration and the admin\'s clean-up', () => {
    const d = sim.groundTruth.deletedObjects;
    expect(new Set(listObjects(db, runId, 'deletedApplication').map((o) => o.objectId))).toEqual(new Set(d.applicationIds));
    expect(new Set(listObjects(db, runId, 'deletedServicePrincipal').map((o) => o.objectId))).toEqual(new Set(d.servicePrincipalIds));
    expect(d.malicious.applicationIds).toHaveLength(1);
    expect(d.decoys.applicationIds).toHaveLength(1);
    const first = listObjects(db, runId, 'deletedApplication').find((o) => o.objectId === d.malicious.applicationIds[0]);
    expect(first?.displayName).toBe(sim.groundTruth.maliciousApp.displayName);
    expect(first?.raw.deletedDateTime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('holds every sign-in, directory audit and Unified Audit Log record of the window, malicious ones included', () => {
    const logs = sim.groundTruth.logs!;
    // Interactive sign-ins only: the other kinds are sources of their own (below).
    const signIns = ids(db, `SELECT id FROM sign_in WHERE run_id = ? AND json_extract(raw, '$.signInEventTypes[0]') = 'interactiveUser'`, runId);
    const audits = ids(db, 'SELECT id FROM directory_audit WHERE run_id = ?', runId);
    const ual = ids(db, 'SELECT id FROM ual_record WHERE run_id = ?', runId);
    expect(signIns.size).toBe(logs.counts.signIns);
    expect(audits.size).toBe(logs.counts.directoryAudits);
    expect(ual.size).toBe(logs.counts.unifiedAudit);
    expect(logs.malicious.signIns.filter((id) => !signIns.has(id))).toEqual([]);
    expect(logs.malicious.directoryAudits.filter((id) => !audits.has(id))).toEqual([]);
    expect(logs.malicious.unifiedAudit.filter((id) => !ual.has(id))).toEqual([]);
    const sources = Object.fromEntries(listSources(db, runId).map((s) => [s.source, s]));
    expect(sources['graph.signIns']!.records).toBe(logs.counts.signIns);
    expect(sources['exo.unifiedAuditLog']!.truncated).toBe(false);
  });

  it('holds every non-interactive and service-principal sign-in Graph serves for the window, the attack\'s and the decoy\'s', () => {
    const kinds = sim.groundTruth.logs!.signInKinds;
    const sources = Object.fromEntries(listSources(db, runId).map((s) => [s.source, s]));
    for (const [kind, source, operation] of [
      ['nonInteractiveUser', 'graph.nonInteractiveSignIns', 'non-interactive user sign-in'],
      ['servicePrincipal', 'graph.servicePrincipalSignIns', 'service principal sign-in'],
    ] as const) {
      const truth = kinds[kind];
      const stored = ids(db, `SELECT id FROM sign_in WHERE run_id = ? AND json_extract(raw, '$.signInEventTypes[0]') = '${kind}'`, runId);
      expect(stored.size).toBe(truth.count);
      expect(sources[source]).toMatchObject({ state: 'done', records: truth.count, truncated: false });
      expect(truth.malicious.length).toBeGreaterThan(0);
      expect(truth.malicious.filter((id) => !stored.has(id))).toEqual([]);
      expect(truth.decoys.filter((id) => !stored.has(id))).toEqual([]);
      // Each is an event of its own kind on the timeline, not a "Sign-in activity" the password rules count.
      expect(db.prepare(`SELECT count(*) FROM event WHERE run_id = ? AND source = 'signin' AND operation = ?`).pluck().get(runId, operation)).toBe(truth.count);
    }
    expect(kinds.servicePrincipal.decoys.length).toBeGreaterThan(0);
    // The malicious app's sign-ins name the credential the attacker added.
    const keys = new Set(sim.groundTruth.maliciousObjects.credentialKeyIds);
    const used = db.prepare(`SELECT DISTINCT json_extract(raw, '$.servicePrincipalCredentialKeyId') FROM sign_in WHERE run_id = ? AND json_extract(raw, '$.appId') = ?`).pluck().all(runId, sim.groundTruth.maliciousApp.appId) as string[];
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((k) => !keys.has(k))).toEqual([]);
  });

  it('holds the audit settings: ingestion, the organisation\'s mailbox auditing and every account\'s audit bypass, the attack\'s and the archiving service\'s', () => {
    const bypass = sim.groundTruth.exchange!.auditBypass;
    const [config] = listObjects(db, runId, 'adminAuditLogConfig');
    expect(listObjects(db, runId, 'adminAuditLogConfig')).toHaveLength(1);
    expect(config!.raw.UnifiedAuditLogIngestionEnabled).toBe(true);
    const org = listObjects(db, runId, 'organizationConfig');
    expect(org).toHaveLength(1);
    expect(org[0]!.raw.AuditDisabled).toBe(false);
    const rows = listObjects(db, runId, 'mailboxAuditBypass');
    expect(rows).toHaveLength(bypass.count);
    const exempt = rows.filter((r) => r.raw.AuditBypassEnabled === true).map((r) => r.displayName).sort();
    expect(exempt).toEqual([...bypass.malicious, ...bypass.decoys.map((d) => d.name)].sort());
    expect(bypass.decoys).toHaveLength(1);
    // contoso: the attacker's exemption is still in place; fabrikam: it was put back when the attacker cleaned up.
    expect(bypass.malicious.length).toBe(scenario === 'contoso' ? 1 : 0);
    const sources = Object.fromEntries(listSources(db, runId).map((s) => [s.source, s]));
    expect(sources['exo.mailboxAuditBypass']).toMatchObject({ state: 'done', records: bypass.count });
  });

  it('holds Exchange\'s service principals and the roles assigned to apps: the campaign\'s while live, the archiving service\'s', () => {
    const rbac = sim.groundTruth.exchange!.appRbac;
    const sps = listObjects(db, runId, 'exchangeServicePrincipal');
    const roles = listObjects(db, runId, 'exchangeRoleAssignment');
    expect(sps).toHaveLength(rbac.servicePrincipals);
    expect(roles).toHaveLength(rbac.roleAssignments);
    expect(new Set(sps.map((s) => String(s.raw.AppId)))).toEqual(new Set([...rbac.malicious.appIds, ...rbac.decoys.flatMap((d) => d.appIds)]));
    expect(roles.map((r) => r.displayName).sort()).toEqual([...rbac.malicious.roleAssignmentNames, ...rbac.decoys.flatMap((d) => d.roleAssignmentNames)].sort());
    expect(rbac.malicious.appIds).toEqual(scenario === 'contoso' ? [sim.groundTruth.maliciousApp.appId] : []);
  });

  it('keeps each Unified Audit Log record in its evidence page, where its row points; inline too only those every detection run reads', () => {
    const rows = db.prepare('SELECT id, raw, evidence_id, page_index, record_type, operation FROM ual_record WHERE run_id = ?').all(runId) as
      (UalRawRef & { id: string; record_type: string | null; operation: string })[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.page_index === null)).toEqual([]);
    const inline = rows.filter((r) => r.raw !== null);
    expect(inline.filter((r) => !readOnEveryDetection({ recordType: r.record_type, operation: r.operation }))).toEqual([]);
    expect(rows.filter((r) => r.raw === null && readOnEveryDetection({ recordType: r.record_type, operation: r.operation }))).toEqual([]);
    expect(inline.length).toBeGreaterThan(0);
    expect(inline.length).toBeLessThan(rows.length / 2);
    // Every record read from its page (inline copies ignored): the row's id, and the inline copy is the page's record.
    const records = ualRawReader(db).readAll(rows.map((r) => ({ ...r, raw: null })));
    const idOf = (r: Record<string, unknown>) => (JSON.parse(r.AuditData as string) as { Id?: string }).Id ?? r.Identity;
    expect(rows.filter((r, i) => idOf(records[i]!) !== r.id)).toEqual([]);
    expect(rows.filter((r, i) => r.raw !== null && r.raw !== JSON.stringify(records[i]))).toEqual([]);
  });

  it('holds the Exchange configuration as it is now: the attack\'s connector and rules when they are live', () => {
    const exo = sim.groundTruth.exchange!;
    expect(listObjects(db, runId, 'inboundConnector')).toHaveLength(exo.counts.inboundConnectors);
    expect(listObjects(db, runId, 'outboundConnector')).toHaveLength(exo.counts.outboundConnectors);
    const rules = new Set(listObjects(db, runId, 'transportRule').map((r) => r.objectId));
    expect(rules.size).toBe(exo.counts.transportRules);
    expect(exo.maliciousTransportRules.filter((r) => !rules.has(r.guid))).toEqual([]);
    expect(exo.attackLive).toBe(scenario === 'contoso');
    // Mailboxes with their forwarding settings: the externally forwarding ones are among them.
    const mailboxes = listObjects(db, runId, 'mailbox');
    expect(mailboxes).toHaveLength(exo.counts.mailboxes);
    const names = new Set(mailboxes.flatMap((m) => [m.displayName, String(m.raw.PrimarySmtpAddress ?? ''), String(m.raw.UserPrincipalName ?? '')]));
    expect(exo.externalForwarding.mailboxes.filter((m) => !names.has(m))).toEqual([]);
    // Inbox rules of exactly the chosen mailboxes.
    const expected = chosen.reduce((n, u) => n + sim.exchange.state.inboxRules(u).length, 0);
    expect(expected).toBeGreaterThan(0);
    expect(listObjects(db, runId, 'inboxRule')).toHaveLength(expected);
    expect(listSources(db, runId).find((s) => s.source === 'exo.inboxRules')).toMatchObject({ state: 'done', records: expected, scope: { mailboxes: chosen.map((u) => u.userPrincipalName) } });
  });
});
