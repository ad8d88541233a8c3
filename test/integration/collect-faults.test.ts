// The fault matrix against the simulator: 429 storms, 503s, resets mid-page, a token revoked mid-run, a malformed page — the case ends complete or clearly failed, never half-written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import type { FaultRule } from '../sim/faults';
import { createCase } from '../../main/case/case';
import { verifyCaseFile } from '../../main/case/verify';
import { closeDatabase } from '../../db/connection';
import { listEvidence } from '../../db/queries/evidence';
import { listApplications, listServicePrincipals } from '../../db/queries/directory';
import { listSources } from '../../db/queries/sources';
import { loadEnvironmentFile, type TenantEnvironment } from '../../main/auth/environment';
import { createTenantSession, type TenantSession } from '../../main/auth/device-code';
import { createHttpTransport } from '../../main/http/https';
import { readOnlyTransport } from '../../main/http/read-only';
import { createGraphReader } from '../../main/graph/reader';
import { runCollection } from '../../main/collect/engine';
import { GRAPH_SOURCES } from '../../main/collect/sources';
import { tsxWriterEntry } from '../../main/jobs/tsx-entry';
import type { WorkerEntry } from '../../main/jobs/collect-job';

let dir: string;
let sim: SimHandle;
let env: TenantEnvironment;
let session: TenantSession;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-faults-'));
  sim = await startSimulator({ scenario: 'fabrikam', seed: 9 });
  env = loadEnvironmentFile((await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile);
  session = createTenantSession(env, createHttpTransport({ ca: env.caPem, userAgent: 'test' }));
  await session.signInWithDeviceCode((p) => sim.approve(p.userCode, sim.groundTruth.compromisedUser.userPrincipalName));
});
afterEach(() => {
  sim.faults.clear();
  sim.faults.hits.length = 0;
});
afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Applications and service principals, in pages of 10: faults land mid-source.
const SOURCES = GRAPH_SOURCES.filter((s) => ['graph.organization', 'graph.applications', 'graph.servicePrincipals'].includes(s.source));

async function collectWith(rules: FaultRule[], name: string, writerEntry: WorkerEntry | undefined) {
  sim.faults.set({ rules });
  const file = path.join(dir, `${name}.peregrine`);
  const { db } = createCase(file, { name, examiner: 'E' }, { clock: () => new Date(), toolVersion: 'test' });
  const waits: number[] = [];
  // Waits are recorded, not slept: the test checks the reader asked for what the service said.
  const graph = createGraphReader({
    baseUrl: env.graphBaseUrl,
    transport: readOnlyTransport(createHttpTransport({ ca: env.caPem, userAgent: 'test' })),
    getToken: (o) => session.getAccessToken(env.graphScopes, o),
    sleep: async (ms) => void waits.push(ms),
  });
  const runId = crypto.randomUUID();
  const status = await runCollection({ db, readers: { graph }, clock: () => new Date(), pageSize: 10, writerEntry }, { runId, environment: env.name, tenantId: sim.tenantId, account: 'a', actor: 'E' }, SOURCES);
  return { db, file, runId, status, waits, graph };
}

function expectComplete(db: Parameters<typeof listApplications>[0], runId: string) {
  const truth = sim.groundTruth.counts;
  expect(listApplications(db, runId)).toHaveLength(truth.applications);
  expect(listServicePrincipals(db, runId)).toHaveLength(truth.servicePrincipals);
  const apps = listSources(db, runId).find((s) => s.source === 'graph.applications')!;
  expect(apps.records).toBe(truth.applications);
  // One evidence row per page of the tenant: a retried page is stored once.
  expect(listEvidence(db, runId).filter((e) => e.source === 'graph.applications')).toHaveLength(Math.ceil(truth.applications / 10));
}

// Every fault, with pages stored on the collecting thread and on the case writer thread (where the next request goes out
// before the last page is stored).
const WRITERS: [string, WorkerEntry | undefined][] = [['on the collecting thread', undefined], ['on the case writer thread', tsxWriterEntry()]];

describe.each(WRITERS)('collection under faults, pages stored %s', (where, writerEntry) => {
  it('waits out a 429 storm as Retry-After says and completes', async () => {
    const { db, file, runId, status, waits } = await collectWith([{ kind: 'throttle', path: '/v1.0/applications', after: 2, count: 4, retryAfterSeconds: 7 }], `storm-${where.split(' ').at(-2)}`, writerEntry);
    expect(status.state).toBe('done');
    expect(waits).toEqual([7000, 7000, 7000, 7000]);
    expect(listSources(db, runId).find((s) => s.source === 'graph.applications')!.retries).toBe(4);
    expectComplete(db, runId);
    closeDatabase(db);
    expect(verifyCaseFile(file).ok).toBe(true);
  });

  it('backs off on 503s without Retry-After and completes', async () => {
    const { db, runId, status, waits } = await collectWith([{ kind: 'unavailable', path: '/v1.0/servicePrincipals', after: 1, count: 2 }], `unavailable-${where.split(' ').at(-2)}`, writerEntry);
    expect(status.state).toBe('done');
    expect(waits).toEqual([2000, 4000]);
    expectComplete(db, runId);
    closeDatabase(db);
  });

  it('asks again for a page whose connection was reset mid-body', async () => {
    const { db, runId, status } = await collectWith([{ kind: 'reset', path: '/v1.0/applications', after: 3, count: 1 }], `reset-${where.split(' ').at(-2)}`, writerEntry);
    expect(status.state).toBe('done');
    expect(sim.faults.hits.filter((h) => h.kind === 'reset')).toHaveLength(1);
    expectComplete(db, runId);
    closeDatabase(db);
  });

  it('gets a new token when the current one is revoked mid-run', async () => {
    const { db, runId, status } = await collectWith([{ kind: 'expire-token', path: '/v1.0/servicePrincipals', after: 2, count: 1 }], `expired-${where.split(' ').at(-2)}`, writerEntry);
    expect(status.state).toBe('done');
    expect(sim.faults.hits.filter((h) => h.kind === 'expire-token')).toHaveLength(1);
    expectComplete(db, runId);
    closeDatabase(db);
  });

  it('fails a source whose page stays malformed with a clear error, keeping only whole pages, and resumes once it is fixed', async () => {
    const { db, file, runId, status, graph } = await collectWith([{ kind: 'malformed', path: '/v1.0/applications', after: 2 }], `malformed-${where.split(' ').at(-2)}`, writerEntry);
    expect(status.state).toBe('failed');
    const apps = status.sources.find((s) => s.source === 'graph.applications')!;
    expect(apps.state).toBe('failed');
    expect(apps.error).toMatch(/not valid JSON.*Nothing from this page was stored/);
    expect(apps.pages).toBe(2);
    // Exactly the two whole pages: their evidence and their rows, nothing from the broken one.
    expect(listEvidence(db, runId).filter((e) => e.source === 'graph.applications')).toHaveLength(2);
    expect(listApplications(db, runId)).toHaveLength(20);
    expect(status.sources.find((s) => s.source === 'graph.servicePrincipals')!.state).toBe('done');
    expect(verifyCaseFile(file).ok).toBe(true);

    sim.faults.clear();
    const resumed = await runCollection({ db, readers: { graph }, clock: () => new Date(), pageSize: 10, writerEntry }, { runId, environment: env.name, tenantId: sim.tenantId, account: 'a', actor: 'E', resume: true }, SOURCES);
    expect(resumed.state).toBe('done');
    expectComplete(db, runId);
    closeDatabase(db);
  });

  it('fails a source a page of which no store can read, storing nothing of it or after it, and resumes from it', async () => {
    const { db, file, runId, status, graph } = await collectWith([{ kind: 'unreadable-record', path: '/v1.0/applications', after: 2, count: 1 }], `unreadable-${where.split(' ').at(-2)}`, writerEntry);
    expect(status.state).toBe('failed');
    const apps = status.sources.find((s) => s.source === 'graph.applications')!;
    expect(apps.state).toBe('failed');
    expect(apps.error).toBe(
      "A page of applications could not be stored: application #0 cannot be read: field '(the object itself)': Invalid input: expected object, received number. " +
        'Nothing from this page was stored; resume the collection to read it again.',
    );
    // The two pages before it, whole; nothing of the refused page nor of any page fetched after it.
    expect(apps.pages).toBe(2);
    expect(listEvidence(db, runId).filter((e) => e.source === 'graph.applications')).toHaveLength(2);
    expect(listApplications(db, runId)).toHaveLength(20);
    expect(verifyCaseFile(file).ok).toBe(true);

    const resumed = await runCollection({ db, readers: { graph }, clock: () => new Date(), pageSize: 10, writerEntry }, { runId, environment: env.name, tenantId: sim.tenantId, account: 'a', actor: 'E', resume: true }, SOURCES);
    expect(resumed.state).toBe('done');
    expectComplete(db, runId);
    closeDatabase(db);
  });
});
