// Vitest (plain Node): the CLI's worker threads start wherever the command is run from — a consultant runs
// `peregrine collect` in the engagement's own folder, not in Peregrine's.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { createCase } from '../../main/case/case';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-cwd-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it('starts the case writer thread from a folder outside the project', () => {
  const file = path.join(dir, 'engagement.peregrine');
  closeDatabase(createCase(file, { name: 'Elsewhere', examiner: 'A. Examiner' }, { clock: () => new Date(), toolVersion: 'test' }).db);
  const entryModule = pathToFileURL(path.resolve('main/jobs/tsx-entry.ts')).href;
  const script = `
    import { Worker } from 'node:worker_threads';
    import { tsxWriterEntry } from ${JSON.stringify(entryModule)};
    const entry = tsxWriterEntry();
    const worker = new Worker(entry.file, { workerData: { caseFile: process.argv[1] }, execArgv: entry.execArgv });
    worker.on('message', (reply) => { console.log(JSON.stringify(reply)); process.exit(0); });
    worker.on('error', (err) => { console.error(err.message); process.exit(1); });
    worker.postMessage({ id: 1, close: true });
  `;
  const run = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script, file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(JSON.parse(run.stdout)).toEqual({ id: 1, ok: true, ms: 0 });
});
