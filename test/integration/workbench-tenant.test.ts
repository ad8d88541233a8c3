// The Collect screen's tenant picker through the workbench: a named tenant and cloud decide where every sign-in goes,
// with the client ids Settings keeps (collection and remediation), and naming another tenant signs out of the one before.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { saveSettings, SettingsSchema } from '../../main/settings/store';
import type { HttpRequest, HttpResponse } from '../../main/http/https';
import type { TenantEnvironment } from '../../main/auth/environment';
import type { Result, SignInState, TenantView } from '../../preload/contract';

const COLLECTION_CLIENT = '6e053d8a-3378-460f-bfaa-3eb49f6b16de';
const REMEDIATION_CLIENT = '0b7e5f26-94b4-4f3a-9c1e-2d3f4a5b6c7d';

let dir: string;
const workbenches: Workbench[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-tenant-'));
});
afterEach(async () => {
  for (const w of workbenches.splice(0)) await w.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  method: string;
  url: string;
  form: URLSearchParams | null;
}

/**
 * The token service as Entra answers a public client's device-code sign-in, on whichever authority host is asked:
 * OpenID configuration (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri),
 * the device authorization response and `authorization_pending` while the person has not entered the code
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code). Every request is recorded.
 */
function entraTransport(seen: Seen[]) {
  return () => async (req: HttpRequest): Promise<HttpResponse> => {
    const url = new URL(req.url);
    const form = typeof req.body === 'string' ? new URLSearchParams(req.body) : null;
    seen.push({ method: req.method, url: req.url, form });
    const json = (status: number, body: unknown): HttpResponse => ({ status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
    const tenant = url.pathname.split('/')[1]!;
    const base = `${url.origin}/${tenant}`;
    if (url.pathname.endsWith('/v2.0/.well-known/openid-configuration')) {
      return json(200, {
        issuer: `${url.origin}/00000000-0000-4000-8000-000000000001/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${url.origin}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ['code'],
      });
    }
    if (url.pathname.endsWith('/oauth2/v2.0/devicecode')) {
      return json(200, { device_code: 'dc', user_code: 'ABCD1234', verification_uri: 'https://microsoft.com/deviceloginus', expires_in: 900, interval: 5, message: 'To sign in, enter ABCD1234.' });
    }
    if (url.pathname.endsWith('/oauth2/v2.0/token')) {
      return json(400, { error: 'authorization_pending', error_description: 'AADSTS70016: pending', error_codes: [70016] });
    }
    return json(404, { error: 'not_found' });
  };
}

function workbench(opts: { settings?: Record<string, unknown>; environment?: TenantEnvironment | null } = {}) {
  const seen: Seen[] = [];
  const home = path.join(dir, 'home');
  if (opts.settings) saveSettings(home, SettingsSchema.parse(opts.settings));
  const w = createWorkbench({
    host: 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'cases'), homeDir: home, keyDir: path.join(dir, 'keys'),
    environment: opts.environment ?? null, collectionWorker: tsxWorkerEntry(), transport: entraTransport(seen),
  });
  workbenches.push(w);
  const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(w.handlers, channel, input)) as Result<T>;
  return { call, seen };
}

const deviceCodeRequests = (seen: Seen[]) => seen.filter((s) => s.method === 'POST' && s.url.endsWith('/oauth2/v2.0/devicecode'));

describe('naming the tenant on the Collect screen', () => {
  it('signs in at the chosen cloud with the collection client Settings names, and Exchange with its own audience', async () => {
    const { call, seen } = workbench({ settings: { collectionClientId: COLLECTION_CLIENT } });
    expect(await call<TenantView>('auth.tenant')).toEqual({ ok: true, value: { environment: null, fileEnvironment: null } });
    const chosen = await call<TenantView>('auth.chooseTenant', { source: 'tenant', tenant: 'contoso.onmicrosoft.us', cloud: 'dod' });
    expect(chosen.ok && chosen.value.environment).toMatchObject({
      cloud: 'dod', tenantId: 'contoso.onmicrosoft.us', authority: 'https://login.microsoftonline.us/contoso.onmicrosoft.us',
      graphBaseUrl: 'https://dod-graph.microsoft.us', exchangeBaseUrl: 'https://outlook-dod.office365.us',
      clientId: COLLECTION_CLIENT, clientIdFrom: 'settings', chosen: true, simulator: false,
    });

    const waiting = await call<SignInState>('auth.start', { method: 'device-code' });
    expect(waiting.ok && waiting.value).toMatchObject({ state: 'waiting', userCode: 'ABCD1234' });
    const graph = deviceCodeRequests(seen)[0]!;
    expect(graph.url).toBe('https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/devicecode');
    expect(graph.form!.get('client_id')).toBe(COLLECTION_CLIENT);
    expect(graph.form!.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['https://dod-graph.microsoft.us/AuditLog.Read.All', 'https://dod-graph.microsoft.us/Directory.Read.All']));

    await call('auth.startExchange', { method: 'device-code' });
    const exchange = deviceCodeRequests(seen)[1]!;
    expect(exchange.form!.get('client_id')).toBe('fb78d390-0c51-40cd-8e17-fdbfab77341b');
    expect(exchange.form!.get('scope')!.split(' ')).toContain('https://outlook-dod.office365.us/.default');
    expect(seen.every((s) => new URL(s.url).hostname === 'login.microsoftonline.us')).toBe(true);

    // Another tenant: the pending sign-ins are dropped, and the next goes to the new cloud with the client given there.
    const given = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
    const other = await call<TenantView>('auth.chooseTenant', { source: 'tenant', tenant: 'fabrikam.partner.onmschina.cn', cloud: 'china', clientId: given });
    expect(other.ok && other.value.environment).toMatchObject({ cloud: 'china', clientId: given, clientIdFrom: 'chosen', graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn' });
    expect(await call('auth.status')).toEqual({ ok: true, value: { state: 'signed-out' } });
    await call('auth.start', { method: 'device-code' });
    const china = deviceCodeRequests(seen)[2]!;
    expect(china.url).toBe('https://login.chinacloudapi.cn/fabrikam.partner.onmschina.cn/oauth2/v2.0/devicecode');
    expect(china.form!.get('client_id')).toBe(given);
    await call('auth.signOut');
  });

  it("signs remediation in with Settings' remediation client, not the collection's", async () => {
    const { call, seen } = workbench({ settings: { collectionClientId: COLLECTION_CLIENT, remediationClientId: REMEDIATION_CLIENT } });
    await call('auth.chooseTenant', { source: 'tenant', tenant: 'contoso.onmicrosoft.com', cloud: 'gcc' });
    await call('case.create', { name: 'Contoso', examiner: 'Kenji Sato' });
    const started = await call('remediate.signIn', { service: 'graph', method: 'device-code' });
    expect(started.ok).toBe(true);
    const request = deviceCodeRequests(seen)[0]!;
    expect(request.url).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode');
    expect(request.form!.get('client_id')).toBe(REMEDIATION_CLIENT);
    await call('remediate.signOut');
  });

  it('without Settings, signs in with Microsoft Graph Command Line Tools; a bad tenant or cloud is refused naming the field', async () => {
    const { call, seen } = workbench();
    const chosen = await call<TenantView>('auth.chooseTenant', { source: 'tenant', tenant: ' 71386dbc-bc4e-428a-8d77-edc375ab1697 ', cloud: 'commercial' });
    expect(chosen.ok && chosen.value.environment).toMatchObject({ tenantId: '71386dbc-bc4e-428a-8d77-edc375ab1697', clientId: '14d82eec-204b-4c2f-b7e8-296a70dab67e', clientIdFrom: 'default' });
    await call('auth.start', { method: 'device-code' });
    expect(deviceCodeRequests(seen)[0]!.form!.get('client_id')).toBe('14d82eec-204b-4c2f-b7e8-296a70dab67e');
    await call('auth.signOut');

    for (const [input, message] of [
      [{ source: 'tenant', tenant: 'contoso', cloud: 'commercial' }, /^tenant: must be the tenant's id \(a GUID\) or a verified domain/],
      [{ source: 'tenant', tenant: 'contoso.com', cloud: 'germany' }, /^cloud: Invalid option/],
      [{ source: 'tenant', tenant: 'contoso.com', cloud: 'commercial', clientId: 'not-a-guid' }, /^clientId: must be an app registration's application \(client\) id/],
      [{ source: 'file' }, /started without an environment file/],
    ] as const) {
      const refused = await call('auth.chooseTenant', input);
      expect(refused.ok, JSON.stringify(input)).toBe(false);
      if (!refused.ok) expect(refused.error.message, JSON.stringify(input)).toMatch(message);
    }
    // The refusals left the tenant as it was.
    const now = await call<TenantView>('auth.tenant');
    expect(now.ok && now.value.environment?.tenantId).toBe('71386dbc-bc4e-428a-8d77-edc375ab1697');
  });

  it('says so when Settings cannot be read, instead of signing in with another client than the one saved there', async () => {
    const { call } = workbench();
    fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'home', 'settings.json'), '{"collectionClientId": "nope"}');
    const refused = await call('auth.chooseTenant', { source: 'tenant', tenant: 'contoso.onmicrosoft.com', cloud: 'commercial' });
    expect(!refused.ok && refused.error).toMatchObject({ code: 'settings_invalid', message: expect.stringMatching(/invalid collectionClientId.*fix them on Settings first/) });
  });
});
