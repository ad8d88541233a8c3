// Main process / CLI: runs a collection source by source, page by page; each page's evidence, rows and checkpoint commit together, so a killed run resumes with nothing lost or duplicated.
import type { Database } from 'better-sqlite3';
import { getRun } from '../../db/queries/runs';
import type { SnapshotEntity } from '../../db/queries/changes';
import { listSources, type SourceNotice } from '../../db/queries/sources';
import { inlineWriter, threadWriter, type CaseWriter } from './writer';
import type { WorkerEntry } from '../jobs/collect-job';
import type { GraphReader } from '../graph/reader';
import type { TenantEnvironment } from '../auth/environment';
import type { ExchangeReader } from '../exchange/reader';
import type { CollectionStatus } from '../../preload/contract';

/** One page a source fetched: exactly what goes into evidence, the objects in it, and where to continue. */
export interface SourcePage {
  method: 'GET' | 'POST';
  url: string;
  status: number;
  contentType: string;
  body: Buffer;
  value: unknown[];
  /** Checkpoint for the next page (a nextLink, or a source's own cursor); null at the end. */
  next: string | null;
  /** The service said it holds more than it will return for this request (a capped window). */
  truncated?: boolean;
  /** Warnings and errors the service gave with this page, or what the cloud does not serve. */
  notices?: SourceNotice[];
  /** For POST reads: what was asked, kept with the evidence. */
  requestBody?: string;
}

export interface Readers {
  /** Where the tenant lives: some clouds do not serve every log (CLOUDS in auth/environment.ts). */
  cloud?: TenantEnvironment['cloud'];
  graph: GraphReader;
  /** Absent when the examiner has not signed in to Exchange Online: its sources are not planned. */
  exchange?: ExchangeReader;
}

export interface FetchContext {
  db: Database;
  runId: string;
  pageSize: number;
  /** The time window of a windowed (log) source, as planned when the run started; null for directory objects. */
  window: { from: string; to: string } | null;
  /** What else the source was planned to cover (e.g. mailboxes), as stored with the plan; null when nothing. */
  scope: unknown;
  signal?: AbortSignal;
  onRetry: () => void;
}

export interface CollectionSource {
  source: string;
  label: string;
  service: keyof Readers;
  /** Fetches the page at `cursor`, or the first page when null. */
  fetch(readers: Readers, cursor: string | null, ctx: FetchContext): Promise<SourcePage>;
  /**
   * Derives rows from one page's objects; throws (refusing the whole page) on an object it cannot read. May return how
   * many records are new to the run (a restarted search reads some again); otherwise every object counts.
   */
  store(db: Database, runId: string, evidenceId: number, objects: unknown[]): void | number;
  /**
   * The objects `store` was given for a page, read again from its evidence (verify re-derives every row from them).
   * `session` is shared by the pages of one run and source, read in evidence order. Default: a Graph page's `value`.
   */
  reread?: (page: StoredPage, session: Map<string, unknown>) => unknown[];
  /**
   * How many of a page's objects `store` counted as records new to the run, given the run's earlier pages of the source
   * seen through `session` (verify compares the source's record count with it). Default: every object.
   */
  recount?: (objects: unknown[], session: Map<string, unknown>) => number;
  /** Snapshotted entities: a clean re-collection records what appeared, disappeared or changed since the last one. */
  snapshot?: SnapshotEntity | SnapshotEntity[];
  /** Log sources read a time window (the run's), and record it in the completeness account. */
  windowed?: boolean;
  /** Shares Graph's identity-report budget (5 requests per 10 s): collected in its own lane beside the rest. */
  throttled?: boolean;
  /** What the run asks this source to cover beyond a window, stored with the plan so a resume reads the same. */
  scopeOf?: (target: CollectTarget) => unknown;
}

/** An evidence row as verify reads it back: what was asked and the body as received. */
export interface StoredPage {
  method: string;
  url: string;
  requestBody: string | null;
  body: Buffer;
}

export interface CollectDeps {
  db: Database;
  readers: Readers;
  clock: () => Date;
  onProgress?: (status: CollectionStatus) => void;
  signal?: AbortSignal;
  /** Objects per page; Graph's maximum for directory objects (999) keeps the request count, and throttling, down. */
  pageSize?: number;
  /** Store pages on a case writer thread (its code); without it they are stored on this thread, each before the next request. */
  writerEntry?: WorkerEntry;
  /** Filled in as the run goes, for the benchmark: where the time went. */
  timings?: CollectionTimings;
}

export interface CollectionTimings {
  /** Time spent applying writes (on the writer thread when there is one). */
  writerBusyMs: number;
  writes: number;
  /** Per source: time waiting for pages to come back, and waiting for the writer to take more (a few pages run ahead of it). */
  sources: Record<string, { fetchMs: number; waitedForWriterMs: number; pages: number }>;
}

export interface CollectTarget {
  runId: string;
  environment: string;
  tenantId: string;
  /** UPN of the signed-in identity (never a token). */
  account: string;
  /** Who asked for the collection (the examiner), for the custody log. */
  actor: string;
  /** Continue this run from its checkpoints instead of starting it. */
  resume?: boolean;
  /** Time window for log sources (ISO, UTC; `to` exclusive). Needed when any planned source is windowed. */
  window?: { from: string; to: string };
  /** Mailboxes whose inbox rules to read (UPNs or addresses), chosen by the examiner. */
  inboxRuleMailboxes?: string[];
  /** App ids of the engagement's own apps (auth/environment.ts engagementAppsFor), recorded with the run for detection. */
  engagementApps?: string[];
}

/**
 * Pages of one source fetched but not yet stored: the next request goes out while the writer stores the last ones.
 * A throttled source may run further ahead (its pages are small and its requests must leave on time).
 */
const PAGES_IN_FLIGHT = 2;
const THROTTLED_PAGES_IN_FLIGHT = 8;

export async function runCollection(deps: CollectDeps, target: CollectTarget, sources: readonly CollectionSource[]): Promise<CollectionStatus> {
  const { db, clock } = deps;
  const { runId } = target;
  const stores = new Map(sources.map((s) => [s.source, s.store]));
  const writer = deps.writerEntry ? threadWriter(db.name, deps.writerEntry) : inlineWriter(db, (name) => stores.get(name));
  try {
    if (target.resume) {
      await writer.write({ op: 'resume', runId, at: clock().toISOString(), account: target.account, actor: target.actor });
    } else {
      const windowed = sources.filter((s) => s.windowed);
      if (windowed.length && !target.window) throw new Error(`Log sources (${windowed.map((s) => s.label).join(', ')}) need a time window.`);
      await writer.write({
        op: 'start',
        runId,
        at: clock().toISOString(),
        environment: target.environment,
        tenantId: target.tenantId,
        account: target.account,
        actor: target.actor,
        window: target.window ?? null,
        engagementApps: target.engagementApps ?? [],
        plan: sources.map(({ source, label, windowed: w, scopeOf }) => ({
          source,
          label,
          windowFrom: w ? target.window!.from : null,
          windowTo: w ? target.window!.to : null,
          scope: scopeOf?.(target),
        })),
      });
    }
    return await collectAll(deps, target, sources, writer);
  } finally {
    await writer.close();
    if (deps.timings) {
      deps.timings.writerBusyMs = Math.round(writer.stats.busyMs);
      deps.timings.writes = writer.stats.writes;
    }
  }
}

async function collectAll(deps: CollectDeps, target: CollectTarget, sources: readonly CollectionSource[], writer: CaseWriter): Promise<CollectionStatus> {
  const { db, readers, clock } = deps;
  const { runId } = target;
  const emit = () => deps.onProgress?.(collectionStatus(db, runId));
  emit();

  let cancelled = false;
  async function collectSource(spec: CollectionSource) {
    const record = listSources(db, runId).find((s) => s.source === spec.source);
    if (!record) throw new Error(`Run ${runId} was planned without the source ${spec.source}; start a new collection.`);
    if (record.state === 'done' || cancelled) return;
    await writer.write({ op: 'running', runId, source: spec.source, at: clock().toISOString() });
    emit();
    // Pages stored but no checkpoint: the last page landed before the run was stopped.
    let cursor: string | null = record.nextUrl;
    let more = record.nextUrl !== null || record.pages === 0;
    // Each page's write settles into this list; the first refusal stops the source (later pages are not stored either).
    const inFlight: Promise<void>[] = [];
    let refused: Error | null = null;
    try {
      const window = record.windowFrom && record.windowTo ? { from: record.windowFrom, to: record.windowTo } : null;
      const onRetry = () => void writer.write({ op: 'retry', runId, source: spec.source }).catch(() => undefined);
      const ctx: FetchContext = { db, runId, pageSize: deps.pageSize ?? 999, window, scope: record.scope, signal: deps.signal, onRetry };
      const timing = deps.timings ? (deps.timings.sources[spec.source] ??= { fetchMs: 0, waitedForWriterMs: 0, pages: 0 }) : null;
      while (more) {
        let t = performance.now();
        const page = await spec.fetch(readers, cursor, ctx);
        if (timing) timing.fetchMs += performance.now() - t;
        if (refused) throw refused;
        const stored = writer.write({
          op: 'page',
          runId,
          source: spec.source,
          label: spec.label,
          at: clock().toISOString(),
          page: {
            method: page.method,
            url: page.url,
            status: page.status,
            contentType: page.contentType,
            body: page.body,
            requestBody: page.requestBody ?? null,
            value: page.value,
            next: page.next,
            truncated: page.truncated ?? false,
            notices: page.notices ?? [],
          },
        });
        inFlight.push(stored.then(emit, (err: Error) => void (refused ??= err)));
        t = performance.now();
        while (inFlight.length >= (spec.throttled ? THROTTLED_PAGES_IN_FLIGHT : PAGES_IN_FLIGHT)) await inFlight.shift();
        if (timing) {
          timing.waitedForWriterMs += performance.now() - t;
          timing.pages++;
        }
        if (refused) throw refused;
        cursor = page.next;
        more = cursor !== null;
      }
      await Promise.all(inFlight.splice(0));
      if (refused) throw refused;
      await writer.write({ op: 'finishSource', runId, source: spec.source, state: 'done', at: clock().toISOString(), error: null });
    } catch (err) {
      // What was fetched before the stop is still stored (or refused) before the source is closed.
      await Promise.all(inFlight.splice(0));
      if (deps.signal?.aborted && !refused) {
        cancelled = true;
        await writer.write({ op: 'finishSource', runId, source: spec.source, state: 'cancelled', at: clock().toISOString(), error: 'Cancelled by the examiner; resume continues from the last stored page.' });
      } else {
        await writer.write({ op: 'finishSource', runId, source: spec.source, state: 'failed', at: clock().toISOString(), error: (refused ?? (err as Error)).message });
      }
    }
    emit();
  }

  // Two lanes: the report endpoints wait on their 5-per-10-s budget while everything else proceeds beside them,
  // so a collection takes about as long as that budget allows and no longer. Order is kept within a lane.
  const lane = async (specs: readonly CollectionSource[]) => {
    for (const spec of specs) await collectSource(spec);
  };
  await Promise.all([lane(sources.filter((s) => s.throttled)), lane(sources.filter((s) => !s.throttled))]);

  const final = listSources(db, runId);
  const failed = final.filter((s) => s.state === 'failed');
  const state = cancelled ? 'cancelled' : failed.length === 0 && final.every((s) => s.state === 'done') ? 'done' : 'failed';
  const error =
    state === 'cancelled' ? 'Cancelled. What was collected is kept; resume the collection to continue from the last stored page.'
    : failed.length ? `${failed.length} of ${final.length} sources failed: ${failed.map((s) => s.label).join(', ')}. What was collected is kept; resume the collection to retry them.`
    : null;
  const entities = sources.flatMap((spec) => (spec.snapshot === undefined ? [] : [spec.snapshot].flat()));
  await writer.write({ op: 'finish', runId, state, at: clock().toISOString(), error, actor: target.actor, entities });
  const status = collectionStatus(db, runId);
  deps.onProgress?.(status);
  return status;
}

/** The run as the UI and CLI show it, read from the case file: the same numbers survive a restart. */
export function collectionStatus(db: Database, runId: string): CollectionStatus {
  const run = getRun(db, runId);
  if (!run) throw new Error(`There is no collection run ${runId} in this case.`);
  return {
    runId,
    state: run.state,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    sources: listSources(db, runId).map((s) => ({
      source: s.source,
      label: s.label,
      state: s.state === 'cancelled' ? 'failed' : s.state,
      pages: s.pages,
      records: s.records,
      error: s.lastError,
    })),
    error: run.error,
  };
}
