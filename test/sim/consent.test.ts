// Test (Vitest, Node): the simulator grants only what was consented, refuses device code under a blocking policy, and
// speaks the authorization code flow with PKCE — each against real HTTP.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from './server';
import { generateSimulatorTls, type SimulatorTls } from './ca';
import { json, postForm, simRequest } from './https-client';
import { decodeJwt } from './jwt';
import { GRAPH_CLI_CLIENT_ID } from './wellknown';
import { graphScopesFor } from '../../main/auth/scopes';

const ADMIN = 'admin@contoso.onmicrosoft.com';
const PLAIN_USER = 'AdeleV@contoso.onmicrosoft.com';
const SCOPES = graphScopesFor('https://graph.microsoft.com').join(' ');

let tls: SimulatorTls;
let sim: SimHandle;
const tokenUrl = () => `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`;

beforeAll(async () => {
  tls = await generateSimulatorTls();
  sim = await startSimulator({ scenario: 'contoso', seed: 1, tls });
});
afterAll(async () => sim?.close());

async function deviceCode(target: SimHandle, scope: string): Promise<{ user_code: string; device_code: string }> {
  const r = await postForm(`${target.url}/organizations/oauth2/v2.0/devicecode`, { client_id: GRAPH_CLI_CLIENT_ID, scope }, target.caPem);
  expect(r.status).toBe(200);
  return json(r) as { user_code: string; device_code: string };
}

const poll = (target: SimHandle, code: string) => postForm(`${target.url}/${target.tenantId}/oauth2/v2.0/token`, {
  grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: GRAPH_CLI_CLIENT_ID, device_code: code,
}, target.caPem);

describe('consent', () => {
  it('gives a .default token no Graph permission while nobody consented for the Graph command-line client', async () => {
    const code = await deviceCode(sim, 'https://graph.microsoft.com/.default');
    expect(sim.approve(code.user_code, PLAIN_USER)).toBe('approved');
    const r = await poll(sim, code.device_code);
    expect(r.status).toBe(200);
    expect(decodeJwt((json(r) as { access_token: string }).access_token).scp).toBe('');
    const grants = sim.tenant.oauth2PermissionGrants.filter((g) => g.clientId === sim.tenant.servicePrincipals.find((sp) => sp.appId === GRAPH_CLI_CLIENT_ID)!.id);
    expect(grants).toEqual([]);
  });

  it('refuses a user without an admin role the admin-only permissions: Need admin approval on the page, AADSTS65001 to the app', async () => {
    const code = await deviceCode(sim, SCOPES);
    const page = await postForm(`${sim.url}/devicelogin`, { code: code.user_code, user: PLAIN_USER }, sim.caPem);
    expect(page.status).toBe(403);
    expect(page.text).toMatch(/AADSTS90094: The grant requires admin permission/);
    expect(page.text).toContain('Directory.Read.All');
    const r = await poll(sim, code.device_code);
    expect(r.status).toBe(400);
    expect(json(r)).toMatchObject({ error: 'invalid_grant', error_codes: [65001] });
  });

  it('lets a user consent to user-consentable permissions for themselves only', async () => {
    const code = await deviceCode(sim, 'https://graph.microsoft.com/User.Read openid');
    const page = await postForm(`${sim.url}/devicelogin`, { code: code.user_code, user: PLAIN_USER }, sim.caPem);
    expect(page.text).toContain('Permissions requested');
    expect(page.text).not.toContain('consent-org');
    await postForm(`${sim.url}/devicelogin`, { code: code.user_code, user: PLAIN_USER, consent: 'accept' }, sim.caPem);
    expect((await poll(sim, code.device_code)).status).toBe(200);
    const plain = sim.tenant.users.find((u) => u.userPrincipalName === PLAIN_USER)!;
    expect(sim.tenant.oauth2PermissionGrants.find((g) => g.principalId === plain.id && g.scope === 'User.Read')).toMatchObject({ consentType: 'Principal' });
  });

  it('answers AADSTS65004 when the consent prompt is declined, and AADSTS65001 when a refresh asks for more than was consented', async () => {
    const declined = await deviceCode(sim, SCOPES);
    expect(sim.approve(declined.user_code, ADMIN, { accept: false, forOrganisation: false })).toBe('refused');
    expect(json(await poll(sim, declined.device_code))).toMatchObject({ error: 'access_denied', error_codes: [65004] });

    const small = await deviceCode(sim, 'https://graph.microsoft.com/User.Read offline_access');
    sim.approve(small.user_code, ADMIN, { accept: true, forOrganisation: false });
    const first = json(await poll(sim, small.device_code)) as { refresh_token: string };
    const more = await postForm(tokenUrl(), { grant_type: 'refresh_token', client_id: GRAPH_CLI_CLIENT_ID, refresh_token: first.refresh_token, scope: `${SCOPES} offline_access` }, sim.caPem);
    expect(json(more)).toMatchObject({ error: 'invalid_grant', error_codes: [65001] });
  });

  it('an administrator consents for the organisation: one AllPrincipals grant, after which users need no prompt', async () => {
    const code = await deviceCode(sim, SCOPES);
    expect(sim.approve(code.user_code, ADMIN)).toBe('approved');
    expect((await poll(sim, code.device_code)).status).toBe(200);
    const cli = sim.tenant.servicePrincipals.find((sp) => sp.appId === GRAPH_CLI_CLIENT_ID)!;
    const org = sim.tenant.oauth2PermissionGrants.filter((g) => g.clientId === cli.id && g.consentType === 'AllPrincipals');
    expect(org).toHaveLength(1);
    expect(org[0]!.scope.split(' ')).toEqual(expect.arrayContaining(['User.Read', 'Directory.Read.All', 'AuditLog.Read.All', 'Policy.Read.All']));
    const later = await deviceCode(sim, SCOPES);
    expect(sim.approve(later.user_code, PLAIN_USER, { accept: false, forOrganisation: false })).toBe('approved');
    expect(String(decodeJwt((json(await poll(sim, later.device_code)) as { access_token: string }).access_token).scp)).toContain('AuditLog.Read.All');
  });
});

describe('device code blocked by Conditional Access', () => {
  it('shows the refusal on the page and answers the poll with AADSTS53003, auto-approved or not, while the tenant\'s policy is on', async () => {
    const blocked = await startSimulator({ scenario: 'contoso', seed: 1, tls, blockDeviceCode: true });
    const auto = await startSimulator({ scenario: 'contoso', seed: 1, tls, blockDeviceCode: true, autoApprove: ADMIN });
    try {
      const code = await deviceCode(blocked, SCOPES);
      const page = await postForm(`${blocked.url}/devicelogin`, { code: code.user_code, user: ADMIN }, blocked.caPem);
      expect(page.status).toBe(403);
      expect(page.text).toContain('blocked by Conditional Access');
      expect(json(await poll(blocked, code.device_code))).toMatchObject({ error: 'invalid_grant', error_codes: [53003] });
      const autoCode = await deviceCode(auto, SCOPES);
      expect(json(await poll(auto, autoCode.device_code))).toMatchObject({ error_codes: [53003] });
      // The refusal is the tenant's own policy, collected like any other: turned off, device code works again.
      const policy = auto.tenant.conditionalAccessPolicies.find((p) => p.conditions.authenticationFlows?.transferMethods === 'deviceCodeFlow')!;
      expect(policy).toMatchObject({ state: 'enabled', grantControls: { builtInControls: ['block'] } });
      expect(auto.groundTruth.counts.conditionalAccessPolicies).toBe(sim.tenant.conditionalAccessPolicies.length + 1);
      policy.state = 'disabled';
      const allowed = await deviceCode(auto, SCOPES);
      expect((await poll(auto, allowed.device_code)).status).toBe(200);
    } finally {
      await blocked.close();
      await auto.close();
    }
  });
});

describe('authorization code with PKCE', () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirectUri = 'http://localhost:53123';

  /** Signs in on the authorize page by hand (query response mode) and returns the code from the redirect. */
  async function authorize(extra: Record<string, string> = {}): Promise<string> {
    const params = new URLSearchParams({
      client_id: GRAPH_CLI_CLIENT_ID, response_type: 'code', redirect_uri: redirectUri, scope: `${SCOPES} openid offline_access`,
      state: 'xyz', code_challenge: challenge, code_challenge_method: 'S256', ...extra,
    });
    const page = await simRequest(`${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize?${params}`, { ca: sim.caPem });
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="user"');
    const posted = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize`, { request: params.toString(), user: ADMIN, consent: 'accept', consent_for_organisation: '1' }, sim.caPem);
    expect(posted.status).toBe(302);
    const location = new URL(String(posted.headers.location));
    expect(`${location.protocol}//${location.host}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('xyz');
    return location.searchParams.get('code')!;
  }

  const redeem = (code: string, codeVerifier: string, uri = redirectUri) => postForm(tokenUrl(), {
    grant_type: 'authorization_code', client_id: GRAPH_CLI_CLIENT_ID, code, redirect_uri: uri, code_verifier: codeVerifier, scope: SCOPES,
  }, sim.caPem);

  it('redeems a code once, with the verifier that matches its challenge', async () => {
    const code = await authorize();
    const wrong = await redeem(code, randomBytes(32).toString('base64url'));
    expect(json(wrong)).toMatchObject({ error: 'invalid_grant', error_codes: [501481] });
    const again = await authorize();
    const ok = await redeem(again, verifier);
    expect(ok.status).toBe(200);
    expect(decodeJwt((json(ok) as { access_token: string }).access_token)).toMatchObject({ upn: ADMIN, appid: GRAPH_CLI_CLIENT_ID });
    expect(json(await redeem(again, verifier))).toMatchObject({ error_codes: [54005] });
    expect(json(await redeem(await authorize(), verifier, 'http://localhost:1'))).toMatchObject({ error: 'invalid_grant' });
  });

  it('shows an error page for a redirect URI off the loopback, and sends other errors back to the app', async () => {
    const params = new URLSearchParams({ client_id: GRAPH_CLI_CLIENT_ID, response_type: 'code', redirect_uri: 'https://evil.example/cb', scope: SCOPES });
    const page = await simRequest(`${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize?${params}`, { ca: sim.caPem });
    expect(page.status).toBe(400);
    expect(page.text).toContain('AADSTS50011');
    params.set('redirect_uri', redirectUri);
    params.set('response_type', 'token');
    const back = await simRequest(`${sim.url}/${sim.tenantId}/oauth2/v2.0/authorize?${params}`, { ca: sim.caPem });
    expect(back.status).toBe(302);
    expect(new URL(String(back.headers.location)).searchParams.get('error')).toBe('unsupported_response_type');
  });
});
