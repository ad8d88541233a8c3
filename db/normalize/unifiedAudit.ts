// Any process (pure): Unified Audit Log records (Search-UnifiedAuditLog rows, Management Activity API records, Sentinel OfficeActivity rows) as rows and events.
import type { JsonObject } from '../json';
import { normalizeOperation } from './operation';
import { cleanIp, FieldReader, isObject, LogRecordError, toJsonObject, type EventResult, type NormalizedEvent } from './record';
import { fromPortalCsv } from './text';
import { readFirstTime } from './time';

export interface CmdletParameter {
  Name: string;
  Value: string;
}

export interface UnifiedAuditRow {
  id: string;
  createdAt: string | null;
  /** Name of the record type ('ExchangeAdmin', 'AzureActiveDirectory'…); the API's number when the name is not known. */
  recordType: string | null;
  workload: string | null;
  rawOperation: string;
  operation: string;
  resultStatus: string | null;
  userId: string | null;
  appId: string | null;
  clientIp: string | null;
  objectId: string | null;
  /** ExchangeAdmin cmdlet parameters (New-InboundConnector -SenderIPAddresses …), as the record lists them. */
  parameters: CmdletParameter[];
  raw: JsonObject;
}

export interface ParsedUnifiedAudit {
  row: UnifiedAuditRow;
  event: NormalizedEvent | null;
}

export type UnifiedAuditShape = 'search-row' | 'management-api' | 'office-activity';

// AuditLogRecordType values (Office 365 Management Activity API schema) that this investigation meets.
const RECORD_TYPES: Record<number, string> = {
  1: 'ExchangeAdmin',
  2: 'ExchangeItem',
  3: 'ExchangeItemGroup',
  4: 'SharePoint',
  6: 'SharePointFileOperation',
  8: 'AzureActiveDirectory',
  9: 'AzureActiveDirectoryAccountLogon',
  14: 'SharePointSharingOperation',
  15: 'AzureActiveDirectoryStsLogon',
  18: 'SecurityComplianceCenterEOPCmdlet',
  20: 'PowerBIAudit',
  25: 'MicrosoftTeams',
  28: 'ThreatIntelligence',
  40: 'SecurityComplianceAlerts',
  50: 'ExchangeItemAggregated',
  64: 'AirInvestigation',
};

/**
 * Search-UnifiedAuditLog rows carry the record as JSON text in AuditData; Sentinel's OfficeActivity
 * table flattens it with its own column names (TimeGenerated, OfficeWorkload, OfficeId); the
 * Management Activity API returns the record itself.
 */
export function unifiedAuditShape(record: Record<string, unknown>): UnifiedAuditShape {
  if ('AuditData' in record) return 'search-row';
  if (record.Type === 'OfficeActivity' || 'OfficeWorkload' in record || 'OfficeId' in record) return 'office-activity';
  return 'management-api';
}

export function parseUnifiedAudit(record: unknown, index: number, opts: { csv?: boolean } = {}): ParsedUnifiedAudit {
  if (!isObject(record)) throw new LogRecordError('unified audit record', index, null, '(the record itself)', 'must be an object');
  const source: Record<string, unknown> = opts.csv ? fromPortalCsv(record as Record<string, string>) : record;
  const shape = unifiedAuditShape(source);
  if (shape === 'search-row') return fromSearchRow(source, record, index);
  if (shape === 'office-activity') {
    const name = opts.csv ? 'unified audit record (OfficeActivity portal CSV)' : 'unified audit record (OfficeActivity row)';
    const r = new FieldReader(source, { source: name, index, recordId: idOf(source, 'OfficeId') ?? idOf(source, 'SourceRecordId') });
    return build(r, record, {
      id: r.firstText('OfficeId', 'SourceRecordId') ?? r.fail('OfficeId', 'is missing'),
      createdAt: readFirstTime(r, 'TimeGenerated', 'CreationTime'),
      workload: r.firstText('OfficeWorkload', 'Workload'),
      clientIp: r.firstText('ClientIP', 'Client_IPAddress', 'ActorIpAddress'),
      objectId: r.firstText('OfficeObjectId', 'ObjectId'),
    });
  }
  const r = new FieldReader(source, { source: 'unified audit record (Management Activity API)', index, recordId: idOf(source, 'Id') });
  // The API always sends CreationTime (UTC without a zone suffix).
  const createdAt = readFirstTime(r, 'CreationTime') ?? r.fail('CreationTime', 'is missing');
  return build(r, record, {
    id: r.requiredText('Id'),
    createdAt,
    workload: r.text('Workload'),
    clientIp: r.firstText('ClientIP', 'ClientIPAddress', 'ActorIpAddress'),
    objectId: r.text('ObjectId'),
  });
}

function idOf(record: Record<string, unknown>, field: string): string | null {
  const v = record[field];
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The row's own columns fill in what AuditData lacks; AuditData is the record and wins otherwise. */
function fromSearchRow(row: Record<string, unknown>, original: Record<string, unknown>, index: number): ParsedUnifiedAudit {
  const name = 'unified audit record (Search-UnifiedAuditLog row)';
  const outer = new FieldReader(row, { source: name, index, recordId: idOf(row, 'Identity') });
  const data = outer.object('AuditData') ?? outer.fail('AuditData', 'is missing');
  const r = new FieldReader(data, { source: name, index, recordId: idOf(data, 'Id') ?? idOf(row, 'Identity') }, 'AuditData.');
  const createdAt = readFirstTime(r, 'CreationTime') ?? readFirstTime(outer, 'CreationDate') ?? outer.fail('CreationDate', 'is missing');
  // The original row is kept as `raw` as received, AuditData still as text: that is what the evidence holds.
  return build(r, original, {
    id: r.text('Id') ?? outer.text('Identity') ?? r.fail('Id', 'is missing'),
    createdAt,
    workload: r.text('Workload'),
    clientIp: r.firstText('ClientIP', 'ClientIPAddress', 'ActorIpAddress'),
    objectId: r.text('ObjectId'),
    recordType: outer.text('RecordType'),
    operation: outer.text('Operations'),
    userId: outer.text('UserIds'),
  });
}

interface Resolved {
  id: string;
  createdAt: string | null;
  workload: string | null;
  clientIp: string | null;
  objectId: string | null;
  recordType?: string | null;
  operation?: string | null;
  userId?: string | null;
}

function recordTypeName(r: FieldReader): string | null {
  const v = r.record.RecordType;
  if (typeof v === 'number') return RECORD_TYPES[v] ?? String(v);
  const text = r.text('RecordType');
  if (text !== null && /^\d+$/.test(text)) return RECORD_TYPES[Number(text)] ?? text;
  return text;
}

/** AuditData's type, unless it is a number this module cannot name and the search row gives the name. */
function recordType(fromData: string | null, fromRow: string | null): string | null {
  if (fromData !== null && /^\d+$/.test(fromData) && fromRow !== null) return fromRow;
  return fromData ?? fromRow;
}

function parametersOf(r: FieldReader): CmdletParameter[] {
  const list = r.array('Parameters') ?? [];
  return list.map((p, i) => {
    if (!isObject(p)) return r.fail(`Parameters.${i}`, 'must be an object with Name and Value');
    const pr = new FieldReader(p, r.ctx, `${r.path}Parameters.${i}.`);
    return { Name: pr.requiredText('Name'), Value: pr.text('Value') ?? '' };
  });
}

function build(r: FieldReader, original: Record<string, unknown>, x: Resolved): ParsedUnifiedAudit {
  const rawOperation = r.text('Operation') ?? x.operation ?? r.fail('Operation', 'is missing');
  const row: UnifiedAuditRow = {
    id: x.id,
    createdAt: x.createdAt,
    recordType: recordType(recordTypeName(r), x.recordType ?? null),
    workload: x.workload,
    rawOperation,
    operation: normalizeOperation(rawOperation),
    resultStatus: r.text('ResultStatus'),
    userId: r.text('UserId') ?? x.userId ?? null,
    // AppId is the app that acted (app-only Exchange PowerShell); ClientAppId the client the user used.
    appId: r.text('AppId') ?? r.text('ClientAppId') ?? r.text('ApplicationId'),
    clientIp: cleanIp(x.clientIp),
    objectId: x.objectId,
    parameters: parametersOf(r),
    raw: toJsonObject(original),
  };
  return { row, event: eventOf(row) };
}

function resultOf(status: string | null): EventResult {
  const s = status?.toLowerCase();
  if (s === undefined) return 'unknown';
  // Exchange writes True/False; Azure AD Success/Failure; others Succeeded/Failed/PartiallySucceeded.
  if (s === 'true' || s === 'success' || s === 'succeeded') return 'success';
  if (s === 'false' || s === 'failure' || s === 'failed' || s === 'partiallysucceeded') return 'failure';
  return 'unknown';
}

const param = (row: UnifiedAuditRow, name: string): string | null =>
  row.parameters.find((p) => p.Name.toLowerCase() === name.toLowerCase())?.Value || null;

/**
 * Target: for an Exchange cmdlet, the object the noun names (New-InboundConnector → InboundConnector)
 * with its Identity or Name; otherwise the record's ObjectId.
 */
function eventOf(row: UnifiedAuditRow): NormalizedEvent | null {
  if (row.createdAt === null) return null;
  const cmdlet = /^[A-Za-z]+-([A-Za-z]+)$/.exec(row.rawOperation);
  const name = cmdlet ? (param(row, 'Identity') ?? param(row, 'Name')) : null;
  return {
    at: row.createdAt,
    source: 'ual',
    recordId: row.id,
    operation: row.operation,
    rawOperation: row.rawOperation,
    result: resultOf(row.resultStatus),
    actorUser: row.userId,
    actorAppId: row.appId,
    actorIp: row.clientIp,
    targetType: cmdlet ? (cmdlet[1] ?? null) : null,
    targetId: row.objectId ?? name,
    targetName: name ?? row.objectId,
  };
}
