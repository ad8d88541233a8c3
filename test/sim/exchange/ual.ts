// Test tooling (Node): Search-UnifiedAuditLog over LOGS' Unified Audit Log stream (limits, SessionId / ReturnLargeSet paging) and the ExchangeAdmin records Exchange writes.
import { UAL_RECORD_TYPES, derivedGuid, exchangeAdminRecord as logsExchangeAdminRecord, searchRow } from '../logs/records';
import type { UnifiedAuditRecord, UnifiedAuditSearchRow } from '../logs/types';

/** One Unified Audit Log record as Search-UnifiedAuditLog returns it (LOGS' type; ResultIndex/ResultCount are added per search). */
export type UnifiedAuditRow = UnifiedAuditRecord;

/** The part of LOGS' `LogStream<UnifiedAuditRecord>` Exchange needs. */
export interface UnifiedAuditStream {
  count(fromMs: number, toMs: number): number;
  iterate(fromMs: number, toMs: number, order?: 'desc' | 'asc'): Iterable<UnifiedAuditRow>;
  append(record: UnifiedAuditRow): void;
  /**
   * Optional: only the records of these RecordTypes (e.g. ExchangeAdmin), without generating the others. A search
   * filtered by RecordType uses it when present, so it need not materialise millions of sign-in records to find a few hundred.
   */
  iterateRecordTypes?(recordTypes: readonly string[], fromMs: number, toMs: number, order?: 'desc' | 'asc'): Iterable<UnifiedAuditRow>;
}

/** Who ran a cmdlet, as the ExchangeAdmin record names them. */
export interface AdminActor {
  kind: 'user' | 'app';
  /** UPN for a user; the service principal's object id for an app. */
  userId: string;
  /** Opaque key Exchange logs (a user's PUID, an app's appId). */
  userKey: string;
  /** Application (client) id of the caller's app. */
  appId: string;
  clientIp: string | null;
}

export interface ExchangeAdminRecordInput {
  id: string;
  atMs: number;
  operation: string;
  objectId: string;
  parameters: { Name: string; Value: string }[];
  actor: AdminActor;
  tenantId: string;
  organizationName: string;
  originatingServer: string;
  succeeded?: boolean;
}

/** The ExchangeAdmin (RecordType 1) record Exchange writes for an admin cmdlet, built with LOGS' builder so every source agrees on the shape. */
export function exchangeAdminRecord(input: ExchangeAdminRecordInput): UnifiedAuditRow {
  const { actor } = input;
  return logsExchangeAdminRecord({
    id: input.id,
    ms: input.atMs,
    tenantId: input.tenantId,
    tenantDomain: input.organizationName,
    operation: input.operation,
    objectId: input.objectId,
    parameters: input.parameters,
    userId: actor.userId,
    userKey: actor.userKey,
    // 2 = Admin (a person holding an admin role), 5 = Application (app-only access).
    userType: actor.kind === 'app' ? 5 : 2,
    appId: actor.appId,
    clientIp: actor.clientIp ?? '',
    originatingServer: input.originatingServer,
    resultStatus: input.succeeded === false ? 'False' : 'True',
  });
}

export function rowTimeMs(row: UnifiedAuditRow): number {
  return Date.parse(row.CreationDate);
}

/** A small in-memory stream: the Exchange history alone, used until (or unless) LOGS' store is wired. */
export function memoryUnifiedAuditStream(initial: readonly UnifiedAuditRow[]): UnifiedAuditStream {
  const rows = [...initial].sort((a, b) => rowTimeMs(a) - rowTimeMs(b) || (a.Identity < b.Identity ? -1 : 1));
  const inRange = (fromMs: number, toMs: number) => rows.filter((r) => rowTimeMs(r) >= fromMs && rowTimeMs(r) < toMs);
  return {
    count: (fromMs, toMs) => inRange(fromMs, toMs).length,
    iterate: (fromMs, toMs, order = 'desc') => (order === 'desc' ? inRange(fromMs, toMs).reverse() : inRange(fromMs, toMs)),
    append: (record) => {
      rows.push(record);
      rows.sort((a, b) => rowTimeMs(a) - rowTimeMs(b) || (a.Identity < b.Identity ? -1 : 1));
    },
  };
}

/** Limits documented for Search-UnifiedAuditLog. */
export const UAL_LIMITS = { defaultResultSize: 100, maxResultSize: 5000, maxPerSession: 50_000 } as const;

export interface UalQuery {
  startMs: number;
  endMs: number;
  recordTypes: Set<string> | null;
  operations: Set<string> | null;
  userIds: Set<string> | null;
  objectIds: Set<string> | null;
  /** Free text: the record's AuditData must contain it (case-insensitive). */
  freeText: string | null;
}

export function matches(row: UnifiedAuditRow, q: UalQuery): boolean {
  if (q.recordTypes && !q.recordTypes.has(row.RecordType.toLowerCase())) return false;
  if (q.operations && !q.operations.has(row.Operations.toLowerCase())) return false;
  if (q.userIds && !q.userIds.has(row.UserIds.toLowerCase())) return false;
  if (q.freeText && !row.AuditData.toLowerCase().includes(q.freeText)) return false;
  if (q.objectIds) {
    let objectId = '';
    try {
      const parsed: unknown = JSON.parse(row.AuditData);
      if (parsed && typeof parsed === 'object' && 'ObjectId' in parsed && typeof parsed.ObjectId === 'string') objectId = parsed.ObjectId;
    } catch {
      return false;
    }
    if (!q.objectIds.has(objectId.toLowerCase())) return false;
  }
  return true;
}

/** A stable hash, so ReturnLargeSet's "unsorted" order is the same on every run. */
function scatter(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** ReturnLargeSet's order: by a stable hash of Identity (computed once per row, not per comparison). */
function scattered(rows: UnifiedAuditRow[]): UnifiedAuditRow[] {
  const keyed = rows.map((row) => ({ key: scatter(row.Identity), row }));
  keyed.sort((a, b) => a.key - b.key || (a.row.Identity < b.row.Identity ? -1 : 1));
  return keyed.map((k) => k.row);
}

/** How a session that stalls shows it (DFIR-O365RC's Get-LargeUnifiedAuditLog tests for the last two, and restarts). */
export type UalStall = 'empty' | 'index-minus-one' | 'count-zero';

interface Session {
  queryKey: string;
  /** The result set; emptied once read to the end (count and position stay, so later calls still return nothing). */
  rows: UnifiedAuditRow[];
  count: number;
  position: number;
  /** Calls answered so far, and the call at which this session stalls (if it does). */
  calls: number;
  stall: { at: number; kind: UalStall } | null;
}

/**
 * Sessions that stall, as real ReturnLargeSet sessions do when the search times out server-side: a page of rows
 * stamped ResultIndex -1 or ResultCount 0, or an empty page before ResultCount rows came back; the session returns
 * nothing after that. Which windows stall is seeded (a stable hash of seed and query), so runs repeat exactly; a new
 * session for the same window stalls again until `sessions` of them have (then one completes).
 * Source: ANSSI-FR/DFIR-O365RC, DFIR-O365RC/DFIR-O365RC.psm1, Get-LargeUnifiedAuditLog (ResultCount 0 / ResultIndex -1
 * mean the session failed: it starts the search again under a new session).
 */
export interface UalStallOptions {
  seed: number;
  /** Share of windows (0 to 1) whose sessions stall. */
  rate: number;
  /** Sessions per window that stall before one completes (default 1; a large number: the window never completes). */
  sessions?: number;
}

/** A stable share in [0, 1) for a seed, a purpose and a key: which windows a fault knob picks. */
export function seededShare(seed: number, purpose: string, key: string): number {
  return scatter(`${seed}|${purpose}|${key}`) / 2 ** 32;
}

/**
 * Sessions whose rows the simulator keeps (least recently used first out). A client that abandons a session (the
 * collector does when a slice's first page says it is full) would otherwise leave 50,000 rows behind each time.
 * Exchange's own session lifetime is not documented; an evicted session id starts over as a new search.
 */
export const UAL_LIVE_SESSIONS = 2;
/** Rows read between the search's chances to yield, and how long searchAsync runs before it lets the event loop in. */
const STEP_ROWS = 256;
const YIELD_EVERY_MS = 10;

export interface UalSession {
  id: string;
  command: 'ReturnLargeSet' | 'ReturnNextPreviewPage';
}

/** Finished sessions remembered without their rows, so reading past the end keeps returning nothing. */
const UAL_FINISHED_SESSIONS = 10_000;

/**
 * Search-UnifiedAuditLog over a stream. Without a session every call returns the newest ResultSize rows.
 * With SessionId + ReturnLargeSet each call returns the next ResultSize rows of one result set of at most 50,000 rows,
 * in no particular order (Microsoft documents ReturnLargeSet results as unsorted); after 50,000 the session returns nothing.
 */
export class UnifiedAuditSearch {
  /** In use order, oldest first. */
  private readonly sessions = new Map<string, Session>();
  private readonly finished = new Map<string, Session>();
  /** Sessions started per query, for the stall knob. */
  private readonly started = new Map<string, number>();
  /** Sessions that stalled, in order (tests read it to know the knob fired). */
  readonly stalls: { queryKey: string; kind: UalStall }[] = [];

  constructor(private readonly stream: () => UnifiedAuditStream, private readonly stallOptions: UalStallOptions | null = null) {}

  private stallFor(queryKey: string, count: number, resultSize: number): Session['stall'] {
    const o = this.stallOptions;
    if (!o || seededShare(o.seed, 'stall', queryKey) >= o.rate) return null;
    const n = (this.started.get(queryKey) ?? 0) + 1;
    this.started.set(queryKey, n);
    if (n > (o.sessions ?? 1)) return null;
    // A one-call session can only show its stall in the rows' stamps; a longer one stalls on its second call.
    if (count <= resultSize) return { at: 0, kind: seededShare(o.seed, `kind${n}`, queryKey) < 0.5 ? 'index-minus-one' : 'count-zero' };
    const kinds: UalStall[] = ['empty', 'index-minus-one', 'count-zero'];
    return { at: 1, kind: kinds[Math.floor(seededShare(o.seed, `kind${n}`, queryKey) * kinds.length)]! };
  }

  /** Candidate rows for a query, newest first: narrowed by RecordType at the source when the stream can. */
  private candidates(q: UalQuery): Iterable<UnifiedAuditRow> {
    const stream = this.stream();
    if (q.recordTypes && stream.iterateRecordTypes) {
      const names = Object.keys(UAL_RECORD_TYPES).filter((n) => q.recordTypes?.has(n.toLowerCase()));
      return stream.iterateRecordTypes(names, q.startMs, q.endMs, 'desc');
    }
    return stream.iterate(q.startMs, q.endMs, 'desc');
  }

  search(q: UalQuery, resultSize: number, session: UalSession | null): UnifiedAuditSearchRow[] {
    const steps = this.steps(q, resultSize, session);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * The same search, letting the event loop run every few milliseconds while it reads the stream: the simulator's
   * server uses it, so Graph requests keep being answered (and stamped for throttling) while a 50,000-row session builds.
   */
  async searchAsync(q: UalQuery, resultSize: number, session: UalSession | null): Promise<UnifiedAuditSearchRow[]> {
    const steps = this.steps(q, resultSize, session);
    let since = performance.now();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (performance.now() - since >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        since = performance.now();
      }
    }
  }

  /** The search, yielding (nothing) every STEP_ROWS rows read; sessions change only after the last yield. */
  private *steps(q: UalQuery, resultSize: number, session: UalSession | null): Generator<void, UnifiedAuditSearchRow[], void> {
    let read = 0;
    // PowerShell stamps each row with the runspace that ran the search; one per session (or per query) here.
    const runspaceId = derivedGuid(`runspace|${session?.id ?? JSON.stringify([q.startMs, q.endMs])}`);
    if (!session) {
      const out: UnifiedAuditRow[] = [];
      const unfiltered = !q.recordTypes && !q.operations && !q.userIds && !q.objectIds && !q.freeText;
      if (unfiltered) {
        // No filter: the stream counts without materialising, and only the first ResultSize rows are built.
        const total = this.stream().count(q.startMs, q.endMs);
        if (resultSize > 0) {
          for (const row of this.stream().iterate(q.startMs, q.endMs, 'desc')) {
            if (++read % STEP_ROWS === 0) yield;
            out.push(row);
            if (out.length >= resultSize) break;
          }
        }
        return out.map((row, i) => searchRow(row, i + 1, total, runspaceId));
      }
      let total = 0;
      for (const row of this.candidates(q)) {
        if (++read % STEP_ROWS === 0) yield;
        if (!matches(row, q)) continue;
        total++;
        if (out.length < resultSize) out.push(row);
      }
      return out.map((row, i) => searchRow(row, i + 1, total, runspaceId));
    }
    const queryKey = JSON.stringify({ ...q, recordTypes: [...(q.recordTypes ?? [])], operations: [...(q.operations ?? [])], userIds: [...(q.userIds ?? [])], objectIds: [...(q.objectIds ?? [])], command: session.command });
    let state = this.sessions.get(session.id) ?? this.finished.get(session.id);
    if (!state || state.queryKey !== queryKey) {
      // A session id reused with other parameters starts over, as a new search.
      const rows: UnifiedAuditRow[] = [];
      for (const row of this.candidates(q)) {
        if (++read % STEP_ROWS === 0) yield;
        if (!matches(row, q)) continue;
        rows.push(row);
        if (rows.length >= UAL_LIMITS.maxPerSession) break;
      }
      state = {
        queryKey, rows: session.command === 'ReturnLargeSet' ? scattered(rows) : rows, count: rows.length, position: 0, calls: 0,
        stall: session.command === 'ReturnLargeSet' ? this.stallFor(queryKey, rows.length, resultSize) : null,
      };
      this.finished.delete(session.id);
    }
    this.sessions.delete(session.id);
    const start = state.position;
    const page = state.rows.slice(start, start + resultSize);
    state.position += page.length;
    const count = state.count;
    const stall = state.stall && state.stall.at === state.calls ? state.stall.kind : null;
    state.calls++;
    if (stall) {
      // The session ends here: this call shows the stall, later ones return nothing.
      this.stalls.push({ queryKey, kind: stall });
      state.rows = [];
      state.position = state.count;
      this.finished.set(session.id, state);
      if (stall === 'empty') return [];
      // What a broken-off call returns beside the stamp is not documented: here, the first half of its rows.
      return page.slice(0, Math.ceil(page.length / 2)).map((row, i) => ({ ...searchRow(row, start + i + 1, count, runspaceId), ...(stall === 'index-minus-one' ? { ResultIndex: -1 } : { ResultCount: 0 }) }));
    }
    if (state.position >= state.count) {
      state.rows = [];
      this.finished.set(session.id, state);
      if (this.finished.size > UAL_FINISHED_SESSIONS) this.finished.delete(this.finished.keys().next().value as string);
    } else {
      this.sessions.set(session.id, state);
      if (this.sessions.size > UAL_LIVE_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    }
    return page.map((row, i) => searchRow(row, start + i + 1, count, runspaceId));
  }
}
