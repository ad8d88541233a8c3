// The workbench reads a case in a worker thread — its findings (the same report as the rules run in place, computed
// once per state of the custody log) and its verification — so other requests are answered meanwhile.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { openCase } from '../../main/case/case';
import { detect } from '../../main/detect/engine';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { saveSettings, SettingsSchema } from '../../main/settings/store';
import type { DetectionReport, Result } from '../../preload/contract';
import { collectedCase } from '../support/collected-case';

let dir: string;
let caseFile: string;
let wb: Workbench;
let inPlace: DetectionReport;

const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(wb.handlers, channel, input)) as Result<T>;
async function value<T>(channel: string, input: unknown = {}): Promise<T> {
  const r = await call<T>(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
  return r.value;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-detection-worker-'));
  const c = await collectedCase({ scenario: 'contoso', seed: 9, eventsPerUserPerDay: 0.25, inboxRuleMailboxes: 1 });
  caseFile = path.join(dir, 'contoso.peregrine');
  try {
    c.db.prepare('VACUUM INTO ?').run(caseFile);
  } finally {
    await c.dispose();
  }
  const { db } = openCase(caseFile, { readonly: true });
  try {
    inPlace = detect(db);
  } finally {
    closeDatabase(db);
  }
  // The examiner's own case (made by "Examiner" with Peregrine "test"), kept in WAL mode: read in the reader thread.
  const home = path.join(dir, 'home');
  saveSettings(home, SettingsSchema.parse({ examiner: 'Examiner' }));
  wb = createWorkbench({
    host: 'browser', toolVersion: 'test', casesDir: path.join(dir, 'cases'), homeDir: home, keyDir: path.join(dir, 'keys'),
    environment: null, collectionWorker: tsxWorkerEntry(),
  });
  await value<unknown>('case.openFile', { path: caseFile });
}, 300_000);

afterAll(async () => {
  await wb?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The turns of this thread's event loop while `work` is awaited (none when it runs to the end in the turn that started it). */
async function turnsWhile<T>(work: Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns += 1;
    setImmediate(spin);
  };
  setImmediate(spin);
  try {
    return { result: await work, turns };
  } finally {
    done = true;
  }
}

describe('findings in a worker thread', () => {
  it('leaves this thread free while the rules run, then gives the report the rules give in place', async () => {
    // Turns of the event loop while the findings are computed: the rules run in place would take this thread for
    // their whole run and settle the request in the turn that made it (none would pass); from a worker the answer
    // arrives as a message, in a later turn, and the loop keeps turning meanwhile (other requests are answered).
    const { result: report, turns } = await turnsWhile(value<DetectionReport>('findings.list'));
    expect(turns).toBeGreaterThan(0);
    expect(report.findings.length).toBeGreaterThan(10);
    expect(report.findings.map((f) => [f.key, f.severity, f.events.length])).toEqual(inPlace.findings.map((f) => [f.key, f.severity, f.events.length]));
    expect(report.storyline.map((s) => s.lit)).toEqual(inPlace.storyline.map((s) => s.lit));
  });

  it('computes once per state of the custody log: the same report again, a triage kept in it, and every screen that reads it', async () => {
    const first = await value<DetectionReport>('findings.list');
    const [a, b] = await Promise.all([value<DetectionReport>('findings.list'), value<DetectionReport>('findings.list')]);
    expect(a).toBe(first);
    expect(b).toBe(first);
    const key = first.findings[0]!.key;
    await value('findings.triage', { key, state: 'confirmed', note: 'seen' });
    const after = await value<DetectionReport>('findings.list');
    expect(after).toBe(first);
    expect(after.findings[0]!.triage.state).toBe('confirmed');
    // The screens that read findings get them from the same worker.
    const overview = await value<{ objects: unknown[] }>('evidence.overview');
    expect(overview.objects.length).toBeGreaterThan(0);
    const apps = await value<{ flags: unknown[] }[]>('evidence.applications');
    expect(apps.some((row) => row.flags.length > 0)).toBe(true);
  });

  it('verifies the case in the same thread, leaving this one free', async () => {
    const { result: status, turns } = await turnsWhile(value<{ ok: boolean; evidenceRows: number; custodyEntries: number; problem: string | null }>('case.verify'));
    expect(turns).toBeGreaterThan(0);
    expect(status).toMatchObject({ ok: true, problem: null });
    expect(status.evidenceRows).toBeGreaterThan(10);
    expect(status.custodyEntries).toBeGreaterThan(2);
  });
});
