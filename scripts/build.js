// Build: the renderer with Vite, then the main process, preload, workers and CLI with esbuild (scripts/bundle.js), into dist/.
import { buildBundles } from './bundle.js';
import { build as viteBuild } from 'vite';

const rendererOnly = process.argv.includes('--renderer-only');
const root = new URL('..', import.meta.url).pathname;

await viteBuild({ configFile: `${root}vite.config.ts`, logLevel: 'warn' });

if (!rendererOnly) await buildBundles();
console.log(rendererOnly ? 'Built dist/renderer.' : 'Built dist/renderer, dist/electron and dist/cli.');
