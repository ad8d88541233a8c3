// Import (CLI, import worker, verify): each import format as a source of the case — how a chunk's records are stored
// (with the log's own writers, so an imported record is stored as a collected one is) and read again from the chunk.
import type { Database } from 'better-sqlite3';
import { insertDirectoryAudits, insertSignIns, insertUnifiedAuditRecords } from '../../db/queries/logs';
import type { CollectionSource, StoredPage } from '../collect/engine';
import { rereadChunk, type ChunkDescriptor } from './file';
import { FORMATS, isFormatId, type FormatId } from './formats';
import { parserCsv, type ImportedRecord } from './records';

export const IMPORT_SOURCE_PREFIX = 'import.';

export const importSourceName = (format: FormatId): string => `${IMPORT_SOURCE_PREFIX}${format}`;

/** A chunk's descriptor from its evidence row's request_body. */
export function chunkDescriptor(requestBody: string | null): ChunkDescriptor {
  const d = JSON.parse(requestBody ?? 'null') as ChunkDescriptor | null;
  if (d?.kind !== 'peregrine-import/1') throw new Error('the evidence row does not say how its file was read (no peregrine-import/1 descriptor)');
  return d;
}

/**
 * Stores a chunk's records in their log's table and the timeline's event table (as a collected page's are), and where
 * each sits in the file. All objects are ImportedRecords of one format and container.
 */
function storeChunk(format: FormatId, db: Database, runId: string, evidenceId: number, objects: unknown[]): number {
  const records = objects as ImportedRecord[];
  const csv = parserCsv(format, containerOf(db, evidenceId));
  const list = records.map((r) => r.record);
  const log = FORMATS[format].log;
  const stored = log === 'ual'
    ? insertUnifiedAuditRecords(db, runId, evidenceId, list, { csv })
    : log === 'signin'
      ? insertSignIns(db, runId, evidenceId, list, { csv })
      : insertDirectoryAudits(db, runId, evidenceId, list, { csv });
  const place = db.prepare(
    `INSERT INTO import_record (run_id, source, record_id, evidence_id, line, byte_offset, byte_length) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, source, record_id) DO UPDATE SET evidence_id = excluded.evidence_id, line = excluded.line, byte_offset = excluded.byte_offset, byte_length = excluded.byte_length`,
  );
  for (const r of records) place.run(runId, log, r.id, evidenceId, r.line, r.offset, r.length);
  return stored;
}

/** The container of the chunk being stored, from its descriptor (CSV rows of Log Analytics are read with their column names). */
function containerOf(db: Database, evidenceId: number): ChunkDescriptor['container'] {
  const body = db.prepare('SELECT request_body FROM evidence WHERE id = ?').pluck().get(evidenceId) as string | null | undefined;
  return chunkDescriptor(body ?? null).container;
}

const SOURCES = new Map<string, CollectionSource>(
  (Object.keys(FORMATS) as FormatId[]).map((format) => {
    const source: CollectionSource = {
      source: importSourceName(format),
      label: FORMATS[format].label,
      service: 'graph',
      fetch: () => Promise.reject(new Error(`${FORMATS[format].label} is imported from a file, not read from a service.`)),
      store: (db, runId, evidenceId, objects) => storeChunk(format, db, runId, evidenceId, objects),
      reread: (page: StoredPage) => rereadChunk(page.body, chunkDescriptor(page.requestBody)),
    };
    return [source.source, source];
  }),
);

/** The import source of that name (`import.purview-csv`…), or undefined. */
export function importSourceNamed(name: string): CollectionSource | undefined {
  if (!name.startsWith(IMPORT_SOURCE_PREFIX) || !isFormatId(name.slice(IMPORT_SOURCE_PREFIX.length))) return undefined;
  return SOURCES.get(name);
}
