// Logs a cloud does not serve: an empty answer there is said to be incomplete, with the reason, not reported as a complete empty log.
import { describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { LOG_SOURCES } from '../../main/collect/sources';
import type { FetchContext, Readers } from '../../main/collect/engine';
import type { GraphReader } from '../../main/graph/reader';

const emptyGraph = { page: async (url: string) => ({ url, status: 200, contentType: 'application/json', body: Buffer.from('{"value":[]}'), value: [], nextLink: null }) } as unknown as GraphReader;
const ctx: FetchContext = { db: {} as Database, runId: 'r', pageSize: 999, window: { from: '2026-10-01T00:00:00Z', to: '2026-10-02T00:00:00Z' }, scope: null, onRetry: () => undefined };
const source = (name: string) => LOG_SOURCES.find((s) => s.source === name)!;

describe('logs a cloud does not serve', () => {
  // https://learn.microsoft.com/graph/api/directoryaudit-list: global, US Government L4 and L5 only.
  it.each(['commercial', 'gcchigh', 'dod'] as const)('reads directory audits in %s as usual', async (cloud) => {
    const page = await source('graph.directoryAudits').fetch({ graph: emptyGraph, cloud } as Readers, null, ctx);
    expect(page.truncated ?? false).toBe(false);
    expect(page.notices ?? []).toEqual([]);
  });

  it('says directory audits are not documented for 21Vianet', async () => {
    const page = await source('graph.directoryAudits').fetch({ graph: emptyGraph, cloud: 'china' } as Readers, null, ctx);
    expect(page.truncated).toBe(true);
    expect(page.notices).toEqual([{ kind: 'unavailable', text: expect.stringMatching(/global and US government clouds only/) }]);
  });

  it('marks no other log in 21Vianet', async () => {
    const page = await source('graph.signIns').fetch({ graph: emptyGraph, cloud: 'china' } as Readers, null, ctx);
    expect(page.notices ?? []).toEqual([]);
  });
});
