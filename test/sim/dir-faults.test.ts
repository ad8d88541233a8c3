// Test (Vitest, Node): fault injection: 429 storms with Retry-After, 503s, resets mid-body, slow and truncated pages, tokens that expire mid-run, scoped by path.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from './server';
import { json, postForm, simRequest } from './https-client';
import { graphErrorSchema } from './graph-schemas';
import { generateSimulatorTls, type SimulatorTls } from './ca';
import { appToken, call, collection, delegatedToken } from './directory/test-tokens';

let certs: SimulatorTls;
let sim: SimHandle;
let token: string;
let clockOffsetMs = 0;

beforeAll(async () => {
  certs = await generateSimulatorTls();
  sim = await startSimulator({ scenario: 'contoso', seed: 1, tls: certs, pageSizeDefault: 40, now: () => Date.now() + clockOffsetMs });
  token = await appToken(sim);
});

afterAll(async () => {
  await sim.close();
});

afterEach(() => {
  sim.faults.clear();
  clockOffsetMs = 0;
});

const get = (path: string, t = token) => call(sim, 'GET', path, t);

describe('faults', () => {
  it('throttles N requests on one path with 429 and Retry-After, then serves again; other paths untouched', async () => {
    sim.faults.set({ rules: [{ kind: 'throttle', path: '/v1.0/users', count: 3, retryAfterSeconds: 4 }] });
    for (let i = 0; i < 3; i++) {
      const r = await get('/v1.0/users?$top=1');
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBe('4');
      expect(graphErrorSchema.parse(json(r)).error.code).toBe('TooManyRequests');
      expect((await get('/v1.0/applications?$top=1')).status).toBe(200);
    }
    expect((await get('/v1.0/users?$top=1')).status).toBe(200);
    expect(sim.faults.hits.filter((h) => h.kind === 'throttle')).toHaveLength(3);
  });

  it('answers 503 in Graph shape', async () => {
    sim.faults.set({ rules: [{ kind: 'unavailable', path: '/v1.0/servicePrincipals', count: 1, retryAfterSeconds: 1 }] });
    const r = await get('/v1.0/servicePrincipals');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    graphErrorSchema.parse(json(r));
    expect((await get('/v1.0/servicePrincipals')).status).toBe(200);
  });

  it('breaks page 2 of a listing (after: 1), then the same next link works', async () => {
    sim.faults.set({ rules: [{ kind: 'unavailable', path: '/v1.0/applications', after: 1, count: 1 }] });
    const first = collection.parse(json(await get('/v1.0/applications')));
    const next = first['@odata.nextLink'] ?? '';
    expect(next).toBeTruthy();
    const broken = await simRequest(next, { ca: sim.caPem, headers: { Authorization: `Bearer ${token}` } });
    expect(broken.status).toBe(503);
    const retried = await simRequest(next, { ca: sim.caPem, headers: { Authorization: `Bearer ${token}` } });
    expect(retried.status).toBe(200);
  });

  it('resets the connection mid-body', async () => {
    sim.faults.set({ rules: [{ kind: 'reset', path: '/v1.0/servicePrincipals', count: 1, bytes: 500 }] });
    await expect(get('/v1.0/servicePrincipals')).rejects.toThrow();
    expect((await get('/v1.0/servicePrincipals')).status).toBe(200);
  });

  it('serves a malformed page: 200 with truncated JSON', async () => {
    sim.faults.set({ rules: [{ kind: 'malformed', path: '/v1.0/users', count: 1 }] });
    const r = await get('/v1.0/users');
    expect(r.status).toBe(200);
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.text));
    expect(() => JSON.parse(r.text) as unknown).toThrow();
    expect(() => json(r)).toThrow();
  });

  it('slows a page down', async () => {
    sim.faults.set({ rules: [{ kind: 'slow', path: '/v1.0/organization', delayMs: 300, count: 1 }] });
    const started = performance.now();
    expect((await get('/v1.0/organization')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('holds a page until released, and lets go of one whose client gave up', async () => {
    sim.faults.set({ rules: [{ kind: 'hold', path: '/v1.0/organization' }] });
    const held = get('/v1.0/organization');
    await expect.poll(() => sim.faults.heldCount()).toBe(1);
    sim.faults.release();
    expect((await held).status).toBe(200);
    // A client that aborts (a cancelled collection) frees its held request without a release.
    const abort = new AbortController();
    const https = await import('node:https');
    const gone = new Promise<void>((resolve) => {
      const req = https.request(`${sim.url}/v1.0/organization`, { ca: sim.caPem, agent: false, signal: abort.signal, headers: { authorization: `Bearer ${token}` } });
      req.on('error', () => resolve());
      req.end();
    });
    await expect.poll(() => sim.faults.heldCount()).toBe(1);
    abort.abort();
    await gone;
    await expect.poll(() => sim.faults.heldCount()).toBe(0);
    sim.faults.clear();
    expect((await get('/v1.0/organization')).status).toBe(200);
  });

  it('expires the current token mid-run: 401 then and on reuse; a new token works', async () => {
    const own = await appToken(sim);
    sim.faults.set({ rules: [{ kind: 'expire-token', path: '/v1.0/applications', after: 1, count: 1 }] });
    expect((await get('/v1.0/applications', own)).status).toBe(200);
    const expired = await get('/v1.0/applications', own);
    expect(expired.status).toBe(401);
    expect(graphErrorSchema.parse(json(expired)).error.message).toBe('Lifetime validation failed, the token is expired.');
    expect((await get('/v1.0/organization', own)).status).toBe(401);
    const fresh = await appToken(sim);
    expect((await get('/v1.0/applications', fresh)).status).toBe(200);
  });

  it('issues short-lived tokens after a switch, which then expire on the clock', async () => {
    sim.faults.set({ tokenLifetimeSeconds: 5 });
    const t = await delegatedToken(sim, 'https://graph.microsoft.com/Application.Read.All', 'admin@contoso.onmicrosoft.com');
    expect(t.expires_in).toBe(5);
    expect((await get('/v1.0/applications?$top=1', t.access_token)).status).toBe(200);
    // Graph tolerates 5 minutes of clock skew past exp, as Entra does.
    clockOffsetMs = (5 + 300 + 2) * 1000;
    expect((await get('/v1.0/applications?$top=1', t.access_token)).status).toBe(401);
  });

  it('covers every route, Exchange and the token endpoint included, when scoped so', async () => {
    sim.faults.set({ rules: [{ kind: 'throttle', path: '/adminapi', count: 1 }, { kind: 'unavailable', path: `/${sim.tenantId}/oauth2`, count: 1 }] });
    const exchange = await call(sim, 'POST', `/adminapi/beta/${sim.tenantId}/InvokeCommand`, token, { CmdletInput: { CmdletName: 'Get-InboundConnector' } });
    expect(exchange.status).toBe(429);
    const tokenCall = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials' }, sim.caPem);
    expect(tokenCall.status).toBe(503);
  });

  it('expires every token issued before a moment, on demand', async () => {
    const old = await appToken(sim);
    clockOffsetMs = 2000;
    sim.faults.expireTokens(Date.now() + clockOffsetMs);
    expect((await get('/v1.0/organization', old)).status).toBe(401);
    expect((await get('/v1.0/organization', await appToken(sim))).status).toBe(200);
  });

  it('takes faults from startSimulator options too, and refuses bad rules', async () => {
    const other = await startSimulator({ tls: certs, faults: { rules: [{ kind: 'throttle', count: 2 }] } });
    try {
      const first = await simRequest(`${other.url}/v1.0/organization`, { ca: other.caPem });
      expect(first.status).toBe(429);
      expect(first.headers['retry-after']).toBe('2');
      expect((await simRequest(`${other.url}/v1.0/organization`, { ca: other.caPem })).status).toBe(429);
      expect((await simRequest(`${other.url}/v1.0/organization`, { ca: other.caPem })).status).toBe(401);
    } finally {
      await other.close();
    }
    expect(() => sim.faults.set({ rules: [{ kind: 'slow', delayMs: -1 }] })).toThrow();
  });
});
