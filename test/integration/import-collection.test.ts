// A simulated tenant collected by the script `peregrine script collect` writes (its folder made from the simulator's
// answers in the script's shapes, zipped as Compress-Archive would) and imported into a fresh case: the same
// directory objects, Exchange configuration and logs as a live collection of the tenant, the same findings, and what
// the script could not read shown on its source. A folder changed after the script wrote it is refused naming the
// file, with the case file byte-identical.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createCase, openCase } from '../../main/case/case';
import { verifyCaseFile } from '../../main/case/verify';
import { closeDatabase } from '../../db/connection';
import { detect } from '../../main/detect/engine';
import { listSources } from '../../db/queries/sources';
import { importCollection, openCollection } from '../../main/import/collection';
import { ImportError } from '../../main/import/errors';
import { main as cli } from '../../main/cli';
import { capturedIo } from '../support/cli-io';
import { collectedForSuite } from '../support/collected-case';
import { folderEntries, writeCollectionFolder } from '../support/collection-folder';
import { writeZip } from '../support/zip-writer';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const fileHash = (file: string) => {
  expect(fs.existsSync(`${file}-wal`)).toBe(false);
  return sha256(fs.readFileSync(file));
};

const deps = { actor: 'Examiner', note: 'Folder handed over by the client admin', clock: () => new Date() };

function newCase(dir: string, name: string): string {
  const file = path.join(dir, `${name}.peregrine`);
  closeDatabase(createCase(file, { name, examiner: 'Examiner' }, { clock: () => new Date(), toolVersion: 'test' }).db);
  return file;
}

async function importInto(file: string, at: string) {
  const files = await openCollection(at);
  if (!files) throw new Error(`${at} was not told to be a collection folder`);
  const { db } = openCase(file, { keepJournalMode: true });
  try {
    return await importCollection(db, files, deps);
  } finally {
    closeDatabase(db);
  }
}

async function refusal(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
}

/** A finding as it compares across cases: the rule and what it is about. */
const key = (f: { ruleId: string; severity: string; subject: { type: string; id: string } }) => `${f.ruleId} ${f.subject.type}:${f.subject.id.toLowerCase()} ${f.severity}`;

const kinds = (db: Database, runId: string) =>
  Object.fromEntries((db.prepare('SELECT kind, count(*) AS n FROM tenant_object WHERE run_id = ? GROUP BY kind ORDER BY kind').all(runId) as { kind: string; n: number }[]).map((r) => [r.kind, r.n]));

describe('a collection folder from the script, imported', () => {
  const suite = collectedForSuite({ scenario: 'contoso', seed: 1 });

  it('stores the tenant as the live collection did, and detection finds the same', async () => {
    const { c } = suite;
    const work = fs.mkdtempSync(path.join(path.dirname(c.file), 'script-'));
    const { dir, manifest } = writeCollectionFolder(c.db, c.runId, path.join(work, 'peregrine-collection-20261207T100000Z'), {
      // Re-saved by Windows PowerShell 5.1: UTF-16LE with a BOM, times as \/Date(ms)\/.
      windowsPowerShell: ['exo.transportRules', 'exo.inboxRules', 'exo.mailboxes', 'exo.unifiedAuditLog'],
      incomplete: [{ source: 'graph.userRegistrationDetails', reason: 'page 2 of https://graph.microsoft.com/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=999 could not be read: Forbidden' }],
    });
    const sources = new Set(manifest.files.map((f) => f.source));
    for (const s of ['graph.applications', 'graph.servicePrincipals', 'graph.oauth2PermissionGrants', 'graph.appRoleAssignedTo', 'exo.inboundConnectors', 'exo.transportRules', 'exo.mailboxes', 'exo.inboxRules', 'exo.unifiedAuditLog', 'graph.signIns', 'graph.directoryAudits']) {
      expect(sources).toContain(s);
    }
    expect(fs.readFileSync(path.join(dir, 'exo.transportRules.json')).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
    for (const f of ['exo.transportRules.json', 'exo.unifiedAuditLog/page-0001.json']) expect(fs.readFileSync(path.join(dir, f)).subarray(2).toString('utf16le')).toMatch(/"\\\/Date\(\d+\)\\\/"/);
    // Zipped with the folder's name inside, as Compress-Archive -Path <folder> writes it.
    const zip = path.join(work, 'collection.zip');
    fs.writeFileSync(zip, writeZip(folderEntries(dir, `${path.basename(dir)}/`)));

    const file = newCase(work, 'imported');
    const result = await importInto(file, zip);
    expect(result.runId).not.toBeNull();
    expect(result.files.length).toBe(manifest.files.length);

    const { db } = openCase(file, { readonly: true });
    try {
      const runId = result.runId!;
      // Each file is one evidence page, hashed as the manifest says.
      const evidence = db.prepare('SELECT source, sha256 FROM evidence WHERE run_id = ? ORDER BY id').all(runId) as { source: string; sha256: string }[];
      expect(evidence.map((e) => e.sha256)).toEqual(manifest.files.map((f) => f.sha256));
      // The same objects, kind by kind, and the same applications, service principals and log records.
      expect(kinds(db, runId)).toEqual(kinds(c.db, c.runId));
      for (const table of ['application', 'service_principal', 'sign_in', 'directory_audit', 'ual_record']) {
        const ids = (d: Database, r: string) => d.prepare(`SELECT ${table === 'application' || table === 'service_principal' ? 'object_id' : 'id'} FROM ${table} WHERE run_id = ? ORDER BY 1`).pluck().all(r);
        const live = ids(c.db, c.runId);
        expect(live.length, table).toBeGreaterThan(0);
        expect(ids(db, runId), table).toEqual(live);
      }
      // Times written as \/Date(ms)\/ are stored as the same instants as the REST cmdlets' ISO ones.
      const changed = (d: Database, r: string) => (d.prepare(`SELECT raw FROM tenant_object WHERE run_id = ? AND kind = 'transportRule' ORDER BY object_id`).pluck().all(r) as string[])
        .map((raw) => Date.parse((JSON.parse(raw) as { WhenChanged: string }).WhenChanged));
      expect(changed(db, runId)).toEqual(changed(c.db, c.runId));
      expect(changed(db, runId).every((t) => Number.isFinite(t))).toBe(true);

      // What the script could not read is on its source, as a live collection's notices are.
      const reg = listSources(db, runId).find((s) => s.source === 'graph.userRegistrationDetails')!;
      expect(reg).toMatchObject({ state: 'done', truncated: true });
      expect(reg.notices).toEqual([{ kind: 'error', text: expect.stringContaining('could not be read: Forbidden') }]);
      expect(listSources(db, runId).filter((s) => s.truncated).map((s) => s.source)).toEqual(['graph.userRegistrationDetails']);
      expect(listSources(db, runId).find((s) => s.source === 'graph.signIns')).toMatchObject({ windowFrom: (manifest.window as { from: string }).from, windowTo: (manifest.window as { to: string }).to });

      // Detection over the imported case alone finds what it finds over the live collection.
      const live = suite.report.findings.map(key).sort();
      // Rules over the directory, the Exchange configuration and the logs, each with a finding to compare.
      const ruleIds = new Set(suite.report.findings.map((f) => f.ruleId));
      for (const id of [
        'app.credential-added', 'app.exchange-manage-as-app', 'consent.risky-user-consent', 'sp.high-risk-permission', 'sp.privileged-role',
        'exchange.suspicious-inbound-connector', 'exchange.header-stripping-rule', 'mail.external-forwarding', 'audit.mailbox-audit-bypass',
        'exchange.app-role-assignment', 'signin.credential-stuffing', 'signin.token-refresh-from-attacker', 'storyline.oauth-mail-abuse',
      ]) expect(ruleIds).toContain(id);
      const imported = detect(db).findings.map(key).sort();
      const gt = c.sim.groundTruth;
      expect(imported.filter((k) => k.includes(gt.maliciousApp.appId.toLowerCase()) || k.includes(gt.maliciousApp.servicePrincipalId.toLowerCase()) || k.includes(gt.maliciousApp.applicationObjectId.toLowerCase())).length).toBeGreaterThan(0);
      expect(imported.some((k) => k.startsWith('exchange.') && k.includes('inboundConnector'))).toBe(true);
      // One difference, and only one: a live collection records the engagement's own apps (the examiner's sign-in
      // names them) and detection rates their powers as information; the script's folder cannot say which apps are
      // the examiner's, so there they are rated as any other app's. Same rules, same subjects.
      const started = JSON.parse(c.db.prepare(`SELECT details FROM custody WHERE action = 'collection.started' AND json_extract(details, '$.runId') = ?`).pluck().get(c.runId) as string) as { engagementApps: string[] };
      const ownSps = new Set((c.db.prepare('SELECT object_id, app_id FROM service_principal WHERE run_id = ?').all(c.runId) as { object_id: string; app_id: string }[])
        .filter((sp) => started.engagementApps.includes(sp.app_id)).map((sp) => sp.object_id.toLowerCase()));
      expect(ownSps.size).toBeGreaterThan(0);
      const ofOwnApp = (k: string) => [...ownSps].some((id) => k.includes(`:${id} `));
      const onlyLive = live.filter((k) => !imported.includes(k));
      const onlyImported = imported.filter((k) => !live.includes(k));
      expect(onlyLive.every(ofOwnApp) && onlyImported.every(ofOwnApp)).toBe(true);
      expect(onlyLive.every((k) => k.endsWith(' info'))).toBe(true);
      const bare = (k: string) => k.replace(/ \w+$/, '');
      expect(onlyImported.map(bare).sort()).toEqual(onlyLive.map(bare).sort());
      expect(imported.filter((k) => !ofOwnApp(k))).toEqual(live.filter((k) => !ofOwnApp(k)));
    } finally {
      closeDatabase(db);
    }
    expect(verifyCaseFile(file, { deep: true }).problems).toEqual([]);

    // The same folder again (unzipped this time) is the same collection: refused, the case as it was.
    const before = fileHash(file);
    const again = await refusal(importInto(file, dir));
    expect(again).toMatchObject({ code: 'duplicate' });
    expect(fileHash(file)).toBe(before);
  }, 300_000);

  it('refuses a folder not as the script wrote it, naming the file, with the case byte-identical', async () => {
    const { c } = suite;
    const work = fs.mkdtempSync(path.join(path.dirname(c.file), 'tampered-'));
    const file = newCase(work, 'case');
    const before = fileHash(file);
    const fresh = (name: string) => writeCollectionFolder(c.db, c.runId, path.join(work, name)).dir;
    const refused = async (at: string) => {
      const err = await refusal(importInto(file, at));
      expect(fileHash(file)).toBe(before);
      return err;
    };

    // A byte changed in one file: its hash no longer matches.
    const changed = fresh('changed');
    const connectors = path.join(changed, 'exo.inboundConnectors.json');
    fs.writeFileSync(connectors, fs.readFileSync(connectors, 'utf8').replace('"Enabled": true', '"Enabled": false'));
    let err = await refused(changed);
    expect(err.file).toBe('changed/exo.inboundConnectors.json');
    expect(err.message).toMatch(/SHA-256 is [0-9a-f]{64}, but manifest\.json records/);

    // A file missing, and a file added.
    const missing = fresh('missing');
    fs.rmSync(path.join(missing, 'graph.applications', 'page-0001.json'));
    err = await refused(missing);
    expect(err.file).toBe('missing/graph.applications/page-0001.json');
    expect(err.message).toMatch(/listed in manifest\.json but missing/);
    const added = fresh('added');
    fs.writeFileSync(path.join(added, 'graph.applications', 'page-0002.json'), '{"value":[]}');
    err = await refused(added);
    expect(err.file).toBe('added/graph.applications/page-0002.json');
    expect(err.message).toMatch(/not listed in manifest\.json/);

    // Every hash matches, but the last file does not hold what the manifest says: refused while storing, after every
    // other file was written inside the import's transaction — rolled back whole.
    const late = writeCollectionFolder(c.db, c.runId, path.join(work, 'late'));
    const last = late.manifest.files.at(-1)!;
    last.records += 1;
    fs.writeFileSync(path.join(late.dir, 'manifest.json'), JSON.stringify(late.manifest, null, 2));
    err = await refused(late.dir);
    expect(err.file).toBe(`late/${last.path}`);
    expect(err.message).toMatch(new RegExp(`holds ${last.records - 1} records, but manifest\\.json records ${last.records}`));

    // A zip with an entry that climbs out of its folder.
    const good = fresh('good');
    const slip = path.join(work, 'slip.zip');
    fs.writeFileSync(slip, writeZip([...folderEntries(good, 'good/'), { name: 'good/../../evil.ps1', data: Buffer.from('Remove-Item -Recurse ~') }]));
    err = await refused(slip);
    expect(err.file).toBe('slip.zip:good/../../evil.ps1');
    expect(err.message).toMatch(/climbs out of the folder/);

    // A zip cut short (a copy that did not finish).
    const whole = writeZip(folderEntries(good, 'good/'));
    const cut = path.join(work, 'cut.zip');
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    err = await refused(cut);
    expect(err).toMatchObject({ code: 'truncated', file: 'cut.zip' });

    // An entry that inflates to more than it declares (a zip bomb's trick) is refused naming it.
    const bomb = path.join(work, 'bomb.zip');
    const entries = folderEntries(good, 'good/').map((e) => (e.name === 'good/exo.mailboxes.json' ? { ...e, declaredSize: 100 } : e));
    fs.writeFileSync(bomb, writeZip(entries));
    err = await refused(bomb);
    expect(err.file).toBe('bomb.zip:good/exo.mailboxes.json');
    expect(err.message).toMatch(/more than the 100 bytes it declares/);

    // Nothing of these attempts is in the case; through the CLI, a folder the script could not finish imports, and
    // `case info` shows what it could not read on its source.
    const handed = writeCollectionFolder(c.db, c.runId, path.join(work, 'handed'), { incomplete: [{ source: 'exo.unifiedAuditLog', reason: 'the search from 2026-11-20T00:00:00Z to 2026-11-21T00:00:00Z stalled 4 times (ResultIndex -1).' }] }).dir;
    // Naming the examiner's own apps, as a live collection records them: then every finding is the live one.
    const started = JSON.parse(c.db.prepare(`SELECT details FROM custody WHERE action = 'collection.started' AND json_extract(details, '$.runId') = ?`).pluck().get(c.runId) as string) as { engagementApps: string[] };
    expect(started.engagementApps.length).toBeGreaterThan(0);
    const dry = { ...capturedIo(), clock: () => new Date() };
    expect(await cli(['import', file, handed, '--dry-run'], dry)).toBe(0);
    expect(dry.stdout.at(-1)).toMatch(/^Dry run: every hash matches the manifest; [\d,]+ records from \d+ files .* nothing was written\.$/);
    expect(fileHash(file)).toBe(before);
    const io = { ...capturedIo(), clock: () => new Date() };
    expect(await cli(['import', file, handed, '--note', 'Zip from the client admin, by mail', ...started.engagementApps.flatMap((a) => ['--engagement-app', a])], io)).toBe(0);
    expect(io.stdout.at(-1)).toMatch(/^Imported [\d,]+ records from \d+ files of .+ as run [0-9a-f-]{36}; 1 source recorded as incomplete\.$/);
    const info = { ...capturedIo(), clock: () => new Date() };
    expect(await cli(['case', 'info', file], info)).toBe(0);
    const ual = info.stdout.findIndex((l) => /Unified Audit Log .*TRUNCATED/.test(l));
    expect(ual).toBeGreaterThan(-1);
    expect(info.stdout[ual + 1]).toMatch(/stalled 4 times/);
    const { db } = openCase(file, { readonly: true });
    try {
      expect(detect(db).findings.map(key).sort()).toEqual(suite.report.findings.map(key).sort());
    } finally {
      closeDatabase(db);
    }
  }, 300_000);
});
