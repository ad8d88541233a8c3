// A scoped export: the timeline cut by the timeline's own filters, the scope stated in the signed manifest, VERIFY.txt,
// the report and the custody entry; bad scopes refused before anything is written; `peregrine export` and `verify` say it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalize } from 'json-canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { listCustody } from '../../db/queries/custody';
import { sha256Hex } from '../../db/queries/evidence';
import { openCase } from '../../main/case/case';
import { verifyExport } from '../../main/case/verify';
import { main as cli } from '../../main/cli';
import { detect } from '../../main/detect/engine';
import { signatureFiles } from '../../main/sign/formats';
import { type ExaminerKey, loadOrCreateExaminerKey } from '../../main/sign/keys';
import { exportCase, ExportError } from '../../main/timeline/export';
import type { Manifest } from '../../main/timeline/manifest';
import { refreshTimeline } from '../../main/timeline/model';
import { timelineCount } from '../../main/timeline/query';
import { capturedIo } from '../support/cli-io';
import { collectedCase, type CollectedCase } from '../support/collected-case';

let c: CollectedCase;
let dir: string;
let signer: ExaminerKey;
const clock = () => new Date('2026-11-26T10:00:00Z');

beforeAll(async () => {
  c = await collectedCase({ scenario: 'contoso', seed: 3, eventsPerUserPerDay: 0.25, inboxRuleMailboxes: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-export-scope-'));
  signer = loadOrCreateExaminerKey(path.join(dir, 'keys'), 'Examiner', { passphrase: () => 'correct horse battery' });
  refreshTimeline(c.db);
}, 300_000);

afterAll(async () => {
  delete process.env.PEREGRINE_SIGNING_PASSPHRASE;
  delete process.env.PEREGRINE_HOME;
  await c?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const lines = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { datetime: string; source: string });

describe('a scoped export', () => {
  let out: string;
  let from: string;
  let to: string;
  let expected: number;
  let total: number;

  beforeAll(() => {
    // The attack's sign-ins: a window around the attacker's first sign-in, sign-ins only.
    const attack = c.db.prepare("SELECT min(at) FROM timeline WHERE source = 'signin' AND ip = ?").pluck().get(c.sim.groundTruth.attackerIp) as string;
    from = new Date(Date.parse(attack) - 86_400_000).toISOString();
    to = new Date(Date.parse(attack) + 3 * 86_400_000).toISOString();
    expected = timelineCount(c.db, { from, to, sources: ['signin'] });
    total = timelineCount(c.db);
    out = path.join(dir, 'scoped');
    const report = detect(c.db);
    exportCase(c.db, out, { signer, clock, toolVersion: 'test', findings: report.findings, detection: report, scope: { from, to, sources: ['signin'], supporting: false } });
  }, 120_000);

  it('holds exactly the events the filters keep, and says how many of the case it is', () => {
    expect(expected).toBeGreaterThan(10);
    expect(expected).toBeLessThan(total / 2);
    const events = lines(path.join(out, 'timeline.jsonl'));
    expect(events).toHaveLength(expected);
    expect(events.every((e) => e.source === 'signin' && e.datetime >= from && e.datetime < to)).toBe(true);
    // timeline.csv: the header and the same events.
    expect(fs.readFileSync(path.join(out, 'timeline.csv'), 'utf8').trimEnd().split('\r\n')).toHaveLength(expected + 1);
  });

  it('states the scope in the signed manifest, VERIFY.txt, the report and the custody entry', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    // `supporting: false` narrows nothing, so it is not part of the stated scope.
    expect(manifest.scope).toEqual({ filter: { from, to, sources: ['signin'] }, events: expected, caseEvents: expect.any(Number) as number });
    expect(manifest.scope!.caseEvents).toBeGreaterThanOrEqual(total);
    const verifyTxt = fs.readFileSync(path.join(out, 'VERIFY.txt'), 'utf8');
    expect(verifyTxt).toContain(`Scope:      PART of the case's timeline: from ${from}; to ${to}; sources signin.`);
    expect(verifyTxt).toContain(`hold ${expected} of the case's ${manifest.scope!.caseEvents} events`);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('data-scope="part"');
    expect(html).toContain(`${expected.toLocaleString('en')} of ${manifest.scope!.caseEvents.toLocaleString('en')} events`);
    expect(html).not.toContain('each record is in timeline.jsonl');
    const entry = listCustody(c.db).at(-1)!;
    expect(entry).toMatchObject({ action: 'export.created', details: { folder: 'scoped', scope: `from ${from}; to ${to}; sources signin`, events: expected } });
  });

  it('verifies, and a re-signed manifest whose count disagrees with timeline.jsonl is named', () => {
    const report = verifyExport(out);
    expect(report.problems).toEqual([]);
    expect(report.scope).toMatchObject({ events: expected });

    // A holder with the key drops an event and fixes the file's hash, but not the stated count.
    const copy = path.join(dir, 'scoped-cut');
    fs.cpSync(out, copy, { recursive: true });
    const jsonlFile = path.join(copy, 'timeline.jsonl');
    const kept = fs.readFileSync(jsonlFile, 'utf8').trimEnd().split('\n').slice(1);
    fs.writeFileSync(jsonlFile, `${kept.join('\n')}\n`);
    const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'manifest.json'), 'utf8')) as Manifest;
    const bytes = fs.readFileSync(jsonlFile);
    manifest.files = manifest.files.map((f) => (f.name === 'timeline.jsonl' ? { ...f, sha256: sha256Hex(bytes), bytes: bytes.length } : f));
    const manifestBytes = Buffer.from(canonicalize(manifest), 'utf8');
    fs.writeFileSync(path.join(copy, 'manifest.json'), manifestBytes);
    for (const sig of signatureFiles(manifestBytes, signer, { trustedComment: 'resigned' })) fs.writeFileSync(path.join(copy, sig.name), sig.content);
    const cut = verifyExport(copy);
    expect(cut.ok).toBe(false);
    expect(cut.problems).toContainEqual({ where: 'timeline.jsonl', message: `It holds ${expected - 1} events; manifest.json's scope says ${expected}.` });
  });

  it('an export with no narrowing filter is the whole timeline, with no scope in its manifest', () => {
    const whole = path.join(dir, 'whole');
    exportCase(c.db, whole, { signer, clock, toolVersion: 'test', findings: [], scope: { supporting: false, sources: [] } });
    const manifest = JSON.parse(fs.readFileSync(path.join(whole, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.scope).toBeUndefined();
    expect(lines(path.join(whole, 'timeline.jsonl')).length).toBeGreaterThanOrEqual(total);
    expect(fs.readFileSync(path.join(whole, 'VERIFY.txt'), 'utf8')).not.toContain('Scope:');
  });

  it('refuses a bad scope before writing anything, naming the filter', () => {
    const entries = listCustody(c.db).length;
    const cases: [Parameters<typeof exportCase>[2]['scope'], RegExp][] = [
      [{ from: 'last tuesday' }, /scope is refused: from: 'last tuesday' is not a time/],
      [{ sources: ['signin', 'mail'] }, /scope is refused: source: 'mail' is not a timeline source; give one or more of signin, directory_audit/],
      [{ from: '2024-05-02', to: '2024-05-01' }, /scope is refused: to: 2024-05-01T00:00:00.000Z is not after from/],
      [{ search: '--' }, /scope is refused: search: '--' has no words/],
    ];
    for (const [scope, message] of cases) {
      const target = path.join(dir, 'refused');
      let thrown: unknown;
      try {
        exportCase(c.db, target, { signer, clock, toolVersion: 'test', findings: [], scope });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ExportError);
      expect((thrown as ExportError).code).toBe('invalid_input');
      expect((thrown as Error).message).toMatch(message);
      expect(fs.existsSync(target)).toBe(false);
      expect(fs.readdirSync(dir).filter((n) => n.includes('partial'))).toEqual([]);
    }
    expect(listCustody(c.db)).toHaveLength(entries);
  });
});

describe('peregrine export with timeline filters', () => {
  it('exports the part, says so, and verify says it again; a bad filter is a usage error naming the option', async () => {
    c.db.pragma('wal_checkpoint(TRUNCATE)');
    const file = path.join(dir, 'cli.peregrine');
    fs.copyFileSync(c.file, file);
    process.env.PEREGRINE_HOME = path.join(dir, 'home');
    process.env.PEREGRINE_SIGNING_PASSPHRASE = 'integration test passphrase';
    const io = capturedIo();
    const out = path.join(dir, 'cli-export');
    const code = await cli(['export', file, '--out', out, '--no-pdf', '--source', 'directory_audit,ual', '--from', '2000-01-01'], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    const { db } = openCase(file, { readonly: true });
    let expected: number;
    try {
      expected = timelineCount(db, { sources: ['directory_audit', 'ual'], from: '2000-01-01' });
    } finally {
      closeDatabase(db);
    }
    expect(io.stdout.join('\n')).toMatch(new RegExp(`^Scoped: the timeline holds ${expected} of the case's \\d+ events \\(from 2000-01-01T00:00:00.000Z; sources directory_audit, ual\\)`, 'm'));
    expect(await cli(['verify', out], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(new RegExp(`^Scoped export: its timeline holds ${expected} of the case's \\d+ events`, 'm'));

    const bad = capturedIo();
    await expect(cli(['export', file, '--out', path.join(dir, 'cli-bad'), '--no-pdf', '--to', 'soon'], bad)).resolves.not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/--to: 'soon' is not a time/);
    expect(fs.existsSync(path.join(dir, 'cli-bad'))).toBe(false);
  });
});
