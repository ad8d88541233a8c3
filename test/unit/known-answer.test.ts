// Known answers: a committed sealed case file and signed export (made by scripts/known-answer.ts with the test-only key
// beside them) that verify must accept, pinned to that key; with one byte off, anywhere that matters, it must reject
// them and name what broke. The fixtures are never regenerated here: a verifier that drifts from them fails.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCaseFile, verifyExport, type VerifyReport } from '../../main/case/verify';
import { signatureFiles } from '../../main/sign/formats';
import { examinerKeyFrom } from '../../main/sign/keys';
import { parseSignerPin, type SignerPin } from '../../main/sign/pin';
import { withGuardsDropped } from '../support/tamper';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'known-answer');
const CASE_FILE = path.join(FIXTURES, 'case.peregrine');
const EXPORT_DIR = path.join(FIXTURES, 'export');
const FINGERPRINT = 'SHA256:l2N+ZN1X8cpqU7qKxMQqDlIOFg0vov2kXwWDjotg4XQ';

let tmp: string;
let copies = 0;
let pin: SignerPin;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-known-answer-'));
  pin = parseSignerPin(path.join(FIXTURES, 'TEST-ONLY-signer.pub.pem'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const listed = (r: VerifyReport) => r.problems.map((p) => `${p.where}: ${p.message}`).join('\n');

function expectRejected(report: VerifyReport, where: RegExp, message: RegExp): void {
  expect(report.ok, 'verify accepted a file with one byte off').toBe(false);
  const hit = report.problems.find((p) => where.test(p.where) && message.test(p.message));
  expect(hit, `no problem matches ${where} / ${message} among:\n${listed(report)}`).toBeDefined();
}

/** Reads from the committed case file without touching it (a read-only copy is opened). */
function fromCase<T>(read: (db: BetterSqlite3.Database) => T): T {
  const file = path.join(tmp, `read-${++copies}.peregrine`);
  fs.copyFileSync(CASE_FILE, file);
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** A copy of the case file with the byte at `offsetIn(bytes)` XOR 0x01. */
function caseWithFlip(offsetIn: (bytes: Buffer) => number): string {
  const bytes = fs.readFileSync(CASE_FILE);
  const at = offsetIn(bytes);
  expect(at).toBeGreaterThan(100); // past the SQLite header
  bytes[at]! ^= 0x01;
  const file = path.join(tmp, `flipped-${++copies}.peregrine`);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The only place `needle` sits in `bytes` (stored whole in one page). */
function onlyOffset(bytes: Buffer, needle: Buffer): number {
  const at = bytes.indexOf(needle);
  expect(at, 'the stored value is in the file, whole').toBeGreaterThan(0);
  expect(bytes.indexOf(needle, at + 1), 'the stored value is in the file once').toBe(-1);
  return at;
}

/** A copy of the export folder with one byte of `name` XOR 0x01 (at `offsetIn(bytes)`). */
function exportWithFlip(name: string, offsetIn: (bytes: Buffer) => number): string {
  const dir = path.join(tmp, `export-${++copies}`);
  fs.cpSync(EXPORT_DIR, dir, { recursive: true });
  const bytes = fs.readFileSync(path.join(dir, name));
  bytes[offsetIn(bytes)]! ^= 0x01;
  fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

/** The offset of the `nth` character of `text` inside the file's first occurrence of `text`. */
const inside = (text: string, nth: number) => (bytes: Buffer): number => {
  const at = bytes.indexOf(text);
  expect(at, `${text} is in the file`).toBeGreaterThanOrEqual(0);
  return at + nth;
};

describe('the committed case file', () => {
  it('verifies, fast and --deep, with every checkpoint signed by the pinned test-only key', () => {
    const file = path.join(tmp, 'case-copy.peregrine');
    fs.copyFileSync(CASE_FILE, file);
    const report = verifyCaseFile(file, { signer: pin, deep: true });
    expect(listed(report)).toBe('');
    expect(report).toMatchObject({ ok: true, checked: { evidence: 3, custody: 5 } });
    expect(report.checked.derivedRows).toBeGreaterThan(0);
    expect(report.anchor).toMatchObject({ through: 5, of: 5, checkpoints: 2 });
    expect(fs.readdirSync(tmp).filter((n) => n.endsWith('-wal') || n.endsWith('-journal'))).toEqual([]);
  });

  it('is refused when pinned to another key', () => {
    const file = path.join(tmp, 'case-other-pin.peregrine');
    fs.copyFileSync(CASE_FILE, file);
    const other: SignerPin = { fingerprints: new Set(['SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']), source: 'another key' };
    expectRejected(verifyCaseFile(file, { signer: other }), /^custody_checkpoint 1$/, /not by the pinned key .*another key/);
  });

  it('rejects one byte off in an evidence body, naming the evidence row', () => {
    const gz = fromCase((db) => db.prepare(`SELECT body_gz FROM evidence WHERE source = 'graph.applications'`).pluck().get() as Buffer);
    const file = caseWithFlip((bytes) => onlyOffset(bytes, gz) + Math.floor(gz.length / 2));
    expectRejected(verifyCaseFile(file), /^evidence row 2 \(graph\.applications, https:\/\/graph\.microsoft\.com\/v1\.0\/applications\)$/, /changed or damaged|sha256/);
  });

  it('rejects one byte off in a custody entry, naming the entry', () => {
    const details = fromCase((db) => db.prepare('SELECT details FROM custody WHERE seq = 2').pluck().get() as string);
    expect(details).toContain('ir@contoso.example');
    const file = caseWithFlip((bytes) => onlyOffset(bytes, Buffer.from(details)) + details.indexOf('ir@contoso.example'));
    expectRejected(verifyCaseFile(file), /^custody entry 2 \(collection\.started\)$/, /contents hash to .*a field of this entry was changed/);
  });

  it('rejects one byte off in a checkpoint signature, naming the checkpoint', () => {
    const signature = fromCase((db) => db.prepare('SELECT signature FROM custody_checkpoint WHERE id = 2').pluck().get() as Buffer);
    const file = caseWithFlip((bytes) => onlyOffset(bytes, signature) + 10);
    expectRejected(verifyCaseFile(file), /^custody_checkpoint 2$/, /signature by .* does not verify: the checkpoint was changed after it was signed/);
  });

  it('rejects one byte off in a checkpoint payload, naming the checkpoint', () => {
    const payload = fromCase((db) => db.prepare('SELECT payload FROM custody_checkpoint WHERE id = 1').pluck().get() as string);
    const file = caseWithFlip((bytes) => onlyOffset(bytes, Buffer.from(payload)) + payload.indexOf('"at":"2024-05-01T09:0') + '"at":"2024-05-01T09:0'.length);
    expectRejected(verifyCaseFile(file), /^custody_checkpoint 1$/, /signature by .* does not verify: the checkpoint was changed after it was signed/);
  });
});

describe('the committed signed export', () => {
  it('verifies, pinned with --signer to the committed test-only public key', () => {
    expect([...pin.fingerprints]).toEqual([FINGERPRINT]);
    const dir = path.join(tmp, 'export-copy');
    fs.cpSync(EXPORT_DIR, dir, { recursive: true });
    const report = verifyExport(dir, { signer: pin });
    expect(listed(report)).toBe('');
    expect(report).toMatchObject({ ok: true, kind: 'export', checked: { files: 5, custody: 3 }, signer: { fingerprint: FINGERPRINT } });
    expect(report.chainHead).toBe(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).custodyHead);
  });

  it('is refused when pinned to another key', () => {
    const dir = path.join(tmp, 'export-other-pin');
    fs.cpSync(EXPORT_DIR, dir, { recursive: true });
    const other: SignerPin = { fingerprints: new Set(['SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']), source: 'another key' };
    const report = verifyExport(dir, { signer: other });
    expect(report.ok).toBe(false);
    expect(listed(report)).toMatch(/another key/);
  });

  it.each([
    ['timeline.jsonl', inside('HR Portal', 3), /^timeline\.jsonl$/, /sha256 is .*manifest\.json says .*changed after export/],
    ['timeline.csv', (b: Buffer) => b.length - 20, /^timeline\.csv$/, /sha256 is .*changed after export/],
    ['findings.json', inside('app-named-after-tenant', 4), /^findings\.json$/, /sha256 is .*changed after export/],
    ['custody.json', inside('ir@contoso.example', 3), /^custody\.json$/, /sha256 is .*changed after export/],
    ['VERIFY.txt', () => 40, /^VERIFY\.txt$/, /sha256 is .*changed after export/],
  ] as const)('rejects one byte off in the listed file %s, naming it', (name, offset, where, message) => {
    expectRejected(verifyExport(exportWithFlip(name, offset)), where, message);
  });

  it('rejects one byte off in manifest.json, naming the signature that no longer verifies', () => {
    const dir = exportWithFlip('manifest.json', inside('"createdAt":"2024-05-01T09:06', '"createdAt":"2024-05-01T09:0'.length));
    const report = verifyExport(dir, { signer: pin });
    expectRejected(report, /^manifest\.json\.sig$/, /does not verify against manifest\.json.*changed after signing/);
    expectRejected(report, /^manifest\.json\.minisig$/, /./);
    expectRejected(report, /^manifest\.json\.sshsig$/, /./);
  });

  it('rejects one byte off in a listed file hash inside manifest.json, naming the file and the signature', () => {
    const text = fs.readFileSync(path.join(EXPORT_DIR, 'manifest.json'), 'utf8');
    const hash = /"name":"findings\.json","sha256":"([0-9a-f]{64})"/.exec(text)![1]!;
    const dir = exportWithFlip('manifest.json', inside(hash, 5));
    const report = verifyExport(dir);
    expectRejected(report, /^findings\.json$/, /sha256 is .*manifest\.json says/);
    expectRejected(report, /^manifest\.json\.sig$/, /changed after signing/);
  });

  it.each([
    ['manifest.json.sig', () => 30, /^manifest\.json\.sig$/, /does not verify/],
    ['manifest.json.minisig', inside('G6dM', 1), /^manifest\.json\.minisig$/, /./],
    ['manifest.json.sshsig', (b: Buffer) => b.length - 60, /^manifest\.json\.sshsig$/, /./],
    ['signer.pub.pem', (b: Buffer) => b.indexOf('\n') + 60, /^signer\.pub\.pem$/, /manifest\.json names signer|not an Ed25519 public key/],
    ['minisign.pub', (b: Buffer) => b.length - 10, /^(minisign\.pub|manifest\.json\.minisig)$/, /./],
    ['allowed_signers', (b: Buffer) => b.length - 10, /^allowed_signers$/, /does not hold the key in signer\.pub\.pem/],
  ] as const)('rejects one byte off in the signature file %s, naming it', (name, offset, where, message) => {
    expectRejected(verifyExport(exportWithFlip(name, offset)), where, message);
  });
});

describe('the committed export, changed and signed again with its key', () => {
  // Whoever holds the signing key can sign anything: these are what verify still checks beyond the signature.
  const key = () => examinerKeyFrom(createPrivateKey(fs.readFileSync(path.join(FIXTURES, 'TEST-ONLY-signing-key.pem'))), 'Known Answer (test only)');
  type Custody = { format: string; caseId: string; head: string; entries: { seq: number; hash: string; details: Record<string, unknown> }[] };
  type ManifestFile = { custodyHead: string; files: { name: string; sha256: string; bytes: number }[] };

  /** A copy of the export with custody.json and the manifest changed, the manifest listed hashes and signatures made again. */
  function resigned(change: (custody: Custody, manifest: ManifestFile) => void): string {
    const dir = path.join(tmp, `resigned-${++copies}`);
    fs.cpSync(EXPORT_DIR, dir, { recursive: true });
    const custody = JSON.parse(fs.readFileSync(path.join(dir, 'custody.json'), 'utf8')) as Custody;
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ManifestFile;
    change(custody, manifest);
    const custodyBytes = Buffer.from(`${JSON.stringify(custody, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, 'custody.json'), custodyBytes);
    const entry = manifest.files.find((f) => f.name === 'custody.json')!;
    entry.sha256 = createHash('sha256').update(custodyBytes).digest('hex');
    entry.bytes = custodyBytes.length;
    const manifestBytes = Buffer.from(canonicalize(manifest));
    fs.writeFileSync(path.join(dir, 'manifest.json'), manifestBytes);
    for (const f of signatureFiles(manifestBytes, key(), { trustedComment: 'resigned' })) fs.writeFileSync(path.join(dir, f.name), f.content);
    return dir;
  }

  it('accepts the export signed again unchanged (the re-signing itself is sound)', () => {
    expect(listed(verifyExport(resigned(() => undefined), { signer: pin }))).toBe('');
  });

  it("rejects custody.json cut short of the manifest's custodyHead", () => {
    const dir = resigned((custody) => {
      custody.entries.pop();
    });
    expectRejected(verifyExport(dir, { signer: pin }), /^custody\.json$/, /^The chain ends at [0-9a-f]{64} but manifest\.json's custodyHead is [0-9a-f]{64}\.$/);
  });

  it('rejects a custody.json whose head field disagrees with the manifest, even when its chain ends right', () => {
    const dir = resigned((custody) => {
      custody.head = custody.entries[0]!.hash;
    });
    expectRejected(verifyExport(dir, { signer: pin }), /^custody\.json$/, /but manifest\.json's custodyHead is/);
  });

  it("rejects a manifest whose custodyHead is not custody.json's chain head", () => {
    const dir = resigned((custody, manifest) => {
      manifest.custodyHead = custody.entries[1]!.hash;
    });
    expectRejected(verifyExport(dir, { signer: pin }), /^custody\.json$/, /The chain ends at .* but manifest\.json's custodyHead is/);
  });

  it('rejects custody.json of another case', () => {
    const dir = resigned((custody) => {
      custody.caseId = '0a5e0000-4b0e-4a11-8a5e-0000000000ff';
    });
    expectRejected(verifyExport(dir, { signer: pin }), /^custody\.json$/, /^It belongs to case 0a5e0000-4b0e-4a11-8a5e-0000000000ff, not 0a5e0000-4b0e-4a11-8a5e-000000000001\.$/);
  });

  it('names a custody.json entry whose details were changed, and entries out of order', () => {
    const changedDetails = verifyExport(resigned((custody) => {
      custody.entries[1]!.details.account = 'mallory@contoso.example';
    }), { signer: pin });
    expect(changedDetails.problems).toEqual([{
      where: 'custody.json entry 2 (collection.started)',
      message: expect.stringMatching(/^The entry's hash is 16b44f0300e500e0123a98fd86732f12b84c4fd6865e092d8e43fd97e915d3ab but its contents hash to [0-9a-f]{64}: a field of this entry was changed\.$/),
    }]);
    const swapped = verifyExport(resigned((custody) => {
      custody.entries.push(custody.entries.splice(1, 1)[0]!);
    }), { signer: pin });
    expect(swapped.problems.map((p) => `${p.where}: ${p.message.replace(/[0-9a-f]{64}/g, 'H')}`)).toEqual([
      'custody.json entry 3 (collection.finished): Entries 2–2 are missing: custody entries were deleted.',
      'custody.json entry 3 (collection.finished): prev_hash H does not match the hash of entry 1 (H): entry 1 or this link was changed.',
      'custody.json entry 2 (collection.started): Entry 2 appears out of order (expected 4).',
      'custody.json entry 2 (collection.started): prev_hash H does not match the hash of entry 3 (H): entry 3 or this link was changed.',
      "custody.json: The chain ends at H but manifest.json's custodyHead is H.",
    ]);
    expect(swapped.checked.custody).toBe(3);
  });

  it('names files listed out of order or twice, and names that are not plain files of the folder', () => {
    const unsorted = verifyExport(resigned((_, manifest) => {
      manifest.files.reverse();
    }), { signer: pin });
    expect(unsorted.problems).toEqual([
      { where: 'manifest.json', message: "files are not sorted by name or repeat 'timeline.csv'." },
      { where: 'manifest.json', message: "files are not sorted by name or repeat 'findings.json'." },
      { where: 'manifest.json', message: "files are not sorted by name or repeat 'custody.json'." },
      { where: 'manifest.json', message: "files are not sorted by name or repeat 'VERIFY.txt'." },
    ]);
    const twice = verifyExport(resigned((_, manifest) => {
      manifest.files.splice(1, 0, manifest.files[1]!);
    }), { signer: pin });
    expect(twice.problems).toEqual([{ where: 'manifest.json', message: "files are not sorted by name or repeat 'custody.json'." }]);
    const names = ['.', '..', '../outside.txt', 'back\\slash.txt', 'manifest.json.sig', 'sub/file.txt'];
    const odd = verifyExport(resigned((_, manifest) => {
      for (const name of names) manifest.files.push({ name, sha256: 'e'.repeat(64), bytes: 0 });
      manifest.files.sort((a, b) => (a.name < b.name ? -1 : 1));
    }), { signer: pin });
    expect(odd.problems).toEqual(names.map((where) => ({ where, message: 'The manifest lists a name that is not a plain data file in the export folder.' })));
    expect(odd.checked.files).toBe(5);
  });

  it('rejects custody.json that is not a custody file', () => {
    const dir = resigned((custody) => {
      custody.format = 'peregrine-custody/9';
    });
    expectRejected(verifyExport(dir, { signer: pin }), /^custody\.json$/, /^It is not a peregrine-custody\/1 file: .*"peregrine-custody\/1".*\.$/);
  });

  it('rejects custody.json with no entries: its chain ends nowhere', () => {
    const dir = resigned((custody) => {
      custody.entries = [];
    });
    const report = verifyExport(dir, { signer: pin });
    expect(report.problems).toEqual([{ where: 'custody.json', message: expect.stringMatching(/^The chain ends at \(empty\) but manifest\.json's custodyHead is [0-9a-f]{64}\.$/) }]);
    expect(report.checked.custody).toBe(0);
  });

  it('names custody.json removed with its manifest line once, without reading a file that is not listed', () => {
    const dir = path.join(tmp, `no-custody-${++copies}`);
    fs.cpSync(EXPORT_DIR, dir, { recursive: true });
    fs.rmSync(path.join(dir, 'custody.json'));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ManifestFile;
    manifest.files = manifest.files.filter((f) => f.name !== 'custody.json');
    const manifestBytes = Buffer.from(canonicalize(manifest));
    fs.writeFileSync(path.join(dir, 'manifest.json'), manifestBytes);
    for (const f of signatureFiles(manifestBytes, key(), { trustedComment: 'resigned' })) fs.writeFileSync(path.join(dir, f.name), f.content);
    const report = verifyExport(dir, { signer: pin });
    expect(report.problems).toEqual([
      { where: 'custody.json', message: 'manifest.json does not list custody.json, which every Peregrine export has: it was removed from the manifest after export.' },
    ]);
    expect(report.checked).toEqual({ evidence: 0, custody: 0, files: 4 });
  });

  it('names a manifest signed by another key that still names the original signer, and reports no signer', () => {
    const other = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'Someone else');
    const dir = path.join(tmp, `other-signer-${++copies}`);
    fs.cpSync(EXPORT_DIR, dir, { recursive: true });
    const manifestBytes = fs.readFileSync(path.join(dir, 'manifest.json'));
    for (const f of signatureFiles(manifestBytes, other, { trustedComment: 'other' })) fs.writeFileSync(path.join(dir, f.name), f.content);
    const report = verifyExport(dir);
    expect(report.problems).toEqual([{ where: 'signer.pub.pem', message: `Its key is ${other.fingerprint}, but manifest.json names signer ${FINGERPRINT}.` }]);
    expect(report.signer).toBeUndefined();
  });
});

describe('the committed export, its folder changed', () => {
  /** A copy of the export folder after `change`, verified. */
  function changed(change: (dir: string) => void): VerifyReport {
    const dir = path.join(tmp, `changed-${++copies}`);
    fs.cpSync(EXPORT_DIR, dir, { recursive: true });
    change(dir);
    return verifyExport(dir);
  }
  const at = (dir: string, name: string) => path.join(dir, name);

  it('rejects a folder without manifest.json, or with one that is not JSON or not a manifest', () => {
    const none = changed((d) => fs.rmSync(at(d, 'manifest.json')));
    expect(none.problems).toEqual([{ where: 'manifest.json', message: expect.stringMatching(/^There is no readable manifest\.json in changed-\d+: this is not a Peregrine export, or it is incomplete\.$/) }]);
    expect(none.chainHead).toBeNull();
    const notJson = changed((d) => fs.writeFileSync(at(d, 'manifest.json'), '{"caseId":'));
    expect(notJson.problems).toEqual([{ where: 'manifest.json', message: expect.stringMatching(/^It is not valid JSON \(/) }]);
    const notManifest = changed((d) => fs.writeFileSync(at(d, 'manifest.json'), '{"format":"peregrine-export/1"}'));
    expect(notManifest.problems).toEqual([{ where: 'manifest.json', message: expect.stringMatching(/^It is not a peregrine-export\/1 manifest: field '\w+': /) }]);
  });

  it('names a custody.json that is not JSON (besides its changed hash)', () => {
    const report = changed((d) => fs.writeFileSync(at(d, 'custody.json'), '{"format":'));
    expect(report.problems.map((p) => `${p.where}: ${p.message.replace(/[0-9a-f]{64}/g, 'H')}`)).toEqual([
      'custody.json: It is 10 bytes; manifest.json says 1895: the file was changed after export.',
      'custody.json: It is not valid JSON.',
    ]);
    expect(report.checked.custody).toBe(0);
  });

  it('names the nested field of a manifest that is not well formed', () => {
    const report = changed((d) => {
      const manifest = JSON.parse(fs.readFileSync(at(d, 'manifest.json'), 'utf8')) as { signer: { fingerprint: string } };
      manifest.signer.fingerprint = 'MD5:00';
      fs.writeFileSync(at(d, 'manifest.json'), canonicalize(manifest));
    });
    expect(report.problems).toEqual([{ where: 'manifest.json', message: expect.stringMatching(/^It is not a peregrine-export\/1 manifest: field 'signer\.fingerprint': .*"SHA256:".*\.$/) }]);
  });

  it('names custody.json listed but missing, which is then no custody file at all', () => {
    expect(changed((d) => fs.rmSync(at(d, 'custody.json'))).problems).toEqual([
      { where: 'custody.json', message: 'The file is listed in manifest.json but missing.' },
      { where: 'custody.json', message: 'It is not valid JSON.' },
    ]);
  });

  it('rejects a manifest re-serialised (not canonical), even with the same content', () => {
    const report = changed((d) => fs.writeFileSync(at(d, 'manifest.json'), JSON.stringify(JSON.parse(fs.readFileSync(at(d, 'manifest.json'), 'utf8')), null, 2)));
    expectRejected(report, /^manifest\.json$/, /^It is not RFC 8785 canonical JSON: it was edited or re-serialised after signing\.$/);
  });

  it('rejects a listed file that is missing, a folder in its place, a file cut short, and a file added', () => {
    expectRejected(changed((d) => fs.rmSync(at(d, 'timeline.csv'))), /^timeline\.csv$/, /^The file is listed in manifest\.json but missing\.$/);
    expectRejected(changed((d) => {
      fs.rmSync(at(d, 'timeline.csv'));
      fs.mkdirSync(at(d, 'timeline.csv'));
    }), /^timeline\.csv$/, /^It is not a regular file\.$/);
    const cut = changed((d) => fs.writeFileSync(at(d, 'findings.json'), fs.readFileSync(at(d, 'findings.json')).subarray(1)));
    expectRejected(cut, /^findings\.json$/, /^It is 127 bytes; manifest\.json says 128: the file was changed after export\.$/);
    expectRejected(changed((d) => fs.writeFileSync(at(d, 'notes.txt'), 'added')), /^notes\.txt$/, /^It is not listed in manifest\.json: something was added to the export after it was signed\.$/);
  });

  it('names each signature file that is missing', () => {
    const cases: [string, RegExp, RegExp][] = [
      ['signer.pub.pem', /^signer\.pub\.pem$/, /^The signer public key is missing: the signature cannot be checked\.$/],
      ['manifest.json.sig', /^manifest\.json\.sig$/, /^The signature is missing\.$/],
      ['manifest.json.minisig', /^manifest\.json\.minisig$/, /^The minisign file is missing\.$/],
      ['minisign.pub', /^minisign\.pub$/, /^The minisign file is missing\.$/],
      ['manifest.json.sshsig', /^manifest\.json\.sshsig$/, /^The OpenSSH signature file is missing\.$/],
      ['allowed_signers', /^allowed_signers$/, /^The OpenSSH signature file is missing\.$/],
    ];
    for (const [name, where, message] of cases) {
      const report = changed((d) => fs.rmSync(at(d, name)));
      expectRejected(report, where, message);
      // The signer is named only when the Ed25519 signature over the manifest verified with signer.pub.pem.
      if (name === 'signer.pub.pem' || name === 'manifest.json.sig') expect(report.signer, name).toBeUndefined();
      else expect(report.signer, name).toEqual({ identity: 'Known Answer (test only)', fingerprint: FINGERPRINT });
    }
  });

  it("names signer.pub.pem when it holds another key than the manifest's signer, or no Ed25519 key", () => {
    const otherPem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const other = changed((d) => fs.writeFileSync(at(d, 'signer.pub.pem'), otherPem));
    expectRejected(other, /^signer\.pub\.pem$/, new RegExp(`^Its key is SHA256:\\S+, but manifest\\.json names signer ${FINGERPRINT.replace(/[+/]/g, '\\$&')}\\.$`));
    expect(other.signer).toBeUndefined();
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rsaReport = changed((d) => fs.writeFileSync(at(d, 'signer.pub.pem'), rsa));
    expectRejected(rsaReport, /^signer\.pub\.pem$/, /^It is not an Ed25519 public key\.$/);
    expect(rsaReport.signer).toBeUndefined();
    // An EC key has an `x` in its JWK too: it is refused for its type, not read as a key with another fingerprint.
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(changed((d) => fs.writeFileSync(at(d, 'signer.pub.pem'), ec)).problems).toContainEqual({ where: 'signer.pub.pem', message: 'It is not an Ed25519 public key.' });
  });

  it('names the minisign and OpenSSH files when they carry another key than signer.pub.pem', () => {
    const other = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'Someone else');
    const manifestBytes = fs.readFileSync(path.join(EXPORT_DIR, 'manifest.json'));
    const theirs = new Map(signatureFiles(manifestBytes, other, { trustedComment: 'other' }).map((f) => [f.name, f.content]));
    const minisign = changed((d) => {
      fs.writeFileSync(at(d, 'manifest.json.minisig'), theirs.get('manifest.json.minisig')!);
      fs.writeFileSync(at(d, 'minisign.pub'), theirs.get('minisign.pub')!);
    });
    expect(minisign.problems).toEqual([{ where: 'minisign.pub', message: 'It holds a different key than signer.pub.pem.' }]);
    const ssh = changed((d) => fs.writeFileSync(at(d, 'manifest.json.sshsig'), theirs.get('manifest.json.sshsig')!));
    expect(ssh.problems).toEqual([{ where: 'manifest.json.sshsig', message: 'It was made with a different key than signer.pub.pem.' }]);
    const allowed = changed((d) => fs.writeFileSync(at(d, 'allowed_signers'), theirs.get('allowed_signers')!));
    expect(allowed.problems).toEqual([{ where: 'allowed_signers', message: 'It does not hold the key in signer.pub.pem.' }]);
    // The manifest's own signature still verifies: its signer is reported.
    expect(allowed.signer).toEqual({ identity: 'Known Answer (test only)', fingerprint: FINGERPRINT });
    expect(changed((d) => fs.writeFileSync(at(d, 'allowed_signers'), 'not an allowed_signers line\n')).problems)
      .toEqual([{ where: 'allowed_signers', message: 'It does not hold the key in signer.pub.pem.' }]);
  });
});

describe('the committed case file, rows changed with SQLite', () => {
  /** A copy changed as with the sqlite3 shell: guards dropped, SQL run, guards put back. */
  function tampered(sql: string): VerifyReport {
    const file = path.join(tmp, `tampered-${++copies}.peregrine`);
    fs.copyFileSync(CASE_FILE, file);
    withGuardsDropped(file, (db) => db.exec(sql));
    return verifyCaseFile(file);
  }
  const APPS = /^evidence row 2 \(graph\.applications, https:\/\/graph\.microsoft\.com\/v1\.0\/applications\)$/;

  it('names an evidence body that no longer decompresses', () => {
    expectRejected(tampered(`UPDATE evidence SET body_gz = X'00010203' WHERE id = 2`), APPS, /^The stored body does not decompress \(.*\): body_gz was changed or damaged after collection\.$/);
  });

  it('names an evidence row whose recorded size is not its body', () => {
    const report = tampered('UPDATE evidence SET size = size + 1 WHERE id = 2');
    expectRejected(report, APPS, /^The body is (\d+) bytes but the row records (\d+)\.$/);
    const [, actual, recorded] = /^The body is (\d+) bytes but the row records (\d+)\.$/.exec(report.problems.find((p) => APPS.test(p.where))!.message)!;
    expect(Number(recorded)).toBe(Number(actual) + 1);
  });

  it("names the first custody entry when its prev_hash is not the genesis hash", () => {
    expectRejected(tampered(`UPDATE custody SET prev_hash = '${'1'.repeat(64)}' WHERE seq = 1`), /^custody entry 1 \(case\.created\)$/,
      new RegExp(`^The first entry's prev_hash should be 64 zeros, not ${'1'.repeat(64)}: the start of the chain was removed or changed\\.$`));
  });

  it('names a custody entry whose details are not JSON', () => {
    const report = tampered(`PRAGMA ignore_check_constraints = ON; UPDATE custody SET details = '{"runId":' WHERE seq = 2`);
    // Its hash cannot be recomputed without its details: that is the one problem named for the entry.
    expect(report.problems.filter((p) => p.where === 'custody entry 2 (collection.started)')).toEqual([
      { where: 'custody entry 2 (collection.started)', message: 'details is not valid JSON: the entry was changed.' },
    ]);
  });

  it('names custody entries deleted from the middle and the link that no longer holds', () => {
    const report = tampered('DELETE FROM custody WHERE seq = 3');
    expectRejected(report, /^custody entry 4 \(export\.created\)$/, /^Entries 3–3 are missing: custody entries were deleted\.$/);
    expectRejected(report, /^custody entry 4 \(export\.created\)$/, /^prev_hash [0-9a-f]{64} does not match the hash of entry 2 \([0-9a-f]{64}\): entry 2 or this link was changed\.$/);
    expect(report.checked.custody).toBe(4);
  });

  it('names a missing case identity', () => {
    expectRejected(tampered('DELETE FROM case_meta'), /^case_meta$/, /^The case identity row is missing\.$/);
  });
});
