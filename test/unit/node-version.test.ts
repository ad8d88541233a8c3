// The CLI names the Node it needs instead of crashing inside better-sqlite3 on an old one.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript module of the CLI entry, without type declarations.
import { nodeVersionProblem } from '../../bin/node-version.js';

const entry = path.resolve(__dirname, '../../bin/peregrine.js');

describe('the Node version guard', () => {
  it('refuses Node 20 and older, naming the version and how to run it, and accepts 22 and newer', () => {
    expect(nodeVersionProblem('v20.20.2')).toMatch(/^peregrine: Node\.js 22 or newer is needed .* this is Node v20\.20\.2\.\nRun it through npm/);
    expect(nodeVersionProblem('v18.0.0')).toMatch(/this is Node v18\.0\.0/);
    expect(nodeVersionProblem('nonsense')).toMatch(/this is Node nonsense/);
    expect(nodeVersionProblem('v22.0.0')).toBeNull();
    expect(nodeVersionProblem('v24.11.1')).toBeNull();
  });

  it('stops the CLI before anything native loads when run with an old Node, and runs under the project Node', () => {
    // npm puts the project's Node 24 first on PATH for this test; the machine's own Node (if older) is tried directly.
    expect(execFileSync(process.execPath, [entry, '--version'], { encoding: 'utf8' }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => spawnSync(p, ['--version']).status === 0);
    if (!systemNode) return;
    const version = spawnSync(systemNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const run = spawnSync(systemNode, [entry, '--version'], { encoding: 'utf8' });
    if (nodeVersionProblem(version)) {
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`this is Node ${version}.`);
      expect(run.stdout).toBe('');
    } else {
      expect(run.status).toBe(0);
    }
  });
});
