// `npm run bench`: every benchmark in turn, each printing one JSON document (ratios against a baseline from its own run).
import { spawnSync } from 'node:child_process';

const quick = process.argv.includes('--quick');
const runs: [string, string[]][] = [
  ['bench/sim.ts', quick ? ['--users', '1000', '--days', '30', '--pages', '5'] : []],
  ['bench/collect.ts', quick ? ['--users', '500', '--days', '30'] : []],
  ['bench/detect.ts', quick ? ['--quick'] : []],
  ['bench/timeline.ts', quick ? ['--quick'] : []],
  // Needs the built renderer (npm run build) and Chromium; reuses the case bench/timeline.ts built for its event count.
  ['bench/timeline-screen.ts', quick ? ['--quick'] : []],
  ['bench/import.ts', quick ? ['--quick'] : []],
];
for (const [script, args] of runs) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
