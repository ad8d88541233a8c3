// CLI, browser host and tests in a checkout (not the packaged app, not the CLI bundle): the collection worker and the
// case writer run from their TypeScript sources through tsx.
import { fileURLToPath } from 'node:url';
import type { WorkerEntry } from './collect-job';

/**
 * tsx's loader by its full address: a bare `--import tsx` is resolved from the current folder, so a command run from
 * a case folder outside the project could not start its workers. Resolved when a worker starts, never when this
 * module loads: a bundle that carries this module without tsx (the app, the CLI bundle) must still load.
 */
function tsxLoader(): string {
  return import.meta.resolve('tsx');
}

export function tsxWorkerEntry(): WorkerEntry {
  return { file: fileURLToPath(new URL('./collect-worker.ts', import.meta.url)), execArgv: ['--import', tsxLoader()], writer: tsxWriterEntry() };
}

/** The case writer thread a collection stores its pages on, from its TypeScript source through tsx. */
export function tsxWriterEntry(): WorkerEntry {
  return { file: fileURLToPath(new URL('../collect/writer-worker.ts', import.meta.url)), execArgv: ['--import', tsxLoader()] };
}
