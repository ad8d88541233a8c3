// App-only sign-in through the workbench handlers (the calls the UI makes): preflight and a collection with Exchange on one certificate, and the key kept out of the case file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles, type EnvironmentFiles } from '../sim/environment';
import { loadEnvironmentFile } from '../../main/auth/environment';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { dispatch } from '../../main/host/dispatch';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { bridgeCaller } from '../support/bridge';
import type { CollectionRunView, CollectionStatus, CustodyEntryView, DetectionReport, PreflightView, SignInState } from '../../preload/contract';

let dir: string;
let sim: SimHandle;
let files: EnvironmentFiles;
let workbench: Workbench;
let appId: string;
let certificatePem: string;
let privateKeyPem: string;

const call = bridgeCaller(() => workbench.handlers);
const refusal = async (channel: string, input: unknown = {}) => {
  const result = await dispatch(workbench.handlers, channel, input);
  if (result.ok) throw new Error(`${channel} was accepted`);
  return result.error;
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-app-only-ui-'));
  sim = await startSimulator({ scenario: 'contoso', seed: 4, users: 40, days: 3, reportsThrottle: { limit: 1_000_000 } });
  files = await writeEnvironmentFiles(path.join(dir, 'sim'), sim);
  appId = sim.environment.engagementApp.clientId;
  certificatePem = fs.readFileSync(files.engagementCertificateFile, 'utf8');
  privateKeyPem = fs.readFileSync(files.engagementPrivateKeyFile, 'utf8');
  workbench = createWorkbench({
    host: 'browser',
    toolVersion: '0.0.0-test',
    casesDir: path.join(dir, 'cases'),
    homeDir: path.join(dir, 'home'),
    keyDir: path.join(dir, 'keys'),
    environment: loadEnvironmentFile(files.environmentFile),
    collectionWorker: tsxWorkerEntry(),
  });
});

afterAll(async () => {
  await workbench?.close();
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The key's base64 body, line by line: any one of them in a file or message would be a leak. */
const keyLines = () => privateKeyPem.split('\n').filter((l) => l.length >= 32 && !l.startsWith('-----'));

describe('app-only sign-in from the workbench', () => {
  it('refuses a key from another key pair in words, and keeps no session', async () => {
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const before = sim.requests.length;
    const state = await call<SignInState>('auth.startAppOnly', { appId, certificatePem, privateKeyPem: otherKey });
    expect(state.state).toBe('error');
    expect(state.state === 'error' && state.message).toMatch(/^App-only sign-in failed: The private key does not match the certificate CN=Peregrine IR collection \(SHA-1 thumbprint [0-9A-F]{40}\)/);
    expect(JSON.stringify(state)).not.toContain(otherKey.split('\n')[1]);
    // Checked before any request to the tenant.
    expect(sim.requests.length).toBe(before);
    expect(await call<SignInState>('auth.status')).toEqual({ state: 'signed-out' });
    expect(await call<SignInState>('auth.exchangeStatus')).toEqual({ state: 'signed-out' });
  });

  it('reports the tenant refusing the assertion and an input that is not PEM, naming the field', async () => {
    const refused = await call<SignInState>('auth.startAppOnly', { appId: sim.tenant.remediationClient.appId, certificatePem, privateKeyPem });
    expect(refused.state === 'error' && refused.message).toMatch(/^App-only sign-in failed: The tenant refused the app-only sign-in \(AADSTS700027\)/);
    expect(await call<SignInState>('auth.status')).toEqual({ state: 'signed-out' });

    const swapped = await refusal('auth.startAppOnly', { appId, certificatePem: privateKeyPem, privateKeyPem: certificatePem });
    expect(swapped).toMatchObject({ code: 'invalid_input', message: 'certificatePem: the certificate file is not PEM text (expected -----BEGIN CERTIFICATE-----)' });
    // The refusal (message and detail) never repeats what was sent.
    for (const line of keyLines()) expect(JSON.stringify(swapped)).not.toContain(line);
    expect(await refusal('auth.startAppOnly', { appId: 'not-a-guid', certificatePem, privateKeyPem })).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^appId: /) });
    expect(await refusal('auth.startAppOnly', { appId, certificatePem, privateKeyPem: `${privateKeyPem}${'A'.repeat(17_000)}` })).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^privateKeyPem: .*larger than 16 KB/) });
    expect(await refusal('auth.startAppOnly', { appId, certificatePem, privateKeyPem, privateKeyFile: '/etc/key.pem' })).toMatchObject({ code: 'invalid_input' });
  });

  it('refuses an expired certificate by its date', async () => {
    const later = createWorkbench({
      host: 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'later'), homeDir: path.join(dir, 'later-home'), keyDir: path.join(dir, 'later-keys'),
      environment: loadEnvironmentFile(files.environmentFile), collectionWorker: tsxWorkerEntry(), clock: () => new Date('2050-06-01T00:00:00Z'),
    });
    try {
      const state = await later.handlers.auth.startAppOnly({ appId, certificatePem, privateKeyPem });
      expect(state.state === 'error' && state.message).toMatch(/expired on 2049-12-31T23:59:59\.000Z\. Ask the client to upload a new certificate/);
      expect(await later.handlers.auth.status({})).toEqual({ state: 'signed-out' });
    } finally {
      await later.close();
    }
  });

  it('signs in app-only, runs the preflight and collects Graph and Exchange with no device code; the key is nowhere in the case file or custody', async () => {
    await call('case.create', { name: 'Contoso app-only', examiner: 'A. Examiner' });
    const deviceCodeRequests = () => sim.requests.filter((r) => r.path.includes('/devicecode')).length;
    const codesBefore = deviceCodeRequests();

    const state = await call<SignInState>('auth.startAppOnly', { appId, certificatePem, privateKeyPem });
    expect(state).toMatchObject({ state: 'signed-in', method: 'app-only', username: `app:${appId}`, tenantId: sim.tenantId, certificate: { subject: expect.stringContaining('Peregrine IR collection'), thumbprintSha1: sim.tenant.engagementApp.certificate.thumbprintSha1 } });
    expect(state.state === 'signed-in' && state.scopes).toContain('Application.Read.All');
    // One credential serves both audiences: Exchange reads as signed in, and asking for it again needs nothing.
    expect(await call<SignInState>('auth.status')).toEqual(state);
    expect(await call<SignInState>('auth.exchangeStatus')).toEqual(state);
    expect(await call<SignInState>('auth.startExchange')).toEqual(state);

    const plan = await call<PreflightView>('collect.preflight', { logDays: 2, exchange: true });
    const rows = Object.fromEntries(plan.rows.map((r) => [r.source, r]));
    expect(rows['graph.applications']?.status).toBe('ok');
    expect(plan.rows.filter((r) => r.service === 'exchange').length).toBeGreaterThan(0);
    expect(plan.rows.every((r) => r.status !== 'not-signed-in')).toBe(true);

    const mailbox = sim.tenant.users.find((u) => sim.exchange.state.inboxRules(u).length > 0)!;
    const started = await call<CollectionStatus>('collect.start', { logDays: 2, exchange: true, inboxRuleMailboxes: [mailbox.userPrincipalName] });
    let status = started;
    for (let i = 0; i < 600 && status.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = await call<CollectionStatus>('collect.status', { runId: started.runId });
    }
    expect(status.error).toBeNull();
    expect(status.state).toBe('done');
    const records = Object.fromEntries(status.sources.map((s) => [s.source, s.records]));
    expect(records['graph.applications']).toBe(sim.groundTruth.counts.applications);
    expect(records['exo.transportRules']).toBe(sim.groundTruth.exchange!.counts.transportRules);
    expect(records['exo.inboundConnectors']).toBe(sim.groundTruth.exchange!.counts.inboundConnectors);
    expect(records['exo.inboxRules']).toBe(sim.exchange.state.inboxRules(mailbox).length);
    expect(status.sources.every((s) => s.state === 'done')).toBe(true);
    expect(deviceCodeRequests()).toBe(codesBefore);
    // Exchange answered every call made with the app's token (routed by the tenant's system mailbox).
    const invokes = sim.requests.filter((r) => r.path.includes('/InvokeCommand'));
    expect(invokes.length).toBeGreaterThan(0);
    expect(invokes.every((r) => r.status === 200)).toBe(true);
    // ExchangeOnlineManagement's app-only anchor: the system mailbox by tenant id.
    expect(new Set(sim.exchange.anchors.filter((a) => a.app).map((a) => a.anchor))).toEqual(new Set([`APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${sim.tenantId}`]));

    const [run] = await call<CollectionRunView[]>('collect.runs');
    expect(run?.account).toBe(`app:${appId}`);
    // The findings know the engagement app the collection used: holding Exchange.ManageAsApp is expected of it.
    const report = await call<DetectionReport>('findings.list');
    const engagement = report.findings.filter((f) => f.objects.some((o) => o.kind === 'servicePrincipal' && o.id === sim.tenant.engagementApp.servicePrincipalId));
    expect(engagement.map((f) => f.ruleId)).toContain('app.exchange-manage-as-app');
    for (const f of engagement) expect(f.severity).toBe('info');
    expect(engagement.find((f) => f.ruleId === 'app.exchange-manage-as-app')!.reason).toMatch(/engagement app this collection signed in with/);

    const custody = await call<CustodyEntryView[]>('case.custody');
    const custodyText = JSON.stringify(custody);
    expect(custodyText).toContain(appId);
    await call('case.close');
    const caseFile = fs.readdirSync(path.join(dir, 'cases')).find((f) => f.endsWith('.peregrine'))!;
    const bytes = fs.readFileSync(path.join(dir, 'cases', caseFile));
    expect(bytes.length).toBeGreaterThan(10_000);
    // Every file SQLite may keep beside the case (WAL, journal) is searched too.
    const beside = fs.readdirSync(path.join(dir, 'cases')).map((f) => fs.readFileSync(path.join(dir, 'cases', f)));
    for (const line of keyLines()) {
      expect(custodyText).not.toContain(line);
      for (const b of beside) expect(b.includes(line)).toBe(false);
    }
    for (const b of beside) expect(b.includes('PRIVATE KEY')).toBe(false);
    // Nothing beside the case, in Peregrine's home or its key folder, holds it either.
    for (const folder of ['home', 'keys'].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f))) {
      for (const f of fs.readdirSync(folder, { recursive: true }) as string[]) {
        const p = path.join(folder, f);
        if (fs.statSync(p).isFile()) for (const line of keyLines()) expect(fs.readFileSync(p).includes(line), p).toBe(false);
      }
    }
  });

  it('signs out of the app-only session, and device-code sign-in works again after it', async () => {
    const out = await call<SignInState>('auth.signOut');
    expect(out).toEqual({ state: 'signed-out' });
    expect(await call<SignInState>('auth.exchangeStatus')).toEqual({ state: 'signed-out' });
    await call('case.open', { caseId: (await call<{ caseId: string }[]>('case.recent'))[0]!.caseId });
    expect(await refusal('collect.start', { logDays: 0 })).toMatchObject({ code: 'auth_required' });

    const waiting = await call<SignInState>('auth.start');
    expect(waiting.state).toBe('waiting');
    if (waiting.state !== 'waiting') return;
    await sim.approve(waiting.userCode, sim.groundTruth.compromisedUser.userPrincipalName);
    let state = waiting as SignInState;
    for (let i = 0; i < 100 && state.state === 'waiting'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await call<SignInState>('auth.status');
    }
    expect(state).toMatchObject({ state: 'signed-in', method: 'device-code', username: sim.groundTruth.compromisedUser.userPrincipalName });
    // Delegated Exchange still needs its own sign-in.
    expect(await call<SignInState>('auth.exchangeStatus')).toEqual({ state: 'signed-out' });
    await call('auth.signOut');
  });
});
