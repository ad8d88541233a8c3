// `npm run mutate [-- <module> …]`: StrykerJS over each module group of scripts/mutation-modules.js in turn (or the
// ones named: a group name such as main/sign, or a file inside one), one process at a time; prints each score.
// Slow on two cores and never part of `npm test`. PEREGRINE_MUTATE_CONCURRENCY (default 1) sets Stryker's workers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { MUTATION_MODULES } from './mutation-modules.js';

const asked = process.argv.slice(2);
const groups = asked.length === 0
  ? MUTATION_MODULES
  : asked.flatMap((arg) => {
      const norm = arg.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/$/, '');
      // A group's name, a file it mutates, or a folder: every group mutating files in it.
      const found = MUTATION_MODULES.filter((m) => m.name === norm || m.mutate.some((glob) => glob === norm || path.posix.dirname(glob) === norm));
      if (found.length === 0) {
        console.error(`${arg}: not a module that mutate knows. Known: ${MUTATION_MODULES.map((m) => m.name).join(', ')}`);
        process.exit(2);
      }
      return found;
    });

const scores = [];
for (const group of groups) {
  console.log(`\n=== ${group.name}`);
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], { stdio: 'inherit', env: { ...process.env, PEREGRINE_MUTATE_MODULE: group.name } });
  const file = path.join('reports', 'mutation', `${group.name.replace(/[^A-Za-z0-9]+/g, '-')}.json`);
  if (run.status !== 0 || !fs.existsSync(file)) {
    scores.push(`${group.name}: the run failed (exit ${run.status})`);
    continue;
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const count = { killed: 0, survived: 0, noCoverage: 0, timeout: 0, other: 0 };
  for (const f of Object.values(report.files)) {
    for (const m of f.mutants) {
      const key = m.status === 'Killed' ? 'killed' : m.status === 'Survived' ? 'survived' : m.status === 'NoCoverage' ? 'noCoverage' : m.status === 'Timeout' ? 'timeout' : 'other';
      count[key] += 1;
    }
  }
  const detected = count.killed + count.timeout;
  const valid = detected + count.survived + count.noCoverage;
  scores.push(`${group.name}: ${valid ? ((100 * detected) / valid).toFixed(1) : '—'}% killed (${count.killed} killed, ${count.timeout} timed out, ${count.survived} survived, ${count.noCoverage} not covered; ${file})`);
}
console.log(`\n${scores.join('\n')}`);
