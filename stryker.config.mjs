// StrykerJS (`npm run mutate`, see scripts/mutate.js): mutation testing of one module group at a time, each against
// only the tests that exercise it (vitest.mutate.config.mjs reads the same list).
import process from 'node:process';
import { MUTATION_MODULES } from './scripts/mutation-modules.js';

const name = process.env.PEREGRINE_MUTATE_MODULE;
const group = MUTATION_MODULES.find((m) => m.name === name);
if (!group) throw new Error(`PEREGRINE_MUTATE_MODULE must name a module of scripts/mutation-modules.js, not ${String(name)}`);

// The command runner, one `vitest run` per mutant over the group's tests: with Vitest 5, @stryker-mutator/vitest-runner
// 9.6 runs no test at all for a mutant (its test-name filter matches nothing; stryker-js issue 6210), so every
// mutant "survives". PEREGRINE_MUTATE_RUNNER=vitest selects it again once a fixed release is installed.
const vitestRunner = process.env.PEREGRINE_MUTATE_RUNNER === 'vitest';

export default {
  ...(vitestRunner
    ? { testRunner: 'vitest', vitest: { configFile: 'vitest.mutate.config.mjs', related: false }, coverageAnalysis: 'perTest' }
    : { testRunner: 'command', commandRunner: { command: 'node_modules/.bin/vitest run --config vitest.mutate.config.mjs --bail=1 --reporter=dot' }, coverageAnalysis: 'off' }),
  mutate: group.mutate,
  concurrency: Number(process.env.PEREGRINE_MUTATE_CONCURRENCY ?? 1),
  timeoutMS: 30_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'json', 'progress'],
  jsonReporter: { fileName: `reports/mutation/${group.name.replace(/[^A-Za-z0-9]+/g, '-')}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  ignorePatterns: ['dist', 'release', 'out', 'reports', 'test-results', 'playwright-report', '.sim', 'renderer'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 85, break: null },
};
