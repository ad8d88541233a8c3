// "Open a case file…" through the workbench: a case file from anywhere, one made by someone else verified on opening and
// never changed by it, and every bad file refused with an error naming it, the file left as it was.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench, type WorkbenchDeps } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { saveSettings, SettingsSchema } from '../../main/settings/store';
import { closeDatabase } from '../../db/connection';
import { createCase, openCase } from '../../main/case/case';
import { listCustody } from '../../db/queries/custody';
import { recordedEngagement } from '../../db/queries/engagement';
import { latestSchemaVersion } from '../../db/migrate';
import type { OpenedCase, ReceivedCaseView, RecentCase, Result } from '../../preload/contract';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import { withGuardsDropped } from '../support/tamper';
import { makeOlderCase } from '../support/older-case';

let cc: CollectedCase;
let dir: string;
let received: string;
let copies = 0;
const workbenches: Workbench[] = [];

beforeAll(async () => {
  // A real collection, made by "Examiner" with Peregrine "test": the colleague's case this examiner receives.
  cc = await collectedCase({ scenario: 'contoso', seed: 7, eventsPerUserPerDay: 0.25, inboxRuleMailboxes: 1 });
  closeDatabase(cc.db);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-open-file-'));
  received = cc.file;
}, 300_000);

afterAll(async () => {
  await cc?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const w of workbenches.splice(0)) await w.close();
});

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function copyOf(file: string, name = `copy-${++copies}.peregrine`): string {
  const to = path.join(dir, name);
  fs.copyFileSync(file, to);
  return to;
}

/** A workbench whose Settings name `examiner` (and an engagement app, which a received case must not take in). */
function workbench(opts: { examiner: string; toolVersion?: string; deps?: Partial<WorkbenchDeps> }) {
  const home = fs.mkdtempSync(path.join(dir, 'home-'));
  saveSettings(home, SettingsSchema.parse({ examiner: opts.examiner, engagementAppIds: ['6e053d8a-3378-460f-bfaa-3eb49f6b16de'] }));
  const w = createWorkbench({
    host: 'browser', toolVersion: opts.toolVersion ?? '0.9.0', casesDir: path.join(dir, 'cases'), homeDir: home, keyDir: path.join(home, 'keys'),
    environment: null, collectionWorker: tsxWorkerEntry(), ...opts.deps,
  });
  workbenches.push(w);
  const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(w.handlers, channel, input)) as Result<T>;
  return { w, call };
}

function custodyCount(file: string): number {
  const { db } = openCase(file, { readonly: true });
  try {
    return listCustody(db).length;
  } finally {
    closeDatabase(db);
  }
}

describe('opening a case file from disk', () => {
  it('verifies a case someone else made, says who made it with which version, and changes nothing in it', async () => {
    const file = copyOf(received);
    const before = sha(file);
    const entries = custodyCount(file);
    const { w, call } = workbench({ examiner: 'Kenji Sato' });

    const opened = await call<OpenedCase>('case.openFile', { path: file });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.value.summary).toMatchObject({ examiner: 'Examiner', fileName: path.basename(file) });
    const view = opened.value.received!;
    expect(view).toMatchObject({ fileName: path.basename(file), examiner: 'Examiner', toolVersion: 'test', reasons: ['examiner', 'version'], here: { examiner: 'Kenji Sato', toolVersion: '0.9.0' } });
    expect(view.verification.ok).toBe(true);
    expect(view.verification.problems).toEqual([]);
    expect(view.verification.evidenceRows).toBeGreaterThan(10);
    expect(view.verification.custodyEntries).toBe(entries);
    // The Start screen reads it back for the open case.
    expect(await call<ReceivedCaseView | null>('case.received')).toEqual({ ok: true, value: view });
    // Remembered in the recent list (outside the case), so it can be reopened from there.
    const recent = await call<RecentCase[]>('case.recent');
    expect(recent.ok && recent.value.map((r) => r.fileName)).toEqual([path.basename(file)]);

    await w.close();
    workbenches.splice(workbenches.indexOf(w), 1);
    // Not one page changed: no engagement facts from this machine's Settings, no custody entry, nothing.
    expect(sha(file)).toBe(before);
    expect(custodyCount(file)).toBe(entries);
    const { db } = openCase(file, { readonly: true });
    try {
      expect(recordedEngagement(db).engagementAppIds).toEqual([]);
    } finally {
      closeDatabase(db);
    }
  });

  it('leaves a received case byte-identical when it is opened again from the recent list, and changes it at the first write', async () => {
    const file = copyOf(received);
    const before = sha(file);
    const entries = custodyCount(file);
    const { w, call } = workbench({ examiner: 'Kenji Sato' });
    const opened = await call<OpenedCase>('case.openFile', { path: file });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    await call('case.close');
    const again = await call('case.open', { caseId: opened.value.summary.caseId });
    expect(again.ok).toBe(true);
    expect(sha(file)).toBe(before);

    // The screens read it at once, as on opening: the header verifies it while the Timeline builds its index (a write).
    // In its rollback journal a reader on another connection would hold up that write; both answer.
    const [verified, counted] = await Promise.all([call<{ ok: boolean }>('case.verify'), call<number[]>('timeline.count', { filters: [{}] })]);
    expect(verified.ok && verified.value.ok, JSON.stringify(verified)).toBe(true);
    expect(counted.ok && counted.value[0]! > 100, JSON.stringify(counted)).toBe(true);

    // Working in it writes to it: the triage is a custody entry, the chain still verifies, in the file's own journal mode.
    const report = await call<{ findings: { key: string }[] }>('findings.list');
    expect(report.ok).toBe(true);
    if (!report.ok) return;
    const key = report.value.findings[0]!.key;
    expect((await call('findings.triage', { key, state: 'confirmed', note: 'seen by the receiving examiner' })).ok).toBe(true);
    const status = await call<{ ok: boolean }>('case.verify');
    expect(status.ok && status.value.ok).toBe(true);
    await w.close();
    workbenches.splice(workbenches.indexOf(w), 1);
    expect(sha(file)).not.toBe(before);
    expect(custodyCount(file)).toBe(entries + 1);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('lists what verification found in a received case that was changed after it was made', async () => {
    const file = copyOf(received);
    withGuardsDropped(file, (db) => {
      db.prepare(`UPDATE evidence SET body_gz = zeroblob(length(body_gz)) WHERE id = (SELECT min(id) FROM evidence)`).run();
    });
    const { call } = workbench({ examiner: 'Kenji Sato' });
    const opened = await call<OpenedCase>('case.openFile', { path: file });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    const v = opened.value.received!.verification;
    expect(v.ok).toBe(false);
    expect(v.problems.length).toBeGreaterThan(0);
    expect(v.problems[0]!.where).toMatch(/^evidence row \d+/);
  });

  it('treats a case of this examiner, made by this version, as one\'s own: no verification shown', async () => {
    const file = copyOf(received);
    const { call } = workbench({ examiner: ' examiner ', toolVersion: 'test' });
    const opened = await call<OpenedCase>('case.openFile', { path: file });
    expect(opened.ok && opened.value.received).toBe(null);
    expect(await call('case.received')).toEqual({ ok: true, value: null });
  });

  it('counts a case as received when Settings names no examiner, or when another version made it', async () => {
    const a = await workbench({ examiner: '', toolVersion: 'test' }).call<OpenedCase>('case.openFile', { path: copyOf(received) });
    expect(a.ok && a.value.received?.reasons).toEqual(['examiner']);
    const b = await workbench({ examiner: 'Examiner', toolVersion: '0.9.0' }).call<OpenedCase>('case.openFile', { path: copyOf(received) });
    expect(b.ok && b.value.received?.reasons).toEqual(['version']);
  });

  it('asks before upgrading a received case written by an older Peregrine, and records the upgrade only when agreed', async () => {
    const file = path.join(dir, 'older.peregrine');
    closeDatabase(createCase(file, { name: 'Older', examiner: 'Aiko' }, { clock: () => new Date('2026-01-02T00:00:00Z'), toolVersion: '0.0.1' }).db);
    makeOlderCase(file);
    const before = sha(file);
    const { call } = workbench({ examiner: 'Kenji Sato' });
    const refused = await call('case.openFile', { path: file });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.code).toBe('needs_upgrade');
    expect(refused.error.message).toMatch(/^older\.peregrine was made by Aiko with Peregrine 0\.0\.1 \(schema 20\).*It was not changed\./);
    expect(sha(file)).toBe(before);
    expect(await call('case.current')).toEqual({ ok: true, value: null });

    const upgraded = await call<OpenedCase>('case.openFile', { upgrade: true });
    expect(upgraded.ok).toBe(true);
    if (!upgraded.ok) return;
    expect(upgraded.value.summary.schemaVersion).toBe(latestSchemaVersion());
    expect(upgraded.value.received).toMatchObject({ examiner: 'Aiko', toolVersion: '0.0.1', reasons: ['examiner', 'version'] });
    await call('case.close');
    const { db } = openCase(file, { readonly: true });
    try {
      expect(listCustody(db).at(-1)).toMatchObject({ action: 'case.schema-upgraded', actor: 'peregrine 0.9.0', details: { from: 20 } });
    } finally {
      closeDatabase(db);
    }
    // Nothing waits to be upgraded any more.
    const again = await call('case.openFile', { upgrade: true });
    expect(!again.ok && again.error.code).toBe('invalid_input');
  });

  it('refuses a bad path or a file that is not a case, naming the file, and leaves it as it was', async () => {
    const { call } = workbench({ examiner: 'Kenji Sato' });
    const text = path.join(dir, 'notes.peregrine');
    fs.writeFileSync(text, 'meeting notes, not a case');
    const other = path.join(dir, 'other.sqlite');
    const raw = new BetterSqlite3(other);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    const newer = copyOf(received, 'newer.peregrine');
    withGuardsDropped(newer, (db) => db.pragma(`user_version = ${latestSchemaVersion() + 10}`));
    const empty = path.join(dir, 'empty.peregrine');
    fs.writeFileSync(empty, '');

    const cases: [unknown, string, RegExp][] = [
      [{ path: 'cases/contoso.peregrine' }, 'invalid_input', /"cases\/contoso\.peregrine" is not a full path/],
      [{ path: '' }, 'invalid_input', /^path: type the path of a case file$/],
      [{}, 'invalid_input', /type the full path of the case file/],
      [{ path: 'two\nlines' }, 'invalid_input', /^path: must be a single line/],
      [{ path: path.join(dir, 'missing.peregrine') }, 'not_found', /^missing\.peregrine does not exist\./],
      [{ path: dir }, 'not_sqlite', /is not a file\./],
      [{ path: text }, 'not_sqlite', /^notes\.peregrine is not a Peregrine case file/],
      [{ path: empty }, 'not_a_case', /^empty\.peregrine is empty \(0 bytes\)/],
      [{ path: other }, 'not_a_case', /^other\.sqlite is an SQLite database but not a Peregrine case file/],
      [{ path: newer }, 'newer_schema', /^newer\.peregrine was written by a newer Peregrine: its schema is \d+.*The file has not been changed\./],
    ];
    for (const [input, code, message] of cases) {
      const files = [text, other, newer, empty].map((f) => [f, sha(f)] as const);
      const r = await call('case.openFile', input);
      expect(r.ok, JSON.stringify(input)).toBe(false);
      if (r.ok) continue;
      expect(r.error.code, JSON.stringify(input)).toBe(code);
      expect(r.error.message, JSON.stringify(input)).toMatch(message);
      // The page never learns the machine's folders.
      expect(r.error.message).not.toContain(dir);
      for (const [f, hash] of files) expect(sha(f), f).toBe(hash);
    }
    expect(await call('case.current')).toEqual({ ok: true, value: null });
  });

  it('in the desktop app, takes the file from its own dialog and no path from the page', async () => {
    const file = copyOf(received);
    let answer: string | null = null;
    const { call } = workbench({ examiner: 'Kenji Sato', deps: { host: 'electron', chooseCaseFile: async () => answer } });
    const typed = await call('case.openFile', { path: file });
    expect(!typed.ok && typed.error).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/picks the case file in its own dialog/) });
    const cancelled = await call('case.openFile', {});
    expect(!cancelled.ok && cancelled.error.code).toBe('cancelled');
    answer = file;
    const opened = await call<OpenedCase>('case.openFile', {});
    expect(opened.ok && opened.value.received?.verification.ok).toBe(true);
  });
});
