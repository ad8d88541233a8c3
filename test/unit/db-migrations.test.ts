// Vitest (plain Node): each migration applies on an empty database, creates what it promises, and the runner's guarantees.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../db/connection';
import { CaseFileError } from '../../db/errors';
import { checkMigrationList, latestSchemaVersion, migrate, schemaVersion } from '../../db/migrate';
import { migrations, PEREGRINE_APPLICATION_ID } from '../../db/migrations';
import { TOOL_VERSION } from '../../main/version';

interface MigrationPromise {
  tables: Record<string, string[]>;
  indexes: string[];
  triggers: string[];
}

/** What each migration promises. A new migration without an entry here fails the coverage test. */
const promised: Record<number, MigrationPromise> = {
  10: {
    tables: {
      schema_migration: ['version', 'name', 'applied_at', 'tool_version'],
      case_meta: ['case_id', 'name', 'client', 'examiner', 'reference', 'time_zone', 'created_at', 'tool_version'],
    },
    indexes: [],
    triggers: ['case_meta_keepIdentity', 'case_meta_refuseDelete'],
  },
  20: {
    tables: {
      collection_run: ['run_id', 'started_at', 'finished_at', 'state', 'environment', 'tenant_id', 'account', 'error'],
      evidence: ['id', 'run_id', 'source', 'method', 'url', 'status', 'content_type', 'request_id', 'collected_at', 'sha256', 'size', 'body_gz'],
      custody: ['seq', 'at', 'action', 'actor', 'details', 'prev_hash', 'hash'],
    },
    indexes: ['collection_run_byStateFinishedAt', 'evidence_byRunIdSource'],
    triggers: ['evidence_refuseUpdate', 'evidence_refuseDelete', 'custody_checkLink', 'custody_refuseUpdate', 'custody_refuseDelete'],
  },
  30: {
    tables: {
      application: [
        'run_id', 'object_id', 'evidence_id', 'app_id', 'display_name', 'sign_in_audience', 'created_at', 'publisher_domain',
        'verified_publisher', 'required_resource_access', 'password_credentials', 'key_credentials', 'raw',
      ],
      service_principal: [
        'run_id', 'object_id', 'evidence_id', 'app_id', 'display_name', 'service_principal_type', 'app_owner_organization_id',
        'account_enabled', 'created_at', 'app_roles', 'password_credentials', 'key_credentials', 'raw',
      ],
      organization: ['run_id', 'tenant_id', 'evidence_id', 'display_name', 'verified_domains', 'raw'],
    },
    indexes: ['application_byAppId', 'application_byEvidenceId', 'service_principal_byAppId', 'service_principal_byEvidenceId', 'organization_byEvidenceId'],
    triggers: [],
  },
  40: {
    tables: {
      collection_source: [
        'run_id', 'source', 'label', 'state', 'pages', 'records', 'next_url', 'window_from', 'window_to',
        'expected', 'truncated', 'retries', 'errors', 'last_error', 'started_at', 'finished_at',
      ],
    },
    indexes: [],
    triggers: [],
  },
  50: {
    tables: {
      sign_in: ['row_id', 'run_id', 'id', 'evidence_id', 'created_at', 'user_principal_name', 'app_id', 'ip_address', 'error_code', 'location', 'raw'],
      directory_audit: ['row_id', 'run_id', 'id', 'evidence_id', 'activity_at', 'activity_display_name', 'operation', 'initiated_by_user_upn', 'targets', 'raw'],
      ual_record: ['row_id', 'run_id', 'id', 'evidence_id', 'created_at', 'record_type', 'workload', 'raw_operation', 'operation', 'parameters', 'raw'],
      event: ['id', 'run_id', 'at', 'source', 'record_id', 'operation', 'raw_operation', 'result', 'actor_user', 'actor_app_id', 'actor_ip', 'target_type', 'target_id', 'target_name', 'evidence_id', 'source_row_id'],
    },
    indexes: ['sign_in_byEvidenceId', 'directory_audit_byEvidenceId', 'ual_record_byEvidenceId', 'event_byAt', 'event_byRunIdAt', 'event_byOperationAt', 'event_byActorIpAt', 'event_byTargetIdAt', 'event_byEvidenceId'],
    triggers: [],
  },
  60: {
    tables: { object_change: ['run_id', 'previous_run_id', 'entity', 'object_id', 'display_name', 'change', 'fields'] },
    indexes: ['object_change_byEntityObjectId'],
    triggers: [],
  },
  70: {
    tables: { tenant_object: ['run_id', 'kind', 'object_id', 'evidence_id', 'display_name', 'principal_id', 'resource_id', 'raw'] },
    indexes: ['tenant_object_byKindPrincipalId', 'tenant_object_byEvidenceId'],
    triggers: [],
  },
  80: {
    tables: { evidence: ['request_body'] },
    indexes: [],
    triggers: [],
  },
  90: {
    tables: { collection_source: ['scope'] },
    indexes: [],
    triggers: [],
  },
  100: {
    tables: { finding_triage: ['seq', 'finding_key', 'rule_id', 'state', 'note', 'at', 'actor', 'custody_seq'] },
    indexes: ['finding_triage_byFindingKey', 'ual_record_byRunIdRecordType', 'sign_in_byRunIdIpAddress'],
    triggers: ['finding_triage_refuseUpdate', 'finding_triage_refuseDelete'],
  },
  110: {
    tables: {},
    indexes: ['event_byRunIdOperationActorIp', 'sign_in_byRunIdUserId'],
    triggers: [],
  },
  120: {
    tables: {
      ual_record: ['row_id', 'run_id', 'id', 'evidence_id', 'created_at', 'record_type', 'workload', 'raw_operation', 'operation', 'result_status',
        'user_id', 'app_id', 'client_ip', 'object_id', 'parameters', 'raw', 'page_index'],
    },
    indexes: ['ual_record_byEvidenceId', 'ual_record_byRunIdRecordType'],
    triggers: [],
  },
  140: {
    tables: { custody_checkpoint: ['id', 'payload', 'signature'] },
    indexes: [],
    triggers: ['custody_checkpoint_refuseUpdate', 'custody_checkpoint_refuseDelete'],
  },
  150: {
    tables: { collection_source: ['notices'] },
    indexes: [],
    triggers: [],
  },
  160: {
    tables: {
      remediation_step: ['seq', 'step_id', 'spec', 'spec_sha256', 'at', 'actor', 'custody_seq'],
      remediation_evidence: ['id', 'step_id', 'item_key', 'kind', 'method', 'url', 'request_body', 'status', 'collected_at', 'sha256', 'size', 'body_gz'],
      remediation_action: ['seq', 'step_id', 'item_key', 'outcome', 'note', 'account', 'before_sha256', 'after_sha256', 'evidence_ids', 'at', 'actor', 'custody_seq'],
    },
    indexes: ['remediation_step_byStepId', 'remediation_evidence_byStepId', 'remediation_action_byStepItem'],
    triggers: [
      'remediation_step_refuseUpdate', 'remediation_step_refuseDelete', 'remediation_evidence_refuseUpdate', 'remediation_evidence_refuseDelete',
      'remediation_action_refuseUpdate', 'remediation_action_refuseDelete',
    ],
  },
  170: {
    tables: {
      timeline: ['id', 'at', 'source', 'record_id', 'operation', 'result', 'actor', 'actor_app_id', 'ip', 'target_type', 'target_id', 'target_name',
        'message', 'event_id', 'evidence_id', 'custody_seq', 'findings'],
      timeline_support: ['finding_key', 'timeline_id'],
      timeline_hour: ['hour', 'source', 'result', 'n'],
      timeline_state: ['id', 'event_id', 'custody_seq', 'objects_key', 'built_at'],
    },
    indexes: ['timeline_byAt', 'timeline_bySourceAt', 'timeline_byIpAt', 'timeline_byActorAt', 'timeline_byOperationAt', 'timeline_byActorAppIdAt', 'timeline_byTargetIdAt',
      'timeline_byTargetNameAt', 'timeline_bySupportingAt', 'timeline_support_byTimelineId'],
    triggers: [],
  },
  180: {
    tables: {
      import_record: ['run_id', 'source', 'record_id', 'evidence_id', 'line', 'byte_offset', 'byte_length'],
    },
    indexes: ['import_record_byEvidenceId'],
    triggers: [],
  },
  200: {
    tables: { timeline_pin: ['seq', 'source', 'record_id', 'state', 'note', 'event_at', 'evidence_sha256', 'at', 'actor', 'custody_seq'] },
    indexes: ['timeline_pin_bySourceRecordIdSeq'],
    triggers: ['timeline_pin_refuseUpdate', 'timeline_pin_refuseDelete'],
  },
};

const names = (db: Database, type: string): string[] =>
  db.prepare(`SELECT name FROM sqlite_schema WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all(type) as string[];

describe('migrations', () => {
  let db: Database;
  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
  });
  afterEach(() => db.close());

  it('every migration has a test entry, in order', () => {
    expect(migrations.map((m) => m.version)).toEqual(Object.keys(promised).map(Number));
    expect(latestSchemaVersion()).toBe(migrations.at(-1)!.version);
  });

  for (const migration of migrations) {
    it(`${migration.version}-${migration.name} applies on an empty database and creates what it promises`, () => {
      const upTo = migrations.filter((m) => m.version <= migration.version);
      const outcome = migrate(db, { migrations: upTo, toolVersion: 'test' });
      expect(outcome).toEqual({ from: 0, to: migration.version, applied: upTo.map((m) => m.version) });
      expect(schemaVersion(db)).toBe(migration.version);
      expect(db.pragma('application_id', { simple: true })).toBe(PEREGRINE_APPLICATION_ID);

      const promise = promised[migration.version]!;
      const tableList = db.pragma('table_list') as { name: string; strict: number }[];
      for (const [table, columns] of Object.entries(promise.tables)) {
        const info = tableList.find((t) => t.name === table);
        expect(info, `table ${table}`).toBeDefined();
        expect(info?.strict, `${table} is STRICT`).toBe(1);
        const actual = (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
        expect(actual).toEqual(expect.arrayContaining(columns));
      }
      expect(names(db, 'index')).toEqual(expect.arrayContaining(promise.indexes));
      expect(names(db, 'trigger')).toEqual(expect.arrayContaining(promise.triggers));
      const recorded = db.prepare('SELECT version, tool_version FROM schema_migration ORDER BY version').all();
      expect(recorded).toEqual(upTo.map((m) => ({ version: m.version, tool_version: 'test' })));
    });
  }

  it('is idempotent', () => {
    migrate(db);
    const schema = db.prepare('SELECT sql FROM sqlite_schema ORDER BY name').pluck().all();
    const latest = latestSchemaVersion();
    expect(migrate(db)).toEqual({ from: latest, to: latest, applied: [] });
    expect(db.prepare('SELECT sql FROM sqlite_schema ORDER BY name').pluck().all()).toEqual(schema);
  });

  it('only brings an older file forward by the missing migrations', () => {
    migrate(db, { migrations: migrations.slice(0, 1) });
    expect(migrate(db).applied).toEqual(migrations.slice(1).map((m) => m.version));
  });

  it('names indexes <table>_by<Columns>', () => {
    migrate(db);
    const indexes = db.prepare(`SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`).all() as { name: string; tbl_name: string }[];
    for (const index of indexes) expect(index.name).toMatch(new RegExp(`^${index.tbl_name}_by[A-Z][A-Za-z]*$`));
  });

  it('rolls back a failing migration as a whole, leaving the previous version', () => {
    const broken = [...migrations, { version: latestSchemaVersion() + 1, name: 'broken', sql: 'CREATE TABLE half (x INTEGER) STRICT; SELECT * FROM no_such_table;' }];
    expect(() => migrate(db, { migrations: broken })).toThrow(/no_such_table/);
    expect(schemaVersion(db)).toBe(latestSchemaVersion());
    expect(names(db, 'table')).not.toContain('half');
  });

  it('refuses a migration list whose versions do not strictly increase', () => {
    const [first, second] = migrations;
    expect(() => checkMigrationList([second!, first!])).toThrow(/out of order/);
    expect(() => checkMigrationList([first!, { ...second!, version: first!.version }])).toThrow(/out of order/);
  });
});

describe('a case file from a newer Peregrine', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-db-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is refused with the versions named, and left untouched', () => {
    const file = path.join(dir, 'future.peregrine');
    closeDatabase(openDatabase(file, { create: true, toolVersion: '0.1.0' }));
    const raw = new BetterSqlite3(file);
    const future = latestSchemaVersion() + 1000;
    raw.prepare(`INSERT INTO schema_migration VALUES (?, 'future', '2030-01-01T00:00:00Z', '9.9.0')`).run(future);
    raw.pragma(`user_version = ${future}`);
    raw.close();
    const before = fs.readFileSync(file);

    let caught: unknown;
    try {
      openDatabase(file, { create: false });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CaseFileError);
    expect((caught as CaseFileError).code).toBe('newer_schema');
    expect((caught as CaseFileError).message).toBe(
      `future.peregrine was written by a newer Peregrine: its schema is ${future}, and this Peregrine (${TOOL_VERSION}) reads schemas up to ${latestSchemaVersion()}. ` +
        'Open it with Peregrine 9.9.0 or later. The file has not been changed.',
    );
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});

describe('migration 120 (ual_record rebuilt so a collected record can stay in its evidence page)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-db-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const RUN = '00000000-0000-4000-8000-000000000120';
  const record = (id: string, type: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ Id: id, RecordType: type, Operation: 'Op', CreationTime: '2024-05-01T10:00:00', UserId: 'ü@contoso.example', ...extra });
  const indexesOf = (db: Database) =>
    (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'ual_record' AND name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all() as string[])
      .map((name) => ({ name, columns: (db.pragma(`index_info(${name})`) as { name: string }[]).map((c) => c.name) }));

  /** A case file at schema 110 holding UAL rows with their record inline, as every file before 120 does. */
  function caseAt110(file: string): Database {
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    migrate(db, { migrations: migrations.filter((m) => m.version <= 110), toolVersion: 'old' });
    db.prepare(`INSERT INTO collection_run (run_id, started_at, finished_at, state, environment, tenant_id) VALUES (?, '2024-05-02T00:00:00.000Z', '2024-05-02T01:00:00.000Z', 'done', 'test', 't')`).run(RUN);
    const evidence = db.prepare(
      `INSERT INTO evidence (run_id, source, method, url, status, collected_at, sha256, size, body_gz)
       VALUES (?, 'exo.unifiedAuditLog', 'POST', 'https://outlook.office365.com/adminapi', 200, '2024-05-02T00:00:00.000Z', ?, 0, x'')`,
    );
    const page1 = Number(evidence.run(RUN, 'a'.repeat(64)).lastInsertRowid);
    const page2 = Number(evidence.run(RUN, 'b'.repeat(64)).lastInsertRowid);
    const insert = db.prepare(
      `INSERT INTO ual_record (row_id, run_id, id, evidence_id, created_at, record_type, workload, raw_operation, operation, result_status,
         user_id, app_id, client_ip, object_id, parameters, raw)
       VALUES (?, ?, ?, ?, '2024-05-01T10:00:00.000Z', ?, 'Exchange', 'Op', 'op', 'True', 'u', 'app', '192.0.2.1', 'obj', ?, ?)`,
    );
    const event = db.prepare(
      `INSERT INTO event (run_id, at, source, record_id, operation, raw_operation, result, evidence_id, source_row_id)
       VALUES (?, '2024-05-01T10:00:00.000Z', 'ual', ?, 'op', 'Op', 'success', ?, ?)`,
    );
    // row_ids with gaps (a resumed run's upserts leave them): the rebuild must keep each one.
    const rows: [number, string, number, string, string][] = [
      [3, 'r1', page1, 'ExchangeAdmin', '[{"Name":"Identity","Value":"Ran_abcde"}]'],
      [7, 'r2', page1, 'AzureActiveDirectory', '[]'],
      [42, 'r3', page2, 'ExchangeItemAggregated', '[]'],
    ];
    for (const [rowId, id, evidenceId, type, parameters] of rows) {
      insert.run(rowId, RUN, id, evidenceId, type, parameters, record(id, type, { Nested: { list: [1, 2.5, null, 'x'] } }));
      event.run(RUN, id, evidenceId, rowId);
    }
    return db;
  }

  it('keeps every row with its row_id, columns, inline raw and indexes, and the foreign keys hold', () => {
    const file = path.join(dir, 'old.peregrine');
    const old = caseAt110(file);
    const before = old.prepare('SELECT * FROM ual_record ORDER BY row_id').all() as Record<string, unknown>[];
    const indexesBefore = indexesOf(old);
    old.close();
    expect(indexesBefore.map((i) => i.name)).toEqual(['ual_record_byEvidenceId', 'ual_record_byRunIdRecordType']);

    const outcomes: unknown[] = [];
    const db = openDatabase(file, { create: false, toolVersion: 'new', onMigrated: (o) => outcomes.push(o) });
    try {
      expect(outcomes).toEqual([{ from: 110, to: latestSchemaVersion(), applied: migrations.filter((m) => m.version > 110).map((m) => m.version) }]);
      const after = db.prepare('SELECT * FROM ual_record ORDER BY row_id').all() as Record<string, unknown>[];
      expect(after).toEqual(before.map((r) => ({ ...r, page_index: null })));
      expect(after.map((r) => r.row_id)).toEqual([3, 7, 42]);
      // Events still reach their records through source_row_id.
      const joined = db.prepare(`SELECT count(*) FROM event e JOIN ual_record u ON u.row_id = e.source_row_id AND u.id = e.record_id`).pluck().get();
      expect(joined).toBe(3);
      expect(indexesOf(db)).toEqual(indexesBefore);
      // The UNIQUE (run_id, id) constraint came along too.
      const unique = (db.pragma('index_list(ual_record)') as { unique: number; origin: string }[]).filter((i) => i.origin === 'u');
      expect(unique).toHaveLength(1);
      expect((db.pragma('table_list') as { name: string; strict: number }[]).find((t) => t.name === 'ual_record')?.strict).toBe(1);
      expect(names(db, 'table')).not.toContain('ual_record_new');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // Nothing in the schema points at ual_record with a foreign key (the rebuild runs with foreign keys on).
      for (const table of names(db, 'table')) {
        expect((db.pragma(`foreign_key_list(${table})`) as { table: string }[]).map((f) => f.table)).not.toContain('ual_record');
      }
    } finally {
      closeDatabase(db);
    }
  });

  it('accepts a row without raw only when it has its page index, and still checks inline raw is JSON', () => {
    const file = path.join(dir, 'old.peregrine');
    caseAt110(file).close();
    const db = openDatabase(file, { create: false });
    try {
      const insert = db.prepare(
        `INSERT INTO ual_record (run_id, id, evidence_id, raw_operation, operation, raw, page_index) VALUES (?, ?, 1, 'Op', 'op', ?, ?)`,
      );
      expect(() => insert.run(RUN, 'in-page', null, 0)).not.toThrow();
      expect(() => insert.run(RUN, 'nowhere', null, null)).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(RUN, 'not-json', '{oops', null)).toThrow(/CHECK constraint failed/);
      expect(() => insert.run(RUN, 'negative', null, -1)).toThrow(/CHECK constraint failed/);
    } finally {
      closeDatabase(db);
    }
  });
});
