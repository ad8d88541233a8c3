// Collection against a live simulator: real device-code sign-in, real HTTPS with the simulator's CA, real SQLite.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { createCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { listEvidence, getEvidence } from '../../db/queries/evidence';
import { listApplications, listServicePrincipals } from '../../db/queries/directory';
import { listCustody } from '../../db/queries/custody';
import { loadEnvironmentFile } from '../../main/auth/environment';
import { createTenantSession } from '../../main/auth/device-code';
import { createHttpTransport } from '../../main/http/https';
import { readOnlyTransport } from '../../main/http/read-only';
import { createGraphReader } from '../../main/graph/reader';
import { collectTenant } from '../../main/collect/sources';
import { applicationRows } from '../../main/detect';
import { main as cli, type CliIo } from '../../main/cli';

let dir: string;
let sim: SimHandle;
let envFile: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-collect-'));
  sim = await startSimulator({ scenario: 'fabrikam', seed: 11, autoApprove: false });
  envFile = (await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile;
});

afterAll(async () => {
  delete process.env.PEREGRINE_HOME;
  delete process.env.PEREGRINE_SIGNING_PASSPHRASE;
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('collectDirectory against the simulator', () => {
  it('stores every page as evidence, derives exactly the seeded objects, and logs custody', async () => {
    const env = loadEnvironmentFile(envFile);
    const transport = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' });
    const session = createTenantSession(env, transport);
    const upn = sim.groundTruth.compromisedUser.userPrincipalName;
    const account = await session.signInWithDeviceCode((prompt) => sim.approve(prompt.userCode, upn));
    expect(account.username).toBe(upn);

    const { db } = createCase(path.join(dir, 'a.peregrine'), { name: 'Fabrikam', examiner: 'A. Examiner' }, { clock: () => new Date(), toolVersion: 'test' });
    const graph = createGraphReader({ baseUrl: env.graphBaseUrl, transport: readOnlyTransport(transport), getToken: () => session.getAccessToken(env.graphScopes) });
    const runId = crypto.randomUUID();
    // A small page size makes the collector follow several nextLinks per source.
    const status = await collectTenant({ db, readers: { graph }, clock: () => new Date(), pageSize: 7 }, { runId, environment: env.name, tenantId: account.tenantId, account: account.username, actor: 'A. Examiner' });

    expect(status.state).toBe('done');
    const truth = sim.groundTruth;
    const apps = listApplications(db, runId);
    const sps = listServicePrincipals(db, runId);
    expect(apps).toHaveLength(truth.counts.applications);
    expect(sps).toHaveLength(truth.counts.servicePrincipals);
    expect(new Set(apps.map((a) => a.objectId))).toEqual(new Set(sim.tenant.applications.map((a) => a.id)));
    expect(new Set(sps.map((s) => s.objectId))).toEqual(new Set(sim.tenant.servicePrincipals.map((s) => s.id)));
    expect(status.sources.find((s) => s.source === 'graph.applications')!.pages).toBe(Math.ceil(truth.counts.applications / 7));

    // Evidence: one row per page served, each hash the sha256 of the stored bytes, and the bytes are the page as served.
    const evidence = listEvidence(db, runId);
    expect(evidence.length).toBe(status.sources.reduce((n, s) => n + s.pages, 0));
    for (const ev of evidence) {
      const full = getEvidence(db, ev.id)!;
      expect(createHash('sha256').update(full.body).digest('hex')).toBe(ev.sha256);
      // A collection page, a single entity Graph serves without a value list, or a $batch answer (its request kept too).
      const page = JSON.parse(full.body.toString('utf8')) as { value?: { id: string }[]; id?: string; responses?: unknown[] };
      expect(Array.isArray(page.value) || typeof page.id === 'string' || Array.isArray(page.responses)).toBe(true);
      if (ev.method === 'POST') expect(JSON.parse(full.requestBody!)).toBeTruthy();
    }
    const malicious = apps.find((a) => a.objectId === truth.maliciousApp.applicationObjectId)!;
    expect(evidence.find((e) => e.id === malicious.evidenceId)!.sha256).toBe(malicious.evidenceSha256);
    expect(JSON.stringify(malicious.raw)).not.toMatch(/"secretText"\s*:\s*"/);
    const credentialKeyIds = [...malicious.passwordCredentials, ...malicious.keyCredentials].map((c) => c.keyId);
    expect(truth.maliciousApp.credentialKeyIds.length).toBeGreaterThan(0);
    expect(credentialKeyIds).toEqual(expect.arrayContaining(truth.maliciousApp.credentialKeyIds));

    expect(listCustody(db).map((c) => c.action)).toEqual(['case.created', 'collection.started', 'collection.finished']);

    // Detection: the attacker's app is flagged with its reason; no decoy is rated high or critical.
    const rows = applicationRows(db);
    const flagged = rows.find((r) => r.id === truth.maliciousApp.applicationObjectId)!;
    expect(flagged.flags[0]!.severity).toBe('critical');
    expect(flagged.flags.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['app.tenant-label-name', 'app.exchange-manage-as-app', 'sp.privileged-role']));
    expect(flagged.flags.map((f) => f.reason).join(' ')).toContain(`domain label "${truth.tenantLabel}"`);
    for (const decoy of truth.decoys) {
      const row = rows.find((r) => r.appId === decoy.appId);
      for (const f of row?.flags ?? []) expect(['info', 'low', 'medium']).toContain(f.severity);
    }
    // Permissions read as names, from the resource service principals' app roles and delegated scopes.
    const permissions = rows.flatMap((r) => r.permissions);
    expect(permissions).toContain('Office 365 Exchange Online: Exchange.ManageAsApp (application)');
    expect(permissions.filter((p) => p.startsWith('Microsoft Graph:'))).not.toEqual([]);
    expect(permissions.filter((p) => p.startsWith('Microsoft Graph:') && /: [0-9a-f-]{36} \(/.test(p))).toEqual([]);
    expect(rows.filter((r) => r.flags.some((f) => f.severity === 'high' || f.severity === 'critical')).map((r) => r.id)).toEqual([truth.maliciousApp.applicationObjectId]);
    closeDatabase(db);
  });

  it('runs the CLI end to end: create, collect with auto-approval, detect, export, and openssl accepts the signature', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, clock: () => new Date() };
    process.env.PEREGRINE_HOME = path.join(dir, 'home'); // the examiner key goes here, not into the real home
    process.env.PEREGRINE_SIGNING_PASSPHRASE = 'integration test passphrase';
    const file = path.join(dir, 'cli.peregrine');
    expect(await cli(['case', 'create', file, '--name', 'Fabrikam CLI', '--examiner', 'B. Examiner'], io)).toBe(0);
    // Two days of sign-ins and audits: enough pages to prove the logs land, few enough to stay quick under pacing.
    expect(await cli(['collect', file, '--env', envFile, '--auto-approve-on-sim', '--days', '2'], io), err.join('\n')).toBe(0);
    expect(err.join('\n')).toMatch(/Collection .* complete/);
    // Preflight read the admin's directory roles from their role assignments.
    expect(err.join('\n')).toMatch(/Directory roles of .*: .*Global Administrator/);
    expect(await cli(['case', 'info', file, '--json'], io)).toBe(0);
    const info = JSON.parse(out.at(-1)!) as { runs: { sources: { source: string; state: string; records: number; windowFrom: string | null; windowTo: string | null }[] }[] };
    const signIns = info.runs[0]!.sources.find((s) => s.source === 'graph.signIns')!;
    expect(signIns).toMatchObject({ state: 'done', windowTo: new Date(sim.groundTruth.referenceTime).toISOString() });
    expect(signIns.records).toBeGreaterThan(0);
    expect(info.runs[0]!.sources.every((s) => s.state === 'done')).toBe(true);
    expect(await cli(['detect', file, '--json'], io)).toBe(0);
    const findings = (JSON.parse(out.at(-1)!) as { findings: { ruleId: string; objects: { kind: string; id: string; evidenceSha256: string }[]; events: { recordId: string }[]; severity: string }[] }).findings;
    const strong = findings.filter((f) => f.severity === 'critical' || f.severity === 'high');
    expect(strong.flatMap((f) => f.objects.filter((o) => o.kind === 'application').map((o) => o.id))).toContain(sim.groundTruth.maliciousApp.applicationObjectId);
    // Each object a finding rests on names the evidence row it was read from.
    for (const o of strong.flatMap((f) => f.objects)) expect(o.evidenceSha256).toMatch(/^[0-9a-f]{64}$/);

    const exportDir = path.join(dir, 'export');
    expect(await cli(['export', file, '--out', exportDir], io)).toBe(0);
    const openssl = spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'signer.pub.pem', '-rawin', '-in', 'manifest.json', '-sigfile', 'manifest.json.sig'], { cwd: exportDir, encoding: 'utf8' });
    expect(openssl.stdout + openssl.stderr).toMatch(/Signature Verified Successfully/);
    expect(await cli(['verify', exportDir], io)).toBe(0);
    expect(await cli(['verify', file], io)).toBe(0);
  }, 180_000);

  it('collects app-only with the engagement app\'s certificate, Exchange included, with no person signing in', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, clock: () => new Date() };
    const file = path.join(dir, 'app-only.peregrine');
    expect(await cli(['case', 'create', file, '--name', 'App-only', '--examiner', 'C. Examiner'], io)).toBe(0);
    expect(await cli(['collect', file, '--env', envFile, '--app-only', '--exchange', '--days', '2'], io), err.join('\n')).toBe(0);
    expect(err.join('\n')).toMatch(/Signed in app-only as app:/);
    expect(err.join('\n')).not.toMatch(/devicelogin/);
    expect(await cli(['case', 'info', file, '--json'], io)).toBe(0);
    const info = JSON.parse(out.at(-1)!) as { runs: { account: string; sources: { source: string; state: string; records: number }[] }[] };
    expect(info.runs[0]!.account).toBe(`app:${sim.environment.engagementApp.clientId}`);
    const rules = info.runs[0]!.sources.find((s) => s.source === 'exo.transportRules')!;
    expect(rules).toMatchObject({ state: 'done', records: sim.groundTruth.exchange!.counts.transportRules });
  });

  it('keeps tokens between runs only in the encrypted cache, and signs in from it without a code', async () => {
    const err: string[] = [];
    const io: CliIo = { out: () => undefined, err: (l) => err.push(l), isTTY: false, clock: () => new Date() };
    const file = path.join(dir, 'cached.peregrine');
    const cache = path.join(dir, 'home', 'tokens.bin');
    expect(await cli(['case', 'create', file, '--name', 'Cached', '--examiner', 'D. Examiner'], io)).toBe(0);
    expect(await cli(['collect', file, '--env', envFile, '--token-cache', cache, '--no-logs'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/PEREGRINE_TOKEN_CACHE_PASSPHRASE/);
    process.env.PEREGRINE_TOKEN_CACHE_PASSPHRASE = 'a long test passphrase';
    try {
      expect(await cli(['collect', file, '--env', envFile, '--auto-approve-on-sim', '--token-cache', cache, '--no-logs'], io)).toBe(0);
      expect(fs.readFileSync(cache).includes(Buffer.from('refresh_token'))).toBe(false);
      err.length = 0;
      expect(await cli(['collect', file, '--env', envFile, '--auto-approve-on-sim', '--token-cache', cache, '--no-logs'], io)).toBe(0);
      expect(err.join('\n')).toMatch(/from the encrypted token cache/);
      expect(err.join('\n')).not.toMatch(/devicelogin/);
    } finally {
      delete process.env.PEREGRINE_TOKEN_CACHE_PASSPHRASE;
    }
    // Two whole directory collections and the cache's key derivation: 14 s on a quiet machine, near a minute under load.
  }, 180_000);

  it('refuses --auto-approve-on-sim for a real tenant', async () => {
    const err: string[] = [];
    const io: CliIo = { out: () => undefined, err: (l) => err.push(l), isTTY: false, clock: () => new Date() };
    const file = path.join(dir, 'real.peregrine');
    await cli(['case', 'create', file, '--name', 'X', '--examiner', 'Y'], io);
    expect(await cli(['collect', file, '--tenant', 'contoso.onmicrosoft.com', '--auto-approve-on-sim'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/only works with a simulator environment file/);
  });
});
