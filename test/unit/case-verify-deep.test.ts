// Vitest (plain Node): verify --deep derives collected rows and object changes between two collections again, through the collector's own writes, and names what was changed; the fast checks of the same case against custody (schema, case identity, runs, sources, triage) name each change made outside Peregrine.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { appendCustody } from '../../db/queries/custody';
import { recordTriage } from '../../db/queries/triage';
import { createCase, openCase } from '../../main/case/case';
import { verifyCaseFile } from '../../main/case/verify';
import { sourceNamed } from '../../main/collect/sources';
import { applyWrite, type CollectionWrite } from '../../main/collect/writes';
import { withGuardsDropped } from '../support/tamper';

let dir: string;
let file: string;
let first: string;
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
  first = randomUUID();
  collect(db, first, 1, [app('a', 'HR Portal'), app('b', 'Payroll')]);
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

describe('verify --deep, counts of pages and records', () => {
  it('names a page count changed alone, and does not count a source that stored no page as a mismatch', () => {
    withGuardsDropped(file, (db) => db.exec(`UPDATE collection_source SET pages = 2 WHERE run_id = '${second}'`));
    const where = `collection_source graph.applications (run ${second})`;
    expect(verifyCaseFile(file, { deep: true }).problems).toEqual([
      { where, message: 'It differs from custody entry 5 (collection.finished) in pages: the completeness account was changed outside Peregrine.' },
      { where, message: 'It records 2 pages and 2 records, but its evidence holds 1 pages and 2 records.' },
    ]);
  });

  it('accepts a source that read no page, recorded as zero pages and zero records', () => {
    const { db } = createCase(path.join(dir, 'empty.peregrine'), { name: 'Contoso', examiner: 'Jane' }, { clock: () => new Date(at(0)), toolVersion: '0.1.0' });
    const runId = randomUUID();
    const write = (w: CollectionWrite) => applyWrite(db, w, (name) => sourceNamed(name)?.store);
    write({ op: 'start', runId, at: at(1), environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example', actor: 'Jane', plan: [{ source: 'graph.applications', label: 'Applications', windowFrom: null, windowTo: null, scope: null }], window: null });
    write({ op: 'finishSource', runId, source: 'graph.applications', state: 'failed', at: at(2), error: 'forbidden' });
    write({ op: 'finish', runId, state: 'failed', at: at(2), error: 'forbidden', actor: 'Jane', entities: [] });
    closeDatabase(db);
    expect(verifyCaseFile(path.join(dir, 'empty.peregrine'), { deep: true })).toMatchObject({ ok: true, problems: [], checked: { evidence: 0, derivedRows: 0 } });
  });
});

describe('the fast checks against custody', () => {
  // Custody of the fixture: 1 case.created, 2-3 the first collection (started, finished), 4-5 the second.
  const problemsAfter = (sql: string) => {
    withGuardsDropped(file, (db) => db.exec(sql));
    return verifyCaseFile(file).problems;
  };

  it('name a table or trigger added outside Peregrine, and a table dropped', () => {
    expect(problemsAfter('CREATE TABLE notes (x TEXT); CREATE TRIGGER notes_log AFTER INSERT ON collection_run BEGIN SELECT 1; END; DROP TABLE object_change;')).toEqual([
      { where: 'schema (table notes)', message: 'The table is not part of the Peregrine schema: it was added outside Peregrine.' },
      { where: 'schema (table object_change)', message: 'The table is missing: it was dropped outside Peregrine.' },
      { where: 'schema (trigger notes_log)', message: 'The trigger is not part of the Peregrine schema: it was added outside Peregrine.' },
    ]);
  });

  it('name each field of the case identity that differs from case.created', () => {
    expect(problemsAfter(`UPDATE case_meta SET case_id = '${randomUUID()}', name = 'Fabrikam', client = 'Fabrikam Ltd', reference = 'IR-9', time_zone = 'Asia/Tokyo', created_at = '2024-01-01T00:00:00.000Z', examiner = 'Mallory'`)).toEqual([
      { where: 'case_meta', message: 'The case identity differs from custody entry 1 (case.created) in case_id, name, client, reference, time_zone, created_at, examiner: it was changed outside Peregrine.' },
    ]);
  });

  it('name each field of a run that differs from its collection.started and collection.finished entries', () => {
    expect(problemsAfter(`UPDATE collection_run SET started_at = '2024-05-01T09:00:00.000Z', environment = 'fabrikam', tenant_id = 'other', account = 'mallory@contoso.example' WHERE run_id = '${first}';`
      + ` UPDATE collection_run SET state = 'failed', finished_at = '2024-05-01T11:00:00.000Z' WHERE run_id = '${second}'`)).toEqual([
      { where: `collection_run ${first}`, message: 'The run differs from custody entry 2 (collection.started) in started_at, environment, tenant_id, account: the run or the custody entry was changed.' },
      { where: `collection_run ${second}`, message: 'The run differs from custody entry 5 (collection.finished) in state, finished_at: the run or the custody entry was changed.' },
    ]);
  });

  it('name a run custody does not know, and a recorded run whose row is gone', () => {
    const ghost = randomUUID();
    expect(problemsAfter(`INSERT INTO collection_run (run_id, started_at, state, environment, tenant_id) VALUES ('${ghost}', '2024-05-01T12:00:00.000Z', 'running', 'contoso', 'tid')`)).toEqual([
      { where: `collection_run ${ghost}`, message: 'No custody entry records the start of this collection (collection.started), yet 0 evidence rows belong to it: the custody log was emptied or replaced.' },
    ]);
    expect(problemsAfter(`DELETE FROM collection_run WHERE run_id = '${ghost}'; DELETE FROM collection_source WHERE run_id = '${first}'; DELETE FROM application WHERE run_id = '${first}'; DELETE FROM evidence WHERE run_id = '${first}'; DELETE FROM collection_run WHERE run_id = '${first}'`))
      .toContainEqual({ where: `collection_run ${first}`, message: 'custody entry 2 (collection.started) records this collection, but its run row is missing.' });
  });

  it('name evidence rows added to a finished run, and a resumed run that holds fewer pages than its checkpoint read', () => {
    const added = problemsAfter(`CREATE TEMP TABLE copy AS SELECT * FROM evidence WHERE run_id = '${first}'; UPDATE copy SET id = (SELECT max(id) + 1 FROM evidence); INSERT INTO evidence SELECT * FROM copy`);
    expect(added[0]).toEqual({ where: `collection_run ${first} (graph.applications)`, message: '2 evidence rows are stored, but custody entry 3 (collection.finished) records 1 pages read: evidence rows were added outside Peregrine.' });
    expect(added[1]).toEqual({ where: `collection_run ${first}`, message: expect.stringMatching(/^The hashes of its evidence rows no longer match the digest custody entry 3 \(collection\.finished\) recorded/) });
    expect(added).toHaveLength(2);
  });

  it('name a run whose last entry is collection.resumed: ended without collection.finished, or holding fewer pages than its checkpoint read', () => {
    const { db } = openCase(file);
    appendCustody(db, { at: at(30), action: 'collection.resumed', actor: 'Jane', details: { runId: second, checkpoint: [{ source: 'graph.applications', pages: 2 }] } });
    closeDatabase(db);
    expect(verifyCaseFile(file).problems).toEqual([
      { where: `collection_run ${second}`, message: 'The run is done, but no custody entry records how it ended (collection.finished): custody entries were removed.' },
    ]);
    expect(problemsAfter(`UPDATE collection_run SET state = 'running', finished_at = NULL WHERE run_id = '${second}'`)).toEqual([
      { where: `collection_run ${second} (graph.applications)`, message: '1 evidence row is stored, but custody entry 6 (collection.resumed) records 2 pages read: evidence rows were deleted outside Peregrine.' },
    ]);
  });

  it('name a source row added, removed, or with another window than collection.started planned', () => {
    expect(problemsAfter(`INSERT INTO collection_source (run_id, source, label) VALUES ('${second}', 'graph.users', 'Users')`)).toEqual([
      { where: `collection_source graph.users (run ${second})`, message: 'custody entry 4 (collection.started) did not plan this source: the row was added outside Peregrine.' },
      { where: `collection_source graph.users (run ${second})`, message: 'custody entry 5 (collection.finished) does not record this source: the row was added outside Peregrine.' },
    ]);
    expect(problemsAfter(`DELETE FROM collection_source WHERE run_id = '${second}'`)).toEqual([
      { where: `collection_source graph.applications (run ${second})`, message: 'custody entry 4 (collection.started) planned this source, but its row is missing.' },
      { where: `collection_source graph.applications (run ${second})`, message: 'custody entry 5 (collection.finished) records this source, but its row is missing.' },
    ]);
  });

  it("name a source's window changed, and each field of its account", () => {
    expect(problemsAfter(`UPDATE collection_source SET window_from = '2024-04-01T00:00:00Z' WHERE run_id = '${second}'`)).toEqual([
      { where: `collection_source graph.applications (run ${second})`, message: 'Its window 2024-04-01T00:00:00Z – - is not the one custody entry 4 (collection.started) records: the window was changed outside Peregrine.' },
    ]);
    expect(problemsAfter(`UPDATE collection_source SET window_from = NULL, state = 'failed', pages = 2, retries = 3, last_error = 'throttled' WHERE run_id = '${second}'`)).toEqual([
      { where: `collection_source graph.applications (run ${second})`, message: 'It differs from custody entry 5 (collection.finished) in state, pages, retries, last_error: the completeness account was changed outside Peregrine.' },
    ]);
  });

  it('name an evidence row deleted while rows point at it', () => {
    const problems = problemsAfter(`DELETE FROM evidence WHERE run_id = '${first}'`);
    expect(problems[0]).toEqual({ where: 'evidence row 1', message: 'The row is missing but 2 rows point at it (application 2 (row 1, …)): it was deleted outside Peregrine.' });
  });

  describe('triage decisions', () => {
    beforeEach(() => {
      const { db } = openCase(file);
      recordTriage(db, { findingKey: 'f1', ruleId: 'r1', state: 'confirmed', note: 'seen', at: at(40), actor: 'Jane' });
      recordTriage(db, { findingKey: 'f2', ruleId: 'r2', state: 'false_positive', note: '', at: at(41), actor: 'Jane' });
      closeDatabase(db);
      expect(verifyCaseFile(file).problems).toEqual([]);
    });

    it('name a decision changed, deleted, or written without its custody entry', () => {
      expect(problemsAfter(`UPDATE finding_triage SET state = 'needs_info', note = 'x', actor = 'Mallory' WHERE seq = 1`)).toEqual([
        { where: 'finding_triage row 1 (finding f1)', message: 'It differs from custody entry 6 (finding.triaged) in state, note, actor: the decision was changed outside Peregrine.' },
      ]);
      expect(problemsAfter(`UPDATE finding_triage SET state = 'confirmed', note = 'seen', actor = 'Jane' WHERE seq = 1; DELETE FROM finding_triage WHERE seq = 2`)).toEqual([
        { where: 'custody entry 7 (finding.triaged)', message: 'The decision it records (finding f2: false_positive) has no finding_triage row: the row was deleted outside Peregrine.' },
      ]);
      expect(problemsAfter(`INSERT INTO finding_triage (seq, finding_key, rule_id, state, note, at, actor, custody_seq) VALUES (2, 'f2', 'r2', 'false_positive', '', '${at(41)}', 'Jane', 2)`)).toEqual([
        { where: 'finding_triage row 2 (finding f2)', message: 'It has no custody entry: custody entry 2 is collection.started, not finding.triaged. The decision was written outside Peregrine.' },
        { where: 'custody entry 7 (finding.triaged)', message: 'The decision it records (finding f2: false_positive) has no finding_triage row: the row was deleted outside Peregrine.' },
      ]);
      expect(problemsAfter(`UPDATE finding_triage SET custody_seq = 99 WHERE seq = 2`)).toContainEqual(
        { where: 'finding_triage row 2 (finding f2)', message: 'It has no custody entry: custody entry 99 does not exist. The decision was written outside Peregrine.' },
      );
    });

    it('name a decision copied, and decisions reordered', () => {
      expect(problemsAfter(`INSERT INTO finding_triage SELECT 3, finding_key, rule_id, state, note, at, actor, custody_seq FROM finding_triage WHERE seq = 1`)).toEqual([
        { where: 'finding_triage row 3 (finding f1)', message: 'custody entry 6 (finding.triaged) is projected twice: the row was copied outside Peregrine.' },
        { where: 'finding_triage row 3 (finding f1)', message: 'The rows are not in the order of their custody entries: the history of decisions was reordered.' },
      ]);
    });
  });
});
