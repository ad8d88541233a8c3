// Import into real case files (plain Node, real SQLite): our own fixtures of every format with exact counts, each file
// kept whole as evidence with its provenance, every record at its place, bad input refused with the case left
// byte-identical, and the real samples of the shared corpus with the counts their manifest gives.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { createCase, openCase } from '../../main/case/case';
import { verifyCaseFile } from '../../main/case/verify';
import { closeDatabase } from '../../db/connection';
import { ImportError } from '../../main/import/errors';
import { DEFAULT_LIMITS, type ReadLimits } from '../../main/import/file';
import { planImport, runImport, type ImportOptions, type ImportResult } from '../../main/import/importer';
import { refreshTimeline } from '../../main/timeline/model';
import { main as cli } from '../../main/cli';
import { capturedIo } from '../support/cli-io';
import { CORPUS, corpus, prerequisite } from '../support/prerequisites';
import { describeNeeds } from '../support/vitest-prerequisites';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/import');
const fixture = (name: string) => path.join(FIXTURES, name);
const clock = () => new Date('2026-11-26T10:00:00Z');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-import-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function newCase(): string {
  const file = path.join(dir, `case-${++n}.peregrine`);
  closeDatabase(createCase(file, { name: 'Import', examiner: 'A. Examiner' }, { clock, toolVersion: 'test' }).db);
  return file;
}

async function importInto(file: string, paths: string[], opts: ImportOptions & { limits?: ReadLimits; signal?: AbortSignal } = {}): Promise<ImportResult> {
  const plan = await planImport(paths, opts);
  const { db } = openCase(file, { keepJournalMode: true });
  try {
    return await runImport(db, plan, { actor: 'A. Examiner', note: 'Handed over on a USB stick by the client admin', clock, ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  } finally {
    closeDatabase(db);
  }
}

function withCase<T>(file: string, read: (db: Database) => T): T {
  const { db } = openCase(file, { readonly: true });
  try {
    return read(db);
  } finally {
    closeDatabase(db);
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const fileHash = (file: string) => {
  expect(fs.existsSync(`${file}-wal`)).toBe(false);
  return sha256(fs.readFileSync(file));
};

/** The ImportError a promise rejects with (fails the test when it resolves or rejects with anything else). */
async function refusal(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
}

const UAL_IDS = [1, 2, 3, 4, 5].map((i) => `a1c0f6e2-0b7d-4f37-9f41-5b0d2f8a100${i}`);

describe('our fixtures, one format each', () => {
  const cases: { file: string; format: string; container: string; encoding: string; records: number; table: string }[] = [
    { file: 'purview-current.csv', format: 'purview-csv', container: 'csv', encoding: 'utf8', records: 5, table: 'ual_record' },
    { file: 'purview-classic-us.csv', format: 'purview-csv', container: 'csv', encoding: 'utf8', records: 4, table: 'ual_record' },
    { file: 'ual-export.csv', format: 'ual-export-csv', container: 'csv', encoding: 'utf8', records: 5, table: 'ual_record' },
    { file: 'ual-export-reordered.csv', format: 'ual-export-csv', container: 'csv', encoding: 'utf8', records: 5, table: 'ual_record' },
    { file: 'ual-convertto-utf16.json', format: 'ual-json', container: 'json', encoding: 'utf16le', records: 3, table: 'ual_record' },
    { file: 'o365-api.json', format: 'o365-api-json', container: 'json', encoding: 'utf8', records: 4, table: 'ual_record' },
    { file: 'o365-api.jsonl', format: 'o365-api-json', container: 'ndjson', encoding: 'utf8', records: 2, table: 'ual_record' },
    { file: 'graph-signins-page.json', format: 'graph-signins', container: 'json', encoding: 'utf8', records: 3, table: 'sign_in' },
    { file: 'graph-audits-portal.json', format: 'graph-audits', container: 'json', encoding: 'utf8', records: 2, table: 'directory_audit' },
  ];
  for (const c of cases) {
    it(`${c.file}: told as ${c.format} from its content, ${c.records} records stored with their events and places`, async () => {
      const plan = await planImport([fixture(c.file)]);
      expect(plan.files[0]).toMatchObject({ format: c.format, container: c.container, encoding: c.encoding, detectedBy: 'content' });
      const file = newCase();
      const result = await importInto(file, [fixture(c.file)]);
      expect(result.records).toBe(c.records);
      withCase(file, (db) => {
        expect(db.prepare(`SELECT count(*) FROM ${c.table} WHERE run_id = ?`).pluck().get(result.runId)).toBe(c.records);
        expect(db.prepare('SELECT count(*) FROM event WHERE run_id = ?').pluck().get(result.runId)).toBe(c.records);
        expect(db.prepare('SELECT count(*) FROM import_record WHERE run_id = ?').pluck().get(result.runId)).toBe(c.records);
        const run = db.prepare('SELECT environment, state, account FROM collection_run WHERE run_id = ?').get(result.runId);
        expect(run).toEqual({ environment: 'import', state: 'done', account: 'A. Examiner' });
      });
      const report = verifyCaseFile(file, { deep: true });
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    });
  }

  it('reads an audit search CSV by its column names, whatever their order', async () => {
    const a = newCase();
    const b = newCase();
    await importInto(a, [fixture('ual-export.csv')]);
    await importInto(b, [fixture('ual-export-reordered.csv')]);
    const rows = (file: string) =>
      withCase(file, (db) => (db.prepare('SELECT id, created_at, record_type, workload, raw_operation, operation, result_status, user_id, app_id, client_ip, object_id, parameters, raw FROM ual_record ORDER BY id').all() as Record<string, unknown>[])
        .map((r): Record<string, unknown> => ({ ...r, raw: JSON.parse(r.raw as string) as unknown })));
    const left = rows(a);
    expect(left.map((r) => r.id)).toEqual(UAL_IDS);
    expect(rows(b)).toEqual(left);
    expect(left.find((r) => r.raw_operation === 'New-InboxRule')).toMatchObject({ record_type: 'ExchangeAdmin', client_ip: '2001:db8::17' });
  });

  it('reads US dates (M/d/yyyy h:mm:ss tt) as the whole file proves them, and uses them where AuditData has no time', async () => {
    const plan = await planImport([fixture('purview-classic-us.csv')]);
    expect(plan.files[0]!.dateFormat).toBe('M/d/yyyy');
    const file = newCase();
    await importInto(file, [fixture('purview-classic-us.csv')]);
    // Record 4's AuditData has no CreationTime: its time is the row's "5/22/2024 1:05:00 PM".
    expect(withCase(file, (db) => db.prepare('SELECT at FROM event WHERE record_id = ?').pluck().get(UAL_IDS[3]))).toBe('2024-05-22T13:05:00.000Z');
  });

  it('refuses dates that read both ways unless told the format, and reads them as told', async () => {
    const err = await refusal(planImport([fixture('purview-ambiguous-dates.csv')]));
    expect(err).toMatchObject({ code: 'date_format', file: 'purview-ambiguous-dates.csv', line: 2, field: 'CreationDate' });
    expect(err.message).toMatch(/--date-format M\/d\/yyyy/);
    const file = newCase();
    const dayFirst = await importInto(file, [fixture('purview-ambiguous-dates.csv')], { dateFormat: 'd/M/yyyy' });
    expect(dayFirst.records).toBe(3);
    expect(withCase(file, (db) => db.prepare('SELECT at FROM event ORDER BY at').pluck().all())).toEqual(['2024-04-03T10:00:00.000Z', '2024-05-04T10:01:00.000Z', '2024-06-05T10:02:00.000Z']);
  });
});

describe('a folder of every format in one import', () => {
  let file: string;
  let result: ImportResult;
  const folder = () => path.join(dir, 'handover');

  beforeAll(async () => {
    fs.mkdirSync(folder());
    for (const f of fs.readdirSync(FIXTURES)) if (f !== 'purview-ambiguous-dates.csv') fs.copyFileSync(fixture(f), path.join(folder(), f));
    file = newCase();
    result = await importInto(file, [folder()]);
  });

  it('stores every record once per run: records read in several files are one event each', () => {
    expect(result.files).toHaveLength(9);
    expect(result.records).toBe(33);
    withCase(file, (db) => {
      expect(db.prepare('SELECT source, count(*) AS n FROM event GROUP BY source ORDER BY source').all()).toEqual([
        { source: 'directory_audit', n: 2 }, { source: 'signin', n: 3 }, { source: 'ual', n: 5 },
      ]);
      expect(db.prepare('SELECT count(*) FROM ual_record').pluck().get()).toBe(5);
    });
  });

  it('keeps each file whole as evidence: its chunks put together are the file, and custody holds its name, size, sha256 and the note', () => {
    withCase(file, (db) => {
      const entries = (db.prepare(`SELECT details FROM custody WHERE action = 'evidence.imported' ORDER BY seq`).pluck().all() as string[]).map((d) => JSON.parse(d) as Record<string, unknown>);
      expect(entries.map((e) => e.file)).toEqual(fs.readdirSync(folder()).sort());
      for (const e of entries) {
        const bytes = fs.readFileSync(path.join(folder(), e.file as string));
        expect(e).toMatchObject({ runId: result.runId, size: bytes.length, sha256: sha256(bytes), note: 'Handed over on a USB stick by the client admin' });
        const [first, last] = e.evidence as [number, number];
        const chunks = db.prepare('SELECT body_gz, sha256, size FROM evidence WHERE id BETWEEN ? AND ? ORDER BY id').all(first, last) as { body_gz: Buffer; sha256: string; size: number }[];
        const bodies = chunks.map((c) => gunzipSync(c.body_gz));
        chunks.forEach((c, i) => expect(sha256(bodies[i]!)).toBe(c.sha256));
        expect(Buffer.concat(bodies).equals(bytes)).toBe(true);
      }
    });
  });

  it('verifies deep (every row derived again from its chunk), and finds an edited place', () => {
    expect(verifyCaseFile(file, { deep: true }).problems).toEqual([]);
    const copy = path.join(dir, 'tampered.peregrine');
    fs.copyFileSync(file, copy);
    const { db } = openCase(copy);
    db.prepare('UPDATE import_record SET line = line + 1 WHERE rowid = (SELECT min(rowid) FROM import_record)').run();
    closeDatabase(db);
    const report = verifyCaseFile(copy, { deep: true });
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.message).join('\n')).toMatch(/differs from evidence row \d+ in line/);
  });

  it('leaves out a file already in the case, and the case as it was', async () => {
    const before = fileHash(file);
    const again = await importInto(file, [fixture('purview-current.csv')]);
    expect(again.runId).toBeNull();
    expect(again.files[0]!.skipped).toMatch(/already imported \(run /);
    expect(fileHash(file)).toBe(before);
  });

  it('makes the timeline one row per record, however many runs hold it', async () => {
    const copy = path.join(dir, 'again.peregrine');
    fs.copyFileSync(file, copy);
    // The same records in another file (a different sha256): a second import run holds them again.
    const other = path.join(dir, 'other-export.csv');
    fs.writeFileSync(other, fs.readFileSync(fixture('purview-current.csv'), 'utf8').replace(/\r\n/g, '\n'));
    const second = await importInto(copy, [other]);
    expect(second.records).toBe(5);
    const { db } = openCase(copy);
    try {
      refreshTimeline(db, { clock });
      expect(db.prepare('SELECT count(*) FROM event WHERE record_id IN (SELECT id FROM ual_record)').pluck().get()).toBe(10);
      expect(db.prepare(`SELECT count(*) FROM timeline WHERE source IN ('ual', 'exchange')`).pluck().get()).toBe(5);
    } finally {
      closeDatabase(db);
    }
  });
});

describe('where each record sits in its file', () => {
  it('points every record at its chunk, line and bytes, in small chunks too (and verify reads every chunk again)', async () => {
    const limits: ReadLimits = { ...DEFAULT_LIMITS, chunkRecords: 2 };
    for (const [name, decode] of [['purview-current.csv', 'utf8'], ['ual-convertto-utf16.json', 'utf16le'], ['graph-signins-page.json', 'utf8'], ['o365-api.jsonl', 'utf8']] as const) {
      const file = newCase();
      const result = await importInto(file, [fixture(name)], { limits });
      expect(result.files[0]!.chunks).toBeGreaterThan(1);
      const bytes = fs.readFileSync(fixture(name));
      withCase(file, (db) => {
        const places = db.prepare('SELECT p.record_id, p.line, p.byte_offset, p.byte_length, e.url FROM import_record p JOIN evidence e ON e.id = p.evidence_id ORDER BY p.byte_offset').all() as { record_id: string; line: number; byte_offset: number; byte_length: number; url: string }[];
        expect(places).toHaveLength(result.records);
        for (const p of places) {
          const text = bytes.subarray(p.byte_offset, p.byte_offset + p.byte_length).toString(decode);
          expect(text).toContain(p.record_id);
          // The line is the one the record starts on.
          expect(bytes.subarray(0, p.byte_offset).toString(decode).split('\n').length).toBe(p.line);
          const [start, end] = /bytes=(\d+)-(\d+)/.exec(p.url)!.slice(1).map(Number) as [number, number];
          expect(p.byte_offset).toBeGreaterThanOrEqual(start);
          expect(p.byte_offset + p.byte_length - 1).toBeLessThanOrEqual(end);
        }
      });
      expect(verifyCaseFile(file, { deep: true }).problems).toEqual([]);
    }
  });
});

describe('bad input: refused naming the file, line and field, with the case file left byte-identical', () => {
  let file: string;
  let before: string;
  const bad = (name: string, bytes: Buffer | string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };

  beforeAll(async () => {
    file = newCase();
    await importInto(file, [fixture('graph-signins-page.json')]);
    before = fileHash(file);
  });

  const refused = async (paths: string[], opts: Parameters<typeof importInto>[2] = {}) => {
    const err = await refusal(importInto(file, paths, opts));
    expect(fileHash(file)).toBe(before);
    return err;
  };

  it('a CSV cut short inside its last record', async () => {
    const whole = fs.readFileSync(fixture('purview-current.csv'));
    const err = await refused([bad('cut.csv', whole.subarray(0, whole.length - 40))]);
    expect(err).toMatchObject({ code: 'truncated', file: 'cut.csv', line: 6 });
  });

  it('a JSON array cut in half', async () => {
    const whole = fs.readFileSync(fixture('o365-api.json'));
    const err = await refused([bad('half.json', whole.subarray(0, Math.floor(whole.length / 2)))]);
    expect(err).toMatchObject({ code: 'truncated', file: 'half.json' });
    expect(err.message).toMatch(/cut short/);
  });

  it('garbage that is not text', async () => {
    let seed = 7;
    const bytes = Buffer.from(Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff));
    const err = await refused([bad('garbage.bin', bytes)]);
    expect(err).toMatchObject({ code: 'encoding', file: 'garbage.bin' });
  });

  it('bytes that are not UTF-8 inside a record', async () => {
    const text = fs.readFileSync(fixture('purview-current.csv'));
    const at = text.indexOf('Consent to application');
    const broken = Buffer.concat([text.subarray(0, at), Buffer.from([0xc3, 0x28]), text.subarray(at + 2)]);
    const err = await refused([bad('latin.csv', broken)]);
    expect(err).toMatchObject({ code: 'encoding', file: 'latin.csv', line: 3 });
  });

  it('a record without a field its format needs, in the second file: the first file is not kept either', async () => {
    const records = JSON.parse(fs.readFileSync(fixture('o365-api.json'), 'utf8')) as Record<string, unknown>[];
    delete records[2]!.Operation;
    const err = await refused([fixture('purview-current.csv'), bad('no-operation.json', JSON.stringify(records, null, 2))]);
    expect(err).toMatchObject({ code: 'invalid_record', file: 'no-operation.json', field: 'Operation' });
    expect(err.line).toBeGreaterThan(2);
  });

  it('a row with more fields than the header names', async () => {
    const text = fs.readFileSync(fixture('ual-export-reordered.csv'), 'utf8').replace(/\r\n("AuditData"|"\{)/, (m) => m).split('\r\n');
    text[2] = `${text[2]},"extra"`;
    const err = await refused([bad('extra.csv', text.join('\r\n'))]);
    expect(err).toMatchObject({ code: 'invalid_record', file: 'extra.csv', line: 3 });
  });

  it('a line longer than the limit is refused, not buffered', async () => {
    const long = `{"CreationTime":"2024-05-21T09:14:03","Id":"x","Operation":"Op","Workload":"Exchange","Pad":"${'a'.repeat(3 * 1024 * 1024)}"}\n`;
    const err = await refused([bad('long.jsonl', long)], { limits: { ...DEFAULT_LIMITS, maxRecordBytes: 1024 * 1024 }, format: 'o365-api-json' });
    expect(err).toMatchObject({ code: 'too_long', file: 'long.jsonl', line: 1 });
  });

  it('a cancelled import', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await refused([fixture('purview-current.csv')], { signal: controller.signal });
    expect(err.code).toBe('cancelled');
  });

  it('a format given that the content is not', async () => {
    const err = await refusal(planImport([fixture('purview-current.csv')], { format: 'graph-signins' }));
    expect(err).toMatchObject({ code: 'unrecognised', file: 'purview-current.csv' });
    expect(fileHash(file)).toBe(before);
  });
});

describe('peregrine import (CLI)', () => {
  it('prints the plan and the counts of a dry run, writing nothing', async () => {
    const file = newCase();
    const before = fileHash(file);
    const io = capturedIo();
    expect(await cli(['import', file, fixture('purview-current.csv'), fixture('graph-signins-page.json'), '--dry-run'], io)).toBe(0);
    expect(io.stdout[0]).toBe('Plan: 2 files, 6,560 bytes');
    expect(io.stdout[1]).toMatch(/^ {2}purview-current\.csv\t3,366 bytes\tpurview-csv \(Purview audit search CSV; told from its content\)\tcsv, UTF-8 with BOM, dates iso$/);
    expect(io.stdout.at(-1)).toMatch(/^Dry run: 8 records read and checked from 2024-05-20T01:11:21\.000Z/);
    expect(fileHash(file)).toBe(before);
  });

  it('imports with a note, and refuses without one', async () => {
    const file = newCase();
    const io = capturedIo();
    expect(await cli(['import', file, fixture('o365-api.json')], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--note is required/);
    const ok = capturedIo();
    expect(await cli(['import', file, fixture('o365-api.json'), '--note', 'From the client by mail', '--json'], ok)).toBe(0);
    const out = JSON.parse(ok.stdout.join('\n')) as { result: ImportResult };
    expect(out.result.records).toBe(4);
    const bad = capturedIo();
    expect(await cli(['import', file, fixture('purview-ambiguous-dates.csv'), '--note', 'x'], bad)).toBe(1);
    expect(bad.stderr.join('\n')).toMatch(/purview-ambiguous-dates\.csv, line 2, field 'CreationDate'.*\nNothing was imported: the case file is as it was\./s);
  });

  it('answers --help with the formats', async () => {
    const io = capturedIo();
    expect(await cli(['import', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/purview-csv +Purview audit search CSV/);
  });
});

const needsCorpus = prerequisite([corpus()]);

describeNeeds(needsCorpus, 'the real samples of the shared corpus', () => {
  /** The export files of the corpus, with the format they are and the records MANIFEST.tsv counts in them. */
  const EXPORTS: Record<string, string> = {
    'signins/sentinel_training_lab/disable_accounts.csv': 'la-signins',
    'signins/sentinel_training_lab/sign-in_adelete.csv': 'la-signins',
    'signins/msticpy/aad_logons.converted.jsonl': 'la-signins',
    'ual/sentinel_training_lab/office_activity.csv': 'la-officeactivity',
    'ual/sentinel_training_lab/office_activity_inbox_rule.csv': 'la-officeactivity',
    'ual/plaso/microsoft_audit_log.jsonl': 'o365-api-json',
    'ual/otrf_goldensaml/OfficeActivityEvents.json': 'la-officeactivity',
    'entra_audit/elastic_integrations/test-audit-logs-sample.log': 'azure-monitor-audits',
    'entra_audit/sentinel_training_lab/AuditLogs_Hunting.csv': 'la-audits',
    'entra_audit/otrf_goldensaml/AADAuditEvents.json': 'la-audits',
    'exo_graph_objects/graph_docs_examples/v1.0_directoryaudit-list_resp1.json': 'graph-audits',
  };
  /** Files that are not exports a client hands over, and why the import refuses them. */
  const NOT_EXPORTS: Record<string, RegExp> = {
    'signins/sentinel_training_lab/signinLogs.csv': /none of the export formats/, // a hunting query's result
    'ual/otrf_goldensaml/Microsoft365DefenderEvents.json': /none of the export formats/, // Defender hunting rows
    'ual/sekoia_o365_mgmt_api/events.jsonl': /none of the export formats/, // records wrapped by a test harness
    'exo_graph_objects/graph_docs_examples/v1.0_signin-list_resp1.json': /line \d+: the first record is not valid JSON/, // documentation with trailing commas
  };
  /** Files that hold some records more than once (the same Id): one audit twice; sign-ins exported with repeats. */
  const DISTINCT_IDS: Record<string, number> = { 'entra_audit/otrf_goldensaml/AADAuditEvents.json': 3, 'signins/msticpy/aad_logons.converted.jsonl': 45 };
  /** Files whose columns leave every record's time out (query results that projected it away). */
  const UNTIMED = new Set(['signins/sentinel_training_lab/disable_accounts.csv', 'ual/sentinel_training_lab/office_activity_inbox_rule.csv', 'entra_audit/sentinel_training_lab/AuditLogs_Hunting.csv']);
  const manifest = new Map(
    fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l.split('\t')).map((c) => [c[0]!, Number(c[5])] as const),
  );

  for (const [name, format] of Object.entries(EXPORTS)) {
    it(`${name}: ${format}, as many records as the manifest counts`, async () => {
      const file = newCase();
      const result = await importInto(file, [path.join(CORPUS, name)]);
      expect(result.files[0]!.format).toBe(format);
      // JSON lines the manifest does not count: one record a line.
      const expected = manifest.get(name) ?? fs.readFileSync(path.join(CORPUS, name), 'utf8').split('\n').filter((l) => l.trim()).length;
      expect(result.records).toBe(expected);
      // One place per record id (a record held twice under the same Id is one), and an event for each that has a
      // time (a query's projection may leave TimeGenerated out: disable_accounts.csv, AuditLogs_Hunting.csv).
      const ids = DISTINCT_IDS[name] ?? expected;
      withCase(file, (db) => {
        expect(db.prepare('SELECT count(*) FROM import_record').pluck().get()).toBe(ids);
        expect(db.prepare('SELECT count(*) FROM event').pluck().get()).toBe(UNTIMED.has(name) ? 0 : ids);
      });
      expect(verifyCaseFile(file, { deep: true }).problems).toEqual([]);
    });
  }
  for (const [name, why] of Object.entries(NOT_EXPORTS)) {
    it(`${name}: refused, the case unchanged`, async () => {
      const file = newCase();
      const before = fileHash(file);
      const err = await refusal(importInto(file, [path.join(CORPUS, name)]));
      expect(err.message).toMatch(why);
      expect(fileHash(file)).toBe(before);
    });
  }
});
