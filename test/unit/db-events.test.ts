// Vitest (plain Node): log rows and the event timeline in a case file: one write per page, resume without duplicates, keyset paging and its plan.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../db/connection';
import { EntityShapeError } from '../../db/errors';
import { eventCount, eventsPage, eventsPageSql } from '../../db/queries/events';
import { insertEvidence } from '../../db/queries/evidence';
import { insertDirectoryAudits, insertSignIns, insertUnifiedAuditRecords } from '../../db/queries/logs';
import { startRun } from '../../db/queries/runs';
import { decodeText, jsonRecords } from '../../db/normalize/text';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/logs');
const fixture = (file: string): unknown[] => jsonRecords(decodeText(fs.readFileSync(path.join(FIXTURES, file))), file);

let dir: string;
let db: Database;
let runId: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-events-'));
  db = openDatabase(path.join(dir, 'case.peregrine'), { create: true });
  runId = newRun();
});
afterEach(() => {
  closeDatabase(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

function newRun(): string {
  return startRun(db, { runId: randomUUID(), startedAt: '2024-08-01T10:00:00.000Z', environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example' }).runId;
}

function page(source: string, value: unknown[], run = runId): number {
  return insertEvidence(db, {
    runId: run, source, method: 'GET', url: `https://graph.microsoft.com/v1.0/${source}`, status: 200,
    contentType: 'application/json', collectedAt: '2024-08-01T10:00:01.000Z', body: Buffer.from(JSON.stringify({ value })),
  }).id;
}

/** The way collection stores a page: evidence and everything derived from it in one transaction. */
function storePage(source: string, value: unknown[], insert: typeof insertSignIns, run = runId): number {
  return db.transaction(() => insert(db, run, page(source, value, run), value))();
}

const count = (table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

describe('migration 50', () => {
  it('creates STRICT log tables and the event table with its paging indexes', () => {
    const tables = db.pragma('table_list') as { name: string; strict: number }[];
    const columns = (table: string): string[] => (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
    const expected: Record<string, string[]> = {
      sign_in: ['row_id', 'run_id', 'id', 'evidence_id', 'created_at', 'user_id', 'user_principal_name', 'app_id', 'app_display_name', 'ip_address',
        'error_code', 'failure_reason', 'authentication_requirement', 'conditional_access_status', 'is_interactive', 'client_app_used', 'location', 'raw'],
      directory_audit: ['row_id', 'run_id', 'id', 'evidence_id', 'activity_at', 'category', 'activity_display_name', 'operation', 'result',
        'initiated_by_user_upn', 'initiated_by_user_id', 'initiated_by_app_id', 'initiated_by_app_sp_id', 'initiated_by_app_name', 'initiated_by_ip', 'targets', 'raw'],
      // page_index: migration 120 (a collected record is read from its evidence page).
      ual_record: ['row_id', 'run_id', 'id', 'evidence_id', 'created_at', 'record_type', 'workload', 'raw_operation', 'operation', 'result_status',
        'user_id', 'app_id', 'client_ip', 'object_id', 'parameters', 'raw', 'page_index'],
      event: ['id', 'run_id', 'at', 'source', 'record_id', 'operation', 'raw_operation', 'result', 'actor_user', 'actor_app_id', 'actor_ip',
        'target_type', 'target_id', 'target_name', 'evidence_id', 'source_row_id'],
    };
    for (const [table, cols] of Object.entries(expected)) {
      expect(tables.find((t) => t.name === table)?.strict, `${table} is STRICT`).toBe(1);
      expect(columns(table)).toEqual(cols);
    }
    const indexes = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('sign_in', 'directory_audit', 'ual_record', 'event') AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all();
    expect(indexes).toEqual([
      'directory_audit_byEvidenceId', 'event_byActorIpAt', 'event_byAt', 'event_byEvidenceId', 'event_byOperationAt', 'event_byRunIdAt',
      'event_byRunIdOperationActorIp', 'event_byTargetIdAt', 'sign_in_byEvidenceId', 'sign_in_byRunIdIpAddress', 'sign_in_byRunIdUserId',
      'ual_record_byEvidenceId', 'ual_record_byRunIdRecordType',
    ]);
  });

  it('refuses an event time that would not sort as time', () => {
    const evidenceId = page('test', []);
    const insert = (at: string) => db.prepare(
      `INSERT INTO event (run_id, at, source, record_id, operation, raw_operation, result, evidence_id, source_row_id)
       VALUES (?, ?, 'signin', ?, 'x', 'x', 'success', ?, 1)`,
    ).run(runId, at, at, evidenceId);
    expect(() => insert('2024-05-01T10:00:00.000Z')).not.toThrow();
    for (const bad of ['2024-05-01T10:00:00Z', '2024-05-01 10:00:00.000', '5/1/2024, 10:00:00 AM']) expect(() => insert(bad)).toThrow(/CHECK constraint/);
  });
});

describe('inserting log pages', () => {
  it('writes entity rows and their events, each pointing to the evidence row', () => {
    const signIns = fixture('graph-signins-stuffing.json');
    const evidenceId = page('auditLogs/signIns', signIns);
    expect(insertSignIns(db, runId, evidenceId, signIns)).toBe(7);
    expect(count('sign_in')).toBe(7);
    const row = db.prepare(`SELECT * FROM sign_in WHERE error_code = 0`).get() as Record<string, unknown>;
    expect(row).toMatchObject({
      run_id: runId, evidence_id: evidenceId, user_principal_name: 'admin.jones@contoso.example', app_id: '1b730954-1685-4b74-9bfd-dac224a7b894',
      ip_address: '203.0.113.66', is_interactive: 1, created_at: '2024-04-27T03:13:00.123Z', client_app_used: 'Mobile Apps and Desktop clients',
    });
    expect(JSON.parse(row.location as string)).toMatchObject({ city: 'Amsterdam' });
    expect(JSON.parse(row.raw as string)).toMatchObject({ id: row.id, status: { errorCode: 0 } });

    const { events } = eventsPage(db, { limit: 100 });
    expect(events).toHaveLength(7);
    expect(events.every((e) => e.evidenceId === evidenceId && e.source === 'signin')).toBe(true);
    const success = events.find((e) => e.result === 'success')!;
    expect(success.sourceRowId).toBe(row.row_id);
    expect(success.recordId).toBe(row.id);
  });

  it('stores directory audits and UAL records with normalised and raw operations', () => {
    storePage('auditLogs/directoryAudits', fixture('graph-directoryaudits-persistence.json'), insertDirectoryAudits);
    storePage('exchange.unifiedAuditLog', fixture('ual-search-rows.utf16.json'), insertUnifiedAuditRecords);
    expect(count('directory_audit')).toBe(6);
    expect(count('ual_record')).toBe(9);
    const role = db.prepare(`SELECT * FROM directory_audit WHERE operation = 'add member to role'`).get() as Record<string, unknown>;
    expect(role).toMatchObject({ initiated_by_user_upn: 'admin.jones@contoso.example', initiated_by_ip: '203.0.113.66', category: 'RoleManagement' });
    expect((JSON.parse(role.targets as string) as { type: string }[]).map((t) => t.type)).toEqual(['ServicePrincipal', 'Role']);
    const connector = db.prepare(`SELECT * FROM ual_record WHERE operation = 'new-inboundconnector'`).get() as Record<string, unknown>;
    expect(connector).toMatchObject({ raw_operation: 'New-InboundConnector', record_type: 'ExchangeAdmin', workload: 'Exchange', client_ip: '198.51.100.23', object_id: 'Ran_vxqpt' });
    expect(JSON.parse(connector.parameters as string)).toContainEqual({ Name: 'SenderIPAddresses', Value: '192.0.2.44;192.0.2.45' });

    const credentials = 'update application - certificates and secrets management';
    expect(eventsPage(db, { limit: 10, operation: credentials }).events.map((e) => [e.source, e.rawOperation]).sort()).toEqual([
      ['directory_audit', 'Update application – Certificates and secrets management '],
      ['ual', 'Update application – Certificates and secrets management .'],
    ]);
  });

  it('re-inserting a page in the same run (resume) replaces, never duplicates; another run keeps its own copy', () => {
    const signIns = fixture('graph-signins-stuffing.json');
    storePage('auditLogs/signIns', signIns, insertSignIns);
    const before = eventsPage(db, { limit: 100 }).events;
    const again = page('auditLogs/signIns', signIns);
    insertSignIns(db, runId, again, signIns);
    expect(count('sign_in')).toBe(7);
    expect(count('event')).toBe(7);
    const after = eventsPage(db, { limit: 100 }).events;
    // Same event ids and source rows: a consumer holding an id (a finding, a bookmark) still finds it.
    expect(after.map((e) => [e.id, e.sourceRowId])).toEqual(before.map((e) => [e.id, e.sourceRowId]));
    expect(new Set(after.map((e) => e.evidenceId))).toEqual(new Set([again]));

    const other = newRun();
    storePage('auditLogs/signIns', signIns, insertSignIns, other);
    expect(count('event')).toBe(14);
    expect(eventCount(db, { runId: other })).toBe(7);
  });

  it('refuses a page with one unreadable record whole, naming evidence, record and field; the caller stores nothing', () => {
    const audits = fixture('graph-directoryaudits-persistence.json') as Record<string, unknown>[];
    const broken = [...audits.slice(0, 3), { ...audits[3], activityDateTime: 'yesterday' }, ...audits.slice(4)];
    const evidenceBefore = count('evidence');
    let caught: unknown;
    try {
      storePage('auditLogs/directoryAudits', broken, insertDirectoryAudits);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EntityShapeError);
    const error = caught as EntityShapeError;
    expect(error.field).toBe('activityDateTime');
    expect(error.message).toMatch(
      /^Evidence \d+: directory audit \(Graph directoryAudit\) #3 \(id Directory_[^)]+\): field 'activityDateTime' is not a timestamp: 'yesterday'\. The response is kept as evidence; nothing was derived from this page\.$/,
    );
    // The transaction the caller wrapped around evidence + entities rolled back as a whole.
    expect(count('evidence')).toBe(evidenceBefore);
    expect(count('directory_audit')).toBe(0);
    expect(count('event')).toBe(0);

    // Storing the evidence alone and deriving nothing is the caller's other choice: still nothing half-written.
    const evidenceId = page('auditLogs/directoryAudits', broken);
    expect(() => insertDirectoryAudits(db, runId, evidenceId, broken)).toThrow(EntityShapeError);
    expect(count('directory_audit')).toBe(0);
    expect(count('event')).toBe(0);
  });

  it('refuses evidence from another run or that does not exist', () => {
    const signIns = fixture('graph-signins-stuffing.json');
    const other = newRun();
    const foreign = page('auditLogs/signIns', signIns, other);
    expect(() => insertSignIns(db, runId, foreign, signIns)).toThrow(/belongs to run/);
    expect(() => insertSignIns(db, runId, 9999, signIns)).toThrow(/no evidence 9999/);
  });

  it('keeps a record whose export has no time, without an event', () => {
    const [first] = fixture('signinlogs-stuffing.jsonl') as Record<string, unknown>[];
    const timeless = { ...first, CreatedDateTime: '', TimeGenerated: undefined };
    storePage('import.signinlogs', [timeless], insertSignIns);
    expect(count('sign_in')).toBe(1);
    expect(count('event')).toBe(0);
  });
});

describe('the timeline', () => {
  beforeEach(() => {
    storePage('auditLogs/signIns', fixture('graph-signins-stuffing.json'), insertSignIns);
    storePage('auditLogs/directoryAudits', fixture('graph-directoryaudits-persistence.json'), insertDirectoryAudits);
    storePage('exchange.unifiedAuditLog', fixture('ual-management-api.json'), insertUnifiedAuditRecords);
  });

  it('pages through every event once, in (at, id) order', () => {
    const total = eventCount(db);
    expect(total).toBe(7 + 6 + 9);
    const seen: { id: number; at: string }[] = [];
    let afterId: number | undefined;
    for (;;) {
      const p = eventsPage(db, { limit: 4, afterId });
      seen.push(...p.events.map((e) => ({ id: e.id, at: e.at })));
      if (p.nextAfterId === null) break;
      afterId = p.nextAfterId;
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((e) => e.id)).size).toBe(total);
    const sorted = [...seen].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id));
    expect(seen).toEqual(sorted);
  });

  it('breaks ties on the same instant by id without skipping any', () => {
    const [first] = fixture('graph-signins-stuffing.json') as Record<string, unknown>[];
    const sameInstant = Array.from({ length: 5 }, (_, i) => ({ ...first, id: `tie-${i}`, createdDateTime: '2024-04-27T03:12:05.123Z' }));
    storePage('auditLogs/signIns', sameInstant, insertSignIns);
    const ids: string[] = [];
    let afterId: number | undefined;
    do {
      const p = eventsPage(db, { limit: 2, afterId, fromAt: '2024-04-27T03:12:05.123Z', toAt: '2024-04-27T03:12:05.124Z' });
      ids.push(...p.events.map((e) => e.recordId));
      afterId = p.nextAfterId ?? undefined;
    } while (afterId !== undefined);
    expect(ids.sort()).toEqual([String(first!.id), 'tie-0', 'tie-1', 'tie-2', 'tie-3', 'tie-4'].sort());
  });

  it('filters by time range, operation, actor IP and text, and counts the same way', () => {
    const range = { fromAt: '2024-04-27T03:12:00.000Z', toAt: '2024-04-27T03:12:30.000Z' };
    expect(eventsPage(db, { ...range, limit: 50 }).events.map((e) => e.at)).toEqual([
      '2024-04-27T03:12:05.123Z', '2024-04-27T03:12:12.123Z', '2024-04-27T03:12:19.123Z', '2024-04-27T03:12:26.123Z',
    ]);
    expect(eventCount(db, range)).toBe(4);
    // Seven sign-ins, six audits, and the three UAL directory records whose ActorIpAddress is the attacker's.
    expect(eventCount(db, { actorIp: '203.0.113.66' })).toBe(7 + 6 + 3);
    expect(eventCount(db, { operation: 'add service principal' })).toBe(2);
    expect(eventsPage(db, { limit: 50, text: 'ran_VXQ' }).events.map((e) => e.rawOperation)).toEqual(['New-InboundConnector', 'Remove-InboundConnector']);
    expect(eventCount(db, { text: '50%_' })).toBe(0);
    expect(eventCount(db, { source: 'ual', actorIp: '198.51.100.23' })).toBe(6);
  });

  it('refuses a page size out of range and a cursor that is not an event', () => {
    expect(() => eventsPage(db, { limit: 0 })).toThrow(RangeError);
    expect(() => eventsPage(db, { limit: 10_001 })).toThrow(RangeError);
    expect(() => eventsPage(db, { limit: 10, afterId: 123_456 })).toThrow(/Event 123456 is not in this case/);
  });

  const planOf = (query: Parameters<typeof eventsPageSql>[0]): string[] => {
    const { sql, params } = eventsPageSql(query);
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
  };
  // The subquery that looks up the previous page's last `at` is a rowid lookup; leave it out.
  const outer = (plan: string[]): string[] => plan.filter((d) => !/SUBQUERY|INTEGER PRIMARY KEY/.test(d));

  it('pages a time range through event_byAt, without a full scan or a sort', () => {
    for (const query of [
      { limit: 100 },
      { limit: 100, fromAt: '2024-04-27T00:00:00.000Z', toAt: '2024-05-01T00:00:00.000Z' },
      { limit: 100, fromAt: '2024-04-27T00:00:00.000Z', afterId: 3 },
      { limit: 100, afterId: 3 },
    ]) {
      const plan = planOf(query);
      expect(outer(plan), plan.join('\n')).toEqual([expect.stringMatching(/^SEARCH event USING INDEX event_byAt \(at[><=]|^SCAN event USING INDEX event_byAt$/)]);
      expect(plan.join('\n')).not.toMatch(/USE TEMP B-TREE|^SCAN event$/m);
    }
  });

  it('pages one run, one operation or one actor IP through the index that also keeps time order', () => {
    for (const [query, index] of [
      [{ limit: 100, runId, fromAt: '2024-04-27T00:00:00.000Z', afterId: 3 }, 'event_byRunIdAt (run_id=? AND at'],
      [{ limit: 100, operation: 'new-inboundconnector', afterId: 3 }, 'event_byOperationAt (operation=? AND at'],
      [{ limit: 100, actorIp: '203.0.113.66' }, 'event_byActorIpAt (actor_ip=?)'],
    ] as const) {
      const plan = planOf(query);
      expect(outer(plan)[0], plan.join('\n')).toContain(`SEARCH event USING INDEX ${index}`);
      expect(plan.join('\n')).not.toMatch(/USE TEMP B-TREE/);
    }
  });
});
