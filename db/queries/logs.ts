// Any process with a case file open: sign-ins, directory audits and Unified Audit Log records from an evidence page, with their timeline events.
import type { Database } from 'better-sqlite3';
import { CaseFileError, EntityShapeError } from '../errors';
import { parseDirectoryAudit } from '../normalize/directoryAudit';
import { LogRecordError, type NormalizedEvent } from '../normalize/record';
import { parseSignIn } from '../normalize/signin';
import { parseUnifiedAudit, type UnifiedAuditRow } from '../normalize/unifiedAudit';

export interface LogInsertOptions {
  /** The objects are portal CSV rows (column names with " [UTC]", values all text). */
  csv?: boolean;
}

export interface UnifiedAuditInsertOptions extends LogInsertOptions {
  /**
   * The objects are exactly the `value` list of this evidence page's JSON body, as a collected Search-UnifiedAuditLog
   * page is: each row then keeps `raw` NULL and its `page_index` in that list, and the record is read from the page
   * (db/queries/ualRaw.ts) — except the records every detection run reads (readOnEveryDetection), which keep both.
   * Without it (an imported file) the record is kept inline as `raw`.
   */
  rawInEvidence?: boolean;
  /** Counts the records new to the run (a record read again, e.g. by a restarted search session, is not new). */
  counts?: { inserted: number };
}

/**
 * Parses every record before writing any: one unreadable record refuses the whole page (the caller
 * stores the evidence and no entities from it). The error names the evidence, the record and the field.
 */
function parsePage<T>(objects: unknown[], evidenceId: number, parse: (o: unknown, i: number) => T): T[] {
  return objects.map((object, index) => {
    try {
      return parse(object, index);
    } catch (err) {
      if (!(err instanceof LogRecordError)) throw err;
      throw new EntityShapeError(
        `Evidence ${evidenceId}: ${err.message}. The response is kept as evidence; nothing was derived from this page.`,
        evidenceId,
        err.field,
      );
    }
  });
}

function checkEvidenceRun(db: Database, runId: string, evidenceId: number): void {
  const evidenceRun = db.prepare('SELECT run_id FROM evidence WHERE id = ?').pluck().get(evidenceId) as string | undefined;
  if (evidenceRun === undefined) {
    throw new CaseFileError('invalid_input', `There is no evidence ${evidenceId} in this case to derive log records from.`);
  }
  if (evidenceRun !== runId) {
    throw new CaseFileError('invalid_input', `Evidence ${evidenceId} belongs to run ${evidenceRun}, not to run ${runId}.`);
  }
}

const json = (v: unknown): string => JSON.stringify(v);
const bool = (v: boolean | null): number | null => (v === null ? null : v ? 1 : 0);

type ColumnParams = readonly (readonly [column: string, param: string])[];

/**
 * Inserts a row, or updates the one already there under the same key (a page read again on resume), returning its
 * rowid. Not an UPSERT: SQLite gives a statement that may update after it started writing a statement journal, and
 * for a record written into a dozen indexes inside a page's transaction that journal spills to a temporary file —
 * record after record, most of a large collection's disk writes. A plain INSERT OR IGNORE needs none.
 */
function keyedWriter(db: Database, table: string, columns: ColumnParams, key: readonly string[], counts?: { inserted: number }): (params: Record<string, unknown>) => number {
  const names = columns.map(([c]) => c).join(', ');
  const values = columns.map(([, p]) => `@${p}`).join(', ');
  const insert = db.prepare(`INSERT OR IGNORE INTO ${table} (${names}) VALUES (${values})`);
  const assign = (cols: ColumnParams, sep: string) => cols.map(([c, p]) => `${c} = @${p}`).join(sep);
  const update = db
    .prepare(`UPDATE ${table} SET ${assign(columns.filter(([c]) => !key.includes(c)), ', ')} WHERE ${assign(columns.filter(([c]) => key.includes(c)), ' AND ')} RETURNING rowid`)
    .pluck();
  return (params) => {
    const info = insert.run(params);
    if (info.changes === 1) {
      if (counts) counts.inserted++;
      return Number(info.lastInsertRowid);
    }
    const rowId = update.get(params) as number | undefined;
    if (rowId !== undefined) return rowId;
    // Ignored for another reason than its key (a CHECK or NOT NULL): the plain INSERT says which.
    db.prepare(`INSERT INTO ${table} (${names}) VALUES (${values})`).run(params);
    throw new Error(`A ${table} row was neither inserted nor found under its key.`);
  };
}

const EVENT_COLUMNS: ColumnParams = [
  ['run_id', 'runId'], ['at', 'at'], ['source', 'source'], ['record_id', 'recordId'], ['operation', 'operation'], ['raw_operation', 'rawOperation'],
  ['result', 'result'], ['actor_user', 'actorUser'], ['actor_app_id', 'actorAppId'], ['actor_ip', 'actorIp'], ['target_type', 'targetType'],
  ['target_id', 'targetId'], ['target_name', 'targetName'], ['evidence_id', 'evidenceId'], ['source_row_id', 'sourceRowId'],
];

/** Keyed by (run_id, source, record_id): a page read again on resume updates its events in place. */
function eventWriter(db: Database, runId: string, evidenceId: number) {
  const write = keyedWriter(db, 'event', EVENT_COLUMNS, ['run_id', 'source', 'record_id']);
  const remove = db.prepare('DELETE FROM event WHERE run_id = ? AND source = ? AND record_id = ?');
  return (event: NormalizedEvent | null, source: string, recordId: string, sourceRowId: number): void => {
    // A record re-read without its time (never in practice) must not leave a stale event behind.
    if (event === null) remove.run(runId, source, recordId);
    else write({ runId, evidenceId, sourceRowId, ...event });
  };
}

/**
 * Stores one parsed page: each record's row (inserted or, for a page read again on resume, updated in place, keeping its ids) and its
 * event, in one transaction with the check that the evidence belongs to this run. Returns the records stored.
 */
function storeRecords<R extends { id: string }>(
  db: Database,
  runId: string,
  evidenceId: number,
  source: string,
  parsed: { row: R; event: NormalizedEvent | null }[],
  write: (params: Record<string, unknown>) => number,
  columns: (row: R, index: number) => Record<string, unknown>,
): number {
  db.transaction(() => {
    checkEvidenceRun(db, runId, evidenceId);
    const writeEvent = eventWriter(db, runId, evidenceId);
    parsed.forEach(({ row, event }, index) => {
      const rowId = write({ ...row, runId, evidenceId, ...columns(row, index) });
      writeEvent(event, source, row.id, rowId);
    });
  })();
  return parsed.length;
}

/**
 * Sign-ins of one evidence page (Graph signIn objects, SigninLogs rows, or portal CSV rows with
 * `csv`), and their events. Runs in its own transaction (a savepoint inside the caller's). Returns
 * the number of records stored.
 */
export function insertSignIns(db: Database, runId: string, evidenceId: number, objects: unknown[], opts: LogInsertOptions = {}): number {
  const parsed = parsePage(objects, evidenceId, (o, i) => parseSignIn(o, i, opts));
  const write = keyedWriter(db, 'sign_in', [
    ['run_id', 'runId'], ['id', 'id'], ['evidence_id', 'evidenceId'], ['created_at', 'createdAt'], ['user_id', 'userId'],
    ['user_principal_name', 'userPrincipalName'], ['app_id', 'appId'], ['app_display_name', 'appDisplayName'], ['ip_address', 'ipAddress'], ['error_code', 'errorCode'],
    ['failure_reason', 'failureReason'], ['authentication_requirement', 'authenticationRequirement'], ['conditional_access_status', 'conditionalAccessStatus'], ['is_interactive', 'isInteractive'], ['client_app_used', 'clientAppUsed'],
    ['location', 'location'], ['raw', 'raw'],
  ], ['run_id', 'id']);
  return storeRecords(db, runId, evidenceId, 'signin', parsed, write, (row) => ({
    isInteractive: bool(row.isInteractive),
    location: row.location === null ? null : json(row.location),
    raw: json(row.raw),
  }));
}

/** As insertSignIns, for directory audits (Graph, AuditLogs rows or CSV, Event Hub records). */
export function insertDirectoryAudits(db: Database, runId: string, evidenceId: number, objects: unknown[], opts: LogInsertOptions = {}): number {
  const parsed = parsePage(objects, evidenceId, (o, i) => parseDirectoryAudit(o, i, opts));
  const write = keyedWriter(db, 'directory_audit', [
    ['run_id', 'runId'], ['id', 'id'], ['evidence_id', 'evidenceId'], ['activity_at', 'activityAt'], ['category', 'category'],
    ['activity_display_name', 'activityDisplayName'], ['operation', 'operation'], ['result', 'result'], ['initiated_by_user_upn', 'initiatedByUserUpn'], ['initiated_by_user_id', 'initiatedByUserId'],
    ['initiated_by_app_id', 'initiatedByAppId'], ['initiated_by_app_sp_id', 'initiatedByServicePrincipalId'], ['initiated_by_app_name', 'initiatedByAppName'], ['initiated_by_ip', 'initiatedByIp'], ['targets', 'targets'],
    ['raw', 'raw'],
  ], ['run_id', 'id']);
  return storeRecords(db, runId, evidenceId, 'directory_audit', parsed, write, (row) => ({ targets: json(row.targets), raw: json(row.raw) }));
}

/**
 * Records every detection run reads whole, whatever the findings: the log's copies of directory changes (the only
 * directory history older than Graph's 30 days) and mailbox rule updates. A page row of these also keeps its record
 * inline, so detection does not inflate every page of a large log to find the few it needs (about 2% of a tenant's log).
 */
export function readOnEveryDetection(row: Pick<UnifiedAuditRow, 'recordType' | 'operation'>): boolean {
  return row.recordType === 'AzureActiveDirectory' || row.operation === 'updateinboxrules';
}

/**
 * As insertSignIns, for Unified Audit Log records (Search-UnifiedAuditLog rows, Management Activity API, OfficeActivity).
 * With `rawInEvidence` the rows point into the evidence page instead of copying each record (see the option).
 */
export function insertUnifiedAuditRecords(
  db: Database, runId: string, evidenceId: number, objects: unknown[], opts: UnifiedAuditInsertOptions = {},
): number {
  if (opts.rawInEvidence && opts.csv) {
    throw new CaseFileError('invalid_input', `Evidence ${evidenceId}: portal CSV rows are not a JSON page's "value" list; their records are kept inline.`);
  }
  const parsed = parsePage(objects, evidenceId, (o, i) => parseUnifiedAudit(o, i, opts));
  const write = keyedWriter(db, 'ual_record', [
    ['run_id', 'runId'], ['id', 'id'], ['evidence_id', 'evidenceId'], ['created_at', 'createdAt'], ['record_type', 'recordType'],
    ['workload', 'workload'], ['raw_operation', 'rawOperation'], ['operation', 'operation'], ['result_status', 'resultStatus'], ['user_id', 'userId'],
    ['app_id', 'appId'], ['client_ip', 'clientIp'], ['object_id', 'objectId'], ['parameters', 'parameters'], ['raw', 'raw'],
    ['page_index', 'pageIndex'],
  ], ['run_id', 'id'], opts.counts);
  const columns = opts.rawInEvidence
    ? (row: UnifiedAuditRow, index: number) => ({ parameters: json(row.parameters), raw: readOnEveryDetection(row) ? json(row.raw) : null, pageIndex: index })
    : (row: UnifiedAuditRow) => ({ parameters: json(row.parameters), raw: json(row.raw), pageIndex: null });
  return storeRecords(db, runId, evidenceId, 'ual', parsed, write, columns);
}
