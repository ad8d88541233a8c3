// Benchmark (Node, tsx): the tenant simulator's log generation and serving speed, and peak memory, as JSON with ratios to a baseline from the same run.
import { buildTenant } from '../test/sim/scenario';
import { SimLogStore } from '../test/sim/logs/store';
import { startSimulator, type SimHandle } from '../test/sim/server';
import { json, postForm, simRequest } from '../test/sim/https-client';

const DAY = 24 * 60 * 60 * 1000;

interface Args {
  scenario: 'contoso' | 'fabrikam';
  seed: number;
  users: number;
  days: number;
  pages: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { scenario: 'contoso', seed: 7, users: 10_000, days: 90, pages: 20 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1] ?? '';
    if (key === '--scenario' && (value === 'contoso' || value === 'fabrikam')) args.scenario = value;
    else if (key === '--seed') args.seed = Number(value);
    else if (key === '--users') args.users = Number(value);
    else if (key === '--days') args.days = Number(value);
    else if (key === '--pages') args.pages = Number(value);
    else throw new Error(`unknown argument ${String(key)} (use --scenario, --seed, --users, --days, --pages)`);
  }
  return args;
}

function rate(count: number, ms: number): number {
  return Math.round(count / Math.max(ms / 1000, 1e-6));
}

function peakRssMb(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** Live heap after a full collection, when Node runs with --expose-gc: what the store really keeps (RSS also counts garbage V8 has not collected yet). */
function heapAfterGcMb(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  return Math.round(process.memoryUsage().heapUsed / 1e6);
}

function drain<T>(records: Iterable<T>): number {
  let n = 0;
  for (const _ of records) n++;
  return n;
}

/** Follows @odata.nextLink from the newest sign-ins, `maxPages` pages of 1,000, timing only the page requests. */
async function servePages(sim: SimHandle, maxPages: number): Promise<{ served: number; pages: number; bytes: number; serveMs: number }> {
  const tokenResponse = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'client_credentials', client_id: sim.environment.engagementApp.clientId,
    client_secret: sim.environment.engagementApp.clientSecret, scope: 'https://graph.microsoft.com/.default',
  }, sim.caPem);
  const token = (json(tokenResponse) as { access_token: string }).access_token;
  let served = 0;
  let pages = 0;
  let bytes = 0;
  let next: string | undefined = `${sim.url}/v1.0/auditLogs/signIns?$top=1000`;
  const p0 = performance.now();
  while (next && pages < maxPages) {
    const response = await simRequest(next, { ca: sim.caPem, headers: { Authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`page ${pages} answered ${response.status}: ${response.text.slice(0, 200)}`);
    const body = JSON.parse(response.text) as { value: unknown[]; '@odata.nextLink'?: string };
    served += body.value.length;
    bytes += response.text.length;
    pages++;
    next = body['@odata.nextLink'];
  }
  return { served, pages, bytes, serveMs: performance.now() - p0 };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const tenant = buildTenant({ scenario: args.scenario, seed: args.seed, users: args.users });
  const tenantMs = performance.now() - t0;

  // Baseline: generate one day of sign-ins in a fresh store (the unit every figure is compared with).
  const b0 = performance.now();
  const baselineStore = new SimLogStore(tenant, { days: args.days, seed: args.seed });
  const storeMs = performance.now() - b0;
  const lastDay = [baselineStore.referenceMs - DAY, baselineStore.referenceMs] as const;
  const d0 = performance.now();
  const dayRecords = drain(baselineStore.signIns.iterate(lastDay[0], lastDay[1]));
  const dayMs = performance.now() - d0;
  const baselineRate = rate(dayRecords, dayMs);

  // The whole window, every source.
  const store = new SimLogStore(tenant, { days: args.days, seed: args.seed });
  const c0 = performance.now();
  const counts = { signIns: store.signIns.count(store.fromMs, store.toMs), directoryAudits: store.directoryAudits.count(store.fromMs, store.toMs), unifiedAudit: store.unifiedAudit.count(store.fromMs, store.toMs) };
  const countMs = performance.now() - c0;
  const s0 = performance.now();
  const signIns = drain(store.signIns.iterate(store.fromMs, store.toMs));
  const signInMs = performance.now() - s0;
  const a0 = performance.now();
  const audits = drain(store.directoryAudits.iterate(store.fromMs, store.toMs));
  const auditMs = performance.now() - a0;
  const u0 = performance.now();
  const ual = drain(store.unifiedAudit.iterate(store.fromMs, store.toMs));
  const ualMs = performance.now() - u0;
  const rssAfterGeneration = peakRssMb();
  const heapAfterGeneration = heapAfterGcMb();

  // Serving: newest-first pages of 1,000 sign-ins over loopback HTTPS, following @odata.nextLink.
  const sim = await startSimulator({ scenario: args.scenario, seed: args.seed, users: args.users, days: args.days, reportsThrottle: { limit: 1_000_000 } });
  let serving: { served: number; pages: number; bytes: number; serveMs: number };
  try {
    serving = await servePages(sim, args.pages);
  } finally {
    await sim.close();
  }
  const { served, pages, bytes, serveMs } = serving;

  const result = {
    benchmark: 'peregrine-sim/1',
    node: process.version,
    knobs: args,
    tenant: { users: tenant.users.length, buildMs: Math.round(tenantMs) },
    baseline: { what: 'generate the newest day of sign-ins in a fresh store', records: dayRecords, ms: Math.round(dayMs), recordsPerSecond: baselineRate },
    generation: {
      storeSetupMs: Math.round(storeMs),
      countWholeWindowMs: Math.round(countMs * 100) / 100,
      counts,
      signIns: { records: signIns, ms: Math.round(signInMs), recordsPerSecond: rate(signIns, signInMs), ratioToBaseline: Math.round((rate(signIns, signInMs) / baselineRate) * 100) / 100 },
      directoryAudits: { records: audits, ms: Math.round(auditMs), recordsPerSecond: rate(audits, auditMs) },
      unifiedAudit: { records: ual, ms: Math.round(ualMs), recordsPerSecond: rate(ual, ualMs), ratioToBaseline: Math.round((rate(ual, ualMs) / baselineRate) * 100) / 100 },
      cache: store.cacheStats(),
    },
    serving: {
      what: 'GET /v1.0/auditLogs/signIns?$top=1000 and its nextLinks over loopback HTTPS',
      pages, records: served, megabytes: Math.round((bytes / 1e6) * 10) / 10, ms: Math.round(serveMs),
      pagesPerSecond: Math.round((pages / Math.max(serveMs / 1000, 1e-6)) * 100) / 100,
      recordsPerSecond: rate(served, serveMs),
      ratioToBaseline: Math.round((rate(served, serveMs) / baselineRate) * 100) / 100,
    },
    memory: { peakRssMbAfterGeneration: rssAfterGeneration, peakRssMb: peakRssMb(), heapUsedAfterGcMb: heapAfterGeneration, maxOldSpaceSizeFlag: process.execArgv.concat((process.env.NODE_OPTIONS ?? '').split(' ')).find((a) => a.startsWith('--max-old-space-size')) ?? null },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
