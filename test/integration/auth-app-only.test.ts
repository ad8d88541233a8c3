// App-only sign-in with the engagement app's certificate against a live simulator: MSAL's real assertion, Graph and Exchange tokens, and the consultant-facing failures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles, type EnvironmentFiles } from '../sim/environment';
import { ENGAGEMENT_GRAPH_ROLES } from '../sim/scenario';
import { loadEnvironmentFile, type TenantEnvironment } from '../../main/auth/environment';
import { appOnlyAnchorMailbox, createAppOnlySession, readAppOnlyCredentials, simulatorAppOnlyCredentials } from '../../main/auth/app-only';
import { createHttpTransport, type HttpTransport } from '../../main/http/https';
import { readOnlyTransport } from '../../main/http/read-only';
import { createExchangeReaderFor } from '../../main/exchange/reader';

let dir: string;
let sim: SimHandle;
let files: EnvironmentFiles;
let env: TenantEnvironment;
let transport: HttpTransport;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-app-only-'));
  sim = await startSimulator({ scenario: 'contoso', seed: 3 });
  files = await writeEnvironmentFiles(path.join(dir, 'sim'), sim);
  env = loadEnvironmentFile(files.environmentFile);
  transport = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' });
});

afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// MSAL may add a query string to the token endpoint.
const tokenPosts = () => sim.requests.filter((r) => r.method === 'POST' && (r.path.split('?')[0] ?? '').endsWith('/oauth2/v2.0/token'));

describe('createAppOnlySession against the simulator', () => {
  it('signs in as the app with the certificate from the environment file and reads /v1.0/applications', async () => {
    const credentials = simulatorAppOnlyCredentials(files.environmentFile);
    const session = createAppOnlySession(env, transport, credentials);
    expect(session.account()).toBeNull();
    await expect(session.getAccessToken(env.graphScopes)).rejects.toThrow(/Not signed in/);

    const before = tokenPosts().length;
    const account = await session.signIn();
    expect(account).toEqual({ username: `app:${sim.environment.engagementApp.clientId}`, tenantId: sim.tenantId, objectId: null, scopes: expect.arrayContaining([...ENGAGEMENT_GRAPH_ROLES]) });
    expect(session.account()).toEqual(account);
    expect(tokenPosts().slice(before).map((r) => r.status)).toEqual([200]);

    const token = await session.getAccessToken(env.graphScopes);
    // The token is cached: no second trip to the token endpoint.
    expect(tokenPosts().length).toBe(before + 1);
    const res = await readOnlyTransport(transport)({ method: 'GET', url: `${env.graphBaseUrl}/v1.0/applications?$select=id,appId,keyCredentials`, headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const apps = (JSON.parse(res.body.toString('utf8')) as { value: { appId: string; keyCredentials: { customKeyIdentifier: string }[] }[] }).value;
    const mine = apps.find((a) => a.appId === credentials.clientId);
    expect(mine?.keyCredentials[0]?.customKeyIdentifier).toBe(sim.tenant.engagementApp.certificate.thumbprintSha1);

    const refreshed = await session.getAccessToken(env.graphScopes, { forceRefresh: true });
    expect(refreshed).not.toBe(token);
    expect(tokenPosts().length).toBe(before + 2);

    await session.signOut();
    expect(session.account()).toBeNull();
  });

  it('sends the assertion MSAL builds from clientCertificate: PS256, x5t#S256 and x5c, aud = the token endpoint, iss = sub = the app', async () => {
    const forms: URLSearchParams[] = [];
    const spy: HttpTransport = (req) => {
      if (req.method === 'POST' && req.url.includes('/oauth2/v2.0/token')) forms.push(new URLSearchParams(String(req.body)));
      return transport(req);
    };
    const credentials = simulatorAppOnlyCredentials(files.environmentFile);
    await createAppOnlySession(env, spy, credentials).signIn();
    const form = forms[0];
    expect(form?.get('grant_type')).toBe('client_credentials');
    expect(form?.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const [head, body] = (form?.get('client_assertion') ?? '').split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
    expect(head).toMatchObject({ alg: 'PS256', 'x5t#S256': Buffer.from(sim.tenant.engagementApp.certificate.thumbprintSha256, 'hex').toString('base64url') });
    expect(head?.x5c).toHaveLength(1);
    expect(body).toMatchObject({ aud: `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, iss: credentials.clientId, sub: credentials.clientId, jti: expect.any(String) });
  });

  it('gets an Exchange token from the same session and runs Get-TransportRule with the system-mailbox anchor', async () => {
    const session = createAppOnlySession(env, transport, simulatorAppOnlyCredentials(files.environmentFile));
    const account = await session.signIn();
    const reader = createExchangeReaderFor(env, {
      tenantId: account.tenantId,
      transport: readOnlyTransport(transport),
      getToken: (o) => session.getAccessToken(env.exchangeScopes, o),
      anchorMailbox: appOnlyAnchorMailbox(account.tenantId),
    });
    const rules: unknown[] = [];
    for await (const page of reader.pages('Get-TransportRule', {})) rules.push(...page.value);
    const expected = sim.groundTruth.exchange?.counts.transportRules;
    expect(rules.length).toBe(expected);
    expect(rules.length).toBeGreaterThan(0);
  });

  it('refuses, before any network I/O, a key file that does not match the certificate', () => {
    const otherKey = path.join(dir, 'other.key.pem');
    fs.writeFileSync(otherKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const credentials = readAppOnlyCredentials(sim.environment.engagementApp.clientId, files.engagementCertificateFile, otherKey);
    const before = sim.requests.length;
    expect(() => createAppOnlySession(env, transport, credentials)).toThrow(/^The private key does not match the certificate CN=Peregrine IR collection \(SHA-1 thumbprint [0-9A-F]{40}\)/);
    expect(sim.requests.length).toBe(before);
  });

  it('names an unreadable file, a file that is not a certificate, and an expired certificate', () => {
    const clientId = sim.environment.engagementApp.clientId;
    expect(() => readAppOnlyCredentials(clientId, path.join(dir, 'missing.pem'), files.engagementPrivateKeyFile))
      .toThrow(`Cannot read the certificate file ${path.join(dir, 'missing.pem')}: ENOENT.`);
    const good = readAppOnlyCredentials(clientId, files.engagementCertificateFile, files.engagementPrivateKeyFile);
    expect(() => createAppOnlySession(env, transport, { ...good, certificatePem: 'hello' })).toThrow(/not a PEM or DER X\.509 certificate/);
    expect(() => createAppOnlySession(env, transport, { ...good, privateKeyPem: good.certificatePem })).toThrow(/not a PEM private key/);
    expect(() => createAppOnlySession(env, transport, good, () => new Date('2050-06-01T00:00:00Z'))).toThrow(/expired on 2049-12-31T23:59:59\.000Z/);
  });

  it('reports the tenant refusing the certificate with its AADSTS code', async () => {
    const good = simulatorAppOnlyCredentials(files.environmentFile);
    // The engagement app's certificate presented by another app: the tenant has no such key on that app.
    const other = createAppOnlySession(env, transport, { ...good, clientId: sim.tenant.remediationClient.appId });
    await expect(other.signIn()).rejects.toThrow(/^The tenant refused the app-only sign-in \(AADSTS700027\): The certificate with identifier used to sign the client assertion is not registered on application\. — the certificate \(SHA-1 thumbprint [0-9A-F]{40}\) is not registered on app /);
    expect(other.account()).toBeNull();
  });
});
