// Test (Vitest, Node): real device-code sign-ins with @azure/msal-node against the simulator, through a CA-pinned network client.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PublicClientApplication, type INetworkModule, type NetworkRequestOptions, type NetworkResponse,
} from '@azure/msal-node';
import { startSimulator, type SimHandle } from './server';
import { generateSimulatorTls, type SimulatorTls } from './ca';
import { json, postForm, simRequest } from './https-client';
import { decodeJwt } from './jwt';
import { DIRECTORY_ROLES, GRAPH_CLI_CLIENT_ID } from './wellknown';
import { graphScopesFor } from '../../main/auth/scopes';

/** The permissions a collection asks for by name: consented on the sign-in page at first use. */
const SCOPES = graphScopesFor('https://graph.microsoft.com');

/**
 * MSAL's default client is fetch, which trusts a private CA only through NODE_EXTRA_CA_CERTS;
 * this one pins the simulator's CA per request, the way Peregrine's main process must (APIS.md).
 */
function pinnedNetworkClient(ca: string): INetworkModule {
  const send = <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      const req = https.request(url, { method, ca, headers: options?.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: MSAL gets the text and reports it.
          }
          resolve({ headers, body: body as T, status: res.statusCode ?? 0 });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (options?.body) req.write(options.body);
      req.end();
    });
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

function msalFor(sim: SimHandle): PublicClientApplication {
  return new PublicClientApplication({
    auth: {
      clientId: sim.environment.clientId,
      authority: `${sim.url}/${sim.tenantId}`,
      knownAuthorities: [new URL(sim.url).host],
    },
    system: { networkClient: pinnedNetworkClient(sim.caPem) },
  });
}

let tls: SimulatorTls;
let autoSim: SimHandle;
let manualSim: SimHandle;
const ADMIN = 'MeganB@contoso.onmicrosoft.com';

beforeAll(async () => {
  tls = await generateSimulatorTls();
  autoSim = await startSimulator({ scenario: 'contoso', seed: 1, tls, autoApprove: ADMIN });
  manualSim = await startSimulator({ scenario: 'contoso', seed: 1, tls });
});

afterAll(async () => {
  await autoSim.close();
  await manualSim.close();
});

describe('MSAL device code flow against the simulator', () => {
  it('signs in (auto-approved) and gets an account, consented Graph scopes and a working token', async () => {
    const pca = msalFor(autoSim);
    const messages: string[] = [];
    const result = await pca.acquireTokenByDeviceCode({
      scopes: SCOPES,
      deviceCodeCallback: (response) => messages.push(response.message),
    });
    expect(messages[0]).toMatch(new RegExp(`^To sign in, use a web browser to open the page ${autoSim.url}/devicelogin and enter the code [A-Z0-9]{9} to authenticate\\.$`));
    expect(result?.account?.username).toBe(ADMIN);
    expect(result?.account?.tenantId).toBe(autoSim.tenantId);
    expect(result?.idTokenClaims).toMatchObject({ aud: GRAPH_CLI_CLIENT_ID, iss: `${autoSim.url}/${autoSim.tenantId}/v2.0`, tid: autoSim.tenantId });
    // Auto-approval consents as the admin would, for the organisation: the token carries every permission asked for.
    expect(result?.scopes).toEqual(expect.arrayContaining(['User.Read', 'Directory.Read.All', 'AuditLog.Read.All', 'Policy.Read.All']));

    const claims = decodeJwt(result?.accessToken ?? '');
    expect(claims.aud).toBe('https://graph.microsoft.com');
    expect(claims.upn).toBe(ADMIN);
    expect(claims.appid).toBe(GRAPH_CLI_CLIENT_ID);
    expect(claims.wids).toContain(DIRECTORY_ROLES.globalAdministrator.templateId);

    const me = await simRequest(`${autoSim.url}/v1.0/me`, { ca: autoSim.caPem, headers: { Authorization: `Bearer ${result?.accessToken ?? ''}` } });
    expect(me.status).toBe(200);
    expect(json(me)).toMatchObject({ userPrincipalName: ADMIN });
  });

  it('refreshes silently with the refresh token', async () => {
    const pca = msalFor(autoSim);
    const first = await pca.acquireTokenByDeviceCode({ scopes: SCOPES, deviceCodeCallback: () => undefined });
    const account = first?.account;
    if (!account) throw new Error('no account from the device code flow');
    const before = autoSim.requests.length;
    const refreshed = await pca.acquireTokenSilent({ account, scopes: SCOPES, forceRefresh: true });
    expect(refreshed.fromCache).toBe(false);
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(autoSim.requests.slice(before).some((r) => r.method === 'POST' && r.path.includes('/oauth2/v2.0/token') && r.status === 200)).toBe(true);
  });

  it('waits while pending and completes once a person approves on the HTML sign-in page', async () => {
    const pca = msalFor(manualSim);
    let approval: Promise<string> | undefined;
    const result = await pca.acquireTokenByDeviceCode({
      scopes: SCOPES,
      deviceCodeCallback: (response) => {
        approval = (async () => {
          const page = await simRequest(response.verificationUri, { ca: manualSim.caPem });
          expect(page.status).toBe(200);
          expect(page.text).toContain('id="code"');
          expect(page.text).toContain('id="user"');
          const posted = await postForm(response.verificationUri, { code: response.userCode.toLowerCase(), user: 'admin@contoso.onmicrosoft.com' }, manualSim.caPem);
          expect(posted.status).toBe(200);
          // Nothing was consented yet: the page lists the permissions and offers the admin to consent for the organisation.
          expect(posted.text).toContain('Permissions requested');
          expect(posted.text).toContain('AuditLog.Read.All');
          expect(posted.text).toContain('id="consent-org"');
          const consented = await postForm(response.verificationUri, {
            code: response.userCode, user: 'admin@contoso.onmicrosoft.com', consent: 'accept', consent_for_organisation: '1',
          }, manualSim.caPem);
          expect(consented.status).toBe(200);
          return consented.text;
        })();
      },
    });
    expect(await approval).toContain("You're signed in");
    expect(result?.account?.username).toBe('admin@contoso.onmicrosoft.com');
    const polls = manualSim.requests.filter((r) => r.path.includes('/oauth2/v2.0/token'));
    expect(polls.some((r) => r.status === 400)).toBe(true);
    expect(polls.at(-1)?.status).toBe(200);
  });

  it('fails cleanly when the device code expires', async () => {
    let offset = 0;
    const sim = await startSimulator({ scenario: 'contoso', seed: 1, tls, now: () => Date.now() + offset });
    try {
      const pca = msalFor(sim);
      const attempt = pca.acquireTokenByDeviceCode({
        scopes: SCOPES,
        deviceCodeCallback: () => {
          offset = 16 * 60 * 1000;
        },
      });
      await expect(attempt).rejects.toThrow(/expired_token|70020/);
    } finally {
      await sim.close();
    }
  });
});
