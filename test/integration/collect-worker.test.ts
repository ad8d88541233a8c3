// The collection worker thread: tokens brokered by main, progress reported, cancel honoured, resume completing the run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { createCase, openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { listApplications } from '../../db/queries/directory';
import { loadEnvironmentFile, type TenantEnvironment } from '../../main/auth/environment';
import { createTenantSession, type TenantSession } from '../../main/auth/device-code';
import { createHttpTransport } from '../../main/http/https';
import { startCollectionJob } from '../../main/jobs/collect-job';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import type { CollectionJob } from '../../main/jobs/protocol';

let dir: string;
let sim: SimHandle;
let env: TenantEnvironment;
let session: TenantSession;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-worker-'));
  sim = await startSimulator({ scenario: 'fabrikam', seed: 5 });
  env = loadEnvironmentFile((await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile);
  session = createTenantSession(env, createHttpTransport({ ca: env.caPem, userAgent: 'test' }));
  await session.signInWithDeviceCode((p) => sim.approve(p.userCode, sim.groundTruth.compromisedUser.userPrincipalName));
});

afterAll(async () => {
  await sim.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('collects in a worker, stops on cancel, and finishes on resume', async () => {
  const file = path.join(dir, 'w.peregrine');
  closeDatabase(createCase(file, { name: 'W', examiner: 'E' }, { clock: () => new Date(), toolVersion: 'test' }).db);
  const job: CollectionJob = {
    caseFile: file, environment: env, services: ['graph'], runId: crypto.randomUUID(), tenantId: sim.tenantId,
    account: 'admin', actor: 'E', resume: false, pageSize: 2, anchorMailbox: null, window: null, inboxRuleMailboxes: [],
  };
  let tokenRequests = 0;
  const getToken = () => (tokenRequests++, session.getAccessToken(env.graphScopes));

  const first = startCollectionJob(tsxWorkerEntry(), job, {
    getToken,
    onProgress: (s) => {
      if ((s.sources.find((x) => x.source === 'graph.applications')?.pages ?? 0) >= 3) first.cancel();
    },
  });
  const cancelled = await first.done;
  expect(cancelled.state).toBe('cancelled');
  expect(tokenRequests).toBeGreaterThan(0);

  const progress: number[] = [];
  const second = startCollectionJob(tsxWorkerEntry(), { ...job, resume: true }, { getToken, onProgress: (s) => progress.push(s.sources.reduce((n, x) => n + x.records, 0)) });
  const done = await second.done;
  expect(done.state).toBe('done');
  expect(progress.length).toBeGreaterThan(3);
  const { db } = openCase(file);
  expect(listApplications(db, job.runId)).toHaveLength(sim.groundTruth.counts.applications);
  closeDatabase(db);
});

it('reports a worker that cannot open the case as a failure in words', async () => {
  const job = startCollectionJob(tsxWorkerEntry(), {
    caseFile: path.join(dir, 'missing.peregrine'), environment: env, services: ['graph'], runId: crypto.randomUUID(), tenantId: sim.tenantId,
    account: 'admin', actor: 'E', resume: false, pageSize: 999, anchorMailbox: null, window: null, inboxRuleMailboxes: [],
  }, { getToken: () => session.getAccessToken(env.graphScopes), onProgress: () => undefined });
  await expect(job.done).rejects.toThrow(/missing\.peregrine/);
});
