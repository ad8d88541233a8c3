// Test (Vitest, Node): the scenario's directory facts: two compromised admins without MFA, the attack's step order, Exchange cycles, MFA posture, and a ground truth that names every malicious object.
import { describe, expect, it } from 'vitest';
import { buildTenant, groundTruth, SCENARIO_NAMES } from './scenario';
import { requiresMfaForAdmins, roleAssignmentId } from './directory/policies';
import { AZURE_AD_POWERSHELL_CLIENT_ID, DIRECTORY_ROLES } from './wellknown';

const ms = (iso: string) => Date.parse(iso);

describe.each(SCENARIO_NAMES.flatMap((scenario) => [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((seed) => ({ scenario, seed }))))('$scenario seed $seed', ({ scenario, seed }) => {
  const t = buildTenant({ scenario, seed });
  const truth = groundTruth(t);
  const a = t.attack;

  it('has two privileged admins broken into single-factor, neither with MFA registered', () => {
    expect(a.compromisedAdmins).toHaveLength(2);
    expect(new Set(a.compromisedAdmins.map((x) => x.userId)).size).toBe(2);
    expect(a.compromisedAdmins[0]?.userId).toBe(a.compromisedUserId);
    expect(a.compromisedAdmins[0]?.roleTemplateIds).toContain(DIRECTORY_ROLES.globalAdministrator.templateId);
    for (const admin of a.compromisedAdmins) {
      expect(admin.roleTemplateIds.length).toBeGreaterThan(0);
      const reg = t.userRegistrationDetails.find((r) => r.id === admin.userId);
      expect(reg).toMatchObject({ isAdmin: true, isMfaRegistered: false, isMfaCapable: false });
      expect(a.stuffing.targetUserIds).toContain(admin.userId);
      expect(ms(admin.successDateTime)).toBeGreaterThanOrEqual(ms(a.stuffing.startDateTime));
      expect(ms(admin.successDateTime)).toBeLessThanOrEqual(ms(a.stuffing.endDateTime));
    }
    expect(truth.adminsWithoutMfa.sort()).toEqual(a.compromisedAdmins.map((x) => x.userId).sort());
    expect(a.compromisedUsers.map((u) => u.id)).toEqual(a.compromisedAdmins.map((x) => x.userId));
    expect(a.stuffing.appId).toBe(AZURE_AD_POWERSHELL_CLIENT_ID);
    expect(a.stuffing.targetUserIds.length).toBeGreaterThanOrEqual(25);
  });

  it('orders the steps as ATTACK.md does, inside the default 30-day window', () => {
    const ref = ms(t.referenceTime);
    const success = ms(a.compromisedAdmins[0]?.successDateTime ?? '');
    expect(ref - ms(a.stuffingStartDateTime)).toBeLessThan(30 * 86_400_000);
    expect(ms(a.stuffingEndDateTime) - ms(a.stuffingStartDateTime)).toBeGreaterThan(2 * 3_600_000);
    expect(ms(a.steps.addApplication)).toBeGreaterThan(success);
    expect(ms(a.steps.addServicePrincipal)).toBeGreaterThan(ms(a.steps.addApplication));
    expect(ms(a.steps.consentToApplication)).toBeGreaterThan(ms(a.steps.addApplication));
    expect(a.steps.addAppRoleAssignment).toBe(a.steps.consentToApplication);
    const roleTimes = a.steps.addMemberToRole.map((r) => ms(r.dateTime));
    expect(roleTimes.every((x) => x > ms(a.steps.consentToApplication))).toBe(true);
    expect(a.steps.addMemberToRole.map((r) => r.roleTemplateId)).toEqual([DIRECTORY_ROLES.globalAdministrator.templateId, DIRECTORY_ROLES.exchangeAdministrator.templateId]);
    expect(a.steps.addCredentials.every((c) => ms(c.dateTime) > Math.max(...roleTimes) - 20 * 60_000)).toBe(true);
    expect(a.steps.addCredentials.map((c) => c.keyId).sort()).toEqual([...truth.maliciousObjects.credentialKeyIds].sort());
  });

  it('plans the Exchange create/remove cycles after the app exists, the last live only in contoso', () => {
    const cycles = a.exchange.cycles;
    expect(cycles.length).toBeGreaterThanOrEqual(2);
    expect(a.connectorName).toMatch(/^Ran_[a-z]{5}$/);
    expect(cycles.every((c) => c.connectorName === a.connectorName)).toBe(true);
    expect(a.ruleNames).toEqual(['Test01', 'Test02', 'Test03', 'Test04', 'Test05', 'Test06', 'Test07', 'Test08', 'Test09', 'Test010', 'Test011', 'Test012']);
    expect(a.exchange.removedHeaders).toHaveLength(12);
    let previous = ms(a.createdDateTime);
    for (const c of cycles) {
      expect(ms(c.createdDateTime)).toBeGreaterThan(previous);
      expect(ms(c.spamStartDateTime)).toBeGreaterThanOrEqual(ms(c.createdDateTime));
      expect(ms(c.spamEndDateTime)).toBeGreaterThan(ms(c.spamStartDateTime));
      if (c.removedDateTime) expect(ms(c.removedDateTime)).toBeGreaterThan(ms(c.spamEndDateTime));
      expect(ms(c.removedDateTime ?? c.spamEndDateTime)).toBeLessThan(ms(t.referenceTime));
      previous = ms(c.removedDateTime ?? c.createdDateTime);
    }
    expect(cycles.slice(0, -1).every((c) => c.removedDateTime !== null)).toBe(true);
    expect(cycles.at(-1)?.removedDateTime === null).toBe(scenario === 'contoso');
    expect(a.exchangeCycles).toEqual(cycles.map((c) => ({ createdDateTime: c.createdDateTime, removedDateTime: c.removedDateTime })));
    expect(a.attackerMailIps.length).toBeGreaterThanOrEqual(1);
    expect(a.attackerMailIps).not.toContain(a.attackerIp);
  });

  it('leaves MFA unenforced: security defaults off, no enforced policy requiring MFA of admins', () => {
    expect(t.securityDefaults.isEnabled).toBe(false);
    expect(t.conditionalAccessPolicies.filter(requiresMfaForAdmins)).toEqual([]);
    expect(truth.posture).toEqual({ securityDefaultsEnabled: false, conditionalAccessPolicies: t.conditionalAccessPolicies.length, policiesRequiringMfaForAdmins: 0 });
  });

  it('names every malicious directory object in the ground truth', () => {
    const spId = a.maliciousServicePrincipalId;
    expect(truth.maliciousObjects.roleAssignmentIds).toEqual(a.steps.addMemberToRole.map((r) => r.roleAssignmentId));
    expect(truth.maliciousObjects.roleAssignmentIds).toEqual([
      roleAssignmentId(DIRECTORY_ROLES.globalAdministrator.templateId, spId), roleAssignmentId(DIRECTORY_ROLES.exchangeAdministrator.templateId, spId),
    ]);
    expect(truth.maliciousObjects.appRoleAssignmentIds).toEqual([a.manageAsAppAssignmentId]);
    expect(t.directoryRoles.map((r) => r.roleTemplateId)).toEqual(expect.arrayContaining([DIRECTORY_ROLES.globalAdministrator.templateId, DIRECTORY_ROLES.exchangeAdministrator.templateId]));
    expect(truth.counts.roleAssignments).toBe(t.directoryRoleAssignments.length);
    expect(a.benignFailingAdmin.userId).toBe(a.decoyTypoUserId);
    expect(a.compromisedAdmins.map((x) => x.userId)).not.toContain(a.benignFailingAdmin.userId);
  });
});

describe('role assignment ids', () => {
  it('encodes role template and principal as Entra does (base64url of both GUIDs in .NET byte order, then -1)', () => {
    // Global Administrator's template id starts `lAPpYvVpN0KRkAEhdxReE` in every real tenant's assignment ids.
    expect(roleAssignmentId(DIRECTORY_ROLES.globalAdministrator.templateId, '00000000-0000-0000-0000-000000000000')).toMatch(/^lAPpYvVpN0KRkAEhdxReE[A-Za-z0-9_-]{22}-1$/);
  });
});
