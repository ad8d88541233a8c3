// Benchmark (Node, tsx): a full collection from a throttled simulated tenant, timed against the floor Graph's report limits allow, with peak memory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from '../test/sim/server';
import { writeEnvironmentFiles } from '../test/sim/environment';
import { createCase } from '../main/case/case';
import { closeDatabase } from '../db/connection';
import { loadEnvironmentFile } from '../main/auth/environment';
import { createTenantSession, exchangeAudience } from '../main/auth/device-code';
import { createHttpTransport, type HttpTransport } from '../main/http/https';
import { readOnlyTransport } from '../main/http/read-only';
import { createGraphReader } from '../main/graph/reader';
import { createPacer, REPORTS_LIMIT } from '../main/graph/pacer';
import { createExchangeReader } from '../main/exchange/reader';
import { collectTenant } from '../main/collect/sources';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'contoso' },
    seed: { type: 'string', default: '7' },
    users: { type: 'string', default: '5000' },
    days: { type: 'string', default: '90' },
    'events-per-user-per-day': { type: 'string' },
    // The simulator runs in this process: its Unified Audit Log searches take CPU the Graph lane then waits for.
    // Off, the figure is the Graph collection against its throttling floor alone.
    exchange: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const scenario = values.scenario === 'fabrikam' ? 'fabrikam' : 'contoso';
const users = Number(values.users);
const days = Number(values.days);
const perUser = values['events-per-user-per-day'] === undefined ? undefined : Number(values['events-per-user-per-day']);

const REPORT_PATH = /\/(v1\.0|beta)\/(auditLogs\/|reports\/authenticationMethods)/;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-bench-collect-'));
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

try {
  const sim = await startSimulator({ scenario, seed: Number(values.seed), users, days, ...(perUser === undefined ? {} : { eventsPerUserPerDay: perUser }) });
  const env = loadEnvironmentFile((await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile);
  const base = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-bench' });
  const reportTimes: number[] = [];
  const counted: HttpTransport = (req) => {
    if (REPORT_PATH.test(new URL(req.url).pathname)) reportTimes.push(performance.now());
    return base(req);
  };
  const admin = sim.groundTruth.compromisedUser.userPrincipalName;
  const graphSession = createTenantSession(env, base);
  const account = await graphSession.signInWithDeviceCode((p) => sim.approve(p.userCode, admin));
  const exoSession = createTenantSession(env, base, () => new Date(), exchangeAudience(env));
  if (values.exchange) await exoSession.signInWithDeviceCode((p) => sim.approve(p.userCode, admin));
  const transport = readOnlyTransport(counted);
  let throttled = 0;
  const graph = createGraphReader({
    baseUrl: env.graphBaseUrl,
    transport,
    getToken: (o) => graphSession.getAccessToken(env.graphScopes, o),
    pacer: createPacer(),
    onRetry: (r) => void (r.status === 429 && throttled++),
  });
  const exchange = !values.exchange ? undefined : createExchangeReader({ baseUrl: env.exchangeBaseUrl, tenantId: account.tenantId, transport, getToken: (o) => exoSession.getAccessToken(env.exchangeScopes, o), anchorMailbox: `UPN:${admin}` });
  const { db } = createCase(path.join(dir, 'bench.peregrine'), { name: 'bench', examiner: 'bench' }, { clock: () => new Date(), toolVersion: 'bench' });
  const window = sim.groundTruth.logs!.window;

  const started = performance.now();
  const status = await collectTenant(
    { db, readers: { graph, exchange }, clock: () => new Date() },
    { runId: crypto.randomUUID(), environment: env.name, tenantId: account.tenantId, account: admin, actor: 'bench', window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() } },
  );
  const runMs = performance.now() - started;
  closeDatabase(db);
  await sim.close();

  // The floor: n report requests at 5 per 10 s cannot finish before request n-1's slot, floor((n-1)/5) windows in.
  const n = reportTimes.length;
  const floorMs = n === 0 ? 0 : Math.floor((n - 1) / REPORTS_LIMIT.requests) * REPORTS_LIMIT.perMs;
  const reportSpanMs = n ? reportTimes.at(-1)! - reportTimes[0]! : 0;
  console.log(JSON.stringify({
    benchmark: 'collect',
    knobs: { scenario, seed: Number(values.seed), users, days, eventsPerUserPerDay: perUser ?? 'default', exchange: values.exchange },
    state: status.state,
    records: Object.fromEntries(status.sources.map((s) => [s.source, s.records])),
    errors: Object.fromEntries(status.sources.filter((s) => s.error).map((s) => [s.source, s.error])),
    reportRequests: n,
    throttledResponses: throttled,
    runMs: Math.round(runMs),
    baseline: { what: 'the least time Graph\'s report limit (5 requests per 10 s per app) allows for these report requests', ms: floorMs },
    reportSpanMs: Math.round(reportSpanMs),
    ratioOfReportSpanToFloor: floorMs ? Number((reportSpanMs / floorMs).toFixed(3)) : null,
    ratioOfRunToFloor: floorMs ? Number((runMs / floorMs).toFixed(3)) : null,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
  }, null, 2));
} finally {
  clearInterval(sampler);
  fs.rmSync(dir, { recursive: true, force: true });
}
