// Main process: starts a collection in a worker thread so paging, hashing and SQLite writes never block the window; answers its token requests.
import { Worker } from 'node:worker_threads';
import type { CollectionStatus } from '../../preload/contract';
import type { CollectionJob, FromWorker, Service, ToWorker } from './protocol';

/** Where the worker's code is: the bundled file in the app, or the TypeScript source through tsx elsewhere. */
export interface WorkerEntry {
  file: string;
  execArgv: string[];
  /** The collection worker's case writer thread: pages are stored there while the next requests go out. */
  writer?: WorkerEntry;
}

export interface RunningJob {
  done: Promise<CollectionStatus>;
  cancel(): void;
}

export function startCollectionJob(
  entry: WorkerEntry,
  job: CollectionJob,
  deps: { getToken: (service: Service, opts: { forceRefresh: boolean }) => Promise<string>; onProgress: (status: CollectionStatus) => void },
): RunningJob {
  const worker = new Worker(entry.file, { workerData: { ...job, writerWorker: entry.writer ?? null } satisfies CollectionJob, execArgv: entry.execArgv });
  const post = (m: ToWorker) => worker.postMessage(m);
  let settled = false;
  const done = new Promise<CollectionStatus>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'token':
          deps.getToken(message.service, { forceRefresh: message.forceRefresh }).then(
            (token) => post({ type: 'token', requestId: message.requestId, token }),
            (err: Error) => post({ type: 'token-error', requestId: message.requestId, message: err.message }),
          );
          break;
        case 'progress':
          deps.onProgress(message.status);
          break;
        case 'done':
          settled = true;
          resolve(message.status);
          void worker.terminate();
          break;
        case 'failed':
          settled = true;
          reject(new Error(message.message));
          void worker.terminate();
          break;
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`The collection worker stopped unexpectedly (exit code ${code}). What was stored is kept; resume the collection.`));
    });
  });
  return { done, cancel: () => post({ type: 'cancel' }) };
}
