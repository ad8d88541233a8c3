// The Export screen's history through the workbench: every export of the case from its custody entries, where each
// folder is, and each checked again as the client would — intact, changed, re-signed, moved — by folder name only.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalize } from 'json-canonicalize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { signatureFiles } from '../../main/sign/formats';
import { loadOrCreateExaminerKey } from '../../main/sign/keys';
import type { ExportCheck, ExportRecord, ExportResult, Result } from '../../preload/contract';

let dir: string;
let w: Workbench;
const PASSPHRASE = 'correct horse battery staple';
const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(w.handlers, channel, input)) as Result<T>;
const value = async <T>(channel: string, input: unknown = {}) => {
  const r = await call<T>(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
  return r.value;
};

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-export-history-'));
  w = createWorkbench({
    host: 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'cases'), homeDir: path.join(dir, 'home'), keyDir: path.join(dir, 'keys'),
    environment: null, collectionWorker: tsxWorkerEntry(), keyAccess: { passphrase: () => PASSPHRASE },
  });
  await value('case.create', { name: 'Contoso', examiner: 'A. Examiner' });
});
afterEach(async () => {
  await w.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('export history', () => {
  it('lists every export newest first with where it is and its scope, and checks each again', async () => {
    expect(await value<ExportRecord[]>('export.history')).toEqual([]);
    const whole = await value<ExportResult>('export.run');
    const part = await value<ExportResult>('export.run', { scope: { sources: ['custody'], from: '2000-01-01' } });
    expect(whole.folderPath).toBe(path.join(dir, 'cases', 'exports', whole.folderName));
    expect(fs.existsSync(path.join(part.folderPath, 'manifest.json'))).toBe(true);
    expect(part.scope).toMatchObject({ filter: { sources: ['custody'], from: '2000-01-01T00:00:00.000Z' } });

    const history = await value<ExportRecord[]>('export.history');
    expect(history.map((r) => r.folder)).toEqual([part.folderName, whole.folderName]);
    expect(history[0]).toMatchObject({ actor: 'A. Examiner', path: part.folderPath, files: part.files.length, signerFingerprint: part.signerFingerprint, scope: { words: 'from 2000-01-01T00:00:00.000Z; sources custody', events: part.scope!.events } });
    expect(history[1]).toMatchObject({ path: whole.folderPath, scope: null });

    for (const r of history) {
      const check = await value<ExportCheck>('export.verify', { folder: r.folder });
      expect(check).toMatchObject({ folder: r.folder, ok: true, sameManifest: true, problems: [] });
      expect(check.files).toBe(r.files);
    }
  });

  it('names a changed file, a re-signed manifest, a moved folder, and refuses a path or an unknown folder', async () => {
    const a = await value<ExportResult>('export.run');
    const b = await value<ExportResult>('export.run');
    const c = await value<ExportResult>('export.run');

    // One byte of findings.json changed after signing.
    fs.appendFileSync(path.join(a.folderPath, 'findings.json'), ' ');
    const changed = await value<ExportCheck>('export.verify', { folder: a.folderName });
    expect(changed.ok).toBe(false);
    expect(changed.problems[0]).toMatchObject({ where: 'findings.json' });

    // Re-signed by whoever holds the key after a file changed: consistent, but not the manifest this case recorded.
    const findingsFile = path.join(b.folderPath, 'findings.json');
    fs.writeFileSync(findingsFile, '[{"removed": "by the holder"}]\n');
    const manifest = JSON.parse(fs.readFileSync(path.join(b.folderPath, 'manifest.json'), 'utf8')) as { files: { name: string; sha256: string; bytes: number }[] };
    const bytes = fs.readFileSync(findingsFile);
    manifest.files = manifest.files.map((f) => (f.name === 'findings.json' ? { ...f, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length } : f));
    const manifestBytes = Buffer.from(canonicalize(manifest), 'utf8');
    fs.writeFileSync(path.join(b.folderPath, 'manifest.json'), manifestBytes);
    const key = loadOrCreateExaminerKey(path.join(dir, 'keys'), 'A. Examiner', { passphrase: () => PASSPHRASE });
    for (const sig of signatureFiles(manifestBytes, key, { trustedComment: 'again' })) fs.writeFileSync(path.join(b.folderPath, sig.name), sig.content);
    const resigned = await value<ExportCheck>('export.verify', { folder: b.folderName });
    expect(resigned).toMatchObject({ ok: true, sameManifest: false });

    // Moved away: listed without a path, and a check says where to verify it.
    fs.renameSync(c.folderPath, path.join(dir, 'handed-over'));
    const history = await value<ExportRecord[]>('export.history');
    expect(history.find((r) => r.folder === c.folderName)?.path).toBeNull();
    expect(await call('export.verify', { folder: c.folderName })).toMatchObject({ ok: false, error: { code: 'not_found', message: expect.stringMatching(/peregrine verify <folder>/) as string } });

    expect(await call('export.verify', { folder: '../cases' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await call('export.verify', { folder: 'Contoso-19990101T000000Z' })).toMatchObject({ ok: false, error: { code: 'unknown_export' } });
  });
});
