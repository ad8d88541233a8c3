// Tests (Vitest and Playwright): what a test needs from the machine — a tool on PATH, the shared corpus, a binary —
// checked in one place. Where something is missing the test is skipped with the reason in its title; under
// PEREGRINE_REQUIRE_ALL=1 (set by .ci/run) it fails instead, unless that prerequisite may be absent even in CI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Set by CI: nothing the suite needs may be missing. */
export const REQUIRE_ALL = process.env.PEREGRINE_REQUIRE_ALL === '1';

export interface Need {
  what: string;
  present: boolean;
}

export interface Prerequisite {
  /** What is missing, or null when all is there. */
  missing: string | null;
  /** Skip: something is missing, and that is allowed here. */
  skip: boolean;
  /** The test's title, carrying the reason when it is skipped. */
  title(name: string): string;
  /** Throws, naming what is missing, when a required prerequisite is absent. */
  check(): void;
}

/**
 * `optional` names why a prerequisite may be absent even in CI (the Electron binary, a platform without POSIX file
 * modes): then it skips under PEREGRINE_REQUIRE_ALL too, saying so.
 */
export function prerequisite(needs: Need[], opts: { optional?: string } = {}): Prerequisite {
  const missing = needs.filter((n) => !n.present).map((n) => n.what).join(', ') || null;
  const skip = missing !== null && (!REQUIRE_ALL || opts.optional !== undefined);
  return {
    missing,
    skip,
    title: (name) => (skip ? `${name} [skipped: ${missing} missing${opts.optional ? ` — ${opts.optional}` : ''}]` : name),
    check: () => {
      if (missing !== null && !skip) throw new Error(`${missing} missing: PEREGRINE_REQUIRE_ALL=1 requires it (.ci/run installs it).`);
    },
  };
}

/** A program on PATH (answers at all when run with `args`). */
export function onPath(bin: string, args = ['-h']): Need {
  return { what: `${bin} on PATH`, present: spawnSync(bin, args, { stdio: 'ignore' }).error === undefined };
}

/** ../shared/corpus beside the checkout, or PEREGRINE_CORPUS. */
export const CORPUS = process.env.PEREGRINE_CORPUS ?? path.resolve(import.meta.dirname, '../../../shared/corpus');

/** A file or folder of the shared corpus (the manifest by default). */
export function corpus(entry = 'MANIFEST.tsv'): Need {
  return { what: `the shared corpus (${path.join(CORPUS, entry)}; set PEREGRINE_CORPUS)`, present: fs.existsSync(path.join(CORPUS, entry)) };
}

/** POSIX file modes (0600 keys, 0700 folders): not on Windows. */
export const POSIX_MODES: Need = { what: 'POSIX file modes', present: process.platform !== 'win32' };
