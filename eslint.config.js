// Lint: TypeScript rules plus the layering of DESIGN.md as build errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'https', 'child_process', 'worker_threads', 'zlib', 'net', 'tls', 'url', 'util', 'stream'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'release/', 'test-results/', 'playwright-report/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.{js,ts,tsx}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Only main/electron/ may import electron.
    files: ['main/**/*.ts', 'db/**/*.ts', 'preload/contract.ts', 'test/**/*.ts', 'scripts/**/*.{js,ts}'],
    ignores: ['main/electron/**', 'test/e2e/electron.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only main/electron/ imports electron (DESIGN.md).' }] }],
    },
  },
  {
    // db/ and services never touch the DOM or electron; preload/contract.ts is shared with the renderer.
    files: ['preload/contract.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The contract is shared with the renderer: no electron.' }],
        patterns: [{ group: nodeBuiltins, message: 'The contract is shared with the renderer: no Node built-ins.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'electron', message: 'The renderer talks to main only through renderer/lib/api.ts.' },
          { name: 'better-sqlite3', message: 'The renderer never opens the case file.' },
        ],
        patterns: [{ group: nodeBuiltins, message: 'The renderer runs in a sandboxed web page: no Node built-ins.' }],
      }],
    },
  },
);
