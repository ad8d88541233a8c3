// The rules fire on real records published by others (../shared/corpus) where the pattern exists, and stay quiet where it does not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { insertEvidence } from '../../db/queries/evidence';
import { insertDirectoryAudits, insertSignIns, insertUnifiedAuditRecords } from '../../db/queries/logs';
import { finishRun, startRun } from '../../db/queries/runs';
import { csvRecords, decodeText, jsonRecords } from '../../db/normalize/text';
import { isObject } from '../../db/normalize/record';
import { detect } from '../../main/detect/engine';
import type { DetectionReport } from '../../preload/contract';
import { CORPUS, corpus, prerequisite } from '../support/prerequisites';
import { describeNeeds } from '../support/vitest-prerequisites';

const needsCorpus = prerequisite([corpus()]);

/** The corpus' test-harness wrappers around records. */
function unwrap(record: unknown): unknown {
  if (!isObject(record)) return record;
  if (isObject(record.input) && typeof record.input.message === 'string') return JSON.parse(record.input.message) as unknown;
  if ('_source_file' in record && isObject(record.event)) return record.event;
  return record;
}

const FILES: { file: string; kind: 'audit' | 'ual' | 'signin' }[] = [
  { file: 'entra_audit/otrf_goldensaml/AADAuditEvents.json', kind: 'audit' },
  { file: 'entra_audit/elastic_integrations/test-audit-logs-sample.log', kind: 'audit' },
  { file: 'entra_audit/sekoia_entraid_graphapi/events.jsonl', kind: 'audit' },
  { file: 'ual/sekoia_o365_mgmt_api/events.jsonl', kind: 'ual' },
  { file: 'signins/sentinel_training_lab/sign-in_adelete.csv', kind: 'signin' },
  { file: 'signins/msticpy/aad_logons.converted.jsonl', kind: 'signin' },
];

describeNeeds(needsCorpus, 'rules over real corpus records', () => {
  let dir: string;
  let db: Database;
  let report: DetectionReport;
  const loaded: Record<string, number> = {};

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-corpus-'));
    ({ db } = createCase(path.join(dir, 'corpus.peregrine'), { name: 'corpus', examiner: 'E' }, { clock: () => new Date(), toolVersion: 'test' }));
    const runId = crypto.randomUUID();
    const at = new Date().toISOString();
    startRun(db, { runId, startedAt: at, environment: 'corpus', tenantId: '00000000-0000-0000-0000-000000000000' });
    for (const { file, kind } of FILES) {
      const full = path.join(CORPUS, file);
      if (!fs.existsSync(full)) continue;
      const bytes = fs.readFileSync(full);
      const csv = file.endsWith('.csv');
      const text = decodeText(bytes);
      let records = (csv ? csvRecords(text, file) : jsonRecords(text, file)).map(unwrap);
      // sekoia's Entra ID samples mix sign-ins into the audits; only the audits go in here.
      if (kind === 'audit') records = records.filter((r) => !(isObject(r) && 'createdDateTime' in r));
      const evidence = insertEvidence(db, { runId, source: `import.${kind}`, method: 'GET', url: `file:corpus/${file}`, status: 200, contentType: null, collectedAt: at, body: bytes });
      const insert = kind === 'audit' ? insertDirectoryAudits : kind === 'ual' ? insertUnifiedAuditRecords : insertSignIns;
      loaded[file] = db.transaction(() => insert(db, runId, evidence.id, records, { csv }))();
    }
    finishRun(db, runId, { state: 'done', finishedAt: at });
    report = detect(db);
  });

  afterAll(() => {
    closeDatabase(db);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const findingsOf = (ruleId: string) => report.findings.filter((f) => f.ruleId === ruleId);
  const recordsOf = (ruleId: string) => new Set(findingsOf(ruleId).flatMap((f) => f.events.map((e) => e.recordId)));

  it('loaded the records', () => {
    expect(Object.keys(loaded).length).toBeGreaterThanOrEqual(4);
  });

  it('flags the real first credential added to SimuLandApp (Golden SAML lab) by a user', () => {
    const f = findingsOf('app.credential-added').find((x) => x.subject.name === 'SimuLandApp');
    expect(f, JSON.stringify(findingsOf('app.credential-added').map((x) => x.subject))).toBeDefined();
    expect(f!.reason).toMatch(/first credential/i);
    expect(f!.events.some((e) => e.operation === 'update application - certificates and secrets management')).toBe(true);
  });

  it('flags the real service-principal credential record (Event Hub shape), below high: a managed identity rotating its certificate', () => {
    const f = findingsOf('app.credential-added').find((x) => x.subject.name === 'billing-test-wus');
    expect(f).toBeDefined();
    expect(f!.events.map((e) => e.operation)).toContain('add service principal credentials');
    expect(['high', 'critical']).not.toContain(f!.severity);
  });

  it('does not count "Create application – Certificates and secrets management" that added no key', () => {
    expect(findingsOf('app.credential-added').some((x) => x.subject.name === 'ChatGPT for Excel')).toBe(false);
  });

  it('flags the real tenant-wide Mail.ReadWrite delegated grant', () => {
    const f = findingsOf('sp.high-risk-permission');
    expect(f.some((x) => /Mail\.ReadWrite/.test(x.reason) && /all users/.test(x.reason))).toBe(true);
  });

  it('flags the real inbox rule that forwards and redirects outside (New-InboxRule)', () => {
    const reasons = findingsOf('mail.external-forwarding').map((f) => f.reason).join('\n');
    expect(reasons).toMatch(/New-InboxRule .*bob@example\.org/);
    expect(reasons).toMatch(/joe@example\.org/);
    expect(recordsOf('mail.external-forwarding').size).toBeGreaterThanOrEqual(1);
  });

  it('flags a real Outlook-made forwarding rule (UpdateInboxRules), and not one that only defers', () => {
    // The three UpdateInboxRules samples share the anonymised Id "ANONYMIZED": one case keeps one record per Id, so each goes in its own case.
    const lines = fs.readFileSync(path.join(CORPUS, 'ual/sekoia_o365_mgmt_api/events.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"UpdateInboxRules"'));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const verdicts = lines.map((line) => {
      const one = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-corpus-one-'));
      const { db: single } = createCase(path.join(one, 'c.peregrine'), { name: 'one', examiner: 'E' }, { clock: () => new Date(), toolVersion: 'test' });
      try {
        const runId = crypto.randomUUID();
        const at = new Date().toISOString();
        startRun(single, { runId, startedAt: at, environment: 'corpus', tenantId: '00000000-0000-0000-0000-000000000000' });
        const evidence = insertEvidence(single, { runId, source: 'import.ual', method: 'GET', url: 'file:corpus/ual/sekoia_o365_mgmt_api/events.jsonl', status: 200, contentType: null, collectedAt: at, body: Buffer.from(line) });
        single.transaction(() => insertUnifiedAuditRecords(single, runId, evidence.id, [unwrap(JSON.parse(line))]))();
        finishRun(single, runId, { state: 'done', finishedAt: at });
        return detect(single).findings.filter((f) => f.ruleId === 'mail.external-forwarding').map((f) => f.reason).join('\n');
      } finally {
        closeDatabase(single);
        fs.rmSync(one, { recursive: true, force: true });
      }
    });
    expect(verdicts.some((v) => /john\.doe@mail\.fr/.test(v))).toBe(true);
    // The sample whose rule only defers delivery forwards nothing.
    const deferring = lines.findIndex((l) => l.includes('DeferAction'));
    if (deferring >= 0) expect(verdicts[deferring]).toBe('');
  });

  it('finds no spray or stuffing in real sign-ins that have none', () => {
    expect(findingsOf('signin.credential-stuffing')).toEqual([]);
    expect(findingsOf('signin.password-spray')).toEqual([]);
  });

  it('does not call a role given to a user a service principal\'s role', () => {
    expect(findingsOf('sp.privileged-role')).toEqual([]);
  });

  it('rates nothing in these benign-or-lab records critical', () => {
    expect(report.findings.filter((f) => f.severity === 'critical').map((f) => f.key)).toEqual([]);
  });
});
