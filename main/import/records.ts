// Import (any thread): a scanned record of a file as the object its log's parser reads — CSV columns by their header
// names, JSON parsed, audit search dates in the exporter's locale made UTC — checked by that parser so a bad record is
// refused naming its file, line and field.
import { parseDirectoryAudit } from '../../db/normalize/directoryAudit';
import { isObject, LogRecordError } from '../../db/normalize/record';
import { parseSignIn } from '../../db/normalize/signin';
import { parseUnifiedAudit } from '../../db/normalize/unifiedAudit';
import { readDate, type DateFormat } from './dates';
import { ImportError } from './errors';
import { FORMATS, type FormatId } from './formats';
import { csvFields, decodeRecord, type Container, type Encoding, type ScannedRecord } from './scan';

/** What `store` gets for each record of an evidence chunk (and verify reads again from the chunk). */
export interface ImportedRecord {
  /** The source's own record id, as the log's parser reads it. */
  id: string;
  /** When it happened (UTC ISO), when the record says. */
  at: string | null;
  line: number;
  offset: number;
  length: number;
  /** The object the log's parser reads. */
  record: Record<string, unknown>;
}

/** How a file is read: the same for the import and for reading a chunk of it again. */
export interface FileReading {
  file: string;
  format: FormatId;
  container: Container;
  encoding: Encoding;
  /** CSV: the header's column names (null until the header line is read). */
  header: string[] | null;
  /** Audit search CSV: how its CreationDate column is written. */
  dateFormat: DateFormat | null;
}

/** The Purview portal's current column names for the Search-UnifiedAuditLog row fields the parser reads. */
const SEARCH_ROW_NAMES: Record<string, string> = { RecordId: 'Identity', Operation: 'Operations', UserId: 'UserIds' };

/** Log Analytics CSV exports name columns "TimeGenerated [UTC]" and split some in "_dynamic"/"_string". */
const csvParserInput = (format: FormatId) => format.startsWith('la-');

export class RecordReader {
  /** Records read (header lines aside), for the parser's messages. */
  private index = 0;

  constructor(readonly reading: FileReading) {}

  /** The record's object, or null for a line that is not a record (the CSV header, PowerShell's #TYPE line). */
  read(rec: ScannedRecord): ImportedRecord | null {
    const r = this.reading;
    const text = decodeRecord(rec.bytes, r.encoding, r.file, rec.line);
    let record: Record<string, unknown>;
    if (r.container === 'csv') {
      if (r.header === null) {
        // Windows PowerShell's Export-Csv starts with "#TYPE <class>" unless told -NoTypeInformation.
        if (text.startsWith('#TYPE ')) return null;
        r.header = csvFields(text.replace(/^\uFEFF/, '')).map((n) => n.trim());
        return null;
      }
      const fields = csvFields(text);
      if (fields.length > r.header.length) {
        throw new ImportError('invalid_record', r.file, rec.line, null, `the row has ${fields.length} fields but the header names ${r.header.length} columns: the file is damaged or not one CSV export.`);
      }
      record = {};
      r.header.forEach((name, i) => {
        const v = fields[i];
        if (v !== undefined) record[name] = v;
      });
      if (FORMATS[r.format].searchRow) record = this.searchRow(record, rec.line);
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new ImportError('invalid_record', r.file, rec.line, null, `the record is not valid JSON (${(err as Error).message}).`);
      }
      if (!isObject(parsed)) throw new ImportError('invalid_record', r.file, rec.line, null, 'the record is not a JSON object.');
      record = parsed;
    }
    const index = this.index++;
    const { id, at } = this.check(record, index, rec.line);
    return { id, at, line: rec.line, offset: rec.offset, length: rec.bytes.length, record };
  }

  /** An audit search CSV row with the parser's column names and its CreationDate in UTC ISO. */
  private searchRow(row: Record<string, unknown>, line: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(row)) {
      const canonical = SEARCH_ROW_NAMES[name];
      out[canonical !== undefined && !(canonical in row) ? canonical : name] = value;
    }
    const created = out.CreationDate;
    if (typeof created === 'string' && created.trim() !== '') {
      const fmt = this.reading.dateFormat ?? 'iso';
      const iso = readDate(created, fmt);
      if (iso === null) throw new ImportError('invalid_record', this.reading.file, line, 'CreationDate', `'${created}' is not a date in the format ${fmt}${this.reading.dateFormat ? ' given' : ''}; give --date-format.`);
      out.CreationDate = iso;
    }
    return out;
  }

  /** Reads the record with its log's parser: its id and time, or an ImportError naming the field. */
  private check(record: Record<string, unknown>, index: number, line: number): { id: string; at: string | null } {
    const spec = FORMATS[this.reading.format];
    const csv = this.reading.container === 'csv' && csvParserInput(this.reading.format);
    try {
      const parsed = spec.log === 'ual' ? parseUnifiedAudit(record, index, { csv }) : spec.log === 'signin' ? parseSignIn(record, index, { csv }) : parseDirectoryAudit(record, index, { csv });
      return { id: parsed.row.id, at: parsed.event?.at ?? null };
    } catch (err) {
      if (err instanceof LogRecordError) throw new ImportError('invalid_record', this.reading.file, line, err.field, `${err.problem} (${err.source}${err.recordId ? `, id ${err.recordId}` : ''}).`);
      throw err;
    }
  }
}

/** Whether the stored records are portal CSV rows for the parser (Log Analytics column names). */
export function parserCsv(format: FormatId, container: Container): boolean {
  return container === 'csv' && csvParserInput(format);
}

/** The tenant a record belongs to, when it says. */
export function tenantOf(record: Record<string, unknown>): string | null {
  for (const key of ['OrganizationId', 'TenantId', 'tenantId', 'AADTenantId']) {
    const v = record[key];
    if (typeof v === 'string' && /^[0-9a-f-]{36}$/i.test(v)) return v.toLowerCase();
  }
  const data = record.AuditData;
  if (typeof data === 'string') {
    const m = /"OrganizationId"\s*:\s*"([0-9a-fA-F-]{36})"/.exec(data);
    if (m) return m[1]!.toLowerCase();
  }
  return null;
}
