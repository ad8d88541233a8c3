// Imports through the workbench, as both transports call it: input checked, the plan and the import run in a worker
// thread, the counts known before anything is written, and a cancelled import leaving the case as it was.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { closeDatabase } from '../../db/connection';
import { openCase } from '../../main/case/case';
import type { CaseSummary, ImportJobView, Result } from '../../preload/contract';
import { listSources } from '../../db/queries/sources';
import { folderEntries, writeSmallCollectionFolder } from '../support/collection-folder';
import { writeZip } from '../support/zip-writer';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/import');
let dir: string;
const workbenches: Workbench[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-wb-import-'));
});
afterEach(async () => {
  for (const w of workbenches.splice(0)) await w.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function workbench(extra: { chooseImportFiles?: () => Promise<string[] | null> } = {}) {
  const w = createWorkbench({
    host: extra.chooseImportFiles ? 'electron' : 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'cases'), homeDir: path.join(dir, 'home'),
    keyDir: path.join(dir, 'keys'), environment: null, collectionWorker: tsxWorkerEntry(), ...extra,
  });
  workbenches.push(w);
  const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(w.handlers, channel, input)) as Result<T>;
  const created = await call<CaseSummary>('case.create', { name: 'Handover', examiner: 'A. Examiner' });
  if (!created.ok) throw new Error(created.error.message);
  /** Polls the job until it leaves planning/importing. */
  const settle = async (jobId: string): Promise<ImportJobView> => {
    for (;;) {
      const r = await call<ImportJobView>('import.status', { jobId });
      if (!r.ok) throw new Error(r.error.message);
      if (r.value.phase !== 'planning' && r.value.phase !== 'importing') return r.value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  return { w, call, settle };
}

describe('import through the workbench', () => {
  it('reads and counts in a worker, writes nothing until started with a note, then stores the files', async () => {
    const { w, call, settle } = await workbench();
    const file = w.currentCaseFile()!;
    const planned = await call<ImportJobView>('import.plan', { paths: [path.join(FIXTURES, 'purview-current.csv'), path.join(FIXTURES, 'graph-signins-page.json')] });
    if (!planned.ok) throw new Error(planned.error.message);
    expect(planned.value.phase).toBe('planning');
    const view = await settle(planned.value.jobId);
    expect(view.phase).toBe('planned');
    expect(view.files.map((f) => [f.name, f.format, f.records])).toEqual([['purview-current.csv', 'purview-csv', 5], ['graph-signins-page.json', 'graph-signins', 3]]);
    const evidenceRows = () => {
      const { db } = openCase(file, { readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM evidence').pluck().get();
      } finally {
        closeDatabase(db);
      }
    };
    expect(evidenceRows()).toBe(0);

    expect(await call('import.start', { jobId: view.jobId, note: '  ' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const started = await call<ImportJobView>('import.start', { jobId: view.jobId, note: 'From the client admin, 24 May' });
    expect(started).toMatchObject({ ok: true, value: { phase: 'importing' } });
    const done = await settle(view.jobId);
    expect(done).toMatchObject({ phase: 'done', result: { records: 8 } });
    expect(evidenceRows()).toBe(2);
    const verified = await call<{ ok: boolean }>('case.verify');
    expect(verified).toMatchObject({ ok: true, value: { ok: true } });
  });

  it('takes the collection script\'s folder as a zip: every file listed with its source, then stored as the collection it is', async () => {
    const { w, call, settle } = await workbench();
    const folder = writeSmallCollectionFolder(path.join(dir, 'peregrine-collection-x'), fs.readFileSync(path.join(FIXTURES, 'graph-signins-page.json')));
    const zip = path.join(dir, 'handover.zip');
    fs.writeFileSync(zip, writeZip(folderEntries(folder.dir, 'peregrine-collection-x/')));
    // The manifest named instead of its folder means the folder.
    const byManifest = await call<ImportJobView>('import.plan', { paths: [path.join(folder.dir, 'manifest.json')] });
    if (!byManifest.ok) throw new Error(byManifest.error.message);
    expect((await settle(byManifest.value.jobId)).files.map((f) => f.format)).toEqual(['collection', 'collection', 'collection']);
    const planned = await call<ImportJobView>('import.plan', { paths: [zip] });
    if (!planned.ok) throw new Error(planned.error.message);
    const view = await settle(planned.value.jobId);
    expect(view.phase).toBe('planned');
    expect(view.files.map((f) => [f.name, f.format, f.encoding, f.records])).toEqual([
      ['graph.applications/page-0001.json', 'collection', 'utf8', 1], ['exo.inboundConnectors.json', 'collection', 'utf16le', 1], ['graph.signIns/page-0001.json', 'collection', 'utf8', 3],
    ]);
    const notAnId = await call<ImportJobView>('import.start', { jobId: view.jobId, note: 'Zip from the client admin', engagementApps: ['Mail Sync'] });
    expect(notAnId.ok).toBe(false);
    const started = await call<ImportJobView>('import.start', { jobId: view.jobId, note: 'Zip from the client admin', engagementApps: ['7D1E3A5C-0000-4000-8000-000000000002'] });
    if (!started.ok) throw new Error(started.error.message);
    const done = await settle(view.jobId);
    expect(done.phase).toBe('done');
    expect(done.result).toMatchObject({ records: 5, runId: expect.any(String) });
    const { db } = openCase(w.currentCaseFile()!, { readonly: true });
    try {
      expect(db.prepare(`SELECT display_name FROM tenant_object WHERE kind = 'inboundConnector'`).pluck().all()).toEqual(['Partner relay']);
      // The examiner's own app, recorded with the run as a live collection records its engagement apps.
      const startedEntry = JSON.parse(db.prepare(`SELECT details FROM custody WHERE action = 'collection.started'`).pluck().get() as string) as { engagementApps?: string[] };
      expect(startedEntry.engagementApps).toEqual(['7d1e3a5c-0000-4000-8000-000000000002']);
      expect(listSources(db, done.result!.runId!).map((s) => [s.source, s.truncated, s.notices.length])).toEqual([
        ['graph.applications', false, 0], ['exo.inboundConnectors', false, 0], ['graph.signIns', false, 0], ['exo.transportRules', true, 1],
      ]);
    } finally {
      closeDatabase(db);
    }
  });

  it('refuses what the contract does not allow: an unknown format, a path in the app, no path in the browser host', async () => {
    const { call } = await workbench();
    expect(await call('import.plan', { paths: [FIXTURES], format: 'excel' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await call('import.plan', {})).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await call('import.plan', { paths: ['a\nb'] })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await call('import.status', { jobId: crypto.randomUUID() })).toMatchObject({ ok: false, error: { code: 'unknown_import' } });
    const app = await workbench({ chooseImportFiles: () => Promise.resolve([path.join(FIXTURES, 'o365-api.json')]) });
    expect(await app.call('import.plan', { paths: [FIXTURES] })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const chosen = await app.call<ImportJobView>('import.plan', {});
    if (!chosen.ok) throw new Error(chosen.error.message);
    expect((await app.settle(chosen.value.jobId)).files.map((f) => [f.name, f.records])).toEqual([['o365-api.json', 4]]);
  });

  it('cancels an import in its worker: nothing of it is kept in the case', async () => {
    // A file large enough that its import is still reading when the cancel arrives.
    const big = path.join(dir, 'big.jsonl');
    const line = (i: number) => JSON.stringify({ CreationTime: '2024-05-21T09:14:03', Id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, Operation: 'MailItemsAccessed', RecordType: 50, Workload: 'Exchange', UserId: 'u@contoso.example', Pad: 'x'.repeat(400) });
    fs.writeFileSync(big, Array.from({ length: 60_000 }, (_, i) => line(i)).join('\n'));
    const { w, call, settle } = await workbench();
    const file = w.currentCaseFile()!;
    const planned = await call<ImportJobView>('import.plan', { paths: [big] });
    if (!planned.ok) throw new Error(planned.error.message);
    expect((await settle(planned.value.jobId)).files[0]!.records).toBe(60_000);
    expect(await call('import.start', { jobId: planned.value.jobId, note: 'x' })).toMatchObject({ ok: true, value: { phase: 'importing' } });
    // An import under way keeps the case open.
    expect(await call('case.close')).toMatchObject({ ok: false });
    const cancelled = await call<ImportJobView>('import.cancel', { jobId: planned.value.jobId });
    expect(cancelled).toMatchObject({ ok: true, value: { phase: 'cancelled', error: { code: 'cancelled' } } });
    expect(await call('case.close')).toMatchObject({ ok: true });
    const { db } = openCase(file, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM evidence').pluck().get()).toBe(0);
      expect(db.prepare('SELECT count(*) FROM collection_run').pluck().get()).toBe(0);
      expect(db.prepare(`SELECT count(*) FROM custody WHERE action LIKE 'evidence.%' OR action LIKE 'collection.%'`).pluck().get()).toBe(0);
    } finally {
      closeDatabase(db);
    }
  });
});
