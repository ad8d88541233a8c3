#!/usr/bin/env node
// CLI entry: checks the Node version, then loads the TypeScript sources through tsx so `npx peregrine` needs no build step.
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.version);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const { register } = await import('tsx/esm/api');

// A reader that stops early (`peregrine detect --json | head`) closes the pipe: that ends the output, not in a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

register();
const { main } = await import('../main/cli.ts');
process.exitCode = await main(process.argv.slice(2));
// Into a pipe, stdout is written asynchronously: leave only once everything printed has been handed to the reader
// (exiting at once cut output at 64 KiB). Then exit rather than wait on idle sockets or timers a command left behind.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit();
