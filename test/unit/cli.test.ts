// The `peregrine` CLI in-process: help, usage errors, case creation and verification that names what broke.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../main/cli';
import { TOOL_VERSION } from '../../main/version';

let dir: string;
let io: CliIo & { stdout: string[]; stderr: string[] };

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-cli-'));
  const stdout: string[] = [];
  const stderr: string[] = [];
  io = { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), isTTY: false, clock: () => new Date('2026-11-26T10:00:00Z') };
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('peregrine CLI', () => {
  it('lists every command in --help', async () => {
    expect(await main(['--help'], io)).toBe(0);
    const help = io.stdout.join('\n');
    for (const cmd of ['case create', 'case info', 'collect', 'detect', 'export', 'verify', 'serve']) expect(help).toContain(`  ${cmd} `);
  });

  it('reports the package version', async () => {
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
    expect(TOOL_VERSION).toBe(pkg.version);
    expect(await main(['--version'], io)).toBe(0);
    expect(io.stdout).toEqual([pkg.version]);
  });

  it('exits 2 with a usage message on unknown commands and missing options', async () => {
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/Unknown command "frobnicate"/);
    expect(await main(['case', 'create', path.join(dir, 'x.peregrine'), '--name', 'X'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--examiner is required/);
    expect(fs.existsSync(path.join(dir, 'x.peregrine'))).toBe(false);
    expect(await main(['collect', path.join(dir, 'x.peregrine')], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--env <environment file> or --tenant/);
  });

  it('creates a case, describes it, and verifies it', async () => {
    const file = path.join(dir, 'c.peregrine');
    expect(await main(['case', 'create', file, '--name', 'Contoso', '--examiner', 'A. Examiner', '--client', 'Contoso Ltd'], io)).toBe(0);
    expect(await main(['case', 'info', file, '--json'], io)).toBe(0);
    const info = JSON.parse(io.stdout.at(-1)!) as { name: string; client: string; custodyEntries: number; evidence: number };
    expect(info).toMatchObject({ name: 'Contoso', client: 'Contoso Ltd', custodyEntries: 1, evidence: 0 });
    expect(await main(['verify', file], io)).toBe(0);
    expect(io.stdout.at(-2)).toMatch(/^OK: .* verified — 0 evidence rows and 1 custody entries/);
    expect(io.stdout.at(-1)).toBe('Custody not anchored: no checkpoint is signed yet (every export and `peregrine case seal` signs one), 1 entries unsigned.');
  });

  it('refuses to create over an existing file and leaves it as it was', async () => {
    const file = path.join(dir, 'exists.peregrine');
    fs.writeFileSync(file, 'not mine');
    expect(await main(['case', 'create', file, '--name', 'X', '--examiner', 'Y'], io)).toBe(1);
    expect(fs.readFileSync(file, 'utf8')).toBe('not mine');
  });

  it('exits 1 and names the custody entry that was altered', async () => {
    const file = path.join(dir, 'c.peregrine');
    await main(['case', 'create', file, '--name', 'Contoso', '--examiner', 'A. Examiner'], io);
    const raw = new Database(file);
    const trigger = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'custody' AND sql LIKE '%UPDATE%'").get() as { name: string };
    raw.exec(`DROP TRIGGER "${trigger.name}"`);
    raw.prepare("UPDATE custody SET actor = 'Someone Else' WHERE seq = 1").run();
    raw.close();
    expect(await main(['verify', file], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/FAILED[\s\S]*custody entry 1/);
  });

  it('says clearly when the file to verify does not exist', async () => {
    expect(await main(['verify', path.join(dir, 'missing')], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/missing does not exist/);
  });
});
