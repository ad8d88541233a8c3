#!/usr/bin/env node
// CLI entry: checks the Node version, then runs the command line — from the TypeScript sources through tsx in a checkout
// (so `npx peregrine` needs no build step), from the bundle `npm run build` writes (dist/cli/peregrine.mjs) where tsx,
// a development dependency, is not installed, or when PEREGRINE_CLI=bundle asks for it.
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}

async function loadCli() {
  const wantBundle = process.env.PEREGRINE_CLI === 'bundle';
  let tsx = null;
  // tsx absent (an install without development dependencies) means the bundle; tsx present but broken is an error.
  if (!wantBundle) tsx = await import('tsx/esm/api').catch((err) => (err?.code === 'ERR_MODULE_NOT_FOUND' ? null : Promise.reject(err)));
  if (tsx) {
    tsx.register();
    return import('../main/cli.ts');
  }
  const bundle = new URL('../dist/cli/peregrine.mjs', import.meta.url);
  try {
    return await import(bundle.href);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('peregrine.mjs')) throw err;
    process.stderr.write('peregrine: the command line is not built (dist/cli/peregrine.mjs is missing). Run `npm run build` in the project folder.\n');
    process.exit(1);
  }
}

// A reader that stops early (`peregrine detect --json | head`) closes the pipe: that ends the output, not in a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
// Into a pipe, stdout is written asynchronously: leave only once everything printed has been handed to the reader
// (exiting at once cut output at 64 KiB). Then exit rather than wait on idle sockets or timers a command left behind.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit();
