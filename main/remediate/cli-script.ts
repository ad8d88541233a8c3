// CLI (`peregrine remediate <case> script | import-results`): the checklist as a PowerShell script for clients who
// make the changes themselves, and its result file read back. The recorded plan and the recording of outcomes come
// from the caller (the remediate command), so these handlers only read and write the two files.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { sha256Hex } from '../../db/queries/evidence';
import { UsageError, type CliIo } from '../cli';
import type { PlannedStep, StepStatus } from './model';
import { pendingSteps, remediationScript } from './powershell';
import { MAX_RESULTS_BYTES, parseResults, type ImportedResult } from './results';

export const SCRIPT_HELP = `Usage: peregrine remediate <case> script --out <file.ps1>

Writes one PowerShell 7 script of the steps still pending, for a client who makes the changes on their own machine.
Each change is the same request Peregrine would send, one line each; before it the object is read again and compared
with what the step was planned on (a changed object is left alone), and each change asks first: run it with -WhatIf
to see what it would do. It needs Microsoft.Graph.Authentication and ExchangeOnlineManagement, and writes a result
file (-ResultsPath, default ./peregrine-results.json) for \`import-results\`. A temporary password it makes is shown
once on the screen and written nowhere. The file is not overwritten if it exists.
`;

export const IMPORT_RESULTS_HELP = `Usage: peregrine remediate <case> import-results <results.json>

Reads the result file the script wrote and records each item: written or already gone becomes "done outside
Peregrine" (never shown as verified until a new collection proves it), a failure or an object changed since the plan
becomes "failed" with its note, a skipped item stays skipped; items only described (-WhatIf) are not recorded.
Every step id and item must be one of this case's plan and the tenant must be this case's: otherwise nothing is
recorded and the error names the line and field.
`;

/** The recorded plan a script is made from and results are checked against. */
export interface RecordedPlan {
  steps: readonly PlannedStep[];
  statuses: readonly StepStatus[];
  /** Values steps recorded that later steps name (`<stepId>/<itemKey>/<field>`). */
  refs: Readonly<Record<string, string>>;
  tenant: { id: string; domain: string };
  caseName: string;
}

/** The plan's fingerprint, written into the script and its result file. */
export function planDigest(steps: readonly PlannedStep[]): string {
  return sha256Hex(JSON.stringify([...steps].sort((a, b) => a.order - b.order)));
}

function options(args: string[], config: ParseArgsConfig['options'], positionals: number) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`Unexpected argument "${parsed.positionals[positionals]}".`);
  return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
}

export function scriptSubcommand(args: string[], io: CliIo, plan: RecordedPlan): number {
  const { values } = options(args, { out: { type: 'string' } }, 0);
  if (typeof values.out !== 'string' || values.out === '') throw new UsageError('script needs --out <file.ps1>.');
  const out = path.resolve(values.out);
  const pending = pendingSteps(plan.steps, plan.statuses);
  if (pending.length === 0) {
    io.out('No step is pending: nothing to put in a script.');
    return 0;
  }
  const script = remediationScript({ ...plan, generatedAt: io.clock().toISOString() }, planDigest(plan.steps));
  try {
    fs.writeFileSync(out, script, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${out} exists: choose another --out (a script is never overwritten).`);
    throw error;
  }
  const items = pending.reduce((n, s) => n + s.items.length, 0);
  io.out(`Wrote ${out}: ${pending.length} steps, ${items} items.`);
  io.out(`Run it first as: pwsh -File ${JSON.stringify(out)} -WhatIf`);
  io.out(`Then read its results back: peregrine remediate <case> import-results peregrine-results.json`);
  return 0;
}

/**
 * Reads and checks the whole file first; only then is each result recorded (the caller records them in one
 * transaction), so a bad file records nothing.
 */
export function importResultsSubcommand(args: string[], io: CliIo, plan: RecordedPlan, record: (results: readonly ImportedResult[]) => void): number {
  const { positionals } = options(args, {}, 1);
  const file = positionals[0];
  if (!file) throw new UsageError('import-results needs the result file the script wrote.');
  if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist.`);
  const size = fs.statSync(file).size;
  if (size > MAX_RESULTS_BYTES) throw new UsageError(`${file} is ${size} bytes: larger than a result file of this plan can be.`);
  const parsed = parseResults(file, fs.readFileSync(file, 'utf8'), plan.steps, plan.tenant.id);
  if (parsed.planSha256 !== planDigest(plan.steps)) io.err('The plan changed since this script was made: results are matched to the steps and items they name.');
  record(parsed.results);
  const count = (o: ImportedResult['outcome']) => parsed.results.filter((r) => r.outcome === o).length;
  io.out(`Recorded ${parsed.results.length} results from ${file}: ${count('done-outside')} done outside Peregrine, ${count('failed')} failed, ${count('skipped')} skipped` +
    `${parsed.notRun > 0 ? `; ${parsed.notRun} only described (-WhatIf), not recorded` : ''}.`);
  for (const r of parsed.results.filter((x) => x.outcome === 'failed')) io.out(`  failed  ${r.stepId} ${r.itemKey}: ${r.note}`);
  if (count('done-outside') > 0) io.out('Collect again to verify the changes: until then they are not shown as verified.');
  return 0;
}
