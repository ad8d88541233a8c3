// `peregrine detect`, `triage` and `--iocs` on a collected case: what a consultant types, what lands in the case file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { listCustody } from '../../db/queries/custody';
import { openCase } from '../../main/case/case';
import { main as cli, type CliIo } from '../../main/cli';
import { collectedCase, type CollectedCase } from '../support/collected-case';

let c: CollectedCase;
let file: string;
let dir: string;
const out: string[] = [];
const err: string[] = [];
const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, clock: () => new Date('2026-11-26T10:00:00Z') };

beforeAll(async () => {
  c = await collectedCase({ scenario: 'fabrikam', seed: 5, users: 100, eventsPerUserPerDay: 0.3 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-detect-cli-'));
  file = path.join(dir, 'case.peregrine');
  c.db.pragma('wal_checkpoint(TRUNCATE)');
  fs.copyFileSync(c.file, file);
}, 120_000);

afterAll(async () => {
  delete process.env.PEREGRINE_SIGNING_PASSPHRASE;
  await c?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const json = () => JSON.parse(out.at(-1)!) as { runId: string; findings: { key: string; ruleId: string; severity: string; triage: { state: string; note: string }; objects: { id: string; evidenceSha256: string }[]; events: { recordId: string }[] }[]; storyline: { lit: boolean }[] };

describe('peregrine detect / triage', () => {
  it('lists findings by severity with their keys, and as JSON with the ids that prove them', async () => {
    expect(await cli(['detect', file], io)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^Rules: \d+, over collection/m);
    expect(text).toMatch(/^CRITICAL The OAuth mail-abuse campaign, end to end/m);
    expect(text).toContain(`key: storyline.oauth-mail-abuse:${c.sim.groundTruth.maliciousApp.applicationObjectId}`);
    expect(await cli(['detect', file, '--json'], io)).toBe(0);
    const report = json();
    expect(report.storyline.every((s) => s.lit)).toBe(true);
    const stuffing = report.findings.find((f) => f.ruleId === 'signin.credential-stuffing')!;
    expect(stuffing.events.map((e) => e.recordId)).toEqual(expect.arrayContaining(c.sim.groundTruth.logs!.malicious.signIns));
  });

  it('records a triage decision with its custody entry, shown by the next detect and kept out of the IOC export', async () => {
    const key = `signin.credential-stuffing:${c.sim.groundTruth.attackerIp}`;
    expect(await cli(['triage', file, key, 'false_positive', '--note', 'pen test from our own range'], io)).toBe(0);
    expect(out.at(-1)).toMatch(/false positive \(custody entry \d+\)/);
    const { db } = openCase(file);
    try {
      const last = listCustody(db).at(-1)!;
      expect(last).toMatchObject({ action: 'finding.triaged', details: { finding: key, from: 'open', to: 'false_positive', note: 'pen test from our own range' } });
    } finally {
      closeDatabase(db);
    }
    expect(await cli(['detect', file, '--json'], io)).toBe(0);
    expect(json().findings.find((f) => f.key === key)!.triage).toMatchObject({ state: 'false_positive', note: 'pen test from our own range' });

    const csv = path.join(dir, 'iocs.csv');
    expect(await cli(['detect', file, '--iocs', 'csv', '--out', csv], io)).toBe(0);
    const rows = fs.readFileSync(csv, 'utf8');
    expect(rows).toContain(c.sim.groundTruth.maliciousApp.appId);
    // The stuffing address is still named by the open storyline finding; the false-positive finding no longer counts for it.
    const ipRow = rows.split('\r\n').find((r) => r.includes(`,${c.sim.groundTruth.attackerIp},`))!;
    expect(ipRow).toContain('storyline.oauth-mail-abuse:');
    expect(ipRow).not.toContain(key);
    const stix = path.join(dir, 'iocs.json');
    expect(await cli(['detect', file, '--iocs', 'stix', '--out', stix, '--include-false-positives'], io)).toBe(0);
    expect(JSON.parse(fs.readFileSync(stix, 'utf8'))).toMatchObject({ type: 'bundle' });
    expect(fs.readFileSync(stix, 'utf8')).toContain(c.sim.groundTruth.attackerIp);
    // An existing file is never overwritten.
    expect(await cli(['detect', file, '--iocs', 'csv', '--out', csv], io)).not.toBe(0);
  });

  it('exports the findings for the client: a readable account with the storyline, the indicators, all signed and verifiable', async () => {
    process.env.PEREGRINE_HOME = path.join(dir, 'home');
    process.env.PEREGRINE_SIGNING_PASSPHRASE = 'integration test passphrase';
    const outDir = path.join(dir, 'export');
    expect(await cli(['export', file, '--out', outDir], io), err.join('\n')).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as { files: { name: string }[] };
    expect(manifest.files.map((f) => f.name)).toEqual(expect.arrayContaining(['FINDINGS.md', 'findings.json', 'iocs.csv', 'iocs.stix.json']));
    const account = fs.readFileSync(path.join(outDir, 'FINDINGS.md'), 'utf8');
    expect(account).toMatch(/^## What happened$/m);
    expect(account).toMatch(/^6\. \*\*Cleanup cycles\*\*: /m);
    expect(account).toMatch(/^## Critical \(\d+\)$/m);
    expect(account).toContain(c.sim.groundTruth.maliciousApp.displayName.replace(/_/g, '\\_'));
    // The stuffing finding was triaged a false positive above: named only as a count.
    expect(account).toMatch(/1 finding was triaged as false positive/);
    const exported = JSON.parse(fs.readFileSync(path.join(outDir, 'findings.json'), 'utf8')) as { key: string; triage: { state: string } }[];
    expect(exported.find((f) => f.key.startsWith('signin.credential-stuffing:'))?.triage.state).toBe('false_positive');
    expect(await cli(['verify', outDir], io)).toBe(0);
    // One changed byte in the account breaks verification.
    fs.appendFileSync(path.join(outDir, 'FINDINGS.md'), ' ');
    expect(await cli(['verify', outDir], io)).not.toBe(0);
  });

  it('writes FINDINGS.md in Japanese with --lang ja: the rules, reasons and steps from the catalogs, technical terms kept', async () => {
    process.env.PEREGRINE_HOME = path.join(dir, 'home');
    process.env.PEREGRINE_SIGNING_PASSPHRASE = 'integration test passphrase';
    const outDir = path.join(dir, 'export-ja');
    expect(await cli(['export', file, '--out', outDir, '--no-pdf', '--lang', 'ja'], io), err.join('\n')).toBe(0);
    const account = fs.readFileSync(path.join(outDir, 'FINDINGS.md'), 'utf8');
    expect(account).toMatch(/^## 何が起きたか$/m);
    expect(account).toMatch(/^6\. \*\*削除と再作成の繰り返し\*\*: /m);
    expect(account).toMatch(/^## 重大 \(\d+\)$/m);
    expect(account).toMatch(/^### アプリが Exchange\.ManageAsApp を保持: /m);
    expect(account).toMatch(/^- 是正（根絶）: /m);
    expect(account).toContain(c.sim.groundTruth.maliciousApp.displayName.replace(/_/g, '\\_'));
    expect(account).toMatch(/^1 件の検出結果は誤検知としてトリアージされ/m);
    // Every finding's own lines are Japanese: no English sentence left beside names, ids, values and kept terms.
    const report = JSON.parse(fs.readFileSync(path.join(outDir, 'findings.json'), 'utf8')) as { key: string }[];
    const blocks = account.split(/^### /m).slice(1);
    expect(blocks.length).toBe(report.length - 1);
    for (const block of blocks) {
      const lines = block.split('\n').filter((l) => l.startsWith('- ') && !l.startsWith('- MITRE') && !l.startsWith('- トリアージ'));
      for (const line of lines) expect(line, line).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      expect(block).not.toMatch(/Why it matters|To undo|Finding key|Seen:/);
    }
    // The client's report too: its own words, the rules and the reasons in Japanese; ids, hashes and commands as written.
    const html = fs.readFileSync(path.join(outDir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="ja">/);
    for (const heading of ['範囲と完全性', 'イベントの推移', '何が起きたか', 'ピン留めしたイベント', '検出結果', '是正', 'カストディ', 'このバンドルの検証']) expect(html).toContain(`>${heading}</h2>`);
    expect(html).toMatch(/<h3><span class="sev sev-critical">重大<\/span> アプリが Exchange\.ManageAsApp を保持: /);
    expect(html).toContain('<dt>重要な理由</dt>');
    const text = html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<pre>[\s\S]*?<\/pre>/g, '').replace(/<[^>]+>/g, '\n');
    for (const english of ['Why it matters', 'What happened', 'Scope and completeness', 'To undo', 'Finding key', 'Pinned by', 'custody log holds']) expect(text).not.toContain(english);
    expect(await cli(['verify', outDir], io)).toBe(0);

    expect(await cli(['export', file, '--out', path.join(dir, 'export-fr'), '--lang', 'fr'], io)).not.toBe(0);
    expect(err.join('\n')).toMatch(/--lang takes en or ja, not "fr"/);
    expect(fs.existsSync(path.join(dir, 'export-fr'))).toBe(false);
  });

  it('refuses an unknown state or finding key, naming it', async () => {
    expect(await cli(['triage', file, 'no.such:key', 'confirmed'], io)).not.toBe(0);
    expect(err.join('\n')).toMatch(/No finding "no\.such:key"/);
    expect(await cli(['triage', file, `signin.credential-stuffing:${c.sim.groundTruth.attackerIp}`, 'maybe'], io)).not.toBe(0);
    expect(err.join('\n')).toMatch(/state must be one of open, confirmed, false_positive, needs_info/);
  });
});
