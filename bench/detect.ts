// Benchmark (Node, tsx): every detection rule over a collected case grown to a million events — detect time, peak memory and findings per rule, as JSON with ratios to baselines from the same run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import { collectedCase } from '../test/support/collected-case';
import { SimLogStore } from '../test/sim/logs/store';
import { AAD_POWERSHELL_APP, specialRecords } from '../test/sim/logs/generate';
import { derivedGuid, searchRow, signInMirror, signInRecord, type SignInApp, type SignInPlace } from '../test/sim/logs/records';
import { createPrng } from '../test/sim/prng';
import type { Tenant } from '../test/sim/scenario';
import type { GraphSignIn, UnifiedAuditRecord } from '../test/sim/logs/types';
import { openCase } from '../main/case/case';
import { closeDatabase } from '../db/connection';
import { insertEvidence } from '../db/queries/evidence';
import { insertDirectoryAudits, insertSignIns, insertUnifiedAuditRecords } from '../db/queries/logs';
import { recordPage } from '../db/queries/sources';
import { getRun } from '../db/queries/runs';
import type { DetectionReport } from '../preload/contract';
import type { Rule } from '../main/detect/types';

/** Bump when the case builder changes: cached cases built by an older builder are rebuilt. */
const BUILDER_VERSION = 2;
const DAY = 24 * 60 * 60 * 1000;
const TARGET_MS = 10_000;
const GRAPH_PAGE = 1_000;
const UAL_CALL = 5_000;

interface Knobs {
  scenario: 'contoso';
  seed: number;
  /** Users of the collected tenant (the directory the noise's users come from). */
  users: number;
  /** Days of history collected (Graph keeps sign-ins and directory audits 30 days). */
  days: number;
  /** Events (rows of `event` for the run) the case is grown to. */
  events: number;
  /** Timed detect runs. */
  runs: number;
  rebuild: boolean;
  buildOnly: boolean;
  /** Leave out the timing of `peregrine verify` (fast and --deep) over both cases. */
  skipVerify: boolean;
}

function knobs(argv: string[]): Knobs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      events: { type: 'string' },
      quick: { type: 'boolean', default: false },
      seed: { type: 'string', default: '7' },
      users: { type: 'string' },
      days: { type: 'string', default: '30' },
      runs: { type: 'string', default: '3' },
      rebuild: { type: 'boolean', default: false },
      'build-only': { type: 'boolean', default: false },
      'skip-verify': { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string | undefined, fallback: number): number => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${String(v)}`);
    return n;
  };
  const quick = values.quick === true;
  return {
    scenario: 'contoso',
    seed: int('seed', values.seed, 7),
    users: int('users', values.users, quick ? 500 : 2_000),
    days: int('days', values.days, 30),
    events: int('events', values.events, quick ? 100_000 : 1_000_000),
    runs: int('runs', values.runs, 3),
    rebuild: values.rebuild === true,
    buildOnly: values['build-only'] === true,
    skipVerify: values['skip-verify'] === true,
  };
}

// ---- the case: one real collection, grown with more of the same tenant's records ------------------------------------

interface BuildInfo {
  builder: number;
  knobs: Omit<Knobs, 'runs' | 'rebuild' | 'buildOnly' | 'skipVerify'>;
  builtAt: string;
  runId: string;
  collect: { ms: number; events: number; bySource: Record<string, number> };
  grow: {
    ms: number;
    noiseEventsPerUserPerDay: number;
    noiseLogSeed: number;
    signIns: number;
    directoryAudits: number;
    unifiedAudit: number;
    backgroundSpray: { signIns: number; ips: number };
    evidencePages: number;
  };
  buildMs: number;
  events: number;
  fileMb: number;
}

interface CacheFiles {
  grown: string;
  collected: string;
  info: string;
}

function cacheFiles(k: Knobs): CacheFiles {
  const key = `peregrine-bench-detect-b${BUILDER_VERSION}-${k.scenario}-s${k.seed}-u${k.users}-d${k.days}-e${k.events}`;
  const dir = os.tmpdir();
  return { grown: path.join(dir, `${key}.peregrine`), collected: path.join(dir, `${key}-collected.peregrine`), info: path.join(dir, `${key}.json`) };
}

const log = (message: string) => process.stderr.write(`[bench/detect] ${message}\n`);

function eventsBySource(db: Database, runId: string): Record<string, number> {
  const rows = db.prepare('SELECT source, count(*) AS n FROM event WHERE run_id = ? GROUP BY source ORDER BY source').all(runId) as { source: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.source, r.n]));
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

/** Merges two newest-first streams into one, newest first. */
function* mergeDesc<T>(a: Iterable<T>, b: readonly T[], ms: (t: T) => number): Generator<T> {
  let j = 0;
  for (const x of a) {
    while (j < b.length && ms(b[j] as T) > ms(x)) yield b[j++] as T;
    yield x;
  }
  while (j < b.length) yield b[j++] as T;
}

function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let page: T[] = [];
  for (const item of items) {
    page.push(item);
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

const SPRAY_APPS: readonly SignInApp[] = [
  AAD_POWERSHELL_APP,
  { appId: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', appDisplayName: 'Microsoft Office', resourceId: '00000002-0000-0ff1-ce00-000000000000', resourceDisplayName: 'Office 365 Exchange Online', clientAppUsed: 'Exchange ActiveSync' },
  { appId: '00000002-0000-0ff1-ce00-000000000000', appDisplayName: 'Office 365 Exchange Online', resourceId: '00000002-0000-0ff1-ce00-000000000000', resourceDisplayName: 'Office 365 Exchange Online', clientAppUsed: 'Authenticated SMTP' },
];

const SPRAY_PLACES: readonly SignInPlace[] = [
  { city: 'Sao Paulo', state: 'Sao Paulo', countryOrRegion: 'BR', latitude: -23.5505, longitude: -46.6333 },
  { city: 'Hanoi', state: 'Ha Noi', countryOrRegion: 'VN', latitude: 21.0278, longitude: 105.8342 },
  { city: 'Lagos', state: 'Lagos', countryOrRegion: 'NG', latitude: 6.5244, longitude: 3.3792 },
  { city: 'Frankfurt am Main', state: 'Hessen', countryOrRegion: 'DE', latitude: 50.1109, longitude: 8.6821 },
  { city: 'Singapore', state: 'Singapore', countryOrRegion: 'SG', latitude: 1.3521, longitude: 103.8198 },
  { city: 'Bucharest', state: 'Bucuresti', countryOrRegion: 'RO', latitude: 44.4268, longitude: 26.1025 },
  { city: 'Tehran', state: 'Tehran', countryOrRegion: 'IR', latitude: 35.6892, longitude: 51.389 },
  { city: 'Dallas', state: 'Texas', countryOrRegion: 'US', latitude: 32.7767, longitude: -96.797 },
];

/**
 * Background password spray every tenant on the internet sees: each day a few dozen addresses from a pool of
 * about 1,500 (hosting and residential ranges all over the world) try one to three accounts each, with legacy
 * clients, and fail (wrong password, unknown account, lockout). Newest first.
 */
function backgroundSpray(tenant: Tenant, seed: number, fromMs: number, toMs: number): { signIns: GraphSignIn[]; ips: number } {
  const prng = createPrng(`peregrine-bench/detect/${tenant.scenario}/${seed}/background-spray`);
  const prefixes = [45, 77, 91, 103, 109, 141, 176, 185, 193, 194, 212];
  const pool = Array.from({ length: 1_500 }, () => `${prng.pick(prefixes)}.${prng.int(0, 255)}.${prng.int(0, 255)}.${prng.int(1, 254)}`).filter((ip) => ip !== tenant.attack.attackerIp);
  const placeOf = new Map(pool.map((ip) => [ip, prng.pick(SPRAY_PLACES)]));
  const users = tenant.users;
  const out: GraphSignIn[] = [];
  const used = new Set<string>();
  for (let day = Math.floor(fromMs / DAY) * DAY; day < toMs; day += DAY) {
    for (let visits = prng.int(15, 45); visits > 0; visits--) {
      const ip = prng.pick(pool);
      const app = prng.pick(SPRAY_APPS);
      let ms = day + Math.floor(prng.next() * DAY);
      for (let tries = prng.int(1, 3); tries > 0; tries--) {
        ms += prng.int(2, 90) * 1000;
        if (ms < fromMs || ms >= toMs) continue;
        const known = prng.chance(0.85);
        const user = known ? prng.pick(users) : { id: '', displayName: '', userPrincipalName: `${prng.letters(prng.int(4, 9))}@${tenant.domain}` };
        const errorCode = !known ? 50034 : prng.chance(0.08) ? 50053 : 50126;
        used.add(ip);
        out.push(signInRecord({
          id: prng.guid(), ms, tenantId: tenant.tenantId, user, app, ipAddress: ip, place: placeOf.get(ip) ?? (SPRAY_PLACES[0] as SignInPlace),
          device: { operatingSystem: prng.pick(['Windows', 'Linux', '']), browser: prng.pick(['Other', 'Python Requests 2.31', 'Go-http-client 1.1']) },
          errorCode, multiFactor: false, correlationId: prng.guid(), tokenIdentifier: prng.chars(22, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
          protocol: app === AAD_POWERSHELL_APP ? 'ropc' : 'none', processingMs: prng.int(30, 200),
        }));
      }
    }
  }
  out.sort((a, b) => Date.parse(b.createdDateTime) - Date.parse(a.createdDateTime));
  return { signIns: out, ips: used.size };
}

/**
 * Collects the tenant through the simulator (the real collector, over HTTPS), keeps a copy of that case, then grows
 * the same run with more records of the same tenant — same users, home and office addresses, apps — generated by
 * the simulator's lazy log store under another log seed, plus background spray, stored page by page through the
 * collector's own insert path (an evidence row per page, then insertSignIns / insertDirectoryAudits / insertUnifiedAuditRecords).
 */
async function buildCase(k: Knobs, files: CacheFiles): Promise<BuildInfo> {
  const t0 = performance.now();
  log(`collecting ${k.scenario} seed ${k.seed}, ${k.users} users, ${k.days} days through the simulator…`);
  const cc = await collectedCase({ scenario: k.scenario, seed: k.seed, users: k.users, days: k.days, eventsPerUserPerDay: 1 });
  try {
    const { db, runId, sim } = cc;
    const collectMs = performance.now() - t0;
    const collectedBySource = eventsBySource(db, runId);
    const collectedEvents = sum(collectedBySource);
    log(`collected ${collectedEvents} events in ${Math.round(collectMs / 1000)} s`);
    if (collectedEvents >= k.events) throw new Error(`the collected case already holds ${collectedEvents} events (>= --events ${k.events}); use fewer --users or more --events`);
    for (const f of [files.collected, `${files.collected}.tmp`]) fs.rmSync(f, { force: true });
    db.prepare('VACUUM INTO ?').run(`${files.collected}.tmp`);

    // The noise: the same tenant, another log seed, as many sign-ins per user per day as it takes to reach --events.
    const g0 = performance.now();
    const window = sim.groundTruth.logs!.window;
    const fromMs = Date.parse(window.from);
    const toMs = Date.parse(window.to);
    const noiseSeed = k.seed + 1_000;
    const spray = backgroundSpray(sim.tenant, k.seed, fromMs, toMs);
    const storeFor = (perUser: number) => new SimLogStore(sim.tenant, { days: k.days, seed: noiseSeed, eventsPerUserPerDay: perUser });
    // The attack and decoy records (and the Exchange history) are the collected case's: the noise store's copies are left out.
    const specials = specialRecords(storeFor(1).ctx);
    const skip = new Set<string>();
    const inWindow = (t: { ms: number }) => t.ms >= fromMs && t.ms < toMs;
    for (const s of specials.signIns) skip.add(s.record.id).add(derivedGuid(`ual|${s.record.id}`));
    for (const s of specials.directoryAudits) skip.add(s.record.id).add(derivedGuid(`ual|${s.record.id}`));
    for (const s of specials.exchangeAdmin) skip.add(s.record.Identity);
    const skipped = 2 * specials.signIns.filter(inWindow).length + 2 * specials.directoryAudits.filter(inWindow).length + specials.exchangeAdmin.filter(inWindow).length;
    // Events the noise adds: each sign-in and audit is an event and so is its Unified Audit Log mirror; Exchange admin records are UAL only.
    const expected = (perUser: number) => {
      const s = storeFor(perUser);
      return s.signIns.count(fromMs, toMs) + s.directoryAudits.count(fromMs, toMs) + s.unifiedAudit.count(fromMs, toMs) - skipped;
    };
    const need = k.events - collectedEvents - 2 * spray.signIns.length;
    const fixed = expected(0);
    let perUser = Math.min(100, Math.max(0.01, Math.ceil(((need - fixed) / (expected(1) - fixed)) * 100) / 100));
    while (perUser < 100 && expected(perUser) < need) perUser = Math.round((perUser + 0.01) * 100) / 100;
    const store = storeFor(perUser);
    log(`growing to ${k.events} events: ${perUser} more sign-ins per user per day (log seed ${noiseSeed}) and ${spray.signIns.length} background spray sign-ins from ${spray.ips} addresses`);

    const run = getRun(db, runId);
    const collectedAt = run?.finishedAt ?? new Date().toISOString();
    let pages = 0;
    const graphFilter = (prop: string) => encodeURIComponent(`${prop} ge ${window.from} and ${prop} lt ${window.to}`);
    const storePage = (source: string, url: string, method: 'GET' | 'POST', body: unknown, requestBody: string | null, write: (evidenceId: number) => number) => {
      db.transaction(() => {
        const ev = insertEvidence(db, {
          runId, source, method, url, status: 200, contentType: 'application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8',
          requestBody, collectedAt, body: Buffer.from(JSON.stringify(body)),
        });
        const records = write(ev.id);
        recordPage(db, runId, source, { records, nextUrl: null });
      })();
      pages++;
    };
    const counts = { signIns: 0, directoryAudits: 0, unifiedAudit: 0 };
    const progress = () => log(`  ${counts.signIns} sign-ins, ${counts.directoryAudits} audits, ${counts.unifiedAudit} UAL rows stored (${Math.round((performance.now() - g0) / 1000)} s)`);

    const signInUrl = `${sim.url}/beta/auditLogs/signIns?$filter=${graphFilter('createdDateTime')}&$top=${GRAPH_PAGE}`;
    const signIns = mergeDesc(store.signIns.iterate(fromMs, toMs), spray.signIns, (r) => Date.parse(r.createdDateTime));
    for (const page of chunks((function* () { for (const r of signIns) if (!skip.has(r.id)) yield r; })(), GRAPH_PAGE)) {
      storePage('graph.signIns', `${signInUrl}&$skiptoken=bench${pages}`, 'GET', { '@odata.context': `${sim.url}/beta/$metadata#auditLogs/signIns`, value: page }, null, (ev) => insertSignIns(db, runId, ev, page));
      counts.signIns += page.length;
      if (counts.signIns % 100_000 < GRAPH_PAGE) progress();
    }
    const auditUrl = `${sim.url}/v1.0/auditLogs/directoryAudits?$filter=${graphFilter('activityDateTime')}&$top=${GRAPH_PAGE}`;
    for (const page of chunks((function* () { for (const r of store.directoryAudits.iterate(fromMs, toMs)) if (!skip.has(r.id)) yield r; })(), GRAPH_PAGE)) {
      storePage('graph.directoryAudits', `${auditUrl}&$skiptoken=bench${pages}`, 'GET', { '@odata.context': `${sim.url}/v1.0/$metadata#auditLogs/directoryAudits`, value: page }, null, (ev) => insertDirectoryAudits(db, runId, ev, page));
      counts.directoryAudits += page.length;
    }
    // The Unified Audit Log: a mirror of every sign-in and audit above, and Exchange admin noise, 5,000 rows a call as Search-UnifiedAuditLog returns them.
    const sprayMirrors = spray.signIns.map((r) => signInMirror(r, Date.parse(r.createdDateTime), sim.tenant.tenantId));
    const ual = mergeDesc(store.unifiedAudit.iterate(fromMs, toMs), sprayMirrors, (r: UnifiedAuditRecord) => Date.parse(r.CreationDate));
    const sessionId = derivedGuid(`bench-detect|${k.seed}`);
    const ualTotal = store.unifiedAudit.count(fromMs, toMs) + sprayMirrors.length;
    const ualUrl = `${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand`;
    for (const page of chunks((function* () { for (const r of ual) if (!skip.has(r.Identity)) yield r; })(), UAL_CALL)) {
      const rows = page.map((r, i) => searchRow(r, counts.unifiedAudit + i + 1, ualTotal, derivedGuid(`runspace|${sessionId}`)));
      const request = JSON.stringify({ CmdletInput: { CmdletName: 'Search-UnifiedAuditLog', Parameters: { StartDate: window.from, EndDate: window.to, SessionId: sessionId, SessionCommand: 'ReturnLargeSet', ResultSize: UAL_CALL } } });
      storePage('exo.unifiedAuditLog', ualUrl, 'POST', { '@odata.context': `${sim.url}/adminapi/beta/$metadata#Collection(Exchange.GenericHashTable)`, value: rows }, request, (ev) => insertUnifiedAuditRecords(db, runId, ev, rows, { rawInEvidence: true }));
      counts.unifiedAudit += rows.length;
      if (counts.unifiedAudit % 100_000 < UAL_CALL) progress();
    }
    progress();
    const growMs = performance.now() - g0;
    const events = sum(eventsBySource(db, runId));
    closeDatabase(db);
    fs.renameSync(`${files.collected}.tmp`, files.collected);
    fs.rmSync(files.grown, { force: true });
    fs.copyFileSync(cc.file, files.grown);
    const info: BuildInfo = {
      builder: BUILDER_VERSION,
      knobs: { scenario: k.scenario, seed: k.seed, users: k.users, days: k.days, events: k.events },
      builtAt: new Date().toISOString(),
      runId,
      collect: { ms: Math.round(collectMs), events: collectedEvents, bySource: collectedBySource },
      grow: {
        ms: Math.round(growMs), noiseEventsPerUserPerDay: perUser, noiseLogSeed: noiseSeed,
        signIns: counts.signIns, directoryAudits: counts.directoryAudits, unifiedAudit: counts.unifiedAudit,
        backgroundSpray: { signIns: spray.signIns.length, ips: spray.ips }, evidencePages: pages,
      },
      buildMs: Math.round(performance.now() - t0),
      events,
      fileMb: Math.round(fs.statSync(files.grown).size / 1e6),
    };
    fs.writeFileSync(files.info, `${JSON.stringify(info, null, 2)}\n`);
    return info;
  } finally {
    await cc.dispose();
  }
}

/** The cached case, or a new one built in a child process (so this process's peak RSS is detection's alone). */
function ensureCase(k: Knobs, files: CacheFiles): { info: BuildInfo; cached: boolean } {
  const read = (): BuildInfo | null => {
    if (!fs.existsSync(files.grown) || !fs.existsSync(files.collected) || !fs.existsSync(files.info)) return null;
    const info = JSON.parse(fs.readFileSync(files.info, 'utf8')) as BuildInfo;
    return info.builder === BUILDER_VERSION ? info : null;
  };
  const cached = k.rebuild ? null : read();
  if (cached) {
    log(`cached case: ${files.grown} (${cached.events} events, built in ${Math.round(cached.buildMs / 1000)} s)`);
    return { info: cached, cached: true };
  }
  const args = ['--seed', String(k.seed), '--users', String(k.users), '--days', String(k.days), '--events', String(k.events), '--build-only', '--rebuild'];
  // `npm run bench` caps the heap to show what detection keeps; the build runs the simulator in process, so it gets V8's default.
  const nodeOptions = (process.env.NODE_OPTIONS ?? '').replace(/--max-old-space-size=\d+/g, '').trim();
  const child = spawnSync(process.execPath, [...process.execArgv, path.join(import.meta.dirname, 'detect.ts'), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_OPTIONS: nodeOptions },
  });
  if (child.status !== 0) throw new Error(`building the case failed (exit ${String(child.status ?? child.signal)})`);
  const built = read();
  if (!built) throw new Error('the case build finished but left no case behind');
  return { info: built, cached: false };
}

// ---- measuring ----------------------------------------------------------------------------------------------------

/**
 * Samples process RSS every 100 ms on a worker thread: detect() is synchronous and blocks the main thread's timers.
 * RSS is the whole process's, so the worker's own few MB are in it.
 */
class RssSampler {
  private readonly worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     let peak = 0;
     const tick = () => { const r = process.memoryUsage.rss(); if (r > peak) peak = r; };
     setInterval(tick, 100);
     parentPort.on('message', () => { tick(); parentPort.postMessage(peak); peak = 0; tick(); });`,
    { eval: true, execArgv: [] },
  );

  /** Peak RSS (MiB, as maxRSS) since the previous call. */
  take(): Promise<number> {
    return new Promise((resolve) => {
      this.worker.once('message', (peak: number) => resolve(Math.round(peak / 2 ** 20)));
      this.worker.postMessage('take');
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

function heapAfterGcMb(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  gc();
  return Math.round(process.memoryUsage().heapUsed / 1e6);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;
const timings = (ms: number[]) => ({ runsMs: ms.map((x) => round(x)), minMs: round(Math.min(...ms)), medianMs: round(median(ms)) });

function byRule(report: DetectionReport): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(report.rules.map((r) => [r.id, 0]));
  for (const f of report.findings) out[f.ruleId] = (out[f.ruleId] ?? 0) + 1;
  return out;
}

/** `peregrine verify` fast and --deep over each case: time, what was checked, and the first problems (none expected of a real collection). */
async function timeVerify(cases: [name: string, file: string][]): Promise<Record<string, unknown>> {
  const { verifyCaseFile } = await import('../main/case/verify');
  const out: Record<string, unknown> = {};
  for (const [name, file] of cases) {
    const entry: Record<string, unknown> = {};
    for (const deep of [false, true]) {
      log(`verify${deep ? ' --deep' : ''} ${name}…`);
      const t = performance.now();
      const report = verifyCaseFile(file, { deep });
      const ms = performance.now() - t;
      entry[deep ? 'deep' : 'fast'] = {
        ms: round(ms),
        ok: report.ok,
        checked: report.checked,
        problems: report.problems.length,
        firstProblems: report.problems.slice(0, 3).map((p) => `${p.where}: ${p.message}`),
      };
    }
    out[name] = entry;
  }
  return out;
}

async function main(): Promise<void> {
  const k = knobs(process.argv.slice(2));
  const files = cacheFiles(k);
  if (k.buildOnly) {
    const info = await buildCase(k, files);
    log(`built ${files.grown}: ${info.events} events, ${info.fileMb} MB, in ${Math.round(info.buildMs / 1000)} s`);
    return;
  }
  const b0 = performance.now();
  const { info, cached } = ensureCase(k, files);
  const ensureMs = performance.now() - b0;
  // Loaded here, not at the top: the build (a child process) does not need the engine.
  const { detect } = await import('../main/detect/engine');
  const { RULES } = await import('../main/detect/rules');

  const sampler = new RssSampler();
  const rssAtStartMb = Math.round(process.memoryUsage().rss / 2 ** 20);

  // Scaling baseline: the collected case before it was grown.
  const small = openCase(files.collected).db;
  const smallEvents = (small.prepare('SELECT count(*) FROM event').pluck().get() as number);
  detect(small); // warm-up
  const smallMs: number[] = [];
  for (let i = 0; i < k.runs; i++) {
    const t = performance.now();
    detect(small);
    smallMs.push(performance.now() - t);
  }
  closeDatabase(small);

  const db = openCase(files.grown).db;
  const runId = info.runId;
  const events = db.prepare('SELECT count(*) FROM event WHERE run_id = ?').pluck().get(runId) as number;
  const bySource = eventsBySource(db, runId);

  // Baseline: one plain full scan of the run's events (the first also pulls the file into the page cache).
  const scan = db.prepare('SELECT count(*) AS events, count(DISTINCT actor_ip) AS ips FROM event WHERE run_id = ?');
  const firstScan0 = performance.now();
  const scanResult = scan.get(runId) as { events: number; ips: number };
  const firstScanMs = performance.now() - firstScan0;
  const scanMs: number[] = [];
  for (let i = 0; i < k.runs; i++) {
    const t = performance.now();
    scan.get(runId);
    scanMs.push(performance.now() - t);
  }

  const heapBeforeMb = heapAfterGcMb();
  await sampler.take();
  const detectMs: number[] = [];
  const peakRssPerRunMb: number[] = [];
  let report: DetectionReport | undefined;
  for (let i = 0; i < k.runs; i++) {
    const t = performance.now();
    report = detect(db);
    detectMs.push(performance.now() - t);
    peakRssPerRunMb.push(await sampler.take());
  }
  const final = report as DetectionReport;
  const heapWithReportMb = heapAfterGcMb();

  // One more run with every rule's evaluate timed in place (not counted above). Shared reads (the context's
  // directory activity, Exchange cmdlets) load on first use and count for the first rule that asks.
  const ruleMs = new Map<string, { ms: number; hits: number }>();
  const timed = RULES.map((rule): Rule => ({
    ...rule,
    evaluate: (ctx, prior) => {
      const t = performance.now();
      const hits = rule.evaluate(ctx, prior);
      ruleMs.set(rule.id, { ms: performance.now() - t, hits: hits.length });
      return hits;
    },
  }));
  const p0 = performance.now();
  detect(db, { rules: timed });
  const profiledMs = performance.now() - p0;
  peakRssPerRunMb.push(await sampler.take());
  closeDatabase(db);
  await sampler.close();

  // verify over the collected case (a real collection: it must pass) and the grown one, fast and --deep, read-only.
  const verifyResult = k.skipVerify ? null : await timeVerify([['collectedCase', files.collected], ['grownCase', files.grown]]);

  const detectMedian = median(detectMs);
  const rulesTotal = [...ruleMs.values()].reduce((s, r) => s + r.ms, 0);
  const result = {
    benchmark: 'peregrine-detect/1',
    node: process.version,
    knobs: { scenario: k.scenario, seed: k.seed, users: k.users, days: k.days, events: k.events, runs: k.runs },
    case: {
      file: files.grown,
      cached,
      megabytes: info.fileMb,
      buildMs: info.buildMs,
      buildMsThisRun: cached ? 0 : round(ensureMs),
      collect: info.collect,
      grow: info.grow,
      events,
      eventsBySource: bySource,
      distinctActorIps: scanResult.ips,
    },
    baseline: {
      scan: { what: 'SELECT count(*), count(DISTINCT actor_ip) FROM event WHERE run_id = ?', firstMs: round(firstScanMs), ...timings(scanMs) },
      collectedCase: { what: 'detect() over the collected case before it was grown', events: smallEvents, ...timings(smallMs) },
    },
    detect: {
      ...timings(detectMs),
      reportElapsedMs: round(final.elapsedMs),
      targetMs: TARGET_MS,
      withinTarget: Math.min(...detectMs) < TARGET_MS,
      eventsPerSecond: Math.round(events / (detectMedian / 1000)),
      ratioToScan: round(detectMedian / median(scanMs), 2),
      ratioToCollectedCase: round(detectMedian / median(smallMs), 2),
      eventsRatioToCollectedCase: round(events / smallEvents, 2),
      findings: final.findings.length,
      findingsByRule: byRule(final),
    },
    perRule: {
      what: 'one extra detect() with each rule timed in place; shared context reads count for the first rule that uses them',
      totalMs: round(profiledMs),
      rulesMs: round(rulesTotal),
      engineMs: round(profiledMs - rulesTotal),
      rules: [...ruleMs.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([id, r]) => ({ id, ms: round(r.ms, 1), hits: r.hits })),
    },
    verify: verifyResult,
    memory: {
      rssAtStartMb,
      peakRssPerDetectRunMb: peakRssPerRunMb,
      sampledPeakRssMb: Math.max(...peakRssPerRunMb),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      heapUsedAfterGcMb: { beforeDetect: heapBeforeMb, withReport: heapWithReportMb },
      maxOldSpaceSizeFlag: process.execArgv.concat((process.env.NODE_OPTIONS ?? '').split(' ')).find((a) => a.startsWith('--max-old-space-size')) ?? null,
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
