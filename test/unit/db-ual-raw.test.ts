// Vitest (plain Node): a collected Unified Audit Log record is kept once, in its evidence page, and read back from there exactly as received.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../db/connection';
import { CaseFileError } from '../../db/errors';
import { decodeText, jsonRecords } from '../../db/normalize/text';
import { getEvidence, insertEvidence } from '../../db/queries/evidence';
import { insertUnifiedAuditRecords, readOnEveryDetection } from '../../db/queries/logs';
import { startRun } from '../../db/queries/runs';
import { ualRawReader, type UalRawRef } from '../../db/queries/ualRaw';
import { evidenceRecord } from '../../main/detect/records';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/logs');
const fixture = (file: string): unknown[] => jsonRecords(decodeText(fs.readFileSync(path.join(FIXTURES, file))), file);

let dir: string;
let db: Database;
let runId: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-ualraw-'));
  db = openDatabase(path.join(dir, 'case.peregrine'), { create: true });
  runId = newRun();
});
afterEach(() => {
  closeDatabase(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

function newRun(): string {
  return startRun(db, { runId: randomUUID(), startedAt: '2024-08-01T10:00:00.000Z', environment: 'contoso', tenantId: 'tid' }).runId;
}

function evidence(body: Buffer, source = 'exo.unifiedAuditLog', run = runId): number {
  return insertEvidence(db, {
    runId: run, source, method: 'POST', url: 'https://outlook.office365.com/adminapi/beta/tid/InvokeCommand', status: 200,
    contentType: 'application/json', collectedAt: '2024-08-01T10:00:01.000Z', body,
  }).id;
}

/**
 * As the collector stores a Search-UnifiedAuditLog page: the body as received (here with an @odata.context and
 * indentation, so positions in the bytes and in the list differ), and the rows it parses out of those bytes.
 */
function collectPage(rows: unknown[], run = runId): { evidenceId: number; value: unknown[] } {
  const body = Buffer.from(JSON.stringify({ '@odata.context': 'https://outlook.office365.com/adminapi/beta/$metadata#Collection(Exchange.GenericHashTable)', value: rows }, null, 1));
  const value = (JSON.parse(body.toString('utf8')) as { value: unknown[] }).value;
  const evidenceId = evidence(body, 'exo.unifiedAuditLog', run);
  db.transaction(() => insertUnifiedAuditRecords(db, run, evidenceId, value, { rawInEvidence: true }))();
  return { evidenceId, value };
}

/** The page's records as the evidence holds them, parsed independently of the code under test. */
const pageValue = (evidenceId: number): unknown[] => (JSON.parse(getEvidence(db, evidenceId)!.body.toString('utf8')) as { value: unknown[] }).value;

const refs = (where = '1 = 1', ...params: unknown[]) =>
  db.prepare(`SELECT id, row_id, raw, evidence_id, page_index FROM ual_record WHERE ${where} ORDER BY row_id`).all(...params) as (UalRawRef & { id: string; row_id: number })[];

describe('a collected Unified Audit Log page', () => {
  it('keeps each row\'s index in the page, and raw NULL but for what every detection run reads; the reader returns exactly what the page holds', () => {
    const rows = fixture('ual-search-rows.utf16.json');
    const { evidenceId } = collectPage(rows);
    const stored = refs();
    expect(stored).toHaveLength(rows.length);
    expect(stored.every((r) => r.evidence_id === evidenceId)).toBe(true);
    const kinds = db.prepare('SELECT record_type AS recordType, operation, raw IS NOT NULL AS inline FROM ual_record ORDER BY row_id').all() as { recordType: string | null; operation: string; inline: number }[];
    expect(kinds.map((k) => k.inline === 1)).toEqual(kinds.map((k) => readOnEveryDetection(k)));
    // The fixture holds both kinds.
    expect(new Set(kinds.map((k) => k.inline))).toEqual(new Set([0, 1]));
    expect(stored.map((r) => r.page_index)).toEqual(rows.map((_, i) => i));

    const value = pageValue(evidenceId);
    const reader = ualRawReader(db);
    for (const r of stored) expect(JSON.stringify(reader.read(r))).toBe(JSON.stringify(value[r.page_index!]));
    for (const r of stored) expect(JSON.stringify(reader.read({ ...r, raw: null }))).toBe(JSON.stringify(value[r.page_index!]));
    expect(reader.readAll(stored).map((o) => JSON.stringify(o))).toEqual(stored.map((r) => JSON.stringify(value[r.page_index!])));
  });

  it('reads the same record as the inline copy an import keeps, and the record view shows it', () => {
    const rows = fixture('ual-search-rows.utf16.json');
    collectPage(rows);
    const importRun = newRun();
    const imported = evidence(Buffer.from(JSON.stringify(rows)), 'import.ual-json', importRun);
    db.transaction(() => insertUnifiedAuditRecords(db, importRun, imported, rows))();

    const reader = ualRawReader(db);
    const inPage = refs('run_id = ?', runId);
    const inline = refs('run_id = ?', importRun);
    expect(inline.every((r) => r.raw !== null && r.page_index === null)).toBe(true);
    expect(inline.map((r) => r.id)).toEqual(inPage.map((r) => r.id));
    expect(inPage.map((r) => JSON.stringify(reader.read(r)))).toEqual(inline.map((r) => r.raw));

    const event = db.prepare(`SELECT id FROM event WHERE run_id = ? AND source = 'ual' AND record_id = ?`).pluck().get(runId, inPage[2]!.id) as number;
    const view = evidenceRecord(db, { kind: 'event', eventId: event });
    expect(view.json).toBe(JSON.stringify(JSON.parse(inline[2]!.raw!), null, 2));
    expect(view.evidence.id).toBe(inPage[2]!.evidence_id);
  });

  it('points a record read again on resume at its new page and place, keeping its row', () => {
    const rows = fixture('ual-search-rows.utf16.json');
    collectPage(rows);
    const first = refs();
    const reversed = [...rows].reverse();
    const { evidenceId } = collectPage(reversed);
    const again = refs();
    expect(again.map((r) => r.row_id)).toEqual(first.map((r) => r.row_id));
    expect(again.every((r) => r.evidence_id === evidenceId)).toBe(true);
    expect(again.map((r) => r.page_index)).toEqual(first.map((r) => rows.length - 1 - r.page_index!));
    const reader = ualRawReader(db);
    expect(again.map((r) => JSON.stringify(reader.read(r)))).toEqual(first.map((r) => JSON.stringify(pageValue(r.evidence_id)[r.page_index!])));
  });

  it('reads records of several pages in any order, each from its own page, with one page kept', () => {
    const rows = fixture('ual-search-rows.utf16.json');
    const runs = [runId, newRun(), newRun()];
    for (const run of runs) collectPage(rows, run);
    const all = refs();
    const shuffled = all.map((r, i) => ({ r, k: (i * 7) % all.length })).sort((a, b) => a.k - b.k).map((x) => x.r);
    const expected = shuffled.map((r) => JSON.stringify(pageValue(r.evidence_id)[r.page_index!]));
    const reader = ualRawReader(db, { pages: 1 });
    expect(reader.readAll(shuffled).map((o) => JSON.stringify(o))).toEqual(expected);
    expect(shuffled.map((r) => JSON.stringify(reader.read(r)))).toEqual(expected);
  });
});

describe('an imported file', () => {
  it('keeps the record inline, page_index NULL', () => {
    const rows = fixture('ual-management-api.json');
    const evidenceId = evidence(Buffer.from(JSON.stringify(rows)), 'import.ual-json');
    db.transaction(() => insertUnifiedAuditRecords(db, runId, evidenceId, rows))();
    const stored = refs();
    expect(stored).toHaveLength(rows.length);
    expect(stored.every((r) => r.page_index === null)).toBe(true);
    expect(stored.map((r) => JSON.parse(r.raw!) as unknown)).toEqual(rows);
    const reader = ualRawReader(db);
    expect(stored.map((r) => reader.read(r))).toEqual(rows);
  });

  it('refuses portal CSV rows said to be a page\'s value list', () => {
    const evidenceId = evidence(Buffer.from('CreationDate,UserIds,Operations,AuditData\n'), 'import.ual-csv');
    expect(() => insertUnifiedAuditRecords(db, runId, evidenceId, [], { csv: true, rawInEvidence: true })).toThrow(/kept inline/);
  });
});

describe('a reference the evidence cannot satisfy', () => {
  const failure = (ref: UalRawRef): CaseFileError => {
    try {
      ualRawReader(db).read(ref);
    } catch (err) {
      return err as CaseFileError;
    }
    throw new Error('expected the read to fail');
  };

  it('is a damaged-case error naming the evidence', () => {
    const { evidenceId } = collectPage(fixture('ual-search-rows.utf16.json'));
    const notJson = evidence(Buffer.from('CreationDate,UserIds\n2024-05-01,a@b\n'), 'import.ual-csv');
    const noList = evidence(Buffer.from('{"values":[]}'));
    const cases: [UalRawRef, RegExp][] = [
      [{ raw: null, evidence_id: evidenceId, page_index: 9 }, new RegExp(`^Evidence ${evidenceId} has no Unified Audit Log record at index 9 \\(the page holds 9\\)`)],
      [{ raw: null, evidence_id: 999_999, page_index: 0 }, /^Evidence 999999, the page holding Unified Audit Log records, is missing/],
      [{ raw: null, evidence_id: notJson, page_index: 0 }, new RegExp(`^Evidence ${notJson} should hold a page of Unified Audit Log records but is not readable JSON`)],
      [{ raw: null, evidence_id: noList, page_index: 0 }, new RegExp(`^Evidence ${noList} should hold a page of Unified Audit Log records but has no "value" list`)],
      [{ raw: null, evidence_id: evidenceId, page_index: null }, new RegExp(`of evidence ${evidenceId} has neither its record nor its place`)],
    ];
    for (const [ref, message] of cases) {
      const err = failure(ref);
      expect(err).toBeInstanceOf(CaseFileError);
      expect(err.code).toBe('damaged');
      expect(err.message).toMatch(message);
    }
  });

  it('reaches the record view as a mismatch, the record shown as its evidence page holds it', () => {
    const { evidenceId } = collectPage(fixture('ual-search-rows.utf16.json'));
    const row = refs()[0]!;
    // A row pointing past its page (as a faulty writer or a tamperer could leave it): the view re-reads the record from
    // the evidence page and says how the row differs, instead of showing what the row points at.
    db.prepare('UPDATE ual_record SET page_index = 100 WHERE row_id = ?').run(row.row_id);
    const event = db.prepare(`SELECT id FROM event WHERE source = 'ual' AND source_row_id = ?`).pluck().get(row.row_id) as number;
    const view = evidenceRecord(db, { kind: 'event', eventId: event });
    expect(view.mismatch).toMatch(new RegExp(`^ual_record row ${row.row_id} \\(id .*\\) differs from evidence row ${evidenceId} in page_index`));
    expect(JSON.parse(view.json)).toEqual(pageValue(evidenceId)[0]);
  });
});
