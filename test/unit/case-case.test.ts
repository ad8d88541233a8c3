// Vitest (plain Node): creating and opening case files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { CaseFileError } from '../../db/errors';
import { migrations } from '../../db/migrations';
import { latestSchemaVersion } from '../../db/migrate';
import { listCustody } from '../../db/queries/custody';
import { createCase, openCase } from '../../main/case/case';
import { makeOlderCase } from '../support/older-case';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-case-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const clock = () => new Date('2024-05-01T09:00:00.000Z');

describe('createCase', () => {
  it('creates the file, its identity and the first custody entry, and answers a CaseSummary', () => {
    const file = path.join(dir, 'contoso.peregrine');
    const { db, summary } = createCase(file, { name: ' Contoso BEC ', examiner: 'Jane Doe', client: 'Contoso', reference: '', timeZone: 'europe/paris' }, { clock, toolVersion: '0.1.0' });
    expect(summary).toEqual({
      caseId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Contoso BEC',
      client: 'Contoso',
      examiner: 'Jane Doe',
      reference: null,
      timeZone: 'Europe/Paris',
      createdAt: '2024-05-01T09:00:00.000Z',
      fileName: 'contoso.peregrine',
      schemaVersion: latestSchemaVersion(),
    });
    const custody = listCustody(db);
    expect(custody).toHaveLength(1);
    expect(custody[0]).toMatchObject({ seq: 1, action: 'case.created', actor: 'Jane Doe', at: '2024-05-01T09:00:00.000Z' });
    expect(custody[0]!.details).toMatchObject({ caseId: summary.caseId, fileName: 'contoso.peregrine', toolVersion: '0.1.0' });
    closeDatabase(db);

    const reopened = openCase(file);
    expect(reopened.summary).toEqual(summary);
    closeDatabase(reopened.db);
  });

  it('defaults the time zone to UTC and refuses an unknown one without leaving a file', () => {
    const { db, summary } = createCase(path.join(dir, 'a.peregrine'), { name: 'A', examiner: 'J' }, { clock, toolVersion: '0.1.0' });
    expect(summary.timeZone).toBe('UTC');
    closeDatabase(db);
    const file = path.join(dir, 'b.peregrine');
    expect(() => createCase(file, { name: 'B', examiner: 'J', timeZone: 'Mars/Olympus' }, { clock, toolVersion: '0.1.0' })).toThrow(/not a time zone/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('takes a fixed case id only as a lowercase UUID, and leaves no file otherwise', () => {
    const file = path.join(dir, 'fixed.peregrine');
    expect(() => createCase(file, { name: 'F', examiner: 'J' }, { clock, toolVersion: '0.1.0', caseId: '../x' })).toThrow(/The case id "\.\.\/x" is not a lowercase UUID/);
    expect(fs.existsSync(file)).toBe(false);
    const { db, summary } = createCase(file, { name: 'F', examiner: 'J' }, { clock, toolVersion: '0.1.0', caseId: '0a5e0000-4b0e-4a11-8a5e-000000000001' });
    expect(summary.caseId).toBe('0a5e0000-4b0e-4a11-8a5e-000000000001');
    closeDatabase(db);
  });

  it('refuses to create over an existing case', () => {
    const file = path.join(dir, 'c.peregrine');
    closeDatabase(createCase(file, { name: 'C', examiner: 'J' }, { clock, toolVersion: '0.1.0' }).db);
    const before = fs.readFileSync(file);
    expect(() => createCase(file, { name: 'C2', examiner: 'J' }, { clock, toolVersion: '0.1.0' })).toThrow(CaseFileError);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});

describe('openCase', () => {
  it('upgrades an older case file and records the upgrade in custody', () => {
    const file = path.join(dir, 'old.peregrine');
    const { db } = createCase(file, { name: 'Old', examiner: 'J' }, { clock, toolVersion: '0.1.0' });
    closeDatabase(db);
    makeOlderCase(file);

    const opened = openCase(file, { clock: () => new Date('2024-06-01T00:00:00.000Z'), toolVersion: '0.2.0' });
    expect(opened.summary.schemaVersion).toBe(migrations.at(-1)!.version);
    const last = listCustody(opened.db).at(-1)!;
    expect(last).toMatchObject({ action: 'case.schema-upgraded', actor: 'peregrine 0.2.0', details: { from: 20, to: latestSchemaVersion(), applied: migrations.filter((m) => m.version > 20).map((m) => m.version) } });
    closeDatabase(opened.db);
  });

  it('refuses a file that is not a case', () => {
    const file = path.join(dir, 'x.peregrine');
    fs.writeFileSync(file, 'hello world, not a database at all');
    expect(() => openCase(file)).toThrow(/x\.peregrine is not a Peregrine case file/);
  });
});
