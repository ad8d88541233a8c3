// Import (CLI, import worker): the folder `peregrine script collect`'s script writes (docs/collection-folder.md), or a
// zip of it — told by its manifest, every file checked against the manifest's SHA-256 before anything is written, then
// stored as the collection it is: each file one evidence page of the live source of that name, its rows derived by
// that source's own code (so detection, the timeline and verify read it as a live collection), and what the script
// could not read recorded on its source, as a live collection's notices are. All or nothing.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import { decodeText } from '../../db/normalize/text';
import { appendCustody } from '../../db/queries/custody';
import { recordIncomplete } from '../../db/queries/sources';
import type { SnapshotEntity } from '../../db/queries/changes';
import { invokeCommandBody } from '../exchange/reader';
import { COLLECTION_FOLDER_FORMAT } from '../collect/script';
import { rereadPage, sourceNamed } from '../collect/sources';
import { applyWrite, type CollectionWrite, type PageWrite } from '../collect/writes';
import { ImportError } from './errors';
import type { ImportedFile, ImportResult } from './importer';
import { isZipFile, openZip, unsafeEntryName, ZIP_LIMITS, type ZipLimits } from './zip';

export const MANIFEST_FILE = 'manifest.json';

/** A collection folder on disk or in a zip: its files by their '/'-separated path inside it, manifest.json aside. */
export interface CollectionFiles {
  /** The folder's or zip's name, for messages. */
  label: string;
  kind: 'folder' | 'zip';
  manifest: Buffer;
  /** Every other file found, sorted. */
  paths: string[];
  read(relative: string): Promise<Buffer>;
}

const FileEntry = z.object({
  path: z.string().min(1),
  source: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/),
  bytes: z.number().int().min(0),
  records: z.number().int().min(0),
  request: z.record(z.string(), z.unknown()).nullable().optional(),
});

const Manifest = z.object({
  format: z.string(),
  generatedBy: z.string().nullable().optional(),
  tenant: z.string().nullable().optional(),
  tenantId: z.string().nullable().optional(),
  cloud: z.string().nullable().optional(),
  account: z.string().nullable().optional(),
  window: z.object({ from: z.string(), to: z.string() }).nullable().optional(),
  inboxRuleMailboxes: z.array(z.string()).nullable().optional(),
  exchange: z.boolean().nullable().optional(),
  startedAt: z.string().nullable().optional(),
  finishedAt: z.string().nullable().optional(),
  files: z.array(FileEntry),
  incomplete: z.array(z.object({ source: z.string().min(1), reason: z.string() })),
});

export type CollectionManifest = z.infer<typeof Manifest>;
export type CollectionFileEntry = z.infer<typeof FileEntry>;

/** The limit on one file of a folder (it is held in memory while it is hashed and stored, as a collected page is). */
const MAX_FILE_BYTES = ZIP_LIMITS.maxEntryBytes;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Whether a manifest's bytes are a collection folder's (its `format`), without judging the rest. */
function isCollectionManifest(bytes: Buffer): boolean {
  try {
    const json = JSON.parse(decodeText(bytes)) as { format?: unknown } | null;
    return typeof json?.format === 'string' && json.format.startsWith('peregrine-collection/');
  } catch {
    return false;
  }
}

/** Files of a folder, recursively, '/'-separated; a link or anything not a regular file is refused, naming it. */
async function folderFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.promises.readdir(root, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/');
    if (e.isDirectory()) continue;
    if (!e.isFile()) throw new ImportError('io', `${path.basename(root)}/${rel}`, null, null, 'is not a regular file (a link or a device); a collection folder holds only the files its script wrote.');
    out.push(rel);
  }
  return out.sort();
}

/**
 * The collection folder at `p` (a folder holding a peregrine-collection manifest.json, or a zip of one), or null when
 * `p` is none (an ordinary file or folder of exports). A zip without such a manifest is refused: only collection
 * folders are read from zips.
 */
export async function openCollection(p: string, limits: ZipLimits = ZIP_LIMITS): Promise<CollectionFiles | null> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(p);
  } catch {
    return null;
  }
  // The manifest itself named: its folder is meant.
  if (stat.isFile() && path.basename(p) === MANIFEST_FILE && isCollectionManifest(await fs.promises.readFile(p))) return openCollection(path.dirname(p), limits);
  const label = path.basename(p);
  if (stat.isDirectory()) {
    const manifestPath = path.join(p, MANIFEST_FILE);
    if (!fs.existsSync(manifestPath)) return null;
    const manifest = await fs.promises.readFile(manifestPath);
    if (!isCollectionManifest(manifest)) return null;
    const paths = (await folderFiles(p)).filter((f) => f !== MANIFEST_FILE);
    return {
      label, kind: 'folder', manifest, paths,
      read: async (rel) => {
        const file = path.join(p, ...rel.split('/'));
        const size = (await fs.promises.lstat(file)).size;
        if (size > MAX_FILE_BYTES) throw new ImportError('too_long', `${label}/${rel}`, null, null, `holds ${size} bytes, more than the ${MAX_FILE_BYTES} one file of a collection folder may.`);
        return fs.promises.readFile(file);
      },
    };
  }
  if (!stat.isFile() || stat.size < 4 || !(await isZipFile(p))) return null;
  const zip = await openZip(p, limits);
  const manifests = zip.entries.filter((e) => e.name === MANIFEST_FILE || e.name.endsWith(`/${MANIFEST_FILE}`)).sort((a, b) => a.name.split('/').length - b.name.split('/').length);
  const manifestEntry = manifests[0];
  if (!manifestEntry) {
    throw new ImportError('unrecognised', label, null, null, `the zip holds no ${MANIFEST_FILE}: it is not a zip of a collection folder (peregrine script collect). Unpack it and import its files.`);
  }
  const prefix = manifestEntry.name.slice(0, manifestEntry.name.length - MANIFEST_FILE.length);
  const manifest = await zip.read(manifestEntry);
  if (!isCollectionManifest(manifest)) throw new ImportError('unrecognised', `${label}:${manifestEntry.name}`, null, 'format', `is not a collection folder's manifest (format ${COLLECTION_FOLDER_FORMAT}); unpack the zip and import its files.`);
  const byPath = new Map(zip.entries.filter((e) => e !== manifestEntry).map((e) => [e.name.startsWith(prefix) ? e.name.slice(prefix.length) : e.name, e]));
  return {
    label, kind: 'zip', manifest, paths: [...byPath.keys()].sort(),
    read: (rel) => {
      const entry = byPath.get(rel);
      if (!entry) throw new ImportError('io', `${label}:${prefix}${rel}`, null, null, 'is not in the zip.');
      return zip.read(entry);
    },
  };
}

/**
 * The collection folder among the paths of an import, or null when there is none. A collection folder is imported on
 * its own: beside other paths it is refused.
 */
export async function collectionAmong(paths: readonly string[]): Promise<CollectionFiles | null> {
  for (const p of paths) {
    const c = await openCollection(p);
    if (!c) continue;
    if (paths.length > 1) throw new ImportError('unrecognised', c.label, null, null, 'is a collection folder: import it on its own (one folder or zip per import).');
    return c;
  }
  return null;
}

/** The manifest, read and checked: its format, each entry's fields, and paths that stay inside the folder. */
export function readManifest(files: CollectionFiles): CollectionManifest {
  const where = `${files.label}/${MANIFEST_FILE}`;
  let json: unknown;
  try {
    json = JSON.parse(decodeText(files.manifest));
  } catch (err) {
    throw new ImportError('invalid_record', where, null, null, `is not valid JSON (${(err as Error).message}).`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ImportError('invalid_record', where, null, issue.path.join('.') || null, `${issue.message}: the manifest is not as the collection script writes it.`);
  }
  const m = parsed.data;
  if (m.format !== COLLECTION_FOLDER_FORMAT) {
    throw new ImportError('unrecognised', where, null, 'format', `is ${m.format}; this version of Peregrine reads ${COLLECTION_FOLDER_FORMAT}. Import it with the version that wrote the script.`);
  }
  const seen = new Set<string>();
  for (const [i, f] of m.files.entries()) {
    const unsafe = unsafeEntryName(f.path);
    if (unsafe || f.path === MANIFEST_FILE) throw new ImportError('invalid_record', where, null, `files.${i}.path`, `'${f.path}' is not a file of the folder (${unsafe ?? 'the manifest lists itself'}).`);
    if (seen.has(f.path)) throw new ImportError('invalid_record', where, null, `files.${i}.path`, `'${f.path}' is listed twice.`);
    seen.add(f.path);
    if (!sourceNamed(liveSource(f.source))) throw new ImportError('invalid_record', where, null, `files.${i}.source`, `'${f.source}' (of ${f.path}) is no source Peregrine collects.`);
  }
  return m;
}

/** The live source a folder's source name is stored under: `graph.rolesAndPolicies/<list>` is one source live. */
export const liveSource = (name: string) => name.split('/')[0]!;

export interface VerifiedFile extends CollectionFileEntry {
  size: number;
}

/**
 * Every file as the manifest lists it: none missing, none added, each of its size and SHA-256. Reads each file once
 * (one at a time); throws naming the first file that differs.
 */
export async function verifyCollection(files: CollectionFiles, manifest: CollectionManifest, signal?: AbortSignal): Promise<void> {
  const listed = new Set(manifest.files.map((f) => f.path));
  const present = new Set(files.paths);
  const name = (rel: string) => `${files.label}${files.kind === 'zip' ? ':' : '/'}${rel}`;
  for (const f of manifest.files) {
    if (!present.has(f.path)) throw new ImportError('io', name(f.path), null, null, `is listed in ${MANIFEST_FILE} but missing: the folder is not as the script wrote it; nothing was imported.`);
  }
  for (const rel of files.paths) {
    if (!listed.has(rel)) throw new ImportError('io', name(rel), null, null, `is not listed in ${MANIFEST_FILE}: a file was added to the folder after the script wrote it; nothing was imported.`);
  }
  for (const f of manifest.files) {
    if (signal?.aborted) throw new ImportError('cancelled', files.label, null, null, 'the import was cancelled; nothing was written.');
    const bytes = await files.read(f.path);
    checkFile(bytes, f, name(f.path));
  }
}

function checkFile(bytes: Buffer, f: CollectionFileEntry, where: string): void {
  const hash = sha256(bytes);
  if (hash !== f.sha256.toLowerCase()) {
    throw new ImportError('io', where, null, null, `its SHA-256 is ${hash}, but ${MANIFEST_FILE} records ${f.sha256.toLowerCase()}: the file was changed after the script wrote it; nothing was imported.`);
  }
  if (bytes.length !== f.bytes) throw new ImportError('io', where, null, null, `holds ${bytes.length} bytes, but ${MANIFEST_FILE} records ${f.bytes}; nothing was imported.`);
}

export interface CollectionImportDeps {
  actor: string;
  note: string;
  clock: () => Date;
  signal?: AbortSignal;
  /** App ids of the examiner's own apps in the tenant (as a live collection records its engagement apps), so detection tells them apart. */
  engagementApps?: string[];
  onProgress?: (p: { file: string; fileIndex: number; files: number; bytes: number; totalBytes: number; records: number; elapsedMs: number }) => void;
}

export interface CollectionImportResult {
  runId: string | null;
  dryRun: boolean;
  label: string;
  kind: 'folder' | 'zip';
  tenant: string | null;
  tenantId: string | null;
  window: { from: string; to: string } | null;
  files: { path: string; source: string; sha256: string; size: number; records: number; encoding: 'utf8' | 'utf16le' }[];
  records: number;
  /** What the script reported it could not read, by source. */
  incomplete: { source: string; reason: string }[];
}

/** The request the script recorded for an Exchange file, as the InvokeCommand body a live collection keeps. */
function exchangeRequest(request: Record<string, unknown> | null | undefined): string | null {
  if (!request || typeof request.cmdlet !== 'string') return null;
  const [cmdlet, ...rest] = request.cmdlet.trim().split(/\s+/);
  const parameters: Record<string, unknown> = {};
  for (let i = 0; i < rest.length; i++) {
    const m = /^-(\w+)$/.exec(rest[i]!);
    if (m) parameters[m[1]!] = rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('-') ? rest[++i] : true;
  }
  for (const [k, v] of Object.entries(request)) if (k !== 'cmdlet') parameters[k] = v;
  return invokeCommandBody(cmdlet!, parameters);
}

/** The evidence page of one file: a Graph page under the URL it was read from; an Exchange file with its cmdlet. */
function pageOf(f: CollectionFileEntry, body: Buffer): Omit<PageWrite, 'value'> {
  const uri = typeof f.request?.uri === 'string' ? f.request.uri : null;
  const graph = f.source.startsWith('graph.');
  return {
    method: graph && uri ? 'GET' : 'IMPORT',
    url: graph && uri ? uri : `import:${encodeURIComponent(f.path)}`,
    status: 200,
    contentType: 'application/json',
    body,
    requestBody: graph ? null : exchangeRequest(f.request),
    next: null,
    truncated: false,
    notices: [],
  };
}

/**
 * Verifies the folder against its manifest, then (unless `db` is null: a dry run, every file read and checked) stores
 * it as one run in one transaction. Any refusal rolls all of it back; the folder's manifest already in the case (the
 * same SHA-256) is refused as a duplicate.
 */
export async function importCollection(db: Database | null, files: CollectionFiles, deps: CollectionImportDeps): Promise<CollectionImportResult> {
  const manifest = readManifest(files);
  await verifyCollection(files, manifest, deps.signal);
  const manifestSha = sha256(files.manifest);
  const runId = randomUUID();
  const at = deps.clock().toISOString();
  const window = manifest.window ?? null;
  const incomplete = manifest.incomplete;
  // Sources in the order the script read them, then those it reported and wrote nothing of.
  const planned = [...new Set([...manifest.files.map((f) => liveSource(f.source)), ...incomplete.map((i) => liveSource(i.source))])].filter((s) => sourceNamed(s));
  const result: CollectionImportResult = {
    runId: null, dryRun: db === null, label: files.label, kind: files.kind, tenant: manifest.tenant ?? null, tenantId: manifest.tenantId ?? null, window, files: [], records: 0, incomplete,
  };
  const where = (rel: string) => `${files.label}${files.kind === 'zip' ? ':' : '/'}${rel}`;
  if (db) {
    const earlier = (db.prepare(`SELECT details FROM custody WHERE action = 'evidence.imported'`).pluck().all() as string[])
      .map((d) => JSON.parse(d) as { sha256?: unknown; runId?: unknown })
      .find((d) => d.sha256 === manifestSha);
    if (earlier) throw new ImportError('duplicate', where(MANIFEST_FILE), null, null, `this collection folder is already in the case (run ${String(earlier.runId)}); nothing was imported again.`);
  }
  const write = (w: CollectionWrite) => applyWrite(db!, w, (name) => sourceNamed(name)?.store);
  if (db) {
    db.exec('BEGIN IMMEDIATE');
    write({
      op: 'start', runId, at, environment: `script:${manifest.cloud ?? 'unknown'}`, tenantId: manifest.tenantId ?? 'unknown', account: manifest.account ?? 'unknown', actor: deps.actor, window,
      engagementApps: deps.engagementApps ?? [],
      plan: planned.map((source) => {
        const spec = sourceNamed(source)!;
        return {
          source, label: spec.label, windowFrom: spec.windowed ? window?.from ?? null : null, windowTo: spec.windowed ? window?.to ?? null : null,
          scope: source === 'exo.inboxRules' ? { mailboxes: manifest.inboxRuleMailboxes ?? [] } : undefined,
        };
      }),
    });
  }
  try {
    const sessions = new Map<string, Map<string, unknown>>();
    const running = new Set<string>();
    const started = performance.now();
    const totalBytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
    let bytes = 0;
    for (const [i, f] of manifest.files.entries()) {
      if (deps.signal?.aborted) throw new ImportError('cancelled', files.label, null, null, 'the import was cancelled; nothing was written.');
      deps.onProgress?.({ file: f.path, fileIndex: i, files: manifest.files.length, bytes, totalBytes, records: result.records, elapsedMs: performance.now() - started });
      bytes += f.bytes;
      const source = liveSource(f.source);
      const spec = sourceNamed(source)!;
      const body = await files.read(f.path);
      // Read again for storing: the file must still be the one verified.
      checkFile(body, f, where(f.path));
      const page = pageOf(f, body);
      const session = sessions.get(source) ?? new Map<string, unknown>();
      sessions.set(source, session);
      let objects: unknown[];
      try {
        // The objects verify will read again from this page: derived the same way now.
        objects = rereadPage(spec, { method: page.method, url: page.url, requestBody: page.requestBody, body }, session);
      } catch (err) {
        throw new ImportError('invalid_record', where(f.path), null, null, `cannot be read as ${spec.label.toLowerCase()} (${(err as Error).message}).`);
      }
      if (objects.length !== f.records) {
        throw new ImportError('invalid_record', where(f.path), null, null, `holds ${objects.length} records, but ${MANIFEST_FILE} records ${f.records}.`);
      }
      if (db) {
        if (!running.has(source)) write({ op: 'running', runId, source, at });
        running.add(source);
        try {
          write({ op: 'page', runId, source, label: spec.label, at, page: { ...page, value: objects } });
        } catch (err) {
          if (err instanceof ImportError) throw err;
          throw new ImportError('invalid_record', where(f.path), null, null, (err as Error).message);
        }
        const evidenceId = db.prepare('SELECT max(id) FROM evidence').pluck().get() as number;
        appendCustody(db, {
          at, action: 'evidence.imported', actor: deps.actor,
          details: { runId, file: f.path, source: f.source, size: body.length, sha256: f.sha256.toLowerCase(), format: COLLECTION_FOLDER_FORMAT, records: f.records, evidence: [evidenceId, evidenceId], note: deps.note },
        });
      }
      result.files.push({ path: f.path, source: f.source, sha256: f.sha256.toLowerCase(), size: body.length, records: objects.length, encoding: body[0] === 0xff && body[1] === 0xfe ? 'utf16le' : 'utf8' });
      result.records += objects.length;
    }
    if (!db) return result;
    const end = deps.clock().toISOString();
    for (const source of planned) {
      const reasons = incomplete.filter((i) => liveSource(i.source) === source);
      if (reasons.length) {
        recordIncomplete(db, runId, source, reasons.map((r) => ({ kind: 'error' as const, text: r.source === source ? r.reason : `${r.source}: ${r.reason}` })));
      }
      write({ op: 'finishSource', runId, source, state: 'done', at: end, error: null });
    }
    appendCustody(db, {
      at, action: 'evidence.imported', actor: deps.actor,
      details: {
        runId, file: MANIFEST_FILE, size: files.manifest.length, sha256: manifestSha, format: COLLECTION_FOLDER_FORMAT, note: deps.note,
        collection: { from: files.kind, name: files.label, generatedBy: manifest.generatedBy ?? null, tenant: manifest.tenant ?? null, account: manifest.account ?? null, startedAt: manifest.startedAt ?? null, finishedAt: manifest.finishedAt ?? null, files: manifest.files.length, incomplete },
      },
    });
    const entities = planned.flatMap((s) => [sourceNamed(s)!.snapshot ?? []].flat()) as SnapshotEntity[];
    write({ op: 'finish', runId, state: 'done', at: end < at ? at : end, error: null, actor: deps.actor, entities });
    db.exec('COMMIT');
    result.runId = runId;
    return result;
  } catch (err) {
    if (db?.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** A collection folder's import as the Import screen shows any import: one row per file, the run and its window. */
export function asImportResult(r: CollectionImportResult, elapsedMs: number): ImportResult {
  const files: ImportedFile[] = r.files.map((f) => ({
    name: f.path, size: f.size, format: 'collection', label: `Collection folder: ${f.source}`, detectedBy: 'content', encoding: f.encoding, container: 'json',
    dateFormat: null, records: f.records, sha256: f.sha256, chunks: 1, skipped: null,
  }));
  return { runId: r.runId, dryRun: r.dryRun, files, records: r.records, window: r.window, elapsedMs };
}
