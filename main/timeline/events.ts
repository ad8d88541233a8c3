// Main process and workers: the case's timeline events (Timesketch shape) from the latest completed run and custody.
import type { Database } from 'better-sqlite3';
import { listCustody, type CustodyEntry } from '../../db/queries/custody';
import { listApplications, listServicePrincipals, type KeyCredentialMeta, type PasswordCredentialMeta } from '../../db/queries/directory';
import { listEvidence } from '../../db/queries/evidence';
import { latestCompletedRun } from '../../db/queries/runs';

/** One Timesketch event: `message`, `datetime`, `timestamp_desc`, then our own fields (same keys on every row). */
export interface TimelineEvent {
  message: string;
  /** ISO 8601, UTC, millisecond precision. */
  datetime: string;
  timestamp_desc: string;
  /** The evidence source the event was read from (e.g. 'graph.applications'), or 'custody'. */
  source: string;
  event_type: string;
  object_id: string | null;
  app_id: string | null;
  display_name: string | null;
  evidence_id: number | null;
  evidence_sha256: string | null;
  custody_seq: number | null;
  custody_hash: string | null;
}

/** Column order for the CSV (the JSONL keys are in the same order). */
export const TIMELINE_COLUMNS = [
  'datetime',
  'timestamp_desc',
  'message',
  'source',
  'event_type',
  'object_id',
  'app_id',
  'display_name',
  'evidence_id',
  'evidence_sha256',
  'custody_seq',
  'custody_hash',
] as const satisfies readonly (keyof TimelineEvent)[];

/** UTC ISO string, or null for a value that is not a date (such an event is left out: it has no place on a timeline). */
export function utc(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const quoted = (name: string | null): string => (name ? `"${name}"` : '(no name)');

interface Owner {
  kind: 'application' | 'service_principal';
  objectId: string;
  appId: string;
  displayName: string | null;
  evidenceId: number;
  evidenceSha256: string;
}

function credentialEvents(owner: Owner, source: string, passwords: PasswordCredentialMeta[], keys: KeyCredentialMeta[]): TimelineEvent[] {
  const what = owner.kind === 'application' ? 'application' : 'service principal';
  // Our fields after Timesketch's three, in TIMELINE_COLUMNS order on every row.
  const fields = (event_type: string) => ({
    source,
    event_type,
    object_id: owner.objectId,
    app_id: owner.appId,
    display_name: owner.displayName,
    evidence_id: owner.evidenceId,
    evidence_sha256: owner.evidenceSha256,
    custody_seq: null,
    custody_hash: null,
  });
  const events: TimelineEvent[] = [];
  for (const c of passwords) {
    const datetime = utc(c.startDateTime);
    if (!datetime) continue;
    const parts = [`keyId ${c.keyId}`, c.displayName ? `named "${c.displayName}"` : null, c.hint ? `hint ${c.hint}` : null, c.endDateTime ? `valid until ${c.endDateTime}` : null];
    events.push({
      message: `Client secret added to ${what} ${quoted(owner.displayName)} (appId ${owner.appId}): ${parts.filter(Boolean).join(', ')}`,
      datetime,
      // Graph records when a credential becomes valid, which is when it was added unless the caller chose another start.
      timestamp_desc: 'Credential Valid From',
      ...fields(`${owner.kind}.password_credential.added`),
    });
  }
  for (const c of keys) {
    const datetime = utc(c.startDateTime);
    if (!datetime) continue;
    const parts = [`keyId ${c.keyId}`, c.displayName ? `named "${c.displayName}"` : null, c.type ? `type ${c.type}` : null, c.usage ? `usage ${c.usage}` : null, c.endDateTime ? `valid until ${c.endDateTime}` : null];
    events.push({
      message: `Certificate added to ${what} ${quoted(owner.displayName)} (appId ${owner.appId}): ${parts.filter(Boolean).join(', ')}`,
      datetime,
      timestamp_desc: 'Credential Valid From',
      ...fields(`${owner.kind}.key_credential.added`),
    });
  }
  return events;
}

function custodyEvent(entry: CustodyEntry): TimelineEvent {
  return {
    message: `Custody ${entry.seq}: ${entry.action} by ${entry.actor} ${JSON.stringify(entry.details)}`,
    datetime: utc(entry.at) ?? entry.at,
    timestamp_desc: 'Custody Entry',
    source: 'custody',
    event_type: `custody.${entry.action}`,
    object_id: null,
    app_id: null,
    display_name: null,
    evidence_id: null,
    evidence_sha256: null,
    custody_seq: entry.seq,
    custody_hash: entry.hash,
  };
}

/**
 * The timeline, oldest first: application registrations, credentials added, service principals
 * created (from the latest completed run's snapshots) and every custody entry given.
 * Ties break on event type, object and custody seq so the same case always exports the same bytes.
 */
export function buildTimeline(db: Database, custody: CustodyEntry[] = listCustody(db)): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const run = latestCompletedRun(db);
  if (run) {
    const sourceOf = new Map(listEvidence(db, run.runId).map((e) => [e.id, e.source]));
    for (const app of listApplications(db, run.runId)) {
      const source = sourceOf.get(app.evidenceId) ?? 'unknown';
      const owner: Owner = { kind: 'application', objectId: app.objectId, appId: app.appId, displayName: app.displayName, evidenceId: app.evidenceId, evidenceSha256: app.evidenceSha256 };
      const created = utc(app.createdAt);
      if (created) {
        events.push({
          message: `Application registered: ${quoted(app.displayName)} (appId ${app.appId}, audience ${app.signInAudience ?? 'unknown'})`,
          datetime: created,
          timestamp_desc: 'Application Created',
          source,
          event_type: 'application.created',
          object_id: app.objectId,
          app_id: app.appId,
          display_name: app.displayName,
          evidence_id: app.evidenceId,
          evidence_sha256: app.evidenceSha256,
          custody_seq: null,
          custody_hash: null,
        });
      }
      events.push(...credentialEvents(owner, source, app.passwordCredentials, app.keyCredentials));
    }
    for (const sp of listServicePrincipals(db, run.runId)) {
      const source = sourceOf.get(sp.evidenceId) ?? 'unknown';
      const owner: Owner = { kind: 'service_principal', objectId: sp.objectId, appId: sp.appId, displayName: sp.displayName, evidenceId: sp.evidenceId, evidenceSha256: sp.evidenceSha256 };
      const created = utc(sp.createdAt);
      if (created) {
        events.push({
          message: `Service principal created: ${quoted(sp.displayName)} (appId ${sp.appId}, owner tenant ${sp.appOwnerOrganizationId ?? 'unknown'})`,
          datetime: created,
          timestamp_desc: 'Service Principal Created',
          source,
          event_type: 'service_principal.created',
          object_id: sp.objectId,
          app_id: sp.appId,
          display_name: sp.displayName,
          evidence_id: sp.evidenceId,
          evidence_sha256: sp.evidenceSha256,
          custody_seq: null,
          custody_hash: null,
        });
      }
      events.push(...credentialEvents(owner, source, sp.passwordCredentials, sp.keyCredentials));
    }
  }
  events.push(...custody.map(custodyEvent));
  const key = (e: TimelineEvent) => [e.datetime, e.event_type, e.object_id ?? '', String(e.custody_seq ?? 0).padStart(12, '0'), e.message];
  return events.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i += 1) {
      const x = ka[i]!;
      const y = kb[i]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
}

/** Timesketch JSONL: one event per line, LF-terminated. */
export function timelineJsonl(events: TimelineEvent[]): string {
  return events.map((e) => `${JSON.stringify(e)}\n`).join('');
}

/**
 * One CSV cell (RFC 4180). A text cell starting with = + - @ (or tab/CR) gets a leading apostrophe so
 * a spreadsheet shows it as text instead of running it as a formula: attacker-chosen app names end
 * up in these cells.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180: header row, CRLF line ends. */
export function timelineCsv(events: TimelineEvent[]): string {
  const lines = [TIMELINE_COLUMNS.join(',')];
  for (const e of events) lines.push(TIMELINE_COLUMNS.map((c) => csvCell(e[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
