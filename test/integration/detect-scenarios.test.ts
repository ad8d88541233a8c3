// Every ground-truth artifact of the attack is named by a finding, and no decoy is rated high: both scenarios and fifty more seeds whose attacks vary in shape, each collected from the simulator.
import { describe, expect, it } from 'vitest';
import type { DetectionReport, Finding } from '../../preload/contract';
import { detect } from '../../main/detect/engine';
import { RULES } from '../../main/detect/rules';
import { collectedCase, collectedForSuite, type CollectedCase } from '../support/collected-case';
import type { ExchangeGroundTruth } from '../sim/exchange/state';
import { VARIED_SEEDS } from '../support/varied-seeds';

const HIGH = new Set(['high', 'critical']);
const lower = (s: string) => s.toLowerCase();


/** What a finding rests on, as sets of lower-case ids. */
function evidenceOf(findings: readonly Finding[]) {
  return {
    objects: new Set(findings.flatMap((f) => [...f.objects.map((o) => lower(o.id)), lower(f.subject.id)])),
    records: new Set(findings.flatMap((f) => f.events.map((e) => lower(e.recordId)))),
    iocs: new Set(findings.flatMap((f) => f.iocs.map((i) => lower(i.value)))),
    text: findings.map((f) => lower(f.reason)).join('\n'),
  };
}

/** The checks, as a list of what is missing or wrong (empty when the report is right). */
export function judge(c: CollectedCase, report: DetectionReport): string[] {
  const truth = c.sim.groundTruth;
  const exchange: ExchangeGroundTruth = c.sim.exchange.state.groundTruth();
  const problems: string[] = [];
  const expectIn = (set: Set<string>, ids: string[], what: string) => {
    for (const id of ids) if (!set.has(lower(id))) problems.push(`${what} ${id} is in no finding`);
  };
  const strong = report.findings.filter((f) => HIGH.has(f.severity));
  const any = report.findings.filter((f) => f.severity !== 'info' && f.severity !== 'low');
  const s = evidenceOf(strong);
  const a = evidenceOf(any);

  // Directory objects of the attack: named by high or critical findings.
  const m = truth.maliciousObjects;
  expectIn(s.objects, [...m.applicationObjectIds, ...m.servicePrincipalIds, ...m.appRoleAssignmentIds, ...m.roleAssignmentIds], 'malicious object');
  for (const key of m.credentialKeyIds) if (!s.text.includes(lower(key))) problems.push(`credential ${key} is named by no high finding`);
  // The stuffing (or spray) source and every account it took, privileged or not.
  const stuffing = strong.find((f) => f.ruleId === 'signin.credential-stuffing' && f.subject.id === truth.attackerIp);
  if (!stuffing) problems.push(`no credential-stuffing finding for ${truth.attackerIp}`);
  for (const account of truth.compromisedAccounts) {
    if (!stuffing?.iocs.some((i) => i.type === 'account' && lower(i.value) === lower(account.userPrincipalName))) problems.push(`compromised ${account.userPrincipalName} not named by the stuffing finding`);
  }
  // Every taken admin signed in with a password alone, whether or not it had MFA registered (registered is not enforced).
  for (const admin of truth.compromisedAdmins) {
    if (!strong.some((f) => f.ruleId === 'identity.privileged-no-mfa' && lower(f.subject.id) === lower(admin.id))) problems.push(`compromised admin ${admin.userPrincipalName} (MFA ${admin.isMfaRegistered ? 'registered, not enforced' : 'not registered'}) not flagged high`);
  }
  // Every malicious log record, in some finding of medium severity or above.
  const logs = truth.logs!;
  expectIn(a.records, logs.malicious.signIns, 'malicious sign-in');
  expectIn(a.records, logs.malicious.directoryAudits, 'malicious directory audit');
  expectIn(a.records, logs.malicious.unifiedAudit, 'malicious UAL record');
  expectIn(a.records, exchange.maliciousAuditRecordIds, 'malicious ExchangeAdmin record');
  // The app's own sign-ins with the attacker's credential (high), and the taken sessions refreshed from the stuffing address.
  expectIn(s.records, logs.signInKinds.servicePrincipal.malicious, 'malicious service-principal sign-in');
  expectIn(a.records, logs.signInKinds.nonInteractiveUser.malicious, 'malicious non-interactive sign-in');
  // The campaign's deleted first registration, from the directory's deleted items.
  expectIn(s.objects, [...truth.deletedObjects.malicious.applicationIds, ...truth.deletedObjects.malicious.servicePrincipalIds], 'deleted malicious object');
  // The Exchange side: live objects when the attacker left them, the relay addresses either way.
  expectIn(s.objects, [...exchange.maliciousInboundConnectors.map((x) => x.name), ...exchange.maliciousTransportRules.map((x) => x.guid)], 'malicious Exchange object');
  expectIn(s.iocs, exchange.attackerMailIps, 'attacker relay address');
  for (const cycle of exchange.cycles) if (!strong.some((f) => f.ruleId === 'exchange.config-cycle' && f.reason.includes(cycle.connectorName))) problems.push(`cycle of ${cycle.connectorName} not flagged`);
  const story = strong.find((f) => f.ruleId === 'storyline.oauth-mail-abuse' && lower(f.subject.id) === lower(m.applicationObjectId));
  if (!story) problems.push('no storyline finding for the malicious app');
  const registrar = truth.compromisedAdmins[0];
  if (story && registrar?.isMfaRegistered && !story.reason.includes('MFA registered but not enforced')) problems.push('storyline says the registering admin had no MFA, but it had MFA registered (not enforced)');
  // The storyline's cleanup step is dated when the objects were created again after the first removal, not at the first creation.
  const recreated = exchange.cycles.find((cycle, i) => i > 0 && exchange.cycles[i - 1]!.removedDateTime !== null);
  const cleanupAt = story?.reason.match(/(\d{4}-\d\d-\d\d \d\d:\d\d) UTC: it removed and re-created them/)?.[1];
  if (story && recreated && cleanupAt !== recreated.createdDateTime.slice(0, 16).replace('T', ' ')) problems.push(`storyline dates the re-creation at ${cleanupAt ?? 'no time'}, not ${recreated.createdDateTime}`);
  // With no create/remove cycle the attack never reached mail flow: those stages have nothing to light them.
  const unreached = exchange.cycles.length === 0 ? new Set(['mail-flow', 'cleanup-cycles']) : new Set<string>();
  for (const stage of report.storyline) if (!stage.lit && !unreached.has(stage.id)) problems.push(`storyline stage ${stage.id} not lit`);

  // Decoys: never in a high or critical finding.
  const decoyIds = truth.decoys.flatMap((d) => [d.applicationObjectId, d.servicePrincipalId, d.appId].filter((x): x is string => x !== null)).map(lower);
  const decoyRecords = [...logs.decoys.signIns, ...logs.decoys.directoryAudits, ...logs.decoys.unifiedAudit, ...logs.signInKinds.servicePrincipal.decoys].map(lower);
  const decoyExchange = [...exchange.decoyInboundConnectors.flatMap((x) => [x.name, x.guid]), ...exchange.decoyTransportRules.flatMap((x) => [x.name, x.guid]), ...exchange.auditBypass.decoys.map((x) => x.name)].map(lower);
  for (const f of strong) {
    const e = evidenceOf([f]);
    for (const id of [...decoyIds, ...decoyExchange]) if (e.objects.has(id) || e.iocs.has(id)) problems.push(`decoy ${id} in ${f.severity} finding ${f.key}`);
    for (const id of decoyRecords) if (e.records.has(id)) problems.push(`decoy record ${id} in ${f.severity} finding ${f.key}`);
  }
  return problems;
}

describe.each([
  { scenario: 'contoso' as const, seed: 7, users: 200 },
  { scenario: 'fabrikam' as const, seed: 7, users: 200 },
])('detections over the $scenario scenario (seed $seed)', (opts) => {
  const suite = collectedForSuite(opts);

  it('finds every malicious artifact and rates no decoy high', () => {
    const { c, report } = suite;
    expect(judge(c, report)).toEqual([]);
  });

  it('names each finding\'s objects and events with the evidence rows they came from', () => {
    const { c, report } = suite;
    for (const f of report.findings) {
      for (const o of f.objects) expect(o.evidenceSha256).toMatch(/^[0-9a-f]{64}$/);
      for (const e of f.events) expect(e.evidenceSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    const sha = c.db.prepare('SELECT sha256 FROM evidence WHERE id = ?').pluck();
    const sample = report.findings.flatMap((f) => f.events).slice(0, 50);
    for (const e of sample) expect(sha.get(e.evidenceId)).toBe(e.evidenceSha256);
  });

  it('gives every finding its own key, the one triage is recorded under', () => {
    const { report } = suite;
    const keys = report.findings.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const f of report.findings) expect(f.key.startsWith(`${f.ruleId}:`)).toBe(true);
  });

  it('mentions the decoys at low severity, with the reason', () => {
    const { c, report } = suite;
    const backup = c.sim.groundTruth.decoys.find((d) => d.kind === 'backup-app-registration')!;
    const mention = report.findings.find((f) => f.ruleId === 'app.exchange-manage-as-app' && f.subject.id === backup.servicePrincipalId);
    expect(mention?.severity).toBe('low');
    expect(mention?.reason).toMatch(/Long-standing/);
  });

  it('names the malicious app\'s credential use from outside the tenant\'s ranges, its first use after the credential was added, and nothing of the backup product\'s', () => {
    const { c, report } = suite;
    const truth = c.sim.groundTruth;
    const uses = report.findings.filter((f) => f.ruleId === 'app.credential-use-unknown-range');
    const mine = uses.find((f) => f.subject.id === truth.maliciousApp.applicationObjectId);
    expect(mine?.severity).toBe('high');
    expect(mine?.reason).toMatch(/minutes after a credential was added at/);
    expect(mine?.reason).toContain(truth.maliciousObjects.credentialKeyIds[0]);
    const backup = truth.decoys.find((d) => d.kind === 'backup-app-registration')!;
    expect(uses.filter((f) => f.subject.id === backup.applicationObjectId || f.subject.id === backup.servicePrincipalId)).toEqual([]);
    // Every account the stuffing took had its session refreshed from the stuffing address.
    const refreshed = report.findings.filter((f) => f.ruleId === 'signin.token-refresh-from-attacker').map((f) => f.subject.id);
    expect(refreshed.sort()).toEqual(truth.compromisedAccounts.map((a) => a.userPrincipalName.toLowerCase()).sort());
  });

  it('flags the audit bypass the attacker set during the window, and mentions the archiving service\'s long-standing one at low severity', () => {
    const { c, report } = suite;
    const bypass = c.sim.exchange.state.groundTruth().auditBypass;
    const found = report.findings.filter((f) => f.ruleId === 'audit.mailbox-audit-bypass');
    for (const name of bypass.malicious) expect(found.find((f) => f.subject.name === name)?.severity).toBe('high');
    for (const decoy of bypass.decoys) expect(found.find((f) => f.subject.name === decoy.name)?.severity).toBe('low');
    // The attacker's Set-MailboxAuditBypassAssociation is in the audit log in both scenarios (in fabrikam lifted again), in the tenant finding.
    const tenant = found.find((f) => f.subject.type === 'tenant');
    expect(tenant?.severity).toBe('high');
    expect(tenant?.reason).toMatch(/exempted .* from mailbox auditing/);
    if (c.sim.tenant.scenario === 'fabrikam') expect(tenant?.reason).toMatch(/lifted the mailbox-audit exemption/);
    // Auditing itself was never off: no finding says so, and the checklist does not turn ingestion back on.
    expect(report.findings.filter((f) => f.ruleId === 'audit.logging-disabled')).toEqual([]);
  });

  it('flags the Exchange role the campaign\'s app gave itself, and mentions the archiving service\'s long-standing one at low severity', () => {
    const { c, report } = suite;
    const rbac = c.sim.exchange.state.groundTruth().appRbac;
    const roles = report.findings.filter((f) => f.ruleId === 'exchange.app-role-assignment');
    const app = c.sim.groundTruth.maliciousApp;
    // From the audit log in both scenarios (registration and role, and in fabrikam their removal), from the live assignment in contoso.
    expect(roles.find((f) => f.subject.id === app.appId.toLowerCase())?.severity).toBe('high');
    for (const name of rbac.malicious.roleAssignmentNames) expect(roles.find((f) => f.subject.type === 'exchangeRoleAssignment' && f.reason.includes(app.appId.toLowerCase()))?.severity, name).toBe('high');
    for (const decoy of rbac.decoys) expect(roles.find((f) => f.subject.type === 'exchangeRoleAssignment' && f.reason.includes(decoy.appIds[0]!.toLowerCase()))?.severity).toBe('low');
  });

  it('notices when a rule is missing (the check can fail)', () => {
    const { c } = suite;
    const without = (id: string) => judge(c, detect(c.db, { rules: RULES.filter((r) => r.id !== id) }));
    expect(without('exchange.config-cycle').join('\n')).toMatch(/cycle of .* not flagged/);
    expect(without('signin.credential-stuffing').join('\n')).toMatch(/no credential-stuffing finding/);
    expect(without('app.credential-added').join('\n')).toMatch(/credential .* is named by no high finding/);
    expect(without('app.deleted-recreated').join('\n')).toMatch(/deleted malicious object .* is in no finding/);
    expect(without('app.credential-use-unknown-range').join('\n')).toMatch(/malicious service-principal sign-in .* is in no finding/);
  });

  it('rates the tenant label on an ordinary app below high: the name alone proves little', () => {
    const { c } = suite;
    const truth = c.sim.groundTruth;
    const ordinary = c.sim.tenant.applications.find((a) => a.requiredResourceAccess.every((r) => r.resourceAppId !== '00000002-0000-0ff1-ce00-000000000000') && a.appId !== truth.remediationClient.appId)!;
    const rename = c.db.prepare('UPDATE application SET display_name = ? WHERE object_id = ? AND run_id = ?');
    rename.run(`${truth.tenantLabel}-crm`, ordinary.id, c.runId);
    try {
      const again = detect(c.db).findings.filter((f) => f.ruleId === 'app.tenant-label-name');
      expect(again.find((f) => f.subject.id === ordinary.id)?.severity).toMatch(/^(medium|low)$/);
      expect(again.find((f) => f.subject.id === truth.maliciousApp.applicationObjectId)?.severity).toBe('high');
    } finally {
      rename.run(ordinary.displayName, ordinary.id, c.runId);
    }
  });

  it('gives the same findings, in the same order, when run again', () => {
    const { c, report } = suite;
    const again = detect(c.db);
    expect(again.findings.map((f) => [f.key, f.severity, f.events.length])).toEqual(report.findings.map((f) => [f.key, f.severity, f.events.length]));
  });
});

describe('detections over fifty more seeds, the attack\'s shape varying', () => {
  it.each(VARIED_SEEDS)('$scenario seed $seed ($users users)', async (opts) => {
    const c = await collectedCase({ ...opts, eventsPerUserPerDay: 0.3 });
    try {
      expect(judge(c, detect(c.db))).toEqual([]);
    } finally {
      await c.dispose();
    }
  }, 120_000);
});
