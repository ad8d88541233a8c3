// Re-collection: what appeared, disappeared or changed per object between two clean collections.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { createCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { insertEvidence } from '../../db/queries/evidence';
import { insertApplications } from '../../db/queries/directory';
import { finishRun, previousCompletedRun, startRun } from '../../db/queries/runs';
import { listChanges, objectHistory, recordChanges } from '../../db/queries/changes';

let dir: string;
let db: Database;
let t = Date.parse('2026-11-01T00:00:00Z');
const clock = () => new Date((t += 1000));

const app = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  appId: `00000000-0000-0000-0000-${id.padStart(12, '0')}`,
  displayName: name,
  signInAudience: 'AzureADMyOrg',
  createdDateTime: '2026-01-01T00:00:00Z',
  passwordCredentials: [],
  keyCredentials: [],
  requiredResourceAccess: [],
  ...extra,
});

function collect(apps: object[], state: 'done' | 'failed' = 'done'): string {
  const runId = crypto.randomUUID();
  startRun(db, { runId, startedAt: clock().toISOString(), environment: 'test', tenantId: 't', account: 'a@b' });
  const body = Buffer.from(JSON.stringify({ value: apps }));
  const ev = insertEvidence(db, { runId, source: 'graph.applications', method: 'GET', url: 'https://graph.test/v1.0/applications', status: 200, contentType: 'application/json', collectedAt: clock().toISOString(), body });
  insertApplications(db, runId, ev.id, apps);
  finishRun(db, runId, { state, finishedAt: clock().toISOString() });
  return runId;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-changes-'));
  db = createCase(path.join(dir, 'c.peregrine'), { name: 'C', examiner: 'E' }, { clock, toolVersion: 'test' }).db;
});
afterEach(() => {
  closeDatabase(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('recordChanges', () => {
  it('records appeared, disappeared and modified objects with the fields that changed', () => {
    const first = collect([app('1', 'contoso_kqz', { passwordCredentials: [{ keyId: 'k1', displayName: 'x', hint: 'abc', startDateTime: null, endDateTime: null, secretText: null, customKeyIdentifier: null }] }), app('2', 'Payroll'), app('3', 'Old tool')]);
    const second = collect([app('1', 'contoso_kqz'), app('2', 'Payroll'), app('4', 'New tool')]);
    expect(previousCompletedRun(db, second)!.runId).toBe(first);
    const changes = recordChanges(db, 'application', first, second);
    expect(changes.map((c) => [c.objectId, c.change, c.fields])).toEqual([
      ['1', 'modified', ['passwordCredentials']],
      ['4', 'appeared', null],
      ['3', 'disappeared', null],
    ]);
    expect(listChanges(db, second)).toHaveLength(3);
    // Idempotent: recording again neither duplicates nor fails.
    recordChanges(db, 'application', first, second);
    expect(listChanges(db, second)).toHaveLength(3);
  });

  it('gives an object its history across collections: removed, then re-created', () => {
    const a = collect([app('9', 'Ran_abcde')]);
    const b = collect([]);
    const c = collect([app('9', 'Ran_abcde')]);
    recordChanges(db, 'application', a, b);
    recordChanges(db, 'application', b, c);
    expect(objectHistory(db, 'application', '9').map((h) => h.change)).toEqual(['disappeared', 'appeared']);
  });

  it('compares with the previous clean run only', () => {
    const clean = collect([app('1', 'A')]);
    collect([app('1', 'A')], 'failed');
    const latest = collect([app('1', 'A')]);
    expect(previousCompletedRun(db, latest)!.runId).toBe(clean);
  });
});
