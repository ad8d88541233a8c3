// Main process, CLI and export: builds the case's timeline index (migration 170) — one row per event of every source, keyed by the source's own record id — from the tables the case verifies and the findings computed from them.
import type { Database } from 'better-sqlite3';
import { listCustody, type CustodyEntry } from '../../db/queries/custody';
import { listApplications, listServicePrincipals, type KeyCredentialMeta, type PasswordCredentialMeta } from '../../db/queries/directory';
import { listChanges } from '../../db/queries/changes';
import { listRuns, type CollectionRun } from '../../db/queries/runs';
import type { DetectionReport, TimelineRowView } from '../../preload/contract';
import { detect } from '../detect/engine';

/** The sources of the timeline; a later importer may add its own (the column is not CHECKed). */
export const TIMELINE_SOURCES = ['signin', 'directory_audit', 'ual', 'exchange', 'object', 'finding', 'custody'] as const;
export type TimelineSource = (typeof TIMELINE_SOURCES)[number];

/** A timeline row before it gets its id and support count: the row the screen shows without what is joined in. */
export type TimelineRowInput = Omit<TimelineRowView, 'id' | 'evidenceSha256' | 'custodyHash' | 'findings' | 'pinned'>;

/**
 * How an event row becomes a timeline row, in SQL over `event e LEFT JOIN ual_record u` (the builder and the check
 * use the same text). A Unified Audit Log record of type ExchangeAdmin is an Exchange cmdlet: its source is 'exchange'.
 */
export const EVENT_ROW_SQL = {
  source: `CASE WHEN e.source = 'ual' AND u.record_type = 'ExchangeAdmin' THEN 'exchange' ELSE e.source END`,
  message: `e.raw_operation || ' by ' || coalesce(e.actor_user, e.actor_app_id, 'an unknown actor') || coalesce(' from ' || e.actor_ip, '')
    || coalesce(' on ' || coalesce(e.target_name, e.target_id), '') || ': ' || e.result`,
  ualJoin: `LEFT JOIN ual_record u ON e.source = 'ual' AND u.row_id = e.source_row_id`,
} as const;

/** The words the full-text index holds for a row (timeline_fts.text). */
export const FTS_TEXT_SQL = `concat_ws(' ', message, actor_app_id, target_id, record_id)`;

const ROW_COLUMNS = 'at, source, record_id, operation, result, actor, actor_app_id, ip, target_type, target_id, target_name, message, event_id, evidence_id, custody_seq';

/** Timeline rows from every event row after `afterEventId`, first event of a record wins (OR IGNORE on the record key). */
function indexEvents(db: Database, afterEventId: number): number {
  const info = db
    .prepare(
      `INSERT OR IGNORE INTO timeline (${ROW_COLUMNS})
       SELECT e.at, ${EVENT_ROW_SQL.source}, e.record_id, e.raw_operation, e.result, e.actor_user, e.actor_app_id, e.actor_ip,
              e.target_type, e.target_id, e.target_name, ${EVENT_ROW_SQL.message}, e.id, e.evidence_id, NULL
       FROM event e ${EVENT_ROW_SQL.ualJoin} WHERE e.id > ? ORDER BY e.id`,
    )
    .run(afterEventId);
  return info.changes;
}

const quoted = (name: string | null): string => (name ? `"${name}"` : '(no name)');

/** What an object row's time means, by its operation (Timesketch's timestamp_desc). */
export const OBJECT_TIME: Readonly<Record<string, string>> = {
  'Application created': 'Creation Time',
  'Service principal created': 'Creation Time',
  'Object created': 'Creation Time',
  'Object deleted': 'Deletion Time',
  'Audit bypass set': 'Modification Time',
  'Client secret added': 'Credential Valid From',
  'Certificate added': 'Credential Valid From',
  'Object gone from collection': 'Collection Time',
  'Object back in collection': 'Collection Time',
  'Object new in collection': 'Collection Time',
  'Object modified between collections': 'Collection Time',
};

interface Owner {
  kind: 'application' | 'servicePrincipal';
  objectId: string;
  appId: string;
  displayName: string | null;
  evidenceId: number;
}

function objectRow(owner: Pick<Owner, 'objectId' | 'displayName' | 'evidenceId'> & { appId: string | null; kind: string }, fields: Pick<TimelineRowInput, 'at' | 'recordId' | 'operation' | 'message'>): TimelineRowInput {
  return {
    ...fields, source: 'object', result: 'success', actor: null, actorAppId: owner.appId, ip: null,
    targetType: owner.kind, targetId: owner.objectId, targetName: owner.displayName, eventId: null, evidenceId: owner.evidenceId, custodySeq: null,
  };
}

function credentialRows(owner: Owner, passwords: PasswordCredentialMeta[], keys: KeyCredentialMeta[]): TimelineRowInput[] {
  const what = owner.kind === 'application' ? 'application' : 'service principal';
  const rows: TimelineRowInput[] = [];
  for (const c of passwords) {
    const at = utc(c.startDateTime);
    if (!at) continue;
    const parts = [`keyId ${c.keyId}`, c.displayName ? `named "${c.displayName}"` : null, c.hint ? `hint ${c.hint}` : null, c.endDateTime ? `valid until ${c.endDateTime}` : null];
    rows.push(objectRow(owner, {
      at, recordId: `${owner.kind}:${owner.objectId}:password:${c.keyId}`, operation: 'Client secret added',
      message: `Client secret added to ${what} ${quoted(owner.displayName)} (appId ${owner.appId}): ${parts.filter(Boolean).join(', ')}`,
    }));
  }
  for (const c of keys) {
    const at = utc(c.startDateTime);
    if (!at) continue;
    const parts = [`keyId ${c.keyId}`, c.displayName ? `named "${c.displayName}"` : null, c.type ? `type ${c.type}` : null, c.usage ? `usage ${c.usage}` : null, c.endDateTime ? `valid until ${c.endDateTime}` : null];
    rows.push(objectRow(owner, {
      at, recordId: `${owner.kind}:${owner.objectId}:key:${c.keyId}`, operation: 'Certificate added',
      message: `Certificate added to ${what} ${quoted(owner.displayName)} (appId ${owner.appId}): ${parts.filter(Boolean).join(', ')}`,
    }));
  }
  return rows;
}

/** UTC ISO with milliseconds, or null for a value that is not a date (it has no place on a timeline). */
export function utc(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Object lifetimes over every finished collection, oldest collection first (the first to see a fact keeps it):
 * applications and service principals created and their credentials added, other objects created where Microsoft
 * gives the time, and objects gone from, new in or back in a later collection (object_change).
 */
export function objectRows(db: Database, runs: CollectionRun[] = finishedRuns(db)): TimelineRowInput[] {
  const rows: TimelineRowInput[] = [];
  const gone = new Set<string>();
  for (const run of runs) {
    const owners = [
      ...listApplications(db, run.runId).map((o) => ({ o, kind: 'application' as const, what: 'Application created', says: `Application registered: ${quoted(o.displayName)} (appId ${o.appId}, audience ${o.signInAudience ?? 'unknown'})` })),
      ...listServicePrincipals(db, run.runId).map((o) => ({ o, kind: 'servicePrincipal' as const, what: 'Service principal created', says: `Service principal created: ${quoted(o.displayName)} (appId ${o.appId}, owner tenant ${o.appOwnerOrganizationId ?? 'unknown'})` })),
    ];
    for (const { o, kind, what, says } of owners) {
      const owner: Owner = { kind, objectId: o.objectId, appId: o.appId, displayName: o.displayName, evidenceId: o.evidenceId };
      const at = utc(o.createdAt);
      if (at) rows.push(objectRow(owner, { at, recordId: `${kind}:${o.objectId}:created`, operation: what, message: says }));
      rows.push(...credentialRows(owner, o.passwordCredentials, o.keyCredentials));
    }
    const created = db
      .prepare(
        `SELECT kind, object_id, display_name, evidence_id,
                coalesce(json_extract(raw, '$.createdDateTime'), json_extract(raw, '$.WhenCreatedUTC'), json_extract(raw, '$.WhenCreated')) AS created
         FROM tenant_object WHERE run_id = ? AND created IS NOT NULL AND kind <> 'mailboxAuditBypass' ORDER BY kind, object_id`,
      )
      .all(run.runId) as { kind: string; object_id: string; display_name: string | null; evidence_id: number; created: unknown }[];
    for (const o of created) {
      const at = typeof o.created === 'string' ? utc(o.created) : null;
      if (!at) continue;
      rows.push(objectRow({ kind: o.kind, objectId: o.object_id, displayName: o.display_name, evidenceId: o.evidence_id, appId: null }, {
        at, recordId: `${o.kind}:${o.object_id}:created`, operation: 'Object created', message: `${o.kind} created: ${quoted(o.display_name)} (id ${o.object_id})`,
      }));
    }
    // Directory deleted items (their deletion time) and accounts exempted from mailbox auditing (when it was set).
    const ended = db
      .prepare(
        `SELECT kind, object_id, display_name, evidence_id,
                CASE WHEN kind = 'mailboxAuditBypass' THEN coalesce(json_extract(raw, '$.WhenChangedUTC'), json_extract(raw, '$.WhenChanged')) ELSE json_extract(raw, '$.deletedDateTime') END AS at
         FROM tenant_object WHERE run_id = ? AND (kind IN ('deletedApplication', 'deletedServicePrincipal') OR (kind = 'mailboxAuditBypass' AND json_extract(raw, '$.AuditBypassEnabled') = 1))
         ORDER BY kind, object_id`,
      )
      .all(run.runId) as { kind: string; object_id: string; display_name: string | null; evidence_id: number; at: unknown }[];
    for (const o of ended) {
      const at = typeof o.at === 'string' ? utc(o.at) : null;
      if (!at) continue;
      const bypass = o.kind === 'mailboxAuditBypass';
      rows.push(objectRow({ kind: o.kind, objectId: o.object_id, displayName: o.display_name, evidenceId: o.evidence_id, appId: null }, {
        at, recordId: `${o.kind}:${o.object_id}:${bypass ? 'bypass' : 'deleted'}`, operation: bypass ? 'Audit bypass set' : 'Object deleted',
        message: bypass ? `${quoted(o.display_name)} exempted from mailbox auditing (AuditBypassEnabled True, last changed)` : `${o.kind.replace(/^deleted/, '')} deleted (in directory deleted items, restorable 30 days): ${quoted(o.display_name)} (id ${o.object_id})`,
      }));
    }
    for (const change of listChanges(db, run.runId)) {
      const entity = change.entity.replace(/^object:/, '');
      if (change.change === 'modified' && change.entity.startsWith('object:')) continue; // other objects change with every sign-in; their history is in the logs
      const id = `${entity}:${change.objectId}`;
      const operation =
        change.change === 'disappeared' ? 'Object gone from collection'
        : change.change === 'modified' ? 'Object modified between collections'
        : gone.has(id) ? 'Object back in collection' : 'Object new in collection';
      if (change.change === 'disappeared') gone.add(id);
      const what = change.change === 'modified' ? `changed ${(change.fields ?? []).join(', ')}` : operation.toLowerCase().replace(/^object /, '');
      rows.push({
        at: utc(run.startedAt) ?? run.startedAt, source: 'object', recordId: `change:${run.runId}:${entity}:${change.objectId}`, operation, result: 'success',
        actor: null, actorAppId: null, ip: null, targetType: entity, targetId: change.objectId, targetName: change.displayName,
        message: `${entity} ${quoted(change.displayName)} (id ${change.objectId}) ${what} in the collection of ${run.startedAt}`,
        eventId: null, evidenceId: null, custodySeq: null,
      });
    }
  }
  return firstSeen(rows);
}

function firstSeen(rows: TimelineRowInput[]): TimelineRowInput[] {
  const seen = new Map<string, TimelineRowInput>();
  for (const r of rows) if (!seen.has(r.recordId)) seen.set(r.recordId, r);
  return [...seen.values()];
}

export function finishedRuns(db: Database): CollectionRun[] {
  return listRuns(db).filter((r) => r.state === 'done');
}

/** One row per finding, at its first event (or, for a finding resting on objects only, the collection that saw it). */
export function findingRows(report: DetectionReport): TimelineRowInput[] {
  return report.findings.flatMap((f) => {
    const at = utc(f.firstAt) ?? utc(report.collectedAt);
    if (!at) return [];
    return [{
      at, source: 'finding', recordId: f.key, operation: f.ruleId, result: f.severity, actor: null, actorAppId: null, ip: null,
      targetType: f.subject.type, targetId: f.subject.id, targetName: f.subject.name,
      message: `Finding (${f.severity}) first seen: ${f.title}: ${f.reason}`, eventId: null, evidenceId: f.events[0]?.evidenceId ?? f.objects[0]?.evidenceId ?? null, custodySeq: null,
    }];
  });
}

export function custodyRow(entry: CustodyEntry): TimelineRowInput {
  return {
    at: utc(entry.at) ?? entry.at, source: 'custody', recordId: String(entry.seq), operation: entry.action, result: 'success', actor: entry.actor,
    actorAppId: null, ip: null, targetType: null, targetId: null, targetName: null,
    message: `Custody ${entry.seq}: ${entry.action} by ${entry.actor} ${JSON.stringify(entry.details)}`, eventId: null, evidenceId: null, custodySeq: entry.seq,
  };
}

/** What the object and finding rows are built from: the finished runs and the newest event. A change rebuilds them. */
export function objectsKey(db: Database, runs: CollectionRun[] = finishedRuns(db)): string {
  const lastEvent = (db.prepare('SELECT coalesce(max(id), 0) FROM event').pluck().get() as number) ?? 0;
  return `${runs.map((r) => `${r.runId}@${r.finishedAt ?? ''}`).join(',')}|${lastEvent}`;
}

/** Which timeline rows each finding rests on: its events (any collection's copy), the objects it names, its own row. */
export function supportPairs(db: Database, report: DetectionReport): [findingKey: string, timelineId: number][] {
  const byEvent = db.prepare(
    `SELECT t.id FROM event e JOIN timeline t ON t.source IN (e.source, CASE e.source WHEN 'ual' THEN 'exchange' END) AND t.record_id = e.record_id WHERE e.id = ?`,
  ).pluck();
  const byObject = db.prepare(`SELECT id FROM timeline WHERE target_id = ? COLLATE NOCASE AND source = 'object'`).pluck();
  const own = db.prepare(`SELECT id FROM timeline WHERE source = 'finding' AND record_id = ?`).pluck();
  const pairs = new Map<string, [string, number]>();
  const add = (key: string, id: number) => pairs.set(`${key}\u0000${id}`, [key, id]);
  for (const f of report.findings) {
    for (const e of f.events) for (const id of byEvent.all(e.id) as number[]) add(f.key, id);
    for (const o of f.objects) for (const id of byObject.all(o.id) as number[]) add(f.key, id);
    for (const id of own.all(f.key) as number[]) add(f.key, id);
  }
  return [...pairs.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}

interface State {
  event_id: number;
  custody_seq: number;
  objects_key: string;
}

export function timelineState(db: Database): State {
  return db.prepare('SELECT event_id, custody_seq, objects_key FROM timeline_state WHERE id = 1').get() as State;
}

export interface RefreshResult {
  /** Rows added from events, custody, objects and findings; 0 when the index was up to date. */
  added: number;
  rebuiltObjects: boolean;
}

/**
 * Brings the timeline up to date with the case, in one transaction: events and custody entries after the last ones
 * indexed; object and finding rows (and every row's findings) again when a collection finished or events were added
 * since. `detectReport` lets a caller that has just run detection pass its report.
 */
export function refreshTimeline(db: Database, opts: { detectReport?: DetectionReport; clock?: () => Date } = {}): RefreshResult {
  return db.transaction((): RefreshResult => {
    const state = timelineState(db);
    const runs = finishedRuns(db);
    const key = objectsKey(db, runs);
    const rebuiltObjects = key !== state.objects_key;
    if (rebuiltObjects) {
      // The rows these replace leave the full-text index and the hourly counts first.
      db.prepare(`DELETE FROM timeline_fts WHERE rowid IN (SELECT id FROM timeline WHERE source IN ('object', 'finding'))`).run();
      db.prepare(`UPDATE timeline_hour SET n = n - (SELECT count(*) FROM timeline t WHERE t.source = timeline_hour.source AND t.result = timeline_hour.result
        AND substr(t.at, 1, 13) = timeline_hour.hour) WHERE source IN ('object', 'finding')`).run();
      db.prepare(`DELETE FROM timeline WHERE source IN ('object', 'finding')`).run();
    }
    // Every row added from here on gets an id above the ones kept (INTEGER PRIMARY KEY takes max + 1).
    const firstNew = db.prepare('SELECT coalesce(max(id), 0) + 1 FROM timeline').pluck().get() as number;
    let added = 0;
    const lastEvent = db.prepare('SELECT coalesce(max(id), 0) FROM event').pluck().get() as number;
    if (lastEvent > state.event_id) added += indexEvents(db, state.event_id);

    const insert = db.prepare(
      `INSERT OR IGNORE INTO timeline (${ROW_COLUMNS}) VALUES (@at, @source, @recordId, @operation, @result, @actor, @actorAppId, @ip, @targetType, @targetId,
        @targetName, @message, @eventId, @evidenceId, @custodySeq)`,
    );
    const custody = (db.prepare('SELECT max(seq) FROM custody').pluck().get() as number | null) ?? 0;
    if (custody > state.custody_seq) {
      for (const entry of listCustody(db)) if (entry.seq > state.custody_seq) added += insert.run(custodyRow(entry)).changes;
    }

    if (rebuiltObjects) {
      for (const row of objectRows(db, runs)) added += insert.run(row).changes;
      const report = opts.detectReport ?? detect(db);
      for (const row of findingRows(report)) added += insert.run(row).changes;
      db.prepare('UPDATE timeline SET findings = 0 WHERE findings > 0').run();
      db.prepare('DELETE FROM timeline_support').run();
      const addSupport = db.prepare('INSERT INTO timeline_support (finding_key, timeline_id) VALUES (?, ?)');
      for (const [findingKey, id] of supportPairs(db, report)) addSupport.run(findingKey, id);
      db.prepare('UPDATE timeline SET findings = (SELECT count(*) FROM timeline_support s WHERE s.timeline_id = timeline.id) WHERE id IN (SELECT timeline_id FROM timeline_support)').run();
    }

    // Every row added above joins the full-text index and the counts.
    db.prepare(`INSERT INTO timeline_fts (rowid, text) SELECT id, ${FTS_TEXT_SQL} FROM timeline WHERE id >= ?`).run(firstNew);
    db.prepare(
      `INSERT INTO timeline_hour (hour, source, result, n) SELECT substr(at, 1, 13), source, result, count(*) FROM timeline WHERE id >= ? GROUP BY 1, 2, 3
       ON CONFLICT (hour, source, result) DO UPDATE SET n = n + excluded.n`,
    ).run(firstNew);
    db.prepare('DELETE FROM timeline_hour WHERE n = 0').run();
    db.prepare('UPDATE timeline_state SET event_id = max(event_id, ?), custody_seq = max(custody_seq, ?), objects_key = ?, built_at = ? WHERE id = 1')
      .run(lastEvent, custody, key, (opts.clock ?? (() => new Date()))().toISOString());
    return { added, rebuiltObjects };
  }).immediate();
}

/** Empties the index and builds it again from the case (after damage, or to reclaim the space of a rebuilt one). */
export function rebuildTimeline(db: Database, opts: { clock?: () => Date } = {}): RefreshResult {
  db.transaction(() => {
    db.exec(`DELETE FROM timeline_support; DELETE FROM timeline_hour; DELETE FROM timeline;
      INSERT INTO timeline_fts (timeline_fts) VALUES ('delete-all');
      UPDATE timeline_state SET event_id = 0, custody_seq = 0, objects_key = '', built_at = NULL WHERE id = 1;`);
  }).immediate();
  return refreshTimeline(db, opts);
}
