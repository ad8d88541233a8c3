// Test (Vitest, Node): Graph remediation writes: each needs its documented permission (403 otherwise), changes state a later GET shows, and records the directory audit Entra writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from './server';
import { json, postForm } from './https-client';
import { graphErrorSchema } from './graph-schemas';
import { call, collection, delegatedToken } from './directory/test-tokens';
import { CREDENTIALS_ACTIVITY } from './directory/writes';
import { requiresMfaForAdmins } from './directory/policies';
import { DIRECTORY_ROLES, EXCHANGE_APP_ID } from './wellknown';
import type { GraphConditionalAccessPolicy } from './graph-types';

let sim: SimHandle;
let write: string;
let readOnly: string;
let adminUpn: string;

beforeAll(async () => {
  sim = await startSimulator({ scenario: 'contoso', seed: 5 });
  const ga = DIRECTORY_ROLES.globalAdministrator.templateId;
  const compromised = new Set(sim.groundTruth.compromisedAdmins.map((a) => a.id));
  const gas = sim.tenant.directoryRoleAssignments.filter((a) => a.roleDefinitionId === ga && a.principalType === 'User').map((a) => a.principalId);
  const approver = gas.find((id) => !compromised.has(id)) ?? gas[0] ?? '';
  adminUpn = sim.tenant.users.find((u) => u.id === approver)?.userPrincipalName ?? '';
  write = (await delegatedToken(sim, 'https://graph.microsoft.com/.default offline_access', adminUpn, sim.groundTruth.remediationClient.appId)).access_token;
  readOnly = (await delegatedToken(sim, 'https://graph.microsoft.com/.default', adminUpn)).access_token;
});

afterAll(async () => {
  await sim.close();
});

const get = (path: string) => call(sim, 'GET', path, write);

function lastAudit(activity: string) {
  const found = [...sim.directoryAuditsWritten].reverse().find((a) => a.activityDisplayName === activity);
  expect(found, activity).toBeDefined();
  return found;
}

/** The audit reaches the log store too: a collection of /auditLogs/directoryAudits sees it. */
async function auditServed(id: string): Promise<void> {
  const token = (await delegatedToken(sim, 'https://graph.microsoft.com/AuditLog.Read.All', adminUpn)).access_token;
  // Appended records carry the time of the write, after the scenario's history: newest first, they lead the first page.
  const response = await call(sim, 'GET', '/v1.0/auditLogs/directoryAudits?$top=20', token);
  expect(response.status).toBe(200);
  const page = collection.parse(json(response));
  expect(page.value.map((v) => v.id)).toContain(id);
}

describe('remediation client', () => {
  it('gets write scopes through its consent, while the default client is read-only and refused', async () => {
    const scopes = String(JSON.parse(Buffer.from(write.split('.')[1] ?? '', 'base64url').toString('utf8')).scp).split(' ');
    expect(scopes).toEqual(expect.arrayContaining(['Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'User-PasswordProfile.ReadWrite.All']));
    const app = sim.groundTruth.maliciousApp.applicationObjectId;
    const refused = await call(sim, 'PATCH', `/v1.0/servicePrincipals/${sim.groundTruth.maliciousApp.servicePrincipalId}`, readOnly, { accountEnabled: false });
    expect(refused.status).toBe(403);
    expect(graphErrorSchema.parse(json(refused)).error.code).toBe('Authorization_RequestDenied');
    for (const [method, path] of [['DELETE', `/v1.0/applications/${app}`], ['POST', `/v1.0/applications/${app}/removePassword`], ['DELETE', `/v1.0/roleManagement/directory/roleAssignments/${sim.groundTruth.maliciousObjects.roleAssignmentIds[0] ?? ''}`]] as const) {
      expect((await call(sim, method, path, readOnly, method === 'POST' ? { keyId: 'x' } : undefined)).status, path).toBe(403);
    }
    expect(sim.directoryAuditsWritten).toHaveLength(0);
  });
});

describe('writes (contain, eradicate, recover), each followed by its state and its audit', () => {
  it('disables the malicious service principal', async () => {
    const spId = sim.groundTruth.maliciousApp.servicePrincipalId;
    expect((await call(sim, 'PATCH', `/v1.0/servicePrincipals/${spId}`, write, { accountEnabled: false })).status).toBe(204);
    expect((json(await get(`/v1.0/servicePrincipals/${spId}?$select=accountEnabled`)) as { accountEnabled: boolean }).accountEnabled).toBe(false);
    const audit = lastAudit('Update service principal');
    expect(audit?.targetResources[0]).toMatchObject({ id: spId, type: 'ServicePrincipal' });
    expect(audit?.targetResources[0]?.modifiedProperties[0]).toEqual({ displayName: 'AccountEnabled', oldValue: '[true]', newValue: '[false]' });
    expect(audit?.initiatedBy.user?.userPrincipalName).toBe(adminUpn);
    await auditServed(audit?.id ?? '');
  });

  it('removes the client secret with removePassword and the certificate by PATCHing keyCredentials', async () => {
    const appId = sim.groundTruth.maliciousApp.applicationObjectId;
    const app = sim.tenant.applications.find((a) => a.id === appId);
    const secret = app?.passwordCredentials[0]?.keyId ?? '';
    expect((await call(sim, 'POST', `/v1.0/applications/${appId}/removePassword`, write, { keyId: secret })).status).toBe(204);
    expect((await call(sim, 'POST', `/v1.0/applications/${appId}/removePassword`, write, { keyId: secret })).status).toBe(400);
    expect((await call(sim, 'PATCH', `/v1.0/applications/${appId}`, write, { keyCredentials: [] })).status).toBe(204);
    const after = json(await get(`/v1.0/applications/${appId}?$select=passwordCredentials,keyCredentials`)) as { passwordCredentials: unknown[]; keyCredentials: unknown[] };
    expect(after).toMatchObject({ passwordCredentials: [], keyCredentials: [] });
    const audits = sim.directoryAuditsWritten.filter((a) => a.activityDisplayName === CREDENTIALS_ACTIVITY);
    expect(audits).toHaveLength(2);
    expect(audits[0]?.targetResources[0]?.modifiedProperties[0]?.oldValue).toContain(secret);
    expect(audits[0]?.activityDisplayName).toBe('Update application – Certificates and secrets management ');
  });

  it('removes the Exchange.ManageAsApp assignment', async () => {
    const spId = sim.groundTruth.maliciousApp.servicePrincipalId;
    const exchangeSp = sim.tenant.servicePrincipals.find((s) => s.appId === EXCHANGE_APP_ID)?.id ?? '';
    const assignment = sim.groundTruth.maliciousObjects.appRoleAssignmentIds[0] ?? '';
    const onlyRead = (await delegatedToken(sim, 'https://graph.microsoft.com/Application.ReadWrite.All', adminUpn, sim.groundTruth.remediationClient.appId)).access_token;
    expect((await call(sim, 'DELETE', `/v1.0/servicePrincipals/${exchangeSp}/appRoleAssignedTo/${assignment}`, onlyRead)).status).toBe(403);
    expect((await call(sim, 'DELETE', `/v1.0/servicePrincipals/${exchangeSp}/appRoleAssignedTo/${assignment}`, write)).status).toBe(204);
    expect(collection.parse(json(await get(`/v1.0/servicePrincipals/${spId}/appRoleAssignments`))).value).toEqual([]);
    expect((await call(sim, 'DELETE', `/v1.0/servicePrincipals/${exchangeSp}/appRoleAssignedTo/${assignment}`, write)).status).toBe(404);
    expect(lastAudit('Remove app role assignment from service principal')?.targetResources.map((t) => t.id)).toEqual([spId, exchangeSp]);
  });

  it('removes both directory roles from the service principal', async () => {
    const spId = sim.groundTruth.maliciousApp.servicePrincipalId;
    for (const id of sim.groundTruth.maliciousObjects.roleAssignmentIds) {
      expect((await call(sim, 'DELETE', `/v1.0/roleManagement/directory/roleAssignments/${id}`, write)).status).toBe(204);
    }
    expect(collection.parse(json(await get(`/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '${spId}'`))).value).toEqual([]);
    const removed = sim.directoryAuditsWritten.filter((a) => a.activityDisplayName === 'Remove member from role');
    expect(removed.map((a) => a.targetResources[1]?.displayName).sort()).toEqual(['Exchange Administrator', 'Global Administrator']);
    expect(removed.every((a) => a.category === 'RoleManagement' && a.operationType === 'Unassign')).toBe(true);
  });

  it('removes a role member the older way (DELETE directoryRoles/{id}/members/{id}/$ref), with the same audit', async () => {
    const compromised = new Set(sim.groundTruth.compromisedAdmins.map((x) => x.id));
    const member = sim.tenant.directoryRoleAssignments.find((r) => r.principalType === 'User' && !compromised.has(r.principalId) && r.roleDefinitionId !== DIRECTORY_ROLES.globalAdministrator.templateId);
    const role = sim.tenant.directoryRoles.find((r) => r.roleTemplateId === member?.roleDefinitionId);
    const path = `/v1.0/directoryRoles/${role?.id ?? ''}/members/${member?.principalId ?? ''}/$ref`;
    expect((await call(sim, 'DELETE', path, readOnly)).status).toBe(403);
    expect((await call(sim, 'DELETE', path, write)).status).toBe(204);
    expect((await call(sim, 'DELETE', path, write)).status).toBe(404);
    const members = collection.parse(json(await get(`/v1.0/directoryRoles/${role?.id ?? ''}/members`))).value;
    expect(members.map((m) => m.id)).not.toContain(member?.principalId);
    expect(lastAudit('Remove member from role')?.targetResources[0]).toMatchObject({ id: member?.principalId, type: 'User' });
  });

  it('removes a delegated permission grant', async () => {
    const grant = sim.tenant.oauth2PermissionGrants.find((g) => g.consentType === 'Principal');
    expect(grant).toBeDefined();
    expect((await call(sim, 'DELETE', `/v1.0/oauth2PermissionGrants/${grant?.id ?? ''}`, write)).status).toBe(204);
    expect((await get(`/v1.0/oauth2PermissionGrants/${grant?.id ?? ''}`)).status).toBe(404);
    expect(lastAudit('Remove delegated permission grant')?.targetResources[0]?.modifiedProperties[0]?.oldValue).toBe(JSON.stringify([grant?.scope]));
  });

  it('soft-deletes the application: gone from /applications, listed under deleted items', async () => {
    const appId = sim.groundTruth.maliciousApp.applicationObjectId;
    expect((await call(sim, 'DELETE', `/v1.0/applications/${appId}`, write)).status).toBe(204);
    expect((await get(`/v1.0/applications/${appId}`)).status).toBe(404);
    expect((await get(`/v1.0/servicePrincipals/${sim.groundTruth.maliciousApp.servicePrincipalId}`)).status).toBe(404);
    const deleted = collection.parse(json(await get('/v1.0/directory/deletedItems/microsoft.graph.application'))).value;
    // Beside the scenario's own deleted items (an admin's clean-up, the campaign's first registration).
    const before = sim.groundTruth.deletedObjects.applicationIds;
    expect(deleted.map((d) => d.id).sort()).toEqual([...before, appId].sort());
    expect(deleted.find((d) => d.id === appId)?.deletedDateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await get(`/v1.0/directory/deletedItems/${appId}`)).status).toBe(200);
    const deletion = lastAudit('Delete application');
    expect(deletion?.targetResources[0]).toMatchObject({ id: appId, type: 'Application' });
    await auditServed(deletion?.id ?? '');
  });

  it('takes a deleted app\'s service principal to deleted items with its grants and roles', async () => {
    const decoy = sim.groundTruth.decoys.find((d) => d.applicationObjectId);
    const before = sim.tenant.appRoleAssignments.filter((a) => a.principalId === decoy?.servicePrincipalId).length;
    expect(before).toBeGreaterThan(0);
    expect((await call(sim, 'DELETE', `/v1.0/applications/${decoy?.applicationObjectId ?? ''}`, write)).status).toBe(204);
    const deletedSps = collection.parse(json(await get('/v1.0/directory/deletedItems/microsoft.graph.servicePrincipal'))).value;
    expect(deletedSps.map((s) => s.id)).toContain(decoy?.servicePrincipalId);
    const exchangeSp = sim.tenant.servicePrincipals.find((s) => s.appId === EXCHANGE_APP_ID)?.id ?? '';
    const granted = collection.parse(json(await get(`/v1.0/servicePrincipals/${exchangeSp}/appRoleAssignedTo?$top=999`))).value;
    expect(granted.some((a) => a.principalId === decoy?.servicePrincipalId)).toBe(false);
    expect(((json(await get(`/v1.0/directory/deletedItems/${decoy?.servicePrincipalId ?? ''}`))) as Record<string, unknown>)['@odata.type']).toBe('#microsoft.graph.servicePrincipal');
  });

  it('revokes sessions: the date moves and the user\'s refresh token stops working', async () => {
    const victim = sim.groundTruth.compromisedAdmins[1];
    const theirs = await delegatedToken(sim, 'https://graph.microsoft.com/User.Read offline_access', victim?.userPrincipalName ?? '');
    expect((await call(sim, 'POST', `/v1.0/users/${victim?.id ?? ''}/revokeSignInSessions`, write)).status).toBe(200);
    const user = json(await get(`/v1.0/users/${victim?.id ?? ''}?$select=signInSessionsValidFromDateTime`)) as { signInSessionsValidFromDateTime: string };
    expect(Date.now() - Date.parse(user.signInSessionsValidFromDateTime)).toBeLessThan(60_000);
    const refresh = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
      grant_type: 'refresh_token', client_id: '14d82eec-204b-4c2f-b7e8-296a70dab67e', refresh_token: theirs.refresh_token ?? '',
    }, sim.caPem);
    expect(refresh.status).toBe(400);
    expect(refresh.text).toContain('AADSTS50173');
    expect(lastAudit('Invalidate all refresh tokens for user')?.targetResources[0]?.userPrincipalName).toBe(victim?.userPrincipalName);
  });

  it('resets a password only with User-PasswordProfile.ReadWrite.All (User.ReadWrite.All gets 403), and admins\' only as a privileged admin', async () => {
    const victim = sim.groundTruth.compromisedAdmins[0];
    const body = { passwordProfile: { password: 'Sim-Only-Reset-1!', forceChangePasswordNextSignIn: true } };
    const userWrite = (await delegatedToken(sim, 'https://graph.microsoft.com/User.ReadWrite.All', adminUpn, sim.groundTruth.remediationClient.appId)).access_token;
    expect((await call(sim, 'PATCH', `/v1.0/users/${victim?.id ?? ''}`, userWrite, body)).status).toBe(403);
    const plain = sim.tenant.users.find((u) => !sim.tenant.directoryRoleAssignments.some((a) => a.principalId === u.id));
    const helper = (await delegatedToken(sim, 'https://graph.microsoft.com/User-PasswordProfile.ReadWrite.All', plain?.userPrincipalName ?? '', sim.groundTruth.remediationClient.appId)).access_token;
    expect((await call(sim, 'PATCH', `/v1.0/users/${victim?.id ?? ''}`, helper, body)).status).toBe(403);
    expect((await call(sim, 'PATCH', `/v1.0/users/${victim?.id ?? ''}`, write, { passwordProfile: { password: 'short' } })).status).toBe(400);
    const before = sim.tenant.users.find((u) => u.id === victim?.id)?.lastPasswordChangeDateTime;
    expect((await call(sim, 'PATCH', `/v1.0/users/${victim?.id ?? ''}`, write, body)).status).toBe(204);
    const after = json(await get(`/v1.0/users/${victim?.id ?? ''}?$select=lastPasswordChangeDateTime`)) as { lastPasswordChangeDateTime: string };
    expect(after.lastPasswordChangeDateTime).not.toBe(before);
    const reset = lastAudit('Reset user password');
    expect(reset?.targetResources[0]?.id).toBe(victim?.id);
    await auditServed(reset?.id ?? '');
    expect(JSON.stringify(sim.directoryAuditsWritten)).not.toContain('Sim-Only-Reset-1!');
  });

  it('turns security defaults on (Policy.Read.All alone gets 403)', async () => {
    const policyRead = (await delegatedToken(sim, 'https://graph.microsoft.com/Policy.Read.All', adminUpn, sim.groundTruth.remediationClient.appId)).access_token;
    expect((await call(sim, 'PATCH', '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy', policyRead, { isEnabled: true })).status).toBe(403);
    expect((await call(sim, 'PATCH', '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy', write, { isEnabled: true })).status).toBe(204);
    expect((json(await get('/v1.0/policies/identitySecurityDefaultsEnforcementPolicy')) as { isEnabled: boolean }).isEnabled).toBe(true);
    expect(lastAudit('Update policy')?.targetResources[0]?.modifiedProperties[0]).toEqual({ displayName: 'IsEnabled', oldValue: '[false]', newValue: '[true]' });
  });

  it('creates a conditional-access policy requiring MFA for admins', async () => {
    const policy = {
      displayName: 'Require MFA for admins (incident response)', state: 'enabled',
      conditions: { users: { includeRoles: [DIRECTORY_ROLES.globalAdministrator.templateId, DIRECTORY_ROLES.exchangeAdministrator.templateId] }, applications: { includeApplications: ['All'] }, clientAppTypes: ['all'] },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    };
    const created = await call(sim, 'POST', '/v1.0/identity/conditionalAccess/policies', write, policy);
    expect(created.status).toBe(201);
    const id = (json(created) as { id: string }).id;
    expect(created.headers.location).toContain(id);
    const policies = collection.parse(json(await get('/v1.0/identity/conditionalAccess/policies'))).value as unknown as GraphConditionalAccessPolicy[];
    expect(policies.filter(requiresMfaForAdmins).map((p) => p.id)).toEqual([id]);
    expect((await call(sim, 'POST', '/v1.0/identity/conditionalAccess/policies', write, { displayName: 'x' })).status).toBe(400);
    expect(lastAudit('Add conditional access policy')?.loggedByService).toBe('Conditional Access');
  });

  it('runs writes inside $batch, each with its own status', async () => {
    const grant = sim.tenant.oauth2PermissionGrants.find((g) => g.consentType === 'Principal');
    const response = await call(sim, 'POST', '/v1.0/$batch', write, { requests: [
      { id: '1', method: 'DELETE', url: `/oauth2PermissionGrants/${grant?.id ?? ''}` },
      { id: '2', method: 'PATCH', url: '/policies/identitySecurityDefaultsEnforcementPolicy', headers: { 'Content-Type': 'application/json' }, body: { isEnabled: true } },
    ] });
    const { responses } = json(response) as { responses: { id: string; status: number }[] };
    expect(responses).toEqual([expect.objectContaining({ id: '1', status: 204 }), expect.objectContaining({ id: '2', status: 204 })]);
  });
});

describe('owners and restore', () => {
  /** An application of the tenant's own, still there, with its service principal: the tests above deleted others. */
  const ordinaryApp = () => {
    const gt = sim.groundTruth;
    const taken = new Set([gt.engagementApp.appId, gt.remediationClient.appId, ...gt.maliciousApps.map((a) => a.appId), ...gt.decoys.map((d) => d.appId)]);
    const app = sim.tenant.applications.find((a) => !taken.has(a.appId) && sim.tenant.servicePrincipals.some((s) => s.appId === a.appId))!;
    return { applicationObjectId: app.id, servicePrincipalId: sim.tenant.servicePrincipals.find((s) => s.appId === app.appId)!.id };
  };

  it('lists an app\'s owners, removes one by $ref (audited), and says 404 for one that is not an owner', async () => {
    const app = ordinaryApp();
    const owner = sim.groundTruth.compromisedUser.id;
    sim.tenant.owners = { ...sim.tenant.owners, [app.applicationObjectId]: [owner] };
    const listed = await get(`/v1.0/applications/${app.applicationObjectId}/owners`);
    expect(listed.status).toBe(200);
    expect((json(listed) as { value: { id: string; '@odata.type': string }[] }).value.map((v) => [v.id, v['@odata.type']])).toEqual([[owner, '#microsoft.graph.user']]);
    expect((await call(sim, 'DELETE', `/v1.0/applications/${app.applicationObjectId}/owners/${owner}/$ref`, readOnly)).status).toBe(403);
    expect((await call(sim, 'DELETE', `/v1.0/applications/${app.applicationObjectId}/owners/${owner}/$ref`, write)).status).toBe(204);
    expect(lastAudit('Remove owner from application')!.targetResources.map((t) => t.id)).toEqual([owner, app.applicationObjectId]);
    expect((json(await get(`/v1.0/applications/${app.applicationObjectId}/owners`)) as { value: unknown[] }).value).toEqual([]);
    expect((await call(sim, 'DELETE', `/v1.0/applications/${app.applicationObjectId}/owners/${owner}/$ref`, write)).status).toBe(404);
  });

  it('restores a deleted application without its service principal, which is restored on its own', async () => {
    const app = ordinaryApp();
    const appId = app.applicationObjectId;
    expect((await call(sim, 'DELETE', `/v1.0/applications/${appId}`, write)).status).toBe(204);
    expect((await get(`/v1.0/applications/${appId}`)).status).toBe(404);
    const restored = await call(sim, 'POST', `/v1.0/directory/deletedItems/${appId}/restore`, write);
    expect(restored.status).toBe(200);
    expect(json(restored)).toMatchObject({ '@odata.type': '#microsoft.graph.application', id: appId, deletedDateTime: null });
    expect((await get(`/v1.0/applications/${appId}`)).status).toBe(200);
    expect((await get(`/v1.0/servicePrincipals/${app.servicePrincipalId}`)).status).toBe(404);
    expect((await call(sim, 'POST', `/v1.0/directory/deletedItems/${app.servicePrincipalId}/restore`, write)).status).toBe(200);
    expect((await get(`/v1.0/servicePrincipals/${app.servicePrincipalId}`)).status).toBe(200);
    expect(lastAudit('Restore service principal')!.targetResources[0]!.id).toBe(app.servicePrincipalId);
    expect((await call(sim, 'POST', `/v1.0/directory/deletedItems/${appId}/restore`, write)).status).toBe(404);
  });
});
