// Test (Vitest, Node): the Exchange admin API over HTTPS: CmdletInput envelope, nextLink paging, auth and role 403s, throttling, cmdlets, writes and their audit records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator, type SimHandle } from './server';
import { generateSimulatorTls, type SimulatorTls } from './ca';
import { json, postForm, simRequest, type SimResponse } from './https-client';
import { EXCHANGE_POWERSHELL_CLIENT_ID, GRAPH_CLI_CLIENT_ID } from './wellknown';
import type { ExchangeGroundTruth } from './exchange/state';

const GLOBAL_READER = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';

const envelope = z.object({
  '@odata.context': z.string(),
  value: z.array(z.record(z.string(), z.unknown())),
  '@odata.nextLink': z.string().optional(),
});

/** The error shape ExchangeOnlineManagement reads: details[].message = Code|Type|Message, innererror.internalException.message. */
const exoError = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ code: z.string(), target: z.string(), message: z.string().regex(/^Ex[0-9A-F]{6}\|[\w.]+\|.+/s) })).min(1),
    innererror: z.object({ message: z.string(), type: z.string(), internalException: z.object({ message: z.string(), type: z.string() }) }),
  }),
});

let certs: SimulatorTls;
let sim: SimHandle;
let adminToken: string;
let appToken: string;

async function tokenFor(s: SimHandle, scope: string, upn: string, clientId: string): Promise<string> {
  const code = z.object({ user_code: z.string(), device_code: z.string() }).parse(json(await postForm(`${s.url}/organizations/oauth2/v2.0/devicecode`, { client_id: clientId, scope }, s.caPem)));
  s.approve(code.user_code, upn);
  const response = await postForm(`${s.url}/${s.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: code.device_code,
  }, s.caPem);
  expect(response.status).toBe(200);
  return z.object({ access_token: z.string() }).parse(json(response)).access_token;
}

async function clientCredentials(s: SimHandle, scope = 'https://outlook.office365.com/.default'): Promise<string> {
  const response = await postForm(`${s.url}/${s.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'client_credentials', client_id: s.environment.engagementApp.clientId, client_secret: s.environment.engagementApp.clientSecret, scope,
  }, s.caPem);
  expect(response.status).toBe(200);
  return z.object({ access_token: z.string() }).parse(json(response)).access_token;
}

/** Gives the engagement app the Global Reader role (what DIR is asked to add to the scenario), once. */
function grantGlobalReader(s: SimHandle): void {
  const spId = s.tenant.engagementApp.servicePrincipalId;
  if (s.tenant.directoryRoleAssignments.some((r) => r.principalId === spId && r.roleDefinitionId === GLOBAL_READER)) return;
  s.tenant.directoryRoleAssignments.push({ id: '00000000-0000-4000-8000-0000000000e1', principalId: spId, principalType: 'ServicePrincipal', roleDefinitionId: GLOBAL_READER, createdDateTime: '2024-01-01T00:00:00Z' });
}

interface InvokeOptions { token?: string; url?: string; prefer?: string; anchor?: string; body?: string }

function invoke(s: SimHandle, cmdlet: string, parameters: Record<string, unknown> = {}, o: InvokeOptions = {}): Promise<SimResponse> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  if (o.prefer) headers.Prefer = o.prefer;
  if (o.anchor) headers['X-AnchorMailbox'] = o.anchor;
  return simRequest(o.url ?? `${s.url}/adminapi/beta/${s.tenantId}/InvokeCommand`, {
    method: 'POST', ca: s.caPem, headers, body: o.body ?? JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
  });
}

/** Runs a cmdlet and follows @odata.nextLink by POSTing the same body, as the module does. */
async function collect(s: SimHandle, token: string, cmdlet: string, parameters: Record<string, unknown> = {}, prefer = 'odata.maxpagesize=1000'): Promise<{ rows: Record<string, unknown>[]; pages: number }> {
  const rows: Record<string, unknown>[] = [];
  let url: string | undefined;
  let pages = 0;
  do {
    const response = await invoke(s, cmdlet, parameters, { token, prefer, ...(url ? { url } : {}) });
    expect(response.status, response.text.slice(0, 300)).toBe(200);
    const page = envelope.parse(json(response));
    rows.push(...page.value);
    pages++;
    url = page['@odata.nextLink'];
  } while (url);
  return { rows, pages };
}

function truthOf(s: SimHandle): ExchangeGroundTruth {
  return s.groundTruth.exchange as ExchangeGroundTruth;
}

beforeAll(async () => {
  certs = await generateSimulatorTls();
  sim = await startSimulator({ scenario: 'contoso', seed: 1, tls: certs, exchange: { throttleLimit: 10_000 } });
  adminToken = await tokenFor(sim, 'https://outlook.office365.com/.default', 'admin@contoso.onmicrosoft.com', EXCHANGE_POWERSHELL_CLIENT_ID);
  appToken = await clientCredentials(sim);
});

afterAll(async () => {
  await sim.close();
});

describe('InvokeCommand envelope', () => {
  it('answers a cmdlet with @odata.context and value, and no nextLink when everything fits', async () => {
    const response = await invoke(sim, 'Get-InboundConnector', {}, { token: adminToken, prefer: 'odata.maxpagesize=1000', anchor: 'UPN:admin@contoso.onmicrosoft.com' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = envelope.parse(json(response));
    expect(body['@odata.context']).toContain(`/adminapi/beta/${sim.tenantId}/$metadata#`);
    expect(body['@odata.nextLink']).toBeUndefined();
    expect(body.value.map((c) => c.Name)).toEqual(sim.exchange.state.inboundConnectors.map((c) => c.name));
    expect(body.value.length).toBe(truthOf(sim).counts.inboundConnectors);
    expect(truthOf(sim).cycles.length).toBe(sim.tenant.attack.exchange.cycles.length);
  });

  it('accepts the tenant as its initial domain too', async () => {
    const response = await invoke(sim, 'Get-OutboundConnector', {}, { token: adminToken, url: `${sim.url}/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand` });
    expect(response.status).toBe(200);
    expect(envelope.parse(json(response)).value.length).toBe(truthOf(sim).counts.outboundConnectors);
  });

  it('refuses a malformed envelope, a bad anchor header and GET', async () => {
    const bad = await invoke(sim, 'x', {}, { token: adminToken, body: JSON.stringify({ Cmdlet: 'Get-TransportRule' }) });
    expect(bad.status).toBe(400);
    exoError.parse(json(bad));
    expect((await invoke(sim, 'Get-TransportRule', {}, { token: adminToken, anchor: 'admin@contoso.onmicrosoft.com' })).status).toBe(400);
    const get = await simRequest(`${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand`, { ca: sim.caPem, headers: { Authorization: `Bearer ${adminToken}` } });
    expect(get.status).toBe(405);
  });

  it('answers an unknown cmdlet in the module error shape', async () => {
    const response = await invoke(sim, 'Get-Nonsense', {}, { token: adminToken });
    expect(response.status).toBe(400);
    const error = exoError.parse(json(response)).error;
    expect(error.details[0]?.message).toMatch(/\|System\.Management\.Automation\.CommandNotFoundException\|The term 'Get-Nonsense' is not recognized/);
    expect(error.innererror.internalException.message).toMatch(/^The term 'Get-Nonsense'/);
  });

  it('answers an unknown identity with ManagementObjectNotFoundException (404)', async () => {
    const response = await invoke(sim, 'Get-TransportRule', { Identity: 'No such rule' }, { token: adminToken });
    expect(response.status).toBe(404);
    expect(exoError.parse(json(response)).error.innererror.internalException.type).toBe('Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException');
  });
});

describe('auth and roles', () => {
  it('401 without a token, with a WWW-Authenticate challenge', async () => {
    const response = await invoke(sim, 'Get-TransportRule');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
  });

  it('401 for a Graph token (wrong audience)', async () => {
    const graph = await clientCredentials(sim, 'https://graph.microsoft.com/.default');
    expect((await invoke(sim, 'Get-TransportRule', {}, { token: graph })).status).toBe(401);
  });

  it('403 for a user without an admin role, and for a token without Exchange.Manage', async () => {
    const user = await tokenFor(sim, 'https://outlook.office365.com/.default', 'AdeleV@contoso.onmicrosoft.com', EXCHANGE_POWERSHELL_CLIENT_ID);
    const response = await invoke(sim, 'Get-TransportRule', {}, { token: user });
    expect(response.status).toBe(403);
    exoError.parse(json(response));
    const graphCli = await tokenFor(sim, 'https://graph.microsoft.com/.default', 'admin@contoso.onmicrosoft.com', GRAPH_CLI_CLIENT_ID);
    expect((await invoke(sim, 'Get-TransportRule', {}, { token: graphCli })).status).toBe(401);
  });

  it('403 for an app with Exchange.ManageAsApp but no directory role; reads once it holds Global Reader, still 403 on writes', async () => {
    const fresh = await startSimulator({ scenario: 'contoso', seed: 1, tls: certs });
    try {
      const token = await clientCredentials(fresh);
      const spId = fresh.tenant.engagementApp.servicePrincipalId;
      if (!fresh.tenant.directoryRoleAssignments.some((r) => r.principalId === spId)) {
        const denied = await invoke(fresh, 'Get-TransportRule', {}, { token });
        expect(denied.status).toBe(403);
        expect(exoError.parse(json(denied)).error.innererror.internalException.message).toMatch(/not assigned an Exchange or Entra role/);
      }
      grantGlobalReader(fresh);
      expect((await invoke(fresh, 'Get-TransportRule', {}, { token, anchor: `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${fresh.tenant.domain}` })).status).toBe(200);
      const rule = fresh.exchange.state.transportRules[0]?.name ?? '';
      const write = await invoke(fresh, 'Disable-TransportRule', { Identity: rule }, { token });
      expect(write.status).toBe(403);
      expect(fresh.exchange.state.transportRules[0]?.state).toBe('Enabled');
    } finally {
      await fresh.close();
    }
  });
});

describe('paging', () => {
  it('pages by nextLink with Prefer: odata.maxpagesize and returns the same rows as one page', async () => {
    const whole = await collect(sim, adminToken, 'Get-TransportRule');
    expect(whole.pages).toBe(1);
    const paged = await collect(sim, adminToken, 'Get-TransportRule', {}, 'odata.maxpagesize=4');
    expect(paged.pages).toBe(Math.ceil(whole.rows.length / 4));
    expect(paged.rows).toEqual(whole.rows);
  });

  it('refuses a nextLink replayed with another cmdlet or a made-up token', async () => {
    const first = envelope.parse(json(await invoke(sim, 'Get-TransportRule', {}, { token: adminToken, prefer: 'odata.maxpagesize=2' })));
    const next = first['@odata.nextLink'] ?? '';
    expect(next).toContain('InvokeCommand?');
    expect((await invoke(sim, 'Get-InboundConnector', {}, { token: adminToken, url: next })).status).toBe(400);
    expect((await invoke(sim, 'Get-TransportRule', {}, { token: adminToken, url: `${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand?%24skiptoken=nope` })).status).toBe(400);
  });
});

describe('mailboxes and inbox rules', () => {
  it('Get-Mailbox honours ResultSize and the forwarding filter', async () => {
    const five = await collect(sim, adminToken, 'Get-Mailbox', { ResultSize: 5 });
    expect(five.rows).toHaveLength(5);
    const all = await collect(sim, adminToken, 'Get-Mailbox', { ResultSize: 'Unlimited' }, 'odata.maxpagesize=7');
    expect(all.rows).toHaveLength(truthOf(sim).counts.mailboxes);
    const forwarding = await collect(sim, adminToken, 'Get-Mailbox', { ResultSize: 'Unlimited', Filter: 'ForwardingSmtpAddress -ne $null' });
    expect(forwarding.rows.every((m) => typeof m.ForwardingSmtpAddress === 'string')).toBe(true);
    expect(forwarding.rows.map((m) => m.UserPrincipalName).sort()).toEqual([...truthOf(sim).externalForwarding.mailboxes].sort());
    const bad = await invoke(sim, 'Get-Mailbox', { Filter: 'ForwardingSmtpAddress is set' }, { token: adminToken });
    expect(bad.status).toBe(400);
    exoError.parse(json(bad));
  });

  it('Get-InboxRule -Mailbox lists a mailbox\'s rules; app-only needs -Mailbox', async () => {
    // Every mailbox's rules are counted in the state test; over HTTP a slice of mailboxes keeps the file fast.
    const forwarding = new Set(truthOf(sim).externalForwarding.inboxRules);
    for (const user of sim.tenant.users.slice(0, 25)) {
      const { rows } = await collect(sim, adminToken, 'Get-InboxRule', { Mailbox: user.userPrincipalName });
      expect(rows.map((r) => r.RuleIdentity)).toEqual(sim.exchange.state.inboxRules(user).map((r) => r.ruleIdentity));
      for (const r of rows) {
        expect(r.MailboxOwnerId).toBe(user.userPrincipalName.split('@')[0]);
        const forwards = Array.isArray(r.ForwardTo) || Array.isArray(r.RedirectTo) || Array.isArray(r.ForwardAsAttachmentTo);
        expect(forwarding.has(String(r.Identity))).toBe(forwards);
      }
    }
    grantGlobalReader(sim);
    const app = await invoke(sim, 'Get-InboxRule', {}, { token: appToken });
    expect(app.status).toBe(400);
    expect((await invoke(sim, 'Get-InboxRule', { Mailbox: 'nobody@contoso.onmicrosoft.com' }, { token: adminToken })).status).toBe(404);
  });
});

describe('writes', () => {
  it('Remove-InboundConnector, Remove-TransportRule and Disable-TransportRule change the state and write ExchangeAdmin records', async () => {
    const s = await startSimulator({ scenario: 'contoso', seed: 2, tls: certs });
    try {
      const token = await tokenFor(s, 'https://outlook.office365.com/.default', 'admin@contoso.onmicrosoft.com', EXCHANGE_POWERSHELL_CLIENT_ID);
      const connector = s.exchange.state.inboundConnectors[0];
      const [ruleA, ruleB] = s.exchange.state.transportRules;
      if (!connector || !ruleA || !ruleB) throw new Error('scenario has no connector or rules');
      const before = Date.now();

      const removed = await invoke(s, 'Remove-InboundConnector', { Identity: connector.name, Confirm: false }, { token });
      expect(removed.status).toBe(200);
      expect(envelope.parse(json(removed)).value).toEqual([]);
      const connectors = await collect(s, token, 'Get-InboundConnector');
      expect(connectors.rows.map((c) => c.Name)).not.toContain(connector.name);
      expect((await invoke(s, 'Remove-InboundConnector', { Identity: connector.name }, { token })).status).toBe(404);

      expect((await invoke(s, 'Remove-TransportRule', { Identity: ruleA.guid, Confirm: false }, { token })).status).toBe(200);
      expect((await invoke(s, 'Disable-TransportRule', { Identity: ruleB.name, Confirm: false }, { token })).status).toBe(200);
      const rules = await collect(s, token, 'Get-TransportRule');
      expect(rules.rows.map((r) => r.Guid)).not.toContain(ruleA.guid);
      expect(rules.rows.find((r) => r.Guid === ruleB.guid)?.State).toBe('Disabled');
      expect(rules.rows.map((r) => r.Priority)).toEqual(rules.rows.map((_r, i) => i));

      const audit = await collect(s, token, 'Search-UnifiedAuditLog', {
        StartDate: new Date(before - 60_000).toISOString(), EndDate: new Date(Date.now() + 60_000).toISOString(), RecordType: 'ExchangeAdmin',
      });
      const ops = audit.rows.map((r) => r.Operations).sort();
      expect(ops).toEqual(['Disable-TransportRule', 'Remove-InboundConnector', 'Remove-TransportRule']);
      for (const row of audit.rows) {
        expect(row.UserIds).toBe('admin@contoso.onmicrosoft.com');
        const data = z.looseObject({ Operation: z.string(), ObjectId: z.string(), UserId: z.string(), RecordType: z.literal(1), Workload: z.literal('Exchange'), Parameters: z.array(z.object({ Name: z.string(), Value: z.string() })) }).parse(JSON.parse(String(row.AuditData)));
        expect(data.UserId).toBe('admin@contoso.onmicrosoft.com');
        expect([connector.name, ruleA.name, ruleB.name]).toContain(data.ObjectId);
        expect(data.Parameters.some((p) => p.Name === 'Identity')).toBe(true);
      }
    } finally {
      await s.close();
    }
  });
});

describe('writes on Exchange RBAC for applications and mailbox-audit exemptions', () => {
  it('Remove-ManagementRoleAssignment takes the app\'s role away, leaves the decoy, and answers 404 once it is gone', async () => {
    const s = await startSimulator({ scenario: 'contoso', seed: 3, tls: certs });
    try {
      const token = await tokenFor(s, 'https://outlook.office365.com/.default', 'admin@contoso.onmicrosoft.com', EXCHANGE_POWERSHELL_CLIENT_ID);
      const rbac = truthOf(s).appRbac;
      const [name] = rbac.malicious.roleAssignmentNames;
      const decoy = rbac.decoys[0]!.roleAssignmentNames[0]!;
      if (!name) throw new Error('contoso keeps no app role assignment');
      const one = await invoke(s, 'Get-ManagementRoleAssignment', { Identity: name }, { token });
      expect(one.status).toBe(200);
      expect(envelope.parse(json(one)).value.map((r) => [r.Name, r.RoleAssigneeType])).toEqual([[name, 'ServicePrincipal']]);
      const decoyBefore = JSON.stringify(envelope.parse(json(await invoke(s, 'Get-ManagementRoleAssignment', { Identity: decoy }, { token }))).value);
      const before = Date.now();

      expect((await invoke(s, 'Remove-ManagementRoleAssignment', {}, { token })).status).toBe(400);
      const removed = await invoke(s, 'Remove-ManagementRoleAssignment', { Identity: name, Confirm: false }, { token });
      expect(removed.status, removed.text).toBe(200);
      expect(envelope.parse(json(removed)).value).toEqual([]);
      const gone = await invoke(s, 'Get-ManagementRoleAssignment', { Identity: name }, { token });
      expect(gone.status).toBe(404);
      expect(exoError.parse(json(gone)).error.details[0]!.message).toContain('ManagementObjectNotFoundException');
      const again = await invoke(s, 'Remove-ManagementRoleAssignment', { Identity: name, Confirm: false }, { token });
      expect(again.status).toBe(404);
      expect(again.text).toContain(`couldn't be found`);
      const list = await collect(s, token, 'Get-ManagementRoleAssignment', { RoleAssigneeType: 'ServicePrincipal' });
      expect(list.rows.map((r) => r.Name)).toEqual([decoy]);
      expect(JSON.stringify(envelope.parse(json(await invoke(s, 'Get-ManagementRoleAssignment', { Identity: decoy }, { token }))).value)).toBe(decoyBefore);
      // The app stays registered in Exchange: only its role went.
      expect((await collect(s, token, 'Get-ServicePrincipal')).rows.map((r) => r.AppId)).toEqual(expect.arrayContaining(rbac.malicious.appIds));

      const audit = await collect(s, token, 'Search-UnifiedAuditLog', {
        StartDate: new Date(before - 60_000).toISOString(), EndDate: new Date(Date.now() + 60_000).toISOString(), RecordType: 'ExchangeAdmin',
      });
      expect(audit.rows.map((r) => [r.Operations, (JSON.parse(String(r.AuditData)) as { ObjectId: string }).ObjectId])).toEqual([['Remove-ManagementRoleAssignment', name]]);
    } finally {
      await s.close();
    }
  });

  it('Set-MailboxAuditBypassAssociation lifts the attacker\'s exemption, leaves the archiving account\'s, and changes nothing when run again', async () => {
    const s = await startSimulator({ scenario: 'contoso', seed: 3, tls: certs });
    try {
      const token = await tokenFor(s, 'https://outlook.office365.com/.default', 'admin@contoso.onmicrosoft.com', EXCHANGE_POWERSHELL_CLIENT_ID);
      const bypass = truthOf(s).auditBypass;
      const [name] = bypass.malicious;
      const decoy = bypass.decoys[0]!.name;
      if (!name) throw new Error('contoso keeps no exemption');
      const read = async (identity: string) => {
        const r = await invoke(s, 'Get-MailboxAuditBypassAssociation', { Identity: identity }, { token });
        expect(r.status, r.text).toBe(200);
        return envelope.parse(json(r)).value[0]!;
      };
      expect((await read(name)).AuditBypassEnabled).toBe(true);
      const decoyBefore = JSON.stringify(await read(decoy));
      const before = Date.now();

      expect((await invoke(s, 'Set-MailboxAuditBypassAssociation', { Identity: name }, { token })).text).toContain('missing mandatory parameters: AuditBypassEnabled');
      expect((await invoke(s, 'Set-MailboxAuditBypassAssociation', { Identity: 'nobody-here', AuditBypassEnabled: false }, { token })).status).toBe(404);
      const lifted = await invoke(s, 'Set-MailboxAuditBypassAssociation', { Identity: name, AuditBypassEnabled: false }, { token });
      expect(lifted.status, lifted.text).toBe(200);
      expect((json(lifted) as { '@adminapi.warnings': string[] })['@adminapi.warnings']).toEqual([]);
      const after = await read(name);
      expect(after.AuditBypassEnabled).toBe(false);
      expect(Date.parse(String(after.WhenChangedUTC))).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
      // Run again (an answer lost on the way): nothing changes, a warning says so, no second record.
      const twice = await invoke(s, 'Set-MailboxAuditBypassAssociation', { Identity: name, AuditBypassEnabled: '$false' }, { token });
      expect(twice.status).toBe(200);
      expect((json(twice) as { '@adminapi.warnings': string[] })['@adminapi.warnings'][0]).toMatch(/no settings of .* have been modified/);
      expect(JSON.stringify(await read(name))).toBe(JSON.stringify(after));
      expect(JSON.stringify(await read(decoy))).toBe(decoyBefore);
      const all = await collect(s, token, 'Get-MailboxAuditBypassAssociation', { ResultSize: 'Unlimited' });
      expect(all.rows.filter((r) => r.AuditBypassEnabled === true).map((r) => r.Name)).toEqual([decoy]);
      expect(s.exchange.state.groundTruth().auditBypass.malicious).toEqual([]);

      const audit = await collect(s, token, 'Search-UnifiedAuditLog', {
        StartDate: new Date(before - 60_000).toISOString(), EndDate: new Date(Date.now() + 60_000).toISOString(), RecordType: 'ExchangeAdmin',
      });
      expect(audit.rows.map((r) => [r.Operations, (JSON.parse(String(r.AuditData)) as { ObjectId: string }).ObjectId])).toEqual([['Set-MailboxAuditBypassAssociation', name]]);
    } finally {
      await s.close();
    }
  });

  it('refuses both writes to a reader', async () => {
    grantGlobalReader(sim);
    const token = await clientCredentials(sim);
    const rbac = truthOf(sim).appRbac;
    const r = await invoke(sim, 'Remove-ManagementRoleAssignment', { Identity: rbac.malicious.roleAssignmentNames[0] }, { token });
    expect(r.status).toBe(403);
    const b = await invoke(sim, 'Set-MailboxAuditBypassAssociation', { Identity: truthOf(sim).auditBypass.malicious[0], AuditBypassEnabled: false }, { token });
    expect(b.status).toBe(403);
    expect(sim.exchange.state.appRoleAssignments).toHaveLength(2);
    expect(sim.exchange.state.groundTruth().auditBypass.malicious).toHaveLength(1);
  });
});

describe('determinism', () => {
  it('serves byte-identical objects for the same scenario and seed', async () => {
    const twin = await startSimulator({ scenario: 'contoso', seed: 1, tls: certs });
    try {
      const twinToken = await tokenFor(twin, 'https://outlook.office365.com/.default', 'admin@contoso.onmicrosoft.com', EXCHANGE_POWERSHELL_CLIENT_ID);
      for (const cmdlet of ['Get-InboundConnector', 'Get-OutboundConnector', 'Get-TransportRule']) {
        const a = await collect(sim, adminToken, cmdlet);
        const b = await collect(twin, twinToken, cmdlet);
        expect(JSON.stringify(b.rows)).toBe(JSON.stringify(a.rows));
      }
      const mailboxes = async (s: SimHandle, t: string) => JSON.stringify((await collect(s, t, 'Get-Mailbox', { ResultSize: 20 })).rows);
      expect(await mailboxes(twin, twinToken)).toBe(await mailboxes(sim, adminToken));
      expect(JSON.stringify(twin.groundTruth.exchange)).toBe(JSON.stringify(sim.groundTruth.exchange));
    } finally {
      await twin.close();
    }
  });
});

describe('throttling', () => {
  it('answers 429 with Retry-After once a caller exceeds its budget, and serves again when the window reopens', async () => {
    let offset = 0;
    const s = await startSimulator({ scenario: 'fabrikam', seed: 3, tls: certs, now: () => Date.now() + offset, exchange: { throttleLimit: 3, throttleWindowMs: 10_000 } });
    try {
      const token = await tokenFor(s, 'https://outlook.office365.com/.default', s.tenant.users[0]?.userPrincipalName ?? '', EXCHANGE_POWERSHELL_CLIENT_ID);
      for (let i = 0; i < 3; i++) expect((await invoke(s, 'Get-TransportRule', {}, { token })).status).toBe(200);
      const throttled = await invoke(s, 'Get-TransportRule', {}, { token });
      expect(throttled.status).toBe(429);
      const retryAfter = Number(throttled.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(10);
      exoError.parse(json(throttled));
      offset += retryAfter * 1000;
      expect((await invoke(s, 'Get-TransportRule', {}, { token })).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
