// Vitest (plain Node): an object's history across the collections of a case — created after the first collection,
// changed, removed, re-created under its id and under its name — and the paged listing's sort and filter in SQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { createCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { insertEvidence } from '../../db/queries/evidence';
import { insertApplications } from '../../db/queries/directory';
import { finishRun, startRun } from '../../db/queries/runs';
import { browseObjects, objectHistory, objectRecord } from '../../db/queries/browse';
import { embeddedJson } from '../../renderer/components/jsonValue';

let dir: string;
let db: Database;
let t = Date.parse('2026-11-01T00:00:00Z');
const clock = () => new Date((t += 1000));

const app = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id, appId: `00000000-0000-0000-0000-${id.padStart(12, '0')}`, displayName: name, signInAudience: 'AzureADMyOrg',
  createdDateTime: '2026-01-01T00:00:00Z', passwordCredentials: [], keyCredentials: [], requiredResourceAccess: [], ...extra,
});

/** One collection of applications; `read: false` for a run that did not read them (no evidence page of the source). */
function collect(apps: object[], state: 'done' | 'failed' = 'done', read = true): string {
  const runId = crypto.randomUUID();
  startRun(db, { runId, startedAt: clock().toISOString(), environment: 'test', tenantId: 't', account: 'a@b' });
  if (read) {
    const ev = insertEvidence(db, { runId, source: 'graph.applications', method: 'GET', url: 'https://graph.test/v1.0/applications', status: 200, contentType: 'application/json', collectedAt: clock().toISOString(), body: Buffer.from(JSON.stringify({ value: apps })) });
    insertApplications(db, runId, ev.id, apps);
  }
  finishRun(db, runId, { state, finishedAt: clock().toISOString() });
  return runId;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-browse-'));
  db = createCase(path.join(dir, 'c.peregrine'), { name: 'C', examiner: 'E' }, { clock, toolVersion: 'test' }).db;
});
afterEach(() => {
  closeDatabase(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('objectHistory', () => {
  it('tells each clean collection that read the kind: created, changed, removed, re-created', () => {
    collect([app('1', 'Payroll')]);
    collect([app('1', 'Payroll'), app('2', 'contoso_kqz')]);
    collect([app('1', 'Payroll'), app('2', 'contoso_kqz', { signInAudience: 'AzureADMultipleOrgs' })]);
    collect([app('1', 'Payroll')], 'failed'); // not clean: not part of the history
    collect([], 'done', false); // did not read applications: says nothing about them
    collect([app('1', 'Payroll')]);
    collect([app('1', 'Payroll'), app('2', 'contoso_kqz')]);
    collect([app('1', 'Payroll'), app('3', 'contoso_kqz')]);
    const history = objectHistory(db, 'application', '2');
    expect(history.map((h) => [h.event, h.objectId, h.fields])).toEqual([
      ['absent', null, null],
      ['created', '2', null],
      ['changed', '2', ['signInAudience']],
      ['removed', null, null],
      ['re-created', '2', null],
      // Deleted and made again under its name between two collections: a new id.
      ['re-created', '3', null],
    ]);
    expect(history.filter((h) => h.objectId).every((h) => /^[0-9a-f]{64}$/.test(h.evidenceSha256 ?? ''))).toBe(true);
    expect(objectHistory(db, 'application', '1').map((h) => h.event)).toEqual(['first-seen', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
  });

  it('reads an object from the newest clean collection that has it', () => {
    const first = collect([app('2', 'contoso_kqz')]);
    collect([]);
    expect(objectRecord(db, 'application', '2')).toMatchObject({ runId: first, name: 'contoso_kqz' });
    expect(objectRecord(db, 'application', 'nope')).toBeNull();
  });
});

describe('browseObjects', () => {
  const query = (runId: string, over: Partial<Parameters<typeof browseObjects>[2]> = {}) =>
    browseObjects(db, 'application', { runId, offset: 0, limit: 2, sort: 'name', dir: 'asc', filter: '', toggle: false, flagRank: {}, flaggedOnly: false, roleNames: {}, ...over });

  it('sorts and pages in SQL, filters over the whole record, and puts flagged rows first by rank', () => {
    const runId = collect([app('1', 'beta'), app('2', 'Alpha', { publisherDomain: 'evil.example' }), app('3', 'gamma')]);
    expect(query(runId)).toMatchObject({ total: 3, rows: [{ name: 'Alpha' }, { name: 'beta' }] });
    expect(query(runId, { offset: 2 }).rows.map((r) => r.name)).toEqual(['gamma']);
    expect(query(runId, { dir: 'desc', limit: 3 }).rows.map((r) => r.name)).toEqual(['gamma', 'beta', 'Alpha']);
    expect(query(runId, { filter: 'EVIL.example' }).rows.map((r) => r.objectId)).toEqual(['2']);
    const flagged = query(runId, { sort: 'findings', dir: 'desc', limit: 3, flagRank: { '3': 4001, '1': 2001 } });
    expect(flagged.rows.map((r) => r.name)).toEqual(['gamma', 'beta', 'Alpha']);
    expect(query(runId, { flaggedOnly: true, flagRank: { '3': 1 } })).toMatchObject({ total: 1, rows: [{ name: 'gamma' }] });
    expect(() => query(runId, { sort: 'raw' })).toThrow(/"raw" is not a column of application/);
  });
});

describe('JSON held in a string', () => {
  it('is parsed when it holds an object or an array, and left alone otherwise', () => {
    expect(embeddedJson('{"Operation":"New-InboundConnector","Parameters":[{"Name":"Name"}]}')).toEqual({ Operation: 'New-InboundConnector', Parameters: [{ Name: 'Name' }] });
    expect(embeddedJson(' [1, 2] ')).toEqual([1, 2]);
    expect(embeddedJson('{not json}')).toBeNull();
    expect(embeddedJson('"quoted"')).toBeNull();
    expect(embeddedJson('42')).toBeNull();
    expect(embeddedJson('{ starts like an object')).toBeNull();
  });
});
