// CLI, browser host and tests (not the packaged app): the collection worker and the case writer run from their TypeScript sources through tsx.
import { fileURLToPath } from 'node:url';
import type { WorkerEntry } from './collect-job';

/**
 * tsx's loader by its full address: a bare `--import tsx` is resolved from the current folder, so a command run from
 * a case folder outside the project could not start its workers.
 */
const TSX_LOADER = import.meta.resolve('tsx');

export function tsxWorkerEntry(): WorkerEntry {
  return { file: fileURLToPath(new URL('./collect-worker.ts', import.meta.url)), execArgv: ['--import', TSX_LOADER], writer: tsxWriterEntry() };
}

/** The case writer thread a collection stores its pages on, from its TypeScript source through tsx. */
export function tsxWriterEntry(): WorkerEntry {
  return { file: fileURLToPath(new URL('../collect/writer-worker.ts', import.meta.url)), execArgv: ['--import', TSX_LOADER] };
}

/** The import worker, from its TypeScript source through tsx. */
export function tsxImportEntry(): WorkerEntry {
  return { file: fileURLToPath(new URL('./import-worker.ts', import.meta.url)), execArgv: ['--import', TSX_LOADER] };
}
