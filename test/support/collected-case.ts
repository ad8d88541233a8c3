// Test tooling (Node): a case file holding one full collection of a simulated tenant (directory, logs, Exchange), for detection tests and benchmarks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import type { DetectionReport } from '../../preload/contract';
import { detect } from '../../main/detect/engine';
import { startSimulator, type SimHandle, type SimulatorOptions } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { createCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { engagementAppsFor, loadEnvironmentFile } from '../../main/auth/environment';
import { createTenantSession, exchangeAudience } from '../../main/auth/device-code';
import { createHttpTransport } from '../../main/http/https';
import { readOnlyTransport } from '../../main/http/read-only';
import { createGraphReader } from '../../main/graph/reader';
import { createPacer } from '../../main/graph/pacer';
import { createExchangeReaderFor } from '../../main/exchange/reader';
import { collectTenant } from '../../main/collect/sources';
import { simulatorBrowser } from '../../main/auth/simulator-pages';

export interface CollectedCase {
  sim: SimHandle;
  db: Database;
  file: string;
  runId: string;
  /** Signs in again and collects the tenant into the same case, as it is now (after remediation); returns the new run's id. */
  collectAgain(): Promise<string>;
  /** Closes the case and the simulator and removes the folder. */
  dispose(): Promise<void>;
}

/**
 * Starts a simulator, signs in to Graph and Exchange as the scenario's admin, collects everything into a new case
 * and leaves both open. The report throttle is lifted: these tests are about what is in the case, not about pacing.
 */
export async function collectedCase(options: SimulatorOptions & { inboxRuleMailboxes?: number; exchangeRetryWait?: (ms: number) => Promise<void> } = {}): Promise<CollectedCase> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `peregrine-case-${options.scenario ?? 'contoso'}-`));
  const sim = await startSimulator({ reportsThrottle: { limit: 1_000_000 }, ...options });
  let db: Database | undefined;
  try {
    const env = loadEnvironmentFile((await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile);
    const transport = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' });
    const admin = sim.groundTruth.compromisedUser.userPrincipalName;
    // Where Conditional Access blocks device code, the admin signs in through the (simulated) browser, as a person would.
    const signIn = (session: ReturnType<typeof createTenantSession>) => (options.blockDeviceCode
      ? session.signInWithBrowser(simulatorBrowser(transport), { loginHint: admin })
      : session.signInWithDeviceCode((p) => sim.approve(p.userCode, admin)));
    const graphSession = createTenantSession(env, transport);
    const account = await signIn(graphSession);
    const exoSession = createTenantSession(env, transport, () => new Date(), exchangeAudience(env));
    await signIn(exoSession);
    const readOnly = readOnlyTransport(transport);
    const graph = createGraphReader({ baseUrl: env.graphBaseUrl, transport: readOnly, getToken: (o) => graphSession.getAccessToken(env.graphScopes, o), pacer: createPacer() });
    const exchange = createExchangeReaderFor(env, { tenantId: account.tenantId, transport: readOnly, getToken: (o) => exoSession.getAccessToken(env.exchangeScopes, o), anchorMailbox: `UPN:${admin}`, ...(options.exchangeRetryWait ? { sleep: options.exchangeRetryWait } : {}) });
    const file = path.join(dir, 'case.peregrine');
    ({ db } = createCase(file, { name: `${sim.tenant.scenario} seed ${sim.tenant.seed}`, examiner: 'Examiner' }, { clock: () => new Date(), toolVersion: 'test' }));
    const window = sim.groundTruth.logs!.window;
    // The mailboxes whose inbox rules are read: chosen once, so a second collection reads the same ones.
    const mailboxes = sim.tenant.users.filter((u) => sim.exchange.state.inboxRules(u).length > 0).slice(0, options.inboxRuleMailboxes ?? 5).map((u) => u.userPrincipalName);
    const opened = db;
    const collect = async (fresh: boolean): Promise<string> => {
      // After remediation the examiner signs in again: revoked sessions and reset passwords end the old sign-in.
      if (fresh) {
        // Revocation has second precision (signInSessionsValidFromDateTime): a grant from the same second as a
        // revocation counts as revoked, so the new sign-in starts in the next second.
        await new Promise((resolve) => setTimeout(resolve, 1_010 - (Date.now() % 1_000)));
        await signIn(graphSession);
        await signIn(exoSession);
      }
      const id = crypto.randomUUID();
      const status = await collectTenant(
        { db: opened, readers: { cloud: env.cloud, graph, exchange }, clock: () => new Date() },
        {
          runId: id, environment: env.name, tenantId: account.tenantId, account: admin, actor: 'Examiner', engagementApps: engagementAppsFor(env, admin),
          window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
          inboxRuleMailboxes: mailboxes,
        },
      );
      const failed = status.sources.filter((s) => s.state !== 'done');
      if (failed.length > 0) throw new Error(`collection incomplete: ${failed.map((s) => `${s.source} ${s.state} ${s.error ?? ''}`).join('; ')}`);
      return id;
    };
    const runId = await collect(false);
    return {
      sim, db: opened, file, runId,
      collectAgain: () => collect(true),
      async dispose() {
        closeDatabase(opened);
        await sim.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (db) closeDatabase(db);
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Within a `describe`: one case collected (a light log volume) and detected before its tests, disposed after them.
 * The fields are read inside the tests, once `beforeAll` has filled them.
 */
export function collectedForSuite(options: SimulatorOptions): { readonly c: CollectedCase; readonly report: DetectionReport } {
  const suite = {} as { c: CollectedCase; report: DetectionReport };
  beforeAll(async () => {
    suite.c = await collectedCase({ ...options, eventsPerUserPerDay: 0.5 });
    suite.report = detect(suite.c.db);
  }, 120_000);
  afterAll(async () => suite.c?.dispose());
  return suite;
}
