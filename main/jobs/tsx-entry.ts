// CLI, browser host and tests (not the packaged app): the collection worker and the case writer run from their TypeScript sources through tsx.
import { fileURLToPath } from 'node:url';
import type { WorkerEntry } from './collect-job';

export function tsxWorkerEntry(): WorkerEntry {
  return { file: fileURLToPath(new URL('./collect-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'], writer: tsxWriterEntry() };
}

/** The case writer thread a collection stores its pages on, from its TypeScript source through tsx. */
export function tsxWriterEntry(): WorkerEntry {
  return { file: fileURLToPath(new URL('../collect/writer-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}
