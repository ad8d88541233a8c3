// Vitest (plain Node): the timeline index over one real simulator collection — what it holds per source, keyset pages both ways, every filter, full-text search, the histogram, its check by verify --deep, and a record read twice kept as one row.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertEvidence } from '../../db/queries/evidence';
import { insertSignIns } from '../../db/queries/logs';
import { verifyOpenCase } from '../../main/case/verify';
import { applyWrite } from '../../main/collect/writes';
import { rebuildTimeline, refreshTimeline } from '../../main/timeline/model';
import {
  ftsQuery, timelineCount, timelineHistogram, timelinePage, timelinePageSql, TimelineQueryError, type TimelineFilter, type TimelineRow,
} from '../../main/timeline/query';
import { main } from '../../main/cli';
import { detect } from '../../main/detect/engine';
import { findingsExportFiles } from '../../main/detect/summary';
import { getCaseMeta } from '../../db/queries/caseMeta';
import { loadOrCreateExaminerKey } from '../../main/sign/keys';
import { TIMELINE_COLUMNS, TIMESKETCH_REQUIRED } from '../../main/timeline/events';
import { exportCase } from '../../main/timeline/export';
import { capturedIo } from '../support/cli-io';
import { collectedCase, type CollectedCase } from '../support/collected-case';

let c: CollectedCase;
/** The collection's time window (custody entries, stamped at collection time, fall outside it). */
const WINDOW = { from: '2024-09-15T09:00:00Z', to: '2024-10-15T09:00:00Z' };
const STUFFING_IP = '198.51.100.218';
const MALICIOUS_APP = { name: 'Contosojizytj', appId: 'ce058621-15ff-4fb8-baa9-da2ee82c470d', objectId: '4fd28ef1-6c90-45d1-a6a1-575088d5d9d5' };

beforeAll(async () => {
  c = await collectedCase({ scenario: 'contoso', seed: 21, eventsPerUserPerDay: 0.25, inboxRuleMailboxes: 2 });
  // The fixed values below are this seed's; the malicious app is the simulator's ground truth.
  expect(c.sim.groundTruth.maliciousApp).toMatchObject({ displayName: MALICIOUS_APP.name, appId: MALICIOUS_APP.appId, applicationObjectId: MALICIOUS_APP.objectId });
  refreshTimeline(c.db);
}, 300_000);
afterAll(async () => {
  await c?.dispose();
});

/** RFC 4180 rows (quoted cells with doubled quotes, CRLF line ends), as a spreadsheet reads them. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  expect(row.length === 0 && cell === '' && !quoted).toBe(true);
  return rows;
}

/** Every matching row, walking pages of `limit` forward from the first (or backward from the last). */
function walk(filter: TimelineFilter, limit: number, backward = false): TimelineRow[] {
  const rows: TimelineRow[] = [];
  let page = timelinePage(c.db, { filter, limit, last: backward });
  for (;;) {
    if (backward) rows.unshift(...page.rows);
    else rows.push(...page.rows);
    const cursor = backward ? page.previous : page.next;
    if (!cursor) return rows;
    page = timelinePage(c.db, backward ? { filter, limit, before: cursor } : { filter, limit, after: cursor });
  }
}

describe('the timeline index of a collected case', () => {
  it('holds one row per record of every source, each object lifetime fact and finding, and every custody entry', () => {
    const bySource = Object.fromEntries(
      (c.db.prepare(`SELECT source, count(*) AS n FROM timeline GROUP BY source ORDER BY source`).all() as { source: string; n: number }[]).map((r) => [r.source, r.n]),
    );
    expect(bySource).toEqual({ custody: 3, directory_audit: 426, exchange: 158, finding: 57, object: 667, signin: 3003, ual: 2153 });
    // Every log record of the collection is there once: sign-ins, audits and UAL records (ExchangeAdmin ones as 'exchange').
    expect(c.db.prepare('SELECT count(*) FROM event').pluck().get()).toBe(3003 + 426 + 2153 + 158);
    expect(timelineCount(c.db, WINDOW)).toBe(5811);
    // The sources beyond the first collection, each on the timeline: the sign-ins nobody typed, deleted items, audit bypass.
    const byOperation = (operation: string) => c.db.prepare('SELECT count(*) FROM timeline WHERE operation = ?').pluck().get(operation);
    const kinds = c.sim.groundTruth.logs!.signInKinds;
    expect(byOperation('Non-interactive user sign-in')).toBe(kinds.nonInteractiveUser.count);
    expect(byOperation('Service principal sign-in')).toBe(kinds.servicePrincipal.count);
    expect(byOperation('Object deleted')).toBe(c.sim.groundTruth.deletedObjects.applicationIds.length + c.sim.groundTruth.deletedObjects.servicePrincipalIds.length);
    expect(byOperation('Audit bypass set')).toBe(c.sim.groundTruth.exchange!.auditBypass.malicious.length + c.sim.groundTruth.exchange!.auditBypass.decoys.length);
  });

  it('keeps the operation as the source wrote it, with actor, IP, result, evidence and the findings a row supports', () => {
    const { rows } = timelinePage(c.db, { filter: { ip: STUFFING_IP }, limit: 2 });
    expect(rows.map((r) => [r.at, r.source, r.operation, r.actor, r.ip, r.result, r.findings])).toEqual([
      ['2024-09-20T05:25:32.000Z', 'signin', 'Sign-in activity', 'GradyA@contoso.onmicrosoft.com', STUFFING_IP, 'failure', [`signin.credential-stuffing:${STUFFING_IP}`]],
      ['2024-09-20T05:25:32.000Z', 'ual', 'UserLoginFailed', 'GradyA@contoso.onmicrosoft.com', STUFFING_IP, 'failure', [`signin.credential-stuffing:${STUFFING_IP}`]],
    ]);
    for (const r of rows) {
      expect(r.evidenceSha256).toBe(c.db.prepare('SELECT sha256 FROM evidence WHERE id = ?').pluck().get(r.evidenceId));
      expect(c.db.prepare('SELECT record_id FROM event WHERE id = ?').pluck().get(r.eventId)).toBe(r.recordId);
    }
  });

  it('pages by key forward and backward over the same rows, in (time, id) order', () => {
    const all = c.db.prepare('SELECT id FROM timeline ORDER BY at, id').pluck().all() as number[];
    const forward = walk({}, 500);
    expect(forward.map((r) => r.id)).toEqual(all);
    expect(walk({}, 700, true).map((r) => r.id)).toEqual(all);
    const filtered = walk({ sources: ['signin'], result: 'failure' }, 50);
    expect(filtered).toHaveLength(timelineCount(c.db, { sources: ['signin'], result: 'failure' }));
    expect(filtered.every((r) => r.source === 'signin' && r.result === 'failure')).toBe(true);
    expect(walk({ sources: ['signin'], result: 'failure' }, 64, true).map((r) => r.id)).toEqual(filtered.map((r) => r.id));
  });

  it('turns back from any page to the page before it', () => {
    const first = timelinePage(c.db, { filter: WINDOW, limit: 25 });
    expect(first.previous).toBeNull();
    const second = timelinePage(c.db, { filter: WINDOW, limit: 25, after: first.next! });
    expect(second.previous).toEqual({ at: second.rows[0]!.at, id: second.rows[0]!.id });
    const back = timelinePage(c.db, { filter: WINDOW, limit: 25, before: second.previous! });
    expect(back.rows.map((r) => r.id)).toEqual(first.rows.map((r) => r.id));
    expect(back.next).toEqual(first.next);
  });

  it('reads a filtered page from the filter\'s index, by key, without sorting', () => {
    const plan = (filter: TimelineFilter) => {
      const { sql, params } = timelinePageSql({ filter, limit: 100, after: { at: '2024-09-20T00:00:00.000Z', id: 1 } });
      return (c.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
    };
    expect(plan({ ip: STUFFING_IP })[0]).toBe('SEARCH t USING INDEX timeline_byIpAt (ip=? AND at>?)');
    expect(plan({})[0]).toBe('SEARCH t USING INDEX timeline_byAt (at>?)');
    expect(plan({ sources: ['exchange'] })[0]).toBe('SEARCH t USING INDEX timeline_bySourceAt (source=? AND at>?)');
    for (const f of [{ ip: STUFFING_IP }, {}, { sources: ['exchange'] }, { supporting: true }]) expect(plan(f).join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it('filters by source, operation, actor, IP, target, result, time, support, finding and indicator', () => {
    expect(timelineCount(c.db, { ip: STUFFING_IP })).toBe(657);
    expect(timelineCount(c.db, { operation: 'consent to application', result: 'success' })).toBe(48);
    expect(timelineCount(c.db, { actor: 'ADMIN@contoso.onmicrosoft.com', sources: ['signin'] })).toBe(46);
    expect(timelineCount(c.db, { target: MALICIOUS_APP.name })).toBe(25);
    expect(timelineCount(c.db, { result: 'failure' })).toBe(708);
    expect(timelineCount(c.db, { from: '2024-09-20', to: '2024-09-21', sources: ['signin'] })).toBe(422);
    expect(timelineCount(c.db, { supporting: true })).toBe(867);
    expect(timelineCount(c.db, { supporting: true, sources: ['signin'] })).toBe(347);
    expect(timelineCount(c.db, { ioc: MALICIOUS_APP.appId })).toBe(29);
    expect(timelineCount(c.db, { ioc: STUFFING_IP })).toBe(658);

    const key = 'app.credential-added:b0ef356a-4a41-4317-a581-2e52b367f1f9';
    const rows = timelinePage(c.db, { filter: { finding: key }, limit: 20 }).rows;
    expect(rows.map((r) => [r.at, r.source, r.operation])).toEqual([
      ['2023-03-04T16:36:13.000Z', 'object', 'Application created'],
      ['2023-03-04T16:36:54.000Z', 'object', 'Service principal created'],
      ['2023-03-04T16:40:13.000Z', 'object', 'Client secret added'],
      ['2023-03-04T16:40:13.000Z', 'object', 'Certificate added'],
      ['2024-10-09T22:01:45.000Z', 'ual', 'Update application – Certificates and secrets management '],
      ['2024-10-09T22:01:45.000Z', 'finding', 'app.credential-added'],
      ['2024-10-09T22:01:45.996Z', 'directory_audit', 'Update application – Certificates and secrets management '],
    ]);
    expect(rows.every((r) => r.findings.includes(key))).toBe(true);
  });

  it('finds what a consultant types with FTS5: names, addresses, ids and operation words, combined with filters', () => {
    expect(timelineCount(c.db, { search: MALICIOUS_APP.name })).toBe(28);
    expect(timelineCount(c.db, { search: MALICIOUS_APP.appId })).toBe(36);
    expect(timelineCount(c.db, { search: 'admin@contoso.onmicrosoft.com', sources: ['signin'] })).toBe(46);
    // The 657 rows from the address, and the findings and objects whose text names it.
    expect(timelineCount(c.db, { search: STUFFING_IP })).toBe(667);
    expect(timelineCount(c.db, { search: STUFFING_IP, ip: STUFFING_IP })).toBe(657);
    expect(timelineCount(c.db, { search: 'consent application' })).toBe(96);
    expect(timelineCount(c.db, { search: 'inbox*' })).toBe(2);
    expect(timelineCount(c.db, { search: `${MALICIOUS_APP.name} consent`, result: 'success' })).toBe(1);
    expect(ftsQuery('a.b@c "x" pre*')).toBe('"a.b@c" AND """x""" AND "pre" *');
  });

  it('counts rows per day or hour, split by result or source, from the hourly counts or the filtered rows', () => {
    expect(timelineHistogram(c.db, { from: '2024-09-20', to: '2024-09-22' }, { bucket: 'day', split: 'result' })).toEqual([
      { start: '2024-09-20T00:00:00.000Z', counts: { critical: 5, failure: 616, high: 6, success: 231 }, total: 858 },
      { start: '2024-09-21T00:00:00.000Z', counts: { high: 5, success: 104 }, total: 109 },
    ]);
    expect(timelineHistogram(c.db, { from: '2024-09-20', to: '2024-09-21', ip: STUFFING_IP }, { bucket: 'hour', split: 'source' })).toEqual([
      { start: '2024-09-20T05:00:00.000Z', counts: { signin: 102, ual: 102 }, total: 204 },
      { start: '2024-09-20T09:00:00.000Z', counts: { signin: 101, ual: 101 }, total: 202 },
      { start: '2024-09-20T13:00:00.000Z', counts: { directory_audit: 6, signin: 106, ual: 112 }, total: 224 },
      { start: '2024-09-20T14:00:00.000Z', counts: { directory_audit: 1, signin: 2, ual: 1 }, total: 4 },
      // The taken accounts' tokens refreshed from the address in the hours after (non-interactive sign-ins).
      ...[15, 16, 17, 18, 19].map((h) => ({ start: `2024-09-20T${h}:00:00.000Z`, counts: { signin: 2 }, total: 2 })),
      { start: '2024-09-20T20:00:00.000Z', counts: { signin: 1 }, total: 1 },
    ]);
    const whole = timelineHistogram(c.db, {}, { bucket: 'day', split: 'source' });
    expect(whole.reduce((n, b) => n + b.total, 0)).toBe(timelineCount(c.db));
  });

  it('prints pages on the command line, with the cursors of the next and previous page', async () => {
    const io = capturedIo();
    expect(await main(['timeline', c.file, '--ip', STUFFING_IP, '--source', 'signin', '--limit', '2'], io)).toBe(0);
    expect(io.stdout.map((l) => l.split('\t').slice(0, 7))).toEqual([
      ['2024-09-20T05:25:32.000Z', 'signin', 'failure', 'Sign-in activity', 'GradyA@contoso.onmicrosoft.com', STUFFING_IP, 'Windows Azure Active Directory'],
      ['2024-09-20T05:25:44.000Z', 'signin', 'failure', 'Sign-in activity', 'mark.kim@contoso.onmicrosoft.com', STUFFING_IP, 'Windows Azure Active Directory'],
    ]);
    expect(io.stdout[0]!.split('\t')[7]).toBe(`signin.credential-stuffing:${STUFFING_IP}`);
    expect(io.stderr).toHaveLength(1);
    const next = /next page: --after (\S+)\.$/.exec(io.stderr[0]!)![1]!;
    expect(io.stderr[0]).toMatch(/^2 of 322 events; next page: --after 2024-09-20T05:25:44\.000Z\/\d+\.$/);

    const json = capturedIo();
    expect(await main(['timeline', c.file, '--ip', STUFFING_IP, '--source', 'signin', '--limit', '1', '--after', next, '--json'], json)).toBe(0);
    const page = JSON.parse(json.stdout.join('\n')) as { total: number; rows: TimelineRow[]; previous: { text: string } };
    expect(page.total).toBe(322); // 102 + 101 + 106 + 2 + 5 × 2 + 1 in the histogram below
    expect(page.rows.map((r) => [r.at, r.actor])).toEqual([['2024-09-20T05:25:58.000Z', 'james.lewis@contoso.onmicrosoft.com']]);
    expect(page.previous.text).toBe(`2024-09-20T05:25:58.000Z/${page.rows[0]!.id}`);

    const hist = capturedIo();
    expect(await main(['timeline', c.file, '--ip', STUFFING_IP, '--from', '2024-09-20', '--to', '2024-09-21', '--histogram', 'hour'], hist)).toBe(0);
    expect(hist.stdout).toEqual([
      '2024-09-20T05:00:00.000Z\t204\tsignin=102 ual=102',
      '2024-09-20T09:00:00.000Z\t202\tsignin=101 ual=101',
      '2024-09-20T13:00:00.000Z\t224\tdirectory_audit=6 signin=106 ual=112',
      '2024-09-20T14:00:00.000Z\t4\tdirectory_audit=1 signin=2 ual=1',
      ...[15, 16, 17, 18, 19].map((h) => `2024-09-20T${h}:00:00.000Z\t2\tsignin=2`),
      '2024-09-20T20:00:00.000Z\t1\tsignin=1',
    ]);
  });

  it('answers --help and refuses bad options naming them', async () => {
    const help = capturedIo();
    expect(await main(['timeline', '--help'], help)).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/^Usage: peregrine timeline <case>/);
    const bad = capturedIo();
    expect(await main(['timeline', c.file, '--from', 'last week'], bad)).toBe(2);
    expect(bad.stderr.join('\n')).toMatch(/^peregrine: --from: 'last week' is not a time/);
    const limit = capturedIo();
    expect(await main(['timeline', c.file, '--limit', '0'], limit)).toBe(2);
    expect(limit.stderr.join('\n')).toMatch(/^peregrine: --limit takes a number of rows from 1 to 10000, not "0"\./);
  });

  it('writes every row of a large page into a pipe', async () => {
    const child = spawn(process.execPath, ['bin/peregrine.js', 'timeline', c.file, '--limit', '10000', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const text = Buffer.concat(out).toString('utf8');
    expect(text.length).toBeGreaterThan(1024 * 1024);
    expect((JSON.parse(text) as { rows: unknown[] }).rows).toHaveLength(timelineCount(c.db));
  });

  it('refuses a filter it cannot read, naming the option', () => {
    expect(() => timelineCount(c.db, { from: 'yesterday' })).toThrow(TimelineQueryError);
    expect(() => timelineCount(c.db, { from: 'yesterday' })).toThrow(/^from: 'yesterday' is not a time/);
    expect(() => timelineCount(c.db, { search: ' ... ' })).toThrow(/^search: ' \.\.\. ' has no words/);
    expect(() => timelinePage(c.db, { limit: 0 })).toThrow(/^limit: a page holds 1 to 10000 rows, not 0\./);
  });

  describe('in the signed export', () => {
    let out: string;
    let findings: ReturnType<typeof detect>['findings'];
    beforeAll(() => {
      const keys = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-timeline-keys-'));
      const signer = loadOrCreateExaminerKey(keys, 'Examiner', { passphrase: () => 'correct horse battery' });
      out = path.join(path.dirname(c.file), 'export');
      const report = detect(c.db);
      findings = report.findings;
      const meta = getCaseMeta(c.db);
      const extraFiles = findingsExportFiles(report, { caseId: meta.caseId, caseName: meta.name, examiner: meta.examiner, now: new Date(), toolVersion: 'test' });
      exportCase(c.db, out, { signer, clock: () => new Date(), toolVersion: 'test', findings, extraFiles });
      fs.rmSync(keys, { recursive: true, force: true });
    }, 120_000);

    it('timeline.jsonl holds every event, each with the fields Timesketch requires to import it', () => {
      const lines = fs.readFileSync(path.join(out, 'timeline.jsonl'), 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      // Every row of the index, custody up to the head the manifest signs (the export's own entry comes after it).
      expect(events).toHaveLength(6467);
      expect(events).toHaveLength(timelineCount(c.db));
      // Timesketch's documented mandatory fields for a JSONL/CSV import: message (string), datetime (ISO 8601),
      // timestamp_desc (string) — https://github.com/google/timesketch/blob/master/docs/guides/user/import-from-json-csv.md
      for (const e of events) {
        expect(typeof e.message === 'string' && e.message.length > 0).toBe(true);
        expect(e.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(Date.parse(e.datetime as string) * 1000).toBe(e.timestamp);
        expect(typeof e.timestamp_desc === 'string' && e.timestamp_desc.length > 0).toBe(true);
        expect(TIMESKETCH_REQUIRED.every((f) => f in e)).toBe(true);
      }
      const datetimes = events.map((e) => e.datetime as string);
      expect([...datetimes].sort()).toEqual(datetimes);
      // Every record of every log is in it, so FINDINGS.md's "each record is in timeline.jsonl" holds for every finding.
      const keys = new Set(events.map((e) => `${String(e.record_id)}`));
      const records = c.db.prepare('SELECT DISTINCT record_id FROM event').pluck().all() as string[];
      expect(records.filter((r) => !keys.has(r))).toEqual([]);
      for (const f of findings) for (const e of f.events) expect(keys.has(e.recordId)).toBe(true);
      expect(fs.readFileSync(path.join(out, 'FINDINGS.md'), 'utf8')).toContain('each record is in timeline.jsonl');
      const bySource = new Map<string, number>();
      for (const e of events) bySource.set(e.source as string, (bySource.get(e.source as string) ?? 0) + 1);
      expect(Object.fromEntries(bySource)).toEqual({ custody: 3, directory_audit: 426, exchange: 158, finding: 57, object: 667, signin: 3003, ual: 2153 });
    });

    it('timeline.csv opens in a spreadsheet as it should: UTF-8 BOM, the same rows, ISO times, no cell read as a formula', () => {
      const bytes = fs.readFileSync(path.join(out, 'timeline.csv'));
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const rows = parseCsv(bytes.toString('utf8').slice(1));
      expect(rows[0]).toEqual([...TIMELINE_COLUMNS]);
      const jsonl = fs.readFileSync(path.join(out, 'timeline.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows.length - 1).toBe(jsonl.length);
      const dt = TIMELINE_COLUMNS.indexOf('datetime');
      const message = TIMELINE_COLUMNS.indexOf('message');
      rows.slice(1).forEach((row, i) => {
        expect(row).toHaveLength(TIMELINE_COLUMNS.length);
        expect(row[dt]).toBe(jsonl[i]!.datetime);
        for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
        const m = jsonl[i]!.message as string;
        expect(row[message]).toBe(/^[=+\-@\t\r]/.test(m) ? `'${m}` : m);
      });
    });
  });

  it('is checked by verify --deep: an altered row, link or count is named, and a rebuild restores it', () => {
    expect(verifyOpenCase(c.db, 'case', { deep: true }).problems).toEqual([]);
    const row = timelinePage(c.db, { filter: { ip: STUFFING_IP }, limit: 1 }).rows[0]!;
    c.db.prepare(`UPDATE timeline SET ip = '203.0.113.9' WHERE id = ?`).run(row.id);
    c.db.prepare(`DELETE FROM timeline_support WHERE timeline_id = ?`).run(row.id);
    const problems = verifyOpenCase(c.db, 'case', { deep: true }).problems;
    expect(problems.map((p) => p.where)).toEqual([`timeline row ${row.id} (signin ${row.recordId})`, 'timeline_support']);
    expect(problems[0]!.message).toMatch(/^It differs from the event it names in ip: the timeline index was changed outside Peregrine/);
    rebuildTimeline(c.db);
    expect(verifyOpenCase(c.db, 'case', { deep: true }).problems).toEqual([]);
    expect(timelineCount(c.db, { ip: STUFFING_IP })).toBe(657);
  });

  it('keeps a record read again by a later run (an import of the same log) as one row, pointing at its first copy', () => {
    const original = c.db.prepare(`SELECT s.raw, e.id AS eventId, e.record_id AS recordId FROM event e JOIN sign_in s ON s.row_id = e.source_row_id
      WHERE e.source = 'signin' ORDER BY e.id LIMIT 1`).get() as { raw: string; eventId: number; recordId: string };
    const runId = randomUUID();
    const at = new Date().toISOString();
    applyWrite(c.db, { op: 'start', runId, at, environment: 'import', tenantId: 'tid', account: 'examiner', actor: 'Examiner', plan: [], window: null }, () => undefined);
    const body = Buffer.from(JSON.stringify({ value: [JSON.parse(original.raw)] }));
    const evidence = insertEvidence(c.db, { runId, source: 'graph.signIns', method: 'GET', url: 'https://graph.microsoft.com/beta/auditLogs/signIns', status: 200, contentType: 'application/json', collectedAt: at, body }).id;
    insertSignIns(c.db, runId, evidence, [JSON.parse(original.raw)]);
    applyWrite(c.db, { op: 'finish', runId, state: 'done', at, error: null, actor: 'Examiner', entities: [] }, () => undefined);
    expect(c.db.prepare(`SELECT count(*) FROM event WHERE source = 'signin' AND record_id = ?`).pluck().get(original.recordId)).toBe(2);

    refreshTimeline(c.db);
    expect(timelineCount(c.db, { sources: ['signin'] })).toBe(3003);
    expect(c.db.prepare(`SELECT event_id FROM timeline WHERE source = 'signin' AND record_id = ?`).pluck().get(original.recordId)).toBe(original.eventId);
  });
});
