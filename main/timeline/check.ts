// Main process, workers and CLI (verify --deep, export): checks the timeline index against what it is built from — every row, as far as the index says it has read.
import type { Database } from 'better-sqlite3';
import { listCustody } from '../../db/queries/custody';
import type { Report } from '../case/trust';
import { detect } from '../detect/engine';
import { custodyRow, EVENT_ROW_SQL, findingRows, finishedRuns, objectRows, objectsKey, supportPairs, timelineState, type TimelineRowInput } from './model';

/** Problems named per check before the rest is summed up: one altered index usually means many rows. */
const MAX_NAMED = 20;

const FIELDS: readonly (readonly [keyof TimelineRowInput, string])[] = [
  ['at', 'at'], ['source', 'source'], ['recordId', 'record_id'], ['operation', 'operation'], ['result', 'result'], ['actor', 'actor'],
  ['actorAppId', 'actor_app_id'], ['ip', 'ip'], ['targetType', 'target_type'], ['targetId', 'target_id'], ['targetName', 'target_name'],
  ['message', 'message'], ['eventId', 'event_id'], ['evidenceId', 'evidence_id'], ['custodySeq', 'custody_seq'],
];

const SELECT_INPUT = FIELDS.map(([name, column]) => `t.${column} AS ${name}`).join(', ');

const AFTER = ': the timeline index was changed outside Peregrine. It holds nothing of its own: "peregrine timeline --rebuild <case>" builds it again from the case.';

/** Rows of one source kind compared with their expected values, by record id. Returns the rows compared. */
function compareRows(db: Database, source: readonly string[], expected: TimelineRowInput[], report: Report, upToSeq?: number): number {
  const stored = db
    .prepare(`SELECT t.id, ${SELECT_INPUT} FROM timeline t WHERE t.source IN (${source.map(() => '?').join(', ')})${upToSeq === undefined ? '' : ' AND t.custody_seq <= ?'}`)
    .all(...source, ...(upToSeq === undefined ? [] : [upToSeq])) as (TimelineRowInput & { id: number })[];
  const byKey = new Map(stored.map((r) => [`${r.source}\u0000${r.recordId}`, r]));
  let named = 0;
  const problem = (where: string, message: string) => {
    if (named++ < MAX_NAMED) report(where, message);
  };
  for (const e of expected) {
    const k = `${e.source}\u0000${e.recordId}`;
    const s = byKey.get(k);
    if (!s) {
      problem(`timeline (${e.source} ${e.recordId})`, `The row is missing${AFTER}`);
      continue;
    }
    byKey.delete(k);
    const differ = FIELDS.filter(([name]) => (e[name] ?? null) !== (s[name] ?? null)).map(([, column]) => column);
    if (differ.length) problem(`timeline row ${s.id} (${s.source} ${s.recordId})`, `It differs from what the case gives in ${differ.join(', ')}${AFTER}`);
  }
  for (const s of byKey.values()) problem(`timeline row ${s.id} (${s.source} ${s.recordId})`, `Nothing in the case gives this row${AFTER}`);
  if (named > MAX_NAMED) report('timeline', `${named - MAX_NAMED} more rows of the timeline index differ from the case.`);
  return expected.length;
}

/**
 * Every timeline row against its source: a log row against the event it names (same values, the first event holding
 * the record), every event the index has read present; custody rows against custody; object and finding rows, and
 * which rows support which finding, built again and compared (when the index is current for them; the export brings it
 * up to date before checking); the hourly counts against the rows; the full-text index holds one entry per row.
 * Returns the rows checked.
 */
export function checkTimeline(db: Database, report: Report): number {
  const state = timelineState(db);
  const logSource = EVENT_ROW_SQL.source;
  let named = 0;
  const problem = (where: string, message: string) => {
    if (named++ < MAX_NAMED) report(where, message);
  };

  // Log rows: the event they name, with the same values.
  const differing = db
    .prepare(
      `SELECT t.id, t.source, t.record_id, e.id AS found, ${logSource} AS expectedSource, e.record_id AS eRecordId, e.at AS eAt, e.raw_operation AS eOperation,
              e.result AS eResult, e.actor_user AS eActor, e.actor_app_id AS eActorAppId, e.actor_ip AS eIp, e.target_type AS eTargetType, e.target_id AS eTargetId,
              e.target_name AS eTargetName, ${EVENT_ROW_SQL.message} AS eMessage, e.evidence_id AS eEvidenceId,
              t.at, t.operation, t.result, t.actor, t.actor_app_id, t.ip, t.target_type, t.target_id, t.target_name, t.message, t.evidence_id, t.custody_seq
       FROM timeline t LEFT JOIN event e ON e.id = t.event_id ${EVENT_ROW_SQL.ualJoin}
       WHERE t.event_id IS NOT NULL AND (e.id IS NULL OR t.source IS NOT ${logSource} OR t.record_id IS NOT e.record_id OR t.at IS NOT e.at
         OR t.operation IS NOT e.raw_operation OR t.result IS NOT e.result OR t.actor IS NOT e.actor_user OR t.actor_app_id IS NOT e.actor_app_id
         OR t.ip IS NOT e.actor_ip OR t.target_type IS NOT e.target_type OR t.target_id IS NOT e.target_id OR t.target_name IS NOT e.target_name
         OR t.message IS NOT ${EVENT_ROW_SQL.message} OR t.evidence_id IS NOT e.evidence_id OR t.custody_seq IS NOT NULL)`,
    )
    .iterate() as IterableIterator<Record<string, unknown>>;
  for (const r of differing) {
    const where = `timeline row ${String(r.id)} (${String(r.source)} ${String(r.record_id)})`;
    if (r.found === null) {
      problem(where, `It names event row ${String(r.id)}, which is not in the case${AFTER}`);
      continue;
    }
    const pairs: [string, unknown, unknown][] = [
      ['source', r.source, r.expectedSource], ['record_id', r.record_id, r.eRecordId], ['at', r.at, r.eAt], ['operation', r.operation, r.eOperation],
      ['result', r.result, r.eResult], ['actor', r.actor, r.eActor], ['actor_app_id', r.actor_app_id, r.eActorAppId], ['ip', r.ip, r.eIp],
      ['target_type', r.target_type, r.eTargetType], ['target_id', r.target_id, r.eTargetId], ['target_name', r.target_name, r.eTargetName],
      ['message', r.message, r.eMessage], ['evidence_id', r.evidence_id, r.eEvidenceId], ['custody_seq', r.custody_seq, null],
    ];
    problem(where, `It differs from the event it names in ${pairs.filter(([, a, b]) => a !== b).map(([f]) => f).join(', ')}${AFTER}`);
  }
  const orphans = db.prepare(`SELECT id, source, record_id FROM timeline WHERE event_id IS NULL AND source NOT IN ('object', 'finding', 'custody')`).all() as { id: number; source: string; record_id: string }[];
  for (const o of orphans) problem(`timeline row ${o.id} (${o.source} ${o.record_id})`, `It names no event${AFTER}`);

  // Every event read so far has its record's row, pointing at that event or an earlier copy of the record.
  const missing = db
    .prepare(
      `SELECT e.id, e.source, e.record_id FROM event e ${EVENT_ROW_SQL.ualJoin}
       WHERE e.id <= ? AND NOT EXISTS (SELECT 1 FROM timeline t WHERE t.source = ${logSource} AND t.record_id = e.record_id AND t.event_id <= e.id)`,
    )
    .iterate(state.event_id) as IterableIterator<{ id: number; source: string; record_id: string }>;
  for (const m of missing) problem(`event row ${m.id} (${m.source} ${m.record_id})`, `The timeline has no row for it${AFTER}`);
  if (named > MAX_NAMED) report('timeline', `${named - MAX_NAMED} more log rows of the timeline index differ from the case.`);
  let checked = db.prepare('SELECT count(*) FROM timeline WHERE event_id IS NOT NULL').pluck().get() as number;

  const custody = listCustody(db).filter((e) => e.seq <= state.custody_seq);
  checked += compareRows(db, ['custody'], custody.map(custodyRow), report, state.custody_seq);

  const runs = finishedRuns(db);
  if (state.objects_key === objectsKey(db, runs)) {
    const detection = detect(db);
    checked += compareRows(db, ['object', 'finding'], [...objectRows(db, runs), ...findingRows(detection)], report);
    const expected = new Set(supportPairs(db, detection).map(([k, id]) => `${k}\u0000${id}`));
    const stored = db.prepare('SELECT finding_key, timeline_id FROM timeline_support').all() as { finding_key: string; timeline_id: number }[];
    const storedSet = new Set(stored.map((s) => `${s.finding_key}\u0000${s.timeline_id}`));
    const wrong = [...expected].filter((k) => !storedSet.has(k)).length + stored.filter((s) => !expected.has(`${s.finding_key}\u0000${s.timeline_id}`)).length;
    const counts = db.prepare('SELECT count(*) FROM timeline t WHERE t.findings IS NOT (SELECT count(*) FROM timeline_support s WHERE s.timeline_id = t.id)').pluck().get() as number;
    if (wrong > 0 || counts > 0) report('timeline_support', `${wrong} links between findings and timeline rows and ${counts} rows' finding counts differ from the findings the case gives${AFTER}`);
  }

  const hours = db
    .prepare(
      `SELECT count(*) FROM (SELECT hour, source, result, n FROM timeline_hour
         EXCEPT SELECT substr(at, 1, 13), source, result, count(*) FROM timeline GROUP BY 1, 2, 3)`,
    )
    .pluck()
    .get() as number;
  const [rows, hourTotal, ftsRows] = [
    db.prepare('SELECT count(*) FROM timeline').pluck().get() as number,
    db.prepare('SELECT coalesce(sum(n), 0) FROM timeline_hour').pluck().get() as number,
    db.prepare('SELECT count(*) FROM timeline_fts_docsize').pluck().get() as number,
  ];
  if (hours > 0 || hourTotal !== rows) report('timeline_hour', `The hourly counts (${hourTotal} rows in all, ${hours} hours differing) do not match the ${rows} timeline rows${AFTER}`);
  if (ftsRows !== rows) report('timeline_fts', `The full-text index holds ${ftsRows} rows, the timeline ${rows}${AFTER}`);
  return checked;
}
