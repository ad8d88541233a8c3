#!/usr/bin/env node
// CLI entry: loads the TypeScript sources through tsx so `npx peregrine` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli.ts');
const code = await main(process.argv.slice(2));
// `serve` returns only when asked to stop; every other command is done: do not wait on idle sockets or timers.
process.exit(code);
