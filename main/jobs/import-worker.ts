// Import worker thread: reads (and, asked to, stores) the files handed over, off the UI thread; reports progress; cancellable.
import { parentPort, workerData } from 'node:worker_threads';
import { openCase } from '../case/case';
import { closeDatabase } from '../../db/connection';
import { ImportError } from '../import/errors';
import { planImport, runImport, type ImportProgress } from '../import/importer';
import { asImportResult, collectionAmong, importCollection, type CollectionFiles } from '../import/collection';
import type { FromImportWorker, ImportJob, ToImportWorker } from './import-protocol';

const port = parentPort;
if (!port) throw new Error('import-worker runs only as a worker thread.');
const job = workerData as ImportJob;
const send = (message: FromImportWorker) => port.postMessage(message);
const abort = new AbortController();
port.on('message', (message: ToImportWorker) => {
  if (message.type === 'cancel') abort.abort();
});

/** The collection script's folder (or its zip): checked against its manifest, then stored as the collection it is. */
async function runCollection(files: CollectionFiles) {
  const started = performance.now();
  let last = -Infinity;
  const deps = {
    actor: job.actor, note: job.note, clock: () => new Date(), signal: abort.signal, engagementApps: job.engagementApps ?? [],
    onProgress: (progress: ImportProgress) => {
      if (progress.elapsedMs - last < 200) return;
      last = progress.elapsedMs;
      send({ type: 'progress', progress });
    },
  };
  const db = job.mode === 'plan' ? null : openCase(job.caseFile, { keepJournalMode: true }).db;
  try {
    const result = asImportResult(await importCollection(db, files, deps), performance.now() - started);
    send({ type: 'done', result, files: result.files });
  } finally {
    if (db) closeDatabase(db);
  }
}

async function run() {
  const collection = await collectionAmong(job.paths);
  if (collection) {
    if (job.format || job.dateFormat) throw new ImportError('unrecognised', collection.label, null, null, 'is a collection folder: its manifest says what each file is; leave the format and date format on automatic.');
    return runCollection(collection);
  }
  const plan = await planImport(job.paths, { ...(job.format ? { format: job.format } : {}), ...(job.dateFormat ? { dateFormat: job.dateFormat } : {}) });
  // Progress at most every 200 ms: a large file closes a chunk many times a second.
  let last = 0;
  const deps = {
    actor: job.actor, note: job.note, clock: () => new Date(), signal: abort.signal,
    onProgress: (progress: Parameters<NonNullable<Parameters<typeof runImport>[2]['onProgress']>>[0]) => {
      if (progress.elapsedMs - last < 200 && progress.bytes < progress.totalBytes) return;
      last = progress.elapsedMs;
      send({ type: 'progress', progress });
    },
  };
  if (job.mode === 'plan') {
    const result = await runImport(null, plan, deps);
    send({ type: 'done', result, files: result.files });
    return;
  }
  const { db } = openCase(job.caseFile, { keepJournalMode: true });
  try {
    const result = await runImport(db, plan, deps);
    send({ type: 'done', result, files: result.files });
  } finally {
    closeDatabase(db);
  }
}

run().catch((err: unknown) => {
  const e = err instanceof Error ? err : new Error(String(err));
  send({
    type: 'failed',
    failure: e instanceof ImportError
      ? { message: e.message, code: e.code, file: e.file, line: e.line, field: e.field }
      : { message: e.message, code: 'failed', file: null, line: null, field: null },
  });
});
