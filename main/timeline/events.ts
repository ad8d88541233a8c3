// Main process and export workers: the timeline's rows as Timesketch events, written as JSONL and as a spreadsheet-safe CSV, streamed from the index.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Database } from 'better-sqlite3';
import { OBJECT_TIME } from './model';
import { ROW_JOINS, timelineWhere, type TimelineFilter } from './query';

/**
 * One Timesketch event. Timesketch's import takes JSONL or CSV with three fields it requires — `message`, `datetime`
 * (ISO 8601) and `timestamp_desc` — and keeps any others as they are; `timestamp` (microseconds since the epoch) is
 * what its own examples give beside them
 * (https://github.com/google/timesketch/blob/master/docs/guides/user/import-from-json-csv.md).
 * Our fields follow, the same keys on every row.
 */
export interface TimesketchEvent {
  message: string;
  /** ISO 8601, UTC, millisecond precision. */
  datetime: string;
  timestamp: number;
  timestamp_desc: string;
  /** 'signin', 'directory_audit', 'ual', 'exchange', 'object', 'finding' or 'custody'. */
  source: string;
  /** The source's own id of the record (a finding's key, a custody entry's seq). */
  record_id: string;
  operation: string;
  result: string;
  actor: string | null;
  actor_app_id: string | null;
  ip: string | null;
  target_type: string | null;
  target_id: string | null;
  target_name: string | null;
  /** Keys of the findings this event supports (findings.json). */
  findings: string[];
  evidence_id: number | null;
  evidence_sha256: string | null;
  custody_seq: number | null;
  custody_hash: string | null;
}

/** The fields Timesketch requires on every event (see TimesketchEvent). */
export const TIMESKETCH_REQUIRED = ['message', 'datetime', 'timestamp_desc'] as const;

/** Column order for the CSV (the JSONL keys are in the same order). */
export const TIMELINE_COLUMNS = [
  'message', 'datetime', 'timestamp', 'timestamp_desc', 'source', 'record_id', 'operation', 'result', 'actor', 'actor_app_id', 'ip',
  'target_type', 'target_id', 'target_name', 'findings', 'evidence_id', 'evidence_sha256', 'custody_seq', 'custody_hash',
] as const satisfies readonly (keyof TimesketchEvent)[];

/** What each source's time means. */
const SOURCE_TIME: Readonly<Record<string, string>> = {
  signin: 'Sign-in Time',
  directory_audit: 'Activity Time',
  ual: 'Audit Record Time',
  exchange: 'Cmdlet Run Time',
  finding: 'First Seen',
  custody: 'Custody Entry',
};

const sqlText = (v: string) => `'${v.replace(/'/g, "''")}'`;
const caseOf = (column: string, map: Readonly<Record<string, string>>) =>
  `CASE ${column} ${Object.entries(map).map(([k, v]) => `WHEN ${sqlText(k)} THEN ${sqlText(v)}`).join(' ')} ELSE 'Event Time' END`;

/**
 * Every row of the index as a Timesketch event, oldest first (ties by id): the columns come out of SQLite under the
 * event's own keys and in its order, so a row needs only its timestamp and findings list filled in before it is written.
 */
const EVENTS_SQL = `SELECT t.message, t.at AS datetime, 0 AS timestamp,
  CASE WHEN t.source = 'object' THEN ${caseOf('t.operation', OBJECT_TIME)} ELSE ${caseOf('t.source', SOURCE_TIME)} END AS timestamp_desc,
  t.source, t.record_id, t.operation, t.result, t.actor, t.actor_app_id, t.ip, t.target_type, t.target_id, t.target_name,
  CASE WHEN t.findings > 0 THEN (SELECT json_group_array(finding_key) FROM timeline_support s WHERE s.timeline_id = t.id) END AS findings,
  t.evidence_id, ev.sha256 AS evidence_sha256, t.custody_seq, c.hash AS custody_hash
  FROM timeline t ${ROW_JOINS}`;

/** Every row of the index (or those the filter keeps: a scoped export) as a Timesketch event, oldest first, read one at a time. */
export function* timesketchEvents(db: Database, filter: TimelineFilter = {}): Generator<TimesketchEvent> {
  const { clauses, params } = timelineWhere(filter);
  const rows = db.prepare(`${EVENTS_SQL}${clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : ''} ORDER BY t.at, t.id`).iterate(params) as IterableIterator<Omit<TimesketchEvent, 'findings'> & { findings: string | null | string[] }>;
  for (const row of rows) {
    row.timestamp = Date.parse(row.datetime) * 1000;
    row.findings = row.findings === null ? [] : (JSON.parse(row.findings as string) as string[]);
    yield row as TimesketchEvent;
  }
}

/**
 * One CSV cell (RFC 4180). A text cell starting with = + - @ (or tab/CR) gets a leading apostrophe so a spreadsheet
 * shows it as text instead of running it as a formula (OWASP, "CSV Injection"): attacker-chosen names end up in these
 * cells. A list is written as its items separated by spaces.
 */
export function csvCell(value: string | number | null | string[]): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  let text = Array.isArray(value) ? value.join(' ') : value;
  if (FORMULA_START.has(text.charCodeAt(0))) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** = + - @ tab CR: what a spreadsheet may read as the start of a formula. */
const FORMULA_START = new Set([0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d]);
const NEEDS_QUOTES = /[",\r\n]/;

/** A UTF-8 byte-order mark: without it Excel reads a CSV file in the system's ANSI code page and garbles names. */
export const CSV_BOM = '\uFEFF';

export const csvHeader = (): string => `${CSV_BOM}${TIMELINE_COLUMNS.join(',')}\r\n`;
export function csvLine(e: TimesketchEvent): string {
  let line = csvCell(e[TIMELINE_COLUMNS[0]]);
  for (let i = 1; i < TIMELINE_COLUMNS.length; i++) line += `,${csvCell(e[TIMELINE_COLUMNS[i]!])}`;
  return `${line}\r\n`;
}
export const jsonlLine = (e: TimesketchEvent): string => `${JSON.stringify(e)}\n`;

/** A file written in chunks as it is produced, hashed on the way, synced, never replacing anything. */
export class DurableFileWriter {
  private readonly fd: number;
  private readonly hash = createHash('sha256');
  private pending: string[] = [];
  private pendingLength = 0;
  bytes = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'wx', 0o644);
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const data = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLength = 0;
    this.hash.update(data);
    for (let off = 0; off < data.length; ) off += fs.writeSync(this.fd, data, off);
    this.bytes += data.length;
  }

  /** Flushes, syncs and closes; returns the file's hash and size. */
  close(): { sha256: string; bytes: number } {
    try {
      this.flush();
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  /** Closes without syncing (the file is about to be removed with its folder). */
  abandon(): void {
    fs.closeSync(this.fd);
  }
}

/** Writes timeline.jsonl and timeline.csv from one pass over the index (the rows the filter keeps). Returns each file's hash and size and the rows written. */
export function writeTimelineFiles(db: Database, files: { jsonl: string; csv: string }, filter: TimelineFilter = {}): { jsonl: { sha256: string; bytes: number }; csv: { sha256: string; bytes: number }; rows: number } {
  const jsonl = new DurableFileWriter(files.jsonl);
  let csv: DurableFileWriter | null = null;
  try {
    csv = new DurableFileWriter(files.csv);
    csv.write(csvHeader());
    let rows = 0;
    for (const event of timesketchEvents(db, filter)) {
      jsonl.write(jsonlLine(event));
      csv.write(csvLine(event));
      rows += 1;
    }
    const done = { jsonl: jsonl.close(), csv: csv.close(), rows };
    return done;
  } catch (err) {
    for (const w of [jsonl, csv]) {
      try {
        w?.abandon();
      } catch {
        // already closed
      }
    }
    throw err;
  }
}
