// Build: the esbuild bundles that ship — the Electron main process, its preload, the collection worker, the case
// writer (dist/electron) and the command line (dist/cli). Nothing here compiles TypeScript at run time: tsx is a
// development dependency only. Used by scripts/build.js, scripts/check-bundle.js and the bundle test.
import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(new URL('..', import.meta.url).pathname);
const common = { bundle: true, platform: 'node', target: 'node24', logLevel: 'warning', absWorkingDir: root, metafile: true };

/** Each bundle: its entry, its output under the chosen dist folder, and what stays a real module. */
export const BUNDLES = [
  // better-sqlite3 stays a real module: electron-builder unpacks its N-API binary from the asar.
  { name: 'main', entry: 'main/electron/main.ts', out: 'electron/main.cjs', format: 'cjs', external: ['electron', 'better-sqlite3'] },
  { name: 'collect-worker', entry: 'main/jobs/collect-worker.ts', out: 'electron/collect-worker.cjs', format: 'cjs', external: ['better-sqlite3'] },
  { name: 'case-writer', entry: 'main/collect/writer-worker.ts', out: 'electron/case-writer.cjs', format: 'cjs', external: ['better-sqlite3'] },
  // Found beside the collection worker by the import area (main/host/areas/import.ts).
  { name: 'import-worker', entry: 'main/jobs/import-worker.ts', out: 'electron/import-worker.cjs', format: 'cjs', external: ['better-sqlite3'] },
  // Found beside the collection worker by the workbench's findings and verification (main/host/areas/context.ts).
  { name: 'reader-worker', entry: 'main/jobs/reader-worker.ts', out: 'electron/reader-worker.cjs', format: 'cjs', external: ['better-sqlite3'] },
  // A sandboxed preload can require only 'electron': everything else is bundled in.
  { name: 'preload', entry: 'preload/index.ts', out: 'electron/preload.cjs', format: 'cjs', external: ['electron'] },
  // The CLI as an ES module exporting main(); bin/peregrine.js loads it when tsx is not installed. Its workers are
  // the two above (dist/electron), its renderer dist/renderer (main/jobs/worker-entries.ts).
  {
    name: 'cli',
    entry: 'main/cli.ts',
    out: 'cli/peregrine.mjs',
    format: 'esm',
    external: ['better-sqlite3'],
    define: { PEREGRINE_BUNDLE: 'true' },
    // CommonJS dependencies bundled into an ES module still call require() for Node's own modules.
    banner: { js: "import { createRequire as __peregrineRequire } from 'node:module'; const require = __peregrineRequire(import.meta.url);" },
  },
];

/**
 * Builds every bundle into `distDir` (default dist/). Returns, per bundle, its output file and the source files it
 * carries (from esbuild's metafile), so a check can name a development-only package that slipped in.
 */
export async function buildBundles({ distDir = path.join(root, 'dist'), sourcemap = true, only } = {}) {
  const results = [];
  for (const b of BUNDLES.filter((x) => !only || only.includes(x.name))) {
    const outfile = path.join(distDir, b.out);
    const r = await build({ ...common, sourcemap, entryPoints: [b.entry], outfile, format: b.format, external: b.external, define: b.define, banner: b.banner });
    results.push({ name: b.name, outfile, inputs: Object.keys(r.metafile.inputs) });
  }
  return results;
}
