// Vitest (plain Node): openDatabase's refusals and pragmas, closeDatabase's checkpoint.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabase } from '../../db/connection';
import { CaseFileError } from '../../db/errors';
import { latestSchemaVersion } from '../../db/migrate';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-conn-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function refusal(fn: () => unknown): CaseFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CaseFileError) return err;
    throw err;
  }
  throw new Error('expected a CaseFileError');
}

describe('openDatabase', () => {
  it('creates a case file with WAL, foreign keys, busy timeout and the newest schema', () => {
    const file = path.join(dir, 'new.peregrine');
    const db = openDatabase(file, { create: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('user_version', { simple: true })).toBe(latestSchemaVersion());
    closeDatabase(db);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('closeDatabase checkpoints: the closed case is one self-contained file', () => {
    const file = path.join(dir, 'c.peregrine');
    closeDatabase(openDatabase(file, { create: true }));
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const db = openDatabase(file, { create: false });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    closeDatabase(db);
  });

  it('refuses to create over an existing file, and leaves it alone', () => {
    const file = path.join(dir, 'taken.peregrine');
    fs.writeFileSync(file, 'precious');
    const err = refusal(() => openDatabase(file, { create: true }));
    expect(err.code).toBe('exists');
    expect(err.message).toMatch(/^taken\.peregrine already exists\. Choose another name/);
    expect(err.file).toBe(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('precious');
  });

  it('refuses to open a missing file, without creating it', () => {
    const file = path.join(dir, 'missing.peregrine');
    const err = refusal(() => openDatabase(file, { create: false }));
    expect(err.code).toBe('not_found');
    expect(err.message).toMatch(/missing\.peregrine does not exist/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses a file that is not SQLite', () => {
    const file = path.join(dir, 'notes.peregrine');
    fs.writeFileSync(file, 'just some text that is long enough to have a header');
    const err = refusal(() => openDatabase(file, { create: false }));
    expect(err.code).toBe('not_sqlite');
    expect(err.message).toMatch(/notes\.peregrine is not a Peregrine case file \(it is not an SQLite database\)/);
  });

  it('refuses an SQLite database that is not a case file, without changing it', () => {
    const file = path.join(dir, 'other.db');
    const other = new BetterSqlite3(file);
    other.exec('CREATE TABLE t (x)');
    other.close();
    const before = fs.readFileSync(file);
    const err = refusal(() => openDatabase(file, { create: false }));
    expect(err.code).toBe('not_a_case');
    expect(err.message).toMatch(/other\.db is an SQLite database but not a Peregrine case file/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses an empty file as not a case', () => {
    const file = path.join(dir, 'empty.peregrine');
    fs.writeFileSync(file, '');
    expect(refusal(() => openDatabase(file, { create: false })).code).toBe('not_a_case');
  });

  it('opens read-only without migrating or writing', () => {
    const file = path.join(dir, 'ro.peregrine');
    closeDatabase(openDatabase(file, { create: true }));
    const before = fs.readFileSync(file);
    const db = openDatabase(file, { create: false, readonly: true });
    expect(db.readonly).toBe(true);
    expect(() => db.exec('CREATE TABLE x (y INTEGER) STRICT')).toThrow();
    closeDatabase(db);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});
