// Main process / CLI / workers: runs every rule over the newest clean collection and turns their hits into findings and a storyline.
import type { Database } from 'better-sqlite3';
import { getRun, latestCompletedRun } from '../../db/queries/runs';
import { currentTriage } from '../../db/queries/triage';
import { recordedEngagement } from '../../db/queries/engagement';
import { STAGES, type DetectionReport, type Finding, type FindingEvent, type StageId, type StorylineStage } from '../../preload/contract';
import { createContext } from './context';
import { RULES } from './rules';
import { SEVERITY_RANK, type Rule } from './types';

export interface DetectOptions {
  /** The rules to run, in order (correlations last); all of them by default. */
  rules?: readonly Rule[];
  /** A run other than the newest clean one. */
  runId?: string;
  /** App ids of the engagement's own apps besides those its collections recorded (Settings). */
  ownAppIds?: readonly string[];
}

const STAGE_TITLES: Record<StageId, string> = {
  'initial-access': 'Initial access',
  persistence: 'Persistence: OAuth app',
  privilege: 'Privileges',
  credentials: 'App credentials',
  'mail-flow': 'Mail-flow abuse',
  'cleanup-cycles': 'Cleanup cycles',
};

/** Runs the rules. The same case contents always give the same findings, in the same order. */
export function detect(db: Database, options: DetectOptions = {}): DetectionReport {
  const started = performance.now();
  const rules = options.rules ?? RULES;
  const run = options.runId ? finishedRun(db, options.runId) : latestCompletedRun(db);
  const ruleInfo = rules.map((r) => ({ id: r.id, title: r.title, severity: r.severity, attack: r.attack, covers: r.covers }));
  if (!run) return { runId: null, collectedAt: null, findings: [], storyline: storyline([]), rules: ruleInfo, elapsedMs: performance.now() - started };

  const ctx = createContext(db, run);
  const ours = ownApps(db, ctx, options.ownAppIds ?? []);
  const triage = currentTriage(db);
  const findings: Finding[] = [];
  const keys = new Set<string>();
  for (const rule of rules) {
    const pending = new Map<Finding, number[]>();
    for (const hit of rule.evaluate(ctx, findings)) {
      // Triage is keyed by rule and subject; a rule naming the same subject twice gets a stable numbered key.
      let key = `${rule.id}:${hit.subject.id}`;
      for (let n = 2; keys.has(key); n++) key = `${rule.id}:${hit.subject.id}#${n}`;
      keys.add(key);
      const decided = triage.get(key);
      const finding: Finding = {
        key, ruleId: rule.id, title: rule.title, severity: hit.severity, confidence: hit.confidence ?? rule.confidence, attack: rule.attack,
        explanation: rule.explanation, reason: hit.reason, ...(hit.reasonParts ? { reasonParts: hit.reasonParts } : {}), remediation: rule.remediation, covers: rule.covers,
        stage: hit.stage === undefined ? rule.stage : hit.stage, subject: hit.subject, firstAt: null, lastAt: null,
        objects: dedupe(hit.objects, (o) => `${o.kind}|${o.id}`), events: [], iocs: dedupe(hit.iocs, (i) => `${i.type}|${i.value.toLowerCase()}`),
        triage: decided ? { state: decided.state, note: decided.note, at: decided.at, by: decided.actor } : { state: 'open', note: '', at: null, by: null },
        ours: false,
      };
      if (ours(hit.subject)) {
        // The engagement's own app: on the record, but not evidence of the attack (the correlations below never see it lit).
        Object.assign(finding, { ours: true, severity: 'info', stage: null, iocs: [] });
      }
      pending.set(finding, [...new Set(hit.eventIds)]);
    }
    // Events are attached before the next rule runs: the correlation reads them.
    const events = loadEvents(db, [...new Set([...pending.values()].flat())]);
    for (const [finding, ids] of pending) {
      finding.events = ids.flatMap((id) => events.get(id) ?? []).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id));
      finding.firstAt = finding.events[0]?.at ?? null;
      finding.lastAt = finding.events[finding.events.length - 1]?.at ?? null;
      findings.push(finding);
    }
  }
  const stageOrder = (s: StageId | null) => (s === null ? STAGES.length : STAGES.indexOf(s));
  findings.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      stageOrder(a.stage) - stageOrder(b.stage) ||
      (a.firstAt ?? '').localeCompare(b.firstAt ?? '') ||
      a.key.localeCompare(b.key),
  );
  return { runId: run.runId, collectedAt: ctx.collectedAt, findings, storyline: storyline(findings), rules: ruleInfo, elapsedMs: performance.now() - started };
}

/**
 * Whether a finding's subject is one of the engagement's own apps: its app id, or the object id of its application or
 * service principal in the collection, is one the case's collections recorded as theirs (collection.started
 * `engagementApps`) or the examiner named. Ids only: an attacker's app named after ours stays a finding.
 */
function ownApps(db: Database, ctx: ReturnType<typeof createContext>, extra: readonly string[]): (subject: Finding['subject']) => boolean {
  const appIds = engagementAppIds(db, extra);
  if (appIds.size === 0) return () => false;
  const objectIds = new Set<string>();
  for (const o of [...ctx.applications(), ...ctx.servicePrincipals()]) if (appIds.has(o.appId.toLowerCase())) objectIds.add(o.objectId.toLowerCase());
  return (subject) => {
    const id = subject.id.toLowerCase();
    return appIds.has(id) || objectIds.has(id) || (id.startsWith('mail:') && appIds.has(id.slice(5)));
  };
}

/**
 * App ids (lower case) of the engagement's own apps: those every collection of the case recorded, those the
 * examiner's settings recorded in its custody (engagement.settings), and `extra`.
 */
export function engagementAppIds(db: Database, extra: readonly string[] = []): Set<string> {
  const appIds = new Set([...extra, ...recordedEngagement(db).engagementAppIds].map((id) => id.toLowerCase()));
  const rows = db.prepare(`SELECT details FROM custody WHERE action = 'collection.started'`).pluck().all() as string[];
  for (const details of rows) {
    const listed = (JSON.parse(details) as { engagementApps?: unknown }).engagementApps;
    if (Array.isArray(listed)) for (const id of listed) if (typeof id === 'string') appIds.add(id.toLowerCase());
  }
  return appIds;
}

function finishedRun(db: Database, runId: string) {
  const run = getRun(db, runId);
  if (run?.state !== 'done') throw new Error(`Collection ${runId} is not in this case or did not finish cleanly; detections run over finished collections only.`);
  return run;
}

function dedupe<T>(items: T[], keyOf: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(keyOf(item))) seen.set(keyOf(item), item);
  return [...seen.values()];
}

interface EventColumns {
  id: number;
  at: string;
  source: string;
  record_id: string;
  operation: string;
  raw_operation: string;
  result: string;
  actor_user: string | null;
  actor_app_id: string | null;
  actor_ip: string | null;
  target_name: string | null;
  evidence_id: number;
  sha256: string;
}

function loadEvents(db: Database, ids: number[]): Map<number, FindingEvent> {
  const out = new Map<number, FindingEvent>();
  const CHUNK = 500;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows = db
      .prepare(
        `SELECT e.id, e.at, e.source, e.record_id, e.operation, e.raw_operation, e.result, e.actor_user, e.actor_app_id, e.actor_ip, e.target_name, e.evidence_id, v.sha256
         FROM event e JOIN evidence v ON v.id = e.evidence_id WHERE e.id IN (${chunk.map(() => '?').join(',')})`,
      )
      .all(...chunk) as EventColumns[];
    for (const r of rows) {
      out.set(r.id, {
        id: r.id, at: r.at, source: r.source, recordId: r.record_id, operation: r.operation, rawOperation: r.raw_operation, result: r.result, actorUser: r.actor_user,
        actorAppId: r.actor_app_id, actorIp: r.actor_ip, targetName: r.target_name, evidenceId: r.evidence_id, evidenceSha256: r.sha256,
      });
    }
  }
  return out;
}

/** The kill chain as stages: a stage is lit when a finding of medium severity or above supports it. */
export function storyline(findings: readonly Finding[]): StorylineStage[] {
  return STAGES.map((id) => {
    const supporting = findings.filter((f) => f.stage === id && SEVERITY_RANK[f.severity] >= SEVERITY_RANK.medium);
    const top = supporting[0];
    // The most severe finding dates the stage: a lesser one (an admin's ordinary single-factor sign-ins) can start long before the attack.
    const times = [top?.firstAt ?? null, ...supporting.map((f) => f.firstAt)].filter((t): t is string => t !== null);
    return {
      id,
      title: STAGE_TITLES[id],
      lit: supporting.length > 0,
      at: times[0] ?? null,
      summary: top ? `${top.title}${supporting.length > 1 ? ` and ${supporting.length - 1} more` : ''}` : 'No evidence in this collection.',
      findingKeys: supporting.map((f) => f.key),
    };
  });
}
