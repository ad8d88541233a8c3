// Vitest (plain Node, real SQLite): the collection's page writes refuse a page that carries a secret, a page of an
// unknown source and a page whose objects cannot be stored, each leaving the case as it was; and once a source's page
// is refused, its later pages are refused too until the source runs again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { EntityShapeError } from '../../db/errors';
import { listSources } from '../../db/queries/sources';
import { createCase } from '../../main/case/case';
import { applyWrite, writeApplier, type CollectionWrite, type PageWrite, type StoreFor } from '../../main/collect/writes';

const RUN = '0a5e0000-4b0e-4a11-8a5e-000000000002';
let dir: string;
let db: Database;
let stored: { source: string; evidenceId: number; objects: unknown[] }[];

const storeFor: StoreFor = (source) => {
  if (source === 'graph.applications' || source === 'graph.users') {
    return (_db, _runId, evidenceId, objects) => void stored.push({ source, evidenceId, objects });
  }
  if (source === 'graph.broken') {
    return (_db, _runId, evidenceId) => {
      throw new EntityShapeError(`Evidence ${evidenceId}: an application has no id. The response is kept as evidence; its rows are not.`, evidenceId, 'id');
    };
  }
  return undefined;
};

const page = (source: string, label: string, value: unknown[], body = JSON.stringify({ value })): Extract<CollectionWrite, { op: 'page' }> => ({
  op: 'page', runId: RUN, source, label, at: '2024-05-01T10:00:01.000Z',
  page: {
    method: 'GET', url: `https://graph.microsoft.com/v1.0/${source.slice('graph.'.length)}`, status: 200, contentType: 'application/json',
    body: Buffer.from(body), requestBody: null, value, next: null, truncated: false, notices: [],
  } satisfies PageWrite,
});
const evidenceCount = () => db.prepare('SELECT count(*) FROM evidence').pluck().get() as number;
const pagesOf = (source: string) => listSources(db, RUN).find((s) => s.source === source)!.pages;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-writes-'));
  db = createCase(path.join(dir, 'case.peregrine'), { name: 'Contoso', examiner: 'Jane' }, { clock: () => new Date('2024-05-01T09:00:00.000Z'), toolVersion: '0.1.0' }).db;
  stored = [];
  const plan = ['graph.applications', 'graph.users', 'graph.broken'].map((source) => ({ source, label: source.toUpperCase(), windowFrom: null, windowTo: null, scope: null }));
  applyWrite(db, { op: 'start', runId: RUN, at: '2024-05-01T10:00:00.000Z', environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example', actor: 'Jane', plan, window: null }, storeFor);
});
afterEach(() => {
  closeDatabase(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('applyWrite, a page', () => {
  it('stores the evidence, the rows and the checkpoint together', () => {
    applyWrite(db, page('graph.applications', 'Applications', [{ id: 'a' }, { id: 'b' }]), storeFor);
    expect(evidenceCount()).toBe(1);
    expect(stored).toEqual([{ source: 'graph.applications', evidenceId: 1, objects: [{ id: 'a' }, { id: 'b' }] }]);
    expect(listSources(db, RUN).find((s) => s.source === 'graph.applications')).toMatchObject({ pages: 1, records: 2 });
  });

  it('refuses a page carrying a secret value whole: no evidence, no rows, no checkpoint', () => {
    const body = JSON.stringify({ value: [{ id: 'a', passwordCredentials: [{ keyId: 'k', secretText : 'hunter2' }] }] }).replace('"secretText":', '"secretText" :  ');
    expect(() => applyWrite(db, page('graph.applications', 'Applications', [{ id: 'a' }], body), storeFor)).toThrow(
      /^A page of applications carried a secret value; it was not stored\. Report this: Microsoft's services do not return secrets on reads\.$/,
    );
    expect(evidenceCount()).toBe(0);
    expect(stored).toEqual([]);
    expect(pagesOf('graph.applications')).toBe(0);
    // A collection folder's file in UTF-16LE (as Windows PowerShell writes it) is read as text too.
    const utf16 = page('graph.applications', 'Applications', [{ id: 'a' }]);
    utf16.page.body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('[{"id":"a","secretText":"hunter2"}]', 'utf16le')]);
    expect(() => applyWrite(db, utf16, storeFor)).toThrow(/carried a secret value/);
    expect(evidenceCount()).toBe(0);
    // A secretText that is null (as Graph returns it on reads) is not a secret.
    applyWrite(db, page('graph.applications', 'Applications', [{ id: 'a' }], '{"value":[{"passwordCredentials":[{"secretText":null}]}]}'), storeFor);
    expect(evidenceCount()).toBe(1);
  });

  it('refuses a page of a source no collection has', () => {
    expect(() => applyWrite(db, page('graph.nothing', 'Nothing', []), storeFor)).toThrow('No collection source is named graph.nothing; nothing from its page was stored.');
    expect(evidenceCount()).toBe(0);
  });

  it('rolls back a page whose objects cannot be stored, evidence included, and says so', () => {
    expect(() => applyWrite(db, page('graph.broken', 'Broken Things', [{}]), storeFor)).toThrow(
      /^A page of broken things could not be stored: an application has no id\. Nothing from this page was stored; resume the collection to read it again\.$/,
    );
    expect(evidenceCount()).toBe(0);
    expect(pagesOf('graph.broken')).toBe(0);
  });

  it('passes on any other error from storing as it is', () => {
    const failing: StoreFor = () => () => {
      throw new RangeError('disk on fire');
    };
    expect(() => applyWrite(db, page('graph.users', 'Users', [{ id: 'u' }]), failing)).toThrow(RangeError);
    expect(evidenceCount()).toBe(0);
  });
});

describe('writeApplier', () => {
  it('refuses every later page of a source whose page was refused, until that source runs again; other sources go on', () => {
    const apply = writeApplier(db, storeFor);
    const secret = page('graph.applications', 'Applications', [], '{"value":[{"secretText":"x"}]}');
    expect(() => apply(secret)).toThrow(/carried a secret value/);
    expect(() => apply(page('graph.applications', 'Applications', [{ id: 'a' }]))).toThrow(
      /^Not stored: an earlier page of applications was refused \(A page of applications carried a secret value; it was not stored\./,
    );
    apply(page('graph.users', 'Users', [{ id: 'u' }]));
    expect(pagesOf('graph.applications')).toBe(0);
    expect(pagesOf('graph.users')).toBe(1);

    apply({ op: 'running', runId: RUN, source: 'graph.applications', at: '2024-05-01T10:01:00.000Z' });
    apply(page('graph.applications', 'Applications', [{ id: 'a' }]));
    expect(pagesOf('graph.applications')).toBe(1);
  });

  it('does not hold a refused write that is not a page against the source', () => {
    const apply = writeApplier(db, storeFor);
    expect(() => apply({ op: 'finishSource', runId: '0a5e0000-4b0e-4a11-8a5e-0000000000ff', source: 'graph.users', state: 'done', at: '2024-05-01T10:02:00.000Z', error: null })).toThrow(/has no source "graph\.users"/);
    expect(() => apply({ op: 'resume', runId: '0a5e0000-4b0e-4a11-8a5e-0000000000ff', at: '2024-05-01T10:02:00.000Z', account: 'x', actor: 'Jane' })).toThrow();
    apply(page('graph.users', 'Users', [{ id: 'u' }]));
    expect(pagesOf('graph.users')).toBe(1);
  });
});
