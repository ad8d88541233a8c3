// CLI (`peregrine import`): files a client exported, told by their content, shown as a plan, then stored in the case
// as one run (or only read and counted with --dry-run).
import { parseArgs } from 'node:util';
import type { Database } from 'better-sqlite3';
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
import { collectionAmong, importCollection, type CollectionFiles, type CollectionImportResult } from './collection';

export const IMPORT_HELP = `Usage: peregrine import <case> <file|folder>... --note <text> [--format <f>] [--date-format <d>] [--dry-run] [--json]
       peregrine import <case> <collection folder|its .zip> --note <text> [--engagement-app <appId>]... [--dry-run] [--json]

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

The folder \`peregrine script collect\`'s script writes (or a zip of it) is told by its manifest.json and imported
on its own, as the collection it is: every file is checked against the manifest's SHA-256 first (a file changed,
missing or added refuses the whole folder, naming it); each file is then stored as an evidence page of the live
source of its name (directory objects, Exchange configuration, sign-ins, audits, the Unified Audit Log), and what
the script could not read is recorded on its source, as a live collection's notices are. A zip is read without
unpacking it: stored or deflated entries, no ZIP64 or encryption, every name inside the folder.
--engagement-app <appId> (repeatable) names your own apps in the tenant, as a live collection records its
engagement apps, so detection rates their powers as yours rather than as any app's.

Nothing is written unless every record of every file reads: a cut file, a wrong encoding, a record without a
field its format needs — the error names the file, line and field, and the case file is left as it was.
`;

export async function importCommand(args: string[], io: CliIo): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: { format: { type: 'string' }, 'date-format': { type: 'string' }, note: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, 'max-record-mb': { type: 'string' }, 'engagement-app': { type: 'string', multiple: true } },
      allowPositionals: true,
      strict: true,
    }) as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] });
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
    const engagementApps = (values['engagement-app'] as string[] | undefined) ?? [];
    const collection = await collectionAmong(paths);
    if (collection) {
      if (format || dateFormat) throw new UsageError(`${collection.label} is a collection folder: its manifest says what each file is; --format and --date-format do not apply.`);
      const bad = engagementApps.find((a) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(a));
      if (bad !== undefined) throw new UsageError(`--engagement-app takes an app id (a GUID), not '${bad}'.`);
      return await importCollectionCommand(caseFile, collection, { dryRun, note, json: values.json === true, engagementApps: engagementApps.map((a) => a.toLowerCase()) }, io);
    }
    if (engagementApps.length) throw new UsageError('--engagement-app applies to a collection folder only.');
    const plan = await planImport(paths, { format, dateFormat, limits });
    if (!values.json) printPlan(io, plan);
    if (dryRun) {
      const result = await runImport(null, plan, { actor: 'dry run', note, clock: io.clock, limits });
      if (values.json) io.out(JSON.stringify({ plan: planJson(plan), result }, null, 2));
      else printResult(io, result);
      return 0;
    }
    return await intoCase(caseFile, io, async (db, examiner, signal) => {
      const result = await runImport(db, plan, {
        actor: examiner, note, clock: io.clock, limits, signal,
        onProgress: io.isTTY ? (p) => process.stderr.write(`\r${importProgressLine(p, process.stderr.columns || 80)}`) : undefined,
      });
      if (io.isTTY) io.err('');
      if (values.json) io.out(JSON.stringify({ plan: planJson(plan), result }, null, 2));
      else printResult(io, result);
      return 0;
    });
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    if (io.isTTY) io.err('');
    io.err(`peregrine: ${err.message}`);
    io.err(dryRun ? 'Nothing was written (dry run).' : 'Nothing was imported: the case file is as it was.');
    return 1;
  }
}

async function importCollectionCommand(caseFile: string, files: CollectionFiles, o: { dryRun: boolean; note: string; json: boolean; engagementApps: string[] }, io: CliIo): Promise<number> {
  if (!o.json) io.out(`Collection folder ${files.label} (${files.kind}): ${files.paths.length} files beside ${'manifest.json'}; checking every SHA-256 before anything is written.`);
  const print = (r: CollectionImportResult) => {
    if (o.json) {
      io.out(JSON.stringify(r, null, 2));
      return;
    }
    for (const f of r.files) io.out(`  ${f.path}\t${f.source}\t${f.records.toLocaleString('en-US')} records\tsha256 ${f.sha256}`);
    for (const i of r.incomplete) io.out(`  incomplete: ${i.source}: ${i.reason}`);
    const what = `${r.records.toLocaleString('en-US')} records from ${r.files.length} files of ${r.tenant ?? r.tenantId ?? 'an unnamed tenant'}`;
    io.out(r.dryRun ? `Dry run: every hash matches the manifest; ${what} read and checked; nothing was written.` : `Imported ${what} as run ${r.runId}${r.incomplete.length ? `; ${r.incomplete.length} source${r.incomplete.length === 1 ? '' : 's'} recorded as incomplete` : ''}.`);
  };
  if (o.dryRun) {
    print(await importCollection(null, files, { actor: 'dry run', note: o.note, clock: io.clock }));
    return 0;
  }
  return intoCase(caseFile, io, async (db, examiner, signal) => {
    print(await importCollection(db, files, { actor: examiner, note: o.note, clock: io.clock, signal, engagementApps: o.engagementApps }));
    return 0;
  });
}

/** Runs an import into the case, Ctrl-C cancelling it. The file's own journal mode: a refused import leaves a closed case byte for byte as it was. */
async function intoCase(caseFile: string, io: CliIo, run: (db: Database, examiner: string, signal: AbortSignal) => Promise<number>): Promise<number> {
  const { db, summary } = openCase(caseFile, { clock: io.clock, toolVersion: TOOL_VERSION, keepJournalMode: true });
  try {
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    try {
      return await run(db, summary.examiner, controller.signal);
    } finally {
      process.off('SIGINT', onSignal);
    }
  } finally {
    closeDatabase(db);
  }
}

function optionOf<T extends string>(value: string | boolean | string[] | undefined, is: (v: string) => v is T, flag: string, all: readonly string[]): T | undefined {
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

