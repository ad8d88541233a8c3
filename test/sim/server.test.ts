// Test (Vitest, Node): the simulator over HTTPS: TLS trust, discovery, the OAuth endpoints, Graph paging, $select and error shapes.
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from './server';
import { generateSimulatorTls, type SimulatorTls } from './ca';
import { json, postForm, simRequest, type SimResponse } from './https-client';
import { decodeJwt } from './jwt';
import { collectionSchema, graphErrorSchema, oauthErrorSchema } from './graph-schemas';
import { EXCHANGE_POWERSHELL_CLIENT_ID, GRAPH_CLI_CLIENT_ID } from './wellknown';
import { z } from 'zod';
import { graphScopesFor } from '../../main/auth/scopes';

const GRAPH_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const ADMIN = 'admin@contoso.onmicrosoft.com';
const PLAIN_USER = 'AdeleV@contoso.onmicrosoft.com';
/** The Graph permissions a collection asks for by name, as one scope string. */
const COLLECTION_SCOPES = graphScopesFor('https://graph.microsoft.com').join(' ');

let certs: SimulatorTls;
let sim: SimHandle;
let clockOffsetMs = 0;

beforeAll(async () => {
  certs = await generateSimulatorTls();
  sim = await startSimulator({ scenario: 'contoso', seed: 1, tls: certs, pageSizeDefault: 30, now: () => Date.now() + clockOffsetMs });
});

afterAll(async () => {
  await sim.close();
});

afterEach(() => {
  clockOffsetMs = 0;
});

const tokenUrl = () => `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`;

function get(path: string, token?: string, headers: Record<string, string> = {}): Promise<SimResponse> {
  return simRequest(`${sim.url}${path}`, { ca: sim.caPem, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers } });
}

function body<T extends z.ZodType>(response: SimResponse, schema: T): z.infer<T> {
  return schema.parse(json(response));
}

const tokenResponse = z.object({
  token_type: z.literal('Bearer'),
  scope: z.string().optional(),
  expires_in: z.number(),
  ext_expires_in: z.number(),
  access_token: z.string(),
  refresh_token: z.string().optional(),
  id_token: z.string().optional(),
  client_info: z.string().optional(),
});

const deviceCodeResponse = z.object({
  user_code: z.string(),
  device_code: z.string(),
  verification_uri: z.string(),
  expires_in: z.number(),
  interval: z.number(),
  message: z.string(),
});

/** The device code grant spoken by hand, approved through the handle, as a quick way to get a delegated token. */
async function delegatedToken(scope: string, upn: string, clientId = GRAPH_CLI_CLIENT_ID): Promise<z.infer<typeof tokenResponse>> {
  const code = body(await postForm(`${sim.url}/organizations/oauth2/v2.0/devicecode`, { client_id: clientId, scope }, sim.caPem), deviceCodeResponse);
  sim.approve(code.user_code, upn);
  const token = await postForm(tokenUrl(), {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: code.device_code, client_info: '1',
  }, sim.caPem);
  expect(token.status).toBe(200);
  return body(token, tokenResponse);
}

async function appToken(scope = 'https://graph.microsoft.com/.default'): Promise<string> {
  const response = await postForm(tokenUrl(), {
    grant_type: 'client_credentials', client_id: sim.environment.engagementApp.clientId,
    client_secret: sim.environment.engagementApp.clientSecret, scope,
  }, sim.caPem);
  expect(response.status).toBe(200);
  return body(response, tokenResponse).access_token;
}

describe('TLS', () => {
  it('serves a certificate for 127.0.0.1 and localhost signed by the run CA', async () => {
    const port = Number(new URL(sim.url).port);
    const peer = await new Promise<tls.PeerCertificate>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: sim.caPem }, () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(peer.subjectaltname).toContain('IP Address:127.0.0.1');
    expect(peer.subjectaltname).toContain('DNS:localhost');
    const ca = new X509Certificate(sim.caPem);
    expect(ca.ca).toBe(true);
    expect(new X509Certificate(peer.raw).checkIssued(ca)).toBe(true);
  });

  it('works with the CA, by IP and by name', async () => {
    expect((await get(`/${sim.tenantId}/v2.0/.well-known/openid-configuration`)).status).toBe(200);
    const byName = await simRequest(`${sim.url.replace('127.0.0.1', 'localhost')}/${sim.tenantId}/v2.0/.well-known/openid-configuration`, { ca: sim.caPem });
    expect(byName.status).toBe(200);
  });

  it('fails without the CA', async () => {
    await expect(simRequest(`${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`)).rejects.toMatchObject({
      code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/),
    });
  });

  it('gives each run its own CA', async () => {
    const other = await generateSimulatorTls();
    expect(other.caPem).not.toBe(certs.caPem);
  });
});

describe('discovery', () => {
  const config = z.looseObject({
    issuer: z.string(), token_endpoint: z.string(), device_authorization_endpoint: z.string(),
    authorization_endpoint: z.string(), jwks_uri: z.string(), end_session_endpoint: z.string(),
  });

  it.each(['tenantId', 'contoso.onmicrosoft.com'])('answers OpenID configuration for %s with the tenant-id issuer', async (which) => {
    const segment = which === 'tenantId' ? sim.tenantId : which;
    const response = await get(`/${segment}/v2.0/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const c = body(response, config);
    expect(c.issuer).toBe(`${sim.url}/${sim.tenantId}/v2.0`);
    expect(c.token_endpoint).toBe(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`);
    expect(c.device_authorization_endpoint).toBe(`${sim.url}/${sim.tenantId}/oauth2/v2.0/devicecode`);
    expect(c.authorization_endpoint).toBe(`${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize`);
    expect((await get(new URL(c.jwks_uri).pathname)).status).toBe(200);
  });

  it('answers organizations with placeholders, like Entra', async () => {
    const c = body(await get('/organizations/v2.0/.well-known/openid-configuration'), config);
    expect(c.issuer).toBe(`${sim.url}/{tenantid}/v2.0`);
    expect(c.token_endpoint).toBe(`${sim.url}/organizations/oauth2/v2.0/token`);
  });

  it('refuses an unknown tenant with AADSTS90002', async () => {
    const response = await get('/not-a-tenant.example/v2.0/.well-known/openid-configuration');
    expect(response.status).toBe(400);
    expect(body(response, oauthErrorSchema).error_codes).toEqual([90002]);
  });

  it('answers instance discovery with aliases for the simulator host', async () => {
    const host = new URL(sim.url).host;
    const authorize = encodeURIComponent(`${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize`);
    const d = body(await get(`/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorize}`), z.object({
      tenant_discovery_endpoint: z.string(),
      metadata: z.array(z.object({ preferred_network: z.string(), preferred_cache: z.string(), aliases: z.array(z.string()) })),
    }));
    expect(d.tenant_discovery_endpoint).toBe(`${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(d.metadata[0]?.aliases).toContain(host);
  });
});

describe('device code grant', () => {
  it('issues a code, reports authorization_pending until approved, then tokens, once', async () => {
    const start = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/devicecode`, {
      client_id: GRAPH_CLI_CLIENT_ID, scope: `${COLLECTION_SCOPES} openid profile offline_access`,
    }, sim.caPem);
    expect(start.status).toBe(200);
    const code = body(start, deviceCodeResponse);
    expect(code.user_code).toMatch(/^[A-Z0-9]{9}$/);
    expect(code.verification_uri).toBe(`${sim.url}/devicelogin`);
    expect(code.expires_in).toBe(900);
    expect(code.interval).toBe(1);
    expect(code.message).toBe(`To sign in, use a web browser to open the page ${sim.url}/devicelogin and enter the code ${code.user_code} to authenticate.`);

    const poll = () => postForm(tokenUrl(), {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: GRAPH_CLI_CLIENT_ID, device_code: code.device_code, client_info: '1',
    }, sim.caPem, { 'client-request-id': 'poll-correlation' });
    const pending = await poll();
    expect(pending.status).toBe(400);
    const err = body(pending, oauthErrorSchema);
    expect(err.error).toBe('authorization_pending');
    expect(err.error_codes).toEqual([70016]);
    expect(err.correlation_id).toBe('poll-correlation');

    // The admin signs in and consents for the organisation on the sign-in page.
    expect(sim.approve(code.user_code, ADMIN)).toBe('approved');
    const done = await poll();
    expect(done.status).toBe(200);
    const tokens = body(done, tokenResponse);
    expect(tokens.refresh_token).toBeTruthy();
    const id = decodeJwt(tokens.id_token ?? '');
    expect(id).toMatchObject({ aud: GRAPH_CLI_CLIENT_ID, iss: `${sim.url}/${sim.tenantId}/v2.0`, tid: sim.tenantId, preferred_username: ADMIN });
    for (const claim of ['oid', 'sub', 'name', 'iat', 'nbf', 'exp']) expect(id).toHaveProperty(claim);
    expect(JSON.parse(Buffer.from(tokens.client_info ?? '', 'base64url').toString('utf8'))).toEqual({ uid: id.oid, utid: sim.tenantId });
    const access = decodeJwt(tokens.access_token);
    expect(access).toMatchObject({ aud: 'https://graph.microsoft.com', tid: sim.tenantId, upn: ADMIN, appid: GRAPH_CLI_CLIENT_ID, oid: id.oid });
    expect(String(access.scp).split(' ')).toEqual(expect.arrayContaining(['User.Read', 'Directory.Read.All', 'AuditLog.Read.All', 'Policy.Read.All']));
    expect(access.wids).toContain('62e90394-69f5-4237-9190-012177145e10');

    const again = await poll();
    expect(again.status).toBe(400);
    expect(body(again, oauthErrorSchema).error).toBe('invalid_grant');
  });

  it('reports expired_token once the code has expired', async () => {
    const code = body(await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/devicecode`, { client_id: GRAPH_CLI_CLIENT_ID, scope: 'User.Read' }, sim.caPem), deviceCodeResponse);
    clockOffsetMs = 901 * 1000;
    const response = await postForm(tokenUrl(), { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: GRAPH_CLI_CLIENT_ID, device_code: code.device_code }, sim.caPem);
    expect(response.status).toBe(400);
    expect(body(response, oauthErrorSchema)).toMatchObject({ error: 'expired_token', error_codes: [70020] });
    expect(() => sim.approve(code.user_code, ADMIN)).toThrow(/expired/);
  });

  it('grants explicitly requested scopes rather than the consented set', async () => {
    const tokens = await delegatedToken('https://graph.microsoft.com/User.Read openid', PLAIN_USER);
    expect(decodeJwt(tokens.access_token).scp).toBe('User.Read openid');
    expect(tokens.refresh_token).toBeUndefined();
    expect(decodeJwt(tokens.access_token).wids).toEqual(['b79fbf4d-3ef9-4689-8143-76b194e85509']);
  });

  it('issues Exchange Online tokens for the Exchange PowerShell client', async () => {
    const tokens = await delegatedToken('https://outlook.office365.com/.default', ADMIN, EXCHANGE_POWERSHELL_CLIENT_ID);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: 'https://outlook.office365.com', scp: 'Exchange.Manage' });
    expect(tokens.scope).toBe('https://outlook.office365.com/Exchange.Manage');
  });

  it('refuses an unknown client, two resources at once, and an unknown user code', async () => {
    const unknown = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/devicecode`, { client_id: '11111111-2222-4333-8444-555555555555', scope: 'User.Read' }, sim.caPem);
    expect(unknown.status).toBe(400);
    expect(body(unknown, oauthErrorSchema)).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    const mixed = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/devicecode`, {
      client_id: GRAPH_CLI_CLIENT_ID, scope: 'https://graph.microsoft.com/User.Read https://outlook.office365.com/Exchange.Manage',
    }, sim.caPem);
    expect(body(mixed, oauthErrorSchema).error_codes).toEqual([28000]);
    expect(() => sim.approve('NOSUCHCOD', ADMIN)).toThrow(/not recognised/);
  });

  it('refreshes for another resource with the same refresh token', async () => {
    const first = await delegatedToken(`${COLLECTION_SCOPES} offline_access`, ADMIN);
    const refreshed = await postForm(tokenUrl(), {
      grant_type: 'refresh_token', client_id: GRAPH_CLI_CLIENT_ID, refresh_token: first.refresh_token ?? '', scope: 'https://graph.microsoft.com/User.Read offline_access',
    }, sim.caPem);
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(body(refreshed, tokenResponse).access_token).scp).toBe('User.Read');
    const wrongClient = await postForm(tokenUrl(), {
      grant_type: 'refresh_token', client_id: EXCHANGE_POWERSHELL_CLIENT_ID, refresh_token: first.refresh_token ?? '', scope: 'User.Read',
    }, sim.caPem);
    expect(body(wrongClient, oauthErrorSchema).error).toBe('invalid_grant');
  });
});

describe('device login page', () => {
  it('lists admins first with stable ids, and a Sign in button', async () => {
    const page = await get('/devicelogin?otc=ABC');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toMatch(/<input id="code" name="code"[^>]*value="ABC"/);
    expect(page.text).toContain('<select id="user" name="user">');
    expect(page.text).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(page.text.indexOf('Administrators')).toBeLessThan(page.text.indexOf(PLAIN_USER));
    expect(page.text.indexOf(ADMIN)).toBeLessThan(page.text.indexOf(PLAIN_USER));
    expect(page.text).not.toMatch(/<script|<link|src="http/);
  });

  it('says clearly when a code is unknown or expired', async () => {
    const unknown = await postForm(`${sim.url}/devicelogin`, { code: 'ZZZZZZZZZ', user: ADMIN }, sim.caPem);
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('was not recognised');
    const code = body(await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/devicecode`, { client_id: GRAPH_CLI_CLIENT_ID, scope: 'User.Read' }, sim.caPem), deviceCodeResponse);
    clockOffsetMs = 20 * 60 * 1000;
    const expired = await postForm(`${sim.url}/devicelogin`, { code: code.user_code, user: ADMIN }, sim.caPem);
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('That code has expired');
  });
});

describe('client credentials', () => {
  it('issues an app-only Graph token with the engagement app roles', async () => {
    const claims = decodeJwt(await appToken());
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', tid: sim.tenantId, appid: sim.environment.engagementApp.clientId, idtyp: 'app' });
    expect(claims.roles).toEqual(expect.arrayContaining(['Application.Read.All', 'Directory.Read.All', 'AuditLog.Read.All']));
    expect(claims.scp).toBeUndefined();
    expect(claims.upn).toBeUndefined();
  });

  it('issues an Exchange Online token carrying Exchange.ManageAsApp', async () => {
    expect(decodeJwt(await appToken('https://outlook.office365.com/.default'))).toMatchObject({ aud: 'https://outlook.office365.com', roles: ['Exchange.ManageAsApp'] });
  });

  it('accepts client_secret_basic too', async () => {
    const { clientId, clientSecret } = sim.environment.engagementApp;
    const response = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }, sim.caPem, {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    });
    expect(response.status).toBe(200);
  });

  it('refuses a wrong secret and a scope without /.default', async () => {
    const wrong = await postForm(tokenUrl(), {
      grant_type: 'client_credentials', client_id: sim.environment.engagementApp.clientId, client_secret: 'nope', scope: 'https://graph.microsoft.com/.default',
    }, sim.caPem);
    expect(wrong.status).toBe(401);
    expect(body(wrong, oauthErrorSchema)).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    const scope = await postForm(tokenUrl(), {
      grant_type: 'client_credentials', client_id: sim.environment.engagementApp.clientId,
      client_secret: sim.environment.engagementApp.clientSecret, scope: 'https://graph.microsoft.com/Application.Read.All',
    }, sim.caPem);
    expect(scope.status).toBe(400);
    expect(body(scope, oauthErrorSchema).error).toBe('invalid_scope');
  });
});

describe('Graph collections', () => {
  const page = collectionSchema(z.looseObject({ id: z.string() }));

  async function collect(path: string, token: string): Promise<{ ids: string[]; pages: number; sizes: number[] }> {
    const ids: string[] = [];
    const sizes: number[] = [];
    let next: string | undefined = `${sim.url}${path}`;
    let pages = 0;
    while (next) {
      expect(pages).toBeLessThan(200);
      const response = await simRequest(next, { ca: sim.caPem, headers: { Authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
      const p = body(response, page);
      ids.push(...p.value.map((v) => v.id));
      sizes.push(p.value.length);
      next = p['@odata.nextLink'];
      if (next) expect(next.startsWith(`${sim.url}${path.split('?')[0] ?? ''}?`)).toBe(true);
      pages++;
    }
    return { ids, pages, sizes };
  }

  it('pages applications with $top and an opaque $skiptoken, without loss or duplicates', async () => {
    const token = await appToken();
    const { ids, pages, sizes } = await collect('/v1.0/applications?$top=7', token);
    expect(ids.length).toBe(sim.groundTruth.counts.applications);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(sim.groundTruth.maliciousApp.applicationObjectId);
    expect(pages).toBe(Math.ceil(ids.length / 7));
    expect(sizes.slice(0, -1).every((n) => n === 7)).toBe(true);
  });

  it('pages service principals at the default page size', async () => {
    const token = (await delegatedToken(COLLECTION_SCOPES, ADMIN)).access_token;
    const { ids, sizes } = await collect('/v1.0/servicePrincipals', token);
    expect(ids.length).toBe(sim.groundTruth.counts.servicePrincipals);
    expect(new Set(ids).size).toBe(ids.length);
    expect(sizes[0]).toBe(30);
  });

  it('keeps $top and $select in the next link and honours $select', async () => {
    const token = await appToken();
    const response = await get('/v1.0/applications?$select=id,displayName,appId&$top=5', token);
    expect(response.headers['content-type']).toBe(GRAPH_CONTENT_TYPE);
    const p = body(response, collectionSchema(z.strictObject({ id: z.string(), displayName: z.string(), appId: z.string() })));
    expect(p['@odata.context']).toBe(`${sim.url}/v1.0/$metadata#applications(id,displayName,appId)`);
    expect(p.value).toHaveLength(5);
    expect(p['@odata.nextLink']).toMatch(/\?\$select=id,displayName,appId&\$top=5&\$skiptoken=[A-Za-z0-9_-]+$/);
    expect(Object.keys(json(response) as object)).toEqual(['@odata.context', '@odata.nextLink', 'value']);
  });

  it('accepts $top up to 999 and refuses 0, 1000 and non-numbers', async () => {
    const token = await appToken();
    const all = body(await get('/v1.0/applications?$top=999', token), page);
    expect(all.value).toHaveLength(sim.groundTruth.counts.applications);
    expect(all['@odata.nextLink']).toBeUndefined();
    for (const bad of ['0', '1000', 'abc', '-1', '2.5']) {
      const response = await get(`/v1.0/applications?$top=${bad}`, token);
      expect(response.status).toBe(400);
      expect(body(response, graphErrorSchema).error.code).toBe('Request_UnsupportedQuery');
    }
  });

  it('refuses an unknown $select property, a forged skiptoken and unsupported options', async () => {
    const token = await appToken();
    expect(body(await get('/v1.0/applications?$select=nope', token), graphErrorSchema).error.message).toContain("'nope'");
    const forged = await get('/v1.0/servicePrincipals?$skiptoken=Zm9vYmFy', token);
    expect(forged.status).toBe(400);
    expect(body(forged, graphErrorSchema).error.code).toBe('Directory_ExpiredPageToken');
    const filter = await get("/v1.0/applications?$filter=startswith(displayName,'x')", token);
    expect(filter.status).toBe(400);
    const orderby = await get('/v1.0/applications?$orderby=displayName', token);
    expect(orderby.status).toBe(400);
  });

  it('serves the same collections under /beta', async () => {
    const p = body(await get('/beta/applications?$top=1', await appToken()), page);
    expect(p['@odata.context']).toBe(`${sim.url}/beta/$metadata#applications`);
    expect(p.value).toHaveLength(1);
  });

  it('gets a single application and service principal by id', async () => {
    const token = await appToken();
    const app = json(await get(`/v1.0/applications/${sim.groundTruth.maliciousApp.applicationObjectId}`, token));
    expect(app).toMatchObject({
      '@odata.context': `${sim.url}/v1.0/$metadata#applications/$entity`,
      displayName: sim.groundTruth.maliciousApp.displayName,
      signInAudience: 'AzureADMyOrg',
    });
    const sp = json(await get(`/v1.0/servicePrincipals/${sim.groundTruth.maliciousApp.servicePrincipalId}?$select=appOwnerOrganizationId`, token));
    expect(sp).toEqual({ '@odata.context': `${sim.url}/v1.0/$metadata#servicePrincipals(appOwnerOrganizationId)/$entity`, appOwnerOrganizationId: sim.tenantId });
  });
});

describe('Graph organization and me', () => {
  it('returns the organization in full with Organization.Read.All', async () => {
    const response = await get('/v1.0/organization', await appToken());
    const org = body(response, collectionSchema(z.looseObject({ id: z.string(), displayName: z.string(), city: z.string().nullable() })));
    expect(org['@odata.context']).toBe(`${sim.url}/v1.0/$metadata#organization`);
    expect(org.value[0]).toMatchObject({ id: sim.tenantId, displayName: 'Contoso', city: 'Redmond' });
  });

  it('returns only id, displayName and verifiedDomains with User.Read, the rest null', async () => {
    const token = (await delegatedToken('User.Read', PLAIN_USER)).access_token;
    const org = body(await get('/v1.0/organization', token), collectionSchema(z.looseObject({ id: z.string(), verifiedDomains: z.array(z.unknown()) }))).value[0];
    expect(org).toMatchObject({ id: sim.tenantId, displayName: 'Contoso', city: null, technicalNotificationMails: null });
    expect(org?.verifiedDomains).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'contoso.onmicrosoft.com', isInitial: true })]));
  });

  it('returns the signed-in user for /me in the default projection, and refuses it app-only', async () => {
    const token = (await delegatedToken('User.Read', PLAIN_USER)).access_token;
    const me = json(await get('/v1.0/me', token)) as Record<string, unknown>;
    expect(me['@odata.context']).toBe(`${sim.url}/v1.0/$metadata#users/$entity`);
    expect(me.userPrincipalName).toBe(PLAIN_USER);
    expect(Object.keys(me)).toHaveLength(12);
    const appOnly = await get('/v1.0/me', await appToken());
    expect(appOnly.status).toBe(400);
  });
});

describe('Graph errors', () => {
  it('answers a missing token with 401 InvalidAuthenticationToken and a Bearer challenge', async () => {
    const response = await get('/v1.0/applications');
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="", authorization_uri="https:\/\/127\.0\.0\.1:\d+\/common\/oauth2\/authorize", client_id="00000003-0000-0000-c000-000000000000"$/);
    const err = body(response, graphErrorSchema);
    expect(err.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.' });
    expect(err.error.innerError['request-id']).toBe(response.headers['request-id']);
  });

  it('answers a forged signature and an expired token with 401', async () => {
    const token = await appToken();
    const forged = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expect((await get('/v1.0/applications', forged)).status).toBe(401);
    expect((await get('/v1.0/applications', 'not-a-jwt')).status).toBe(401);
    clockOffsetMs = 2 * 3600 * 1000;
    const expired = await get('/v1.0/applications', token);
    expect(expired.status).toBe(401);
    expect(body(expired, graphErrorSchema).error.message).toContain('expired');
  });

  it('answers a token for another audience with 401', async () => {
    const response = await get('/v1.0/applications', await appToken('https://outlook.office365.com/.default'));
    expect(response.status).toBe(401);
    expect(body(response, graphErrorSchema).error.message).toContain('Invalid audience');
  });

  it('answers a token without Application.Read.All or Directory.Read.All with 403 Authorization_RequestDenied', async () => {
    const token = (await delegatedToken('https://graph.microsoft.com/User.Read', PLAIN_USER)).access_token;
    for (const path of ['/v1.0/applications', '/v1.0/servicePrincipals', '/beta/applications']) {
      const response = await get(path, token, { 'client-request-id': 'my-correlation' });
      expect(response.status).toBe(403);
      const err = body(response, graphErrorSchema);
      expect(err.error.code).toBe('Authorization_RequestDenied');
      expect(err.error.message).toBe('Insufficient privileges to complete the operation.');
      expect(err.error.innerError['client-request-id']).toBe('my-correlation');
      expect(response.headers['client-request-id']).toBe('my-correlation');
    }
  });

  it('answers unknown routes and ids with 404 in Graph shape', async () => {
    const token = await appToken();
    for (const path of ['/v1.0/nonsense', '/v1.0/applications/00000000-0000-4000-8000-000000000000', '/v1.0/applications/x/owners', '/nowhere']) {
      const response = await get(path, token);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toBe(GRAPH_CONTENT_TYPE);
      body(response, graphErrorSchema);
    }
  });

  it('refuses write methods with 405 in Graph shape', async () => {
    const token = await appToken();
    const post = await simRequest(`${sim.url}/v1.0/applications`, { ca: sim.caPem, method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
    body(post, graphErrorSchema);
    const del = await simRequest(`${sim.url}/devicelogin`, { ca: sim.caPem, method: 'DELETE' });
    expect(del.status).toBe(405);
    body(del, graphErrorSchema);
  });

  it('puts request-id and client-request-id on every response and logs every request', async () => {
    const before = sim.requests.length;
    const responses = await Promise.all([
      get('/devicelogin'), get('/v1.0/applications'), get(`/${sim.tenantId}/v2.0/.well-known/openid-configuration`), get('/nowhere'),
    ]);
    for (const r of responses) {
      expect(r.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers['client-request-id']).toBeTruthy();
    }
    const logged = sim.requests.slice(before);
    expect(logged).toHaveLength(4);
    expect(logged).toContainEqual({ method: 'GET', path: '/nowhere', status: 404 });
  });
});
