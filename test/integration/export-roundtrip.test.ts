// Vitest (plain Node): a signed export round-trip: the real openssl/minisign/ssh-keygen accept it, verifyExport names tampering.
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { listCustody } from '../../db/queries/custody';
import { insertApplications, insertOrganization, insertServicePrincipals } from '../../db/queries/directory';
import { insertEvidence } from '../../db/queries/evidence';
import { applyWrite } from '../../main/collect/writes';
import { createCase } from '../../main/case/case';
import { verifyExport } from '../../main/case/verify';
import { checkCheckpoints } from '../../main/case/checkpoints';
import { allowedSigners, signatureFiles } from '../../main/sign/formats';
import { type ExaminerKey, examinerKeyFrom, loadOrCreateExaminerKey } from '../../main/sign/keys';
import { parseSignerPin } from '../../main/sign/pin';
import type { Manifest } from '../../main/timeline/manifest';
import { exportCase, ExportError } from '../../main/timeline/export';
import { TIMELINE_COLUMNS } from '../../main/timeline/events';
import { onPath, prerequisite, type Need } from '../support/prerequisites';
import { itNeeds } from '../support/vitest-prerequisites';

const shell: Need = { what: 'a POSIX shell', present: process.platform !== 'win32' && onPath('sh', ['-c', 'true']).present };
const needs = {
  openssl: prerequisite([shell, onPath('openssl')]),
  minisign: prerequisite([shell, onPath('minisign')]),
  sshKeygen: prerequisite([shell, onPath('ssh-keygen')]),
  jq: prerequisite([shell, onPath('jq', ['--version']), onPath('sha256sum', ['--version'])]),
  allTools: prerequisite([shell, onPath('openssl'), onPath('minisign'), onPath('ssh-keygen')]),
};

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const sh = (cwd: string, command: string) => spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8' });

let root: string;
let db: Database;
let signer: ExaminerKey;
let tick = 0;
/** Each call one minute later: custody times stay distinct and ordered without sleeping. */
const clock = () => new Date(Date.UTC(2024, 4, 2, 9, tick++));

const ATTACK_APP_ID = 'aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
const FORMULA_NAME = '=HYPERLINK("https://evil.example","Mail Sync")';

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-export-'));
  signer = loadOrCreateExaminerKey(path.join(root, 'keys'), 'Jane Doe', { passphrase: () => 'correct horse battery' });
  db = createCase(path.join(root, 'contoso.peregrine'), { name: 'Contoso BEC', examiner: 'Jane Doe', client: 'Contoso' }, { clock, toolVersion: '0.1.0' }).db;

  const runId = randomUUID();
  // The collector's own writes: the run and its custody entries agree, as verify (run before every export) checks.
  applyWrite(db, { op: 'start', runId, at: clock().toISOString(), environment: 'contoso', tenantId: 'tid', account: 'ir@contoso.example', actor: 'Jane Doe', plan: [], window: null }, () => undefined);
  const page = (source: string, value: unknown[]) =>
    insertEvidence(db, {
      runId, source, method: 'GET', url: `https://graph.microsoft.com/v1.0/${source.slice('graph.'.length)}`, status: 200,
      contentType: 'application/json', collectedAt: clock().toISOString(), body: Buffer.from(JSON.stringify({ value })),
    }).id;
  const org = [{ id: 'tid', displayName: 'Contoso', verifiedDomains: [{ name: 'contoso.com', isDefault: true }] }];
  insertOrganization(db, runId, page('graph.organization', org), org);
  const apps = [
    {
      id: 'obj-attack', appId: ATTACK_APP_ID, displayName: FORMULA_NAME, signInAudience: 'AzureADMultipleOrgs', createdDateTime: '2024-04-28T02:13:44Z',
      passwordCredentials: [{ keyId: 'k1', displayName: 'sync', hint: 'abc', startDateTime: '2024-04-28T02:15:00Z', endDateTime: '2026-04-28T02:15:00Z' }],
      keyCredentials: [{ keyId: 'k2', type: 'AsymmetricX509Cert', usage: 'Verify', startDateTime: '2024-04-29T00:00:00.1234567Z', key: 'MIIB' }],
    },
    { id: 'obj-benign', appId: 'bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb', displayName: 'HR Portal, "v2"', createdDateTime: '2021-01-05T08:00:00Z' },
  ];
  insertApplications(db, runId, page('graph.applications', apps), apps);
  const sps = [{ id: 'sp-attack', appId: ATTACK_APP_ID, displayName: 'Mail Sync', appOwnerOrganizationId: 'evil-tenant', createdDateTime: '2024-04-28T02:20:00Z' }];
  insertServicePrincipals(db, runId, page('graph.servicePrincipals', sps), sps);
  applyWrite(db, { op: 'finish', runId, state: 'done', at: clock().toISOString(), error: null, actor: 'Jane Doe', entities: [] }, () => undefined);
});
afterAll(() => {
  closeDatabase(db);
  fs.rmSync(root, { recursive: true, force: true });
});

const findings = [{ ruleId: 'multi-tenant-app-with-secret', severity: 'high', appId: ATTACK_APP_ID }];

describe('exportCase', () => {
  let out: string;
  let result: ReturnType<typeof exportCase>;
  /** Runs the command VERIFY.txt gives that starts with `prefix`, in the export folder, checking VERIFY.txt gives it. */
  const runVerifyTxtCommand = (prefix: string) => {
    const command = result.verifyCommands.find((c) => c.startsWith(prefix))!;
    expect(fs.readFileSync(path.join(out, 'VERIFY.txt'), 'utf8')).toContain(command);
    return sh(out, command);
  };
  let headBefore: string;

  beforeAll(() => {
    headBefore = listCustody(db).at(-1)!.hash;
    out = path.join(root, 'export-1');
    result = exportCase(db, out, { signer, clock, toolVersion: '0.1.0', findings });
  });

  it('writes exactly the data files, the manifest and the signature files', () => {
    expect(fs.readdirSync(out).sort()).toEqual([
      'VERIFY.txt', 'allowed_signers', 'custody.json', 'findings.json', 'manifest.json', 'manifest.json.minisig', 'manifest.json.sig',
      'manifest.json.sshsig', 'minisign.pub', 'signer.pub.pem', 'timeline.csv', 'timeline.jsonl',
    ]);
    expect(fs.readdirSync(root).filter((n) => n.includes('partial'))).toEqual([]);
    expect(result.folderName).toBe('export-1');
    expect(result.signerFingerprint).toBe(signer.fingerprint);
    expect(result.custodyHead).toBe(headBefore);
    expect(result.files.map((f) => f.name)).toEqual(['VERIFY.txt', 'custody.json', 'findings.json', 'timeline.csv', 'timeline.jsonl']);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'findings.json'), 'utf8'))).toEqual(findings);
  });

  it('signs a canonical manifest naming case, custody head, signer and every file', () => {
    const text = fs.readFileSync(path.join(out, 'manifest.json'), 'utf8');
    const manifest = JSON.parse(text) as Record<string, unknown>;
    expect(canonicalize(manifest)).toBe(text);
    expect(manifest).toMatchObject({
      format: 'peregrine-export/1', caseName: 'Contoso BEC', toolVersion: '0.1.0', custodyHead: headBefore,
      signer: { fingerprint: signer.fingerprint, identity: 'Jane Doe', algorithm: 'Ed25519' },
      files: result.files,
    });
    for (const f of result.files) {
      const bytes = fs.readFileSync(path.join(out, f.name));
      expect({ sha256: sha256(bytes), bytes: bytes.length }).toEqual({ sha256: f.sha256, bytes: f.bytes });
    }
  });

  it('records export.created after the signed head, naming the folder and manifest hash', () => {
    const last = listCustody(db).at(-1)!;
    expect(last).toMatchObject({ action: 'export.created', actor: 'Jane Doe', prevHash: headBefore });
    expect(last.details).toMatchObject({ folder: 'export-1', manifestSha256: sha256(fs.readFileSync(path.join(out, 'manifest.json'))) });
    expect(fs.readFileSync(path.join(out, 'VERIFY.txt'), 'utf8')).toMatch(/BEFORE this export/);
  });

  it('writes a Timesketch timeline, oldest first, with custody entries as events', () => {
    const events = fs.readFileSync(path.join(out, 'timeline.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) {
      expect(Object.keys(e)).toEqual([...TIMELINE_COLUMNS]);
      expect(e.datetime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const datetimes = events.map((e) => e.datetime as string);
    expect([...datetimes].sort()).toEqual(datetimes);
    expect(events.map((e) => `${String(e.source)} ${String(e.operation)}`)).toEqual([
      'object Application created', // benign, 2021
      'object Application created',
      'object Client secret added',
      'object Service principal created',
      'object Certificate added',
      'custody case.created',
      'custody collection.started',
      'custody collection.finished',
    ]);
    const secret = events[2]!;
    expect(secret).toMatchObject({
      datetime: '2024-04-28T02:15:00.000Z', timestamp: 1714270500000000, timestamp_desc: 'Credential Valid From', source: 'object',
      record_id: 'application:obj-attack:password:k1', target_id: 'obj-attack', actor_app_id: ATTACK_APP_ID, evidence_id: 2, findings: [],
    });
    expect(secret.evidence_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(events.at(-1)).toMatchObject({ source: 'custody', record_id: '3', custody_seq: 3, timestamp_desc: 'Custody Entry', actor: 'Jane Doe' });
    expect(events.at(-1)!.custody_hash).toBe(listCustody(db)[2]!.hash);
  });

  it('writes an RFC 4180 CSV with a UTF-8 BOM that a spreadsheet will not run as formulas', () => {
    const bytes = fs.readFileSync(path.join(out, 'timeline.csv'));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString('utf8').slice(1);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('message,datetime,timestamp,timestamp_desc,source,record_id,operation,result,actor,actor_app_id,ip,target_type,target_id,target_name,findings,evidence_id,evidence_sha256,custody_seq,custody_hash');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(8 + 2);
    expect(csv).toContain(`,"'=HYPERLINK(""https://evil.example"",""Mail Sync"")",`);
    expect(csv).toContain(',"HR Portal, ""v2""",');
    expect(csv).not.toMatch(/(^|,)[=+\-@]/m);
  });

  it('passes verifyExport, including the custody chain up to the signed head', () => {
    expect(verifyExport(out)).toEqual({
      ok: true, kind: 'export', checked: { evidence: 0, custody: 3, files: 5 }, chainHead: headBefore, problems: [],
      signer: { identity: 'Jane Doe', fingerprint: signer.fingerprint },
    });
    expect(verifyExport(out, { signer: parseSignerPin(signer.fingerprint) }).ok).toBe(true);
    expect(verifyExport(out, { signer: parseSignerPin(path.join(out, 'allowed_signers')) }).ok).toBe(true);
  });

  it('signs a checkpoint over the custody chain up to the head the manifest names, which export.created names', () => {
    const anchor = checkCheckpoints(db, (where, message) => expect.fail(`${where}: ${message}`));
    expect(anchor).toMatchObject({ through: 3, of: 4, checkpoints: 1, signer: { identity: 'Jane Doe', fingerprint: signer.fingerprint } });
    expect(listCustody(db).at(-1)!.details).toMatchObject({ checkpointThrough: 3 });
  });

  itNeeds(needs.jq)(`the unlisted-file recipe prints nothing for the export as written`, () => {
    const r = runVerifyTxtCommand('ls -A');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
  });

  itNeeds(needs.openssl)(`openssl accepts it with the command from VERIFY.txt`, () => {
    const r = runVerifyTxtCommand('openssl');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Signature Verified Successfully');
  });

  itNeeds(needs.minisign)(`minisign accepts it with the command from VERIFY.txt`, () => {
    const r = runVerifyTxtCommand('minisign');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Signature and comment signature verified');
    expect(r.stdout).toContain(`custodyHead:${headBefore}`);
  });

  itNeeds(needs.sshKeygen)(`ssh-keygen accepts it with the command from VERIFY.txt`, () => {
    const r = runVerifyTxtCommand('ssh-keygen');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Good "peregrine-export" signature for Jane Doe with ED25519 key ${signer.fingerprint}`);
  });

  itNeeds(needs.jq)(`jq | sha256sum -c checks every file against the manifest`, () => {
    const r = sh(out, result.verifyCommands.find((c) => c.startsWith('jq'))!);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('refuses a folder that is not empty', () => {
    expect(() => exportCase(db, out, { signer, clock, toolVersion: '0.1.0', findings })).toThrow(ExportError);
    expect(() => exportCase(db, out, { signer, clock, toolVersion: '0.1.0', findings })).toThrow(/export-1 already exists and is not an empty folder/);
  });
});

describe('a tampered export', () => {
  let out: string;
  let result: ReturnType<typeof exportCase>;
  beforeAll(() => {
    out = path.join(root, 'export-tampered');
    fs.mkdirSync(out); // an existing empty folder is accepted
    result = exportCase(db, out, { signer, clock, toolVersion: '0.1.0', findings });
    const file = path.join(out, 'timeline.jsonl');
    const bytes = fs.readFileSync(file);
    bytes[100]! ^= 0x20;
    fs.writeFileSync(file, bytes);
  });

  it('fails verifyExport naming timeline.jsonl first', () => {
    const report = verifyExport(out);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toEqual({ where: 'timeline.jsonl', message: expect.stringMatching(/sha256 is [0-9a-f]{64}; manifest\.json says [0-9a-f]{64}: the file was changed after export/) });
  });

  itNeeds(needs.openssl)(`while openssl still accepts the signature over manifest.json`, () => {
    const r = sh(out, result.verifyCommands.find((c) => c.startsWith('openssl'))!);
    expect(r.status, r.stderr).toBe(0);
  });

  itNeeds(needs.jq)(`and the manifest hash check catches it`, () => {
    const r = sh(out, result.verifyCommands.find((c) => c.startsWith('jq'))!);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/timeline\.jsonl: FAILED/);
  });

  it('names an added file, and a re-serialised manifest with its broken signature', () => {
    const copy = path.join(root, 'export-tampered-2');
    fs.cpSync(out, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'extra.txt'), 'added later');
    const manifestFile = path.join(copy, 'manifest.json');
    fs.writeFileSync(manifestFile, JSON.stringify(JSON.parse(fs.readFileSync(manifestFile, 'utf8')), null, 2));
    const wheres = verifyExport(copy).problems.map((p) => p.where);
    expect(wheres[0]).toBe('manifest.json');
    expect(wheres).toContain('extra.txt');
    expect(wheres).toContain('manifest.json.sig');
    expect(wheres).toContain('manifest.json.minisig');
    expect(wheres).toContain('manifest.json.sshsig');
  });

  itNeeds(needs.jq)(`the unlisted-file recipe names a file added to the folder`, () => {
    const copy = path.join(root, 'export-tampered-3');
    fs.cpSync(out, copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'README-first.txt'), 'added later');
    const r = sh(copy, result.verifyCommands.find((c) => c.startsWith('ls -A'))!);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('not in manifest.json: README-first.txt\n');
  });
});

/**
 * What a holder without the examiner's key can do: edit a file, re-hash it into the manifest and re-sign everything
 * with a key of their own (VERIFY.txt rewritten too, unless `keepVerifyTxt`). `edit` changes the folder first.
 */
function resignWithFreshKey(dir: string, opts: { edit: (dir: string) => void; keepVerifyTxt?: boolean }): ExaminerKey {
  const fresh = examinerKeyFrom(generateKeyPairSync('ed25519').privateKey, 'Jane Doe');
  opts.edit(dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  if (!opts.keepVerifyTxt) {
    const file = path.join(dir, 'VERIFY.txt');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replaceAll(manifest.signer.fingerprint, fresh.fingerprint));
  }
  manifest.signer = { ...manifest.signer, fingerprint: fresh.fingerprint };
  manifest.files = manifest.files
    .filter((f) => fs.existsSync(path.join(dir, f.name)))
    .map((f) => {
      const bytes = fs.readFileSync(path.join(dir, f.name));
      return { name: f.name, sha256: sha256(bytes), bytes: bytes.length };
    });
  const bytes = Buffer.from(canonicalize(manifest), 'utf8');
  fs.writeFileSync(path.join(dir, 'manifest.json'), bytes);
  for (const sig of signatureFiles(bytes, fresh, { trustedComment: 'peregrine-export' })) fs.writeFileSync(path.join(dir, sig.name), sig.content);
  return fresh;
}

describe('an export re-signed with another key', () => {
  let out: string;
  let result: ReturnType<typeof exportCase>;
  let fresh: ExaminerKey;
  beforeAll(() => {
    out = path.join(root, 'export-resigned');
    result = exportCase(db, out, { signer, clock, toolVersion: '0.1.0', findings });
    fresh = resignWithFreshKey(out, {
      edit: (dir) => fs.writeFileSync(path.join(dir, 'findings.json'), `${JSON.stringify([{ ...findings[0], severity: 'info' }], null, 2)}\n`),
    });
  });

  it('passes the signature and hash checks, and the report names the other key', () => {
    const report = verifyExport(out);
    expect(report.problems).toEqual([]);
    expect(report.signer).toEqual({ identity: 'Jane Doe', fingerprint: fresh.fingerprint });
    expect(fresh.fingerprint).not.toBe(signer.fingerprint);
  });

  it("fails with --signer pinned to the examiner's fingerprint, naming both keys", () => {
    const report = verifyExport(out, { signer: parseSignerPin(signer.fingerprint) });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { where: 'manifest.json.sig', message: `manifest.json is signed by Jane Doe ${fresh.fingerprint}, not by the pinned key ${signer.fingerprint} (from ${signer.fingerprint}).` },
    ]);
  });

  it("fails with --signer pinned by the examiner's public key file or allowed_signers", () => {
    const keys = path.join(root, 'examiner-keys');
    fs.mkdirSync(keys, { recursive: true });
    fs.writeFileSync(path.join(keys, 'signer.pub.pem'), signer.publicKeyPem);
    fs.writeFileSync(path.join(keys, 'allowed_signers'), allowedSigners(signer, 'peregrine-export'));
    for (const pinFile of ['signer.pub.pem', 'allowed_signers']) {
      const report = verifyExport(out, { signer: parseSignerPin(path.join(keys, pinFile)) });
      expect(report.problems.map((p) => p.where)).toEqual(['manifest.json.sig']);
    }
  });

  itNeeds(needs.allTools)(`while openssl, minisign and ssh-keygen all accept the new signature`, () => {
    for (const command of result.verifyCommands.slice(0, 3)) {
      const r = sh(out, command);
      expect(r.status, `${command}\n${r.stderr}`).toBe(0);
    }
  });

  it('flags a VERIFY.txt that names another key than the signed manifest', () => {
    const copy = path.join(root, 'export-resigned-verifytxt');
    exportCase(db, copy, { signer, clock, toolVersion: '0.1.0', findings });
    const other = resignWithFreshKey(copy, { edit: () => undefined, keepVerifyTxt: true });
    expect(verifyExport(copy).problems).toEqual([
      { where: 'VERIFY.txt', message: expect.stringContaining(`It names signer key ${signer.fingerprint}, but manifest.json was signed by ${other.fingerprint}`) },
    ]);
  });

  it('fails when custody.json was dropped from the manifest and the folder', () => {
    const copy = path.join(root, 'export-no-custody');
    exportCase(db, copy, { signer, clock, toolVersion: '0.1.0', findings });
    resignWithFreshKey(copy, { edit: (dir) => fs.rmSync(path.join(dir, 'custody.json')) });
    expect(verifyExport(copy).problems).toEqual([
      { where: 'custody.json', message: 'manifest.json does not list custody.json, which every Peregrine export has: it was removed from the manifest after export.' },
    ]);
  });

  it('fails on a listed file that is missing', () => {
    const copy = path.join(root, 'export-missing-file');
    exportCase(db, copy, { signer, clock, toolVersion: '0.1.0', findings });
    fs.rmSync(path.join(copy, 'timeline.csv'));
    expect(verifyExport(copy).problems).toEqual([{ where: 'timeline.csv', message: 'The file is listed in manifest.json but missing.' }]);
  });
});

describe('a failed export', () => {
  it('leaves no folder, no partial folder and no custody entry', () => {
    const before = listCustody(db).length;
    // X25519 cannot sign: signing fails after every data file has been written.
    const broken: ExaminerKey = { ...signer, privateKey: generateKeyPairSync('x25519').privateKey };
    const out = path.join(root, 'export-failed');
    expect(() => exportCase(db, out, { signer: broken, clock, toolVersion: '0.1.0', findings })).toThrow();
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(root).filter((n) => n.includes('export-failed'))).toEqual([]);
    expect(listCustody(db)).toHaveLength(before);
  });

  it('refuses a clashing extra file name before writing anything', () => {
    const out = path.join(root, 'export-extra');
    expect(() => exportCase(db, out, { signer, clock, toolVersion: '0.1.0', findings, extraFiles: [{ name: 'manifest.json', content: 'x' }] })).toThrow(/plain, unused file name/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
