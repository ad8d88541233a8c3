// Import (CLI, import worker): files handed over by a client, stored in the case as one run — each file kept whole as
// evidence chunks with its provenance in custody, its records in the same tables a collection fills — all or nothing.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { appendCustody } from '../../db/queries/custody';
import { runEvidenceDigest } from '../../db/queries/evidence';
import { finishRun, startRun } from '../../db/queries/runs';
import { finishSource, initSources, listSources, markSourceRunning } from '../../db/queries/sources';
import { applyWrite } from '../collect/writes';
import type { DateFormat } from './dates';
import { ImportError } from './errors';
import { DEFAULT_LIMITS, readChunks, sniffFile, type FilePlan, type ReadLimits } from './file';
import { FORMATS, type FormatId } from './formats';
import { importSourceName, importSourceNamed } from './sources';

export interface ImportPlan {
  files: FilePlan[];
  totalBytes: number;
}

export interface ImportProgress {
  /** The file being read, its place in the plan, and the bytes and records read so far of the whole import. */
  file: string;
  fileIndex: number;
  files: number;
  bytes: number;
  totalBytes: number;
  records: number;
  elapsedMs: number;
}

export interface ImportedFile {
  name: string;
  size: number;
  /** 'collection': a file of the collection script's folder (main/import/collection.ts), stored as its live source's page. */
  format: FormatId | 'collection';
  label: string;
  detectedBy: 'content' | 'override';
  encoding: string;
  container: string;
  dateFormat: DateFormat | null;
  records: number;
  sha256: string;
  chunks: number;
  /** Why nothing of it was stored (already in the case), or null. */
  skipped: string | null;
}

export interface ImportResult {
  /** The run the records were stored under; null for a dry run or when nothing was new. */
  runId: string | null;
  dryRun: boolean;
  files: ImportedFile[];
  records: number;
  /** The first and last record times (to is exclusive). */
  window: { from: string; to: string } | null;
  elapsedMs: number;
}

export interface ImportOptions {
  format?: FormatId;
  dateFormat?: DateFormat;
  limits?: ReadLimits;
}

export interface ImportDeps {
  /** Who imports (the case's examiner) and their note on who handed the files over. */
  actor: string;
  note: string;
  clock: () => Date;
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  limits?: ReadLimits;
}

/** Files of the arguments: a file as it is, a folder's regular files (recursively, hidden ones left out) by path. */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(p);
    } catch (err) {
      throw new ImportError('io', path.basename(p), null, null, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    }
    if (stat.isDirectory()) {
      const entries = (await fs.promises.readdir(p, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith('.'))
        .map((e) => path.join(e.parentPath, e.name))
        .filter((f) => !path.relative(p, f).split(path.sep).some((part) => part.startsWith('.')))
        .sort();
      if (entries.length === 0) throw new ImportError('io', path.basename(p), null, null, 'the folder holds no files to import.');
      out.push(...entries);
    } else out.push(p);
  }
  return out;
}

/** Each file's format, encoding and date format, told before anything is written. */
export async function planImport(paths: readonly string[], opts: ImportOptions = {}): Promise<ImportPlan> {
  const files: FilePlan[] = [];
  for (const file of await expandPaths(paths)) files.push(await sniffFile(file, opts));
  return { files, totalBytes: files.reduce((n, f) => n + f.size, 0) };
}

/**
 * Reads every file of the plan; unless `db` is null (a dry run: every record read and checked, nothing written), stores
 * them as one import run in one transaction. Any refusal — a bad record, a cut file, a cancel — rolls all of it back:
 * the case is left as it was. A file whose sha256 the case already holds from an earlier import is left out.
 */
export async function runImport(db: Database | null, plan: ImportPlan, deps: ImportDeps): Promise<ImportResult> {
  const started = performance.now();
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const at = deps.clock().toISOString();
  const runId = randomUUID();
  const files: ImportedFile[] = [];
  let bytes = 0;
  let records = 0;
  let from: string | null = null;
  let to: string | null = null;
  const progress = (fileIndex: number) =>
    deps.onProgress?.({ file: plan.files[fileIndex]?.name ?? '', fileIndex, files: plan.files.length, bytes, totalBytes: plan.totalBytes, records, elapsedMs: performance.now() - started });
  const sources = [...new Set(plan.files.map((f) => importSourceName(f.format)))];
  const storeFor = (name: string) => importSourceNamed(name)?.store;
  const known = db ? importedHashes(db) : new Map<string, string>();
  if (db) {
    db.exec('BEGIN IMMEDIATE');
    startRun(db, { runId, startedAt: at, environment: 'import', tenantId: plan.files.find((f) => f.tenantId)?.tenantId ?? 'unknown', account: deps.actor });
    initSources(db, runId, sources.map((source) => ({ source, label: importSourceNamed(source)!.label })));
  }
  try {
    for (const [i, file] of plan.files.entries()) {
      const source = importSourceName(file.format);
      progress(i);
      db?.exec('SAVEPOINT import_file');
      if (db) markSourceRunning(db, runId, source, at);
      const evidenceIds: number[] = [];
      let fileRecords = 0;
      let chunks = 0;
      let fileFrom: string | null = null;
      let fileTo: string | null = null;
      const reader = readChunks(file, limits, deps.signal, (n) => {
        bytes += n;
      });
      let next = await reader.next();
      while (!next.done) {
        const chunk = next.value;
        if (db) {
          applyWrite(db, {
            op: 'page', runId, source, label: FORMATS[file.format].label, at,
            page: {
              method: 'IMPORT', url: chunkUrl(file.name, chunks, chunk.descriptor.state?.byteStart ?? 0, chunk.body.length), status: 200,
              contentType: file.container === 'csv' ? 'text/csv' : file.container === 'ndjson' ? 'application/x-ndjson' : 'application/json',
              body: chunk.body, requestBody: JSON.stringify(chunk.descriptor), value: chunk.records, next: null, truncated: false, notices: [],
            },
          }, storeFor);
          evidenceIds.push(db.prepare('SELECT max(id) FROM evidence').pluck().get() as number);
        }
        for (const r of chunk.records) {
          if (r.at !== null && (fileFrom === null || r.at < fileFrom)) fileFrom = r.at;
          if (r.at !== null && (fileTo === null || r.at > fileTo)) fileTo = r.at;
        }
        fileRecords += chunk.records.length;
        records += chunk.records.length;
        chunks++;
        progress(i);
        next = await reader.next();
      }
      const { sha256, size } = next.value;
      const earlier = known.get(sha256);
      const skipped = earlier ? `already imported (run ${earlier}); nothing of it was stored again` : null;
      if (db && skipped) {
        db.exec('ROLLBACK TO import_file');
        records -= fileRecords;
      } else {
        if (fileFrom !== null && (from === null || fileFrom < from)) from = fileFrom;
        if (fileTo !== null && (to === null || fileTo > to)) to = fileTo;
        if (db) {
          known.set(sha256, runId);
          appendCustody(db, {
            at, action: 'evidence.imported', actor: deps.actor,
            details: {
              runId, file: file.name, size, sha256, format: file.format, formatDetectedBy: file.detectedBy, encoding: file.encoding, container: file.container,
              dateFormat: file.dateFormat, records: fileRecords, evidence: evidenceIds.length ? [evidenceIds[0]!, evidenceIds.at(-1)!] : [], note: deps.note,
            },
          });
        }
      }
      db?.exec('RELEASE import_file');
      files.push({
        name: file.name, size, format: file.format, label: FORMATS[file.format].label, detectedBy: file.detectedBy, encoding: file.encoding, container: file.container,
        dateFormat: file.dateFormat, records: skipped ? 0 : fileRecords, sha256, chunks, skipped,
      });
    }
    const window = from !== null && to !== null ? { from, to: new Date(Date.parse(to) + 1).toISOString() } : null;
    if (!db) return { runId: null, dryRun: true, files, records, window, elapsedMs: performance.now() - started };
    if (files.every((f) => f.skipped)) {
      db.exec('ROLLBACK');
      return { runId: null, dryRun: false, files, records: 0, window: null, elapsedMs: performance.now() - started };
    }
    finishImportRun(db, runId, { at, end: deps.clock().toISOString(), actor: deps.actor, note: deps.note, window, files, sources });
    db.exec('COMMIT');
    return { runId, dryRun: false, files, records, window, elapsedMs: performance.now() - started };
  } catch (err) {
    if (db?.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** Where a chunk sits in its file, as the evidence row's url: `import:<name>#chunk=2&bytes=8388608-12582911`. */
function chunkUrl(name: string, chunk: number, start: number, length: number): string {
  return `import:${encodeURIComponent(name)}#chunk=${chunk}&bytes=${start}-${start + length - 1}`;
}

/** sha256 → run of every file imported before, from custody. */
function importedHashes(db: Database): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of db.prepare(`SELECT details FROM custody WHERE action = 'evidence.imported'`).pluck().all() as string[]) {
    const { sha256, runId } = JSON.parse(d) as { sha256?: unknown; runId?: unknown };
    if (typeof sha256 === 'string' && typeof runId === 'string') out.set(sha256, runId);
  }
  return out;
}

/**
 * The run's record in custody and its completeness account, as a collection's: collection.started (written last,
 * when the window the records cover is known; its time is the import's start) and collection.finished.
 */
function finishImportRun(db: Database, runId: string, o: { at: string; end: string; actor: string; note: string; window: { from: string; to: string } | null; files: ImportedFile[]; sources: string[] }): void {
  const used = new Set(o.files.flatMap((f) => (f.skipped || f.format === 'collection' ? [] : [importSourceName(f.format)])));
  for (const source of o.sources) {
    if (!used.has(source)) db.prepare('DELETE FROM collection_source WHERE run_id = ? AND source = ?').run(runId, source);
  }
  const planned = o.sources.filter((s) => used.has(s));
  if (o.window) db.prepare('UPDATE collection_source SET window_from = ?, window_to = ? WHERE run_id = ?').run(o.window.from, o.window.to, runId);
  const tenantId = db.prepare('SELECT tenant_id FROM collection_run WHERE run_id = ?').pluck().get(runId) as string;
  appendCustody(db, {
    at: o.at, action: 'collection.started', actor: o.actor,
    details: { runId, environment: 'import', tenantId, account: o.actor, sources: planned, window: o.window, import: { note: o.note, files: o.files.filter((f) => !f.skipped).map((f) => f.name) } },
  });
  const end = o.end < o.at ? o.at : o.end;
  for (const source of planned) finishSource(db, runId, source, { state: 'done', at: end });
  finishRun(db, runId, { state: 'done', finishedAt: end });
  const summary = listSources(db, runId).map(({ source, state, pages, records, retries, lastError, truncated }) => ({ source, state, pages, records, retries, error: lastError, truncated }));
  appendCustody(db, {
    at: end, action: 'collection.finished', actor: o.actor,
    details: { runId, state: 'done', sources: summary, evidenceDigest: runEvidenceDigest(db, runId) },
  });
}
