// Test (Vitest, Node): the seeded tenant generator: determinism, the ATTACK.md artifacts, the attack's shape drawn from the seed, decoys, benign noise and Graph property order.
import { describe, expect, it } from 'vitest';
import { CANONICAL_SHAPE, REMOVED_HEADERS, SCENARIO_NAMES, adminUsers, buildTenant, groundTruth, type Tenant } from './scenario';
import { ExchangeState } from './exchange/state';
import { SimLogStore } from './logs/store';
import { PROTECTED_HEADER } from '../../main/detect/rules/exchange';
import { VARIED_SEEDS } from '../support/varied-seeds';
import { createPrng } from './prng';
import {
  DIRECTORY_ROLES, EXCHANGE_APP_ID, EXCHANGE_MANAGE_AS_APP_ROLE_ID, GRAPH_APP_ID, MICROSOFT_SERVICES_TENANT_ID,
} from './wellknown';

const DAY = 24 * 3600 * 1000;

function holdsManageAsApp(tenant: Tenant, servicePrincipalId: string): boolean {
  const exo = tenant.servicePrincipals.find((sp) => sp.appId === EXCHANGE_APP_ID);
  return tenant.appRoleAssignments.some((a) => a.principalId === servicePrincipalId && a.resourceId === exo?.id && a.appRoleId === EXCHANGE_MANAGE_AS_APP_ROLE_ID);
}

describe('prng', () => {
  it('repeats for the same label and differs between labels', () => {
    const a = createPrng('x');
    const b = createPrng('x');
    const c = createPrng('y');
    const seqA = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(seqA);
    expect(seqA.every((n) => n >= 0 && n < 1)).toBe(true);
  });

  it('makes version-4 GUIDs', () => {
    const prng = createPrng('guids');
    for (let i = 0; i < 50; i++) expect(prng.guid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('tenant generator', () => {
  it('gives byte-identical tenants for the same scenario and seed', () => {
    for (const scenario of SCENARIO_NAMES) {
      for (const seed of [1, 2, -17, 2 ** 40]) {
        expect(JSON.stringify(buildTenant({ scenario, seed }))).toBe(JSON.stringify(buildTenant({ scenario, seed })));
      }
    }
  });

  it('gives different tenants and attacker app names for different seeds', () => {
    const tenants = [1, 2, 3, 4, 5].map((seed) => buildTenant({ scenario: 'contoso', seed }));
    expect(new Set(tenants.map((t) => t.tenantId)).size).toBe(5);
    expect(new Set(tenants.map((t) => t.attack.maliciousDisplayName)).size).toBe(5);
    expect(tenants[0]?.attack.maliciousDisplayName).not.toBe(tenants[1]?.attack.maliciousDisplayName);
  });

  it('keeps contoso and fabrikam apart: names, domains, addresses, dates', () => {
    const c = buildTenant({ scenario: 'contoso', seed: 1 });
    const f = buildTenant({ scenario: 'fabrikam', seed: 1 });
    expect(c.domain).toBe('contoso.onmicrosoft.com');
    expect(c.label).toBe('contoso');
    expect(f.domain).toBe('fabrikam.onmicrosoft.com');
    expect(c.tenantId).not.toBe(f.tenantId);
    const cNames = new Set(c.users.map((u) => u.displayName));
    expect(f.users.some((u) => cNames.has(u.displayName))).toBe(false);
    expect(c.attack.attackerIp).not.toBe(f.attack.attackerIp);
    expect(c.referenceTime).not.toBe(f.referenceTime);
    expect(c.attack.createdDateTime.slice(0, 7)).not.toBe(f.attack.createdDateTime.slice(0, 7));
  });

  it('has an organization object whose id is the tenant id and whose initial domain is the tenant domain', () => {
    const t = buildTenant({ scenario: 'fabrikam', seed: 9 });
    expect(t.organization.id).toBe(t.tenantId);
    expect(t.organization.verifiedDomains.find((d) => d.isInitial)?.name).toBe('fabrikam.onmicrosoft.com');
  });

  it('has 2 or 3 named admins plus a few bulk ones, Global Administrators first, among ordinary users', () => {
    for (const scenario of SCENARIO_NAMES) {
      const t = buildTenant({ scenario, seed: 1 });
      const admins = adminUsers(t);
      expect(admins.length).toBeGreaterThanOrEqual(2);
      expect(admins.length).toBeLessThanOrEqual(3 + Math.ceil((t.users.length - 16) / 40));
      expect(admins[0]?.roleTemplateIds).toContain(DIRECTORY_ROLES.globalAdministrator.templateId);
      expect(t.users.length).toBeGreaterThan(admins.length + 5);
      for (const u of t.users) expect(u.userPrincipalName.endsWith(`@${t.domain}`)).toBe(true);
    }
  });

  describe.each(SCENARIO_NAMES.flatMap((scenario) => [1, 2, 3].map((seed) => ({ scenario, seed }))))('attack artifacts in $scenario seed $seed', ({ scenario, seed }) => {
    const t = buildTenant({ scenario, seed });
    const app = t.applications.find((a) => a.id === t.attack.maliciousApplicationId);
    const sp = t.servicePrincipals.find((s) => s.id === t.attack.maliciousServicePrincipalId);

    it('registers <label>_<3 letters> as a single-tenant app asking for Exchange.ManageAsApp', () => {
      expect(app?.displayName).toMatch(new RegExp(`^${t.label}_[a-z]{3}$`));
      expect(app?.signInAudience).toBe('AzureADMyOrg');
      expect(app?.requiredResourceAccess).toEqual([
        { resourceAppId: EXCHANGE_APP_ID, resourceAccess: [{ id: EXCHANGE_MANAGE_AS_APP_ROLE_ID, type: 'Role' }] },
      ]);
      // Only the attacker's app carries the pattern: a detection on it must not fire on the noise.
      expect(t.applications.filter((a) => new RegExp(`^${t.label}_[a-z]{3}$`).test(a.displayName))).toHaveLength(1);
    });

    it('was created recently, with its own credential added minutes later', () => {
      const created = Date.parse(app?.createdDateTime ?? '');
      const ref = Date.parse(t.referenceTime);
      expect(ref - created).toBeGreaterThan(7 * DAY);
      expect(ref - created).toBeLessThan(120 * DAY);
      const cred = app?.passwordCredentials[0];
      expect(cred?.secretText).toBeNull();
      expect(cred?.hint).toMatch(/^.{3}$/);
      const added = Date.parse(cred?.startDateTime ?? '');
      expect(added - created).toBeGreaterThan(0);
      expect(added - created).toBeLessThan(30 * 60 * 1000);
    });

    it('has a service principal owned by the tenant, consented and made Global and Exchange Administrator', () => {
      expect(sp?.appId).toBe(app?.appId);
      expect(sp?.appOwnerOrganizationId).toBe(t.tenantId);
      expect(holdsManageAsApp(t, sp?.id ?? '')).toBe(true);
      const roles = t.directoryRoleAssignments.filter((r) => r.principalId === sp?.id).map((r) => r.roleDefinitionId);
      expect(roles.sort()).toEqual([DIRECTORY_ROLES.globalAdministrator.templateId, DIRECTORY_ROLES.exchangeAdministrator.templateId].sort());
    });

    it('was set up by a compromised Global Administrator', () => {
      const admin = adminUsers(t).find((a) => a.user.id === t.attack.compromisedUserId);
      expect(admin?.roleTemplateIds).toContain(DIRECTORY_ROLES.globalAdministrator.templateId);
    });

    it('has decoys holding Exchange.ManageAsApp, consented more than a year before the attack', () => {
      const created = Date.parse(t.attack.createdDateTime);
      expect(t.decoys.map((d) => d.kind).sort()).toEqual(['admin-deleted-app', 'backup-app-registration', 'vendor-archive-service-principal']);
      for (const decoy of t.decoys.filter((d) => d.kind !== 'admin-deleted-app')) {
        expect(holdsManageAsApp(t, decoy.servicePrincipalId)).toBe(true);
        expect(created - Date.parse(decoy.createdDateTime)).toBeGreaterThan(365 * DAY);
        expect(decoy.consentedByUserPrincipalName).not.toBe(t.attack.compromisedUserPrincipalName);
      }
      const backup = t.applications.find((a) => a.id === t.decoys[0]?.applicationObjectId);
      expect(backup?.signInAudience).toBe('AzureADMultipleOrgs');
      expect(backup?.requiredResourceAccess.find((r) => r.resourceAppId === EXCHANGE_APP_ID)?.resourceAccess).toContainEqual({ id: EXCHANGE_MANAGE_AS_APP_ROLE_ID, type: 'Role' });
      const vendor = t.servicePrincipals.find((s) => s.id === t.decoys[1]?.servicePrincipalId);
      expect(vendor?.appOwnerOrganizationId).not.toBe(t.tenantId);
      expect(t.applications.some((a) => a.appId === vendor?.appId)).toBe(false);
      // The clean-up decoy: an old app an admin deleted, in deleted items with its service principal, nothing of its name live.
      const cleanup = t.decoys.find((d) => d.kind === 'admin-deleted-app')!;
      const gone = t.deletedApplications.find((a) => a.id === cleanup.applicationObjectId);
      expect(gone?.deletedDateTime).toMatch(/Z$/);
      expect(t.deletedServicePrincipals.some((s) => s.id === cleanup.servicePrincipalId)).toBe(true);
      expect(t.applications.some((a) => a.displayName === gone?.displayName)).toBe(false);
    });
  });

  it('has at least 50 benign app registrations with service principals, spread over years', () => {
    for (const scenario of SCENARIO_NAMES) {
      const t = buildTenant({ scenario, seed: 4 });
      const special = new Set([t.attack.maliciousApplicationId, t.engagementApp.applicationObjectId, ...t.decoys.map((d) => d.applicationObjectId)]);
      const benign = t.applications.filter((a) => !special.has(a.id));
      expect(benign.length).toBeGreaterThanOrEqual(50);
      const appIds = new Set(t.servicePrincipals.map((s) => s.appId));
      expect(benign.every((a) => appIds.has(a.appId))).toBe(true);
      const years = new Set(benign.map((a) => a.createdDateTime.slice(0, 4)));
      expect(years.size).toBeGreaterThanOrEqual(4);
      expect(new Set(benign.map((a) => a.signInAudience)).size).toBeGreaterThanOrEqual(2);
      expect(benign.filter((a) => a.passwordCredentials.length > 0).length).toBeGreaterThan(5);
      expect(benign.filter((a) => a.keyCredentials.length > 0).length).toBeGreaterThan(1);
      expect(new Set(t.applications.map((a) => a.id)).size).toBe(t.applications.length);
      expect(new Set(t.servicePrincipals.map((s) => s.id)).size).toBe(t.servicePrincipals.length);
    }
  });

  it('never returns a secret value: secretText is null everywhere and the engagement secret appears nowhere', () => {
    const t = buildTenant({ scenario: 'contoso', seed: 1 });
    const creds = t.applications.flatMap((a) => a.passwordCredentials);
    expect(creds.length).toBeGreaterThan(5);
    expect(creds.every((c) => c.secretText === null)).toBe(true);
    const served = JSON.stringify([t.applications, t.servicePrincipals, t.users, t.organization, groundTruth(t)]);
    expect(served).not.toContain(t.engagementApp.clientSecret);
    const engagement = t.applications.find((a) => a.id === t.engagementApp.applicationObjectId);
    expect(engagement?.passwordCredentials[0]?.hint).toBe(t.engagementApp.clientSecret.slice(0, 3));
  });

  it('lists properties in the order Graph v1.0 sends them', () => {
    const t = buildTenant({ scenario: 'contoso', seed: 1 });
    expect(Object.keys(t.applications[0] ?? {})).toEqual([
      'id', 'deletedDateTime', 'appId', 'applicationTemplateId', 'disabledByMicrosoftStatus', 'createdDateTime', 'displayName',
      'description', 'groupMembershipClaims', 'identifierUris', 'isDeviceOnlyAuthSupported', 'isFallbackPublicClient',
      'nativeAuthenticationApisEnabled', 'notes', 'publisherDomain', 'serviceManagementReference', 'signInAudience', 'tags',
      'tokenEncryptionKeyId', 'samlMetadataUrl', 'defaultRedirectUri', 'certification', 'optionalClaims',
      'requestSignatureVerification', 'addIns', 'api', 'appRoles', 'info', 'keyCredentials', 'parentalControlSettings',
      'passwordCredentials', 'publicClient', 'requiredResourceAccess', 'verifiedPublisher', 'web',
      'servicePrincipalLockConfiguration', 'spa',
    ]);
    expect(Object.keys(t.servicePrincipals[0] ?? {})).toEqual([
      'id', 'deletedDateTime', 'accountEnabled', 'alternativeNames', 'appDisplayName', 'appDescription', 'appId',
      'applicationTemplateId', 'appOwnerOrganizationId', 'appRoleAssignmentRequired', 'createdDateTime', 'description',
      'disabledByMicrosoftStatus', 'displayName', 'homepage', 'loginUrl', 'logoutUrl', 'notes', 'notificationEmailAddresses',
      'preferredSingleSignOnMode', 'preferredTokenSigningKeyThumbprint', 'replyUrls', 'servicePrincipalNames',
      'servicePrincipalType', 'signInAudience', 'tags', 'tokenEncryptionKeyId', 'samlSingleSignOnSettings', 'addIns',
      'appRoles', 'info', 'keyCredentials', 'oauth2PermissionScopes', 'passwordCredentials',
      'resourceSpecificApplicationPermissions', 'verifiedPublisher',
    ]);
  });

  it("carries Microsoft's real ids on the first-party service principals", () => {
    const t = buildTenant({ scenario: 'contoso', seed: 1 });
    const graph = t.servicePrincipals.find((s) => s.appId === GRAPH_APP_ID);
    const exo = t.servicePrincipals.find((s) => s.appId === EXCHANGE_APP_ID);
    expect(graph?.displayName).toBe('Microsoft Graph');
    expect(exo?.displayName).toBe('Office 365 Exchange Online');
    expect(graph?.appOwnerOrganizationId).toBe(MICROSOFT_SERVICES_TENANT_ID);
    const role = (value: string) => graph?.appRoles.find((r) => r.value === value)?.id;
    expect(role('Application.Read.All')).toBe('9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30');
    expect(role('Directory.Read.All')).toBe('7ab1d382-f21e-4acd-a863-ba3e13f7da61');
    expect(role('Mail.Read')).toBe('810c84a8-4a9e-49e6-bf7d-12d183f40d01');
    expect(exo?.appRoles.find((r) => r.id === EXCHANGE_MANAGE_AS_APP_ROLE_ID)?.value).toBe('Exchange.ManageAsApp');
    expect(exo?.appRoles.find((r) => r.value === 'full_access_as_app')?.id).toBe('dc890d15-9560-4a4c-9b7f-a736ec74ec40');
  });

  it('writes a ground truth that agrees with the tenant', () => {
    const t = buildTenant({ scenario: 'fabrikam', seed: 12 });
    const truth = groundTruth(t);
    expect(truth.tenantId).toBe(t.tenantId);
    expect(truth.tenantDomain).toBe('fabrikam.onmicrosoft.com');
    expect(truth.maliciousApp.displayName).toBe(t.attack.maliciousDisplayName);
    expect([...truth.maliciousApp.directoryRoles].sort()).toEqual(['Exchange Administrator', 'Global Administrator']);
    expect(truth.counts).toMatchObject({
      applications: t.applications.length,
      servicePrincipals: t.servicePrincipals.length,
      users: t.users.length,
      appRoleAssignments: t.appRoleAssignments.length,
      oauth2PermissionGrants: t.oauth2PermissionGrants.length,
    });
    expect(truth.decoys.map((d) => d.servicePrincipalId)).toEqual(t.decoys.map((d) => d.servicePrincipalId));
    expect(JSON.stringify(groundTruth(buildTenant({ scenario: 'fabrikam', seed: 12 })))).toBe(JSON.stringify(truth));
  });

  it('rejects a seed that is not an integer', () => {
    expect(() => buildTenant({ seed: 1.5 })).toThrow(/integer/);
  });
});

describe('the attack\'s shape, drawn from the seed', () => {
  // The fifty seeds the detection tests collect (test/integration/detect-scenarios.test.ts), at the same small sizes.
  const seeds = VARIED_SEEDS;
  const tenants = seeds.map((o) => buildTenant(o));
  const protectedHeader = new RegExp(PROTECTED_HEADER.source, 'i');

  it('keeps the canonical shape on seeds 1 to 12 and varies it elsewhere; attackShape forces either', () => {
    for (const seed of [1, 7, 12]) expect(buildTenant({ scenario: 'fabrikam', seed }).attack.shape).toEqual(CANONICAL_SHAPE);
    expect(tenants.every((t) => t.attack.shape.mode === 'varied')).toBe(true);
    expect(buildTenant({ scenario: 'contoso', seed: 1, attackShape: 'varied' }).attack.shape.mode).toBe('varied');
    const forced = buildTenant({ scenario: 'contoso', seed: 1009, attackShape: 'canonical' });
    expect(forced.attack.shape).toEqual(CANONICAL_SHAPE);
    expect(forced.attack.maliciousDisplayName).toMatch(/^contoso_[a-z]{3}$/);
    // Forcing the shape changes the attack only: the rest of the tenant is drawn the same.
    expect(forced.users).toEqual(buildTenant({ scenario: 'contoso', seed: 1009 }).users);
    expect(() => buildTenant({ scenario: 'contoso', seed: 3, attackShape: 'wild' as never })).toThrow(/attackShape must be canonical or varied, got wild/);
  });

  it('gives the same varied tenant, logs and Exchange ground truth for the same seed and knobs', () => {
    const again = buildTenant(seeds[3]!);
    expect(JSON.stringify(again)).toBe(JSON.stringify(tenants[3]));
    expect(JSON.stringify(new ExchangeState(again).groundTruth())).toBe(JSON.stringify(new ExchangeState(tenants[3]!).groundTruth()));
    expect(JSON.stringify(new SimLogStore(again, { days: 30, seed: again.seed, eventsPerUserPerDay: 0.2 }).groundTruth()))
      .toBe(JSON.stringify(new SimLogStore(tenants[3]!, { days: 30, seed: again.seed, eventsPerUserPerDay: 0.2 }).groundTruth()));
  });

  it('stays within what the campaign and its copycats do, and covers every variation across the fifty seeds', () => {
    const seen = new Set<string>();
    for (const t of tenants) {
      const a = t.attack;
      expect(a.compromisedAdmins.length).toBeGreaterThanOrEqual(1);
      expect(a.compromisedAccounts.length).toBeLessThanOrEqual(4);
      expect(a.compromisedAdmins[0]?.userId).toBe(a.compromisedUserId);
      expect(a.compromisedAdmins[0]?.roleTemplateIds).toContain(DIRECTORY_ROLES.globalAdministrator.templateId);
      expect(a.maliciousDisplayName.toLowerCase().startsWith(t.label)).toBe(true);
      expect(a.maliciousDisplayName).toMatch(new RegExp(`^${t.label}[_.-]?[a-z]{2,6}$`, 'i'));
      const rules = a.exchange.transportRuleNames;
      expect(rules.length).toBeGreaterThanOrEqual(1);
      expect(rules.length).toBeLessThanOrEqual(12);
      expect(new Set(rules).size).toBe(rules.length);
      expect(a.exchange.removedHeaders).toHaveLength(rules.length);
      for (const h of a.exchange.removedHeaders) expect(protectedHeader.test(h), h).toBe(true);
      expect(a.exchange.cycles.length).toBeLessThanOrEqual(3);
      if (a.exchange.cycles.length === 0) expect(a.exchange.attackerMailIps).toEqual([]);
      for (const other of a.otherApps) expect(holdsManageAsApp(t, other.servicePrincipalId)).toBe(true);
      if (a.compromisedAccounts.length === 1) seen.add('one taken account');
      if (a.compromisedAccounts.length >= 3) seen.add('three or more taken accounts');
      if (a.compromisedAccounts.some((c) => !c.privileged)) seen.add('an ordinary user taken');
      if (a.compromisedAdmins.some((c) => c.mfaRegistered)) seen.add('an admin with MFA registered, not enforced');
      seen.add(`method ${a.stuffing.method}`);
      if (!/^[a-z]+_[a-z]{3}$/.test(a.maliciousDisplayName)) seen.add('app name not <label>_<3 letters>');
      if (rules.every((r) => !/^Test\d+$/i.test(r))) seen.add('no rule named Test<digits>');
      if (rules.length < 12) seen.add('fewer than twelve rules');
      if (a.exchange.removedHeaders.some((h) => !REMOVED_HEADERS.includes(h))) seen.add('a header beyond the twelve');
      if (a.exchange.cycles.length > 0 && !a.connectorName.startsWith('Ran_')) seen.add('connector not Ran_');
      if (a.otherApps.length > 0) seen.add('a second app');
      seen.add(`${a.exchange.cycles.length} cycles`);
    }
    expect([...seen].sort()).toEqual([
      '0 cycles', '1 cycles', '2 cycles', '3 cycles', 'a header beyond the twelve', 'a second app', 'an admin with MFA registered, not enforced',
      'an ordinary user taken', 'app name not <label>_<3 letters>', 'connector not Ran_', 'fewer than twelve rules', 'method spray', 'method stuffing',
      'no rule named Test<digits>', 'one taken account', 'three or more taken accounts',
    ]);
  });

  it('writes ground truth that follows the shape: every app\'s objects, every taken account, MFA as registered', () => {
    for (const t of tenants) {
      const truth = groundTruth(t);
      const a = t.attack;
      expect(truth.maliciousApps.map((m) => m.applicationObjectId)).toEqual([a.maliciousApplicationId, ...a.otherApps.map((o) => o.applicationId)]);
      expect(truth.maliciousObjects.servicePrincipalIds).toEqual([a.maliciousServicePrincipalId, ...a.otherApps.map((o) => o.servicePrincipalId)]);
      for (const other of a.otherApps) {
        expect(truth.maliciousObjects.appRoleAssignmentIds).toContain(other.manageAsAppAssignmentId);
        for (const r of other.steps.addMemberToRole) expect(truth.maliciousObjects.roleAssignmentIds).toContain(r.roleAssignmentId);
        for (const c of other.steps.addCredentials) expect(truth.maliciousObjects.credentialKeyIds).toContain(c.keyId);
      }
      expect(truth.compromisedAccounts.map((c) => c.id)).toEqual(a.compromisedAccounts.map((c) => c.userId));
      for (const admin of a.compromisedAdmins) expect(truth.compromisedAdmins.find((x) => x.id === admin.userId)?.isMfaRegistered).toBe(admin.mfaRegistered);
      expect(truth.adminsWithoutMfa.sort()).toEqual(a.compromisedAdmins.filter((x) => !x.mfaRegistered).map((x) => x.userId).sort());
    }
  });

  it('logs every taken account\'s single-factor success, a spray in rounds, each app\'s setup, and the Exchange objects the shape names', () => {
    for (const t of tenants.slice(0, 12)) {
      const a = t.attack;
      const store = new SimLogStore(t, { days: 30, seed: t.seed, eventsPerUserPerDay: 0.1 });
      const truth = store.groundTruth();
      const malicious = new Set(truth.malicious.signIns);
      const stuffing = [...store.signIns.iterate(store.fromMs, store.toMs)].filter((s) => malicious.has(s.id));
      const successes = stuffing.filter((s) => s.status.errorCode === 0);
      expect(successes.map((s) => s.userId).sort()).toEqual(a.compromisedAccounts.map((c) => c.userId).sort());
      for (const s of successes) expect(s.authenticationRequirement).toBe('singleFactorAuthentication');
      if (a.stuffing.method === 'spray') {
        // One or two tries per account per round: never the lock-out a stuffing list runs into.
        const perAccount = new Map<string, number>();
        for (const s of stuffing) perAccount.set(s.userId, (perAccount.get(s.userId) ?? 0) + 1);
        for (const n of perAccount.values()) expect(n).toBeLessThanOrEqual(2 * a.stuffing.rounds.length + 1);
        expect(stuffing.some((s) => s.status.errorCode === 50053)).toBe(false);
      }
      const audits = new Set(truth.malicious.directoryAudits);
      const setup = [...store.directoryAudits.iterate(store.fromMs, store.toMs)].filter((r) => audits.has(r.id));
      for (const id of [a.maliciousApplicationId, ...a.otherApps.map((o) => o.applicationId)]) {
        expect(setup.some((r) => r.activityDisplayName === 'Add application' && r.targetResources[0]?.id === id)).toBe(true);
      }
      const exchange = new ExchangeState(t);
      const exchangeTruth = exchange.groundTruth();
      const byApp = new Set(exchangeTruth.maliciousAuditRecordIds);
      const created = exchange.history.filter((r) => byApp.has(r.Identity) && r.Operations === 'New-TransportRule').map((r) => (JSON.parse(r.AuditData) as { ObjectId?: unknown }).ObjectId);
      expect(created).toEqual(a.exchange.cycles.flatMap(() => a.exchange.transportRuleNames));
      const live = exchangeTruth.maliciousTransportRules;
      expect(live.map((r) => r.name)).toEqual(exchange.attackLive ? a.exchange.transportRuleNames : []);
    }
  });
});
