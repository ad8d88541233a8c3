// Vitest for `npm run mutate` only: the tests of the one module group being mutated (scripts/mutation-modules.js).
import process from 'node:process';
import { defineConfig } from 'vitest/config';
import { MUTATION_MODULES } from './scripts/mutation-modules.js';

const group = MUTATION_MODULES.find((m) => m.name === process.env.PEREGRINE_MUTATE_MODULE);

export default defineConfig({
  test: {
    include: group?.tests ?? [],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
