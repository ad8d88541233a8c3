// Import (CLI, import worker): one file handed over — its encoding, container and format told from its content
// (or as the examiner says), and its chunks of records read as a stream, hashed as they pass.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DateEvidence, type DateFormat } from './dates';
import { ImportError } from './errors';
import { CSV_FORMATS, FORMATS, formatOfHeader, formatOfRecord, type FormatId } from './formats';
import { RecordReader, tenantOf, type FileReading, type ImportedRecord } from './records';
import { csvFields, decodeRecord, Scanner, type Container, type Encoding, type ScannedChunk, type ScanState } from './scan';

/** What the import will do with one file, told before anything is written. */
export interface FilePlan {
  path: string;
  name: string;
  size: number;
  format: FormatId;
  /** Told from the content, or given (--format). */
  detectedBy: 'content' | 'override';
  container: Container;
  encoding: Encoding;
  bom: number;
  dateFormat: DateFormat | null;
  /** The tenant the first record names, when it does. */
  tenantId: string | null;
}

export interface ReadLimits {
  /** A record longer than this is refused (default 16 MiB). */
  maxRecordBytes: number;
  /** Evidence chunks close after this many bytes (default 4 MiB)… */
  chunkBytes: number;
  /** …or records (default 5,000). */
  chunkRecords: number;
}

export const DEFAULT_LIMITS: ReadLimits = { maxRecordBytes: 16 * 1024 * 1024, chunkBytes: 4 * 1024 * 1024, chunkRecords: 5_000 };

/** How much of a file's start is read to tell its format. */
const SNIFF_BYTES = 1024 * 1024;
const BLOCK = 1024 * 1024;

/** Tells a file's encoding, container and format from its first megabyte; `format` overrides the format. */
export async function sniffFile(file: string, opts: { format?: FormatId; dateFormat?: DateFormat; limits?: ReadLimits } = {}): Promise<FilePlan> {
  const name = path.basename(file);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    throw new ImportError('io', name, null, null, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  if (!stat.isFile()) throw new ImportError('io', name, null, null, 'is not a regular file.');
  const head = Buffer.alloc(Math.min(SNIFF_BYTES, stat.size));
  const fd = await fs.promises.open(file, 'r');
  try {
    await fd.read(head, 0, head.length, 0);
  } finally {
    await fd.close();
  }
  if (head.length === 0) throw new ImportError('truncated', name, null, null, 'the file is empty.');
  const { encoding, bom } = encodingOf(head, name);
  const usable = head.subarray(0, head.length - ((head.length - bom) % (encoding === 'utf16le' ? 2 : 1)));
  const text = usable.subarray(bom).toString(encoding);
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) throw new ImportError('truncated', name, null, null, 'the file holds only white space.');
  if (!isText(text)) {
    throw new ImportError('encoding', name, null, null, 'the file is not text in UTF-8 or UTF-16 (binary data, or another encoding): it is none of the export formats Peregrine imports.');
  }
  const container: Container = first === '[' || first === '{' ? (isJsonLines(usable, encoding, bom, name) ? 'ndjson' : 'json') : 'csv';
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const firstRecord = firstRecordOf(usable, { container, encoding, bom, name, limits, complete: usable.length === stat.size });
  let format: FormatId | null = opts.format ?? null;
  const detectedBy = format ? 'override' : 'content';
  if (!format) {
    format = container === 'csv' ? (firstRecord?.header ? formatOfHeader(firstRecord.header) : null) : firstRecord?.record ? formatOfRecord(firstRecord.record) : null;
    if (!format) {
      const what = container === 'csv' ? `a CSV whose columns (${(firstRecord?.header ?? []).slice(0, 8).join(', ')}) are` : `JSON whose first record is`;
      throw new ImportError('unrecognised', name, null, null, `${what} none of the export formats Peregrine imports; if it is one, say which with --format (${Object.keys(FORMATS).join(', ')}).`);
    }
  }
  const fits = container === 'csv' ? CSV_FORMATS.includes(format) : !format.endsWith('-csv');
  if (!fits) {
    throw new ImportError('unrecognised', name, null, null, `the file is ${container === 'csv' ? 'CSV' : 'JSON'}, but ${FORMATS[format].label} is ${container === 'csv' ? 'JSON' : 'CSV'}.`);
  }
  const plan: FilePlan = { path: file, name, size: stat.size, format, detectedBy, container, encoding, bom, dateFormat: null, tenantId: firstRecord?.record ? tenantOf(firstRecord.record) : null };
  if (FORMATS[format].searchRow && container === 'csv') {
    plan.dateFormat = opts.dateFormat ?? (firstRecord?.creationDate === undefined || /^\d{4}-\d{2}-\d{2}/.test(firstRecord.creationDate.trim()) ? 'iso' : await inferDateFormat(plan, limits));
  }
  return plan;
}

function encodingOf(head: Buffer, name: string): { encoding: Encoding; bom: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf8', bom: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf16le', bom: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) {
    throw new ImportError('encoding', name, null, null, 'the file is UTF-16 big-endian, which no Microsoft export writes; save it as UTF-8 or UTF-16LE and import it again.');
  }
  // UTF-16LE without a BOM: ASCII text with a zero after every byte.
  if (head.length >= 4 && head[0] !== 0 && head[1] === 0 && head[2] !== 0 && head[3] === 0) return { encoding: 'utf16le', bom: 0 };
  return { encoding: 'utf8', bom: 0 };
}

/** Text, not binary: no control characters but tab and line breaks in the sample. */
function isText(sample: string): boolean {
  let bad = 0;
  for (let i = 0; i < Math.min(sample.length, 65536); i++) {
    const c = sample.charCodeAt(i);
    // Bytes invalid in the encoding are left to the record that holds them (its line is named then).
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) bad++;
  }
  return bad === 0;
}

/** Whether a JSON file holds one object per line: a second top-level object after the first. */
function isJsonLines(head: Buffer, encoding: Encoding, bom: number, name: string): boolean {
  const scanner = new Scanner({ container: 'json', encoding, file: name, bom, maxRecordBytes: Number.MAX_SAFE_INTEGER, chunkBytes: Number.MAX_SAFE_INTEGER, chunkRecords: Number.MAX_SAFE_INTEGER });
  try {
    scanner.push(head);
    return false;
  } catch (err) {
    return err instanceof ImportError && err.problem.startsWith('more JSON follows');
  }
}

interface FirstRecord {
  header?: string[];
  record?: Record<string, unknown>;
  creationDate?: string;
}

/** The CSV header and first row, or the first JSON record, from the start of the file. */
function firstRecordOf(head: Buffer, o: { container: Container; encoding: Encoding; bom: number; name: string; limits: ReadLimits; complete: boolean }): FirstRecord | null {
  const scanner = new Scanner({ container: o.container, encoding: o.encoding, file: o.name, bom: o.bom, maxRecordBytes: Number.MAX_SAFE_INTEGER, chunkBytes: Number.MAX_SAFE_INTEGER, chunkRecords: Number.MAX_SAFE_INTEGER });
  let chunks: ScannedChunk[] = [];
  try {
    chunks = scanner.push(head);
    chunks.push(...scanner.end(o.complete ? {} : { partial: 'head' }));
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    if (o.complete) throw err;
  }
  const records = chunks.flatMap((c) => c.records);
  if (o.container === 'csv') {
    const lines = records.map((r) => decodeRecord(r.bytes, o.encoding, o.name, r.line));
    const at = lines[0]?.startsWith('#TYPE ') ? 1 : 0;
    if (lines[at] === undefined) return null;
    const header = csvFields(lines[at]!.replace(/^\uFEFF/, '')).map((n) => n.trim());
    const row = lines[at + 1] === undefined ? [] : csvFields(lines[at + 1]!);
    const dateAt = header.findIndex((h) => h === 'CreationDate');
    return { header, creationDate: dateAt >= 0 ? row[dateAt] : undefined };
  }
  const first = records[0];
  if (!first) return null;
  let record: unknown;
  try {
    record = JSON.parse(decodeRecord(first.bytes, o.encoding, o.name, first.line));
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError('invalid_record', o.name, first.line, null, `the first record is not valid JSON (${(err as Error).message}).`);
  }
  return record !== null && typeof record === 'object' && !Array.isArray(record) ? { record: record as Record<string, unknown> } : null;
}

/** Every CreationDate of an audit search CSV read once, to tell the format they were written in. */
async function inferDateFormat(plan: FilePlan, limits: ReadLimits): Promise<DateFormat> {
  const evidence = new DateEvidence();
  let header: string[] | null = null;
  let column = -1;
  const scanner = new Scanner({ container: 'csv', encoding: plan.encoding, file: plan.name, bom: plan.bom, ...limits });
  const take = (chunks: ScannedChunk[]) => {
    for (const c of chunks) {
      for (const r of c.records) {
        const text = decodeRecord(r.bytes, plan.encoding, plan.name, r.line);
        if (header === null) {
          if (text.startsWith('#TYPE ')) continue;
          header = csvFields(text.replace(/^\uFEFF/, '')).map((n) => n.trim());
          column = header.indexOf('CreationDate');
          continue;
        }
        const v = csvFields(text)[column];
        if (v !== undefined) evidence.add(v, r.line);
      }
    }
  };
  for await (const block of fs.createReadStream(plan.path, { highWaterMark: BLOCK })) take(scanner.push(block as Buffer));
  take(scanner.end());
  return evidence.resolve(plan.name, 'CreationDate');
}

/** How an evidence chunk of an imported file is read again (stored as the evidence row's request_body). */
export interface ChunkDescriptor {
  kind: 'peregrine-import/1';
  file: string;
  format: FormatId;
  container: Container;
  encoding: Encoding;
  /** The BOM's bytes (first chunk only). */
  bom: number;
  chunk: number;
  /** Later chunks: where the scanner stood at the chunk's first byte. */
  state: ScanState | null;
  header: string[] | null;
  dateFormat: DateFormat | null;
}

export interface ReadChunk {
  body: Buffer;
  descriptor: ChunkDescriptor;
  records: ImportedRecord[];
}

export interface FileRead {
  sha256: string;
  size: number;
}

/**
 * The file's chunks in order, each with its records read and checked; the file's sha256 over every byte read, when
 * the generator finishes. Holds one block, one chunk and one record at most. `signal` stops it between blocks.
 */
export async function* readChunks(plan: FilePlan, limits: ReadLimits, signal?: AbortSignal, onBytes?: (n: number) => void): AsyncGenerator<ReadChunk, FileRead> {
  const hash = createHash('sha256');
  const scanner = new Scanner({ container: plan.container, encoding: plan.encoding, file: plan.name, bom: plan.bom, ...limits });
  const reading: FileReading = { file: plan.name, format: plan.format, container: plan.container, encoding: plan.encoding, header: null, dateFormat: plan.dateFormat };
  const reader = new RecordReader(reading);
  let index = 0;
  let size = 0;
  const toChunk = (c: ScannedChunk): ReadChunk => {
    const headerBefore = reading.header;
    const records = c.records.flatMap((r) => reader.read(r) ?? []);
    const descriptor: ChunkDescriptor = {
      kind: 'peregrine-import/1', file: plan.name, format: plan.format, container: plan.container, encoding: plan.encoding,
      bom: index === 0 ? plan.bom : 0, chunk: index, state: index === 0 ? null : c.state, header: index === 0 ? null : headerBefore, dateFormat: plan.dateFormat,
    };
    index++;
    return { body: c.body, descriptor, records };
  };
  const stream = fs.createReadStream(plan.path, { highWaterMark: BLOCK });
  try {
    for await (const block of stream) {
      if (signal?.aborted) throw new ImportError('cancelled', plan.name, null, null, 'the import was cancelled; nothing was written.');
      const b = block as Buffer;
      hash.update(b);
      size += b.length;
      onBytes?.(b.length);
      for (const c of scanner.push(b)) yield toChunk(c);
    }
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError('io', plan.name, null, null, `could not be read to the end (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  } finally {
    stream.destroy();
  }
  for (const c of scanner.end()) yield toChunk(c);
  if (plan.container === 'csv' && reading.header === null) throw new ImportError('truncated', plan.name, 1, null, 'the CSV has no header line.');
  if (size !== plan.size) throw new ImportError('io', plan.name, null, null, `the file changed while it was read (${plan.size} bytes when the import began, ${size} read); import it again once it is complete.`);
  return { sha256: hash.digest('hex'), size };
}

/** The records of one evidence chunk, read again from its body as the import read them (verify's re-derivation). */
export function rereadChunk(body: Buffer, d: ChunkDescriptor): ImportedRecord[] {
  const scanner = new Scanner({
    container: d.container, encoding: d.encoding, file: d.file, bom: d.bom,
    maxRecordBytes: Number.MAX_SAFE_INTEGER, chunkBytes: Number.MAX_SAFE_INTEGER, chunkRecords: Number.MAX_SAFE_INTEGER,
    ...(d.state ? { resume: d.state } : {}),
  });
  const reader = new RecordReader({ file: d.file, format: d.format, container: d.container, encoding: d.encoding, header: d.header ? [...d.header] : null, dateFormat: d.dateFormat });
  const chunks = [...scanner.push(body), ...scanner.end({ partial: 'chunk' })];
  return chunks.flatMap((c) => c.records.flatMap((r) => reader.read(r) ?? []));
}
