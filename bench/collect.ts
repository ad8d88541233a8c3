// Benchmark (Node, tsx): a full collection from a throttled simulated tenant, timed against the floor Graph's report limits allow, with peak memory.
// The simulator runs in its own process (`test/sim/cli.ts`), so its work (building Unified Audit Log sessions) never stalls the collector's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { postForm } from '../test/sim/https-client';
import type { GroundTruth } from '../test/sim/scenario';
import { createCase } from '../main/case/case';
import { closeDatabase } from '../db/connection';
import { loadEnvironmentFile, type TenantEnvironment } from '../main/auth/environment';
import { createTenantSession, exchangeAudience } from '../main/auth/device-code';
import { createHttpTransport, type HttpTransport } from '../main/http/https';
import { readOnlyTransport } from '../main/http/read-only';
import { createGraphReader } from '../main/graph/reader';
import { createPacer, REPORTS_LIMIT } from '../main/graph/pacer';
import { createExchangeReaderFor } from '../main/exchange/reader';
import { collectTenant } from '../main/collect/sources';
import type { CollectionTimings } from '../main/collect/engine';
import { tsxWriterEntry } from '../main/jobs/tsx-entry';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'contoso' },
    seed: { type: 'string', default: '7' },
    users: { type: 'string', default: '5000' },
    days: { type: 'string', default: '90' },
    'events-per-user-per-day': { type: 'string' },
    // Off, the figure is the Graph collection against its throttling floor alone.
    exchange: { type: 'boolean', default: true },
    // Stores every page on the collecting thread before the next request, as the engine does without a case writer.
    'inline-writer': { type: 'boolean', default: false },
  },
  allowNegative: true,
});
const scenario = values.scenario === 'fabrikam' ? 'fabrikam' : 'contoso';
const users = Number(values.users);
const days = Number(values.days);
const perUser = values['events-per-user-per-day'] === undefined ? undefined : Number(values['events-per-user-per-day']);

const ROOT = path.resolve(import.meta.dirname, '..');
const REPORT_PATH = /\/(v1\.0|beta)\/(auditLogs\/|reports\/authenticationMethods)/;
const READY_LINE = 'Serving until Ctrl+C.';

interface SimProcess {
  child: ChildProcess;
  /** Set once the simulator has exited (expected only after stop()). */
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
}

/** Starts `test/sim/cli.ts` in a child Node process and resolves once it serves (its environment files are written by then). */
function startSimProcess(dir: string): Promise<SimProcess> {
  const args = [
    '--import', 'tsx', path.join(ROOT, 'test/sim/cli.ts'), '--scenario', scenario, '--seed', String(values.seed), '--users', String(users),
    '--days', String(days), '--dir', dir, ...(perUser === undefined ? [] : ['--events-per-user-per-day', String(perUser)]),
  ];
  // `npm run bench` caps the heap for bench/sim.ts; the simulator holds 50,000-row audit sessions, so it gets V8's default.
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').replace(/--max-old-space-size=\d+/g, '').trim();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: nodeOptions }, stdio: ['ignore', 'pipe', 'inherit'] });
  const sim: SimProcess = { child, exited: null };
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      output.push(line);
      if (line === READY_LINE) resolve(sim);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      sim.exited = { code, signal };
      reject(new Error(`The simulator exited before serving (code ${code}, signal ${signal}):\n${output.join('\n')}`));
    });
  });
}

/** Stops the simulator (SIGTERM: it closes its server and exits) and waits for it. */
async function stopSimProcess(sim: SimProcess): Promise<void> {
  if (sim.exited) return;
  const exited = new Promise<void>((resolve) => sim.child.once('exit', () => resolve()));
  sim.child.kill('SIGTERM');
  await exited;
}

/** Peak resident set of another process (Linux: VmHWM); null where /proc is missing. */
function peakRssMbOf(pid: number | undefined): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

/** CPU time (user + system) another process has used so far (Linux: /proc/PID/stat, 100 ticks a second); null where /proc is missing. */
function cpuMsOf(pid: number | undefined): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Approves a device code on the simulator's sign-in page, as the person signing in would, accepting the consent prompt for the organisation. */
async function approveOnSignInPage(env: TenantEnvironment, userCode: string, upn: string): Promise<void> {
  const response = await postForm(env.simulator!.deviceLoginUrl, { code: userCode, user: upn, consent: 'accept', consent_for_organisation: '1' }, env.caPem!);
  if (response.status !== 200) throw new Error(`The simulator's sign-in page refused code ${userCode} for ${upn} (HTTP ${response.status}).`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-bench-collect-'));
let sim: SimProcess | undefined;

try {
  const simDir = path.join(dir, 'sim');
  const simStarted = performance.now();
  sim = await startSimProcess(simDir);
  const simStartMs = performance.now() - simStarted;
  const env = loadEnvironmentFile(path.join(simDir, 'environment.json'));
  const truth = JSON.parse(fs.readFileSync(path.resolve(simDir, env.simulator!.groundTruthFile!), 'utf8')) as GroundTruth;
  const logs = truth.logs!;
  const base = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-bench' });
  // Report requests as sent (after the pacer, when the transport is called), and whether Graph admitted them.
  const reports: { atMs: number; admitted: boolean }[] = [];
  const counted: HttpTransport = async (req) => {
    if (!REPORT_PATH.test(new URL(req.url).pathname)) return base(req);
    const sent = { atMs: performance.now(), admitted: true };
    reports.push(sent);
    const res = await base(req);
    sent.admitted = res.status !== 429;
    return res;
  };
  const admin = truth.compromisedUser.userPrincipalName;
  const approvals: Promise<void>[] = [];
  const approve = (userCode: string) => void approvals.push(approveOnSignInPage(env, userCode, admin));
  const graphSession = createTenantSession(env, base);
  const account = await graphSession.signInWithDeviceCode((p) => approve(p.userCode));
  const exoSession = createTenantSession(env, base, () => new Date(), exchangeAudience(env));
  if (values.exchange) await exoSession.signInWithDeviceCode((p) => approve(p.userCode));
  await Promise.all(approvals);
  const transport = readOnlyTransport(counted);
  let throttled = 0;
  const graph = createGraphReader({
    baseUrl: env.graphBaseUrl,
    transport,
    getToken: (o) => graphSession.getAccessToken(env.graphScopes, o),
    pacer: createPacer(),
    onRetry: (r) => void (r.status === 429 && throttled++),
  });
  const exchange = !values.exchange ? undefined : createExchangeReaderFor(env, { tenantId: account.tenantId, transport, getToken: (o) => exoSession.getAccessToken(env.exchangeScopes, o), anchorMailbox: `UPN:${admin}` });
  const { db } = createCase(path.join(dir, 'bench.peregrine'), { name: 'bench', examiner: 'bench' }, { clock: () => new Date(), toolVersion: 'bench' });

  const simCpuBefore = cpuMsOf(sim.child.pid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const timings: CollectionTimings = { writerBusyMs: 0, writes: 0, sources: {} };
  const status = await collectTenant(
    { db, readers: { cloud: env.cloud, graph, exchange }, clock: () => new Date(), timings, ...(values['inline-writer'] ? {} : { writerEntry: tsxWriterEntry() }) },
    { runId: crypto.randomUUID(), environment: env.name, tenantId: account.tenantId, account: admin, actor: 'bench', window: { from: logs.window.from, to: logs.window.to } },
  );
  const runMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const simCpuAfter = cpuMsOf(sim.child.pid);
  closeDatabase(db);
  const simExitedEarly = sim.exited;
  const simPeakRssMb = peakRssMbOf(sim.child.pid);
  await stopSimProcess(sim);

  // What the ground truth says a complete collection holds (Graph serves 30 days of sign-ins and directory audits).
  const expected: Record<string, number> = {
    'graph.users': truth.counts.users,
    'graph.userRegistrationDetails': truth.counts.users,
    'graph.signIns': logs.countsServedByGraph.signIns,
    'graph.directoryAudits': logs.countsServedByGraph.directoryAudits,
    ...(values.exchange ? { 'exo.unifiedAuditLog': logs.counts.unifiedAudit, 'exo.mailboxes': truth.exchange!.counts.mailboxes } : {}),
  };
  const records = Object.fromEntries(status.sources.map((s) => [s.source, s.records]));
  const mismatches = Object.fromEntries(Object.entries(expected).filter(([source, n]) => records[source] !== n).map(([source, n]) => [source, { expected: n, collected: records[source] ?? null }]));

  // The floor: n admitted report requests at 5 per 10 s cannot finish before request n-1's slot, floor((n-1)/5)
  // windows in. A refused request (429) takes no slot, so it does not raise the floor; its wait shows in the run time.
  const n = reports.filter((r) => r.admitted).length;
  const floorMs = n === 0 ? 0 : Math.floor((n - 1) / REPORTS_LIMIT.requests) * REPORTS_LIMIT.perMs;
  const reportSpanMs = reports.length ? reports.at(-1)!.atMs - reports[0]!.atMs : 0;
  console.log(JSON.stringify({
    benchmark: 'collect',
    knobs: { scenario, seed: Number(values.seed), users, days, eventsPerUserPerDay: perUser ?? 'default', exchange: values.exchange },
    state: status.state,
    records,
    expected,
    mismatches,
    errors: Object.fromEntries(status.sources.filter((s) => s.error).map((s) => [s.source, s.error])),
    reportRequests: reports.length,
    reportRequestsAdmitted: n,
    throttledResponses: throttled,
    runMs: Math.round(runMs),
    baseline: { what: 'the least time Graph\'s report limit (5 requests per 10 s per app) allows for these report requests', ms: floorMs },
    reportSpanMs: Math.round(reportSpanMs),
    ratioOfReportSpanToFloor: floorMs ? Number((reportSpanMs / floorMs).toFixed(3)) : null,
    ratioOfRunToFloor: floorMs ? Number((runMs / floorMs).toFixed(3)) : null,
    collector: { peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), cpuMsDuringRun: Math.round((cpu.user + cpu.system) / 1000) },
    // Where the time went: the writer's busy time (on its own thread unless --inline-writer), and per source the time
    // spent waiting for pages and for the writer to take more.
    writer: { thread: !values['inline-writer'], writes: timings.writes, busyMs: timings.writerBusyMs },
    sourceTimings: Object.fromEntries(Object.entries(timings.sources).map(([s, t]) => [s, { pages: t.pages, fetchMs: Math.round(t.fetchMs), waitedForWriterMs: Math.round(t.waitedForWriterMs) }])),
    simulator: {
      process: 'separate (test/sim/cli.ts)',
      startMs: Math.round(simStartMs),
      peakRssMb: simPeakRssMb,
      cpuMsDuringRun: simCpuBefore === null || simCpuAfter === null ? null : simCpuAfter - simCpuBefore,
      ...(simExitedEarly ? { exitedDuringRun: simExitedEarly } : {}),
    },
  }, null, 2));
} finally {
  if (sim) await stopSimProcess(sim).catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
}
