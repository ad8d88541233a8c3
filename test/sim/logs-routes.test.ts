// Test (Vitest, Node): the Graph log routes over HTTPS: time filters, $top/$select, newest-first paging with a cursor that survives appends, 403s, retention, throttling with Retry-After, the audit log query API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator, type SimHandle } from './server';
import { generateSimulatorTls, type SimulatorTls } from './ca';
import { json, postForm, simRequest, type SimResponse } from './https-client';
import { GRAPH_CLI_CLIENT_ID } from './wellknown';
import { directoryAuditId, directoryAuditRecord, target } from './logs/records';
import { createPrng } from './prng';

const DAY = 24 * 60 * 60 * 1000;

let certs: SimulatorTls;
let sim: SimHandle;

const page = z.object({
  '@odata.context': z.string(),
  '@odata.nextLink': z.string().optional(),
  value: z.array(z.record(z.string(), z.unknown())),
});

const graphError = z.object({
  error: z.object({ code: z.string(), message: z.string(), innerError: z.record(z.string(), z.unknown()) }),
});

function get(s: SimHandle, path: string, token: string): Promise<SimResponse> {
  return simRequest(path.startsWith('https:') ? path : `${s.url}${path}`, { ca: s.caPem, headers: { Authorization: `Bearer ${token}` } });
}

async function appToken(s: SimHandle): Promise<string> {
  const response = await postForm(`${s.url}/${s.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'client_credentials', client_id: s.environment.engagementApp.clientId,
    client_secret: s.environment.engagementApp.clientSecret, scope: 'https://graph.microsoft.com/.default',
  }, s.caPem);
  expect(response.status).toBe(200);
  return z.object({ access_token: z.string() }).parse(json(response)).access_token;
}

async function delegatedToken(s: SimHandle, scope: string, upn: string): Promise<string> {
  const code = z.object({ user_code: z.string(), device_code: z.string() })
    .parse(json(await postForm(`${s.url}/organizations/oauth2/v2.0/devicecode`, { client_id: GRAPH_CLI_CLIENT_ID, scope }, s.caPem)));
  s.approve(code.user_code, upn);
  const token = await postForm(`${s.url}/${s.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: GRAPH_CLI_CLIENT_ID, device_code: code.device_code,
  }, s.caPem);
  expect(token.status).toBe(200);
  return z.object({ access_token: z.string() }).parse(json(token)).access_token;
}

function adminUpn(s: SimHandle): string {
  const ga = '62e90394-69f5-4237-9190-012177145e10';
  const id = s.tenant.directoryRoleAssignments.find((r) => r.roleDefinitionId === ga && r.principalType === 'User')?.principalId;
  const upn = s.tenant.users.find((u) => u.id === id)?.userPrincipalName;
  if (!upn) throw new Error('no Global Administrator');
  return upn;
}

function plainUpn(s: SimHandle): string {
  const roled = new Set(s.tenant.directoryRoleAssignments.map((r) => r.principalId));
  const upn = s.tenant.users.find((u) => !roled.has(u.id))?.userPrincipalName;
  if (!upn) throw new Error('no plain user');
  return upn;
}

let token: string;

beforeAll(async () => {
  certs = await generateSimulatorTls();
  sim = await startSimulator({ scenario: 'contoso', seed: 1, tls: certs, days: 40, reportsThrottle: { limit: 100_000 } });
  token = await appToken(sim);
});

afterAll(async () => {
  await sim.close();
});

describe('signIns and directoryAudits', () => {
  it('serves the newest 1,000 first by default, newest first, within the 30-day retention', async () => {
    const r = await get(sim, '/v1.0/auditLogs/signIns', token);
    expect(r.status).toBe(200);
    const body = page.parse(json(r));
    expect(body['@odata.context']).toBe(`${sim.url}/v1.0/$metadata#auditLogs/signIns`);
    expect(body.value).toHaveLength(1000);
    expect(body['@odata.nextLink']).toContain('$skiptoken=');
    const times = body.value.map((v) => Date.parse(String(v.createdDateTime)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(times[0]).toBeLessThan(sim.logs.referenceMs);
  });

  it('filters on createdDateTime and activityDateTime with ge/lt and gt/le, and pages the range completely', async () => {
    const lo = sim.logs.referenceMs - 3 * DAY;
    const hi = lo + DAY;
    const expected = [...sim.logs.signIns.iterate(lo, hi)].map((s) => s.id);
    const ids: string[] = [];
    let next: string | undefined = `/v1.0/auditLogs/signIns?$filter=createdDateTime ge ${new Date(lo).toISOString()} and createdDateTime lt ${new Date(hi).toISOString()}&$top=400`;
    while (next) {
      const r = await get(sim, next, token);
      expect(r.status).toBe(200);
      const body = page.parse(json(r));
      expect(body.value.length).toBeLessThanOrEqual(400);
      ids.push(...body.value.map((v) => String(v.id)));
      next = body['@odata.nextLink'];
    }
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(ids.length);

    const audits = await get(sim, `/beta/auditLogs/directoryAudits?$filter=activityDateTime gt ${new Date(lo).toISOString()} and activityDateTime le ${new Date(hi).toISOString()}`, token);
    expect(audits.status).toBe(200);
    const values = page.parse(json(audits)).value;
    expect(values.length).toBe(sim.logs.directoryAudits.count(lo + 1, hi + 1));
    for (const v of values) {
      const t = Date.parse(String(v.activityDateTime));
      expect(t).toBeGreaterThan(lo);
      expect(t).toBeLessThanOrEqual(hi);
    }
  });

  it('answers nothing older than 30 days before the reference time (P1/P2 retention), though the store has it', async () => {
    const old = sim.logs.referenceMs - 35 * DAY;
    expect(sim.logs.signIns.count(old - DAY, old)).toBeGreaterThan(0);
    const r = await get(sim, `/v1.0/auditLogs/signIns?$filter=createdDateTime lt ${new Date(old).toISOString()}`, token);
    expect(r.status).toBe(200);
    expect(page.parse(json(r)).value).toHaveLength(0);
  });

  it('answers 400 in Graph\'s error shape for filters it does not support and for bad $top and $select', async () => {
    const cases: [string, string][] = [
      ["/v1.0/auditLogs/signIns?$filter=userPrincipalName eq 'x@contoso.com'", 'Request_UnsupportedQuery'],
      ['/v1.0/auditLogs/signIns?$filter=createdDateTime ge yesterday', 'BadRequest'],
      ['/v1.0/auditLogs/directoryAudits?$filter=createdDateTime ge 2024-10-01T00:00:00Z', 'Request_UnsupportedQuery'],
      ['/v1.0/auditLogs/signIns?$top=1001', 'Request_UnsupportedQuery'],
      ['/v1.0/auditLogs/signIns?$select=id,nope', 'BadRequest'],
      ['/v1.0/auditLogs/signIns?$orderby=createdDateTime', 'Request_UnsupportedQuery'],
      ['/v1.0/auditLogs/signIns?$skiptoken=garbage', 'BadRequest'],
    ];
    for (const [path, code] of cases) {
      const r = await get(sim, path, token);
      expect(r.status, path).toBe(400);
      expect(graphError.parse(json(r)).error.code, path).toBe(code);
    }
  });

  it('projects $select, and serves v1.0 without the beta-only authentication fields', async () => {
    const selected = page.parse(json(await get(sim, '/v1.0/auditLogs/signIns?$top=3&$select=id,createdDateTime,ipAddress', token)));
    expect(selected['@odata.context']).toBe(`${sim.url}/v1.0/$metadata#auditLogs/signIns(id,createdDateTime,ipAddress)`);
    for (const v of selected.value) expect(Object.keys(v)).toEqual(['id', 'createdDateTime', 'ipAddress']);
    const v1 = page.parse(json(await get(sim, '/v1.0/auditLogs/signIns?$top=1', token))).value[0];
    const beta = page.parse(json(await get(sim, '/beta/auditLogs/signIns?$top=1', token))).value[0];
    expect(v1).not.toHaveProperty('authenticationRequirement');
    expect(beta).toHaveProperty('authenticationRequirement');
    expect(v1?.id).toBe(beta?.id);
  });

  it('keeps its cursor when new records are appended between pages', async () => {
    const first = page.parse(json(await get(sim, '/v1.0/auditLogs/directoryAudits?$top=5', token)));
    const expected = [...sim.logs.directoryAudits.iterate(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)].slice(5, 10).map((a) => a.id);
    // A write lands while the client pages: newer than everything served so far.
    const prng = createPrng('logs-routes/append');
    const correlationId = prng.guid();
    const admin = sim.tenant.users[0];
    if (!admin) throw new Error('no users');
    sim.logs.directoryAudits.append(directoryAuditRecord({
      id: directoryAuditId(prng, correlationId), ms: sim.logs.referenceMs + 60_000, correlationId, activityDisplayName: 'Remove member from role',
      category: 'RoleManagement', operationType: 'Unassign', initiatedBy: { user: { id: admin.id, displayName: null, userPrincipalName: admin.userPrincipalName, ipAddress: '192.0.2.10' } },
      targetResources: [target('ServicePrincipal', sim.tenant.attack.maliciousServicePrincipalId, sim.tenant.attack.maliciousDisplayName)],
    }));
    const second = page.parse(json(await get(sim, first['@odata.nextLink'] ?? '', token)));
    expect(second.value.map((v) => v.id)).toEqual(expected);
    // A fresh listing starts with the write.
    const fresh = page.parse(json(await get(sim, '/v1.0/auditLogs/directoryAudits?$top=1', token)));
    expect(fresh.value[0]?.activityDisplayName).toBe('Remove member from role');
  });
});

describe('sign-ins by signInEventTypes', () => {
  const kindFilter = (kind: string) => `signInEventTypes/any(t: t eq '${kind}')`;

  it('serves each kind only when the filter asks for it (beta), paged completely, newest first, with the time range', async () => {
    for (const kind of ['nonInteractiveUser', 'servicePrincipal'] as const) {
      const truth = sim.groundTruth.logs!.signInKinds[kind];
      const ids: string[] = [];
      let next: string | undefined = `/beta/auditLogs/signIns?$filter=${encodeURIComponent(`createdDateTime ge ${new Date(sim.logs.referenceMs - 30 * DAY).toISOString()} and createdDateTime lt ${new Date(sim.logs.referenceMs).toISOString()} and ${kindFilter(kind)}`)}&$top=500`;
      let times: number[] = [];
      while (next) {
        const r = await get(sim, next, token);
        expect(r.status).toBe(200);
        const body = page.parse(json(r));
        for (const v of body.value) expect(v.signInEventTypes).toEqual([kind]);
        ids.push(...body.value.map((v) => String(v.id)));
        times = [...times, ...body.value.map((v) => Date.parse(String(v.createdDateTime)))];
        next = body['@odata.nextLink'];
      }
      expect(ids).toHaveLength(truth.count);
      expect(new Set(ids).size).toBe(ids.length);
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(truth.malicious.every((id) => ids.includes(id))).toBe(true);
    }
    // The nonInteractive kind pages: more than 500 in the window.
    expect(sim.groundTruth.logs!.signInKinds.nonInteractiveUser.count).toBeGreaterThan(500);
    // Without the clause: interactive sign-ins only.
    const plain = page.parse(json(await get(sim, '/beta/auditLogs/signIns?$top=50', token)));
    expect(plain.value.every((v) => (v.signInEventTypes as string[])[0] === 'interactiveUser')).toBe(true);
  });

  it('names the app and the credential on a service-principal sign-in, with no user', async () => {
    const r = await get(sim, `/beta/auditLogs/signIns?$filter=${encodeURIComponent(kindFilter('servicePrincipal'))}`, token);
    const mine = page.parse(json(r)).value.filter((v) => v.appId === sim.groundTruth.maliciousApp.appId);
    expect(mine.length).toBeGreaterThan(0);
    for (const v of mine) {
      expect(v).toMatchObject({ userId: '', userPrincipalName: '', isInteractive: false, servicePrincipalId: sim.groundTruth.maliciousApp.servicePrincipalId });
      expect(sim.groundTruth.maliciousObjects.credentialKeyIds).toContain(v.servicePrincipalCredentialKeyId);
      expect(['clientSecret', 'certificate']).toContain(v.clientCredentialType);
    }
  });

  it('refuses the kind filter on v1.0 and an unknown kind, in Graph\'s error shape', async () => {
    for (const path of [`/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(kindFilter('servicePrincipal'))}`, `/beta/auditLogs/signIns?$filter=${encodeURIComponent(kindFilter('robot'))}`]) {
      const r = await get(sim, path, token);
      expect(r.status).toBe(400);
      expect(graphError.parse(json(r)).error.code).toBe('BadRequest');
    }
  });
});

describe('permissions', () => {
  it('answers 403 without AuditLog.Read.All, and to a delegated user outside the report reader roles', async () => {
    const noScope = await delegatedToken(sim, 'https://graph.microsoft.com/User.Read', adminUpn(sim));
    const r1 = await get(sim, '/v1.0/auditLogs/signIns', noScope);
    expect(r1.status).toBe(403);
    expect(graphError.parse(json(r1)).error.code).toBe('Authorization_RequestDenied');
    // The admin signs in first and consents for the organisation: AuditLog.Read.All needs an administrator's consent.
    const admin = await delegatedToken(sim, 'https://graph.microsoft.com/AuditLog.Read.All', adminUpn(sim));
    expect((await get(sim, '/v1.0/auditLogs/directoryAudits?$top=1', admin)).status).toBe(200);
    const plain = await delegatedToken(sim, 'https://graph.microsoft.com/AuditLog.Read.All', plainUpn(sim));
    const r2 = await get(sim, '/v1.0/auditLogs/directoryAudits', plain);
    expect(r2.status).toBe(403);
    expect(graphError.parse(json(r2)).error.code).toBe('Authentication_RequestFromUnsupportedUserRole');
  });

  it('answers 403 on the audit log query API without AuditLogsQuery.Read.All', async () => {
    const reportsOnly = await delegatedToken(sim, 'https://graph.microsoft.com/AuditLog.Read.All', adminUpn(sim));
    const r = await simRequest(`${sim.url}/v1.0/security/auditLog/queries`, {
      method: 'POST', ca: sim.caPem, headers: { Authorization: `Bearer ${reportsOnly}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ filterStartDateTime: '2024-10-01T00:00:00Z', filterEndDateTime: '2024-10-15T00:00:00Z' }),
    });
    expect(r.status).toBe(403);
    expect(graphError.parse(json(r)).error.code).toBe('Authorization_RequestDenied');
  });
});

describe('throttling', () => {
  it('admits 5 report requests per 10 s per app, then answers 429 with Retry-After until the window frees', async () => {
    let clock = Date.now();
    const throttled = await startSimulator({ scenario: 'fabrikam', seed: 2, tls: certs, days: 3, now: () => clock });
    try {
      const t = await appToken(throttled);
      for (let i = 0; i < 5; i++) {
        expect((await get(throttled, '/v1.0/auditLogs/signIns?$top=1', t)).status).toBe(200);
        clock += 1000;
      }
      const r = await get(throttled, '/v1.0/auditLogs/directoryAudits?$top=1', t);
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('5');
      const e = graphError.parse(json(r)).error;
      expect(e.code).toBe('TooManyRequests');
      expect(e.innerError.status).toBe('429');
      clock += 4000;
      const again = await get(throttled, '/v1.0/auditLogs/signIns?$top=1', t);
      expect(again.status).toBe(429);
      expect(again.headers['retry-after']).toBe('1');
      clock += 1000;
      expect((await get(throttled, '/v1.0/auditLogs/signIns?$top=1', t)).status).toBe(200);
      // Another app has its own budget.
      const other = await delegatedToken(throttled, 'https://graph.microsoft.com/AuditLog.Read.All', adminUpn(throttled));
      expect((await get(throttled, '/v1.0/auditLogs/signIns?$top=1', other)).status).toBe(200);
    } finally {
      await throttled.close();
    }
  });
});

describe('audit log query API', () => {
  it('creates a query, moves it notStarted → running → succeeded, and pages its filtered records', async () => {
    const t = await delegatedToken(sim, 'https://graph.microsoft.com/AuditLogsQuery.Read.All', adminUpn(sim));
    const post = (body: unknown) => simRequest(`${sim.url}/v1.0/security/auditLog/queries`, {
      method: 'POST', ca: sim.caPem, headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    expect((await post({ filterStartDateTime: 'soon' })).status).toBe(400);
    const from = new Date(sim.logs.fromMs).toISOString();
    const to = new Date(sim.logs.referenceMs).toISOString();
    const created = await post({ displayName: 'mail flow', filterStartDateTime: from, filterEndDateTime: to, recordTypeFilters: ['exchangeAdmin'], operationFilters: ['New-InboundConnector', 'New-TransportRule'] });
    expect(created.status).toBe(201);
    const query = z.object({ id: z.string(), status: z.string(), '@odata.type': z.literal('#microsoft.graph.security.auditLogQuery') }).passthrough().parse(json(created));
    expect(query.status).toBe('notStarted');
    const early = await get(sim, `/v1.0/security/auditLog/queries/${query.id}/records`, t);
    expect(early.status).toBe(400);
    const statuses: string[] = [];
    let count = 0;
    for (let i = 0; i < 2; i++) {
      const q = z.object({ status: z.string(), approximateReturnedRecordCount: z.number().nullable() }).passthrough().parse(json(await get(sim, `/v1.0/security/auditLog/queries/${query.id}`, t)));
      statuses.push(q.status);
      count = q.approximateReturnedRecordCount ?? 0;
    }
    expect(statuses).toEqual(['running', 'succeeded']);
    expect(count).toBeGreaterThan(12);
    const records: Record<string, unknown>[] = [];
    let next: string | undefined = `/v1.0/security/auditLog/queries/${query.id}/records?$top=7`;
    while (next) {
      const body = page.parse(json(await get(sim, next, t)));
      expect(body.value.length).toBeLessThanOrEqual(7);
      records.push(...body.value);
      next = body['@odata.nextLink'];
    }
    expect(records).toHaveLength(count);
    for (const r of records) {
      expect(r.auditLogRecordType).toBe('exchangeAdmin');
      expect(['New-InboundConnector', 'New-TransportRule']).toContain(r.operation);
      expect(r.service).toBe('Exchange');
    }
    const connector = records.find((r) => r.operation === 'New-InboundConnector' && String(r.objectId).startsWith('Ran_'));
    expect(connector).toBeDefined();
    const data = connector?.auditData as { AppId?: string; Parameters?: { Name: string }[] };
    expect(data.AppId).toBe(sim.tenant.attack.maliciousAppId);
    expect(data.Parameters?.some((p) => p.Name === 'SenderIPAddresses')).toBe(true);
    const ids = new Set(sim.groundTruth.logs ? (sim.groundTruth.logs as { malicious: { unifiedAudit: string[] } }).malicious.unifiedAudit : []);
    expect(ids.has(String(connector?.id))).toBe(true);

    // The stuffing, seen from the Unified Audit Log: sign-in copies filtered by the attacker's IP.
    const stuffing = sim.tenant.attack.stuffing;
    const byIp = z.object({ id: z.string() }).passthrough().parse(json(await post({
      filterStartDateTime: new Date(Date.parse(stuffing.startDateTime) - 3_600_000).toISOString(),
      filterEndDateTime: new Date(Date.parse(stuffing.endDateTime) + 3_600_000).toISOString(),
      recordTypeFilters: ['azureActiveDirectoryStsLogon'], ipAddressFilters: [sim.tenant.attack.attackerIp],
    })));
    for (let i = 0; i < 2; i++) await get(sim, `/beta/security/auditLog/queries/${byIp.id}`, t);
    const logons = page.parse(json(await get(sim, `/beta/security/auditLog/queries/${byIp.id}/records`, t))).value;
    expect(logons.length).toBeGreaterThan(20);
    expect(new Set(logons.map((r) => r.clientIp))).toEqual(new Set([sim.tenant.attack.attackerIp]));
    expect(new Set(logons.map((r) => r.operation))).toEqual(new Set(['UserLoginFailed', 'UserLoggedIn']));
  });
});
