// Any process with a case file open: the Evidence screens' reads — one kind of collected object at a time, a page of
// rows sorted and filtered in SQL (never a whole table), one object's record, and its history across the collections.
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import type { EvidenceColumnType, ObjectKindId } from '../../preload/evidenceKinds';

interface ColumnDef {
  id: string;
  type: EvidenceColumnType;
  /** An SQL expression over the row `o` (run_id, object_id, evidence_id, display_name, principal_id, resource_id, raw). */
  sql: string;
}

interface KindDef {
  /** The collection source whose evidence pages hold this kind: a run that has none did not read it. */
  source: string;
  /** The rows of this kind, with the columns every kind has. */
  from: string;
  columns: ColumnDef[];
  /** A narrowing the screen offers as a checkbox (e.g. mailboxes that forward). */
  toggle?: { id: string; sql: string };
  /**
   * The name identifies the object for a person (a connector, a rule, an app), so a new object under an old name is
   * the same thing re-created; false where names repeat (grants are named by their scopes).
   */
  nameIdentifies: boolean;
}

const j = (path: string, type: EvidenceColumnType = 'text') => ({ type, sql: `json_extract(o.raw, '$.${path}')` });
const list = (path: string) => ({ type: 'list' as const, sql: `(SELECT group_concat(CAST(v.value AS TEXT), ', ') FROM json_each(o.raw, '$.${path}') v)` });
const nonEmpty = (path: string) => `COALESCE(json_extract(o.raw, '$.${path}'), '') NOT IN ('', '[]')`;
const col = (id: string, def: { type: EvidenceColumnType; sql: string }): ColumnDef => ({ id, ...def });
const name: ColumnDef = { id: 'name', type: 'text', sql: 'o.display_name' };

const objects = (kind: string) => `(SELECT run_id, object_id, evidence_id, display_name, principal_id, resource_id, raw FROM tenant_object WHERE kind = '${kind}')`;
const spName = (id: string) => `(SELECT s.display_name FROM service_principal s WHERE s.run_id = o.run_id AND s.object_id = ${id})`;
const userName = (id: string) => `(SELECT u.display_name FROM tenant_object u WHERE u.run_id = o.run_id AND u.kind = 'user' AND u.object_id = ${id})`;
/** A directory role's name by template id: the collected role, else the well-known names the caller passes as @roles. */
const roleName = (template: string) =>
  `COALESCE((SELECT d.display_name FROM tenant_object d WHERE d.run_id = o.run_id AND d.kind = 'directoryRole' AND lower(d.principal_id) = lower(${template})),
            (SELECT r.value FROM json_each(@roles) r WHERE r.key = lower(${template})), ${template})`;
const registration = (path: string) =>
  `(SELECT json_extract(g.raw, '$.${path}') FROM tenant_object g WHERE g.run_id = o.run_id AND g.kind = 'userRegistrationDetails' AND g.object_id = o.object_id)`;
const EXO_RULES_NAMESPACE = 'Microsoft.Exchange.MessagingPolicies.Rules.Tasks.';

export const KINDS: Record<ObjectKindId, KindDef> = {
  application: {
    source: 'graph.applications',
    from: '(SELECT run_id, object_id, evidence_id, display_name, app_id AS principal_id, NULL AS resource_id, raw FROM application)',
    columns: [name, col('appId', j('appId', 'id')), col('audience', j('signInAudience')), col('created', j('createdDateTime', 'time'))],
    nameIdentifies: true,
  },
  servicePrincipal: {
    source: 'graph.servicePrincipals',
    from: '(SELECT run_id, object_id, evidence_id, display_name, app_id AS principal_id, NULL AS resource_id, raw FROM service_principal)',
    columns: [
      name,
      col('appId', j('appId', 'id')),
      col('type', j('servicePrincipalType')),
      col('enabled', j('accountEnabled', 'bool')),
      col('publisher', { type: 'text', sql: `COALESCE(json_extract(o.raw, '$.verifiedPublisher.displayName'), json_extract(o.raw, '$.publisherName'))` }),
      col('owner', j('appOwnerOrganizationId', 'id')),
      col('credentials', { type: 'number', sql: `COALESCE(json_array_length(o.raw, '$.passwordCredentials'), 0) + COALESCE(json_array_length(o.raw, '$.keyCredentials'), 0)` }),
      col('created', j('createdDateTime', 'time')),
    ],
    nameIdentifies: true,
  },
  user: {
    source: 'graph.users',
    from: objects('user'),
    columns: [
      col('upn', { type: 'text', sql: 'o.display_name' }),
      col('roles', {
        type: 'list',
        sql: `(SELECT group_concat(${roleName('a.resource_id')}, ', ') FROM tenant_object a WHERE a.run_id = o.run_id AND a.kind = 'roleAssignment' AND lower(a.principal_id) = lower(o.object_id))`,
      }),
      col('mfa', { type: 'bool', sql: registration('isMfaRegistered') }),
      col('methods', { type: 'list', sql: `(SELECT group_concat(m.value, ', ') FROM tenant_object g, json_each(g.raw, '$.methodsRegistered') m WHERE g.run_id = o.run_id AND g.kind = 'userRegistrationDetails' AND g.object_id = o.object_id)` }),
      col('enabled', j('accountEnabled', 'bool')),
      col('userType', j('userType')),
      col('displayName', j('displayName')),
      col('created', j('createdDateTime', 'time')),
    ],
    toggle: { id: 'privileged', sql: `EXISTS (SELECT 1 FROM tenant_object a WHERE a.run_id = o.run_id AND a.kind = 'roleAssignment' AND lower(a.principal_id) = lower(o.object_id))` },
    nameIdentifies: true,
  },
  userRegistrationDetails: {
    source: 'graph.userRegistrationDetails',
    from: objects('userRegistrationDetails'),
    columns: [name, col('mfa', j('isMfaRegistered', 'bool')), col('methods', list('methodsRegistered'))],
    nameIdentifies: true,
  },
  directoryRole: {
    source: 'graph.rolesAndPolicies',
    from: objects('directoryRole'),
    columns: [
      name,
      col('templateId', j('roleTemplateId', 'id')),
      col('members', { type: 'number', sql: `(SELECT count(*) FROM tenant_object a WHERE a.run_id = o.run_id AND a.kind = 'roleAssignment' AND lower(a.resource_id) = lower(o.principal_id))` }),
      col('description', j('description')),
    ],
    nameIdentifies: true,
  },
  roleAssignment: {
    source: 'graph.roleAssignments',
    from: objects('roleAssignment'),
    columns: [
      col('role', { type: 'text', sql: roleName('o.resource_id') }),
      col('principal', { type: 'text', sql: `COALESCE(${userName('o.principal_id')}, ${spName('o.principal_id')}, o.principal_id)` }),
      col('principalId', { type: 'id', sql: 'o.principal_id' }),
      col('scope', j('directoryScopeId')),
    ],
    nameIdentifies: false,
  },
  appRoleAssignment: {
    source: 'graph.appRoleAssignedTo',
    from: objects('appRoleAssignment'),
    columns: [
      col('principal', { type: 'text', sql: 'o.display_name' }),
      col('principalType', j('principalType')),
      col('resource', j('resourceDisplayName')),
      col('permission', {
        type: 'text',
        sql: `COALESCE((SELECT json_extract(r.value, '$.value') FROM service_principal s, json_each(s.app_roles) r
                        WHERE s.run_id = o.run_id AND s.object_id = o.resource_id AND json_extract(r.value, '$.id') = json_extract(o.raw, '$.appRoleId')),
                       json_extract(o.raw, '$.appRoleId'))`,
      }),
      col('created', j('createdDateTime', 'time')),
    ],
    nameIdentifies: false,
  },
  oauth2PermissionGrant: {
    source: 'graph.oauth2PermissionGrants',
    from: objects('oauth2PermissionGrant'),
    columns: [
      col('client', { type: 'text', sql: `COALESCE(${spName('o.principal_id')}, o.principal_id)` }),
      col('resource', { type: 'text', sql: `COALESCE(${spName('o.resource_id')}, o.resource_id)` }),
      col('scope', { type: 'text', sql: `trim(json_extract(o.raw, '$.scope'))` }),
      col('consentType', j('consentType')),
      col('user', { type: 'text', sql: `CASE WHEN json_extract(o.raw, '$.principalId') IS NULL THEN NULL ELSE COALESCE(${userName(`json_extract(o.raw, '$.principalId')`)}, json_extract(o.raw, '$.principalId')) END` }),
    ],
    toggle: { id: 'allUsers', sql: `json_extract(o.raw, '$.consentType') = 'AllPrincipals'` },
    nameIdentifies: false,
  },
  conditionalAccessPolicy: {
    source: 'graph.rolesAndPolicies',
    from: objects('conditionalAccessPolicy'),
    columns: [name, col('state', j('state')), col('created', j('createdDateTime', 'time')), col('modified', j('modifiedDateTime', 'time'))],
    nameIdentifies: true,
  },
  securityDefaults: {
    source: 'graph.rolesAndPolicies',
    from: objects('securityDefaults'),
    columns: [name, col('enabled', j('isEnabled', 'bool')), col('description', j('description'))],
    nameIdentifies: true,
  },
  inboundConnector: {
    source: 'exo.inboundConnectors',
    from: objects('inboundConnector'),
    columns: [
      name,
      col('enabled', j('Enabled', 'bool')),
      col('connectorType', j('ConnectorType')),
      col('senderIps', list('SenderIPAddresses')),
      col('senderDomains', list('SenderDomains')),
      col('restrictToIps', j('RestrictDomainsToIPAddresses', 'bool')),
      col('created', j('WhenCreatedUTC', 'time')),
      col('changed', j('WhenChangedUTC', 'time')),
    ],
    nameIdentifies: true,
  },
  outboundConnector: {
    source: 'exo.outboundConnectors',
    from: objects('outboundConnector'),
    columns: [
      name,
      col('enabled', j('Enabled', 'bool')),
      col('connectorType', j('ConnectorType')),
      col('recipientDomains', list('RecipientDomains')),
      col('smartHosts', list('SmartHosts')),
      col('created', j('WhenCreatedUTC', 'time')),
      col('changed', j('WhenChangedUTC', 'time')),
    ],
    nameIdentifies: true,
  },
  transportRule: {
    source: 'exo.transportRules',
    from: objects('transportRule'),
    columns: [
      name,
      col('state', j('State')),
      col('mode', j('Mode')),
      col('priority', j('Priority', 'number')),
      col('actions', { type: 'list', sql: `(SELECT group_concat(replace(v.value, '${EXO_RULES_NAMESPACE}', ''), ', ') FROM json_each(o.raw, '$.Actions') v)` }),
      col('changed', j('WhenChanged', 'time')),
    ],
    nameIdentifies: true,
  },
  mailbox: {
    source: 'exo.mailboxes',
    from: objects('mailbox'),
    columns: [
      col('upn', { type: 'text', sql: 'o.display_name' }),
      col('address', j('PrimarySmtpAddress')),
      col('type', j('RecipientTypeDetails')),
      col('forwardingSmtp', j('ForwardingSmtpAddress')),
      col('forwardingAddress', j('ForwardingAddress')),
      col('keepCopy', j('DeliverToMailboxAndForward', 'bool')),
      col('created', j('WhenCreatedUTC', 'time')),
    ],
    toggle: { id: 'forwarding', sql: `(${nonEmpty('ForwardingSmtpAddress')} OR ${nonEmpty('ForwardingAddress')})` },
    nameIdentifies: true,
  },
  inboxRule: {
    source: 'exo.inboxRules',
    from: objects('inboxRule'),
    columns: [
      col('mailbox', { type: 'text', sql: 'o.principal_id' }),
      name,
      col('enabled', j('Enabled', 'bool')),
      col('forwardTo', list('ForwardTo')),
      col('redirectTo', list('RedirectTo')),
      col('forwardAsAttachmentTo', list('ForwardAsAttachmentTo')),
      col('moveToFolder', j('MoveToFolder')),
      col('deleteMessage', j('DeleteMessage', 'bool')),
    ],
    toggle: { id: 'forwarding', sql: `(${nonEmpty('ForwardTo')} OR ${nonEmpty('RedirectTo')} OR ${nonEmpty('ForwardAsAttachmentTo')})` },
    nameIdentifies: false,
  },
};

export interface KindColumns {
  columns: { id: string; type: EvidenceColumnType }[];
  toggle: string | null;
}

export function kindColumns(kind: ObjectKindId): KindColumns {
  const def = KINDS[kind];
  return { columns: def.columns.map(({ id, type }) => ({ id, type })), toggle: def.toggle?.id ?? null };
}

export interface KindRun {
  runId: string;
  collectedAt: string;
}

/** Clean runs that read this kind's source, oldest first: the collections an object's history is told across. */
export function runsReading(db: Database, kind: ObjectKindId): KindRun[] {
  return db
    .prepare(
      `SELECT r.run_id AS runId, COALESCE(r.finished_at, r.started_at) AS collectedAt FROM collection_run r
       WHERE r.state = 'done' AND EXISTS (SELECT 1 FROM evidence e WHERE e.run_id = r.run_id AND e.source = ?)
       ORDER BY r.started_at, r.rowid`,
    )
    .all(KINDS[kind].source) as KindRun[];
}

/** The newest clean run that read this kind, or null: the collection its screen lists. */
export function newestRunReading(db: Database, kind: ObjectKindId): KindRun | null {
  return runsReading(db, kind).at(-1) ?? null;
}

export type CellValue = string | number | null;

export interface BrowseRow {
  objectId: string;
  name: string | null;
  values: Record<string, CellValue>;
}

export interface BrowseQuery {
  runId: string;
  offset: number;
  limit: number;
  /** A column id of the kind, or 'findings' (objects the findings name, most severe first). */
  sort: string;
  dir: 'asc' | 'desc';
  filter: string;
  toggle: boolean;
  /** Lower-cased object id → rank (higher: named by more severe findings); only these rows when flaggedOnly. */
  flagRank: Record<string, number>;
  flaggedOnly: boolean;
  /** Well-known directory role names by lower-cased template id, for roles the collection did not list. */
  roleNames: Record<string, string>;
}

export class UnknownColumnError extends Error {}

/** One page of a kind's rows in one run, sorted and filtered in SQL; `total` counts every row that passes the filter. */
export function browseObjects(db: Database, kind: ObjectKindId, q: BrowseQuery): { total: number; rows: BrowseRow[] } {
  const def = KINDS[kind];
  const rank = `COALESCE((SELECT f.value FROM json_each(@flagRank) f WHERE f.key = lower(o.object_id)), 0)`;
  const sortColumn = q.sort === 'findings' ? { sql: rank, type: 'number' } : def.columns.find((c) => c.id === q.sort);
  if (!sortColumn) throw new UnknownColumnError(`"${q.sort}" is not a column of ${kind}: sort by one of findings, ${def.columns.map((c) => c.id).join(', ')}.`);
  const where = ['o.run_id = @runId'];
  if (q.filter.trim()) {
    // Everything the row shows and its whole record: a filter finds a value in any field, as the raw JSON holds it.
    const hay = ['o.object_id', "COALESCE(o.display_name, '')", 'o.raw', ...def.columns.map((c) => `COALESCE(CAST(${c.sql} AS TEXT), '')`)].join(` || char(10) || `);
    where.push(`instr(lower(${hay}), @needle) > 0`);
  }
  if (q.toggle && def.toggle) where.push(def.toggle.sql);
  if (q.flaggedOnly) where.push(`${rank} > 0`);
  const params = { runId: q.runId, needle: q.filter.trim().toLowerCase(), flagRank: JSON.stringify(q.flagRank), roles: JSON.stringify(q.roleNames) };
  const body = `FROM ${def.from} o WHERE ${where.join(' AND ')}`;
  const used = (sql: string) => Object.fromEntries(Object.entries(params).filter(([k]) => sql.includes(`@${k}`)));
  const countSql = `SELECT count(*) AS n ${body}`;
  const total = (db.prepare(countSql).get(used(countSql)) as { n: number }).n;
  const dir = q.dir === 'asc' ? 'ASC' : 'DESC';
  const selectSql = `SELECT o.object_id AS objectId, o.display_name AS name, ${def.columns.map((c, i) => `${c.sql} AS c${i}`).join(', ')} ${body}
     ORDER BY (${sortColumn.sql}) IS NULL, ${sortColumn.type === 'text' || sortColumn.type === 'list' || sortColumn.type === 'id' ? `lower(${sortColumn.sql})` : `(${sortColumn.sql})`} ${dir},
              o.display_name COLLATE NOCASE, o.object_id
     LIMIT @limit OFFSET @offset`;
  const rows = db.prepare(selectSql).all({ ...used(selectSql), limit: q.limit, offset: q.offset }) as Record<string, CellValue>[];
  return {
    total,
    rows: rows.map((r) => ({
      objectId: String(r.objectId),
      name: r.name === null ? null : String(r.name),
      values: Object.fromEntries(def.columns.map((c, i) => [c.id, r[`c${i}`] ?? null])),
    })),
  };
}

/** How many objects of each kind the newest run that read it holds. */
export function kindCounts(db: Database, kinds: readonly ObjectKindId[]): Record<string, { count: number; runId: string | null; collectedAt: string | null }> {
  return Object.fromEntries(
    kinds.map((kind) => {
      const run = newestRunReading(db, kind);
      const count = run ? (db.prepare(`SELECT count(*) AS n FROM ${KINDS[kind].from} o WHERE o.run_id = ?`).get(run.runId) as { n: number }).n : 0;
      return [kind, { count, runId: run?.runId ?? null, collectedAt: run?.collectedAt ?? null }];
    }),
  );
}

interface StoredObject {
  run_id: string;
  object_id: string;
  display_name: string | null;
  raw: string;
  evidence_id: number;
  sha256: string;
  source: string;
  url: string;
  collected_at: string;
}

export interface ObjectRecord {
  runId: string;
  objectId: string;
  name: string | null;
  /** The record as stored (secrets left out at collection), JSON text. */
  raw: string;
  evidence: { id: number; sha256: string; source: string; url: string; collectedAt: string };
}

const toRecord = (r: StoredObject): ObjectRecord => ({
  runId: r.run_id,
  objectId: r.object_id,
  name: r.display_name,
  raw: r.raw,
  evidence: { id: r.evidence_id, sha256: r.sha256, source: r.source, url: r.url, collectedAt: r.collected_at },
});

const storedSelect = (kind: ObjectKindId) =>
  `SELECT o.run_id, o.object_id, o.display_name, o.raw, o.evidence_id, e.sha256, e.source, e.url, e.collected_at
   FROM ${KINDS[kind].from} o JOIN evidence e ON e.id = o.evidence_id`;

/** The object as one run holds it, or (no run given) as the newest clean run that has it. */
export function objectRecord(db: Database, kind: ObjectKindId, objectId: string, runId?: string): ObjectRecord | null {
  const row = runId
    ? (db.prepare(`${storedSelect(kind)} WHERE o.run_id = ? AND o.object_id = ?`).get(runId, objectId) as StoredObject | undefined)
    : (db
        .prepare(`${storedSelect(kind)} JOIN collection_run r ON r.run_id = o.run_id WHERE r.state = 'done' AND o.object_id = ? ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1`)
        .get(objectId) as StoredObject | undefined);
  return row ? toRecord(row) : null;
}

export type HistoryEvent = 'first-seen' | 'created' | 'changed' | 'unchanged' | 'removed' | 're-created' | 'absent';

export interface HistoryEntry {
  runId: string;
  collectedAt: string;
  event: HistoryEvent;
  /** The id the object had in that collection (a re-created object often has a new one); null when absent. */
  objectId: string | null;
  name: string | null;
  /** For 'changed': the top-level fields whose values differ from the collection before. */
  fields: string[] | null;
  evidenceId: number | null;
  evidenceSha256: string | null;
}

function changedFields(before: string, after: string): string[] {
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonicalize(a[k] ?? null) !== canonicalize(b[k] ?? null)).sort();
}

/**
 * The object across every clean collection that read its kind, oldest first: seen first, created, changed, unchanged,
 * removed, absent, re-created. Where the name identifies the object, a different id under the same name is the same
 * object deleted and made again (a re-created connector gets a new Guid).
 */
export function objectHistory(db: Database, kind: ObjectKindId, objectId: string): HistoryEntry[] {
  const def = KINDS[kind];
  const runs = runsReading(db, kind);
  const named = db.prepare(`SELECT o.display_name AS name FROM ${def.from} o JOIN collection_run r ON r.run_id = o.run_id
     WHERE o.object_id = ? AND o.display_name IS NOT NULL ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1`).get(objectId) as { name: string } | undefined;
  const byName = def.nameIdentifies && named ? named.name : null;
  const find = db.prepare(`${storedSelect(kind)} WHERE o.run_id = @runId AND (o.object_id = @id OR (@name IS NOT NULL AND o.display_name = @name COLLATE NOCASE))`);
  const entries: HistoryEntry[] = [];
  let previous: StoredObject | null = null;
  let seen = false;
  for (const [index, run] of runs.entries()) {
    const rows = find.all({ runId: run.runId, id: objectId, name: byName }) as StoredObject[];
    // The object itself if this run has it, else the newest-named one: one line per collection.
    const row = rows.find((r) => r.object_id === objectId) ?? rows[0] ?? null;
    let event: HistoryEvent;
    let fields: string[] | null = null;
    if (!row) event = previous ? 'removed' : 'absent';
    else if (!previous) event = seen ? 're-created' : index === 0 ? 'first-seen' : 'created';
    else if (previous.object_id !== row.object_id) event = 're-created';
    else if (previous.raw !== row.raw && (fields = changedFields(previous.raw, row.raw)).length > 0) event = 'changed';
    else event = 'unchanged';
    if (event !== 'changed') fields = null;
    entries.push({
      runId: run.runId,
      collectedAt: row?.collected_at ?? run.collectedAt,
      event,
      objectId: row?.object_id ?? null,
      name: row?.display_name ?? null,
      fields,
      evidenceId: row?.evidence_id ?? null,
      evidenceSha256: row?.sha256 ?? null,
    });
    if (row) seen = true;
    previous = row;
  }
  return entries;
}
