// Main process: the Evidence screens' handlers — every kind of collected object a page at a time, one object with its
// record, findings and history, and the case overview (what is live, what was removed) — plus the Applications list.
import type { Database } from 'better-sqlite3';
import type { CaseOverview, DetectionReport, EvidenceKindView, FindingLink, Handlers, OverviewObject, Severity } from '../../../preload/contract';
import { EVIDENCE_KINDS, OBJECT_KINDS, type ObjectKindId } from '../../../preload/evidenceKinds';
import { browseObjects, kindColumns, kindCounts, newestRunReading, objectHistory, objectRecord, UnknownColumnError } from '../../../db/queries/browse';
import { custodyCount, custodyHead } from '../../../db/queries/custody';
import { listRuns } from '../../../db/queries/runs';
import { applicationRows } from '../../detect';
import { WELL_KNOWN_ROLES } from '../../detect/context';
import { SEVERITY_RANK } from '../../detect/types';
import { HandlerError } from '../dispatch';
import type { WorkbenchContext } from './context';

const isObjectKind = (kind: string): kind is ObjectKindId => (OBJECT_KINDS as readonly string[]).includes(kind);

/** Kinds an attacker makes or abuses: what the overview counts as live or removed (posture objects are findings, not things to remove). */
const OVERVIEW_KINDS = new Set<string>(['application', 'servicePrincipal', 'appRoleAssignment', 'oauth2PermissionGrant', 'roleAssignment', 'user', 'inboundConnector', 'outboundConnector', 'transportRule', 'mailbox', 'inboxRule']);

/** What the overview counts: findings the consultant has not ruled out, about objects that are not the engagement's own. */
const THREAT = (f: DetectionReport['findings'][number]) => !f.ours && f.severity !== 'info' && f.triage.state !== 'false_positive';

const linkOf = (f: DetectionReport['findings'][number]): FindingLink => ({ key: f.key, ruleId: f.ruleId, title: f.title, severity: f.severity });
const objectKey = (kind: string, id: string) => `${kind}|${id.toLowerCase()}`;

/** Every object a report's findings name (their objects, and a subject that is an object), with those findings. */
function namedObjects(report: DetectionReport, keep: (f: DetectionReport['findings'][number]) => boolean = () => true): Map<string, { kind: string; id: string; name: string | null; findings: FindingLink[] }> {
  const named = new Map<string, { kind: string; id: string; name: string | null; findings: FindingLink[] }>();
  const add = (kind: string, id: string, name: string | null, f: DetectionReport['findings'][number]) => {
    const key = objectKey(kind, id);
    const entry = named.get(key) ?? { kind, id, name, findings: [] };
    if (!entry.findings.some((x) => x.key === f.key)) entry.findings.push(linkOf(f));
    entry.name ??= name;
    named.set(key, entry);
  };
  for (const f of report.findings.filter(keep)) {
    for (const o of f.objects) add(o.kind, o.id, o.name, f);
    if (isObjectKind(f.subject.type)) add(f.subject.type, f.subject.id, f.subject.name, f);
  }
  // Most severe first; the storyline, which names every object of the chain, after a finding about the object itself.
  const broad = (f: FindingLink) => (f.ruleId.startsWith('storyline.') ? 1 : 0);
  for (const entry of named.values()) entry.findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || broad(a) - broad(b));
  return named;
}

function present(db: Database, kind: ObjectKindId, runId: string, id: string): boolean {
  return objectRecord(db, kind, id, runId) !== null;
}

export function evidenceHandlers(ctx: WorkbenchContext): Handlers['evidence'] {
  /** Findings of the earlier clean collections, computed once per state of the custody log. */
  let earlier: { file: string; head: string | null; reports: DetectionReport[] } | null = null;
  let named: { report: DetectionReport; map: ReturnType<typeof namedObjects> } | null = null;

  const namedNow = async () => {
    const report = await ctx.detection();
    if (named?.report !== report) named = { report, map: namedObjects(report) };
    return named.map;
  };
  const findingsOf = async (kind: string, id: string) => (await namedNow()).get(objectKey(kind, id))?.findings ?? [];

  const earlierReports = async (db: Database, file: string, newest: string | null): Promise<DetectionReport[]> => {
    const head = custodyHead(db);
    if (earlier?.file === file && earlier.head === head) return earlier.reports;
    const runs = listRuns(db).filter((r) => r.state === 'done' && r.runId !== newest);
    const reports: DetectionReport[] = [];
    for (const r of runs) reports.push(await ctx.detectionOf(r.runId));
    earlier = { file, head, reports };
    return earlier.reports;
  };

  return {
    applications: async () => applicationRows(ctx.requireCase().db, await ctx.detection()),
    kinds: async () => {
      const { db } = ctx.requireCase();
      const counts = kindCounts(db, EVIDENCE_KINDS);
      return EVIDENCE_KINDS.map((kind): EvidenceKindView => ({ kind, ...kindColumns(kind), ...counts[kind]! }));
    },
    list: async (q) => {
      const { db } = ctx.requireCase();
      const run = newestRunReading(db, q.kind);
      if (!run) return { kind: q.kind, runId: null, collectedAt: null, total: 0, offset: q.offset, rows: [] };
      const flagRank: Record<string, number> = {};
      const named = await namedNow();
      for (const entry of named.values()) {
        if (entry.kind !== q.kind) continue;
        flagRank[entry.id.toLowerCase()] = Math.max(...entry.findings.map((f) => SEVERITY_RANK[f.severity] + 1)) * 1000 + entry.findings.length;
      }
      try {
        const page = browseObjects(db, q.kind, { ...q, runId: run.runId, flagRank, roleNames: WELL_KNOWN_ROLES });
        return { kind: q.kind, runId: run.runId, collectedAt: run.collectedAt, total: page.total, offset: q.offset, rows: page.rows.map((r) => ({ ...r, findings: named.get(objectKey(q.kind, r.objectId))?.findings ?? [] })) };
      } catch (error) {
        if (error instanceof UnknownColumnError) throw new HandlerError('invalid_input', error.message);
        throw error;
      }
    },
    object: async ({ kind, objectId, runId }) => {
      const { db } = ctx.requireCase();
      const record = objectRecord(db, kind, objectId, runId);
      if (!record) throw new HandlerError('not_found', `No ${kind} with id ${objectId} in ${runId ? `collection ${runId}` : 'any clean collection of this case'}.`);
      return { kind, objectId, name: record.name, runId: record.runId, raw: record.raw, evidence: record.evidence, findings: await findingsOf(kind, objectId), history: objectHistory(db, kind, objectId) };
    },
    overview: async () => {
      const { db, file } = ctx.requireCase();
      const report = await ctx.detection();
      const runs = listRuns(db);
      const live = [...namedObjects(report, THREAT).values()].filter((o) => OVERVIEW_KINDS.has(o.kind));
      const objects: OverviewObject[] = live.map((o) => ({ ...o, state: 'live', lastSeenAt: report.collectedAt }));
      const liveKeys = new Set(live.map((o) => objectKey(o.kind, o.id)));
      // Newest first: an object named in several earlier collections is reported at the last one that still had it.
      const before = [...(await earlierReports(db, file, report.runId))].sort((a, b) => (b.collectedAt ?? '').localeCompare(a.collectedAt ?? ''));
      const seen = new Set<string>();
      for (const old of before) {
        for (const o of namedObjects(old, THREAT).values()) {
          const key = objectKey(o.kind, o.id);
          if (!OVERVIEW_KINDS.has(o.kind) || !isObjectKind(o.kind) || liveKeys.has(key) || seen.has(key)) continue;
          seen.add(key);
          const newest = newestRunReading(db, o.kind);
          // Only a later collection that read the kind again can say it is gone.
          if (!newest || !old.runId || newest.runId === old.runId || present(db, o.kind, newest.runId, o.id)) continue;
          objects.push({ ...o, state: 'removed', lastSeenAt: old.collectedAt });
        }
      }
      const severities = Object.fromEntries((['critical', 'high', 'medium', 'low', 'info'] as Severity[]).map((s) => [s, report.findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
      const lastEntryAt = (db.prepare('SELECT at FROM custody ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined) ?? null;
      const result: CaseOverview = {
        runId: report.runId,
        collectedAt: report.collectedAt,
        collections: { clean: runs.filter((r) => r.state === 'done').length, total: runs.length },
        objects: objects.sort((a, b) => (a.state === b.state ? SEVERITY_RANK[b.findings[0]!.severity] - SEVERITY_RANK[a.findings[0]!.severity] || (a.name ?? a.id).localeCompare(b.name ?? b.id) : a.state === 'live' ? -1 : 1)),
        severities,
        untriaged: report.findings.filter((f) => f.triage.at === null && !f.ours).length,
        custody: { entries: custodyCount(db), head: custodyHead(db), lastEntryAt },
      };
      return result;
    },
  };
}
