// The loopback browser host: the same handlers as Electron IPC, behind a token, Host and Origin checks.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../main/host/browser';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { rawExchange, rawRequest } from '../support/raw-http';

let dir: string;
let host: BrowserHost;
let workbench: Workbench;

function request(pathname: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(pathname, host.origin);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: { host: url.host, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const call = (channel: string, input: unknown, headers: Record<string, string> = {}) =>
  request(`/api/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-peregrine-token': host.token, ...headers }, body: JSON.stringify(input) });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-host-'));
  fs.mkdirSync(path.join(dir, 'renderer'));
  fs.writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html><html><head><script type="module" src="./app.js"></script></head><body></body></html>');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
  workbench = createWorkbench({ host: 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'cases'), homeDir: path.join(dir, 'home'), keyDir: path.join(dir, 'keys'), environment: null, collectionWorker: tsxWorkerEntry() });
  host = await startBrowserHost({ handlers: workbench.handlers, rendererDir: path.join(dir, 'renderer') });
});

afterAll(async () => {
  await host.close();
  await workbench.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('browser host', () => {
  it('binds to loopback and puts the token in the URL fragment only', () => {
    expect(host.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(host.url).toBe(`${host.origin}/#token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(40);
  });

  it('serves the renderer with the bridge loaded before the app, under a strict CSP', async () => {
    const res = await request('/');
    expect(res.status).toBe(200);
    expect(res.body.indexOf('peregrine-bridge.js')).toBeLessThan(res.body.indexOf('app.js'));
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    const bridge = await request('/peregrine-bridge.js');
    expect(bridge.body).toContain('"case.create"');
    expect(bridge.body).not.toContain(host.token);
  });

  it('refuses API calls without the token, from another Host or another Origin', async () => {
    expect((await call('case.current', {}, { 'x-peregrine-token': 'wrong' })).status).toBe(401);
    expect((await call('case.current', {}, { host: 'evil.example:80' })).status).toBe(421);
    expect((await call('case.current', {}, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await request('/api/case.current', { method: 'GET', headers: { 'x-peregrine-token': host.token } })).status).toBe(405);
  });

  it('does not serve files outside the renderer folder, for paths sent exactly as written', async () => {
    // Raw on the socket: `new URL()` would resolve these before the server ever saw them.
    for (const raw of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/%2E%2E%2Fsecret.txt', '/.%2e/secret.txt', '/..%5csecret.txt', '/assets/..%2f..%2fsecret.txt', '//..%2fsecret.txt', '/%2e%2e%2f%2e%2e%2f' + dir.slice(1) + '/secret.txt']) {
      const res = await rawRequest(host.origin, { path: raw });
      expect(res.status, raw).toBe(404);
      expect(res.text, raw).not.toContain('outside the renderer');
    }
    // A link inside the renderer folder that points out of it is not followed.
    fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(dir, 'renderer', 'linked.txt'));
    expect((await rawRequest(host.origin, { path: '/linked.txt' })).status).toBe(404);
  });

  it('answers a malformed escape with 400 and keeps serving', async () => {
    for (const raw of ['/%zz', '/%', '/%E0%A4%A', '/%c0%af', '/api%zz']) {
      expect((await rawRequest(host.origin, { path: raw })).status, raw).toBe(400);
    }
    expect((await rawRequest(host.origin, { path: 'http://evil.example/' })).status).toBe(400);
    expect((await request('/')).status).toBe(200);
  });

  it('refuses a body over 1 MiB with 413, announced or streamed, rather than a reset', async () => {
    const headers = { 'content-type': 'application/json', 'x-peregrine-token': host.token };
    const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), examiner: 'y' });
    const announced = await rawRequest(host.origin, { method: 'POST', path: '/api/case.create', headers, body: big });
    expect(announced.status).toBe(413);
    expect(JSON.parse(announced.body.toString())).toMatchObject({ ok: false, error: { code: 'too_large' } });
    const chunk = (b: string) => `${b.length.toString(16)}\r\n${b}\r\n`;
    const streamed = await rawRequest(host.origin, { method: 'POST', path: '/api/case.create', headers: { ...headers, 'transfer-encoding': 'chunked' }, body: chunk(big.slice(0, 1_500_000)) + chunk(big.slice(1_500_000)) + '0\r\n\r\n' });
    expect(streamed.status).toBe(413);
    expect((await call('case.current', {})).status).toBe(200);
  });

  it('turns a handler that throws into a JSON error with no stack trace and no path', async () => {
    const throwing = { ...workbench.handlers, app: { info: async () => { throw new Error(`ENOENT: no such file or directory, open '${dir}/home/settings.json'`); } } };
    const h = await startBrowserHost({ handlers: throwing as typeof workbench.handlers, rendererDir: path.join(dir, 'renderer') });
    try {
      const res = await rawRequest(h.origin, { method: 'POST', path: '/api/app.info', headers: { 'content-type': 'application/json', 'x-peregrine-token': h.token }, body: '{}' });
      expect(res.status).toBe(200);
      const result = JSON.parse(res.body.toString());
      expect(result).toMatchObject({ ok: false, error: { code: 'internal', message: "ENOENT: no such file or directory, open 'settings.json'" } });
      expect(res.text).not.toContain(dir);
      expect(res.text).not.toMatch(/\bat .*\.ts:\d+/);
    } finally {
      await h.close();
    }
  });

  it('cuts off a client that sends its headers too slowly, and serves the next one', async () => {
    const h = await startBrowserHost({ handlers: workbench.handlers, rendererDir: path.join(dir, 'renderer'), timeouts: { headersMs: 300, requestMs: 600 } });
    try {
      // Half a request line, then silence: the server must close the socket rather than wait for ever.
      const slow = await rawExchange(h.origin, [Buffer.from('GET / HTTP/1.1\r\nhost: ')], 5000);
      expect([0, 408]).toContain(slow.status);
      const res = await rawRequest(h.origin, { path: '/' });
      expect(res.status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('validates input against the contract and names the field', async () => {
    const res = JSON.parse((await call('case.create', { name: '', examiner: 'A. Examiner' })).body);
    expect(res).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(res.error.message).toMatch(/^name: /);
    const extra = JSON.parse((await call('case.create', { name: 'x', examiner: 'y', path: '/etc/passwd' })).body);
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const unknown = JSON.parse((await call('case.runSql', { sql: 'select 1' })).body);
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
  });

  it('takes app-only PEM text as JSON, checks its shape, and never echoes it', async () => {
    const key = `-----BEGIN PRIVATE KEY-----\n${'S3CR3T'.repeat(50)}\n-----END PRIVATE KEY-----\n`;
    const input = { appId: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', privateKeyPem: key };
    // Well formed, but this host has no tenant configured.
    const noTenant = await call('auth.startAppOnly', input);
    expect(JSON.parse(noTenant.body)).toMatchObject({ ok: false, error: { code: 'no_environment' } });
    const swapped = await call('auth.startAppOnly', { ...input, certificatePem: key });
    expect(JSON.parse(swapped.body)).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^certificatePem: /) } });
    expect(swapped.body).not.toContain('S3CR3T');
    const noKey = JSON.parse((await call('auth.startAppOnly', { ...input, privateKeyPem: 'hello' })).body);
    expect(noKey.error.message).toMatch(/^privateKeyPem: the private key file is not PEM text/);
  });

  it('creates a case through the same handlers Electron uses, and never reveals its path', async () => {
    const created = JSON.parse((await call('case.create', { name: 'Contoso BEC', examiner: 'A. Examiner', client: 'Contoso' })).body);
    expect(created.ok).toBe(true);
    expect(created.value.fileName).toBe('Contoso BEC.peregrine');
    expect(JSON.stringify(created)).not.toContain(dir);
    expect(fs.existsSync(path.join(dir, 'cases', 'Contoso BEC.peregrine'))).toBe(true);
    const recent = JSON.parse((await call('case.recent', {})).body);
    expect(recent.value.map((r: { name: string }) => r.name)).toEqual(['Contoso BEC']);
    const verify = JSON.parse((await call('case.verify', {})).body);
    expect(verify.value).toMatchObject({ ok: true, custodyEntries: 1, problem: null });
    const noAuth = JSON.parse((await call('collect.start', {})).body);
    expect(noAuth).toMatchObject({ ok: false, error: { code: 'auth_required' } });
  });
});
