// Main process: runs an import (its plan or the import itself) in a worker thread, so reading and storing gigabytes never blocks the window.
import { Worker } from 'node:worker_threads';
import type { ImportProgress, ImportResult } from '../import/importer';
import type { WorkerEntry } from './collect-job';
import type { FromImportWorker, ImportFailure, ImportJob, ToImportWorker } from './import-protocol';

export interface RunningImport {
  /** Resolves with the result, or rejects with an ImportJobError (the failure as the worker told it). */
  done: Promise<ImportResult>;
  cancel(): void;
}

export class ImportJobError extends Error {
  constructor(readonly failure: ImportFailure) {
    super(failure.message);
  }
}

export function startImportJob(entry: WorkerEntry, job: ImportJob, onProgress: (p: ImportProgress) => void): RunningImport {
  const worker = new Worker(entry.file, { workerData: job, execArgv: entry.execArgv });
  let settled = false;
  const done = new Promise<ImportResult>((resolve, reject) => {
    worker.on('message', (message: FromImportWorker) => {
      if (message.type === 'progress') onProgress(message.progress);
      else {
        settled = true;
        if (message.type === 'done') resolve(message.result);
        else reject(new ImportJobError(message.failure));
        void worker.terminate();
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(new ImportJobError({ message: err.message, code: 'failed', file: null, line: null, field: null }));
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new ImportJobError({ message: `The import worker stopped unexpectedly (exit code ${code}); nothing of the import was kept.`, code: 'failed', file: null, line: null, field: null }));
    });
  });
  return { done, cancel: () => worker.postMessage({ type: 'cancel' } satisfies ToImportWorker) };
}
