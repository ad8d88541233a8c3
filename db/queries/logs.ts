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

/** Upsert keyed by (run_id, source, record_id): a page read again on resume updates its events in place. */
function eventWriter(db: Database, runId: string, evidenceId: number) {
  const upsert = db.prepare(
    `INSERT INTO event (run_id, at, source, record_id, operation, raw_operation, result, actor_user, actor_app_id, actor_ip,
       target_type, target_id, target_name, evidence_id, source_row_id)
     VALUES (@runId, @at, @source, @recordId, @operation, @rawOperation, @result, @actorUser, @actorAppId, @actorIp,
       @targetType, @targetId, @targetName, @evidenceId, @sourceRowId)
     ON CONFLICT (run_id, source, record_id) DO UPDATE SET
       at = excluded.at, operation = excluded.operation, raw_operation = excluded.raw_operation, result = excluded.result,
       actor_user = excluded.actor_user, actor_app_id = excluded.actor_app_id, actor_ip = excluded.actor_ip,
       target_type = excluded.target_type, target_id = excluded.target_id, target_name = excluded.target_name,
       evidence_id = excluded.evidence_id, source_row_id = excluded.source_row_id`,
  );
  const remove = db.prepare('DELETE FROM event WHERE run_id = ? AND source = ? AND record_id = ?');
  return (event: NormalizedEvent | null, source: string, recordId: string, sourceRowId: number): void => {
    // A record re-read without its time (never in practice) must not leave a stale event behind.
    if (event === null) remove.run(runId, source, recordId);
    else upsert.run({ runId, evidenceId, sourceRowId, ...event });
  };
}

/**
 * Stores one parsed page: each record's row (upserted, so a resumed run re-reading a page keeps its ids) and its
 * event, in one transaction with the check that the evidence belongs to this run. Returns the records stored.
 */
function storeRecords<R extends { id: string }>(
  db: Database,
  runId: string,
  evidenceId: number,
  source: string,
  parsed: { row: R; event: NormalizedEvent | null }[],
  upsert: { get: (params: Record<string, unknown>) => unknown },
  columns: (row: R, index: number) => Record<string, unknown>,
): number {
  db.transaction(() => {
    checkEvidenceRun(db, runId, evidenceId);
    const writeEvent = eventWriter(db, runId, evidenceId);
    parsed.forEach(({ row, event }, index) => {
      const rowId = upsert.get({ ...row, runId, evidenceId, ...columns(row, index) }) as number;
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
  const upsert = db.prepare(
    `INSERT INTO sign_in (run_id, id, evidence_id, created_at, user_id, user_principal_name, app_id, app_display_name, ip_address,
       error_code, failure_reason, authentication_requirement, conditional_access_status, is_interactive, client_app_used, location, raw)
     VALUES (@runId, @id, @evidenceId, @createdAt, @userId, @userPrincipalName, @appId, @appDisplayName, @ipAddress,
       @errorCode, @failureReason, @authenticationRequirement, @conditionalAccessStatus, @isInteractive, @clientAppUsed, @location, @raw)
     ON CONFLICT (run_id, id) DO UPDATE SET
       evidence_id = excluded.evidence_id, created_at = excluded.created_at, user_id = excluded.user_id,
       user_principal_name = excluded.user_principal_name, app_id = excluded.app_id, app_display_name = excluded.app_display_name,
       ip_address = excluded.ip_address, error_code = excluded.error_code, failure_reason = excluded.failure_reason,
       authentication_requirement = excluded.authentication_requirement, conditional_access_status = excluded.conditional_access_status,
       is_interactive = excluded.is_interactive, client_app_used = excluded.client_app_used, location = excluded.location, raw = excluded.raw
     RETURNING row_id`,
  ).pluck();
  return storeRecords(db, runId, evidenceId, 'signin', parsed, upsert, (row) => ({
    isInteractive: bool(row.isInteractive),
    location: row.location === null ? null : json(row.location),
    raw: json(row.raw),
  }));
}

/** As insertSignIns, for directory audits (Graph, AuditLogs rows or CSV, Event Hub records). */
export function insertDirectoryAudits(db: Database, runId: string, evidenceId: number, objects: unknown[], opts: LogInsertOptions = {}): number {
  const parsed = parsePage(objects, evidenceId, (o, i) => parseDirectoryAudit(o, i, opts));
  const upsert = db.prepare(
    `INSERT INTO directory_audit (run_id, id, evidence_id, activity_at, category, activity_display_name, operation, result,
       initiated_by_user_upn, initiated_by_user_id, initiated_by_app_id, initiated_by_app_sp_id, initiated_by_app_name, initiated_by_ip,
       targets, raw)
     VALUES (@runId, @id, @evidenceId, @activityAt, @category, @activityDisplayName, @operation, @result,
       @initiatedByUserUpn, @initiatedByUserId, @initiatedByAppId, @initiatedByServicePrincipalId, @initiatedByAppName, @initiatedByIp,
       @targets, @raw)
     ON CONFLICT (run_id, id) DO UPDATE SET
       evidence_id = excluded.evidence_id, activity_at = excluded.activity_at, category = excluded.category,
       activity_display_name = excluded.activity_display_name, operation = excluded.operation, result = excluded.result,
       initiated_by_user_upn = excluded.initiated_by_user_upn, initiated_by_user_id = excluded.initiated_by_user_id,
       initiated_by_app_id = excluded.initiated_by_app_id, initiated_by_app_sp_id = excluded.initiated_by_app_sp_id,
       initiated_by_app_name = excluded.initiated_by_app_name, initiated_by_ip = excluded.initiated_by_ip,
       targets = excluded.targets, raw = excluded.raw
     RETURNING row_id`,
  ).pluck();
  return storeRecords(db, runId, evidenceId, 'directory_audit', parsed, upsert, (row) => ({ targets: json(row.targets), raw: json(row.raw) }));
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
  const upsert = db.prepare(
    `INSERT INTO ual_record (run_id, id, evidence_id, created_at, record_type, workload, raw_operation, operation, result_status,
       user_id, app_id, client_ip, object_id, parameters, raw, page_index)
     VALUES (@runId, @id, @evidenceId, @createdAt, @recordType, @workload, @rawOperation, @operation, @resultStatus,
       @userId, @appId, @clientIp, @objectId, @parameters, @raw, @pageIndex)
     ON CONFLICT (run_id, id) DO UPDATE SET
       evidence_id = excluded.evidence_id, created_at = excluded.created_at, record_type = excluded.record_type,
       workload = excluded.workload, raw_operation = excluded.raw_operation, operation = excluded.operation,
       result_status = excluded.result_status, user_id = excluded.user_id, app_id = excluded.app_id,
       client_ip = excluded.client_ip, object_id = excluded.object_id, parameters = excluded.parameters, raw = excluded.raw,
       page_index = excluded.page_index
     RETURNING row_id`,
  ).pluck();
  const columns = opts.rawInEvidence
    ? (row: UnifiedAuditRow, index: number) => ({ parameters: json(row.parameters), raw: readOnEveryDetection(row) ? json(row.raw) : null, pageIndex: index })
    : (row: UnifiedAuditRow) => ({ parameters: json(row.parameters), raw: json(row.raw), pageIndex: null });
  return storeRecords(db, runId, evidenceId, 'ual', parsed, upsert, columns);
}
