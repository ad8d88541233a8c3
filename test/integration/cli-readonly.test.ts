// Read-only commands on a case file nobody may write (read-only media, a client's copy): they read, and change nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { closeDatabase } from '../../db/connection';
import { latestSchemaVersion } from '../../db/migrate';
import { createCase } from '../../main/case/case';

// File modes do not bind root: as root, the commands run without the capabilities that override them (setpriv, from
// util-linux), so the file really is read-only for them, wherever the checkout is (a user switch would need every
// folder above it to be open to that user).
const asRoot = process.getuid?.() === 0;
const DROP = ['setpriv', '--bounding-set=-dac_override,-dac_read_search,-fowner', '--'];
function run(args: string[], env?: NodeJS.ProcessEnv) {
  const [bin, ...rest] = asRoot ? [...DROP, process.execPath, ...args] : [process.execPath, ...args];
  return spawnSync(bin!, rest, { encoding: 'utf8', ...(env ? { env } : {}) });
}
let dir: string;
let file: string;
let before: Buffer;

function peregrine(args: string[]) {
  return run(['bin/peregrine.js', ...args], { ...process.env, PEREGRINE_HOME: path.join(dir, 'home') });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-ro-'));
  file = path.join(dir, 'case', 'handover.peregrine');
  fs.mkdirSync(path.dirname(file));
  closeDatabase(createCase(file, { name: 'Handover', examiner: 'A. Examiner' }, { clock: () => new Date('2026-11-01T00:00:00Z'), toolVersion: 'test' }).db);
  fs.chmodSync(file, 0o444);
  fs.chmodSync(path.dirname(file), 0o555);
  fs.chmodSync(dir, 0o755);
  before = fs.readFileSync(file);
});

afterAll(() => {
  fs.chmodSync(path.dirname(file), 0o755);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a read-only case file', () => {
  it('really is read-only for the user the commands run as', () => {
    const write = run(['-e', `require('fs').appendFileSync(${JSON.stringify(file)}, 'x')`]);
    expect(write.error).toBeUndefined();
    expect(write.status).not.toBe(0);
    expect(write.stderr).toMatch(/EACCES/);
  });

  it('case info, detect and verify read it', () => {
    const info = peregrine(['case', 'info', file, '--json']);
    expect(info.stderr).toBe('');
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ name: 'Handover', custodyEntries: 1 });
    const detect = peregrine(['detect', file]);
    expect(detect.stderr).toBe('');
    expect(detect.status).toBe(0);
    expect(detect.stdout).toMatch(/No finished collection/);
    const json = peregrine(['detect', file, '--json']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ runId: null, findings: [] });
    const verify = peregrine(['verify', file]);
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['handover.peregrine']);
  });

  it('a read-only case from an older Peregrine is refused in words: it would need an upgrade', () => {
    const old = path.join(dir, 'old', 'older.peregrine');
    fs.mkdirSync(path.dirname(old));
    closeDatabase(createCase(old, { name: 'Older', examiner: 'A. Examiner' }, { clock: () => new Date('2026-11-01T00:00:00Z'), toolVersion: 'test' }).db);
    const raw = new BetterSqlite3(old);
    raw.pragma(`user_version = ${latestSchemaVersion() - 10}`);
    raw.close();
    fs.chmodSync(old, 0o444);
    fs.chmodSync(path.dirname(old), 0o555);
    try {
      const info = peregrine(['case', 'info', old]);
      expect(info.status).toBe(1);
      expect(info.stderr.trim()).toBe('peregrine: older.peregrine was written by an older Peregrine and must be upgraded before this version can read it, but it is read-only. Copy it to a folder you can write to and open the copy.');
    } finally {
      fs.chmodSync(path.dirname(old), 0o755);
    }
  });

  it('a command that writes says why it cannot', () => {
    const triage = peregrine(['triage', file, 'x:y', 'confirmed']);
    expect(triage.status).toBe(1);
    expect(triage.stderr).toMatch(/^peregrine: handover\.peregrine cannot be opened \(SQLITE_READONLY/);
  });
});
