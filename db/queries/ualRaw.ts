// Any process with a case file open: a Unified Audit Log record as received, from ual_record.raw or from the evidence page it points into.
import { gunzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { CaseFileError } from '../errors';
import { decodeText } from '../normalize/text';

/** The ual_record columns that locate a record (select them as they are named). */
export interface UalRawRef {
  raw: string | null;
  evidence_id: number;
  page_index: number | null;
}

/** A record as received: a Search-UnifiedAuditLog row (AuditData as text), a Management Activity API record, an OfficeActivity row. */
export type UalRecordObject = Record<string, unknown>;

export interface UalRawReader {
  /** One record. Records read from the same page share its parsed copy: do not modify them. */
  read(ref: UalRawRef): UalRecordObject;
  /** Records in the order given, reading each evidence page once however the references are ordered. */
  readAll(refs: readonly UalRawRef[]): UalRecordObject[];
}

export interface UalRawReaderOptions {
  /** Parsed pages kept between calls to read(). A page is up to ~8 MB of JSON (5,000 rows), several times that parsed. */
  pages?: number;
}

const damaged = (message: string) => new CaseFileError('damaged', message);

/**
 * A reader for one task (a detection run, one request): collected records point into their evidence page
 * (raw NULL, page_index set), imported ones carry `raw` inline. The last few parsed pages are kept, so a reader
 * should not outlive the task.
 */
export function ualRawReader(db: Database, opts: UalRawReaderOptions = {}): UalRawReader {
  const keep = Math.max(1, opts.pages ?? 2);
  const pages = new Map<number, unknown[]>();
  const bodyOf = db.prepare('SELECT body_gz, size FROM evidence WHERE id = ?');

  function page(evidenceId: number): unknown[] {
    const cached = pages.get(evidenceId);
    if (cached) {
      pages.delete(evidenceId);
      pages.set(evidenceId, cached); // most recently used last
      return cached;
    }
    const row = bodyOf.get(evidenceId) as { body_gz: Buffer; size: number } | undefined;
    if (row === undefined) throw damaged(`Evidence ${evidenceId}, the page holding Unified Audit Log records, is missing from the case.`);
    let body: unknown;
    try {
      // Output in one chunk of the recorded size (capped): about half the time of zlib's 16 KiB default on an 8 MB page.
      const chunkSize = Math.min(Math.max(64, row.size), 64 * 1024 * 1024);
      // A collection folder's page may be UTF-16LE (PowerShell): decodeText reads either.
      body = JSON.parse(decodeText(gunzipSync(row.body_gz, { chunkSize })));
    } catch (err) {
      throw damaged(`Evidence ${evidenceId} should hold a page of Unified Audit Log records but is not readable JSON (${(err as Error).message}); "peregrine verify" checks it against its sha256.`);
    }
    // A collection folder's page is the cmdlet's rows as a JSON array; a collected one, the InvokeCommand answer's "value".
    const value = Array.isArray(body) ? body : (body as { value?: unknown } | null)?.value;
    if (!Array.isArray(value)) throw damaged(`Evidence ${evidenceId} should hold a page of Unified Audit Log records but has no "value" list.`);
    pages.set(evidenceId, value);
    if (pages.size > keep) pages.delete(pages.keys().next().value!);
    return value;
  }

  function read(ref: UalRawRef): UalRecordObject {
    if (ref.raw !== null) return JSON.parse(ref.raw) as UalRecordObject;
    if (ref.page_index === null) throw damaged(`A Unified Audit Log record of evidence ${ref.evidence_id} has neither its record nor its place in the page.`);
    const value = page(ref.evidence_id);
    const record = value[ref.page_index];
    if (record === undefined) {
      throw damaged(`Evidence ${ref.evidence_id} has no Unified Audit Log record at index ${ref.page_index} (the page holds ${value.length}).`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw damaged(`Evidence ${ref.evidence_id}: item ${ref.page_index} of the page is not a Unified Audit Log record (not an object).`);
    }
    return record as UalRecordObject;
  }

  function readAll(refs: readonly UalRawRef[]): UalRecordObject[] {
    const out = new Array<UalRecordObject>(refs.length);
    const order = refs.map((_, i) => i).sort((a, b) => refs[a]!.evidence_id - refs[b]!.evidence_id || a - b);
    for (const i of order) out[i] = read(refs[i]!);
    return out;
  }

  return { read, readAll };
}
