// Vitest (plain Node): the examiner key is made once, kept private on disk, and fingerprinted like ssh-keygen.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultKeyDir, EXAMINER_KEY_FILE, EXAMINER_PUBLIC_KEY_FILE, ExaminerKeyError, loadOrCreateExaminerKey } from '../../main/sign/keys';
import { onPath, POSIX_MODES, prerequisite } from '../support/prerequisites';
import { itNeeds } from '../support/vitest-prerequisites';

const sshKeygen = prerequisite([onPath('ssh-keygen', ['-?'])]);
const posix = prerequisite([POSIX_MODES], { optional: 'Windows keeps keys private with ACLs, not modes' });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-keys-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('loadOrCreateExaminerKey', () => {
  it('makes an Ed25519 key on first use and reuses it after', () => {
    const keyDir = path.join(dir, 'nested', 'keys');
    const first = loadOrCreateExaminerKey(keyDir, 'jane@dfir.example');
    expect(first.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(first.rawPublicKey).toHaveLength(32);
    expect(first.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(first.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(first.identity).toBe('jane@dfir.example');
    const second = loadOrCreateExaminerKey(keyDir, 'jane@dfir.example');
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(fs.readdirSync(keyDir).sort()).toEqual([EXAMINER_KEY_FILE, EXAMINER_PUBLIC_KEY_FILE]);
    expect(fs.readFileSync(path.join(keyDir, EXAMINER_KEY_FILE), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  itNeeds(posix)('keeps the folder 0700 and the private key 0600', () => {
    const keyDir = path.join(dir, 'keys');
    loadOrCreateExaminerKey(keyDir, 'jane');
    expect(fs.statSync(keyDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(keyDir, EXAMINER_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  itNeeds(posix)('refuses a private key other users can read', () => {
    const keyDir = path.join(dir, 'keys');
    loadOrCreateExaminerKey(keyDir, 'jane');
    fs.chmodSync(path.join(keyDir, EXAMINER_KEY_FILE), 0o644);
    expect(() => loadOrCreateExaminerKey(keyDir, 'jane')).toThrow(ExaminerKeyError);
    expect(() => loadOrCreateExaminerKey(keyDir, 'jane')).toThrow(/readable by other users \(mode 0644\)\. Run: chmod 600/);
  });

  it('refuses a blank or multi-line identity', () => {
    expect(() => loadOrCreateExaminerKey(dir, '  ')).toThrow(/identity/);
    expect(() => loadOrCreateExaminerKey(dir, 'a\nb')).toThrow(/identity/);
  });

  itNeeds(sshKeygen)('has the fingerprint ssh-keygen -lf prints', () => {
    const key = loadOrCreateExaminerKey(dir, 'Jane Doe');
    const out = spawnSync('ssh-keygen', ['-lf', path.join(dir, EXAMINER_PUBLIC_KEY_FILE)], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(out.stdout.split(' ')[1]).toBe(key.fingerprint);
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
