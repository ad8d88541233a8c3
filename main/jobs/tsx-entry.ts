// CLI, browser host and tests (not the packaged app): the collection worker run from its TypeScript source through tsx.
import { fileURLToPath } from 'node:url';
import type { WorkerEntry } from './collect-job';

export function tsxWorkerEntry(): WorkerEntry {
  return { file: fileURLToPath(new URL('./collect-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}
