// CLI and browser host: where the worker threads' code and the renderer are. In the CLI bundle (dist/cli/peregrine.mjs,
// built by scripts/bundle.js with PEREGRINE_BUNDLE defined) they are the bundled files beside it; in a checkout, the
// TypeScript sources through tsx and dist/renderer.
import path from 'node:path';
import type { WorkerEntry } from './collect-job';
import { tsxWorkerEntry, tsxWriterEntry } from './tsx-entry';

declare const PEREGRINE_BUNDLE: boolean | undefined;

/** True in the CLI bundle: esbuild replaces the name with `true`; in the sources it is never declared. */
export const isBundle = typeof PEREGRINE_BUNDLE !== 'undefined' && PEREGRINE_BUNDLE === true;

/** dist/ of this copy: the bundle sits in dist/cli, the sources' main/ beside dist/. */
function distDir(): string {
  return isBundle ? path.join(import.meta.dirname, '..') : path.join(import.meta.dirname, '..', '..', 'dist');
}

export function caseWriterEntry(): WorkerEntry {
  return isBundle ? { file: path.join(distDir(), 'electron', 'case-writer.cjs'), execArgv: [] } : tsxWriterEntry();
}

export function collectionWorkerEntry(): WorkerEntry {
  return isBundle ? { file: path.join(distDir(), 'electron', 'collect-worker.cjs'), execArgv: [], writer: caseWriterEntry() } : tsxWorkerEntry();
}

/** The built renderer the browser host serves. */
export function defaultRendererDir(): string {
  return path.join(distDir(), 'renderer');
}
