// Test support (Node): findings a scenario does not produce, added to a detection report for the steps that answer them.
import type { DetectionReport } from '../../preload/contract';

/** The report with an audit.logging-disabled finding added, as the rule reports Set-AdminAuditLogConfig turning ingestion off. */
export function withAuditOff(report: DetectionReport, tenantId: string): DetectionReport {
  const template = report.findings[0]!;
  const finding = {
    ...template, key: `audit.logging-disabled:${tenantId}`, ruleId: 'audit.logging-disabled', severity: 'high' as const, subject: { type: 'tenant', id: tenantId, name: null },
    reason: 'app x turned the admin audit log or Unified Audit Log ingestion off (Set-AdminAuditLogConfig).', objects: [], events: [], iocs: [],
  };
  return { ...report, findings: [...report.findings, finding] };
}
