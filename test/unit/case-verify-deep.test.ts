// Vitest (plain Node): verify --deep derives collected rows and object changes between two collections again, through the collector's own writes, and names what was changed.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { createCase } from '../../main/case/case';
import { verifyCaseFile } from '../../main/case/verify';
import { sourceNamed } from '../../main/collect/sources';
import { applyWrite, type CollectionWrite } from '../../main/collect/writes';

let dir: string;
let file: string;
let second: string;

const app = (id: string, displayName: string) => ({ id, appId: `${id}-app`, displayName, createdDateTime: '2024-01-01T00:00:00Z' });
const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();

/** One collection of applications through the collector's own writes: start, one page, finish. */
function collect(db: Parameters<typeof applyWrite>[0], runId: string, minute: number, apps: unknown[]): void {
  const storeFor = (name: string) => sourceNamed(name)?.store;
  const write = (w: CollectionWrite) => applyWrite(db, w, storeFor);
  write({ op: 'start', runId, at: at(minute), environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example', actor: 'Jane', plan: [{ source: 'graph.applications', label: 'Applications', windowFrom: null, windowTo: null, scope: null }], window: null });
  const body = new TextEncoder().encode(JSON.stringify({ '@odata.context': 'x', value: apps }));
  write({ op: 'page', runId, source: 'graph.applications', label: 'Applications', at: at(minute + 1), page: { method: 'GET', url: 'https://graph.microsoft.com/v1.0/applications?$top=999', status: 200, contentType: 'application/json', body, requestBody: null, value: apps, next: null, truncated: false, notices: [] } });
  write({ op: 'finishSource', runId, source: 'graph.applications', state: 'done', at: at(minute + 2), error: null });
  write({ op: 'finish', runId, state: 'done', at: at(minute + 2), error: null, actor: 'Jane', entities: ['application'] });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-verify-deep-'));
  file = path.join(dir, 'case.peregrine');
  const { db } = createCase(file, { name: 'Contoso', examiner: 'Jane' }, { clock: () => new Date(at(0)), toolVersion: '0.1.0' });
  collect(db, randomUUID(), 1, [app('a', 'HR Portal'), app('b', 'Payroll')]);
  second = randomUUID();
  collect(db, second, 10, [app('a', 'HR Portal v2'), app('c', 'Mail Sync')]);
  closeDatabase(db);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function tamper(sql: string): void {
  const raw = new BetterSqlite3(file);
  raw.exec(sql);
  raw.close();
}

describe('verify --deep', () => {
  it('passes two collections stored by the collector, with the changes between them', () => {
    const report = verifyCaseFile(file, { deep: true });
    expect(report.problems).toEqual([]);
    // 4 applications and 3 changes (a modified, b disappeared, c appeared).
    expect(report.checked.derivedRows).toBe(7);
  });

  it('names an object change deleted, and one changed', () => {
    tamper(`DELETE FROM object_change WHERE object_id = 'b'; UPDATE object_change SET change = 'appeared', fields = NULL WHERE object_id = 'a'`);
    expect(verifyCaseFile(file).ok).toBe(true); // derived rows: only --deep sees them
    const report = verifyCaseFile(file, { deep: true });
    expect(report.problems).toEqual([
      { where: `object_change application a (run ${second})`, message: expect.stringMatching(/differs from the comparison of the two collections' snapshots in change, fields/) },
      { where: `object_change application b (run ${second})`, message: expect.stringMatching(/show this change \(disappeared\), but the row is missing/) },
    ]);
  });

  it("names a source's completeness account that no longer matches custody (fast) and its evidence (--deep)", () => {
    tamper(`UPDATE collection_source SET records = 5, truncated = 1 WHERE run_id = '${second}'`);
    const where = `collection_source graph.applications (run ${second})`;
    expect(verifyCaseFile(file).problems).toEqual([
      { where, message: 'It differs from custody entry 5 (collection.finished) in records, truncated: the completeness account was changed outside Peregrine.' },
    ]);
    expect(verifyCaseFile(file, { deep: true }).problems).toEqual([
      { where, message: expect.stringMatching(/in records, truncated/) },
      { where, message: 'It records 1 pages and 5 records, but its evidence holds 1 pages and 2 records.' },
    ]);
  });
});
