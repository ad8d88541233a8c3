// Test (Vitest, Node): the simulator's hardening and mail-flow remediation routes — each changes what the next read shows, needs its permission or role, refuses bad input, and is audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator, type SimHandle } from './server';
import { json, simRequest } from './https-client';
import { call, delegatedToken } from './directory/test-tokens';
import { DIRECTORY_ROLES, EXCHANGE_POWERSHELL_CLIENT_ID } from './wellknown';

let sim: SimHandle;
let graph: string;
let graphReadOnly: string;
let exchange: string;
let exchangeReader: string;

const envelope = z.object({ value: z.array(z.record(z.string(), z.unknown())) });

beforeAll(async () => {
  sim = await startSimulator({ scenario: 'contoso', seed: 1, users: 150 });
  const ga = DIRECTORY_ROLES.globalAdministrator.templateId;
  const taken = new Set(sim.groundTruth.compromisedAccounts.map((a) => a.id));
  const admin = sim.tenant.users.find((u) => sim.tenant.directoryRoleAssignments.some((a) => a.principalId === u.id && a.roleDefinitionId === ga) && !taken.has(u.id))!;
  graph = (await delegatedToken(sim, 'https://graph.microsoft.com/.default', admin.userPrincipalName, sim.groundTruth.remediationClient.appId)).access_token;
  graphReadOnly = (await delegatedToken(sim, 'https://graph.microsoft.com/.default', admin.userPrincipalName)).access_token;
  exchange = (await delegatedToken(sim, 'https://outlook.office365.com/.default', admin.userPrincipalName, EXCHANGE_POWERSHELL_CLIENT_ID)).access_token;
  // A user with no admin role at all: Exchange refuses every admin cmdlet.
  const plain = sim.tenant.users.find((u) => !sim.tenant.directoryRoleAssignments.some((a) => a.principalId === u.id))!;
  exchangeReader = (await delegatedToken(sim, 'https://outlook.office365.com/.default', plain.userPrincipalName, EXCHANGE_POWERSHELL_CLIENT_ID)).access_token;
});

afterAll(async () => sim.close());

function cmdlet(name: string, parameters: Record<string, unknown> = {}, token = exchange) {
  return simRequest(`${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand`, {
    ca: sim.caPem, method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ CmdletInput: { CmdletName: name, Parameters: parameters } }),
  });
}

const rows = async (name: string, parameters: Record<string, unknown> = {}) => {
  const response = await cmdlet(name, parameters);
  expect(response.status, response.text.slice(0, 300)).toBe(200);
  return envelope.parse(json(response)).value;
};

/** The ExchangeAdmin operations audited since `since`, as Search-UnifiedAuditLog returns them. */
async function auditedSince(since: number): Promise<string[]> {
  const found = await rows('Search-UnifiedAuditLog', { StartDate: new Date(since - 60_000).toISOString(), EndDate: new Date(Date.now() + 60_000).toISOString(), RecordType: 'ExchangeAdmin' });
  return found.map((r) => String(r.Operations));
}

describe('Exchange remediation cmdlets', () => {
  it('Set-Mailbox clears forwarding, the next Get-Mailbox shows it, and the change is audited', async () => {
    const since = Date.now();
    const upn = sim.exchange.state.groundTruth().externalForwarding.mailboxes[0]!;
    expect((await rows('Get-Mailbox', { Identity: upn }))[0]!.ForwardingSmtpAddress).toMatch(/^smtp:/);
    expect((await cmdlet('Set-Mailbox', { Identity: upn, ForwardingSmtpAddress: null, ForwardingAddress: null, DeliverToMailboxAndForward: false })).status).toBe(200);
    expect((await rows('Get-Mailbox', { Identity: upn }))[0]).toMatchObject({ ForwardingSmtpAddress: null, ForwardingAddress: null, DeliverToMailboxAndForward: false });
    expect(await auditedSince(since)).toContain('Set-Mailbox');
  });

  it('Set-Mailbox refuses a parameter it does not model, an unknown mailbox, and a caller without an admin role', async () => {
    const upn = sim.tenant.users[3]!.userPrincipalName;
    expect((await cmdlet('Set-Mailbox', { Identity: upn, HiddenFromAddressListsEnabled: true })).status).toBe(400);
    expect((await cmdlet('Set-Mailbox', { Identity: 'nobody@nowhere.example', ForwardingSmtpAddress: null })).status).toBe(404);
    expect((await cmdlet('Set-Mailbox', { Identity: upn, ForwardingSmtpAddress: null }, exchangeReader)).status).toBe(403);
  });

  it('Remove-InboxRule removes one rule of one mailbox; a second removal is not found', async () => {
    const since = Date.now();
    const user = sim.tenant.users.find((u) => sim.exchange.state.inboxRules(u).length > 0)!;
    const [rule, ...others] = await rows('Get-InboxRule', { Mailbox: user.userPrincipalName });
    expect((await cmdlet('Remove-InboxRule', { Mailbox: user.userPrincipalName, Identity: rule!.Identity })).status).toBe(200);
    const after = await rows('Get-InboxRule', { Mailbox: user.userPrincipalName });
    expect(after.map((r) => r.Identity)).toEqual(others.map((r) => r.Identity));
    expect((await cmdlet('Remove-InboxRule', { Mailbox: user.userPrincipalName, Identity: rule!.Identity })).status).toBe(404);
    expect((await cmdlet('Get-InboxRule', { Mailbox: user.userPrincipalName, Identity: rule!.Identity })).status).toBe(404);
    expect(await auditedSince(since)).toContain('Remove-InboxRule');
  });

  it('Get-AdminAuditLogConfig shows ingestion on; Set-AdminAuditLogConfig turns it off and on again, each audited', async () => {
    const since = Date.now();
    expect((await rows('Get-AdminAuditLogConfig'))[0]).toMatchObject({ Identity: 'Admin Audit Log Settings', UnifiedAuditLogIngestionEnabled: true });
    expect((await cmdlet('Set-AdminAuditLogConfig', { UnifiedAuditLogIngestionEnabled: false })).status).toBe(200);
    expect((await rows('Get-AdminAuditLogConfig'))[0]!.UnifiedAuditLogIngestionEnabled).toBe(false);
    expect((await cmdlet('Set-AdminAuditLogConfig', { UnifiedAuditLogIngestionEnabled: '$true' })).status).toBe(200);
    expect((await rows('Get-AdminAuditLogConfig'))[0]!.UnifiedAuditLogIngestionEnabled).toBe(true);
    expect((await cmdlet('Set-AdminAuditLogConfig', { UnifiedAuditLogIngestionEnabled: 'maybe' })).status).toBe(400);
    expect((await cmdlet('Set-AdminAuditLogConfig', { UnifiedAuditLogIngestionEnabled: true }, exchangeReader)).status).toBe(403);
    expect((await auditedSince(since)).filter((o) => o === 'Set-AdminAuditLogConfig')).toHaveLength(2);
  });
});

describe('Graph hardening routes', () => {
  const location = { '@odata.type': '#microsoft.graph.ipNamedLocation', displayName: 'Blocked: test', isTrusted: false, ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.7/32' }] };

  it('creates an IP named location that a filtered list and a get by id return; a bad range is refused', async () => {
    const created = await call(sim, 'POST', '/v1.0/identity/conditionalAccess/namedLocations', graph, location);
    expect(created.status).toBe(201);
    const id = (json(created) as { id: string }).id;
    const listed = envelope.parse(json(await call(sim, 'GET', `/v1.0/identity/conditionalAccess/namedLocations?$filter=${encodeURIComponent("displayName eq 'Blocked: test'")}`, graph))).value;
    expect(listed.map((l) => l.id)).toEqual([id]);
    expect((json(await call(sim, 'GET', `/v1.0/identity/conditionalAccess/namedLocations/${id}`, graph)) as { ipRanges: unknown[] }).ipRanges).toEqual(location.ipRanges);
    const bad = await call(sim, 'POST', '/v1.0/identity/conditionalAccess/namedLocations', graph, { ...location, ipRanges: [{ '@odata.type': '#microsoft.graph.iPv4CidrRange', cidrAddress: '203.0.113.300/32' }] });
    expect(bad.status).toBe(400);
    expect((await call(sim, 'POST', '/v1.0/identity/conditionalAccess/namedLocations', graphReadOnly, location)).status).toBe(403);
    expect(sim.directoryAuditsWritten.some((a) => a.activityDisplayName === 'Add named location')).toBe(true);
  });

  it('creates a report-only policy on a named location, refuses an unknown one, and switches it on with PATCH', async () => {
    const loc = json(await call(sim, 'POST', '/v1.0/identity/conditionalAccess/namedLocations', graph, { ...location, displayName: 'Blocked: policy test' })) as { id: string };
    const policy = (locations: string[]) => ({
      displayName: 'Block test', state: 'enabledForReportingButNotEnforced', grantControls: { operator: 'OR', builtInControls: ['block'] },
      conditions: { applications: { includeApplications: ['All'] }, users: { includeUsers: ['All'] }, locations: { includeLocations: locations } },
    });
    expect((await call(sim, 'POST', '/v1.0/identity/conditionalAccess/policies', graph, policy(['00000000-0000-0000-0000-00000000dead']))).status).toBe(400);
    const created = await call(sim, 'POST', '/v1.0/identity/conditionalAccess/policies', graph, policy([loc.id]));
    expect(created.status).toBe(201);
    const id = (json(created) as { id: string }).id;
    expect((json(await call(sim, 'GET', `/v1.0/identity/conditionalAccess/policies/${id}`, graph)) as { conditions: { locations: unknown } }).conditions.locations).toEqual({ includeLocations: [loc.id], excludeLocations: [] });
    expect((await call(sim, 'PATCH', `/v1.0/identity/conditionalAccess/policies/${id}`, graph, { state: 'enabled' })).status).toBe(204);
    expect((json(await call(sim, 'GET', `/v1.0/identity/conditionalAccess/policies/${id}`, graph)) as { state: string }).state).toBe('enabled');
    expect((await call(sim, 'PATCH', `/v1.0/identity/conditionalAccess/policies/${id}`, graph, { state: 'on' })).status).toBe(400);
    expect((await call(sim, 'PATCH', `/v1.0/identity/conditionalAccess/policies/${id}`, graph, { grantControls: null })).status).toBe(400);
    expect((await call(sim, 'PATCH', '/v1.0/identity/conditionalAccess/policies/00000000-0000-0000-0000-000000000000', graph, { state: 'enabled' })).status).toBe(404);
    expect((await call(sim, 'PATCH', `/v1.0/identity/conditionalAccess/policies/${id}`, graphReadOnly, { state: 'disabled' })).status).toBe(403);
  });

  it('enforces per-user MFA under beta only, with Policy.ReadWrite.AuthenticationMethod, and audits it', async () => {
    const user = sim.groundTruth.compromisedAccounts[0]!;
    const path = `/beta/users/${user.id}/authentication/requirements`;
    expect((json(await call(sim, 'GET', path, graph)) as { perUserMfaState: string }).perUserMfaState).toBe('disabled');
    expect((await call(sim, 'PATCH', path, graph, { perUserMfaState: 'enforced' })).status).toBe(204);
    expect((json(await call(sim, 'GET', path, graph)) as { perUserMfaState: string }).perUserMfaState).toBe('enforced');
    expect((await call(sim, 'PATCH', path, graph, { perUserMfaState: 'always' })).status).toBe(400);
    expect((await call(sim, 'PATCH', path.replace('/beta/', '/v1.0/'), graph, { perUserMfaState: 'enforced' })).status).toBe(400);
    expect((await call(sim, 'PATCH', path, graphReadOnly, { perUserMfaState: 'disabled' })).status).toBe(403);
    const record = sim.directoryAuditsWritten.filter((a) => a.activityDisplayName === 'Enable Strong Authentication').at(-1);
    expect(record?.targetResources[0]?.id).toBe(user.id);
  });
});
