// Test (Vitest, Node): the engagement app's certificate in the simulator: keyCredentials, environment files, and client_credentials with a private_key_jwt assertion (good and refused).
import { constants, createHash, createPrivateKey, generateKeyPairSync, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from './server';
import { json, postForm, simRequest, type SimResponse } from './https-client';
import { decodeJwt } from './jwt';
import { buildTenant, ENGAGEMENT_GRAPH_ROLES, groundTruth } from './scenario';
import { environmentSchema, writeEnvironmentFiles } from './environment';

let sim: SimHandle;
let clockOffsetMs = 0;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-sim-cert-'));
  sim = await startSimulator({ scenario: 'contoso', seed: 1, now: () => Date.now() + clockOffsetMs });
});

afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  clockOffsetMs = 0;
});

const tokenUrl = () => `${sim.url}/${sim.tenantId}/oauth2/v2.0/token`;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface AssertionOptions {
  alg?: 'PS256' | 'RS256';
  key?: KeyObject;
  /** Certificate whose thumbprint goes in the header (default: the registered one). */
  certificatePem?: string;
  thumbprintHeader?: 'x5t#S256' | 'x5t';
  claims?: Record<string, unknown>;
}

/** Builds a client assertion the way MSAL does (jsonwebtoken: PS256, x5t#S256, aud/iss/sub/jti/nbf/exp, 10 minutes). */
function assertion(options: AssertionOptions = {}): string {
  const cert = new X509Certificate(options.certificatePem ?? sim.tenant.engagementApp.certificate.certificatePem);
  const alg = options.alg ?? 'PS256';
  const which = options.thumbprintHeader ?? 'x5t#S256';
  const thumb = createHash(which === 'x5t' ? 'sha1' : 'sha256').update(cert.raw).digest('base64url');
  const nowS = Math.floor(Date.now() / 1000);
  const clientId = sim.environment.engagementApp.clientId;
  const claims = { aud: tokenUrl(), exp: nowS + 600, iss: clientId, sub: clientId, nbf: nowS, jti: randomUUID(), ...options.claims };
  const head = Buffer.from(JSON.stringify({ alg, typ: 'JWT', [which]: thumb })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const key = options.key ?? createPrivateKey(sim.tenant.engagementApp.certificate.privateKeyPem);
  const signature = alg === 'PS256'
    ? sign('sha256', Buffer.from(`${head}.${body}`), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    : sign('sha256', Buffer.from(`${head}.${body}`), key);
  return `${head}.${body}.${signature.toString('base64url')}`;
}

function redeem(clientAssertion: string, scope = 'https://graph.microsoft.com/.default', clientId = sim.environment.engagementApp.clientId): Promise<SimResponse> {
  return postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: clientAssertion, scope }, sim.caPem);
}

function refusal(response: SimResponse): { error: string; code: number | undefined; description: string } {
  const body = json(response) as { error: string; error_codes?: number[]; error_description: string };
  return { error: body.error, code: body.error_codes?.[0], description: body.error_description };
}

describe('the engagement app certificate', () => {
  it('is registered in the application keyCredentials with its SHA-1 thumbprint, and is the same for the same seed', async () => {
    const cert = sim.tenant.engagementApp.certificate;
    const x509 = new X509Certificate(cert.certificatePem);
    expect(x509.checkPrivateKey(createPrivateKey(cert.privateKeyPem))).toBe(true);
    expect(cert.thumbprintSha1).toBe(x509.fingerprint.replace(/:/g, ''));

    const secretToken = json(await postForm(tokenUrl(), {
      grant_type: 'client_credentials', client_id: sim.environment.engagementApp.clientId,
      client_secret: sim.environment.engagementApp.clientSecret, scope: 'https://graph.microsoft.com/.default',
    }, sim.caPem)) as { access_token: string };
    const res = await simRequest(`${sim.url}/v1.0/applications/${sim.tenant.engagementApp.applicationObjectId}`, { ca: sim.caPem, headers: { Authorization: `Bearer ${secretToken.access_token}` } });
    expect(res.status).toBe(200);
    const app = json(res) as { keyCredentials: Record<string, unknown>[] };
    expect(app.keyCredentials).toEqual([expect.objectContaining({
      type: 'AsymmetricX509Cert', usage: 'Verify', key: null, customKeyIdentifier: cert.thumbprintSha1,
      keyId: cert.keyId, displayName: 'CN=Peregrine IR collection', endDateTime: '2049-12-31T23:59:59Z',
    })]);

    const again = buildTenant({ scenario: 'contoso', seed: 1 });
    expect(again.engagementApp.certificate.certificatePem).toBe(cert.certificatePem);
    expect(buildTenant({ scenario: 'contoso', seed: 2 }).engagementApp.certificate.thumbprintSha1).not.toBe(cert.thumbprintSha1);
    // Ground truth is written world-readable: never the key.
    expect(JSON.stringify(groundTruth(again))).not.toContain('PRIVATE KEY');
  });

  it('is written next to the environment file, owner-only, and named there', async () => {
    const files = await writeEnvironmentFiles(dir, sim);
    const env = environmentSchema.parse(JSON.parse(fs.readFileSync(files.environmentFile, 'utf8')));
    expect(env.engagementApp).toMatchObject({ certificateFile: 'engagement-app.crt.pem', privateKeyFile: 'engagement-app.key.pem' });
    for (const file of [files.engagementCertificateFile, files.engagementPrivateKeyFile]) expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, env.engagementApp.certificateFile), 'utf8')).toBe(sim.tenant.engagementApp.certificate.certificatePem);
    expect(fs.readFileSync(path.join(dir, env.engagementApp.privateKeyFile), 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    expect(fs.readFileSync(files.groundTruthFile, 'utf8')).not.toContain('PRIVATE KEY');
  });
});

describe('client_credentials with a certificate assertion', () => {
  it('issues a Graph token carrying the app roles for a PS256 assertion with x5t#S256 (what MSAL sends)', async () => {
    const res = await redeem(assertion());
    expect(res.status).toBe(200);
    const claims = decodeJwt((json(res) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', appid: sim.environment.engagementApp.clientId, idtyp: 'app', appidacr: '2', tid: sim.tenantId });
    expect(claims.roles).toEqual(expect.arrayContaining([...ENGAGEMENT_GRAPH_ROLES]));
  });

  it('issues an Exchange token with Exchange.ManageAsApp for an RS256 assertion with x5t (SHA-1)', async () => {
    const res = await redeem(assertion({ alg: 'RS256', thumbprintHeader: 'x5t' }), 'https://outlook.office365.com/.default');
    expect(res.status).toBe(200);
    const claims = decodeJwt((json(res) as { access_token: string }).access_token);
    expect(claims).toMatchObject({ aud: 'https://outlook.office365.com', roles: ['Exchange.ManageAsApp'] });
  });

  it('refuses an assertion signed with another key (700027, signature)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const res = await redeem(assertion({ key: privateKey }));
    expect(res.status).toBe(401);
    expect(refusal(res)).toMatchObject({ error: 'invalid_client', code: 700027 });
    expect(refusal(res).description).toMatch(/^AADSTS700027: Client assertion failed signature validation\./);
  });

  it('refuses a certificate that is not registered on the app (700027, key not found)', async () => {
    // The simulator's CA certificate: a real certificate, just not one on the app.
    const res = await redeem(assertion({ certificatePem: sim.caPem }));
    expect(refusal(res)).toMatchObject({ error: 'invalid_client', code: 700027 });
    expect(refusal(res).description).toMatch(/is not registered on application\. \[Reason - The key was not found\., Thumbprint of key used by client: '[0-9A-F]{64}'/);
  });

  it('refuses an expired assertion (700024) and one that is not yet valid', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const expired = await redeem(assertion({ claims: { nbf: nowS - 3600, exp: nowS - 1800 } }));
    expect(refusal(expired)).toMatchObject({ error: 'invalid_client', code: 700024 });
    expect(refusal(expired).description).toMatch(/^AADSTS700024: Client assertion is not within its valid time range\. Current time: /);
    clockOffsetMs = -3600_000;
    expect(refusal(await redeem(assertion()))).toMatchObject({ code: 700024 });
  });

  it('refuses a wrong audience (700023) and an issuer that is not the client id (700021)', async () => {
    const aud = await redeem(assertion({ claims: { aud: `${sim.url}/common/oauth2/v2.0/token` } }));
    expect(refusal(aud)).toMatchObject({ error: 'invalid_client', code: 700023 });
    const iss = await redeem(assertion({ claims: { iss: sim.environment.clientId, sub: sim.environment.clientId } }));
    expect(refusal(iss)).toMatchObject({ error: 'invalid_client', code: 700021 });
    // The token endpoint addressed by a verified domain, v1 or v2, is an accepted audience.
    const byDomain = await redeem(assertion({ claims: { aud: `${sim.url}/${sim.environment.tenantDomain}/oauth2/token` } }));
    expect(byDomain.status).toBe(200);
  });

  it('refuses a second, different assertion under a used jti, but accepts the same assertion re-sent (MSAL reuses its own)', async () => {
    const jti = randomUUID();
    const first = assertion({ claims: { jti } });
    expect((await redeem(first)).status).toBe(200);
    expect((await redeem(first, 'https://outlook.office365.com/.default')).status).toBe(200);
    const replay = await redeem(assertion({ claims: { jti, nbf: Math.floor(Date.now() / 1000) - 1 } }));
    expect(refusal(replay)).toMatchObject({ error: 'invalid_client', code: 50013 });
  });

  it('refuses a malformed assertion, a wrong assertion type, and another app presenting this certificate', async () => {
    expect(refusal(await redeem('not.a.jwt'))).toMatchObject({ code: 50027 });
    const wrongType = await postForm(tokenUrl(), {
      grant_type: 'client_credentials', client_id: sim.environment.engagementApp.clientId, client_assertion_type: 'jwt', client_assertion: assertion(), scope: 'https://graph.microsoft.com/.default',
    }, sim.caPem);
    expect(refusal(wrongType)).toMatchObject({ error: 'invalid_request' });
    const other = sim.tenant.remediationClient.appId;
    const res = await redeem(assertion({ claims: { iss: other, sub: other } }), 'https://graph.microsoft.com/.default', other);
    expect(refusal(res)).toMatchObject({ code: 700027 });
  });

  it('stops accepting the certificate once it is removed from the application', async () => {
    const app = sim.tenant.applications.find((a) => a.id === sim.tenant.engagementApp.applicationObjectId);
    if (!app) throw new Error('engagement application missing');
    const saved = app.keyCredentials;
    app.keyCredentials = [];
    try {
      expect(refusal(await redeem(assertion()))).toMatchObject({ code: 700027 });
    } finally {
      app.keyCredentials = saved;
    }
    expect((await redeem(assertion())).status).toBe(200);
  });
});
