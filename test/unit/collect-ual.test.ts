// The Unified Audit Log source: session paging with ReturnLargeSet, splitting windows over the 50,000-row session cap, truncation only when a minute is too busy.
import { describe, expect, it } from 'vitest';
import { EXCHANGE_LOG_SOURCES, UAL_MAX_RESTARTS, UAL_SESSION_CAP } from '../../main/collect/sources';
import type { ExchangeReader, ExchangePage } from '../../main/exchange/reader';
import type { FetchContext, Readers } from '../../main/collect/engine';
import type { Database } from 'better-sqlite3';

interface Row { Identity: string; CreationDate: string; ResultIndex?: number; ResultCount?: number }

type Stall = 'empty' | 'index-minus-one' | 'count-zero' | 'gap';

/**
 * Search-UnifiedAuditLog as documented: 5,000 rows per call at most, 50,000 per session, ResultCount on every row.
 * `stall(window, session, call)` makes a session break off at that call, as a server-side timeout does (the n-th
 * session of a window, the n-th call of that session, both from 0); the session returns nothing afterwards.
 */
function fakeExchange(rows: Row[], capCount = false, stall: (window: string, session: number, call: number) => Stall | null = () => null) {
  const sessions = new Map<string, number>();
  const dead = new Set<string>();
  const callsOf = new Map<string, number>();
  const sessionsOf = new Map<string, string[]>();
  let calls = 0;
  const reader: ExchangeReader = {
    invokeUrl: 'https://outlook.test/adminapi/beta/t/InvokeCommand',
    pages: () => { throw new Error('not used'); },
    page: async (cmdlet, p) => {
      calls++;
      expect(cmdlet).toBe('Search-UnifiedAuditLog');
      expect(p.SessionCommand).toBe('ReturnLargeSet');
      const from = Date.parse(String(p.StartDate));
      const to = Date.parse(String(p.EndDate));
      const inWindow = rows.filter((r) => Date.parse(r.CreationDate) >= from && Date.parse(r.CreationDate) < to);
      const session = String(p.SessionId);
      const windowKey = `${String(p.StartDate)}|${String(p.EndDate)}`;
      const known = sessionsOf.get(windowKey) ?? [];
      if (!known.includes(session)) sessionsOf.set(windowKey, [...known, session]);
      const call = callsOf.get(session) ?? 0;
      callsOf.set(session, call + 1);
      const offset = sessions.get(session) ?? 0;
      const size = Math.min(Number(p.ResultSize), 5000);
      const broken = dead.has(session) ? 'empty' : stall(windowKey, (sessionsOf.get(windowKey) ?? []).indexOf(session), call);
      if (broken) dead.add(session);
      // A broken-off call returns part of what it should have (or nothing).
      const slice = broken === 'empty' ? [] : inWindow.slice(offset, Math.min(offset + (broken ? Math.min(size, 100) : size), UAL_SESSION_CAP));
      sessions.set(session, offset + slice.length);
      // Like the service in a ReturnLargeSet session, ResultCount may stop at the session cap.
      const value = slice.map((r, i) => ({
        ...r,
        ResultIndex: broken === 'index-minus-one' ? -1 : offset + i + 1 + (broken === 'gap' ? 7 : 0),
        ResultCount: broken === 'count-zero' ? 0 : capCount ? Math.min(inWindow.length, UAL_SESSION_CAP) : inWindow.length,
      }));
      const body = Buffer.from(JSON.stringify({ value }));
      const page: ExchangePage = { url: reader.invokeUrl, requestBody: '', status: 200, contentType: 'application/json', body, value, nextLink: null, warnings: [], errors: [] };
      return page;
    },
  };
  return { reader, calls: () => calls };
}

function rowsOver(count: number, fromIso: string, spanMs: number): Row[] {
  const from = Date.parse(fromIso);
  return Array.from({ length: count }, (_, i) => ({ Identity: `r${i}`, CreationDate: new Date(from + Math.floor((i * spanMs) / count)).toISOString() }));
}

async function drain(reader: ExchangeReader, window: { from: string; to: string }, cloud?: Readers['cloud']) {
  const source = EXCHANGE_LOG_SOURCES[0]!;
  const readers = { exchange: reader, cloud } as unknown as Readers;
  const ctx: FetchContext = { db: {} as Database, runId: 'r', pageSize: 999, window, scope: null, onRetry: () => undefined };
  const seen: string[] = [];
  let truncated = false;
  let cursor: string | null = null;
  let pages = 0;
  const notices: { kind: string; text: string }[] = [];
  do {
    const page = await source.fetch(readers, cursor, ctx);
    seen.push(...page.value.map((v) => (v as Row).Identity));
    truncated ||= !!page.truncated;
    notices.push(...(page.notices ?? []));
    cursor = page.next;
    if (++pages > 1000) throw new Error('runaway');
  } while (cursor);
  return { seen, truncated, notices };
}

describe('Unified Audit Log source', () => {
  it('reads a small window in one session', async () => {
    const rows = rowsOver(12_345, '2026-10-01T00:00:00Z', 86_400_000);
    const { reader } = fakeExchange(rows);
    const { seen, truncated } = await drain(reader, { from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' });
    expect(seen).toHaveLength(12_345);
    expect(new Set(seen).size).toBe(12_345);
    expect(truncated).toBe(false);
  });

  it('splits a window over the session cap until every slice fits, losing and repeating nothing', async () => {
    const rows = rowsOver(130_000, '2026-10-01T00:00:00Z', 4 * 86_400_000);
    const { reader } = fakeExchange(rows);
    const { seen, truncated } = await drain(reader, { from: '2026-10-01T00:00:00Z', to: '2026-10-05T00:00:00Z' });
    expect(seen).toHaveLength(130_000);
    expect(new Set(seen).size).toBe(130_000);
    expect(truncated).toBe(false);
  });

  it('splits too when ResultCount itself stops at the session cap', async () => {
    const rows = rowsOver(130_000, '2026-10-01T00:00:00Z', 4 * 86_400_000);
    const { reader } = fakeExchange(rows, true);
    const { seen, truncated } = await drain(reader, { from: '2026-10-01T00:00:00Z', to: '2026-10-05T00:00:00Z' });
    expect(seen).toHaveLength(130_000);
    expect(new Set(seen).size).toBe(130_000);
    expect(truncated).toBe(false);
  });

  it.each(['empty', 'index-minus-one', 'count-zero', 'gap'] as const)('starts a new session for a window whose session stalls (%s) and still reads every row', async (kind) => {
    const rows = rowsOver(23_456, '2026-10-01T00:00:00Z', 86_400_000);
    // The first session of the window breaks off on its third call, after 10,000 rows.
    const { reader } = fakeExchange(rows, false, (_w, session, call) => (session === 0 && call === 2 ? kind : null));
    const { seen, truncated } = await drain(reader, { from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' });
    expect(new Set(seen).size).toBe(23_456);
    expect(truncated).toBe(false);
  });

  it('starts again when the very first call of a session shows the stall', async () => {
    const rows = rowsOver(3_000, '2026-10-01T00:00:00Z', 86_400_000);
    const { reader } = fakeExchange(rows, false, (_w, session, call) => (session < 2 && call === 0 ? 'index-minus-one' : null));
    const { seen, truncated } = await drain(reader, { from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' });
    expect(new Set(seen).size).toBe(3_000);
    expect(truncated).toBe(false);
  });

  it('marks the window truncated only when every restart stalls too, and reads the other windows', async () => {
    // Two windows after a split; every session of the first one stalls after 5,000 rows.
    const rows = rowsOver(60_000, '2026-10-01T00:00:00Z', 2 * 86_400_000);
    const stalled = new Set<number>();
    const { reader } = fakeExchange(rows, false, (w, session, call) => {
      if (!w.endsWith('|2026-10-02T00:00:00.000Z') || call !== 1) return null;
      stalled.add(session);
      return 'empty';
    });
    const { seen, truncated } = await drain(reader, { from: '2026-10-01T00:00:00Z', to: '2026-10-03T00:00:00Z' });
    expect(truncated).toBe(true);
    expect(stalled.size).toBe(UAL_MAX_RESTARTS + 1);
    // The second window is whole; of the first, what the stalled sessions returned before they broke off.
    const secondHalf = rows.filter((r) => r.CreationDate >= '2026-10-02T00:00:00.000Z').map((r) => r.Identity);
    expect(secondHalf.filter((id) => !seen.includes(id))).toEqual([]);
    expect(new Set(seen).size).toBeLessThan(60_000);
  });

  it('says the log is not available in 21Vianet instead of reporting an empty log as complete', async () => {
    const { reader } = fakeExchange([]);
    const window = { from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' };
    const china = await drain(reader, window, 'china');
    expect(china.seen).toEqual([]);
    expect(china.truncated).toBe(true);
    expect(china.notices).toEqual([{ kind: 'unavailable', text: expect.stringMatching(/21Vianet/) }]);
    const commercial = await drain(reader, window, 'commercial');
    expect(commercial).toMatchObject({ truncated: false, notices: [] });
  });

  it('marks the source truncated when a single minute holds more than a session returns', async () => {
    const rows = rowsOver(UAL_SESSION_CAP + 10, '2026-10-01T00:00:00Z', 30_000);
    const { reader } = fakeExchange(rows);
    const { seen, truncated } = await drain(reader, { from: '2026-10-01T00:00:00Z', to: '2026-10-01T00:01:00Z' });
    expect(truncated).toBe(true);
    expect(seen).toHaveLength(UAL_SESSION_CAP);
  });

  it('marks it truncated too when the service caps ResultCount at the session limit, as it does in a ReturnLargeSet session', async () => {
    const rows = rowsOver(UAL_SESSION_CAP + 10, '2026-10-01T00:00:00Z', 30_000);
    const { reader } = fakeExchange(rows, true);
    const { seen, truncated } = await drain(reader, { from: '2026-10-01T00:00:00Z', to: '2026-10-01T00:01:00Z' });
    expect(truncated).toBe(true);
    expect(seen).toHaveLength(UAL_SESSION_CAP);
  });
});
