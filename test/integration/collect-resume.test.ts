// Checkpoints: a cancelled or killed (-9) collection resumes from the last stored page; nothing is lost or duplicated.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { createCase, openCase } from '../../main/case/case';
import { verifyCaseFile } from '../../main/case/verify';
import { closeDatabase } from '../../db/connection';
import { listEvidence } from '../../db/queries/evidence';
import { listApplications, listServicePrincipals } from '../../db/queries/directory';
import { getRun, listRuns } from '../../db/queries/runs';
import { listSources } from '../../db/queries/sources';
import { listCustody } from '../../db/queries/custody';
import { loadEnvironmentFile } from '../../main/auth/environment';
import { createTenantSession } from '../../main/auth/device-code';
import { createHttpTransport } from '../../main/http/https';
import { readOnlyTransport } from '../../main/http/read-only';
import { createGraphReader } from '../../main/graph/reader';
import { createExchangeReaderFor } from '../../main/exchange/reader';
import { exchangeAudience } from '../../main/auth/device-code';
import { listObjects } from '../../db/queries/objects';
import { collectTenant } from '../../main/collect/sources';
import { main as cli } from '../../main/cli';

let dir: string;
let sim: SimHandle;
let envFile: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-resume-'));
  // Not a throttling test: lift the 5-per-10-s report limit (page size 1 makes hundreds of report calls).
  sim = await startSimulator({ scenario: 'contoso', seed: 3, reportsThrottle: { limit: 1_000_000 } });
  envFile = (await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile;
});

afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function assertCompleteAndUnique(file: string, runId: string, pageSize: number) {
  const { db } = openCase(file);
  try {
    const truth = sim.groundTruth.counts;
    const apps = listApplications(db, runId);
    expect(apps).toHaveLength(truth.applications);
    expect(new Set(apps.map((a) => a.objectId)).size).toBe(truth.applications);
    expect(listServicePrincipals(db, runId)).toHaveLength(truth.servicePrincipals);
    const sources = Object.fromEntries(listSources(db, runId).map((s) => [s.source, s]));
    // The account of what was collected equals what the tenant holds: no record counted twice.
    expect(sources['graph.applications']).toMatchObject({ state: 'done', records: truth.applications, pages: Math.ceil(truth.applications / pageSize), nextUrl: null });
    expect(sources['graph.servicePrincipals']).toMatchObject({ state: 'done', records: truth.servicePrincipals });
    // Every stored page is a distinct page of the tenant: none fetched twice into evidence.
    const appPages = listEvidence(db, runId).filter((e) => e.source === 'graph.applications');
    expect(appPages).toHaveLength(Math.ceil(truth.applications / pageSize));
    expect(new Set(appPages.map((e) => e.url)).size).toBe(appPages.length);
    expect(getRun(db, runId)!.state).toBe('done');
  } finally {
    closeDatabase(db);
  }
  expect(verifyCaseFile(file).problems).toEqual([]);
  // Every row a resumed (or killed and resumed) run stored derives again from its evidence, none twice, none left over.
  expect(verifyCaseFile(file, { deep: true }).problems).toEqual([]);
}

describe('resumable collection', () => {
  it('resumes a cancelled run from its checkpoint', async () => {
    const env = loadEnvironmentFile(envFile);
    const transport = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' });
    const session = createTenantSession(env, transport);
    await session.signInWithDeviceCode((p) => sim.approve(p.userCode, sim.groundTruth.compromisedUser.userPrincipalName));
    const graph = createGraphReader({ baseUrl: env.graphBaseUrl, transport: readOnlyTransport(transport), getToken: () => session.getAccessToken(env.graphScopes) });
    const file = path.join(dir, 'cancel.peregrine');
    const { db } = createCase(file, { name: 'Resume', examiner: 'A. Examiner' }, { clock: () => new Date(), toolVersion: 'test' });
    const runId = crypto.randomUUID();
    const target = { runId, environment: env.name, tenantId: sim.tenantId, account: 'admin', actor: 'A. Examiner' };

    const abort = new AbortController();
    const first = await collectTenant(
      {
        db, readers: { graph }, clock: () => new Date(), pageSize: 5, signal: abort.signal,
        onProgress: (s) => {
          if ((s.sources.find((x) => x.source === 'graph.applications')?.pages ?? 0) >= 3) abort.abort();
        },
      },
      target,
    );
    expect(first.state).toBe('cancelled');
    expect(first.sources.find((s) => s.source === 'graph.applications')!.pages).toBe(3);
    expect(first.sources.find((s) => s.source === 'graph.servicePrincipals')!.state).toBe('pending');

    const second = await collectTenant({ db, readers: { graph }, clock: () => new Date(), pageSize: 5 }, { ...target, resume: true });
    expect(second.state).toBe('done');
    expect(listCustody(db).map((c) => c.action)).toEqual(['case.created', 'collection.started', 'collection.finished', 'collection.resumed', 'collection.finished']);
    closeDatabase(db);
    assertCompleteAndUnique(file, runId, 5);
  });

  it('resumes after kill -9 mid-run with zero records lost or duplicated', async () => {
    const file = path.join(dir, 'killed.peregrine');
    const home = path.join(dir, 'home');
    const io = { out: () => undefined, err: () => undefined, isTTY: false, clock: () => new Date() };
    expect(await cli(['case', 'create', file, '--name', 'Killed', '--examiner', 'A. Examiner'], io)).toBe(0);

    // A real second process, killed without warning once it has stored a few pages.
    const child = spawn(process.execPath, ['bin/peregrine.js', 'collect', file, '--env', envFile, '--auto-approve-on-sim', '--page-size', '1', '--no-logs'], {
      env: { ...process.env, PEREGRINE_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killedAt = await new Promise<number>((resolve, reject) => {
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (const line of buffer.split('\n').slice(0, -1)) {
          const event = JSON.parse(line) as { sources: { source: string; pages: number }[] };
          const pages = event.sources.find((s) => s.source === 'graph.applications')?.pages ?? 0;
          if (pages >= 7 && !child.killed) {
            child.kill('SIGKILL');
            resolve(pages);
          }
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? undefined : reject(new Error(`collector exited on its own (${code}) before it could be killed`))));
    });
    await new Promise((r) => child.once('exit', r));
    expect(killedAt).toBeGreaterThanOrEqual(7);

    const { db } = openCase(file);
    const [run] = listRuns(db);
    expect(run!.state).toBe('running');
    const stored = listSources(db, run!.runId).find((s) => s.source === 'graph.applications')!;
    expect(stored.pages).toBeGreaterThanOrEqual(7);
    expect(stored.pages).toBeLessThan(sim.groundTruth.counts.applications);
    closeDatabase(db);

    process.env.PEREGRINE_HOME = home;
    try {
      expect(await cli(['collect', file, '--env', envFile, '--auto-approve-on-sim', '--page-size', '1', '--no-logs', '--resume'], io)).toBe(0);
    } finally {
      delete process.env.PEREGRINE_HOME;
    }
    assertCompleteAndUnique(file, run!.runId, 1);
  });

  it('resumes across the sign-in kinds, deleted items and audit settings: each source as the tenant holds it, nothing twice', async () => {
    const env = loadEnvironmentFile(envFile);
    const transport = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' });
    const admin = sim.groundTruth.compromisedUser.userPrincipalName;
    const session = createTenantSession(env, transport);
    await session.signInWithDeviceCode((p) => sim.approve(p.userCode, admin));
    const exo = createTenantSession(env, transport, () => new Date(), exchangeAudience(env));
    await exo.signInWithDeviceCode((p) => sim.approve(p.userCode, admin));
    const graph = createGraphReader({ baseUrl: env.graphBaseUrl, transport: readOnlyTransport(transport), getToken: () => session.getAccessToken(env.graphScopes) });
    const exchange = createExchangeReaderFor(env, { tenantId: sim.tenantId, transport: readOnlyTransport(transport), getToken: (o) => exo.getAccessToken(env.exchangeScopes, o), anchorMailbox: `UPN:${admin}` });
    const file = path.join(dir, 'kinds.peregrine');
    const { db } = createCase(file, { name: 'Resume kinds', examiner: 'A. Examiner' }, { clock: () => new Date(), toolVersion: 'test' });
    const runId = crypto.randomUUID();
    const window = sim.groundTruth.logs!.window;
    const target = { runId, environment: env.name, tenantId: sim.tenantId, account: admin, actor: 'A. Examiner', window: { from: window.from, to: window.to } };
    const abort = new AbortController();
    // Stopped after the first of the non-interactive sign-ins' pages (there are two).
    const first = await collectTenant({
      db, readers: { graph, exchange }, clock: () => new Date(), signal: abort.signal,
      onProgress: (s) => {
        if ((s.sources.find((x) => x.source === 'graph.nonInteractiveSignIns')?.pages ?? 0) >= 1) abort.abort();
      },
    }, target);
    expect(first.state).toBe('cancelled');
    const stopped = first.sources.find((s) => s.source === 'graph.nonInteractiveSignIns')!;
    expect(stopped.pages).toBe(1);
    expect(stopped.state).not.toBe('done');
    const second = await collectTenant({ db, readers: { graph, exchange }, clock: () => new Date() }, { ...target, resume: true });
    expect(second.state).toBe('done');

    const kinds = sim.groundTruth.logs!.signInKinds;
    const sources = Object.fromEntries(listSources(db, runId).map((x) => [x.source, x]));
    expect(sources['graph.nonInteractiveSignIns']).toMatchObject({ state: 'done', pages: Math.ceil(kinds.nonInteractiveUser.count / 1000), records: kinds.nonInteractiveUser.count });
    expect(sources['graph.servicePrincipalSignIns']).toMatchObject({ state: 'done', records: kinds.servicePrincipal.count });
    const count = (kind: string) => db.prepare(`SELECT count(*) FROM sign_in WHERE run_id = ? AND json_extract(raw, '$.signInEventTypes[0]') = ?`).pluck().get(runId, kind);
    expect(count('nonInteractiveUser')).toBe(kinds.nonInteractiveUser.count);
    expect(count('servicePrincipal')).toBe(kinds.servicePrincipal.count);
    expect(listObjects(db, runId, 'deletedApplication')).toHaveLength(sim.groundTruth.deletedObjects.applicationIds.length);
    expect(listObjects(db, runId, 'mailboxAuditBypass')).toHaveLength(sim.groundTruth.exchange!.auditBypass.count);
    expect(listObjects(db, runId, 'adminAuditLogConfig')).toHaveLength(1);
    closeDatabase(db);
    expect(verifyCaseFile(file, { deep: true }).problems).toEqual([]);
  }, 300_000);

  it('says so when there is nothing to resume', async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (l: string) => err.push(l), isTTY: false, clock: () => new Date() };
    const file = path.join(dir, 'fresh.peregrine');
    await cli(['case', 'create', file, '--name', 'Fresh', '--examiner', 'A. Examiner'], io);
    expect(await cli(['collect', file, '--env', envFile, '--resume'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/no unfinished collection/);
  });
});
