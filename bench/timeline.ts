// Benchmark (Node, tsx): the timeline over a case of millions of events — index build, first/middle/last page, an IP-filtered page, full-text search, the histogram, and the export's timeline files against a plain JSONL loop plus sha256sum — as JSON.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Database } from 'better-sqlite3';
import { closeDatabase } from '../db/connection';
import { normalizeOperation } from '../db/normalize/operation';
import { insertEvidence } from '../db/queries/evidence';
import { createCase, openCase } from '../main/case/case';
import { applyWrite } from '../main/collect/writes';
import { writeTimelineFiles } from '../main/timeline/events';
import { refreshTimeline } from '../main/timeline/model';
import { timelineHistogram, timelinePage, type TimelineFilter, type TimelinePageQuery } from '../main/timeline/query';
import { createPrng } from '../test/sim/prng';

/** Bump when the builder changes: cached cases of an older builder are built again. */
const BUILDER_VERSION = 1;
const DAY = 24 * 60 * 60 * 1000;
const END = Date.parse('2024-10-15T00:00:00.000Z');
const DAYS = 90;
const USERS = 20_000;
const IPS = 60_000;
const APPS = 300;
const PAGE_EVENTS = 10_000;
/** The attack's burst: a password spray from a few addresses, six hours, 2% of the events. */
const BURST = { from: END - 40 * DAY + 5 * 3600_000, hours: 6, share: 0.02, ips: 12 };

interface Knobs {
  events: number;
  exportEvents: number;
  samples: number;
  rebuild: boolean;
  /** Internal: build one case and exit (run in a child so the measuring process's RSS is its own). */
  buildOnly: boolean;
  /** Internal: time one export writer over a case and print its JSON. */
  exportChild: 'timeline' | 'plain' | null;
  file: string | null;
}

function knobs(argv: string[]): Knobs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      events: { type: 'string', default: '10000000' },
      'export-events': { type: 'string', default: '1000000' },
      samples: { type: 'string', default: '40' },
      quick: { type: 'boolean', default: false },
      rebuild: { type: 'boolean', default: false },
      'build-only': { type: 'boolean', default: false },
      'export-child': { type: 'string' },
      file: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const child = values['export-child'];
  return {
    events: quick ? 200_000 : Number(values.events),
    exportEvents: quick ? 100_000 : Number(values['export-events']),
    samples: Number(values.samples),
    rebuild: values.rebuild === true,
    buildOnly: values['build-only'] === true,
    exportChild: child === 'timeline' || child === 'plain' ? child : null,
    file: values.file ?? null,
  };
}

const cacheFile = (events: number) => path.join(os.tmpdir(), `peregrine-bench-timeline-b${BUILDER_VERSION}-${events}`, 'case.peregrine');


const OPERATIONS: Record<string, string[]> = {
  signin: ['Sign-in activity'],
  ual: ['UserLoggedIn', 'MailItemsAccessed', 'FileAccessed', 'UserLoginFailed', 'Send', 'New-InboxRule', 'Set-Mailbox', 'Add-MailboxPermission'],
  directory_audit: ['Update user', 'Add member to group', 'Consent to application', 'Add service principal', 'Update application – Certificates and secrets management '],
};

/**
 * A case of `events` events, built in bulk: one collection run opened and finished by the collector's own writes
 * (custody entries included), one evidence row per 10,000 events, and the event rows inserted straight into `event`
 * (the normalised table every log source writes) in batches of 100,000 — without the per-source rows (sign_in, …)
 * the collector writes beside them, which the timeline does not read. Then the timeline index is built by
 * refreshTimeline, the code `peregrine timeline` and `export` run.
 */
function build(file: string, events: number): Record<string, number> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
  const started = performance.now();
  const { db } = createCase(file, { name: `Timeline bench ${events}`, examiner: 'Bench' }, { clock: () => new Date(END + DAY), toolVersion: 'bench' });
  db.pragma('cache_size = -1048576');
  const runId = '00000000-0000-4000-8000-000000000001';
  applyWrite(db, { op: 'start', runId, at: new Date(END).toISOString(), environment: 'bench', tenantId: 'bench-tenant', account: 'bench@contoso.example', actor: 'Bench', plan: [], window: null }, () => undefined);
  const prng = createPrng('bench-timeline');
  const rand = prng.next;
  const guid = prng.guid;
  const users = Array.from({ length: USERS }, (_, i) => `user${i}@contoso.example`);
  const ips = Array.from({ length: IPS }, () => `${20 + Math.floor(rand() * 180)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`);
  const burstIps = Array.from({ length: BURST.ips }, (_, i) => `198.51.100.${10 + i}`);
  const apps = Array.from({ length: APPS }, (_, i) => ({ id: guid(), name: `App ${i} ${prng.hex(4)}` }));
  const insert = db.prepare(
    `INSERT INTO event (run_id, at, source, record_id, operation, raw_operation, result, actor_user, actor_app_id, actor_ip, target_type, target_id, target_name, evidence_id, source_row_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const normalized = new Map(Object.values(OPERATIONS).flat().map((o) => [o, normalizeOperation(o)]));
  let evidenceId = 0;
  const span = DAYS * DAY;
  const burstAt = Math.floor(events * (1 - BURST.share));
  for (let batch = 0; batch < events; batch += 100_000) {
    db.transaction(() => {
      for (let i = batch; i < Math.min(events, batch + 100_000); i++) {
        if (i % PAGE_EVENTS === 0) {
          evidenceId = insertEvidence(db, {
            runId, source: 'bench.events', method: 'GET', url: `https://bench.invalid/events?page=${i / PAGE_EVENTS}`, status: 200, contentType: 'application/json',
            collectedAt: new Date(END).toISOString(), body: Buffer.from(JSON.stringify({ page: i / PAGE_EVENTS })),
          }).id;
        }
        const burst = i >= burstAt;
        const at = burst ? BURST.from + Math.floor(rand() * BURST.hours * 3600_000) : END - span + Math.floor((i / burstAt) * span);
        const r = rand();
        const source = burst || r < 0.55 ? 'signin' : r < 0.93 ? 'ual' : 'directory_audit';
        const ops = OPERATIONS[source]!;
        const raw = ops[Math.floor(rand() * ops.length)]!;
        const app = apps[Math.floor(rand() * APPS)]!;
        insert.run(
          runId, new Date(at).toISOString(), source, guid(), normalized.get(raw)!, raw, burst || rand() < 0.08 ? 'failure' : 'success',
          users[Math.floor(rand() * USERS)]!, app.id, burst ? burstIps[Math.floor(rand() * BURST.ips)]! : ips[Math.floor(rand() * IPS)]!,
          'Resource', app.id, app.name, evidenceId, i + 1,
        );
      }
    })();
  }
  applyWrite(db, { op: 'finish', runId, state: 'done', at: new Date(END + 60_000).toISOString(), error: null, actor: 'Bench', entities: [] }, () => undefined);
  const insertedMs = performance.now() - started;
  const t = performance.now();
  refreshTimeline(db);
  const indexMs = performance.now() - t;
  db.pragma('wal_checkpoint(TRUNCATE)');
  closeDatabase(db);
  return { eventsInsertMs: Math.round(insertedMs), timelineIndexMs: Math.round(indexMs), fileMb: Math.round(fs.statSync(file).size / 1048576) };
}

/** The case for `events`, built in a child process unless cached (or --rebuild). */
function ensureCase(events: number, rebuild: boolean): { file: string; cached: boolean; build: Record<string, number> | null } {
  const file = cacheFile(events);
  const info = path.join(path.dirname(file), 'build.json');
  if (!rebuild && fs.existsSync(file) && fs.existsSync(info)) return { file, cached: true, build: JSON.parse(fs.readFileSync(info, 'utf8')) as Record<string, number> };
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/timeline.ts', '--build-only', '--events', String(events)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`building the ${events}-event case failed (exit ${r.status})`);
  fs.writeFileSync(info, r.stdout);
  return { file, cached: false, build: JSON.parse(r.stdout) as Record<string, number> };
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 100) / 100;
};

function timed(samples: number, run: (i: number) => number): { p50Ms: number; p95Ms: number; maxMs: number; rows: number } {
  const times: number[] = [];
  let rows = 0;
  run(0); // a first read warms the page cache for what follows, as a screen's first page does
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    rows += run(i + 1);
    times.push(performance.now() - t);
  }
  return { p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), maxMs: percentile(times, 100), rows: Math.round(rows / samples) };
}

function measureQueries(db: Database, samples: number): Record<string, unknown> {
  const page = (q: TimelinePageQuery) => timelinePage(db, q).rows.length;
  const span = db.prepare('SELECT min(at) AS first, max(at) AS last FROM timeline').get() as { first: string; last: string };
  const firstMs = Date.parse(span.first);
  const lastMs = Date.parse(span.last);
  const pick = <T>(list: T[], i: number) => list[(i * 7919) % list.length]!;
  const ips = db.prepare(`SELECT ip FROM timeline WHERE id % 997 = 0 AND ip IS NOT NULL LIMIT 200`).pluck().all() as string[];
  const users = db.prepare(`SELECT actor FROM timeline WHERE id % 991 = 0 AND actor IS NOT NULL LIMIT 200`).pluck().all() as string[];
  const records = db.prepare(`SELECT record_id FROM timeline WHERE id % 983 = 0 LIMIT 200`).pluck().all() as string[];
  const middle = (i: number) => new Date(firstMs + ((lastMs - firstMs) * (0.3 + (i % 40) / 100))).toISOString();
  // Cursors for the second pages, taken before the timing: a page after a cursor is what scrolling reads.
  const middleCursors = Array.from({ length: samples + 1 }, (_, i) => timelinePage(db, { limit: 100, filter: { from: middle(i) } }).next);
  const ipCursors = Array.from({ length: samples + 1 }, (_, i) => timelinePage(db, { limit: 100, filter: { ip: pick(ips, i) } }).next ?? undefined);
  const histogram = (filter: TimelineFilter, bucket: 'hour' | 'day', split: 'source' | 'result') => timelineHistogram(db, filter, { bucket, split }).length;
  return {
    firstPage: timed(samples, () => page({ limit: 100 })),
    middlePage: timed(samples, (i) => page({ limit: 100, filter: { from: middle(i) } })),
    lastPage: timed(samples, () => page({ limit: 100, last: true })),
    nextPageByCursor: timed(samples, (i) => page({ limit: 100, filter: { from: middle(i) }, after: middleCursors[i]! })),
    ipPage: timed(samples, (i) => page({ limit: 100, filter: { ip: pick(ips, i) } })),
    ipPageAfterCursor: timed(samples, (i) => page({ limit: 100, filter: { ip: pick(ips, i) }, after: ipCursors[i]! })),
    searchUpn: timed(samples, (i) => page({ limit: 100, filter: { search: pick(users, i) } })),
    searchIp: timed(samples, (i) => page({ limit: 100, filter: { search: pick(ips, i) } })),
    searchRecordId: timed(samples, (i) => page({ limit: 100, filter: { search: pick(records, i) } })),
    searchUpnAndFailures: timed(samples, (i) => page({ limit: 100, filter: { search: pick(users, i), result: 'failure' } })),
    // A word most events hold: the page waits for every match (reported, not a target).
    searchCommonWord: timed(Math.min(samples, 5), () => page({ limit: 100, filter: { search: 'MailItemsAccessed' } })),
    histogramHourBySource: timed(Math.min(samples, 10), () => histogram({}, 'hour', 'source')),
    histogramDayByResult: timed(Math.min(samples, 10), () => histogram({}, 'day', 'result')),
    histogramOfOneIp: timed(Math.min(samples, 10), (i) => histogram({ ip: pick(ips, i) }, 'hour', 'result')),
  };
}

/** In a child: one writer over the case, timed, with the child's own peak RSS. */
function exportChild(kind: 'timeline' | 'plain', file: string): void {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-bench-timeline-export-'));
  const { db } = openCase(file, { readonly: true });
  try {
    const t = performance.now();
    let result: Record<string, unknown>;
    if (kind === 'timeline') {
      const r = db.transaction(() => writeTimelineFiles(db, { jsonl: path.join(out, 'timeline.jsonl'), csv: path.join(out, 'timeline.csv') }))();
      result = { rows: r.rows, jsonlMb: Math.round(r.jsonl.bytes / 1048576), csvMb: Math.round(r.csv.bytes / 1048576) };
    } else {
      // The baseline: every row as it is stored, one JSON line each, written with a plain loop, then sha256sum over it.
      const target = path.join(out, 'plain.jsonl');
      const fd = fs.openSync(target, 'wx');
      let rows = 0;
      let chunk: string[] = [];
      for (const row of db.prepare('SELECT * FROM timeline ORDER BY at, id').iterate()) {
        chunk.push(`${JSON.stringify(row)}\n`);
        rows++;
        if (chunk.length === 10_000) {
          fs.writeSync(fd, chunk.join(''));
          chunk = [];
        }
      }
      fs.writeSync(fd, chunk.join(''));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      const sum = spawnSync('sha256sum', [target], { encoding: 'utf8' });
      const digest = sum.status === 0 ? sum.stdout.split(' ')[0] : createHash('sha256').update(fs.readFileSync(target)).digest('hex');
      result = { rows, jsonlMb: Math.round(fs.statSync(target).size / 1048576), sha256: digest, sha256sum: sum.status === 0 };
    }
    // CPU time beside wall time: on a shared machine the wall time also measures the neighbours (sha256sum's CPU is its own process's).
    const cpu = process.resourceUsage();
    process.stdout.write(JSON.stringify({ ...result, ms: Math.round(performance.now() - t), cpuMs: Math.round((cpu.userCPUTime + cpu.systemCPUTime) / 1000), maxRssMb: Math.round(cpu.maxRSS / 1024) }));
  } finally {
    closeDatabase(db);
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function runExportChild(kind: 'timeline' | 'plain', file: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/timeline.ts', '--export-child', kind, '--file', file], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the ${kind} export child failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function main(): void {
  const k = knobs(process.argv.slice(2));
  if (k.buildOnly) {
    process.stdout.write(JSON.stringify(build(cacheFile(k.events), k.events)));
    return;
  }
  if (k.exportChild && k.file) {
    exportChild(k.exportChild, k.file);
    return;
  }
  const big = ensureCase(k.events, k.rebuild);
  const { db } = openCase(big.file, { readonly: true });
  let queries: Record<string, unknown>;
  let rows: number;
  try {
    rows = db.prepare('SELECT count(*) FROM timeline').pluck().get() as number;
    queries = measureQueries(db, k.samples);
  } finally {
    closeDatabase(db);
  }
  const small = k.exportEvents === k.events ? big : ensureCase(k.exportEvents, k.rebuild);
  // Alternate the two writers, twice, so neither gets the warmer page cache every time.
  const runs = [runExportChild('plain', small.file), runExportChild('timeline', small.file), runExportChild('plain', small.file), runExportChild('timeline', small.file)];
  const best = (kind: number) => runs.filter((_, i) => i % 2 === kind).reduce((a, b) => ((a.ms as number) <= (b.ms as number) ? a : b));
  const plain = best(0);
  const timeline = best(1);
  process.stdout.write(`${JSON.stringify({
    bench: 'timeline',
    events: k.events,
    timelineRows: rows,
    case: { file: big.file, cached: big.cached, build: big.build },
    targets: { pageP95Ms: 50, histogramMs: 500, exportRatio: 1.5 },
    queries,
    export: {
      events: k.exportEvents,
      caseCached: small.cached,
      timelineFiles: timeline,
      plainJsonlAndSha256sum: plain,
      ratio: Math.round(((timeline.ms as number) / (plain.ms as number)) * 100) / 100,
      runs,
    },
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
  }, null, 2)}\n`);
}

main();
