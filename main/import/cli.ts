// CLI (`peregrine import`): files a client exported, told by their content, shown as a plan, then stored in the case
// as one run (or only read and counted with --dry-run).
import { parseArgs } from 'node:util';
import { openCase } from '../case/case';
import { closeDatabase } from '../../db/connection';
import { importProgressLine } from '../cli/progress';
import { UsageError, type CliIo } from '../cli';
import { TOOL_VERSION } from '../version';
import { DATE_FORMATS, isDateFormat } from './dates';
import { ImportError } from './errors';
import { DEFAULT_LIMITS } from './file';
import { FORMATS, FORMAT_IDS, isFormatId, type FormatId } from './formats';
import { planImport, runImport, type ImportPlan, type ImportResult } from './importer';

export const IMPORT_HELP = `Usage: peregrine import <case> <file|folder>... --note <text> [--format <f>] [--date-format <d>] [--dry-run] [--json]

Imports log files a client exported into the case, as one import run: each file is kept whole as evidence (in
chunks of whole records, hashed as it is read, never read whole into memory), its name, size, sha256 and your
note recorded in custody, and its records stored as collected ones are — so detections, the timeline and
verify work over it. A record imported twice, or also collected, is one event in the timeline. A folder's files
are all imported (hidden ones left out). A file the case already holds (same sha256) is left out, saying so.

The format is told from each file's content, not its name, and printed before anything is written:
${FORMAT_IDS.map((id) => `  ${id.padEnd(19)}${FORMATS[id].label}`).join('\n')}
CSV and JSON (an array, a Graph page {"value": [...]}, one object, or one object per line), UTF-8 or UTF-16LE
with a byte-order mark.

  --note <text>          who handed the files over, when, how (recorded in custody; required to import)
  --format <f>           the format of every file, when its content does not say (one of the above)
  --date-format <d>      how an audit search CSV writes CreationDate: ${DATE_FORMATS.join(', ')}
                         (times H:mm:ss with or without AM/PM, all UTC). Without it the format is read
                         from every date in the file, and the import is refused when they fit two.
  --dry-run              read and check every record and print the counts; write nothing
  --json                 print the plan and the result as JSON
  --max-record-mb <n>    refuse a line or record longer than this (default ${DEFAULT_LIMITS.maxRecordBytes / 1024 / 1024})

Nothing is written unless every record of every file reads: a cut file, a wrong encoding, a record without a
field its format needs — the error names the file, line and field, and the case file is left as it was.
`;

export async function importCommand(args: string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: { format: { type: 'string' }, 'date-format': { type: 'string' }, note: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, 'max-record-mb': { type: 'string' } },
      allowPositionals: true,
      strict: true,
    }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
  const [caseFile, ...paths] = positionals;
  if (!caseFile || paths.length === 0) throw new UsageError('Expected <case> and at least one <file|folder>.');
  const format = optionOf(values.format, isFormatId, '--format', FORMAT_IDS);
  const dateFormat = optionOf(values['date-format'], isDateFormat, '--date-format', DATE_FORMATS);
  const dryRun = values['dry-run'] === true;
  const note = typeof values.note === 'string' ? values.note.trim() : '';
  if (!dryRun && note === '') throw new UsageError('--note is required: say who handed the files over (recorded in custody with each file).');
  const limits = { ...DEFAULT_LIMITS };
  if (typeof values['max-record-mb'] === 'string') {
    const mb = Number(values['max-record-mb']);
    if (!Number.isFinite(mb) || mb <= 0) throw new UsageError('--max-record-mb must be a positive number.');
    limits.maxRecordBytes = Math.round(mb * 1024 * 1024);
  }

  try {
    const plan = await planImport(paths, { format, dateFormat, limits });
    if (!values.json) printPlan(io, plan);
    if (dryRun) {
      const result = await runImport(null, plan, { actor: 'dry run', note, clock: io.clock, limits });
      if (values.json) io.out(JSON.stringify({ plan: planJson(plan), result }, null, 2));
      else printResult(io, result);
      return 0;
    }
    // The file's own journal mode: an import refused leaves a closed case byte for byte as it was.
    const { db, summary } = openCase(caseFile, { clock: io.clock, toolVersion: TOOL_VERSION, keepJournalMode: true });
    try {
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      try {
        const result = await runImport(db, plan, {
          actor: summary.examiner, note, clock: io.clock, limits, signal: controller.signal,
          onProgress: io.isTTY ? (p) => process.stderr.write(`\r${importProgressLine(p, process.stderr.columns || 80)}`) : undefined,
        });
        if (io.isTTY) io.err('');
        if (values.json) io.out(JSON.stringify({ plan: planJson(plan), result }, null, 2));
        else printResult(io, result);
        return 0;
      } finally {
        process.off('SIGINT', onSignal);
      }
    } finally {
      closeDatabase(db);
    }
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    if (io.isTTY) io.err('');
    io.err(`peregrine: ${err.message}`);
    io.err(dryRun ? 'Nothing was written (dry run).' : 'Nothing was imported: the case file is as it was.');
    return 1;
  }
}

function optionOf<T extends string>(value: string | boolean | undefined, is: (v: string) => v is T, flag: string, all: readonly string[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !is(value)) throw new UsageError(`${flag} must be one of ${all.join(', ')}.`);
  return value;
}

function planJson(plan: ImportPlan) {
  return plan.files.map((f) => ({ file: f.name, size: f.size, format: f.format, label: FORMATS[f.format].label, detectedBy: f.detectedBy, container: f.container, encoding: f.encoding, dateFormat: f.dateFormat }));
}

function printPlan(io: CliIo, plan: ImportPlan): void {
  io.out(`Plan: ${plan.files.length} file${plan.files.length === 1 ? '' : 's'}, ${plan.totalBytes.toLocaleString('en-US')} bytes`);
  for (const f of plan.files) {
    const how = f.detectedBy === 'content' ? 'told from its content' : 'as given by --format';
    const date = f.dateFormat ? `, dates ${f.dateFormat}` : '';
    io.out(`  ${f.name}\t${f.size.toLocaleString('en-US')} bytes\t${f.format} (${FORMATS[f.format as FormatId].label}; ${how})\t${f.container}, ${f.encoding === 'utf16le' ? 'UTF-16LE' : 'UTF-8'}${f.bom ? ' with BOM' : ''}${date}`);
  }
}

function printResult(io: CliIo, r: ImportResult): void {
  for (const f of r.files) {
    io.out(`  ${f.name}\t${f.skipped ? `skipped: ${f.skipped}` : `${f.records.toLocaleString('en-US')} records in ${f.chunks} evidence chunk${f.chunks === 1 ? '' : 's'}`}\tsha256 ${f.sha256}`);
  }
  const span = r.window ? ` from ${r.window.from} to ${r.window.to}` : '';
  if (r.dryRun) io.out(`Dry run: ${r.records.toLocaleString('en-US')} records read and checked${span}; nothing was written.`);
  else if (r.runId === null) io.out('Nothing new to import: every file is already in the case.');
  else io.out(`Imported ${r.records.toLocaleString('en-US')} records${span} as run ${r.runId}.`);
}

