// Main process: what the case shows — findings with their records, triage and indicators.
import type { Handlers } from '../../../preload/contract';
import { evidenceRecord, RecordNotFoundError } from '../../detect/records';
import { iocCsv, iocStix } from '../../detect/iocs';
import { recordTriage } from '../../../db/queries/triage';
import { HandlerError } from '../dispatch';
import type { WorkbenchContext } from './context';

export function findingsHandlers(ctx: WorkbenchContext): Handlers['findings'] {
  const { deps, clock } = ctx;
  return {
    list: async () => ctx.detection(),
    evidence: async (ref) => {
      try {
        return evidenceRecord(ctx.requireCase().db, ref);
      } catch (error) {
        if (error instanceof RecordNotFoundError) throw new HandlerError('not_found', error.message);
        throw error;
      }
    },
    triage: async ({ key, state, note }) => {
      const { db, summary } = ctx.requireCase();
      const report = await ctx.detection();
      const finding = report.findings.find((f) => f.key === key);
      if (!finding) throw new HandlerError('not_found', `No finding "${key}" in the newest collection: collect again or reload the findings.`);
      const at = clock().toISOString();
      const saved = recordTriage(db, { findingKey: key, ruleId: finding.ruleId, state, note: note.trim(), at, actor: summary.examiner, details: { title: finding.title, subject: finding.subject.name ?? finding.subject.id } });
      finding.triage = { state: saved.state, note: saved.note, at: saved.at, by: saved.actor };
      // The findings did not change, only their triage: keep the cached report current instead of running every rule again.
      ctx.keepDetection();
      return finding.triage;
    },
    iocs: async ({ format }) => {
      const { summary } = ctx.requireCase();
      const report = await ctx.detection();
      const options = { caseId: summary.caseId, caseName: summary.name, examiner: summary.examiner, now: clock(), toolVersion: deps.toolVersion };
      return format === 'csv' ? iocCsv(report, options) : iocStix(report, options);
    },
  };
}
