// The loopback browser host: the same handlers as Electron IPC, behind a token, Host and Origin checks.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserHost, type BrowserHost } from '../../main/host/browser';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';

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

  it('does not serve files outside the renderer folder', async () => {
    expect((await request('/../secret.txt')).status).toBe(404);
    expect((await request('/%2e%2e/secret.txt')).status).toBe(404);
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
