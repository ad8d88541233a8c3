// Any process with a case file open: raw evidence, stored gzipped with the sha256 of the bytes as received.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';

export interface NewEvidence {
  runId: string;
  /** What was collected, e.g. 'graph.applications', 'import.ual-csv'. */
  source: string;
  method: string;
  url: string;
  status: number;
  contentType: string | null;
  /** Graph/Exchange `request-id` header, for a support case with Microsoft. */
  requestId?: string | null;
  /** The body of a POST read (a $batch, an Exchange cmdlet): what was asked. */
  requestBody?: string | null;
  collectedAt: string;
  /** Raw, uncompressed bytes exactly as received. Never a token response. */
  body: Buffer;
}

export interface EvidenceRecord {
  id: number;
  runId: string;
  source: string;
  method: string;
  url: string;
  status: number;
  contentType: string | null;
  requestId: string | null;
  requestBody: string | null;
  collectedAt: string;
  /** Hex sha256 of the raw, uncompressed body. */
  sha256: string;
  /** Bytes of the raw, uncompressed body. */
  size: number;
}

/** An evidence row's head as stored (snake_case), for readers that check rows without the query helpers. */
export interface EvidenceColumns {
  id: number;
  run_id: string;
  source: string;
  method: string;
  url: string;
  status: number;
  content_type: string | null;
  request_id: string | null;
  request_body: string | null;
  collected_at: string;
  sha256: string;
  size: number;
}

const HEAD_COLUMNS = 'id, run_id, source, method, url, status, content_type, request_id, request_body, collected_at, sha256, size';

export const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

const toRecord = (r: EvidenceColumns): EvidenceRecord => ({
  id: r.id,
  runId: r.run_id,
  source: r.source,
  method: r.method,
  url: r.url,
  status: r.status,
  contentType: r.content_type,
  requestId: r.request_id,
  requestBody: r.request_body,
  collectedAt: r.collected_at,
  sha256: r.sha256,
  size: r.size,
});

export function insertEvidence(db: Database, evidence: NewEvidence): { id: number; sha256: string } {
  const sha256 = sha256Hex(evidence.body);
  const info = db
    .prepare(
      `INSERT INTO evidence (run_id, source, method, url, status, content_type, request_id, request_body, collected_at, sha256, size, body_gz)
       VALUES (@runId, @source, @method, @url, @status, @contentType, @requestId, @requestBody, @collectedAt, @sha256, @size, @bodyGz)`,
    )
    .run({
      runId: evidence.runId,
      source: evidence.source,
      method: evidence.method,
      url: evidence.url,
      status: evidence.status,
      contentType: evidence.contentType,
      requestId: evidence.requestId ?? null,
      requestBody: evidence.requestBody ?? null,
      collectedAt: evidence.collectedAt,
      sha256,
      size: evidence.body.length,
      // Level 3: half the time of the default (6) on a page of log records, for a stored page about 15% larger.
      bodyGz: gzipSync(evidence.body, { level: 3 }),
    });
  return { id: Number(info.lastInsertRowid), sha256 };
}

/** The row with its body decompressed, or null. Does not re-check the hash: that is verify's job. */
export function getEvidence(db: Database, id: number): (EvidenceRecord & { body: Buffer }) | null {
  const row = db.prepare(`SELECT ${HEAD_COLUMNS}, body_gz FROM evidence WHERE id = ?`).get(id) as
    | (EvidenceColumns & { body_gz: Buffer })
    | undefined;
  return row ? { ...toRecord(row), body: gunzipSync(row.body_gz) } : null;
}

/** Metadata only (no bodies), oldest first; optionally one run. */
export function listEvidence(db: Database, runId?: string): EvidenceRecord[] {
  const rows = runId === undefined
    ? db.prepare(`SELECT ${HEAD_COLUMNS} FROM evidence ORDER BY id`).all()
    : db.prepare(`SELECT ${HEAD_COLUMNS} FROM evidence WHERE run_id = ? ORDER BY id`).all(runId);
  return (rows as EvidenceColumns[]).map(toRecord);
}

export function evidenceCount(db: Database): number {
  return db.prepare('SELECT count(*) FROM evidence').pluck().get() as number;
}

/**
 * sha256 over "<id> <sha256>\n" of a run's evidence rows in id order. collection.finished records it in custody, so
 * an evidence row replaced whole (body, sha256 and size rewritten) or removed no longer matches what custody holds.
 */
export function runEvidenceDigest(db: Database, runId: string): string {
  const hash = createHash('sha256');
  for (const r of db.prepare('SELECT id, sha256 FROM evidence WHERE run_id = ? ORDER BY id').iterate(runId) as IterableIterator<{ id: number; sha256: string }>) {
    hash.update(`${r.id} ${r.sha256}\n`);
  }
  return hash.digest('hex');
}
