// Vitest (plain Node): the workbench's signing key channels through dispatch — the app's keychain and file dialogs
// injected, the passphrase asked from the export confirmation where there is no secure keychain.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench, type WorkbenchDeps } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { EXAMINER_KEY_FILE, EXAMINER_KEYCHAIN_FILE, type Keychain } from '../../main/sign/keys';
import { verifyExport } from '../../main/case/verify';
import { parseSignerPin } from '../../main/sign/pin';
import type { ExportResult, KeyTransferResult, Result, SignerView } from '../../preload/contract';

/** A stand-in for Electron safeStorage: reversible, and visibly not the plain PEM. */
const fakeKeychain: Keychain = {
  encrypt: (plain) => Buffer.concat([Buffer.from('KC1'), Buffer.from(plain).map((b) => b ^ 0x5a)]),
  decrypt: (data) => Buffer.from(data.subarray(3).map((b) => b ^ 0x5a)).toString(),
};

let dir: string;
const workbenches: Workbench[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-signer-'));
});
afterEach(async () => {
  for (const w of workbenches.splice(0)) await w.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function workbench(name: string, extra: Partial<WorkbenchDeps>) {
  const w = createWorkbench({
    host: 'electron', toolVersion: '0.0.0-test', casesDir: path.join(dir, name, 'cases'), homeDir: path.join(dir, name, 'home'), keyDir: path.join(dir, name, 'keys'),
    environment: null, collectionWorker: tsxWorkerEntry(), ...extra,
  });
  workbenches.push(w);
  const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(w.handlers, channel, input)) as Result<T>;
  return { w, call };
}

describe('the signing key in the app', () => {
  it('keeps the key under the keychain, names it before and after export, and moves it through main-chosen files', async () => {
    const moved = path.join(dir, 'consultancy.pem');
    const a = workbench('a', { keyAccess: { keychain: fakeKeychain }, chooseKeyFile: async () => moved });
    expect(await a.call<SignerView>('export.signer')).toEqual({ ok: true, value: { identity: null, fingerprint: null, protection: null, needsPassphrase: false, keyTransfer: true, notice: null } });
    expect((await a.call('case.create', { name: 'Contoso', examiner: 'A. Examiner' })).ok).toBe(true);
    const exported = await a.call<ExportResult>('export.run');
    if (!exported.ok) throw new Error(exported.error.message);
    const signer = await a.call<SignerView>('export.signer');
    expect(signer).toEqual({ ok: true, value: { identity: 'A. Examiner', fingerprint: exported.value.signerFingerprint, protection: 'keychain', needsPassphrase: false, keyTransfer: true, notice: null } });
    expect(fs.readdirSync(path.join(dir, 'a', 'keys'))).toContain(EXAMINER_KEYCHAIN_FILE);
    const exportDir = path.join(dir, 'a', 'cases', 'exports', exported.value.folderName);
    expect(verifyExport(exportDir, { signer: parseSignerPin(exported.value.signerFingerprint) }).ok).toBe(true);

    expect((await a.call('export.exportKey', { filePassphrase: 'short' })).ok).toBe(false);
    const out = await a.call<KeyTransferResult>('export.exportKey', { filePassphrase: 'transfer passphrase' });
    expect(out).toMatchObject({ ok: true, value: { fileName: 'consultancy.pem' } });
    expect(fs.readFileSync(moved, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);

    // Another machine without a secure keychain: the key goes under the passphrase typed with the import.
    const b = workbench('b', { chooseKeyFile: async () => moved });
    const imported = await b.call<KeyTransferResult>('export.importKey', { filePassphrase: 'transfer passphrase', replace: false, identity: 'DFIR Partners' });
    expect(imported).toMatchObject({ ok: true, value: { fileName: 'consultancy.pem', signer: { fingerprint: exported.value.signerFingerprint, protection: 'passphrase', needsPassphrase: true } } });
    expect((await b.call('case.create', { name: 'Fabrikam', examiner: 'A. Examiner' })).ok).toBe(true);
    const refused = await b.call('export.run');
    expect(refused).toMatchObject({ ok: false, error: { code: 'passphrase_required' } });
    const wrong = await b.call('export.run', { passphrase: 'not the passphrase' });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'passphrase_wrong' } });
    const signed = await b.call<ExportResult>('export.run', { passphrase: 'transfer passphrase' });
    expect(signed).toMatchObject({ ok: true, value: { signerFingerprint: exported.value.signerFingerprint } });
  });

  it('encrypts a key found unencrypted under the keychain at the next export, and says so on Settings', async () => {
    const keyDir = path.join(dir, 'd', 'keys');
    fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(keyDir, EXAMINER_KEY_FILE), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const d = workbench('d', { keyAccess: { keychain: fakeKeychain } });
    expect(await d.call<SignerView>('export.signer')).toMatchObject({ ok: true, value: { protection: 'unencrypted', notice: null } });
    expect((await d.call('case.create', { name: 'Contoso', examiner: 'A. Examiner' })).ok).toBe(true);
    expect((await d.call('export.run')).ok).toBe(true);
    expect(await d.call<SignerView>('export.signer')).toMatchObject({
      ok: true, value: { protection: 'keychain', notice: expect.stringMatching(/was stored unencrypted; it is now encrypted under the OS keychain and the unencrypted file is gone/) },
    });
    expect(fs.readdirSync(keyDir)).not.toContain(EXAMINER_KEY_FILE);
  });

  it('does not offer moving the key where the host cannot choose files', async () => {
    const c = workbench('c', { host: 'browser', keyAccess: { passphrase: () => 'browser host passphrase' } });
    expect(await c.call<SignerView>('export.signer')).toMatchObject({ ok: true, value: { keyTransfer: false, needsPassphrase: false } });
    expect(await c.call('export.exportKey', { filePassphrase: 'transfer passphrase' })).toMatchObject({ ok: false, error: { code: 'no_key' } });
    expect(await c.call('export.importKey', { filePassphrase: 'transfer passphrase', replace: false, identity: 'DFIR Partners' })).toMatchObject({
      ok: false, error: { code: 'unsupported', message: expect.stringMatching(/needs the desktop app/) },
    });
  });
});
