// Cancelling a collection through the workbench (the calls the UI makes): the run is shown cancelled only once it can
// be resumed — never a finished-looking run that the Collections list still calls running. The simulator holds a page
// of sign-ins, so the cancel always lands mid-run, however fast or loaded the machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { loadEnvironmentFile } from '../../main/auth/environment';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { bridgeCaller } from '../support/bridge';
import type { CollectionRunView, CollectionStatus, SignInState } from '../../preload/contract';

let dir: string;
let sim: SimHandle;
let workbench: Workbench;

const call = bridgeCaller(() => workbench.handlers);

const LIMIT = { requests: 1_000_000, perMs: 10_000 };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-cancel-'));
  sim = await startSimulator({ scenario: 'contoso', seed: 2, users: 200, days: 5, reportsThrottle: { limit: LIMIT.requests } });
  const files = await writeEnvironmentFiles(path.join(dir, 'sim'), sim);
  workbench = createWorkbench({
    host: 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'cases'), homeDir: path.join(dir, 'home'), keyDir: path.join(dir, 'keys'),
    environment: loadEnvironmentFile(files.environmentFile), collectionWorker: tsxWorkerEntry(), reportsLimit: LIMIT,
  });
  await call('case.create', { name: 'Cancel', examiner: 'A. Examiner' });
  const signedIn = await call<SignInState>('auth.startAppOnly', {
    appId: sim.environment.engagementApp.clientId,
    certificatePem: fs.readFileSync(files.engagementCertificateFile, 'utf8'),
    privateKeyPem: fs.readFileSync(files.engagementPrivateKeyFile, 'utf8'),
  });
  expect(signedIn.state).toBe('signed-in');
});

afterAll(async () => {
  await workbench?.close();
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('cancelling a collection', () => {
  it('shows it cancelled only when it is resumable, keeps what it read, and resumes to completion', async () => {
    sim.faults.add({ kind: 'hold', path: '/beta/auditLogs/signIns', after: 1 });
    const { runId } = await call<CollectionStatus>('collect.start', { logDays: 5 });
    await expect.poll(() => sim.faults.heldCount(), { timeout: 30_000 }).toBeGreaterThan(0);
    await call('collect.cancel', { runId });
    // Watch status as closely as the event loop allows: the moment it stops saying running, the Collections list
    // (read in the same turn) must agree that the run is over and can be resumed.
    let seen: { status: CollectionStatus; run: CollectionRunView } | null = null;
    for (let i = 0; i < 200_000 && !seen; i++) {
      const status = await call<CollectionStatus>('collect.status', { runId });
      if (status.state !== 'running') seen = { status, run: (await call<CollectionRunView[]>('collect.runs')).find((r) => r.runId === runId)! };
      else await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen, 'the collection never stopped').not.toBeNull();
    expect(seen!.status.state).toBe('cancelled');
    expect(seen!.run).toMatchObject({ state: 'cancelled', resumable: true });
    expect(sim.faults.heldCount()).toBe(0);
    const signIns = seen!.status.sources.find((s) => s.source === 'graph.signIns')!;
    expect(signIns.records).toBeGreaterThan(0);

    sim.faults.clear();
    await call('collect.resume', { runId });
    await expect.poll(async () => (await call<CollectionStatus>('collect.status', { runId })).state, { timeout: 60_000 }).toBe('done');
    const run = (await call<CollectionRunView[]>('collect.runs')).find((r) => r.runId === runId)!;
    expect(run).toMatchObject({ state: 'done', resumable: false });
    expect(run.sources.every((s) => s.state === 'done')).toBe(true);
  });
});
