// Vitest (plain Node): runs, evidence and custody queries; the append-only triggers; the custody chain.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../db/connection';
import { appendCustody, custodyHead, GENESIS_HASH, listCustody } from '../../db/queries/custody';
import { evidenceCount, getEvidence, insertEvidence } from '../../db/queries/evidence';
import { finishRun, latestCompletedRun, listRuns, startRun } from '../../db/queries/runs';

let dir: string;
let db: Database;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-ev-'));
  db = openDatabase(path.join(dir, 'case.peregrine'), { create: true });
});
afterEach(() => {
  closeDatabase(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function newRun(startedAt = '2024-05-01T10:00:00.000Z') {
  return startRun(db, { runId: randomUUID(), startedAt, environment: 'contoso', tenantId: randomUUID(), account: 'ir@contoso.example' });
}

describe('runs', () => {
  it('start, finish once, list, latest completed', () => {
    const a = newRun('2024-05-01T10:00:00.000Z');
    const b = newRun('2024-05-02T10:00:00.000Z');
    const c = newRun('2024-05-03T10:00:00.000Z');
    finishRun(db, a.runId, { state: 'done', finishedAt: '2024-05-01T11:00:00.000Z' });
    finishRun(db, b.runId, { state: 'done', finishedAt: '2024-05-02T11:00:00.000Z' });
    finishRun(db, c.runId, { state: 'failed', finishedAt: '2024-05-03T11:00:00.000Z', error: 'throttled' });
    expect(listRuns(db).map((r) => r.runId)).toEqual([a.runId, b.runId, c.runId]);
    expect(latestCompletedRun(db)?.runId).toBe(b.runId);
    expect(() => finishRun(db, b.runId, { state: 'cancelled', finishedAt: '2024-05-04T00:00:00.000Z' })).toThrow(/already finished/);
    expect(() => finishRun(db, randomUUID(), { state: 'done', finishedAt: '2024-05-04T00:00:00.000Z' })).toThrow(/no collection run/);
  });

  it('never stores a token as the account', () => {
    expect(() =>
      startRun(db, { runId: randomUUID(), startedAt: '2024-05-01T10:00:00.000Z', environment: 'x', tenantId: 't', account: 'eyJhbGciOiJSUzI1NiJ9.e30.sig' }),
    ).toThrow(/never a token/);
    expect(() =>
      db.prepare(`INSERT INTO collection_run (run_id, started_at, environment, tenant_id, account) VALUES (?, 'x', 'x', 'x', 'Bearer abc')`).run(randomUUID()),
    ).toThrow(/CHECK constraint/);
  });
});

describe('evidence', () => {
  it('stores the raw bytes gzipped with the sha256 and size of the raw bytes', () => {
    const run = newRun();
    const body = Buffer.from(JSON.stringify({ value: [{ id: '1', displayName: 'x'.repeat(500) }] }));
    const { id, sha256: hash } = insertEvidence(db, {
      runId: run.runId, source: 'graph.applications', method: 'GET', url: 'https://graph.microsoft.com/v1.0/applications',
      status: 200, contentType: 'application/json', collectedAt: '2024-05-01T10:00:01.000Z', body,
    });
    expect(hash).toBe(sha256(body));
    const row = getEvidence(db, id);
    expect(row?.body.equals(body)).toBe(true);
    expect(row).toMatchObject({ id, runId: run.runId, source: 'graph.applications', sha256: hash, size: body.length, requestId: null });
    const gz = db.prepare('SELECT body_gz FROM evidence WHERE id = ?').pluck().get(id) as Buffer;
    expect(gz.length).toBeLessThan(body.length);
    expect(evidenceCount(db)).toBe(1);
    expect(getEvidence(db, 999)).toBeNull();
  });

  it('refuses evidence for an unknown run', () => {
    expect(() =>
      insertEvidence(db, { runId: randomUUID(), source: 's', method: 'GET', url: 'u', status: 200, contentType: null, collectedAt: 'x', body: Buffer.from('') }),
    ).toThrow(/FOREIGN KEY/);
  });

  it('triggers refuse UPDATE and DELETE', () => {
    const run = newRun();
    const { id } = insertEvidence(db, { runId: run.runId, source: 's', method: 'GET', url: 'u', status: 200, contentType: null, collectedAt: 'x', body: Buffer.from('a') });
    expect(() => db.prepare('UPDATE evidence SET status = 500 WHERE id = ?').run(id)).toThrow(
      'evidence is append-only: a collected row can never be changed (chain of custody)',
    );
    expect(() => db.prepare('DELETE FROM evidence WHERE id = ?').run(id)).toThrow(
      'evidence is append-only: a collected row can never be deleted (chain of custody)',
    );
    expect(evidenceCount(db)).toBe(1);
  });
});

describe('custody', () => {
  it('chains each entry to the previous one with the RFC 8785 hash', () => {
    const entries = [
      appendCustody(db, { at: '2024-05-01T10:00:00.000Z', action: 'case.created', actor: 'Jane', details: { name: 'Contoso', n: 1 } }),
      appendCustody(db, { at: '2024-05-01T10:01:00.000Z', action: 'collection.started', actor: 'Jane', details: { runId: 'r', z: [1, 'two'], a: null } }),
      appendCustody(db, { at: '2024-05-01T10:02:00.000Z', action: 'collection.finished', actor: 'Jane', details: {} }),
    ];
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    for (const [i, e] of entries.entries()) {
      if (i > 0) expect(e.prevHash).toBe(entries[i - 1]!.hash);
      const expected = sha256(canonicalize({ seq: e.seq, at: e.at, action: e.action, actor: e.actor, details: e.details, prevHash: e.prevHash }));
      expect(e.hash).toBe(expected);
    }
    expect(listCustody(db)).toEqual(entries);
    expect(custodyHead(db)).toBe(entries[2]!.hash);
    // details are stored canonically (keys sorted), so the stored text hashes the same everywhere
    expect(db.prepare('SELECT details FROM custody WHERE seq = 2').pluck().get()).toBe('{"a":null,"runId":"r","z":[1,"two"]}');
  });

  it('an empty log has no head', () => {
    expect(custodyHead(db)).toBeNull();
  });

  it('triggers refuse UPDATE, DELETE and an entry that does not extend the chain', () => {
    const first = appendCustody(db, { at: '2024-05-01T10:00:00.000Z', action: 'case.created', actor: 'Jane', details: {} });
    expect(() => db.prepare(`UPDATE custody SET actor = 'Mallory' WHERE seq = 1`).run()).toThrow(
      'custody is append-only: an entry can never be changed (chain of custody)',
    );
    expect(() => db.prepare('DELETE FROM custody').run()).toThrow('custody is append-only: an entry can never be deleted (chain of custody)');
    const insert = db.prepare(`INSERT INTO custody (seq, at, action, actor, details, prev_hash, hash) VALUES (?, 'x', 'a', 'b', '{}', ?, ?)`);
    expect(() => insert.run(2, GENESIS_HASH, 'f'.repeat(64))).toThrow(/must take the next seq and link to the last entry/);
    expect(() => insert.run(3, first.hash, 'f'.repeat(64))).toThrow(/must take the next seq/);
    expect(listCustody(db)).toHaveLength(1);
  });

  it('refuses a time that is not ISO 8601', () => {
    expect(() => appendCustody(db, { at: 'yesterday', action: 'a', actor: 'b', details: {} })).toThrow(/not an ISO 8601/);
  });
});
