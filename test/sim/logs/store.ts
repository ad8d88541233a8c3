// Test tooling (Node): the log store: sign-ins, directory audits and Unified Audit Log rows generated lazily day by day from a seed, with appended records from simulated writes.
import type { Tenant } from '../scenario';
import type { Prng } from '../prng';
import {
  DAY, LogContext, benignAudit, benignExchangeAdmin, benignSignIn, dailyRate, specialRecords,
  type GeneratedSource, type SpecialRecords, type Timed,
} from './generate';
import { derivedGuid, directoryAuditMirror, signInMirror } from './records';
import type { GraphDirectoryAudit, GraphSignIn, LogsGroundTruth, SourceCounts, UnifiedAuditRecord } from './types';
import { buildSignInKinds, type SignInKindStore } from './signin-kinds';

export type { GraphDirectoryAudit, GraphSignIn, LogsGroundTruth, UnifiedAuditRecord } from './types';

export interface LogStream<T> {
  /** Records with timestamp in [fromMs, toMs). Cheap: does not materialise records. */
  count(fromMs: number, toMs: number): number;
  /** Records with timestamp in [fromMs, toMs), newest first by default (as Graph serves them); generated lazily, day by day. */
  iterate(fromMs: number, toMs: number, order?: 'desc' | 'asc'): Iterable<T>;
  /** A record produced by a simulated write (remediation), merged at its own timestamp from now on. */
  append(record: T): void;
}

export interface LogStore {
  /** The window the tenant has history for: [fromMs, toMs), toMs = the scenario's reference time (or now for appended records). */
  readonly fromMs: number;
  readonly toMs: number;
  signIns: LogStream<GraphSignIn>;
  directoryAudits: LogStream<GraphDirectoryAudit>;
  unifiedAudit: LogStream<UnifiedAuditRecord>;
  /** Ground truth for the logs: counts per source in the window, ids of every malicious record, decoy records. */
  groundTruth(): LogsGroundTruth;
}

export interface LogStoreOptions {
  days: number;
  seed: number;
  eventsPerUserPerDay?: number;
  /** Days of generated records each source keeps in memory (default 3). */
  cacheDays?: number;
}

export const DEFAULT_EVENTS_PER_USER_PER_DAY = 3;
export const MAX_DAYS = 180;
/** Entra ID P1/P2 keeps sign-ins and directory audits for 30 days; the Graph routes serve nothing older. */
export const GRAPH_RETENTION_DAYS = 30;

/** A record with its position in the total order (ms, ord): ord breaks ties and makes cursors exact. */
export interface Keyed<T> {
  ms: number;
  ord: number;
  record: T;
}

/** Appended records sort after generated ones at the same millisecond, in append order. */
const APPEND_ORD_BASE = 1_000_000_000;

export function compareKeyed(a: { ms: number; ord: number }, b: { ms: number; ord: number }): number {
  return a.ms - b.ms || a.ord - b.ord;
}

// ---- a small LRU that reports how much it ever held ------------------------------------------------------

class DayCache<V> {
  private readonly map = new Map<number, V>();
  peak = 0;

  constructor(readonly capacity: number) {}

  get(day: number, make: () => V): V {
    const hit = this.map.get(day);
    if (hit !== undefined) {
      this.map.delete(day);
      this.map.set(day, hit);
      return hit;
    }
    const value = make();
    this.map.set(day, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
    this.peak = Math.max(this.peak, this.map.size);
    return value;
  }

  get size(): number {
    return this.map.size;
  }
}

// ---- day sources ------------------------------------------------------------------------------------------

interface DayWindow {
  /** Number of day buckets (UTC days overlapping the window). */
  readonly buckets: number;
  /** Clipped [lo, hi) of bucket d. */
  span(day: number): [number, number];
}

interface DaySource<T> {
  /** Records of the bucket (clipped to the window). */
  dayCount(day: number): number;
  /** Records of the bucket with lo <= ms < hi. */
  dayCountIn(day: number, lo: number, hi: number): number;
  /** The bucket's records, ascending by (ms, ord). */
  dayRecords(day: number): Keyed<T>[];
}

function lowerBound(times: Float64Array | number[], value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Benign records drawn per day (count first, then times, then content) plus the scenario's special records. */
class GeneratedDaySource<T> implements DaySource<T> {
  private readonly counts: Int32Array;
  private readonly specials: Timed<T>[][];
  private readonly times: DayCache<Float64Array>;
  private readonly records: DayCache<Keyed<T>[]>;

  constructor(
    readonly name: GeneratedSource,
    private readonly ctx: LogContext,
    private readonly window: DayWindow,
    private readonly dayStart: (day: number) => number,
    specials: Timed<T>[],
    private readonly make: (prng: Prng, ms: number) => T,
    cacheDays: number,
  ) {
    this.counts = new Int32Array(window.buckets);
    this.specials = Array.from({ length: window.buckets }, () => []);
    for (let d = 0; d < window.buckets; d++) {
      const [lo, hi] = window.span(d);
      const rate = dailyRate(ctx, name, this.dayStart(d)) * ((hi - lo) / DAY);
      // Seeded by the calendar day, not the bucket: a day reads the same whatever the window's length.
      const prng = ctx.stream(`${name}/count/${this.calendarDay(d)}`);
      this.counts[d] = Math.max(0, Math.round(rate * (0.85 + 0.3 * prng.next())));
    }
    for (const s of specials) {
      const d = this.bucketOf(s.ms);
      if (d !== undefined) this.specials[d]?.push(s);
    }
    this.times = new DayCache(Math.max(cacheDays * 2, 4));
    this.records = new DayCache(cacheDays);
  }

  private calendarDay(day: number): number {
    return Math.floor(this.dayStart(day) / DAY);
  }

  private bucketOf(ms: number): number | undefined {
    const d = Math.floor((ms - this.dayStart(0)) / DAY);
    if (d < 0 || d >= this.window.buckets) return undefined;
    const [lo, hi] = this.window.span(d);
    return ms >= lo && ms < hi ? d : undefined;
  }

  get cacheStats(): { cachedDays: number; peakDays: number; capacity: number } {
    return { cachedDays: this.records.size, peakDays: this.records.peak, capacity: this.records.capacity };
  }

  private dayTimes(day: number): Float64Array {
    return this.times.get(day, () => {
      const [lo, hi] = this.window.span(day);
      const prng = this.ctx.stream(`${this.name}/times/${this.calendarDay(day)}`);
      const n = this.counts[day] ?? 0;
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = this.ctx.workingInstant(prng, this.dayStart(day), lo, hi);
      return out.sort();
    });
  }

  dayCount(day: number): number {
    return (this.counts[day] ?? 0) + (this.specials[day]?.length ?? 0);
  }

  dayCountIn(day: number, lo: number, hi: number): number {
    const [dlo, dhi] = this.window.span(day);
    if (lo <= dlo && hi >= dhi) return this.dayCount(day);
    const times = this.dayTimes(day);
    let n = lowerBound(times, hi) - lowerBound(times, lo);
    for (const s of this.specials[day] ?? []) if (s.ms >= lo && s.ms < hi) n++;
    return n;
  }

  dayRecords(day: number): Keyed<T>[] {
    return this.records.get(day, () => {
      const times = this.dayTimes(day);
      const prng = this.ctx.stream(`${this.name}/day/${this.calendarDay(day)}`);
      const merged: Timed<T>[] = [];
      for (const ms of times) merged.push({ ms, record: this.make(prng, ms) });
      for (const s of this.specials[day] ?? []) merged.push(s);
      // Stable: at equal ms, benign records keep their draw order and specials follow.
      merged.sort((a, b) => a.ms - b.ms);
      return merged.map((t, ord) => ({ ms: t.ms, ord, record: t.record }));
    });
  }
}

/** Another source's records seen through a mapping (the UAL's copies of sign-ins and directory audits). */
class MappedDaySource<S, T> implements DaySource<T> {
  constructor(private readonly source: DaySource<S>, private readonly map: (record: S, ms: number) => T) {}
  dayCount(day: number): number {
    return this.source.dayCount(day);
  }
  dayCountIn(day: number, lo: number, hi: number): number {
    return this.source.dayCountIn(day, lo, hi);
  }
  dayRecords(day: number): Keyed<T>[] {
    return this.source.dayRecords(day).map((k) => ({ ms: k.ms, ord: k.ord, record: this.map(k.record, k.ms) }));
  }
}

/** Several sources interleaved by time (the Unified Audit Log: every workload in one log). */
class MergedDaySource<T> implements DaySource<T> {
  private readonly records: DayCache<Keyed<T>[]>;
  constructor(private readonly sources: DaySource<T>[], cacheDays: number) {
    this.records = new DayCache(cacheDays);
  }
  get cacheStats(): { cachedDays: number; peakDays: number; capacity: number } {
    return { cachedDays: this.records.size, peakDays: this.records.peak, capacity: this.records.capacity };
  }
  dayCount(day: number): number {
    return this.sources.reduce((n, s) => n + s.dayCount(day), 0);
  }
  dayCountIn(day: number, lo: number, hi: number): number {
    return this.sources.reduce((n, s) => n + s.dayCountIn(day, lo, hi), 0);
  }
  dayRecords(day: number): Keyed<T>[] {
    return this.records.get(day, () => {
      const all: { ms: number; src: number; ord: number; record: T }[] = [];
      this.sources.forEach((s, src) => {
        for (const k of s.dayRecords(day)) all.push({ ms: k.ms, src, ord: k.ord, record: k.record });
      });
      all.sort((a, b) => a.ms - b.ms || a.src - b.src || a.ord - b.ord);
      return all.map((x, ord) => ({ ms: x.ms, ord, record: x.record }));
    });
  }
}

// ---- streams -------------------------------------------------------------------------------------------------

/** A LogStream over a day source plus appended records; also iterates with positions for cursors. */
export class SimLogStream<T> implements LogStream<T> {
  private readonly appended: Keyed<T>[] = [];
  private seq = 0;
  /** Called after each append (the store mirrors directory audits into the Unified Audit Log). */
  onAppend?: (record: T, ms: number) => void;

  constructor(
    private readonly source: DaySource<T>,
    private readonly window: DayWindow & { fromMs: number; toMs: number; dayStart(day: number): number },
    private readonly timeOf: (record: T) => number,
  ) {}

  get lastAppendedMs(): number | undefined {
    return this.appended[this.appended.length - 1]?.ms;
  }

  private days(fromMs: number, toMs: number): [number, number] {
    const lo = Math.max(fromMs, this.window.fromMs);
    const hi = Math.min(toMs, this.window.toMs);
    if (lo >= hi) return [0, -1];
    const first = Math.floor((lo - this.window.dayStart(0)) / DAY);
    const last = Math.floor((hi - 1 - this.window.dayStart(0)) / DAY);
    return [Math.max(0, first), Math.min(this.window.buckets - 1, last)];
  }

  count(fromMs: number, toMs: number): number {
    let n = 0;
    const [first, last] = this.days(fromMs, toMs);
    for (let d = first; d <= last; d++) n += this.source.dayCountIn(d, fromMs, toMs);
    n += lowerBound(this.appended.map((k) => k.ms), toMs) - lowerBound(this.appended.map((k) => k.ms), fromMs);
    return n;
  }

  iterate(fromMs: number, toMs: number, order: 'desc' | 'asc' = 'desc'): Iterable<T> {
    const keyed = this.iterateKeyed(fromMs, toMs, order);
    return (function* () {
      for (const k of keyed) yield k.record;
    })();
  }

  /** Records in [fromMs, toMs) with their positions; `after` resumes strictly past a position (in the iteration's order). */
  *iterateKeyed(fromMs: number, toMs: number, order: 'desc' | 'asc' = 'desc', after?: { ms: number; ord: number }): Generator<Keyed<T>> {
    const desc = order === 'desc';
    const inRange = (k: Keyed<T>) => k.ms >= fromMs && k.ms < toMs && (!after || (desc ? compareKeyed(k, after) < 0 : compareKeyed(k, after) > 0));
    const extra = this.appended.filter(inRange);
    if (desc) extra.reverse();
    let e = 0;
    const before = (a: Keyed<T>, b: Keyed<T>) => (desc ? compareKeyed(a, b) > 0 : compareKeyed(a, b) < 0);
    const [first, last] = this.days(fromMs, toMs);
    const startDay = after ? Math.floor((after.ms - this.window.dayStart(0)) / DAY) : undefined;
    for (let i = 0; i <= last - first; i++) {
      const d = desc ? last - i : first + i;
      // A cursor skips whole days it has passed without generating them.
      if (startDay !== undefined && (desc ? d > startDay : d < startDay)) continue;
      const records = this.source.dayRecords(d);
      for (let j = 0; j < records.length; j++) {
        const k = records[desc ? records.length - 1 - j : j] as Keyed<T>;
        if (!inRange(k)) continue;
        while (e < extra.length && before(extra[e] as Keyed<T>, k)) yield extra[e++] as Keyed<T>;
        yield k;
      }
    }
    while (e < extra.length) yield extra[e++] as Keyed<T>;
  }

  append(record: T): void {
    const ms = this.timeOf(record);
    if (!Number.isFinite(ms)) throw new Error('appended log record has no valid timestamp');
    const k: Keyed<T> = { ms, ord: APPEND_ORD_BASE + this.seq++, record };
    const at = lowerBound(this.appended.map((x) => x.ms), ms + 1);
    this.appended.splice(at, 0, k);
    this.onAppend?.(record, ms);
  }
}

// ---- the store ------------------------------------------------------------------------------------------------------

export class SimLogStore implements LogStore {
  readonly fromMs: number;
  readonly referenceMs: number;
  readonly days: number;
  readonly ctx: LogContext;
  readonly signIns: SimLogStream<GraphSignIn>;
  readonly directoryAudits: SimLogStream<GraphDirectoryAudit>;
  readonly unifiedAudit: SimLogStream<UnifiedAuditRecord>;
  /** Non-interactive user and service-principal sign-ins (served with a `signInEventTypes` filter), for Graph's retention. */
  readonly signInKinds: SignInKindStore;
  private readonly specials: SpecialRecords;
  private readonly generated: { signIns: GeneratedDaySource<GraphSignIn>; directoryAudits: GeneratedDaySource<GraphDirectoryAudit>; exchangeAdmin: GeneratedDaySource<UnifiedAuditRecord> };
  private readonly ual: MergedDaySource<UnifiedAuditRecord>;
  private readonly window: DayWindow & { fromMs: number; toMs: number; dayStart(day: number): number };

  constructor(readonly tenant: Tenant, options: LogStoreOptions) {
    const { days, seed } = options;
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new Error(`days must be an integer from 1 to ${MAX_DAYS}, got ${days}`);
    const perUser = options.eventsPerUserPerDay ?? DEFAULT_EVENTS_PER_USER_PER_DAY;
    if (!(perUser >= 0 && perUser <= 100)) throw new Error(`eventsPerUserPerDay must be from 0 to 100, got ${perUser}`);
    const cacheDays = options.cacheDays ?? 3;
    this.ctx = new LogContext(tenant, seed, perUser);
    this.referenceMs = this.ctx.refMs;
    this.days = days;
    this.fromMs = this.referenceMs - days * DAY;
    const firstDay = Math.floor(this.fromMs / DAY) * DAY;
    const fromMs = this.fromMs;
    const toMs = this.referenceMs;
    const buckets = Math.ceil((toMs - firstDay) / DAY);
    this.window = {
      fromMs, toMs, buckets,
      dayStart: (d) => firstDay + d * DAY,
      span: (d) => [Math.max(firstDay + d * DAY, fromMs), Math.min(firstDay + (d + 1) * DAY, toMs)],
    };
    const ctx = this.ctx;
    this.specials = specialRecords(ctx);
    const dayStart = this.window.dayStart;
    this.generated = {
      signIns: new GeneratedDaySource('signIns', ctx, this.window, dayStart, this.specials.signIns, (p, ms) => benignSignIn(ctx, p, ms), cacheDays),
      directoryAudits: new GeneratedDaySource('directoryAudits', ctx, this.window, dayStart, this.specials.directoryAudits, (p, ms) => benignAudit(ctx, p, ms), cacheDays),
      exchangeAdmin: new GeneratedDaySource('exchangeAdmin', ctx, this.window, dayStart, this.specials.exchangeAdmin, (p, ms) => benignExchangeAdmin(ctx, p, ms), cacheDays),
    };
    const tenantId = tenant.tenantId;
    this.ual = new MergedDaySource<UnifiedAuditRecord>([
      new MappedDaySource(this.generated.signIns, (r, ms) => signInMirror(r, ms, tenantId)),
      new MappedDaySource(this.generated.directoryAudits, (r, ms) => directoryAuditMirror(r, ms, tenantId)),
      this.generated.exchangeAdmin,
    ], cacheDays);
    this.signIns = new SimLogStream(this.generated.signIns, this.window, (r) => Date.parse(r.createdDateTime));
    this.directoryAudits = new SimLogStream(this.generated.directoryAudits, this.window, (r) => Date.parse(r.activityDateTime));
    this.unifiedAudit = new SimLogStream(this.ual, this.window, (r) => Date.parse(r.CreationDate));
    // The Unified Audit Log receives a copy of every Entra sign-in and directory audit, appended ones included.
    this.directoryAudits.onAppend = (r, ms) => this.unifiedAudit.append(directoryAuditMirror(r, ms, tenantId));
    this.signIns.onAppend = (r, ms) => this.unifiedAudit.append(signInMirror(r, ms, tenantId));
    this.signInKinds = buildSignInKinds(ctx, Math.max(fromMs, toMs - GRAPH_RETENTION_DAYS * DAY), toMs);
  }

  /** The reference time, or just after the newest appended record when writes happened later. */
  get toMs(): number {
    const last = Math.max(this.signIns.lastAppendedMs ?? 0, this.directoryAudits.lastAppendedMs ?? 0, this.unifiedAudit.lastAppendedMs ?? 0);
    return Math.max(this.referenceMs, last + 1);
  }

  /** Days of generated records held now and at most, per source: proof that iteration stays bounded. */
  cacheStats(): Record<'signIns' | 'directoryAudits' | 'exchangeAdmin' | 'unifiedAudit', { cachedDays: number; peakDays: number; capacity: number }> {
    return {
      signIns: this.generated.signIns.cacheStats,
      directoryAudits: this.generated.directoryAudits.cacheStats,
      exchangeAdmin: this.generated.exchangeAdmin.cacheStats,
      unifiedAudit: this.ual.cacheStats,
    };
  }

  groundTruth(): LogsGroundTruth {
    const inWindow = (ms: number) => ms >= this.fromMs && ms < this.referenceMs;
    const ids = <T>(list: Timed<T>[], set: Set<string>, idOf: (r: T) => string) => list.filter((t) => inWindow(t.ms) && set.has(idOf(t.record))).map((t) => idOf(t.record));
    const s = this.specials;
    const maliciousSignIns = ids(s.signIns, s.malicious.signIns, (r) => r.id);
    const maliciousAudits = ids(s.directoryAudits, s.malicious.directoryAudits, (r) => r.id);
    const decoySignIns = ids(s.signIns, s.decoys.signIns, (r) => r.id);
    const decoyAudits = ids(s.directoryAudits, s.decoys.directoryAudits, (r) => r.id);
    const counts = (lo: number, hi: number): SourceCounts => ({
      signIns: this.signIns.count(lo, hi), directoryAudits: this.directoryAudits.count(lo, hi), unifiedAudit: this.unifiedAudit.count(lo, hi),
    });
    const a = this.tenant.attack;
    const retainedFrom = Math.max(this.fromMs, this.referenceMs - GRAPH_RETENTION_DAYS * DAY);
    return {
      format: 'peregrine-sim-logs-ground-truth/1',
      window: { from: new Date(this.fromMs).toISOString(), to: new Date(this.referenceMs).toISOString(), days: this.days },
      graphRetentionDays: GRAPH_RETENTION_DAYS,
      signInKinds: this.signInKinds.truth,
      counts: counts(this.fromMs, this.referenceMs),
      countsServedByGraph: { signIns: this.signIns.count(retainedFrom, this.referenceMs), directoryAudits: this.directoryAudits.count(retainedFrom, this.referenceMs) },
      countsPerDay: Array.from({ length: this.window.buckets }, (_, d) => {
        const [lo, hi] = this.window.span(d);
        return { day: new Date(this.window.dayStart(d)).toISOString().slice(0, 10), ...counts(lo, hi) };
      }),
      malicious: {
        signIns: maliciousSignIns,
        directoryAudits: maliciousAudits,
        unifiedAudit: [
          ...maliciousSignIns.map((id) => derivedGuid(`ual|${id}`)),
          ...maliciousAudits.map((id) => derivedGuid(`ual|${id}`)),
          ...ids(s.exchangeAdmin, s.malicious.exchangeAdmin, (r) => r.Identity),
        ],
      },
      decoys: {
        signIns: decoySignIns,
        directoryAudits: decoyAudits,
        unifiedAudit: [
          ...decoySignIns.map((id) => derivedGuid(`ual|${id}`)),
          ...decoyAudits.map((id) => derivedGuid(`ual|${id}`)),
          ...ids(s.exchangeAdmin, s.decoys.exchangeAdmin, (r) => r.Identity),
        ],
      },
      attack: {
        attackerIp: a.attackerIp,
        compromisedUserPrincipalNames: a.compromisedAccounts.map((c) => c.userPrincipalName),
        stuffingStart: a.stuffing.startDateTime,
        stuffingEnd: a.stuffing.endDateTime,
        targetedAccounts: a.stuffing.targetUserIds.length,
        connectorName: a.exchange.cycles[a.exchange.cycles.length - 1]?.connectorName ?? '',
        ruleNames: a.exchange.transportRuleNames,
        exchangeCycles: a.exchange.cycles.map((c) => ({ created: c.createdDateTime, removed: c.removedDateTime })),
      },
    };
  }
}

export function createLogStore(tenant: Tenant, options: { days: number; seed: number; eventsPerUserPerDay?: number }): LogStore {
  return new SimLogStore(tenant, options);
}
