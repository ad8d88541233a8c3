// Vitest (plain Node): the examiner key is made once, kept private on disk, and fingerprinted like ssh-keygen.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  defaultKeyDir, EXAMINER_KEY_FILE, EXAMINER_KEYCHAIN_FILE, EXAMINER_PUBLIC_KEY_FILE, ExaminerKeyError, examinerKeyFrom, examinerKeyStatus,
  exportExaminerKey, importExaminerKey, type KeyAccess, type Keychain, loadOrCreateExaminerKey,
} from '../../main/sign/keys';
import { onPath, POSIX_MODES, prerequisite } from '../support/prerequisites';
import { itNeeds } from '../support/vitest-prerequisites';

const sshKeygen = prerequisite([onPath('ssh-keygen', ['-?'])]);
const openssl = prerequisite([onPath('openssl', ['version'])]);
const posix = prerequisite([POSIX_MODES], { optional: 'Windows keeps keys private with ACLs, not modes' });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-keys-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const PASS = 'correct horse battery';
const access: KeyAccess = { passphrase: () => PASS };

/** A stand-in for Electron safeStorage: reversible, and visibly not the plain PEM. */
const fakeKeychain = (): Keychain => ({
  encrypt: (plain) => Buffer.concat([Buffer.from('KC1'), Buffer.from(plain).map((b) => b ^ 0x5a)]),
  decrypt: (data) => {
    if (!data.subarray(0, 3).equals(Buffer.from('KC1'))) throw new Error('not sealed by this keychain');
    return Buffer.from(data.subarray(3).map((b) => b ^ 0x5a)).toString();
  },
});

describe('loadOrCreateExaminerKey', () => {
  it('makes an Ed25519 key on first use, encrypted under the passphrase, and reuses it after', () => {
    const keyDir = path.join(dir, 'nested', 'keys');
    const first = loadOrCreateExaminerKey(keyDir, 'jane@dfir.example', access);
    expect(first.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(first.rawPublicKey).toHaveLength(32);
    expect(first.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(first.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(first.identity).toBe('jane@dfir.example');
    const second = loadOrCreateExaminerKey(keyDir, 'jane@dfir.example', access);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(fs.readdirSync(keyDir).sort()).toEqual([EXAMINER_KEY_FILE, EXAMINER_PUBLIC_KEY_FILE]);
    expect(fs.readFileSync(path.join(keyDir, EXAMINER_KEY_FILE), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(examinerKeyStatus(keyDir)).toEqual({ protection: 'passphrase', fingerprint: first.fingerprint, identity: 'jane@dfir.example', publicKeyLine: expect.stringMatching(/^ssh-ed25519 /), keyDir });
  });

  it('says clearly when no passphrase was given, refuses a wrong or short one', () => {
    expect(() => loadOrCreateExaminerKey(dir, 'jane')).toThrow(/kept under a passphrase, and none was given: run in a terminal to be asked, or set PEREGRINE_SIGNING_PASSPHRASE/);
    expect(() => loadOrCreateExaminerKey(dir, 'jane', { passphrase: () => 'short' })).toThrow(/at least 10 characters/);
    expect(examinerKeyStatus(dir).protection).toBeNull();
    loadOrCreateExaminerKey(dir, 'jane', access);
    expect(() => loadOrCreateExaminerKey(dir, 'jane', { passphrase: () => 'not the passphrase' })).toThrow(/passphrase does not open the examiner key/);
  });

  itNeeds(openssl)('writes a PKCS#8 file openssl opens with the passphrase, PBKDF2-SHA256 at 600,000 iterations and AES-256-CBC', () => {
    const key = loadOrCreateExaminerKey(dir, 'jane', access);
    const file = path.join(dir, EXAMINER_KEY_FILE);
    const out = spawnSync('openssl', ['pkey', '-in', file, '-passin', 'env:PW', '-pubout'], { encoding: 'utf8', env: { ...process.env, PW: PASS } });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toBe(key.publicKeyPem);
    const asn1 = spawnSync('openssl', ['asn1parse', '-in', file], { encoding: 'utf8' }).stdout;
    expect(asn1).toMatch(/:PBES2[\s\S]*:PBKDF2[\s\S]*INTEGER +:0927C0[\s\S]*:hmacWithSHA256[\s\S]*:aes-256-cbc/);
    const wrong = spawnSync('openssl', ['pkey', '-in', file, '-passin', 'pass:not the passphrase', '-pubout'], { encoding: 'utf8' });
    expect(wrong.status).not.toBe(0);
  });

  it('encrypts a key an older version stored unencrypted, removes the plain file and says so', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(path.join(dir, EXAMINER_KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const notices: string[] = [];
    const key = loadOrCreateExaminerKey(dir, 'jane', { ...access, onNotice: (m) => notices.push(m) });
    expect(key.fingerprint).toBe(examinerKeyFrom(privateKey, 'jane').fingerprint);
    expect(notices).toEqual([expect.stringMatching(/was stored unencrypted; it is now encrypted under your passphrase and the unencrypted file is gone/)]);
    expect(fs.readFileSync(path.join(dir, EXAMINER_KEY_FILE), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(loadOrCreateExaminerKey(dir, 'jane', access).fingerprint).toBe(key.fingerprint);
  });

  it('keeps the key under the OS keychain when one is given, and moves a plain key there', () => {
    const keychain = fakeKeychain();
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    fs.writeFileSync(path.join(dir, EXAMINER_KEY_FILE), pem, { mode: 0o600 });
    const notices: string[] = [];
    const key = loadOrCreateExaminerKey(dir, 'jane', { keychain, onNotice: (m) => notices.push(m) });
    expect(notices[0]).toMatch(/now encrypted under the OS keychain/);
    expect(fs.readdirSync(dir).sort()).toEqual([EXAMINER_KEYCHAIN_FILE, EXAMINER_PUBLIC_KEY_FILE]);
    expect(fs.readFileSync(path.join(dir, EXAMINER_KEYCHAIN_FILE)).includes(Buffer.from('PRIVATE KEY'))).toBe(false);
    expect(examinerKeyStatus(dir).protection).toBe('keychain');
    expect(loadOrCreateExaminerKey(dir, 'jane', { keychain }).fingerprint).toBe(key.fingerprint);
    expect(() => loadOrCreateExaminerKey(dir, 'jane', access)).toThrow(/sealed by the OS keychain of the Peregrine app, which is not available here/);
  });

  itNeeds(posix)('keeps the folder 0700 and the private key 0600', () => {
    const keyDir = path.join(dir, 'keys');
    loadOrCreateExaminerKey(keyDir, 'jane', access);
    expect(fs.statSync(keyDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(keyDir, EXAMINER_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  itNeeds(posix)('refuses a private key other users can read', () => {
    const keyDir = path.join(dir, 'keys');
    loadOrCreateExaminerKey(keyDir, 'jane', access);
    fs.chmodSync(path.join(keyDir, EXAMINER_KEY_FILE), 0o644);
    expect(() => loadOrCreateExaminerKey(keyDir, 'jane', access)).toThrow(ExaminerKeyError);
    expect(() => loadOrCreateExaminerKey(keyDir, 'jane', access)).toThrow(/readable by other users \(mode 0644\)\. Run: chmod 600/);
  });

  it('refuses a blank or multi-line identity', () => {
    expect(() => loadOrCreateExaminerKey(dir, '  ', access)).toThrow(/identity/);
    expect(() => loadOrCreateExaminerKey(dir, 'a\nb', access)).toThrow(/identity/);
  });

  itNeeds(sshKeygen)('has the fingerprint ssh-keygen -lf prints', () => {
    const key = loadOrCreateExaminerKey(dir, 'Jane Doe', access);
    const out = spawnSync('ssh-keygen', ['-lf', path.join(dir, EXAMINER_PUBLIC_KEY_FILE)], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout.split(' ')[1]).toBe(key.fingerprint);
  });
});

describe('a consultancy key moved between machines', () => {
  it('exports encrypted and imports on another machine with the same fingerprint', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    const key = loadOrCreateExaminerKey(a, 'DFIR Partners LLP', { keychain: fakeKeychain() });
    const file = path.join(dir, 'consultancy.pem');
    exportExaminerKey(a, 'DFIR Partners LLP', { keychain: fakeKeychain() }, file, 'transfer passphrase');
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(() => exportExaminerKey(a, 'x', { keychain: fakeKeychain() }, file, 'transfer passphrase')).toThrow(/EEXIST/);
    expect(() => importExaminerKey(b, 'DFIR Partners LLP', file, 'wrong passphrase', access)).toThrow(/passphrase does not open/);
    const imported = importExaminerKey(b, 'DFIR Partners LLP', file, 'transfer passphrase', access);
    expect(imported.fingerprint).toBe(key.fingerprint);
    expect(examinerKeyStatus(b)).toMatchObject({ protection: 'passphrase', fingerprint: key.fingerprint, identity: 'DFIR Partners LLP' });
    expect(loadOrCreateExaminerKey(b, 'DFIR Partners LLP', access).fingerprint).toBe(key.fingerprint);
  });

  it('does not replace an existing key unless asked, and refuses a key that is not Ed25519', () => {
    loadOrCreateExaminerKey(dir, 'jane', access);
    const rsa = path.join(dir, 'rsa.pem');
    fs.writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => importExaminerKey(dir, 'jane', rsa, undefined, access)).toThrow(/already an examiner key \(SHA256:.*\).*--replace/);
    expect(() => importExaminerKey(dir, 'jane', rsa, undefined, access, { replace: true })).toThrow(/must be Ed25519, not rsa/);
  });
});

describe('defaultKeyDir', () => {
  it('prefers $PEREGRINE_HOME, then the platform config folder', () => {
    expect(defaultKeyDir({ PEREGRINE_HOME: '/srv/peregrine' }, 'linux', '/home/jane')).toBe(path.join('/srv/peregrine', 'keys'));
    expect(defaultKeyDir({}, 'linux', '/home/jane')).toBe(path.join('/home/jane', '.config', 'peregrine', 'keys'));
    expect(defaultKeyDir({}, 'darwin', '/Users/jane')).toBe(path.join('/Users/jane', '.config', 'peregrine', 'keys'));
    expect(defaultKeyDir({ APPDATA: 'C:\\Users\\jane\\AppData\\Roaming' }, 'win32', 'C:\\Users\\jane')).toBe(
      path.join('C:\\Users\\jane\\AppData\\Roaming', 'peregrine', 'keys'),
    );
  });
});
