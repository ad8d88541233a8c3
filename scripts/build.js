// Build: bundles the Electron main process and preload with esbuild, and the renderer with Vite, into dist/.
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import fs from 'node:fs';

const rendererOnly = process.argv.includes('--renderer-only');
const root = new URL('..', import.meta.url).pathname;

await viteBuild({ configFile: `${root}vite.config.ts`, logLevel: 'warn' });

if (!rendererOnly) {
  fs.mkdirSync(`${root}dist/electron`, { recursive: true });
  const common = { bundle: true, platform: 'node', target: 'node24', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
  // better-sqlite3 stays a real module: electron-builder unpacks its N-API binary from the asar.
  await esbuild({ ...common, entryPoints: ['main/electron/main.ts'], outfile: 'dist/electron/main.cjs', format: 'cjs', external: ['electron', 'better-sqlite3'] });
  await esbuild({ ...common, entryPoints: ['main/jobs/collect-worker.ts'], outfile: 'dist/electron/collect-worker.cjs', format: 'cjs', external: ['better-sqlite3'] });
  await esbuild({ ...common, entryPoints: ['main/collect/writer-worker.ts'], outfile: 'dist/electron/case-writer.cjs', format: 'cjs', external: ['better-sqlite3'] });
  await esbuild({ ...common, entryPoints: ['main/jobs/import-worker.ts'], outfile: 'dist/electron/import-worker.cjs', format: 'cjs', external: ['better-sqlite3'] });
  // A sandboxed preload can require only 'electron': everything else is bundled in.
  await esbuild({ ...common, entryPoints: ['preload/index.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs', external: ['electron'] });
}
console.log(rendererOnly ? 'Built dist/renderer.' : 'Built dist/renderer and dist/electron.');
