// Any process (pure): Entra directory audits from Graph (directoryAudit), Log Analytics AuditLogs rows / portal CSV and Event Hub diagnostic records, as rows and events.
import type { JsonObject, JsonValue } from '../json';
import { normalizeOperation } from './operation';
import { cleanIp, FieldReader, isObject, LogRecordError, toJson, toJsonObject, type EventResult, type NormalizedEvent } from './record';
import { fromPortalCsv } from './text';
import { readFirstTime, readTime } from './time';

export interface AuditTarget {
  id: string | null;
  type: string | null;
  displayName: string | null;
  userPrincipalName: string | null;
  modifiedProperties: JsonValue[];
}

export interface DirectoryAuditRow {
  id: string;
  activityAt: string | null;
  category: string | null;
  activityDisplayName: string;
  operation: string;
  /** Graph's result as sent: success, failure, timeout. */
  result: string | null;
  initiatedByUserUpn: string | null;
  initiatedByUserId: string | null;
  initiatedByAppId: string | null;
  initiatedByServicePrincipalId: string | null;
  initiatedByAppName: string | null;
  initiatedByIp: string | null;
  targets: AuditTarget[];
  raw: JsonObject;
}

export interface ParsedDirectoryAudit {
  row: DirectoryAuditRow;
  event: NormalizedEvent | null;
}

export type DirectoryAuditShape = 'graph' | 'log-analytics' | 'event-hub';

/**
 * Graph is camelCase with objects; Log Analytics (and its CSV export) PascalCase with InitiatedBy and
 * TargetResources as JSON text; Event Hub / diagnostic settings wrap the Graph object in `properties`.
 */
export function directoryAuditShape(record: Record<string, unknown>): DirectoryAuditShape {
  if (isObject(record.properties) && ('operationName' in record || 'time' in record)) return 'event-hub';
  if ('Id' in record || 'ActivityDisplayName' in record || 'OperationName' in record) return 'log-analytics';
  return 'graph';
}

const SHAPE_NAMES: Record<DirectoryAuditShape, string> = {
  graph: 'directory audit (Graph directoryAudit)',
  'log-analytics': 'directory audit (AuditLogs row)',
  'event-hub': 'directory audit (Event Hub / diagnostic record)',
};

export function parseDirectoryAudit(record: unknown, index: number, opts: { csv?: boolean } = {}): ParsedDirectoryAudit {
  if (!isObject(record)) throw new LogRecordError('directory audit', index, null, '(the record itself)', 'must be an object');
  const source: Record<string, unknown> = opts.csv ? fromPortalCsv(record as Record<string, string>) : record;
  const shape = directoryAuditShape(source);
  const name = opts.csv ? 'directory audit (AuditLogs portal CSV)' : SHAPE_NAMES[shape];
  if (shape === 'event-hub') {
    const outer = new FieldReader(source, { source: name, index, recordId: null });
    const props = outer.nested('properties')!;
    const inner = new FieldReader(props.record, { source: name, index, recordId: idOf(props.record, 'id') }, 'properties.');
    return build(inner, record, {
      id: 'id', at: ['activityDateTime'], category: 'category', activity: 'activityDisplayName', result: 'result',
      initiatedBy: 'initiatedBy', targets: 'targetResources',
    }, {
      // Graph's fields inside `properties` are authoritative; the envelope repeats them for Azure Monitor.
      atFallback: readTime(outer, 'time'),
      activityFallback: outer.text('operationName'),
      ipFallback: cleanIp(outer.text('callerIpAddress')),
    });
  }
  if (shape === 'log-analytics') {
    const r = new FieldReader(source, { source: name, index, recordId: idOf(source, 'Id') });
    return build(r, record, {
      id: 'Id', at: ['ActivityDateTime', 'TimeGenerated'], category: 'Category', activity: 'ActivityDisplayName', result: 'Result',
      initiatedBy: 'InitiatedBy', targets: 'TargetResources',
    }, { atFallback: null, activityFallback: r.text('OperationName'), ipFallback: null });
  }
  const r = new FieldReader(source, { source: name, index, recordId: idOf(source, 'id') });
  // Graph always sends activityDateTime.
  if (!r.has('activityDateTime')) r.fail('activityDateTime', 'is missing');
  return build(r, record, {
    id: 'id', at: ['activityDateTime'], category: 'category', activity: 'activityDisplayName', result: 'result',
    initiatedBy: 'initiatedBy', targets: 'targetResources',
  }, { atFallback: null, activityFallback: null, ipFallback: null });
}

interface FieldNames {
  id: string;
  at: string[];
  category: string;
  activity: string;
  result: string;
  initiatedBy: string;
  targets: string;
}

function idOf(record: Record<string, unknown>, field: string): string | null {
  const v = record[field];
  return typeof v === 'string' && v !== '' ? v : null;
}

function build(
  r: FieldReader,
  original: Record<string, unknown>,
  f: FieldNames,
  fallback: { atFallback: string | null; activityFallback: string | null; ipFallback: string | null },
): ParsedDirectoryAudit {
  const id = r.requiredText(f.id);
  const activityDisplayName = r.text(f.activity) ?? fallback.activityFallback ?? r.fail(f.activity, 'is missing');
  const by = r.nested(f.initiatedBy);
  const user = by?.nested('user') ?? null;
  const app = by?.nested('app') ?? null;
  const targets = (r.array(f.targets) ?? []).map((t, i) => target(r, `${f.targets}.${i}`, t));
  const row: DirectoryAuditRow = {
    id,
    activityAt: readFirstTime(r, ...f.at) ?? fallback.atFallback,
    category: r.text(f.category),
    activityDisplayName,
    operation: normalizeOperation(activityDisplayName),
    result: r.text(f.result),
    initiatedByUserUpn: user?.text('userPrincipalName') ?? null,
    initiatedByUserId: user?.text('id') ?? null,
    initiatedByAppId: app?.text('appId') ?? null,
    initiatedByServicePrincipalId: app?.text('servicePrincipalId') ?? null,
    initiatedByAppName: app?.text('displayName') ?? null,
    initiatedByIp: cleanIp(user?.text('ipAddress') ?? null) ?? fallback.ipFallback,
    targets,
    raw: toJsonObject(original),
  };
  return { row, event: eventOf(row) };
}

function target(r: FieldReader, path: string, value: unknown): AuditTarget {
  if (!isObject(value)) return r.fail(path, 'must be an object');
  const t = new FieldReader(value, r.ctx, `${r.path}${path}.`);
  const modified = t.array('modifiedProperties') ?? [];
  return {
    id: t.text('id'),
    type: t.text('type'),
    displayName: t.text('displayName'),
    userPrincipalName: t.text('userPrincipalName'),
    modifiedProperties: modified.map(toJson),
  };
}

function resultOf(result: string | null): EventResult {
  const r = result?.toLowerCase();
  return r === 'success' || r === 'failure' || r === 'timeout' ? r : 'unknown';
}

/**
 * Actor: the user (UPN) or the app that acted, by appId, else by its service principal's object id
 * (Graph leaves appId null for managed identities and first-party services); target: the first
 * target resource, which is the object acted on ("Add member to role": the user or service principal
 * added; the role comes second).
 */
function eventOf(row: DirectoryAuditRow): NormalizedEvent | null {
  if (row.activityAt === null) return null;
  const first = row.targets[0];
  return {
    at: row.activityAt,
    source: 'directory_audit',
    recordId: row.id,
    operation: row.operation,
    rawOperation: row.activityDisplayName,
    result: resultOf(row.result),
    actorUser: row.initiatedByUserUpn ?? row.initiatedByUserId,
    actorAppId: row.initiatedByAppId ?? row.initiatedByServicePrincipalId,
    actorIp: row.initiatedByIp,
    targetType: first?.type ?? null,
    targetId: first?.id ?? null,
    targetName: first ? (first.displayName ?? first.userPrincipalName) : null,
  };
}
