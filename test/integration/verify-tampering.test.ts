// Every tampering a hostile holder of a case file might try, played on a copy of one real simulator collection: each is caught by verify (fast or --deep) with a message naming the table, row or file, and export refuses the case.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { custodyHash, type CustodyDetails } from '../../db/queries/custody';
import { sha256Hex } from '../../db/queries/evidence';
import { recordTriage } from '../../db/queries/triage';
import { openCase } from '../../main/case/case';
import { verifyCaseFile, type VerifyProblem } from '../../main/case/verify';
import { detect } from '../../main/detect/engine';
import { evidenceRecord } from '../../main/detect/records';
import { loadOrCreateExaminerKey } from '../../main/sign/keys';
import { exportCase, ExportError } from '../../main/timeline/export';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import { withGuardsDropped } from '../support/tamper';

let cc: CollectedCase;
let dir: string;
let base: string;
let finding: { key: string; ruleId: string };
let copies = 0;

beforeAll(async () => {
  cc = await collectedCase({ scenario: 'contoso', seed: 21, eventsPerUserPerDay: 0.25, inboxRuleMailboxes: 2 });
  const report = detect(cc.db);
  const first = report.findings[0];
  if (!first) throw new Error('the collected case has no finding to triage');
  finding = { key: first.key, ruleId: first.ruleId };
  // Two decisions, each with its custody entry: the annotation the tamperings below go after.
  recordTriage(cc.db, { findingKey: finding.key, ruleId: finding.ruleId, state: 'needs_info', note: 'asked the client', at: new Date().toISOString(), actor: 'Examiner' });
  recordTriage(cc.db, { findingKey: finding.key, ruleId: finding.ruleId, state: 'confirmed', note: 'confirmed by the client', at: new Date().toISOString(), actor: 'Examiner' });
  closeDatabase(cc.db);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-tamper-'));
  base = cc.file;
}, 300_000);

afterAll(async () => {
  await cc?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of the collected case, changed as an attacker with the sqlite3 shell would: guards dropped, SQL run, guards put back. */
function tampered(change: (db: BetterSqlite3.Database) => void, opts: { keepGuardsDropped?: string[] } = {}): string {
  const file = path.join(dir, `copy-${++copies}.peregrine`);
  fs.copyFileSync(base, file);
  withGuardsDropped(file, change, opts.keepGuardsDropped);
  return file;
}

const describeProblems = (problems: VerifyProblem[]) => problems.map((p) => `${p.where}: ${p.message}`).join('\n');

function expectCaught(file: string, deep: boolean, where: RegExp, message: RegExp): VerifyProblem[] {
  const report = verifyCaseFile(file, { deep });
  expect(report.ok, 'verify passed a tampered case').toBe(false);
  const hit = report.problems.find((p) => where.test(p.where) && message.test(p.message));
  expect(hit, `no problem matches ${where} / ${message} among:\n${describeProblems(report.problems)}`).toBeDefined();
  return report.problems;
}

const one = <T>(db: BetterSqlite3.Database, sql: string, ...params: unknown[]): T => db.prepare(sql).get(...params) as T;

function withBase<T>(read: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(base, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

describe('the collected case, untouched', () => {
  it('verifies fast and --deep: every derived row is derived again from its evidence page', () => {
    const fast = verifyCaseFile(base);
    expect(describeProblems(fast.problems)).toBe('');
    const deep = verifyCaseFile(base, { deep: true });
    expect(describeProblems(deep.problems)).toBe('');
    const rows = withBase((db) => ['application', 'service_principal', 'organization', 'tenant_object', 'sign_in', 'directory_audit', 'ual_record', 'event']
      .reduce((n, t) => n + (db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number), 0));
    expect(deep.checked.derivedRows).toBeGreaterThanOrEqual(rows);
  });
});

describe('tampering with a case file', () => {
  it("deleting the attacker's sign-ins and their events is caught by --deep, naming the table, record and evidence row", () => {
    const ip = cc.sim.groundTruth.attackerIp;
    const { id, evidence } = withBase((db) => one<{ id: string; evidence: number }>(db, 'SELECT id, evidence_id AS evidence FROM sign_in WHERE ip_address = ? ORDER BY row_id LIMIT 1', ip));
    // The first five: a stuffing run leaves hundreds on one page, more than verify lists (200 problems, events after sign-ins).
    const file = tampered((db) => {
      const ids = db.prepare('SELECT id FROM sign_in WHERE ip_address = ? ORDER BY row_id LIMIT 5').pluck().all(ip) as string[];
      for (const signIn of ids) {
        db.prepare(`DELETE FROM event WHERE source = 'signin' AND record_id = ?`).run(signIn);
        db.prepare('DELETE FROM sign_in WHERE id = ?').run(signIn);
      }
    });
    const problems = expectCaught(file, true, new RegExp(`^evidence row ${evidence} \\(graph\\.signIns`), new RegExp(`holds sign_in \\(id ${id}\\), which is missing from sign_in`));
    expect(problems.some((p) => /holds event \(id /.test(p.message))).toBe(true);
  });

  it('deleting the malicious app from application and service_principal is caught by --deep', () => {
    const { applicationObjectId, servicePrincipalId } = cc.sim.groundTruth.maliciousApp;
    const file = tampered((db) => {
      db.prepare('DELETE FROM application WHERE object_id = ?').run(applicationObjectId);
      db.prepare('DELETE FROM service_principal WHERE object_id = ?').run(servicePrincipalId);
    });
    expectCaught(file, true, /^evidence row \d+ \(graph\.applications/, new RegExp(`holds application ${applicationObjectId}, which is missing`));
    expectCaught(file, true, /^evidence row \d+ \(graph\.servicePrincipals/, new RegExp(`holds service_principal ${servicePrincipalId}, which is missing`));
  });

  it('renaming the malicious app in its row is caught by --deep, naming the column', () => {
    const { applicationObjectId } = cc.sim.groundTruth.maliciousApp;
    const file = tampered((db) => db.prepare(`UPDATE application SET display_name = 'Contoso Backup' WHERE object_id = ?`).run(applicationObjectId));
    expectCaught(file, true, new RegExp(`^application ${applicationObjectId}$`), /differs from evidence row \d+ in display_name \(stored "Contoso Backup", evidence /);
  });

  it('a plain INSERT INTO finding_triage (no custody entry) is caught, naming the row', () => {
    const file = tampered((db) => {
      db.prepare(`INSERT INTO finding_triage (finding_key, rule_id, state, note, at, actor, custody_seq) VALUES (?, ?, 'false_positive', 'pen test', ?, 'Examiner', 1)`)
        .run(finding.key, finding.ruleId, new Date().toISOString());
    });
    expectCaught(file, false, new RegExp(`^finding_triage row 3 \\(finding ${escape(finding.key)}\\)$`), /has no custody entry: custody entry 1 is case\.created, not finding\.triaged/);
  });

  it.each([1, 2, 3])('deleting the last %i custody entries is caught where the annotations or runs they recorded remain', (n) => {
    const last = withBase((db) => db.prepare('SELECT max(seq) FROM custody').pluck().get() as number);
    const file = tampered((db) => db.prepare('DELETE FROM custody WHERE seq > ?').run(last - n));
    // The newest entries are the two triage decisions, then the end of the collection.
    if (n <= 2) expectCaught(file, false, /^finding_triage row \d \(finding /, /has no custody entry: custody entry \d+ does not exist/);
    else expectCaught(file, false, /^collection_run /, /is done, but no custody entry records how it ended/);
  });

  it('rewriting custody entry 2 and re-hashing every entry after it is caught where the run no longer matches it', () => {
    const file = tampered((db) => {
      const rows = db.prepare('SELECT * FROM custody ORDER BY seq').all() as { seq: number; at: string; action: string; actor: string; details: string; prev_hash: string }[];
      let prev = rows[0]!.prev_hash;
      for (const r of rows) {
        const details = JSON.parse(r.details) as CustodyDetails;
        if (r.seq === 2) details.account = 'someone.else@contoso.example';
        const hash = custodyHash({ seq: r.seq, at: r.at, action: r.action, actor: r.actor, details, prevHash: r.seq === 1 ? r.prev_hash : prev });
        if (r.seq >= 2) db.prepare('UPDATE custody SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(JSON.stringify(details), prev, hash, r.seq);
        prev = r.seq >= 2 ? hash : (db.prepare('SELECT hash FROM custody WHERE seq = 1').pluck().get() as string);
      }
    });
    const report = verifyCaseFile(file);
    expect(report.problems.filter((p) => p.where.startsWith('custody entry'))).toEqual([]); // the chain itself is consistent
    expectCaught(file, false, new RegExp(`^collection_run ${cc.runId}$`), /differs from custody entry 2 \(collection\.started\) in account/);
  });

  it('dropping the delete trigger, emptying custody and restoring the trigger is caught: the case and its evidence are no longer recorded', () => {
    const file = tampered((db) => db.exec('DELETE FROM custody'));
    expectCaught(file, false, /^case_meta$/, /No custody entry records the creation of this case/);
    expectCaught(file, false, new RegExp(`^collection_run ${cc.runId}$`), /No custody entry records the start of this collection .*, yet \d+ evidence rows belong to it/);
  });

  it('rewriting an evidence body with its sha256 and size is caught fast by the digest custody recorded, and by --deep in the rows', () => {
    const { applicationObjectId, displayName } = cc.sim.groundTruth.maliciousApp;
    const page = withBase((db) => one<{ id: number; body_gz: Buffer }>(db, `SELECT e.id, e.body_gz FROM evidence e JOIN application a ON a.evidence_id = e.id WHERE a.object_id = ?`, applicationObjectId));
    const body = Buffer.from(gunzipSync(page.body_gz).toString('utf8').replaceAll(JSON.stringify(displayName), JSON.stringify('Contoso Backup')));
    const file = tampered((db) => {
      db.prepare('UPDATE evidence SET body_gz = ?, sha256 = ?, size = ? WHERE id = ?').run(gzipSync(body), sha256Hex(body), body.length, page.id);
    });
    const fast = verifyCaseFile(file);
    expect(fast.problems.filter((p) => p.where.startsWith('evidence row'))).toEqual([]); // the row's own hash holds
    expectCaught(file, false, new RegExp(`^collection_run ${cc.runId}$`), /hashes of its evidence rows no longer match the digest custody entry \d+ \(collection\.finished\) recorded/);
    expectCaught(file, true, new RegExp(`^application ${applicationObjectId}$`), /differs from evidence row \d+ in display_name/);
  });

  it('deleting an evidence row that rows point at is caught fast (foreign keys), naming the row and how many point at it', () => {
    const { evidence, pointing } = withBase((db) => {
      const id = one<{ id: number }>(db, 'SELECT evidence_id AS id FROM sign_in WHERE ip_address = ? LIMIT 1', cc.sim.groundTruth.attackerIp).id;
      const n = (db.prepare('SELECT (SELECT count(*) FROM sign_in WHERE evidence_id = ?) + (SELECT count(*) FROM event WHERE evidence_id = ?)').pluck().get(id, id) as number);
      return { evidence: id, pointing: n };
    });
    const file = tampered((db) => db.prepare('DELETE FROM evidence WHERE id = ?').run(evidence));
    expectCaught(file, false, new RegExp(`^evidence row ${evidence}$`), new RegExp(`The row is missing but ${pointing} rows point at it \\(event \\d+ \\(row \\d+, …\\), sign_in \\d+ \\(row \\d+, …\\)\\)`));
    expectCaught(file, false, new RegExp(`^collection_run ${cc.runId} \\(graph\\.signIns\\)$`), /evidence rows? (is|are) stored, but custody entry \d+ \(collection\.finished\) records \d+ pages read: evidence rows were deleted/);
  });

  it("changing a source's completeness account (a truncated window hidden, records recounted) is caught fast against custody", () => {
    const file = tampered((db) => db.exec(`UPDATE collection_source SET truncated = 1, records = records - 1 WHERE source = 'graph.signIns'`));
    expectCaught(file, false, new RegExp(`^collection_source graph\\.signIns \\(run ${cc.runId}\\)$`), /differs from custody entry \d+ \(collection\.finished\) in records, truncated/);
  });

  it("narrowing a log source's window is caught fast against the collection.started entry", () => {
    const file = tampered((db) => db.exec(`UPDATE collection_source SET window_from = '2099-01-01T00:00:00.000Z' WHERE source = 'graph.signIns'`));
    expectCaught(file, false, new RegExp(`^collection_source graph\\.signIns \\(run ${cc.runId}\\)$`), /Its window 2099-01-01T00:00:00\.000Z – .* is not the one custody entry 2 \(collection\.started\) records/);
  });

  it('dropping the finding_triage guard triggers is caught, naming each trigger', () => {
    const file = tampered(() => undefined, { keepGuardsDropped: ['finding_triage_refuseUpdate', 'finding_triage_refuseDelete'] });
    expectCaught(file, false, /^schema \(trigger finding_triage_refuseUpdate\)$/, /guard of finding_triage is missing/);
    expectCaught(file, false, /^schema \(trigger finding_triage_refuseDelete\)$/, /guard of finding_triage is missing/);
  });

  it('verify opens the tampered file read-only: it is not changed by being checked', () => {
    const file = tampered((db) => db.exec('DELETE FROM custody'));
    const before = sha256Hex(fs.readFileSync(file));
    verifyCaseFile(file, { deep: true });
    expect(sha256Hex(fs.readFileSync(file))).toBe(before);
  });
});

describe('export of a tampered case', () => {
  it('runs the deep check first and refuses, naming the first problem', () => {
    const { applicationObjectId } = cc.sim.groundTruth.maliciousApp;
    const file = tampered((db) => db.prepare('DELETE FROM application WHERE object_id = ?').run(applicationObjectId));
    const { db } = openCase(file);
    try {
      const signer = loadOrCreateExaminerKey(path.join(dir, 'keys'), 'Examiner', { passphrase: () => 'a passphrase for the test key' });
      const out = path.join(dir, 'export-tampered');
      const run = () => exportCase(db, out, { signer, clock: () => new Date(), toolVersion: 'test', findings: [] });
      expect(run).toThrow(ExportError);
      expect(run).toThrow(new RegExp(`does not verify, so it is not exported: evidence row \\d+ \\(graph\\.applications, .*holds application ${applicationObjectId}, which is missing`));
      expect(fs.existsSync(out)).toBe(false);
    } finally {
      closeDatabase(db);
    }
  });
});

describe('the record view', () => {
  it('shows an object as re-read from its evidence, and flags a row that no longer matches it', () => {
    const { applicationObjectId, displayName } = cc.sim.groundTruth.maliciousApp;
    const file = tampered((db) => db.prepare(`UPDATE application SET display_name = 'Contoso Backup', raw = json_set(raw, '$.displayName', 'Contoso Backup') WHERE object_id = ?`).run(applicationObjectId));
    const { db } = openCase(file);
    try {
      const view = evidenceRecord(db, { kind: 'object', runId: cc.runId, objectKind: 'application', objectId: applicationObjectId });
      expect(JSON.parse(view.json)).toMatchObject({ id: applicationObjectId, displayName });
      expect(view.mismatch).toMatch(/differs from evidence row \d+ in display_name, raw/);
    } finally {
      closeDatabase(db);
    }
  });

  it('shows an event record as re-read from its evidence, with no mismatch on an untouched case', () => {
    const { db } = openCase(tampered(() => undefined));
    try {
      const event = one<{ id: number; record_id: string }>(db as unknown as BetterSqlite3.Database, `SELECT id, record_id FROM event WHERE source = 'signin' AND actor_ip = ? LIMIT 1`, cc.sim.groundTruth.attackerIp);
      const view = evidenceRecord(db, { kind: 'event', eventId: event.id });
      expect(JSON.parse(view.json)).toMatchObject({ id: event.record_id, ipAddress: cc.sim.groundTruth.attackerIp });
      expect(view.mismatch).toBeNull();
    } finally {
      closeDatabase(db);
    }
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
