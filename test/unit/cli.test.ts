// The `peregrine` CLI in-process: help, usage errors, case creation and verification that names what broke.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../main/cli';
import { TOOL_VERSION } from '../../main/version';
import { capturedIo, type CapturedIo } from '../support/cli-io';

let dir: string;
let io: CapturedIo;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-cli-'));
  io = capturedIo();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('peregrine CLI', () => {
  it('lists every command in --help', async () => {
    expect(await main(['--help'], io)).toBe(0);
    const help = io.stdout.join('\n');
    for (const cmd of ['case create', 'case info', 'case seal', 'collect', 'detect', 'timeline', 'export', 'verify', 'key show|export|import', 'serve']) expect(help).toContain(`  ${cmd}`);
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
    expect(io.stderr.join('\n')).toMatch(/Name the tenant: --env <environment file> \| --tenant <domain\|id>/);
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
    expect(await main(['verify', file, '--deep'], io)).toBe(0);
    expect(io.stdout.at(-2)).toMatch(/^OK: .* verified — 0 evidence rows and 1 custody entries, 0 derived rows derived again from their evidence/);
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

  it('refuses --deep for an export folder, which is checked whole every time', async () => {
    expect(await main(['verify', dir, '--deep'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--deep applies to a case file/);
  });

  it('says clearly when the file to verify does not exist', async () => {
    expect(await main(['verify', path.join(dir, 'missing')], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/missing does not exist/);
  });
});

describe('peregrine signing key, export, seal and verify --signer', () => {
  const PASS = 'cli test passphrase';
  let file: string;
  beforeEach(async () => {
    process.env.PEREGRINE_HOME = path.join(dir, 'home');
    io.env = { PEREGRINE_SIGNING_PASSPHRASE: PASS };
    file = path.join(dir, 'c.peregrine');
    expect(await main(['case', 'create', file, '--name', 'Contoso', '--examiner', 'A. Examiner'], io)).toBe(0);
  });
  afterEach(() => {
    delete process.env.PEREGRINE_HOME;
  });
  const fingerprintOf = (text: string) => /SHA256:[A-Za-z0-9+/]{43}/.exec(text)?.[0];

  it('prints the signing fingerprint before exporting; verify names the signer and pins it', async () => {
    const out = path.join(dir, 'export');
    expect(await main(['export', file, '--out', out], io), io.stderr.join('\n')).toBe(0);
    const fingerprint = fingerprintOf(io.stderr.find((l) => l.startsWith('Signing as A. Examiner with examiner key'))!)!;
    expect(fingerprint).toBeDefined();
    expect(await main(['verify', out], io)).toBe(0);
    expect(io.stdout.at(-1)).toBe(`Signed by A. Examiner with key ${fingerprint}. That proves who signed only if this is the examiner's key: compare it with the fingerprint the examiner gave you, or pin it with --signer.`);
    expect(await main(['verify', '--signer', fingerprint, out], io)).toBe(0);
    expect(io.stdout.at(-1)).toBe(`Signed by A. Examiner with key ${fingerprint} (the pinned key).`);
    const other = 'SHA256:' + 'A'.repeat(43);
    expect(await main(['verify', '--signer', other, out], io)).toBe(1);
    expect(io.stderr.at(-1)).toBe(`  manifest.json.sig: manifest.json is signed by A. Examiner ${fingerprint}, not by the pinned key ${other} (from ${other}).`);
    expect(await main(['verify', file], io)).toBe(0);
    expect(io.stdout.at(-1)).toBe(`Custody anchored through entry 1 of 2 by A. Examiner ${fingerprint}; entries after 1 are not yet signed.`);
    expect(await main(['verify', '--signer', other, file], io)).toBe(1);
    expect(await main(['verify', '--signer', 'SHA256:short', out], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--signer SHA256:short is not a whole SHA256 fingerprint/);
  });

  it('seals a case into one verified file with no -wal, anchored to its last entry', async () => {
    const sealed = path.join(dir, 'out', 'handover.peregrine');
    fs.mkdirSync(path.dirname(sealed));
    expect(await main(['case', 'seal', file, '--out', sealed], io), io.stderr.join('\n')).toBe(0);
    expect(io.stdout.at(-1)).toMatch(/^Sealed .* into .*handover\.peregrine: one self-contained file \(\d+ bytes, sha256 [0-9a-f]{64}\), verified; custody anchored through entry 2 of 2 by A\. Examiner SHA256:\S+; every entry is signed\.$/);
    expect(fs.readdirSync(path.dirname(sealed))).toEqual(['handover.peregrine']);
    expect(await main(['verify', sealed], io)).toBe(0);
    expect(fs.readdirSync(path.dirname(sealed))).toEqual(['handover.peregrine']);
    expect(await main(['case', 'seal', file, '--out', sealed], io)).toBe(1);
    expect(io.stderr.at(-1)).toMatch(/handover\.peregrine already exists/);
    expect(await main(['case', 'seal', '--help'], io)).toBe(0);
    expect(io.stdout.at(-1)).toMatch(/VACUUM INTO/);
  });

  it('says clearly when there is no passphrase, and asks on a terminal (twice for a new key)', async () => {
    io.env = {};
    expect(await main(['export', file, '--out', path.join(dir, 'e1')], io)).toBe(1);
    expect(io.stderr.at(-1)).toBe('peregrine: The examiner key is kept under a passphrase: run export in a terminal to be asked for it, or set PEREGRINE_SIGNING_PASSPHRASE.');
    const prompts: string[] = [];
    io.readSecret = async (prompt) => {
      prompts.push(prompt);
      return PASS;
    };
    expect(await main(['export', file, '--out', path.join(dir, 'e2')], io), io.stderr.join('\n')).toBe(0);
    expect(prompts).toEqual(['New passphrase for the examiner key (at least 10 characters): ', 'Repeat the passphrase: ']);
    expect(await main(['export', file, '--out', path.join(dir, 'e3')], io)).toBe(0);
    expect(prompts[2]).toMatch(/^Passphrase for the examiner key SHA256:\S+: $/);
    io.readSecret = async () => 'a wrong passphrase';
    expect(await main(['export', file, '--out', path.join(dir, 'e4')], io)).toBe(1);
    expect(io.stderr.at(-1)).toMatch(/The passphrase does not open the examiner key/);
  });

  it('shows, exports and imports the key, each with --help', async () => {
    for (const sub of [[], ['show'], ['export'], ['import']]) {
      expect(await main(['key', ...sub, '--help'], io)).toBe(0);
      expect(io.stdout.at(-1)).toMatch(/^Usage: peregrine key/);
    }
    expect(await main(['key', 'show'], io)).toBe(0);
    expect(io.stdout.at(-1)).toMatch(/^No examiner key yet/);
    expect(await main(['export', file, '--out', path.join(dir, 'e')], io)).toBe(0);
    expect(await main(['key', 'show'], io)).toBe(0);
    const shown = io.stdout.slice(-4).join('\n');
    expect(shown).toMatch(/^Examiner key SHA256:\S+ \(Ed25519\)\n {2}identity {2}A\. Examiner\n {2}public {4}ssh-ed25519 \S+ A\. Examiner\n {2}stored {4}.*, encrypted under a passphrase$/);
    const fingerprint = fingerprintOf(shown)!;
    const moved = path.join(dir, 'consultancy.pem');
    expect(await main(['key', 'export', '--out', moved], io)).toBe(0);
    expect(fs.readFileSync(moved, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    process.env.PEREGRINE_HOME = path.join(dir, 'other-machine');
    expect(await main(['key', 'import', moved, '--identity', 'DFIR Partners'], io)).toBe(0);
    expect(io.stdout.at(-1)).toBe(`Imported examiner key ${fingerprint} for DFIR Partners, encrypted under the passphrase in ${path.join(dir, 'other-machine', 'keys')}.`);
    expect(await main(['key', 'import', moved], io)).toBe(1);
    expect(io.stderr.at(-1)).toMatch(/already an examiner key .* --replace/);
  });
});
