// Vitest for `npm run mutate` only: the tests of the one module group being mutated (scripts/mutation-modules.js).
import process from 'node:process';
import { defineConfig } from 'vitest/config';
import { MUTATION_MODULES } from './scripts/mutation-modules.js';

const group = MUTATION_MODULES.find((m) => m.name === process.env.PEREGRINE_MUTATE_MODULE);

export default defineConfig({
  test: {
    // PEREGRINE_MUTATE_TESTS (comma-separated) replaces the group's tests, e.g. to score a module before a test was added.
    include: process.env.PEREGRINE_MUTATE_TESTS?.split(',') ?? group?.tests ?? [],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
