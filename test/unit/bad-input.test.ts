// Bad input met on the way, each refused with words that say what to do: one-line case fields (on both transports),
// an empty file, a case from a newer Peregrine, an export folder that cannot be written, a full disk.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../db/connection';
import { CaseFileError, explainCaseError } from '../../db/errors';
import { latestSchemaVersion, newerSchemaError } from '../../db/migrate';
import { createCase } from '../../main/case/case';
import { sourceNamed } from '../../main/collect/sources';
import { inlineWriter } from '../../main/collect/writer';
import { main } from '../../main/cli';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { TOOL_VERSION } from '../../main/version';
import { capturedIo, type CapturedIo } from '../support/cli-io';

let dir: string;
let io: CapturedIo;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-bad-'));
  io = capturedIo();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('case fields are one line', () => {
  it('the CLI refuses an examiner name with a line break and leaves no file', async () => {
    const file = path.join(dir, 'c.peregrine');
    expect(await main(['case', 'create', file, '--name', 'Contoso', '--examiner', 'A. Examiner\nInjected: line'], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/The case examiner must be a single line/);
    expect(fs.existsSync(file)).toBe(false);
    for (const [flag, value] of [['--name', 'Con\rtoso'], ['--client', 'a\u2028b'], ['--reference', 'x\u0000y'], ['--time-zone', 'UTC\n']] as const) {
      const args = ['case', 'create', file, '--name', 'Contoso', '--examiner', 'A. Examiner', flag, value];
      // A trailing line break is trimmed like surrounding spaces; anything inside the text is refused.
      expect(await main(args, io), flag).toBe(flag === '--time-zone' ? 0 : 1);
      fs.rmSync(file, { force: true });
    }
  });

  it('createCase refuses control characters whoever calls it', () => {
    expect(() => createCase(path.join(dir, 'd.peregrine'), { name: 'D', examiner: 'A\tB' }, { clock: () => new Date(), toolVersion: 'test' })).toThrow(/examiner must be a single line/);
  });

  it('the contract refuses it before any handler runs, naming the field', async () => {
    const workbench = createWorkbench({ host: 'browser', toolVersion: 'test', casesDir: path.join(dir, 'cases'), homeDir: path.join(dir, 'home'), keyDir: path.join(dir, 'keys'), environment: null, collectionWorker: tsxWorkerEntry() });
    try {
      const res = await dispatch(workbench.handlers, 'case.create', { name: 'Contoso', examiner: 'A. Examiner\nB' });
      expect(res).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^examiner: must be a single line/) } });
      const client = await dispatch(workbench.handlers, 'case.create', { name: 'Contoso', examiner: 'A', client: 'x\u0085y' });
      expect(client).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^client: must be a single line/) } });
      expect(fs.existsSync(path.join(dir, 'cases'))).toBe(false);
    } finally {
      await workbench.close();
    }
  });
});

describe('files that are not what they seem', () => {
  it('calls an empty file empty', async () => {
    const file = path.join(dir, 'empty.peregrine');
    fs.writeFileSync(file, '');
    expect(await main(['case', 'info', file], io)).toBe(1);
    expect(io.stderr.join('\n')).toBe('peregrine: empty.peregrine is empty (0 bytes): it holds no case. If Peregrine stopped while creating it, delete it and create the case again; otherwise choose a .peregrine file created by Peregrine.');
  });

  it('names a newer case file once, and a version newer than this one', async () => {
    const file = path.join(dir, 'future.peregrine');
    closeDatabase(openDatabase(file, { create: true, toolVersion: TOOL_VERSION }));
    const raw = new BetterSqlite3(file);
    raw.pragma(`user_version = ${latestSchemaVersion() + 1}`);
    raw.close();
    expect(await main(['case', 'info', file], io)).toBe(1);
    const message = io.stderr.join('\n');
    expect(message).toBe(
      `peregrine: future.peregrine was written by a newer Peregrine: its schema is ${latestSchemaVersion() + 1}, and this Peregrine (${TOOL_VERSION}) reads schemas up to ${latestSchemaVersion()}. ` +
        `Open it with a Peregrine newer than ${TOOL_VERSION}. The file has not been changed.`,
    );
    expect(message.split('future.peregrine').length - 1).toBe(1);
    expect(newerSchemaError('f.peregrine', 9, 8, '0.10.0', '0.9.3').message).toContain('Open it with Peregrine 0.10.0 or later.');
    expect(newerSchemaError('f.peregrine', 9, 8, '0.9.3', '0.10.0').message).toContain('Open it with a Peregrine newer than 0.10.0.');
    expect(newerSchemaError('f.peregrine', 9, 8, null, '1.0.0').message).toContain('Open it with a Peregrine newer than 1.0.0.');
  });
});

describe('where an export cannot be written', () => {
  it('names the folder instead of showing a raw mkdtemp error', async () => {
    const file = path.join(dir, 'c.peregrine');
    process.env.PEREGRINE_HOME = path.join(dir, 'home');
    try {
      expect(await main(['case', 'create', file, '--name', 'C', '--examiner', 'A. Examiner'], io)).toBe(0);
      expect(await main(['export', file, '--out', '/proc/self/x'], { ...io, env: { PEREGRINE_SIGNING_PASSPHRASE: 'a passphrase for the test key' } })).toBe(1);
      const message = io.stderr.at(-1)!;
      expect(message).toMatch(/^peregrine: The export cannot be written into \/proc\/self: files cannot be created in it \(ENOENT\)\. Choose a folder on a disk you can write to\.$/);
      expect(message).not.toMatch(/mkdtemp/);
    } finally {
      delete process.env.PEREGRINE_HOME;
    }
  });
});

describe('a full disk', () => {
  it('says to free space and keep the -wal beside the case', () => {
    const file = path.join(dir, 'full.peregrine');
    const { db } = createCase(file, { name: 'Full', examiner: 'A. Examiner' }, { clock: () => new Date(), toolVersion: 'test' });
    let caught: unknown;
    try {
      // A real SQLITE_FULL: the file may not grow past the pages it has.
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      db.exec('CREATE TABLE filler (x BLOB)');
      db.prepare('INSERT INTO filler VALUES (?)').run(Buffer.alloc(1024 * 1024));
    } catch (err) {
      caught = err;
    } finally {
      db.close();
    }
    expect((caught as { code?: string }).code).toBe('SQLITE_FULL');
    const explained = explainCaseError(caught, file) as CaseFileError;
    expect(explained).toBeInstanceOf(CaseFileError);
    expect(explained.code).toBe('disk_full');
    expect(explained.message).toMatch(/^The disk holding full\.peregrine is full: the last change was not saved \(SQLITE_FULL\)\. Free space on that disk/);
    expect(explained.message).toContain('keep full.peregrine-wal beside it');
    const other = new Error('something else');
    expect(explainCaseError(other, file)).toBe(other);
  });

  it('a collection page that no longer fits on the disk is refused with the same advice', async () => {
    const file = path.join(dir, 'collecting.peregrine');
    const { db } = createCase(file, { name: 'Full', examiner: 'A. Examiner' }, { clock: () => new Date(), toolVersion: 'test' });
    try {
      const writer = inlineWriter(db, (name) => sourceNamed(name)?.store);
      const at = new Date().toISOString();
      const runId = '6a0f7c1e-2b1d-4c55-9a1e-3f1c2b3d4e5f';
      await writer.write({ op: 'start', runId, at, environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example', actor: 'A. Examiner',
        plan: [{ source: 'graph.applications', label: 'Applications', windowFrom: null, windowTo: null, scope: null }], window: null });
      // A real SQLITE_FULL: the file may not grow past the pages it has, and the page is 2 MB of applications.
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      const apps = Array.from({ length: 2000 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, appId: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`, displayName: `App ${i}`, notes: 'x'.repeat(1000) }));
      const body = new TextEncoder().encode(JSON.stringify({ value: apps }));
      const page = writer.write({ op: 'page', runId, source: 'graph.applications', label: 'Applications', at,
        page: { method: 'GET', url: 'https://graph.microsoft.com/v1.0/applications', status: 200, contentType: 'application/json', body, requestBody: null, value: apps, next: null, truncated: false, notices: [] } });
      await expect(page).rejects.toMatchObject({ code: 'disk_full', message: expect.stringMatching(/^The disk holding collecting\.peregrine is full: the last change was not saved \(SQLITE_FULL\)\. Free space on that disk.*keep collecting\.peregrine-wal beside it/) });
    } finally {
      closeDatabase(db);
    }
  });

  it('says so through the bridge too', async () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const handlers = { findings: { triage: async () => { throw full; } } } as unknown as Parameters<typeof dispatch>[0];
    const res = await dispatch(handlers, 'findings.triage', { key: 'abc', state: 'confirmed' });
    expect(res).toMatchObject({ ok: false, error: { code: 'disk_full', message: expect.stringMatching(/^The disk holding the case file is full.*Free space on that disk.*ending in -wal beside the case/) } });
  });
});
