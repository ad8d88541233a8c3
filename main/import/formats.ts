// Import (any thread): the export formats Peregrine imports, what each holds, and how a file's content (a CSV header,
// the first JSON record) tells which one it is.
import type { LogSource } from '../../db/normalize/record';

export const FORMAT_IDS = [
  'purview-csv',
  'ual-export-csv',
  'ual-json',
  'o365-api-json',
  'la-officeactivity',
  'graph-signins',
  'la-signins',
  'graph-audits',
  'la-audits',
  'azure-monitor-audits',
] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

export const isFormatId = (v: string): v is FormatId => (FORMAT_IDS as readonly string[]).includes(v);

export interface FormatSpec {
  id: FormatId;
  /** What the examiner was handed, in words. */
  label: string;
  /** The log its records are stored in. */
  log: LogSource;
  /** Search-UnifiedAuditLog's row shape (AuditData as JSON text) with a CreationDate column in the exporter's locale. */
  searchRow?: boolean;
}

export const FORMATS: Record<FormatId, FormatSpec> = {
  'purview-csv': { id: 'purview-csv', label: 'Purview audit search CSV', log: 'ual', searchRow: true },
  'ual-export-csv': { id: 'ual-export-csv', label: 'Search-UnifiedAuditLog | Export-Csv', log: 'ual', searchRow: true },
  'ual-json': { id: 'ual-json', label: 'Search-UnifiedAuditLog | ConvertTo-Json', log: 'ual', searchRow: true },
  'o365-api-json': { id: 'o365-api-json', label: 'Office 365 Management Activity API JSON', log: 'ual' },
  'la-officeactivity': { id: 'la-officeactivity', label: 'Log Analytics OfficeActivity export', log: 'ual' },
  'graph-signins': { id: 'graph-signins', label: 'Entra sign-ins (Graph API / portal JSON)', log: 'signin' },
  'la-signins': { id: 'la-signins', label: 'Log Analytics SigninLogs export', log: 'signin' },
  'graph-audits': { id: 'graph-audits', label: 'Entra audit logs (Graph API / portal JSON)', log: 'directory_audit' },
  'la-audits': { id: 'la-audits', label: 'Log Analytics AuditLogs export', log: 'directory_audit' },
  'azure-monitor-audits': { id: 'azure-monitor-audits', label: 'Entra audit logs (Azure Monitor diagnostic settings / Event Hub)', log: 'directory_audit' },
};

/** Formats a container can hold: CSV exports are the audit search and Log Analytics ones; the rest are JSON. */
export const CSV_FORMATS: readonly FormatId[] = ['purview-csv', 'ual-export-csv', 'la-officeactivity', 'la-signins', 'la-audits'];

const has = (names: Set<string>, ...all: string[]) => all.every((n) => names.has(n.toLowerCase()));
const stripUtc = (n: string) => n.replace(/\s*\[UTC\]$/i, '').replace(/_(dynamic|string)$/, '').trim().toLowerCase();

/**
 * A CSV export by its column names (any order). Null when the columns are none Peregrine knows.
 * The audit search export's columns: https://learn.microsoft.com/purview/audit-log-export-records (AuditData holds the
 * record as JSON; the classic export wrote CreationDate, UserIds, Operations, AuditData). Search-UnifiedAuditLog's
 * result properties (RunspaceId, ResultIndex, ResultCount, Identity…) are what Export-Csv writes of them, after a
 * "#TYPE" line in Windows PowerShell unless -NoTypeInformation:
 * https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/export-csv
 */
export function formatOfHeader(header: readonly string[]): FormatId | null {
  const names = new Set(header.map(stripUtc));
  if (has(names, 'AuditData', 'CreationDate')) {
    // Export-Csv writes every property of the cmdlet's result objects; the portal only its own columns.
    return names.has('runspaceid') || names.has('resultindex') || names.has('resultcount') ? 'ual-export-csv' : 'purview-csv';
  }
  if (names.has('officeworkload') || names.has('officeid')) return 'la-officeactivity';
  // A query's projection may leave TimeGenerated out; the record's own columns say which table it is.
  // A query's projection may leave TimeGenerated out, and a union of tables brings the other's columns (a SigninLogs
  // export with an InitiatedBy column): the columns only one table has say which it is.
  if (names.has('operationname') && (names.has('targetresources') || names.has('activitydisplayname'))) return 'la-audits';
  if (names.has('operationname') && (names.has('resulttype') || names.has('userprincipalname')) && (names.has('ipaddress') || names.has('appdisplayname') || names.has('conditionalaccessstatus'))) return 'la-signins';
  if (names.has('operationname') && names.has('initiatedby')) return 'la-audits';
  return null;
}

/**
 * A JSON export by its first record. Management Activity API records:
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema ; Graph
 * signIn and directoryAudit: https://learn.microsoft.com/graph/api/resources/signin ,
 * https://learn.microsoft.com/graph/api/resources/directoryaudit ; Log Analytics tables SigninLogs, AuditLogs,
 * OfficeActivity: https://learn.microsoft.com/azure/azure-monitor/reference/tables/signinlogs (and auditlogs,
 * officeactivity); the diagnostic-settings shape Event Hub receives:
 * https://learn.microsoft.com/entra/identity/monitoring-health/howto-stream-logs-to-event-hub
 */
export function formatOfRecord(record: Record<string, unknown>): FormatId | null {
  const type = typeof record.Type === 'string' ? record.Type : null;
  if ('AuditData' in record) return 'ual-json';
  if (type === 'OfficeActivity' || 'OfficeWorkload' in record || 'OfficeId' in record) return 'la-officeactivity';
  if (type === 'SigninLogs' || type === 'AADNonInteractiveUserSignInLogs' || type === 'AADServicePrincipalSignInLogs') return 'la-signins';
  if (type === 'AuditLogs') return 'la-audits';
  if ('activityDateTime' in record && 'activityDisplayName' in record) return 'graph-audits';
  if ('createdDateTime' in record && ('userPrincipalName' in record || 'appId' in record) && ('status' in record || 'ipAddress' in record)) return 'graph-signins';
  // Azure Monitor's diagnostic-settings shape (what an Event Hub or storage account receives): the record in `properties`.
  if ('operationName' in record && 'properties' in record && record.category === 'AuditLogs') return 'azure-monitor-audits';
  if ('CreationTime' in record && 'Operation' in record && ('Workload' in record || 'RecordType' in record)) return 'o365-api-json';
  if ('TimeGenerated' in record && 'OperationName' in record) {
    if ('TargetResources' in record || 'InitiatedBy' in record) return 'la-audits';
    if ('ResultType' in record || 'UserPrincipalName' in record) return 'la-signins';
  }
  return null;
}
