// The Graph reader: paging, Retry-After, token refresh on 401, and refusing to leak the token to another origin.
import { describe, expect, it } from 'vitest';
import { createGraphReader, retryAfterMs, GraphError } from '../../main/graph/reader';
import { HttpError, type HttpResponse } from '../../main/http/https';
import { json, scripted } from './support/scripted-transport';


describe('createGraphReader', () => {
  it('follows nextLink and yields every page with its raw bytes', async () => {
    const { transport, seen } = scripted([
      json(200, { value: [{ id: 1 }, { id: 2 }], '@odata.nextLink': 'https://graph.test/v1.0/applications?$skiptoken=abc' }),
      json(200, { value: [{ id: 3 }] }),
    ]);
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport, getToken: async () => 't0k' });
    const ids: unknown[] = [];
    for await (const page of reader.pages('/v1.0/applications?$top=2')) {
      expect(JSON.parse(page.body.toString())).toHaveProperty('value');
      ids.push(...page.value.map((v) => (v as { id: number }).id));
    }
    expect(ids).toEqual([1, 2, 3]);
    expect(seen.map((r) => r.url)).toEqual(['https://graph.test/v1.0/applications?$top=2', 'https://graph.test/v1.0/applications?$skiptoken=abc']);
    expect(seen[0]!.headers!.authorization).toBe('Bearer t0k');
  });

  it('waits as long as Retry-After says on 429, then continues', async () => {
    const waits: number[] = [];
    const { transport } = scripted([json(429, { error: { code: 'TooManyRequests' } }, { 'retry-after': '7' }), json(200, { value: [{ id: 1 }] })]);
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport, getToken: async () => 't', sleep: async (ms) => void waits.push(ms) });
    const page = await reader.page('https://graph.test/v1.0/users');
    expect(page.value).toHaveLength(1);
    expect(waits).toEqual([7000]);
  });

  it('gets a fresh token, not the cached one, once after a 401', async () => {
    let n = 0;
    const forced: boolean[] = [];
    const { transport, seen } = scripted([json(401, { error: { code: 'InvalidAuthenticationToken', message: 'expired' } }), json(200, { value: [] })]);
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport, getToken: async (o) => (forced.push(!!o?.forceRefresh), `t${++n}`) });
    await reader.page('https://graph.test/v1.0/users');
    expect(seen.map((r) => r.headers!.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
    expect(forced).toEqual([false, true]);
  });

  it('gives up after the retry budget with a message that says what to do', async () => {
    const { transport } = scripted(Array.from({ length: 3 }, () => json(503, {}, { 'retry-after': '0' })));
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport, getToken: async () => 't', sleep: async () => undefined, maxRetries: 2 });
    await expect(reader.page('https://graph.test/v1.0/users')).rejects.toThrow(/resume the collection later/);
  });

  it('reports Graph errors with their code', async () => {
    const { transport } = scripted([json(403, { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } })]);
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport, getToken: async () => 't' });
    const err = await reader.page('https://graph.test/v1.0/applications').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).code).toBe('Authorization_RequestDenied');
    expect((err as GraphError).status).toBe(403);
  });

  it('asks again for a truncated page, and refuses one that stays broken instead of storing half of it', async () => {
    const broken = () => ({ status: 200, headers: {}, body: Buffer.from('{"value":[{"id":1},') });
    const once = scripted([broken(), json(200, { value: [{ id: 1 }] })]);
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport: once.transport, getToken: async () => 't', sleep: async () => undefined });
    expect((await reader.page('https://graph.test/v1.0/applications')).value).toHaveLength(1);

    const always = scripted([broken(), broken(), broken()]);
    const stubborn = createGraphReader({ baseUrl: 'https://graph.test', transport: always.transport, getToken: async () => 't', sleep: async () => undefined, maxRetries: 2 });
    await expect(stubborn.page('https://graph.test/v1.0/applications')).rejects.toThrow(/not valid JSON/);
    expect(always.seen).toHaveLength(3);
  });

  it('asks again after a connection reset mid-page', async () => {
    let calls = 0;
    const transport = async (): Promise<HttpResponse> => {
      if (calls++ === 0) throw new HttpError('Connection closed before the response was complete.', 'https://graph.test/v1.0/users', 'ECONNRESET');
      return json(200, { value: [{ id: 7 }] });
    };
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport, getToken: async () => 't', sleep: async () => undefined });
    expect((await reader.page('https://graph.test/v1.0/users')).value).toEqual([{ id: 7 }]);
    expect(calls).toBe(2);
  });

  it('sends up to 20 GETs in one $batch, and the whole batch again after a throttled sub-request', async () => {
    const waits: number[] = [];
    const { transport, seen } = scripted([
      json(200, { responses: [{ id: '1', status: 200, body: { value: [] } }, { id: '2', status: 429, headers: { 'Retry-After': '3' }, body: {} }] }),
      json(200, { responses: [{ id: '1', status: 200, body: { value: [{ id: 'r' }] } }, { id: '2', status: 200, body: { id: 'p' } }] }),
    ]);
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport, getToken: async () => 't', sleep: async (ms) => void waits.push(ms) });
    const batch = await reader.batch([{ id: '1', url: '/directoryRoles' }, { id: '2', url: '/policies/identitySecurityDefaultsEnforcementPolicy' }]);
    expect(waits).toEqual([3000]);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('https://graph.test/v1.0/$batch');
    expect(JSON.parse(String(seen[0]!.body))).toEqual({ requests: [{ id: '1', method: 'GET', url: '/directoryRoles' }, { id: '2', method: 'GET', url: '/policies/identitySecurityDefaultsEnforcementPolicy' }] });
    expect(batch.responses.get('2')).toMatchObject({ status: 200, body: { id: 'p' } });
    expect(JSON.parse(batch.requestBody).requests).toHaveLength(2);
    expect(() => reader.batch(Array.from({ length: 21 }, (_, i) => ({ id: String(i), url: '/users' })))).toThrow(/1 to 20 requests/);
  });

  it('never follows a nextLink to another origin', async () => {
    const { transport, seen } = scripted([json(200, { value: [], '@odata.nextLink': 'https://evil.test/steal' })]);
    const reader = createGraphReader({ baseUrl: 'https://graph.test', transport, getToken: async () => 't' });
    const pages = reader.pages('/v1.0/applications');
    await pages.next();
    await expect(pages.next()).rejects.toThrow(/not on https:\/\/graph\.test/);
    expect(seen).toHaveLength(1);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, HTTP dates, and backs off without the header', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(Date.now() + 60_000).toUTCString(), 0)).toBeGreaterThan(55_000);
    expect(retryAfterMs(undefined, 0)).toBe(2000);
    expect(retryAfterMs(undefined, 3)).toBe(16_000);
    expect(retryAfterMs(undefined, 10)).toBe(60_000);
  });
});
