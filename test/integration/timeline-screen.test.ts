// Vitest (plain Node): the Timeline's channels through dispatch on a real simulator collection — keyset pages both ways, counts and the histogram agreeing, bad input named, raw records with their evidence hash, pins as custody entries checked by verify, and report.html in the signed export.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { verifyCaseFile, verifyExport } from '../../main/case/verify';
import { parseSignerPin } from '../../main/sign/pin';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import type {
  CaseSummary, DetectionReport, ExportResult, Result, TimelineBucketView, TimelineOverview, TimelinePageView, TimelinePinView, TimelineRecordView, TimelineRowView,
} from '../../preload/contract';
import { collectedCase } from '../support/collected-case';
import { sha256Hex } from '../../db/queries/evidence';
import { main } from '../../main/cli';
import { findChromium } from '../../main/timeline/pdf';
import { capturedIo } from '../support/cli-io';

let dir: string;
let wb: Workbench;
let caseFile: string;
const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(wb.handlers, channel, input)) as Result<T>;
async function value<T>(channel: string, input: unknown = {}): Promise<T> {
  const r = await call<T>(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-timeline-screen-'));
  const c = await collectedCase({ scenario: 'contoso', seed: 21, eventsPerUserPerDay: 0.25, inboxRuleMailboxes: 2 });
  const casesDir = path.join(dir, 'cases');
  fs.mkdirSync(casesDir, { recursive: true });
  caseFile = path.join(casesDir, 'contoso.peregrine');
  try {
    c.db.prepare('VACUUM INTO ?').run(caseFile);
  } finally {
    await c.dispose();
  }
  const { db, summary } = openCase(caseFile);
  closeDatabase(db);
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(path.join(home, 'recent-cases.json'), JSON.stringify([{ caseId: summary.caseId, name: summary.name, fileName: summary.fileName, lastOpenedAt: new Date().toISOString(), file: caseFile }]));
  wb = createWorkbench({
    host: 'browser', toolVersion: '0.0.0-test', casesDir, homeDir: home, keyDir: path.join(dir, 'keys'), keyAccess: { passphrase: () => 'timeline test passphrase' },
    environment: null, collectionWorker: tsxWorkerEntry(),
  });
  await value<CaseSummary>('case.open', { caseId: summary.caseId });
}, 300_000);

afterAll(async () => {
  await wb?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every row of a filter, page by page forward from the first, or backward from the last. */
async function readAll(filter: object, direction: 'forward' | 'backward', limit = 400): Promise<TimelineRowView[]> {
  const rows: TimelineRowView[] = [];
  let page = await value<TimelinePageView>('timeline.page', { filter, limit, ...(direction === 'backward' ? { last: true } : {}) });
  for (;;) {
    if (direction === 'forward') rows.push(...page.rows);
    else rows.unshift(...page.rows);
    const cursor = direction === 'forward' ? page.next : page.previous;
    if (!cursor) return rows;
    page = await value<TimelinePageView>('timeline.page', { filter, limit, [direction === 'forward' ? 'after' : 'before']: cursor });
  }
}

describe('the Timeline channels', () => {
  it('page every sign-in forward and backward by key to the same rows the count and the histogram give', async () => {
    const filter = { sources: ['signin'] };
    const forward = await readAll(filter, 'forward');
    const backward = await readAll(filter, 'backward');
    const [count] = await value<number[]>('timeline.count', { filters: [filter] });
    expect(forward.length).toBe(count);
    expect(forward.length).toBeGreaterThan(500);
    expect(backward.map((r) => r.id)).toEqual(forward.map((r) => r.id));
    expect(new Set(forward.map((r) => r.id)).size).toBe(forward.length);
    const order = forward.map((r) => `${r.at}|${String(r.id).padStart(12, '0')}`);
    expect(order).toEqual([...order].sort());
    expect(forward.every((r) => r.source === 'signin' && /^[0-9a-f]{64}$/.test(r.evidenceSha256 ?? ''))).toBe(true);
    const hours = await value<TimelineBucketView[]>('timeline.histogram', { filter, bucket: 'hour', split: 'result' });
    expect(hours.reduce((n, b) => n + b.total, 0)).toBe(count);
    const overview = await value<TimelineOverview>('timeline.overview');
    expect(overview.sources.find((s) => s.name === 'signin')?.count).toBe(count);
    expect(overview.total).toBe(overview.sources.reduce((n, s) => n + s.count, 0));
  });

  it('counts each finding’s events as its filter pages them, and a stage as the union of its findings', async () => {
    const report = await value<DetectionReport>('findings.list');
    const stage = report.storyline.find((s) => s.findingKeys.length > 1)!;
    const counts = await value<number[]>('timeline.count', { filters: [...stage.findingKeys.map((finding) => ({ finding })), { findings: stage.findingKeys }] });
    const union = new Set<number>();
    for (const key of stage.findingKeys) for (const r of await readAll({ finding: key }, 'forward')) union.add(r.id);
    expect(counts.at(-1)).toBe(union.size);
    for (const [i, key] of stage.findingKeys.entries()) {
      const finding = report.findings.find((f) => f.key === key)!;
      // At least every event it rests on, and its own row.
      expect(counts[i]).toBeGreaterThanOrEqual(finding.events.length + 1);
    }
  });

  it('refuses bad input naming the field', async () => {
    expect(await call('timeline.page', { filter: { from: 'yesterday' }, limit: 10 })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^filter\.from: /) } });
    expect(await call('timeline.page', { filter: { from: '2024-13-45' }, limit: 10 })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^from: '2024-13-45' is not a time/) } });
    expect(await call('timeline.page', { filter: { search: '... --' }, limit: 10 })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^search: /) } });
    expect(await call('timeline.page', { limit: 5000 })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^limit: /) } });
    expect(await call('timeline.page', { filter: { sources: ['DROP TABLE'] }, limit: 10 })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^filter\.sources\.0: /) } });
    expect(await call('timeline.record', { id: 999_999_999 })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('opens a record as its evidence page holds it, with that page’s hash', async () => {
    const [ual] = (await value<TimelinePageView>('timeline.page', { filter: { sources: ['ual'] }, limit: 1 })).rows;
    const record = await value<TimelineRecordView>('timeline.record', { id: ual!.id });
    expect(record.evidence?.sha256).toBe(ual!.evidenceSha256);
    expect(record.mismatch).toBeNull();
    const json = JSON.parse(record.json) as Record<string, unknown>;
    expect(JSON.stringify(json)).toContain(ual!.recordId);
    const [custody] = (await value<TimelinePageView>('timeline.page', { filter: { sources: ['custody'] }, limit: 1 })).rows;
    const entry = await value<TimelineRecordView>('timeline.record', { id: custody!.id });
    expect(entry.evidence).toBeNull();
    expect(JSON.parse(entry.json)).toMatchObject({ seq: custody!.custodySeq, hash: custody!.custodyHash });
  });

  it('pins and unpins as custody entries that verify checks, and puts the pins in report.html of the signed export', async () => {
    const [row] = (await value<TimelinePageView>('timeline.page', { filter: { supporting: true, sources: ['signin'] }, limit: 1 })).rows;
    expect(await call('timeline.pin', { id: row!.id, note: '   ' })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^note: /) } });
    const note = 'First success from the stuffing source <script>alert(1)</script>';
    const pin = await value<TimelinePinView>('timeline.pin', { id: row!.id, note });
    expect(pin).toMatchObject({ source: 'signin', recordId: row!.recordId, note, eventAt: row!.at, evidenceSha256: row!.evidenceSha256, timelineId: row!.id });
    expect(pin.custodyHash).toMatch(/^[0-9a-f]{64}$/);
    const other = (await value<TimelinePageView>('timeline.page', { filter: { sources: ['ual'] }, limit: 3 })).rows[2]!;
    await value('timeline.pin', { id: other.id, note: 'Removed again' });
    expect(await value('timeline.unpin', { source: other.source, recordId: other.recordId, note: 'not relevant' })).toBeNull();
    expect(await call('timeline.unpin', { source: other.source, recordId: other.recordId })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const pins = await value<TimelinePinView[]>('timeline.pins');
    expect(pins.map((p) => p.recordId)).toEqual([row!.recordId]);
    const page = await value<TimelinePageView>('timeline.page', { filter: { sources: ['signin'] }, limit: 5, after: { at: row!.at, id: row!.id - 1 } });
    expect(page.rows[0]).toMatchObject({ id: row!.id, pinned: true });
    const custody = await value<{ action: string }[]>('case.custody');
    expect(custody.filter((e) => e.action === 'timeline.pin')).toHaveLength(3);

    const exported = await value<ExportResult>('export.run', { passphrase: 'timeline test passphrase' });
    const folder = path.join(dir, 'cases', 'exports', exported.folderName);
    const listed = exported.files.find((f) => f.name === 'report.html')!;
    const html = fs.readFileSync(path.join(folder, 'report.html'));
    expect(listed).toEqual({ name: 'report.html', sha256: sha256Hex(html), bytes: html.length });
    expect(verifyExport(folder, { signer: parseSignerPin(exported.signerFingerprint) }).ok).toBe(true);
    const text = html.toString('utf8');
    // Self-contained: nothing fetched, nothing run.
    expect(text).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|\bsrc=/i);
    expect(text.match(/href="([^"]*)"/g)?.every((h) => h.startsWith('href="#')) ?? true).toBe(true);
    expect(text).toContain('First success from the stuffing source &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).not.toContain('Removed again');
    const report = await value<DetectionReport>('findings.list');
    for (const f of report.findings.filter((x) => x.triage.state !== 'false_positive')) expect(text).toContain(f.key.replace(/&/g, '&amp;'));
    for (const s of report.storyline) expect(text).toContain(s.title);
    // Every other file of the bundle is named with the hash the signed manifest gives it.
    for (const f of exported.files.filter((x) => x.name !== 'report.html')) expect(text).toContain(f.sha256);
    for (const c of exported.verifyCommands) expect(text).toContain(c.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
  });

  it('prints report.pdf from the same HTML with the installed Chromium from the CLI, and says so when there is none', async () => {
    process.env.PEREGRINE_HOME = path.join(dir, 'cli-home');
    try {
      const env = { PEREGRINE_SIGNING_PASSPHRASE: 'cli timeline passphrase' };
      // No Chromium reachable: no PDF, and the command says why.
      const none = capturedIo();
      expect(await main(['export', caseFile, '--out', path.join(dir, 'no-pdf')], { ...none, env: { ...env, PATH: path.join(dir, 'empty') } }), none.stderr.join('\n')).toBe(0);
      expect(none.stderr).toContain('report.pdf not made: no Chromium found (looked for PEREGRINE_CHROMIUM, then chromium, chromium-browser, google-chrome on PATH); report.html is in the bundle.');
      expect(fs.existsSync(path.join(dir, 'no-pdf', 'report.pdf'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'no-pdf', 'report.html'))).toBe(true);
      const chromium = findChromium();
      if (!chromium) throw new Error('Chromium is needed for this test (apt-get install chromium, or PEREGRINE_CHROMIUM)');
      const io = capturedIo();
      expect(await main(['export', caseFile, '--out', path.join(dir, 'with-pdf')], { ...io, env: { ...env, PEREGRINE_CHROMIUM: chromium } }), io.stderr.join('\n')).toBe(0);
      expect(io.stdout).toContain(`The client's report: report.html and report.pdf (printed by ${path.basename(chromium)}).`);
      const pdf = fs.readFileSync(path.join(dir, 'with-pdf', 'report.pdf'));
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'with-pdf', 'manifest.json'), 'utf8')) as { files: { name: string; sha256: string }[] };
      expect(manifest.files.find((f) => f.name === 'report.pdf')?.sha256).toBe(sha256Hex(pdf));
      expect(verifyExport(path.join(dir, 'with-pdf')).ok).toBe(true);
    } finally {
      delete process.env.PEREGRINE_HOME;
    }
  }, 300_000);

  it('reports a pin row written outside Peregrine', async () => {
    await value('case.close');
    expect(verifyCaseFile(caseFile, { deep: false }).problems).toEqual([]);
    const raw = new BetterSqlite3(caseFile);
    try {
      raw.prepare(`INSERT INTO timeline_pin (source, record_id, state, note, event_at, evidence_sha256, at, actor, custody_seq) VALUES ('signin', 'x', 'pinned', 'planted', '2024-10-01T00:00:00.000Z', NULL, '2024-10-01T00:00:00.000Z', 'Mallory', 1)`).run();
    } finally {
      raw.close();
    }
    const problems = verifyCaseFile(caseFile, { deep: false }).problems;
    expect(problems).toContainEqual({ where: expect.stringMatching(/^timeline_pin row \d+ \(signin record x\)$/), message: expect.stringMatching(/^It has no custody entry: custody entry 1 is case\.created, not timeline\.pin/) });
  });
});
