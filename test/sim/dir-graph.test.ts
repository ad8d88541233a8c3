// Test (Vitest, Node): the simulator's directory over Graph: users, MFA registration, conditional access, security defaults, roles, grants, permissions (403), $batch, and the users knob's determinism.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from './server';
import { json } from './https-client';
import { graphErrorSchema } from './graph-schemas';
import { appToken, call, collection, delegatedToken, getAll } from './directory/test-tokens';
import { buildTenant, groundTruth } from './scenario';
import { requiresMfaForAdmins } from './directory/policies';
import { DIRECTORY_ROLES, EXCHANGE_APP_ID, EXCHANGE_MANAGE_AS_APP_ROLE_ID } from './wellknown';
import type { GraphConditionalAccessPolicy } from './graph-types';

const CORPUS = resolve(__dirname, '../../../shared/corpus/exo_graph_objects/graph_docs_examples');
const PLAIN_USER = 'AdeleV@contoso.onmicrosoft.com';

let sim: SimHandle;
let token: string;

beforeAll(async () => {
  sim = await startSimulator({ scenario: 'contoso', seed: 3, pageSizeDefault: 50 });
  token = await appToken(sim);
});

afterAll(async () => {
  await sim.close();
});

const get = (path: string, t = token) => call(sim, 'GET', path, t);

function corpusKeys(file: string): string[] | undefined {
  const path = resolve(CORPUS, file);
  if (!existsSync(path)) return undefined;
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { value?: Record<string, unknown>[] };
  return Object.keys(doc.value?.[0] ?? {});
}

describe('directory reads', () => {
  it('lists every user in the default projection, pages them, and filters by UPN', async () => {
    const users = await getAll(sim, '/v1.0/users?$top=64', token);
    expect(users).toHaveLength(sim.groundTruth.counts.users);
    expect(new Set(users.map((u) => u.id)).size).toBe(users.length);
    expect(Object.keys(users[0] ?? {})).toEqual([
      'businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id',
    ]);
    const admin = sim.groundTruth.compromisedAdmins[0];
    const filtered = collection.parse(json(await get(`/v1.0/users?$filter=userPrincipalName eq '${admin?.userPrincipalName ?? ''}'&$select=id,accountEnabled,lastPasswordChangeDateTime`)));
    expect(filtered.value).toEqual([expect.objectContaining({ id: admin?.id, accountEnabled: true })]);
    const one = await get(`/v1.0/users/${encodeURIComponent(admin?.userPrincipalName ?? '')}`);
    expect(one.status).toBe(200);
  });

  it('reports the compromised admins, and only them among admins, without MFA registered', async () => {
    const details = await getAll(sim, '/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=100', token);
    expect(details).toHaveLength(sim.groundTruth.counts.users);
    const adminsWithoutMfa = details.filter((d) => d.isAdmin === true && d.isMfaRegistered === false).map((d) => d.id).sort();
    expect(adminsWithoutMfa).toEqual(sim.groundTruth.compromisedAdmins.map((a) => a.id).sort());
    expect(adminsWithoutMfa).toHaveLength(2);
    expect(details.filter((d) => d.isMfaRegistered === false).length).toBe(sim.groundTruth.counts.usersWithoutMfa);
    expect(Object.keys(details[0] ?? {})).toEqual(expect.arrayContaining(['id', 'userPrincipalName', 'isAdmin', 'isMfaRegistered', 'isMfaCapable', 'methodsRegistered', 'lastUpdatedDateTime']));
  });

  it('serves conditional-access policies none of which enforces MFA for admins, and security defaults off', async () => {
    const policies = collection.parse(json(await get('/v1.0/identity/conditionalAccess/policies'))).value as unknown as GraphConditionalAccessPolicy[];
    expect(policies).toHaveLength(sim.groundTruth.counts.conditionalAccessPolicies);
    expect(policies.filter(requiresMfaForAdmins)).toEqual([]);
    // The admin template exists but is switched off: a detection must look at state, not names.
    expect(policies.find((p) => p.displayName === 'Require multifactor authentication for admins')?.state).toBe('disabled');
    const defaults = json(await get('/beta/policies/identitySecurityDefaultsEnforcementPolicy')) as Record<string, unknown>;
    expect(defaults).toMatchObject({ id: '00000000-0000-0000-0000-000000000005', displayName: 'Security Defaults', isEnabled: false });
    expect(String(defaults['@odata.context'])).toMatch(/\/beta\/\$metadata#policies\/identitySecurityDefaultsEnforcementPolicy\/\$entity$/);
  });

  it('shows the malicious service principal as Global Administrator and Exchange Administrator, by role assignments and by directoryRoles members', async () => {
    const spId = sim.groundTruth.maliciousApp.servicePrincipalId;
    const assignments = collection.parse(json(await get(`/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '${spId}'`))).value;
    expect(assignments.map((a) => a.roleDefinitionId).sort()).toEqual([DIRECTORY_ROLES.globalAdministrator.templateId, DIRECTORY_ROLES.exchangeAdministrator.templateId].sort());
    expect(assignments.map((a) => a.id).sort()).toEqual([...sim.groundTruth.maliciousObjects.roleAssignmentIds].sort());
    expect(assignments[0]).toEqual({ id: expect.stringMatching(/^[A-Za-z0-9_-]{43}-1$/), principalId: spId, directoryScopeId: '/', roleDefinitionId: expect.any(String), appScopeId: null });
    const roles = collection.parse(json(await get('/v1.0/directoryRoles?$expand=members'))).value;
    const ga = roles.find((r) => r.roleTemplateId === DIRECTORY_ROLES.globalAdministrator.templateId);
    const members = ga?.members as Record<string, unknown>[];
    expect(members.find((m) => m.id === spId)?.['@odata.type']).toBe('#microsoft.graph.servicePrincipal');
    expect(members.filter((m) => m['@odata.type'] === '#microsoft.graph.user').length).toBeGreaterThanOrEqual(1);
    const viaNav = collection.parse(json(await get(`/v1.0/directoryRoles/${String(ga?.id)}/members`))).value;
    expect(viaNav.map((m) => m.id).sort()).toEqual(members.map((m) => m.id).sort());
  });

  it('lists Exchange.ManageAsApp on the malicious service principal from both ends', async () => {
    const spId = sim.groundTruth.maliciousApp.servicePrincipalId;
    const held = collection.parse(json(await get(`/v1.0/servicePrincipals/${spId}/appRoleAssignments`))).value;
    expect(held.map((a) => a.appRoleId)).toEqual([EXCHANGE_MANAGE_AS_APP_ROLE_ID]);
    expect(held.map((a) => a.id)).toEqual(sim.groundTruth.maliciousObjects.appRoleAssignmentIds);
    const exchangeSp = sim.tenant.servicePrincipals.find((s) => s.appId === EXCHANGE_APP_ID);
    const granted = await getAll(sim, `/v1.0/servicePrincipals/${exchangeSp?.id ?? ''}/appRoleAssignedTo`, token);
    expect(granted.filter((a) => a.appRoleId === EXCHANGE_MANAGE_AS_APP_ROLE_ID).map((a) => a.principalId)).toEqual(expect.arrayContaining([
      spId, ...sim.groundTruth.decoys.filter((d) => d.kind !== 'admin-deleted-app').map((d) => d.servicePrincipalId),
    ]));
    const keys = corpusKeys('v1.0_serviceprincipal-list-approleassignedto_resp1.json');
    if (!keys) console.warn('corpus graph_docs_examples absent: shape comparison skipped');
    else expect(Object.keys(granted[0] ?? {})).toEqual(expect.arrayContaining(keys.filter((k) => k !== 'creationTimestamp')));
  });

  it('lists delegated grants in the documented shape', async () => {
    const grants = await getAll(sim, '/v1.0/oauth2PermissionGrants', token);
    expect(grants).toHaveLength(sim.groundTruth.counts.oauth2PermissionGrants);
    const keys = corpusKeys('v1.0_oauth2permissiongrant-list_resp1.json');
    if (keys) expect(Object.keys(grants[0] ?? {}).sort()).toEqual(keys.filter((k) => !k.startsWith('@odata.')).sort());
    const remediation = collection.parse(json(await get(`/v1.0/servicePrincipals/${sim.groundTruth.remediationClient.servicePrincipalId}/oauth2PermissionGrants`))).value;
    expect(String(remediation.find((g) => String(g.scope).includes('Application.ReadWrite.All'))?.consentType)).toBe('AllPrincipals');
  });

  it('serves directoryRoles members in the documented directoryObject shape', () => {
    const path = resolve(CORPUS, 'v1.0_directoryrole-list-members_resp1.json');
    if (!existsSync(path)) return void console.warn('corpus absent: skipped');
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { value: Record<string, unknown>[] };
    const documented = Object.keys(doc.value[0] ?? {});
    const user = sim.tenant.users[0];
    expect(Object.keys(user ?? {})).toEqual(expect.arrayContaining(documented));
  });

  it('answers 403 in Graph shape without the documented permission, on every directory route', async () => {
    const readOnlyProfile = (await delegatedToken(sim, 'https://graph.microsoft.com/User.Read', PLAIN_USER)).access_token;
    const spId = sim.groundTruth.maliciousApp.servicePrincipalId;
    for (const path of [
      '/v1.0/users', '/v1.0/reports/authenticationMethods/userRegistrationDetails', '/v1.0/identity/conditionalAccess/policies',
      '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy', '/v1.0/directoryRoles', '/v1.0/roleManagement/directory/roleAssignments',
      `/v1.0/servicePrincipals/${spId}/appRoleAssignments`, `/v1.0/servicePrincipals/${spId}/appRoleAssignedTo`, '/v1.0/oauth2PermissionGrants',
      '/beta/directoryRoles?$expand=members',
    ]) {
      const response = await get(path, readOnlyProfile);
      expect(response.status, path).toBe(403);
      expect(graphErrorSchema.parse(json(response)).error.code).toBe('Authorization_RequestDenied');
    }
    // The least permission alone is enough: AuditLog.Read.All for MFA registration, RoleManagement.Read.Directory for roles.
    // Both need an administrator's consent, which one gives for the organisation by signing in first.
    await delegatedToken(sim, 'https://graph.microsoft.com/AuditLog.Read.All https://graph.microsoft.com/RoleManagement.Read.Directory', 'admin@contoso.onmicrosoft.com');
    const audit = (await delegatedToken(sim, 'https://graph.microsoft.com/AuditLog.Read.All', PLAIN_USER)).access_token;
    expect((await get('/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=1', audit)).status).toBe(200);
    expect((await get('/v1.0/directoryRoles', audit)).status).toBe(403);
    const roles = (await delegatedToken(sim, 'https://graph.microsoft.com/RoleManagement.Read.Directory', PLAIN_USER)).access_token;
    expect((await get('/v1.0/roleManagement/directory/roleAssignments', roles)).status).toBe(200);
  });

  it('answers 404 for unknown ids and segments on the new routes', async () => {
    for (const path of ['/v1.0/users/nobody@nowhere', '/v1.0/servicePrincipals/00000000-0000-4000-8000-000000000000/appRoleAssignments', '/v1.0/identity/conditionalAccess/nothing']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      graphErrorSchema.parse(json(response));
    }
    expect((await get('/v1.0/directoryRoles?$expand=owners')).status).toBe(400);
  });
});

describe('report throttling', () => {
  it('counts userRegistrationDetails against the identity-and-access reports quota (5 per 10 s per app): the 6th gets 429 with Retry-After', async () => {
    const own = await startSimulator({ scenario: 'fabrikam', seed: 4 });
    try {
      const t = await appToken(own);
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 6; i++) {
        const r = await call(own, 'GET', '/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=1', t);
        statuses.push(r.status);
        retryAfter ??= r.headers['retry-after'];
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // Other directory routes are not report routes: not throttled.
      expect((await call(own, 'GET', '/v1.0/users?$top=1', t)).status).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe('$batch', () => {
  const batch = (requests: unknown[], t = token) => call(sim, 'POST', '/v1.0/$batch', t, { requests });

  it('answers each request by id with its own status and a Content-Type header key spelled exactly', async () => {
    const response = await batch([
      { id: '1', method: 'GET', url: '/users?$top=2' },
      { id: '2', method: 'GET', url: '/applications/00000000-0000-4000-8000-000000000000' },
      { id: '3', method: 'GET', url: 'policies/identitySecurityDefaultsEnforcementPolicy' },
      { id: 'delete', method: 'DELETE', url: `/oauth2PermissionGrants/${sim.tenant.oauth2PermissionGrants[0]?.id ?? ''}` },
    ]);
    expect(response.status).toBe(200);
    const { responses } = json(response) as { responses: { id: string; status: number; headers: Record<string, string>; body?: unknown }[] };
    expect(responses.map((r) => [r.id, r.status])).toEqual([['1', 200], ['2', 404], ['3', 200], ['delete', 403]]);
    for (const r of responses) {
      expect(Object.keys(r.headers)).toContain('Content-Type');
      expect(Object.keys(r.headers)).not.toContain('content-type');
    }
    expect(collection.parse(responses[0]?.body).value).toHaveLength(2);
    expect(graphErrorSchema.parse(responses[3]?.body).error.code).toBe('Authorization_RequestDenied');
  });

  it('refuses more than 20 requests, duplicate ids and a malformed payload with 400', async () => {
    const twenty = Array.from({ length: 20 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: '/organization' }));
    expect((await batch(twenty)).status).toBe(200);
    const over = await batch([...twenty, { id: '21', method: 'GET', url: '/organization' }]);
    expect(over.status).toBe(400);
    expect(graphErrorSchema.parse(json(over)).error.message).toBe('Number of requests inside batch exceeds the limit.');
    expect((await batch([{ id: '1', method: 'GET', url: '/me' }, { id: '1', method: 'GET', url: '/me' }])).status).toBe(400);
    expect((await call(sim, 'POST', '/v1.0/$batch', token, { nope: [] })).status).toBe(400);
    expect((await call(sim, 'GET', '/v1.0/$batch', token)).status).toBe(405);
  });

  it('answers 429 with Retry-After for a throttled request inside the batch, 424 for its dependants, the rest 200', async () => {
    sim.faults.set({ rules: [{ kind: 'throttle', path: '/v1.0/users', retryAfterSeconds: 7 }] });
    try {
      const response = await batch([
        { id: 'a', method: 'GET', url: '/organization' },
        { id: 'b', method: 'GET', url: '/users?$top=1' },
        { id: 'c', method: 'GET', url: '/directoryRoles', dependsOn: ['b'] },
      ]);
      const { responses } = json(response) as { responses: { id: string; status: number; headers: Record<string, string> }[] };
      expect(responses.map((r) => r.status)).toEqual([200, 429, 424]);
      expect(responses[1]?.headers['Retry-After']).toBe('7');
    } finally {
      sim.faults.clear();
    }
  });

  it('refuses a batch without a token', async () => {
    const response = await batch([{ id: '1', method: 'GET', url: '/organization' }], '');
    const { responses } = json(response) as { responses: { status: number }[] };
    expect(responses[0]?.status).toBe(401);
  });
});

describe('users knob', () => {
  it('builds the same tenant for the same knobs and keeps the first users when the count grows', () => {
    const a = buildTenant({ scenario: 'fabrikam', seed: 7, users: 1500 });
    const b = buildTenant({ scenario: 'fabrikam', seed: 7, users: 1500 });
    expect(JSON.stringify(groundTruth(a))).toBe(JSON.stringify(groundTruth(b)));
    expect(JSON.stringify(a.users)).toBe(JSON.stringify(b.users));
    const small = buildTenant({ scenario: 'fabrikam', seed: 7, users: 300 });
    expect(a.users.slice(0, 300)).toEqual(small.users);
    expect(a.userRegistrationDetails.slice(0, 300)).toEqual(small.userRegistrationDetails);
    expect(new Set(a.users.map((u) => u.userPrincipalName)).size).toBe(1500);
    // The attack does not move with the user count.
    expect(a.attack.compromisedAdmins.map((x) => x.userId)).toEqual(small.attack.compromisedAdmins.map((x) => x.userId));
  });

  it('refuses fewer users than the named people and more than 100,000', () => {
    expect(() => buildTenant({ users: 3 })).toThrow(/users must be/);
    expect(() => buildTenant({ users: 100_001 })).toThrow(/users must be/);
  });

  it('writes a byte-identical ground truth (directory, logs and Exchange parts) for the same scenario, seed and knobs', async () => {
    const one = await startSimulator({ scenario: 'fabrikam', seed: 11, users: 400, days: 7 });
    const two = await startSimulator({ scenario: 'fabrikam', seed: 11, users: 400, days: 7 });
    try {
      expect(JSON.stringify(one.groundTruth)).toBe(JSON.stringify(two.groundTruth));
      expect(one.groundTruth.counts.users).toBe(400);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('serves a larger tenant through the options', async () => {
    const big = await startSimulator({ scenario: 'fabrikam', seed: 2, users: 2000 });
    try {
      expect(big.groundTruth.counts.users).toBe(2000);
      const t = await appToken(big);
      const page = collection.parse(json(await call(big, 'GET', '/v1.0/users?$top=999', t)));
      expect(page.value).toHaveLength(999);
      expect(page['@odata.nextLink']).toBeTruthy();
    } finally {
      await big.close();
    }
  });
});
