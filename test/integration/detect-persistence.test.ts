// What outlives a password reset or hides the next step: records in Entra's and Exchange's own shapes, added to a collected case, make the rules fire — and look-alikes do not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvidence } from '../../db/queries/evidence';
import { insertDirectoryAudits, insertUnifiedAuditRecords } from '../../db/queries/logs';
import { detect } from '../../main/detect/engine';
import type { DetectionReport } from '../../preload/contract';
import { directoryAuditRecord, exchangeAdminRecord, prop, target } from '../sim/logs/records';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import { expectSaidInJapanese } from '../support/reason-text';
import { i18next } from '../../renderer/i18n';
import { reasonText } from '../../renderer/features/findings/findingText';

let c: CollectedCase;
let report: DetectionReport;
let ordinaryUpn: string;

beforeAll(async () => {
  c = await collectedCase({ scenario: 'contoso', seed: 11, users: 120, eventsPerUserPerDay: 0.3 });
  const t = c.sim.tenant;
  const admin = t.attack.compromisedAdmins[0]!;
  const adminUser = t.users.find((u) => u.id === admin.userId)!;
  const ordinary = t.users.find((u) => !t.directoryRoleAssignments.some((r) => r.principalId === u.id))!;
  ordinaryUpn = ordinary.userPrincipalName;
  const after = Date.parse(admin.successDateTime) + 3_600_000;
  const before = Date.parse(admin.successDateTime) - 40 * 86_400_000;
  const user = (u: typeof adminUser, ip: string | null) => ({ id: u.id, displayName: u.displayName, userPrincipalName: u.userPrincipalName, ipAddress: ip });
  const audits = [
    // The attacker registers an authenticator on the taken admin, an hour after getting in.
    directoryAuditRecord({
      id: 'test-method-1', ms: after, correlationId: 'c1', activityDisplayName: 'User registered security info', category: 'UserManagement', operationType: 'Add',
      loggedByService: 'Authentication Methods', initiatedBy: { user: user(adminUser, t.attack.attackerIp) },
      targetResources: [target('User', adminUser.id, adminUser.displayName, [], adminUser.userPrincipalName)],
    }),
    // An ordinary user registering their own phone: not an attack.
    directoryAuditRecord({
      id: 'test-method-2', ms: after, correlationId: 'c2', activityDisplayName: 'User registered security info', category: 'UserManagement', operationType: 'Add',
      loggedByService: 'Authentication Methods', initiatedBy: { user: user(ordinary, '192.0.2.10') },
      targetResources: [target('User', ordinary.id, ordinary.displayName, [], ordinary.userPrincipalName)],
    }),
    // A second owner on the campaign's app.
    directoryAuditRecord({
      id: 'test-owner-1', ms: after + 60_000, correlationId: 'c3', activityDisplayName: 'Add owner to application', category: 'ApplicationManagement', operationType: 'Add',
      initiatedBy: { user: user(adminUser, t.attack.attackerIp) },
      targetResources: [
        target('User', ordinary.id, ordinary.userPrincipalName, [], ordinary.userPrincipalName),
        target('Application', t.attack.maliciousApplicationId, t.attack.maliciousDisplayName, [prop('Application.ObjectID', null, `"${t.attack.maliciousApplicationId}"`)]),
      ],
    }),
  ];
  const app = { userId: t.attack.maliciousServicePrincipalId, userKey: t.attack.maliciousAppId, userType: 5, appId: t.attack.maliciousAppId, clientIp: t.attack.attackerMailIps[0] ?? '203.0.113.9' };
  const exo = (id: string, ms: number, operation: string, parameters: Record<string, string>, actor: typeof app) =>
    exchangeAdminRecord({
      id, ms, tenantId: t.tenantId, tenantDomain: t.domain, operation, objectId: parameters.Identity ?? parameters.App ?? '', originatingServer: 'NA2PR15MB0001 (15.20.0000.000)',
      parameters: Object.entries(parameters).map(([Name, Value]) => ({ Name, Value })), ...actor,
    });
  const admin_ = { userId: adminUser.userPrincipalName, userKey: adminUser.id, userType: 2, appId: '', clientIp: t.attack.attackerIp };
  const system = { userId: 'NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)', userKey: 'NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)', userType: 4, appId: '', clientIp: '' };
  const ual = [
    exo('test-audit-off', after + 120_000, 'Set-AdminAuditLogConfig', { UnifiedAuditLogIngestionEnabled: 'False' }, app),
    exo('test-audit-on', before, 'Set-AdminAuditLogConfig', { AdminAuditLogEnabled: 'True' }, system),
    // The other ways to go dark, by the taken admin; each beside the same cmdlet turning auditing on.
    exo('test-admin-audit-off', after + 125_000, 'Set-AdminAuditLogConfig', { AdminAuditLogEnabled: '0' }, admin_),
    exo('test-org-audit-off', after + 130_000, 'Set-OrganizationConfig', { AuditDisabled: '$true' }, admin_),
    exo('test-org-audit-on', before, 'Set-OrganizationConfig', { AuditDisabled: 'False' }, admin_),
    exo('test-mailbox-audit-off', after + 135_000, 'Set-Mailbox', { Identity: 'ceo@contoso.example', AuditEnabled: 'False' }, admin_),
    exo('test-mailbox-audit-on', before, 'Set-Mailbox', { Identity: 'cfo@contoso.example', AuditEnabled: 'True' }, admin_),
    exo('test-bypass-on', after + 140_000, 'Set-MailboxAuditBypassAssociation', { Identity: 'svc-sync', AuditBypassEnabled: 'True' }, admin_),
    exo('test-bypass-off', before, 'Set-MailboxAuditBypassAssociation', { Identity: 'svc-backup', AuditBypassEnabled: '$false' }, admin_),
    exo('test-role-app', after + 180_000, 'New-ManagementRoleAssignment', { App: t.attack.maliciousAppId, Role: 'Application Mail.ReadWrite', Name: 'mail-rw' }, app),
    {
      CreationTime: new Date(after + 240_000).toISOString().slice(0, 19), Id: 'test-mail-read', Operation: 'MailItemsAccessed', OrganizationId: t.tenantId,
      RecordType: 50, ResultStatus: 'Succeeded', UserKey: t.attack.maliciousServicePrincipalId, UserType: 0, Version: 1, Workload: 'Exchange',
      ClientIPAddress: app.clientIp, UserId: ordinary.userPrincipalName, AppId: '00000003-0000-0000-c000-000000000000', ClientAppId: t.attack.maliciousAppId,
      MailboxOwnerUPN: ordinary.userPrincipalName, OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }],
    },
    // A forwarding rule made in Outlook on the taken admin's mailbox: audited in the mailbox, not as a cmdlet.
    {
      CreationTime: new Date(after + 300_000).toISOString().slice(0, 19), Id: 'test-inbox-rule', Operation: 'UpdateInboxRules', OrganizationId: t.tenantId,
      RecordType: 2, ResultStatus: 'Succeeded', UserKey: adminUser.id, UserType: 0, Version: 1, Workload: 'Exchange', ClientIPAddress: t.attack.attackerIp,
      UserId: adminUser.userPrincipalName, MailboxOwnerUPN: adminUser.userPrincipalName,
      OperationProperties: [
        { Name: 'RuleOperation', Value: 'AddMailboxRule' }, { Name: 'RuleName', Value: '..' },
        { Name: 'RuleActions', Value: JSON.stringify([{ ActionType: 'Forward', Recipients: ['collect@exfil.example'], ForwardFlags: 'None' }]) },
      ],
    },
  ];
  const at = new Date().toISOString();
  const page = (source: string, body: unknown) =>
    insertEvidence(c.db, { runId: c.runId, source, method: 'GET', url: `https://example.test/${source}`, status: 200, contentType: 'application/json', collectedAt: at, body: Buffer.from(JSON.stringify(body)) }).id;
  c.db.transaction(() => {
    insertDirectoryAudits(c.db, c.runId, page('graph.directoryAudits', audits), audits);
    // As the collector stores a UAL page: the records stay in the evidence page, and the rules read them from there.
    insertUnifiedAuditRecords(c.db, c.runId, page('exo.unifiedAuditLog', { value: ual }), ual, { rawInEvidence: true });
  })();
  report = detect(c.db);
}, 120_000);

afterAll(async () => c?.dispose());

const of = (ruleId: string) => report.findings.filter((f) => f.ruleId === ruleId);
const ids = (ruleId: string) => of(ruleId).flatMap((f) => f.events.map((e) => e.recordId));

describe('persistence and evasion rules', () => {
  it('flags a sign-in method registered on a taken admin after the takeover, high; not an ordinary user\'s own', () => {
    expect(of('identity.auth-method-added').filter((f) => f.severity === 'high').flatMap((f) => f.events.map((e) => e.recordId))).toContain('test-method-1');
    expect(ids('identity.auth-method-added')).not.toContain('test-method-2');
    expect(report.findings.some((f) => f.subject.name?.toLowerCase() === ordinaryUpn.toLowerCase() && f.ruleId === 'identity.auth-method-added')).toBe(false);
  });

  it('flags an owner added to the campaign\'s app, high', () => {
    const f = of('app.owner-added').find((x) => x.subject.id === c.sim.tenant.attack.maliciousApplicationId);
    expect(f?.severity).toBe('high');
    expect(f?.events.map((e) => e.recordId)).toContain('test-owner-1');
  });

  it('flags auditing turned off or bypassed, each way, and not the same cmdlets turning it on', () => {
    expect(ids('audit.logging-disabled').sort()).toEqual(['test-admin-audit-off', 'test-audit-off', 'test-mailbox-audit-off', 'test-org-audit-off']);
    const f = of('audit.logging-disabled').find((x) => x.subject.type === 'tenant')!;
    expect(f.severity).toBe('high');
    // One of the changes was made by the app itself: high confidence.
    expect(f.confidence).toBe('high');
    expect(f.reason).toContain('turned the admin audit log or Unified Audit Log ingestion off');
    expect(f.reason).toContain('disabled mailbox auditing for the organisation');
    expect(f.reason).toContain('disabled auditing of mailbox ceo@contoso.example');
    // An exemption is a finding of its own: it is undone differently (Set-MailboxAuditBypassAssociation, not the audit switches).
    const bypass = of('audit.mailbox-audit-bypass').find((x) => x.subject.type === 'tenant')!;
    expect(bypass.reason).toContain('exempted svc-sync from mailbox auditing');
    expect(bypass.events.map((e) => e.recordId)).toContain('test-bypass-on');
    expect(bypass.events.map((e) => e.recordId)).not.toContain('test-bypass-off');
  });

  it('flags an Exchange application role given to the app', () => {
    // The audit log's record (the scenario's live assignments are findings of their own, without events).
    const f = of('exchange.app-role-assignment').find((x) => x.events.some((e) => e.recordId === 'test-role-app'));
    expect(f?.severity).toBe('high');
    expect(f?.reason).toMatch(/Application Mail\.ReadWrite/);
    expect(f?.iocs.map((i) => i.value)).toContain(c.sim.tenant.attack.maliciousAppId);
  });

  it('flags mail read by the campaign\'s app, naming the mailbox', () => {
    const f = of('mail.app-mailbox-access')[0];
    expect(f?.severity).toBe('high');
    expect(f?.reason.toLowerCase()).toContain(ordinaryUpn.toLowerCase());
    expect(f?.events.map((e) => e.recordId)).toEqual(['test-mail-read']);
  });

  it('flags a forwarding inbox rule made in the mail client (UpdateInboxRules), naming the address', () => {
    const f = of('mail.external-forwarding').find((x) => x.events.some((e) => e.recordId === 'test-inbox-rule'));
    expect(f?.reason).toMatch(/inbox rule "\.\." set in the mail client at .* \(Forward\) to collect@exfil\.example/);
  });

  it('says these findings in Japanese, as the Findings screen shows them', async () => {
    // The rules these records make fire (the scenarios alone do not), and the forwarding rule made in the mail client.
    const ruleIds = ['identity.auth-method-added', 'app.owner-added', 'audit.logging-disabled', 'audit.mailbox-audit-bypass', 'exchange.app-role-assignment', 'mail.app-mailbox-access'];
    for (const id of ruleIds) expect(of(id).length, id).toBeGreaterThan(0);
    const forwarded = of('mail.external-forwarding').filter((x) => x.events.some((e) => e.recordId === 'test-inbox-rule'));
    await expectSaidInJapanese([...ruleIds.flatMap(of), ...forwarded]);
    await i18next.changeLanguage('ja');
    try {
      const audit = reasonText(of('audit.logging-disabled').find((x) => x.subject.type === 'tenant')!);
      expect(audit).toContain('メールボックス ceo@contoso.example の監査を無効にしました（Set-Mailbox）');
      expect(reasonText(forwarded[0]!)).toMatch(/受信トレイ ルール「\.\.」が作成され、collect@exfil\.example に送信します（Forward）/);
    } finally {
      await i18next.changeLanguage('en');
    }
  });
});
