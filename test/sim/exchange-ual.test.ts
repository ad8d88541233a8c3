// Test (Vitest, Node): Search-UnifiedAuditLog through InvokeCommand: ResultSize default and 5,000 cap, nextLink pages, SessionId / ReturnLargeSet up to 50,000, filters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator, type SimHandle } from './server';
import { json, postForm, simRequest, type SimResponse } from './https-client';
import { EXCHANGE_POWERSHELL_CLIENT_ID } from './wellknown';
import { UAL_LIVE_SESSIONS, UnifiedAuditSearch, exchangeAdminRecord, memoryUnifiedAuditStream, type UnifiedAuditRow, type UnifiedAuditStream } from './exchange/ual';
import { ualRecord } from './logs/records';

const DAY = 24 * 60 * 60 * 1000;
const END_MS = Date.parse('2024-10-15T00:00:00Z');
const START_MS = END_MS - 20 * DAY;
/** More ExchangeAdmin rows than one session may return, so the 50,000 cap shows. */
const EXCHANGE_ROWS = 60_000;
const OTHER_ROWS = 500;

const row = z.looseObject({
  RunspaceId: z.string(), RecordType: z.string(), CreationDate: z.string(), UserIds: z.string(), Operations: z.string(),
  AuditData: z.string(), ResultIndex: z.number().int(), ResultCount: z.number().int(), Identity: z.string(),
});
const page = z.object({ '@odata.context': z.string(), value: z.array(row), '@odata.nextLink': z.string().optional() });

function fakeRows(): UnifiedAuditRow[] {
  const rows: UnifiedAuditRow[] = [];
  const ops = ['Set-Mailbox', 'New-TransportRule', 'Remove-TransportRule', 'Set-InboundConnector'];
  for (let i = 0; i < EXCHANGE_ROWS; i++) {
    rows.push(exchangeAdminRecord({
      id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, atMs: START_MS + Math.floor((i * 20 * DAY) / EXCHANGE_ROWS),
      operation: ops[i % ops.length] ?? 'Set-Mailbox', objectId: `object-${i % 97}`, parameters: [{ Name: 'Identity', Value: `object-${i % 97}` }],
      actor: { kind: 'user', userId: i % 10 === 0 ? 'helpdesk@contoso.onmicrosoft.com' : 'admin@contoso.onmicrosoft.com', userKey: '10030000AAAABBBB', appId: EXCHANGE_POWERSHELL_CLIENT_ID, clientIp: '192.0.2.10' },
      tenantId: 't', organizationName: 'contoso.onmicrosoft.com', originatingServer: 'SERVER (15.20.8000.020)',
    }));
  }
  for (let i = 0; i < OTHER_ROWS; i++) {
    rows.push(ualRecord('AzureActiveDirectory', START_MS + i * 3_000_000, 'admin@contoso.onmicrosoft.com', 'Add service principal.', { Id: `10000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, ObjectId: 'x' }));
  }
  return rows;
}

let sim: SimHandle;
let token: string;

beforeAll(async () => {
  sim = await startSimulator({ scenario: 'contoso', seed: 1, exchange: { unifiedAudit: memoryUnifiedAuditStream(fakeRows()), throttleLimit: 10_000 } });
  const code = z.object({ user_code: z.string(), device_code: z.string() }).parse(json(await postForm(`${sim.url}/organizations/oauth2/v2.0/devicecode`, { client_id: EXCHANGE_POWERSHELL_CLIENT_ID, scope: 'https://outlook.office365.com/.default' }, sim.caPem)));
  sim.approve(code.user_code, 'admin@contoso.onmicrosoft.com');
  const response = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: EXCHANGE_POWERSHELL_CLIENT_ID, device_code: code.device_code }, sim.caPem);
  token = z.object({ access_token: z.string() }).parse(json(response)).access_token;
});

afterAll(async () => {
  await sim.close();
});

function search(parameters: Record<string, unknown>, url?: string): Promise<SimResponse> {
  return simRequest(url ?? `${sim.url}/adminapi/beta/${sim.tenantId}/InvokeCommand`, {
    method: 'POST', ca: sim.caPem,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Prefer: 'odata.maxpagesize=1000', 'X-AnchorMailbox': 'UPN:admin@contoso.onmicrosoft.com' },
    body: JSON.stringify({ CmdletInput: { CmdletName: 'Search-UnifiedAuditLog', Parameters: parameters } }),
  });
}

/** One cmdlet call, all its nextLink pages. */
async function call(parameters: Record<string, unknown>): Promise<{ rows: z.infer<typeof row>[]; pages: number }> {
  const rows: z.infer<typeof row>[] = [];
  let url: string | undefined;
  let pages = 0;
  do {
    const response = await search(parameters, url);
    expect(response.status, response.text.slice(0, 300)).toBe(200);
    const body = page.parse(json(response));
    rows.push(...body.value);
    pages++;
    url = body['@odata.nextLink'];
  } while (url);
  return { rows, pages };
}

const window = { StartDate: new Date(START_MS).toISOString(), EndDate: new Date(END_MS).toISOString() };

describe('Search-UnifiedAuditLog', () => {
  it('returns 100 rows by default, newest first, with ResultIndex and the total in ResultCount', async () => {
    const { rows, pages } = await call({ ...window, RecordType: 'ExchangeAdmin' });
    expect(pages).toBe(1);
    expect(rows).toHaveLength(100);
    expect(rows.map((r) => r.ResultIndex)).toEqual(rows.map((_r, i) => i + 1));
    expect(new Set(rows.map((r) => r.ResultCount))).toEqual(new Set([EXCHANGE_ROWS]));
    const times = rows.map((r) => Date.parse(r.CreationDate));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('caps ResultSize at 5,000 per call and pages those by nextLink (1,000 per page)', async () => {
    const { rows, pages } = await call({ ...window, RecordType: 'ExchangeAdmin', ResultSize: 5000 });
    expect(rows).toHaveLength(5000);
    expect(pages).toBe(5);
    const tooMany = await search({ ...window, ResultSize: 5001 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.text).toContain('maximum allowed range of 5000');
  });

  it('pages a session with ReturnLargeSet: unsorted, contiguous ResultIndex, and nothing after 50,000 rows', async () => {
    const params = { ...window, RecordType: 'ExchangeAdmin', ResultSize: 5000, SessionId: 'peregrine-test-1', SessionCommand: 'ReturnLargeSet' };
    const all: z.infer<typeof row>[] = [];
    for (let i = 0; i < 12; i++) {
      const { rows } = await call(params);
      if (rows.length === 0) break;
      all.push(...rows);
    }
    expect(all).toHaveLength(50_000);
    expect(new Set(all.map((r) => r.Identity)).size).toBe(50_000);
    expect(all.map((r) => r.ResultIndex)).toEqual(all.map((_r, i) => i + 1));
    expect(new Set(all.map((r) => r.ResultCount))).toEqual(new Set([50_000]));
    const times = all.slice(0, 200).map((r) => Date.parse(r.CreationDate));
    expect(times).not.toEqual([...times].sort((a, b) => b - a));
    // A new session id starts over.
    const fresh = await call({ ...params, SessionId: 'peregrine-test-2', ResultSize: 10 });
    expect(fresh.rows.map((r) => r.ResultIndex)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(fresh.rows.map((r) => r.Identity)).toEqual(all.slice(0, 10).map((r) => r.Identity));
  });

  it('filters by RecordType, Operations, UserIds and ObjectIds', async () => {
    const aad = await call({ ...window, RecordType: 'AzureActiveDirectory', ResultSize: 5000 });
    expect(aad.rows).toHaveLength(OTHER_ROWS);
    const removals = await call({ ...window, Operations: ['Remove-TransportRule', 'Set-InboundConnector'], UserIds: 'helpdesk@contoso.onmicrosoft.com', ResultSize: 10 });
    expect(removals.rows.every((r) => ['Remove-TransportRule', 'Set-InboundConnector'].includes(r.Operations) && r.UserIds === 'helpdesk@contoso.onmicrosoft.com')).toBe(true);
    expect(removals.rows[0]?.ResultCount).toBe(EXCHANGE_ROWS / 20);
    const byObject = await call({ ...window, ObjectIds: 'object-5', ResultSize: 5000 });
    expect(byObject.rows.length).toBeGreaterThan(0);
    expect(byObject.rows.every((r) => (JSON.parse(r.AuditData) as { ObjectId: string }).ObjectId === 'object-5')).toBe(true);
  });

  it('requires StartDate and EndDate, in order', async () => {
    expect((await search({ EndDate: window.EndDate })).status).toBe(400);
    expect((await search({ StartDate: window.EndDate, EndDate: window.StartDate })).status).toBe(400);
    expect((await search({ ...window, SessionCommand: 'ReturnLargeSet' })).status).toBe(400);
  });
});

describe('UnifiedAuditSearch against a large stream', () => {
  it('counts an unfiltered search without materialising it, and narrows a RecordType search at the source', () => {
    const base = memoryUnifiedAuditStream(fakeRows().slice(EXCHANGE_ROWS - 1000));
    const calls = { iterate: 0, iterateRecordTypes: 0, rowsRead: 0 };
    const stream: UnifiedAuditStream = {
      count: (from, to) => base.count(from, to),
      append: (r) => base.append(r),
      *iterate(from, to, order) {
        calls.iterate++;
        for (const r of base.iterate(from, to, order)) { calls.rowsRead++; yield r; }
      },
      *iterateRecordTypes(types, from, to, order) {
        calls.iterateRecordTypes++;
        expect(types).toEqual(['AzureActiveDirectory']);
        for (const r of base.iterate(from, to, order)) if (types.includes(r.RecordType)) yield r;
      },
    };
    const search = new UnifiedAuditSearch(() => stream);
    const q = { startMs: START_MS, endMs: END_MS, recordTypes: null, operations: null, userIds: null, objectIds: null, freeText: null };
    const rows = search.search(q, 10, null);
    expect(rows).toHaveLength(10);
    expect(rows[0]?.ResultCount).toBe(1000 + OTHER_ROWS);
    expect(calls.rowsRead).toBe(10);
    const aad = search.search({ ...q, recordTypes: new Set(['azureactivedirectory']) }, 5000, null);
    expect(aad).toHaveLength(OTHER_ROWS);
    expect(calls.iterateRecordTypes).toBe(1);
    expect(calls.iterate).toBe(1);
  });

  it('keeps the rows of a few sessions only: a finished session stays finished, an evicted one starts over', () => {
    const search = new UnifiedAuditSearch(() => memoryUnifiedAuditStream(fakeRows().slice(0, 300)));
    const q = { startMs: START_MS, endMs: END_MS, recordTypes: null, operations: null, userIds: null, objectIds: null, freeText: null };
    const large = (id: string) => ({ id, command: 'ReturnLargeSet' as const });
    const first = search.search(q, 200, large('done'));
    expect(search.search(q, 200, large('done')).map((r) => r.ResultIndex)).toEqual(Array.from({ length: 100 }, (_, i) => 201 + i));
    expect(search.search(q, 200, large('done'))).toEqual([]);
    expect(search.search(q, 10, large('abandoned')).map((r) => r.ResultIndex)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    for (let i = 0; i < UAL_LIVE_SESSIONS; i++) search.search(q, 10, large(`other-${i}`));
    // Same order as the first session's: ReturnLargeSet's order is stable across sessions.
    const restarted = search.search(q, 10, large('abandoned'));
    expect(restarted.map((r) => r.ResultIndex)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(restarted.map((r) => r.Identity)).toEqual(first.slice(0, 10).map((r) => r.Identity));
    expect(search.search(q, 200, large('done'))).toEqual([]);
  });
});

describe('ReturnLargeSet sessions that stall (seeded)', () => {
  const rows = fakeRows().slice(0, 12_000);
  const query = { startMs: START_MS, endMs: END_MS, recordTypes: null, operations: null, userIds: null, objectIds: null, freeText: null };
  const readSession = (s: UnifiedAuditSearch, id: string) => {
    const calls: ReturnType<UnifiedAuditSearch['search']>[] = [];
    for (let i = 0; i < 4; i++) calls.push(s.search(query, 5000, { id, command: 'ReturnLargeSet' }));
    return calls;
  };

  it('breaks off the first session of a chosen window on its second call, and the next session completes', () => {
    const search = new UnifiedAuditSearch(() => memoryUnifiedAuditStream(rows), { seed: 7, rate: 1, sessions: 1 });
    const [first, second, third] = readSession(search, 'a');
    expect(first).toHaveLength(5000);
    expect(first!.every((r, i) => r.ResultIndex === i + 1 && r.ResultCount === 12_000)).toBe(true);
    const kind = search.stalls[0]?.kind;
    expect(search.stalls).toHaveLength(1);
    if (kind === 'empty') expect(second).toEqual([]);
    else expect(second!.length > 0 && second!.every((r) => (kind === 'index-minus-one' ? r.ResultIndex === -1 : r.ResultCount === 0))).toBe(true);
    expect(third).toEqual([]);
    const again = readSession(search, 'b').flat();
    expect(new Set(again.map((r) => r.Identity)).size).toBe(12_000);
    expect(again.map((r) => r.ResultIndex)).toEqual(Array.from({ length: 12_000 }, (_, i) => i + 1));
  });

  it('stalls the same windows the same way for the same seed, and none at rate 0', () => {
    const kinds = (seed: number) => {
      const s = new UnifiedAuditSearch(() => memoryUnifiedAuditStream(rows), { seed, rate: 1, sessions: 3 });
      for (const id of ['a', 'b', 'c', 'd']) readSession(s, id);
      return s.stalls.map((x) => x.kind);
    };
    expect(kinds(3)).toEqual(kinds(3));
    expect(kinds(3)).toHaveLength(3);
    const none = new UnifiedAuditSearch(() => memoryUnifiedAuditStream(rows), { seed: 3, rate: 0 });
    expect(readSession(none, 'a').flat()).toHaveLength(12_000);
  });
});
