// Vitest (plain Node): verifyCaseFile recomputes every hash and names the first broken row, without writing.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { appendCustody, custodyHash, listCustody, type CustodyDetails } from '../../db/queries/custody';
import { insertEvidence } from '../../db/queries/evidence';
import { applyWrite } from '../../main/collect/writes';
import { createCase, openCase } from '../../main/case/case';
import { verifyCaseFile } from '../../main/case/verify';
import { withGuardsDropped } from '../support/tamper';

let dir: string;
let file: string;
let targetGz: Buffer;
let head: string;

const APPS_URL = 'https://graph.microsoft.com/v1.0/applications?$top=999';

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-verify-'));
  file = path.join(dir, 'case.peregrine');
  const { db } = createCase(file, { name: 'Contoso', examiner: 'Jane' }, { clock: () => new Date('2024-05-01T09:00:00.000Z'), toolVersion: '0.1.0' });
  const runId = randomUUID();
  applyWrite(db, { op: 'start', runId, at: '2024-05-01T10:00:00.000Z', environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example', actor: 'Jane', plan: [], window: null }, () => undefined);
  const page = (source: string, url: string, body: string) =>
    insertEvidence(db, { runId, source, method: 'GET', url, status: 200, contentType: 'application/json', collectedAt: '2024-05-01T10:00:01.000Z', body: Buffer.from(body) });
  page('graph.organization', 'https://graph.microsoft.com/v1.0/organization', JSON.stringify({ value: [{ id: 'tid' }] }));
  const { id } = page('graph.applications', APPS_URL, JSON.stringify({ value: Array.from({ length: 8 }, (_, i) => ({ id: `app-${i}`, displayName: `Application number ${i}` })) }));
  page('graph.servicePrincipals', 'https://graph.microsoft.com/v1.0/servicePrincipals', JSON.stringify({ value: [] }));
  applyWrite(db, { op: 'finish', runId, state: 'done', at: '2024-05-01T10:05:00.000Z', error: null, actor: 'Jane', entities: [] }, () => undefined);
  head = listCustody(db).at(-1)!.hash;
  targetGz = db.prepare('SELECT body_gz FROM evidence WHERE id = ?').pluck().get(id) as Buffer;
  closeDatabase(db);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const fileHash = () => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** Tamper as an attacker with SQLite would: drop the guards, change the row, put the guards back. */
function tamper(sql: string): void {
  const raw = new BetterSqlite3(file);
  const guards = raw.prepare(`SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'`).all() as { name: string; sql: string }[];
  for (const g of guards) raw.exec(`DROP TRIGGER ${g.name}`);
  raw.exec(sql);
  for (const g of guards) raw.exec(g.sql);
  raw.close();
}

describe('verifyCaseFile', () => {
  it('passes a good case file, counting what it checked, and never modifies it', () => {
    const before = fileHash();
    const report = verifyCaseFile(file);
    expect(report).toEqual({ ok: true, kind: 'case', deep: false, checked: { evidence: 3, custody: 3 }, chainHead: head, problems: [],
      anchor: { through: 0, of: 3, checkpoints: 0, signer: null, signers: [] } });
    expect(fileHash()).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(['case.peregrine']);
  });

  it('checks a case that is open for writing elsewhere (WAL), seeing its committed rows', () => {
    const { db } = openCase(file);
    appendCustody(db, { at: '2024-05-01T11:00:00.000Z', action: 'note.added', actor: 'Jane', details: {} });
    const report = verifyCaseFile(file);
    expect(report).toMatchObject({ ok: true, checked: { evidence: 3, custody: 4 } });
    closeDatabase(db);
  });

  it('names the evidence row when one byte of its stored body changes in the file', () => {
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf(targetGz);
    expect(at).toBeGreaterThan(0); // the blob sits in one page, so it is found whole
    bytes[at + Math.floor(targetGz.length / 2)]! ^= 0x01;
    fs.writeFileSync(file, bytes);

    const report = verifyCaseFile(file);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.where).toBe(`evidence row 2 (graph.applications, ${APPS_URL})`);
    expect(report.checked).toEqual({ evidence: 3, custody: 3 });
  });

  it('names the evidence row when its recorded hash is rewritten', () => {
    tamper(`UPDATE evidence SET sha256 = '${'a'.repeat(64)}' WHERE id = 3`);
    const report = verifyCaseFile(file);
    expect(report.problems.map((p) => p.where)).toEqual([
      'evidence row 3 (graph.servicePrincipals, https://graph.microsoft.com/v1.0/servicePrincipals)',
      expect.stringMatching(/^collection_run /),
    ]);
    expect(report.problems[0]!.message).toMatch(/the row records a{64}: the body or its hash was changed/);
    // collection.finished recorded a digest of the run's evidence hashes: a rewritten hash no longer matches it.
    expect(report.problems[1]!.message).toMatch(/no longer match the digest custody entry 3 \(collection.finished\) recorded/);
  });

  it('names the custody entry when one of its fields changes', () => {
    tamper(`UPDATE custody SET actor = 'Mallory' WHERE seq = 2`);
    const report = verifyCaseFile(file);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]!.where).toBe('custody entry 2 (collection.started)');
    expect(report.problems[0]!.message).toMatch(/a field of this entry was changed/);
  });

  it('names the broken link when an entry is rewritten with a correct hash of its new contents', () => {
    const raw = new BetterSqlite3(file, { readonly: true });
    const row = raw.prepare('SELECT * FROM custody WHERE seq = 2').get() as { seq: number; at: string; action: string; details: string; prev_hash: string };
    raw.close();
    const forged = custodyHash({ seq: 2, at: row.at, action: row.action, actor: 'Mallory', details: JSON.parse(row.details) as CustodyDetails, prevHash: row.prev_hash });
    tamper(`UPDATE custody SET actor = 'Mallory', hash = '${forged}' WHERE seq = 2`);
    const report = verifyCaseFile(file);
    expect(report.problems.map((p) => p.where)).toEqual(['custody entry 3 (collection.finished)']);
    expect(report.problems[0]!.message).toMatch(/does not match the hash of entry 2 .*: entry 2 or this link was changed/);
  });

  it('notices deleted custody entries', () => {
    tamper('DELETE FROM custody WHERE seq = 2');
    const report = verifyCaseFile(file);
    expect(report.problems[0]!.where).toBe('custody entry 3 (collection.finished)');
    expect(report.problems[0]!.message).toMatch(/Entries 2–2 are missing/);
  });

  it('reports removed append-only guards', () => {
    const raw = new BetterSqlite3(file);
    raw.exec('DROP TRIGGER evidence_refuseUpdate');
    raw.close();
    const report = verifyCaseFile(file);
    expect(report.problems).toEqual([{ where: 'schema (trigger evidence_refuseUpdate)', message: expect.stringMatching(/guard of evidence is missing/) }]);
  });

  it('reports a guard trigger redefined to refuse nothing, comparing it with the one the migrations create', () => {
    const raw = new BetterSqlite3(file);
    raw.exec(`DROP TRIGGER custody_refuseDelete; CREATE TRIGGER custody_refuseDelete BEFORE DELETE ON custody WHEN 0 BEGIN SELECT RAISE(ABORT, 'no'); END;`);
    raw.close();
    expect(verifyCaseFile(file).problems).toEqual([{ where: 'schema (trigger custody_refuseDelete)', message: expect.stringMatching(/guard of custody was redefined/) }]);
  });

  it('with --deep, derives each evidence page again and names the rows missing from its table and the page that no longer derives', () => {
    expect(verifyCaseFile(file).ok).toBe(true); // the fast check does not derive rows
    const report = verifyCaseFile(file, { deep: true });
    expect(report.deep).toBe(true);
    // The fixture stores pages without deriving their rows (and applications without an appId, which the collector refuses).
    expect(report.problems[0]).toEqual({ where: 'evidence row 1 (graph.organization, https://graph.microsoft.com/v1.0/organization)', message: expect.stringMatching(/holds organization tid, which is missing from organization/) });
    expect(report.problems[1]).toEqual({ where: `evidence row 2 (graph.applications, ${APPS_URL})`, message: expect.stringMatching(/^Its objects no longer derive \(.*field 'appId'/) });
    expect(report.problems).toHaveLength(2);
  });

  it('reports a file it cannot open instead of throwing', () => {
    const report = verifyCaseFile(path.join(dir, 'nope.peregrine'));
    expect(report).toEqual({ ok: false, kind: 'case', deep: false, checked: { evidence: 0, custody: 0 }, chainHead: null, problems: [{ where: 'nope.peregrine', message: expect.stringMatching(/does not exist/) }] });
    expect(verifyCaseFile(path.join(dir, 'nope.peregrine'), { deep: true }).deep).toBe(true);
  });

  it('checks the custody chain of a file whose evidence table is gone', () => {
    withGuardsDropped(file, (db) => db.exec('DROP TABLE evidence'), ['evidence_refuseUpdate', 'evidence_refuseDelete']);
    const report = verifyCaseFile(file);
    expect(report.checked).toEqual({ evidence: 0, custody: 3 });
    expect(report.chainHead).toBe(head);
    // The chain is walked before the run checks, which need the evidence table and stop there.
    expect(report.problems.map((p) => `${p.where}: ${p.message}`)).toEqual([
      'schema (table evidence): The table is missing: it was dropped outside Peregrine.',
      'schema (trigger evidence_refuseUpdate): The append-only guard of evidence is missing: its rows could have been changed outside Peregrine.',
      'schema (trigger evidence_refuseDelete): The append-only guard of evidence is missing: its rows could have been changed outside Peregrine.',
      'case.peregrine: Verification stopped: no such table: evidence',
    ]);
  });

  it('reports where it had to stop instead of throwing, with what it found so far', () => {
    withGuardsDropped(file, (db) => db.exec('DROP TABLE collection_run'));
    const report = verifyCaseFile(file);
    expect(report.problems.at(-1)).toEqual({ where: 'case.peregrine', message: 'Verification stopped: no such table: collection_run' });
    expect(report.checked).toEqual({ evidence: 3, custody: 3 });
  });

  it('lists the first 200 problems and says how many more there are', () => {
    // 205 copies of evidence row 1 with a recorded hash of zeros: 205 hash problems, and the run's evidence digest no
    // longer matches its collection.finished entry (the fixture's run records no per-source page counts).
    tamper(`CREATE TEMP TABLE copy AS SELECT * FROM evidence WHERE id = 1; UPDATE copy SET sha256 = '${'0'.repeat(64)}';`
      + Array.from({ length: 205 }, () => ' UPDATE copy SET id = (SELECT max(id) + 1 FROM evidence); INSERT INTO evidence SELECT * FROM copy;').join(''));
    const report = verifyCaseFile(file);
    expect(report.checked.evidence).toBe(208);
    expect(report.problems).toHaveLength(201);
    expect(report.problems[0]).toEqual({ where: 'evidence row 4 (graph.organization, https://graph.microsoft.com/v1.0/organization)', message: expect.stringMatching(/the row records 0{64}/) });
    expect(report.problems[199]!.where).toBe('evidence row 203 (graph.organization, https://graph.microsoft.com/v1.0/organization)');
    expect(report.problems[200]).toEqual({ where: 'verify', message: '6 more problems not listed.' });
  });

  it('with --deep, checks a file whose custody table is gone: the evidence is still derived again', () => {
    const raw = new BetterSqlite3(file);
    raw.exec('DROP TABLE custody');
    raw.close();
    const fast = verifyCaseFile(file);
    expect(fast.checked).toEqual({ evidence: 3, custody: 0 });
    expect(fast.problems.map((p) => p.where)).toEqual(['schema (table custody)', 'schema (trigger custody_checkLink)', 'schema (trigger custody_refuseUpdate)', 'schema (trigger custody_refuseDelete)']);
    const report = verifyCaseFile(file, { deep: true });
    expect(report.checked).toEqual({ evidence: 3, custody: 0, derivedRows: 1 });
    expect(report.chainHead).toBeNull();
    expect(report.problems.map((p) => p.where)).toContain('schema (table custody)');
  });
});
