// Main process / CLI: what a collection reads — Graph directory objects and Exchange Online configuration — as checkpointed sources.
import type { Database } from 'better-sqlite3';
import { insertApplications, insertOrganization, insertServicePrincipals, listServicePrincipals } from '../../db/queries/directory';
import { insertObjects, type ObjectKind } from '../../db/queries/objects';
import { insertDirectoryAudits, insertSignIns, insertUnifiedAuditRecords } from '../../db/queries/logs';
import { listSources, type SourceNotice } from '../../db/queries/sources';
import { parseUnifiedAudit } from '../../db/normalize/unifiedAudit';
import { decodeText } from '../../db/normalize/text';
import { toUtcIso } from '../../db/normalize/time';
import { CLOUD_GAPS, CLOUDS } from '../auth/environment';
import { runCollection, type CollectDeps, type CollectTarget, type CollectionSource, type FetchContext, type Readers, type SourcePage, type StoredPage } from './engine';
import { graphPageObjects, type GraphPage } from '../graph/reader';
import type { ExchangePage } from '../exchange/reader';
import type { CollectionStatus } from '../../preload/contract';

const get = (o: Record<string, unknown>, key: string) => o[key];

function fromGraph(page: GraphPage): SourcePage {
  return { method: 'GET', url: page.url, status: page.status, contentType: page.contentType, body: page.body, value: page.value, next: page.nextLink };
}

/** A body as JSON: a service's answer (UTF-8), or a collection folder's file (PowerShell may write UTF-16LE or a BOM). */
function bodyJson(page: StoredPage): object {
  const json: unknown = JSON.parse(decodeText(page.body));
  if (typeof json !== 'object' || json === null) throw new Error('the body is not a JSON object');
  return json;
}

/** A Graph page's objects, as the reader gave them to the collector. */
const graphReread = (page: StoredPage): unknown[] => graphPageObjects(bodyJson(page));

const POWERSHELL_DATE = /^\/Date\(-?\d+([+-]\d{4})?\)\/$/;

/** Windows PowerShell's ConvertTo-Json writes times as `/Date(ms)/`: as ISO 8601, as the REST cmdlets give them. */
function powerShellDates(v: unknown): unknown {
  if (typeof v === 'string') return POWERSHELL_DATE.test(v) ? (toUtcIso(v) ?? v) : v;
  if (Array.isArray(v)) return v.map(powerShellDates);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, powerShellDates(x)]));
  return v;
}

/**
 * An Exchange InvokeCommand page's `value` list, as the reader gave it to the collector; or a collection folder's
 * `ConvertTo-Json -InputObject @(<cmdlet output>)` file (a JSON array), its times made ISO 8601.
 */
function exchangeReread(page: StoredPage): unknown[] {
  const json = bodyJson(page);
  if (Array.isArray(json)) return json.map(powerShellDates);
  const value = (json as { value?: unknown }).value;
  if (!Array.isArray(value)) throw new Error('the body has no "value" list');
  return value;
}

/** The objects the collector stored from an evidence page of `source`, read again from the page (see CollectionSource.reread). */
export function rereadPage(source: CollectionSource, page: StoredPage, session: Map<string, unknown>): unknown[] {
  return (source.reread ?? graphReread)(page, session);
}

function fromExchange(page: ExchangePage): SourcePage {
  // A 200 may still say the cmdlet returned less than asked: the warnings and errors are kept on the source.
  const notices: SourceNotice[] = [...page.warnings.map((text) => ({ kind: 'warning' as const, text })), ...page.errors.map((text) => ({ kind: 'error' as const, text }))];
  return { method: 'POST', url: page.url, requestBody: page.requestBody, status: page.status, contentType: page.contentType, body: page.body, value: page.value, next: page.nextLink, notices };
}

/** The page as read, marked incomplete where the tenant's cloud does not serve this log (an empty answer says nothing there). */
function unlessCloudLacks(readers: Readers, log: keyof typeof CLOUD_GAPS, page: SourcePage): SourcePage {
  const cloud = readers.cloud;
  if (!cloud || cloud === 'simulator' || CLOUDS[cloud][log]) return page;
  return { ...page, truncated: true, notices: [...(page.notices ?? []), { kind: 'unavailable', text: CLOUD_GAPS[log] }] };
}

/**
 * A Graph collection read page by page from `path`; `paged` endpoints take `$top`. Throttled report endpoints always
 * ask for full pages: a smaller page only spends more of the 5-requests-per-10-s budget.
 */
function graphList(source: string, label: string, path: string, store: CollectionSource['store'], opts: { paged?: boolean; snapshot?: CollectionSource['snapshot']; fullPages?: boolean } = {}): CollectionSource {
  return {
    source,
    label,
    service: 'graph',
    snapshot: opts.snapshot,
    store,
    fetch: async (readers, cursor, ctx) => {
      const top = opts.fullPages ? 999 : ctx.pageSize;
      const first = opts.paged === false ? path : `${path}${path.includes('?') ? '&' : '?'}$top=${top}`;
      return fromGraph(await readers.graph.page(cursor ?? first, ctx.signal, ctx.onRetry));
    },
  };
}

/**
 * A Graph log read over the run's window, newest first as Graph serves it. Sign-ins and audits share the identity
 * reports' throttling budget (5 requests per 10 s per app per tenant): large pages keep the request count down.
 */
function graphLog(source: string, label: string, path: string, timeProperty: string, store: CollectionSource['store'], cloudLog?: keyof typeof CLOUD_GAPS, alsoFilter?: string): CollectionSource {
  return {
    source,
    label,
    service: 'graph',
    windowed: true,
    throttled: true,
    store,
    fetch: async (readers, cursor, ctx) => {
      if (!ctx.window) throw new Error(`${label} need a time window.`);
      const filter = `${timeProperty} ge ${ctx.window.from} and ${timeProperty} lt ${ctx.window.to}${alsoFilter ? ` and ${alsoFilter}` : ''}`;
      // Always full pages: these endpoints are throttled, so a smaller page only costs more of the budget.
      const first = `${path}?$filter=${encodeURIComponent(filter)}&$top=1000`;
      const page = fromGraph(await readers.graph.page(cursor ?? first, ctx.signal, ctx.onRetry));
      return cloudLog ? unlessCloudLacks(readers, cloudLog, page) : page;
    },
  };
}

function objects(kind: ObjectKind): CollectionSource['store'] {
  return (db, runId, evidenceId, list) => void insertObjects(db, runId, evidenceId, kind, list);
}

/**
 * App-role grants are read on the resource side (`appRoleAssignedTo` of Microsoft Graph and Office 365 Exchange
 * Online): two lists instead of one request per service principal, and they hold every grant that matters here.
 */
const RESOURCE_APP_IDS = ['00000003-0000-0000-c000-000000000000', '00000002-0000-0ff1-ce00-000000000000'];

interface FanOutCursor {
  resource: number;
  url: string | null;
}

function appRoleAssignedTo(): CollectionSource {
  const resourcesOf = (db: Database, runId: string) =>
    listServicePrincipals(db, runId).filter((sp) => RESOURCE_APP_IDS.includes(sp.appId)).map((sp) => sp.objectId).sort();
  return {
    source: 'graph.appRoleAssignedTo',
    label: 'App-role grants',
    service: 'graph',
    snapshot: 'object:appRoleAssignment',
    store: objects({ kind: 'appRoleAssignment', ...byId, name: (o) => get(o, 'principalDisplayName'), principal: (o) => get(o, 'principalId'), resource: (o) => get(o, 'resourceId') }),
    fetch: async (readers, cursor, ctx) => {
      const resources = resourcesOf(ctx.db, ctx.runId);
      if (resources.length === 0) throw new Error('Neither Microsoft Graph nor Office 365 Exchange Online was among the collected service principals; collect service principals first.');
      const at: FanOutCursor = cursor ? (JSON.parse(cursor) as FanOutCursor) : { resource: 0, url: null };
      const id = resources[at.resource]!;
      const page = await readers.graph.page(at.url ?? `/v1.0/servicePrincipals/${id}/appRoleAssignedTo?$top=${ctx.pageSize}`, ctx.signal, ctx.onRetry);
      const next: FanOutCursor | null = page.nextLink ? { resource: at.resource, url: page.nextLink } : at.resource + 1 < resources.length ? { resource: at.resource + 1, url: null } : null;
      return { ...fromGraph(page), next: next ? JSON.stringify(next) : null };
    },
  };
}

function exchangeCmdlet(source: string, label: string, cmdlet: string, parameters: Record<string, unknown>, kind: ObjectKind): CollectionSource {
  return {
    source,
    label,
    service: 'exchange',
    snapshot: `object:${kind.kind}`,
    store: objects(kind),
    reread: exchangeReread,
    fetch: async (readers, cursor, ctx) => {
      if (!readers.exchange) throw new Error('Not signed in to Exchange Online.');
      return fromExchange(await readers.exchange.page(cmdlet, parameters, cursor ?? undefined, ctx.signal, ctx.onRetry));
    },
  };
}

/** Search-UnifiedAuditLog returns at most 50,000 rows per session and 5,000 per call (ExchangeOnlineManagement docs). */
export const UAL_SESSION_CAP = 50_000;
const UAL_CALL_SIZE = 5_000;
/** Below this a slice is not split further; a busier minute is recorded as truncated. */
const UAL_MIN_SLICE_MS = 60_000;
/** New sessions tried for a window whose session stalled, before the window is recorded as truncated. */
export const UAL_MAX_RESTARTS = 3;

interface UalCursor {
  /** Windows still to read, oldest first; the first is the one in progress. */
  slices: [string, string][];
  sessionId: string | null;
  nextLink: string | null;
  fetched: number;
  /** The session's last ResultIndex read and its ResultCount: each page must continue from them (absent in older cursors). */
  lastIndex?: number;
  total?: number;
  /** Sessions of the first slice that stalled so far. */
  restarts?: number;
}

interface UalRow {
  ResultIndex?: unknown;
  ResultCount?: unknown;
}

/**
 * Why a ReturnLargeSet page shows its session stalled, or null when it continues the session. A session that times
 * out on the server answers rows stamped ResultCount 0 or ResultIndex -1 (ANSSI-FR/DFIR-O365RC, Get-LargeUnifiedAuditLog,
 * starts such a search again), an empty page before ResultCount rows came back, or rows that do not continue the last
 * page (last ResultIndex + 1 is the next ResultIndex).
 */
function ualStall(rows: UalRow[], at: UalCursor): string | null {
  const lastIndex = at.lastIndex ?? at.fetched;
  if (rows.length === 0) {
    return at.fetched > 0 && at.fetched < Math.min(at.total ?? Infinity, UAL_SESSION_CAP) ? `an empty page after ${at.fetched} of ${at.total ?? '?'} rows` : null;
  }
  for (const [i, row] of rows.entries()) {
    if (row.ResultIndex === -1) return 'rows with ResultIndex -1';
    if (row.ResultCount === 0) return 'rows with ResultCount 0';
    if (row.ResultIndex !== lastIndex + i + 1) return `ResultIndex ${String(row.ResultIndex)} where ${lastIndex + i + 1} was next`;
  }
  return null;
}

/**
 * The first page of a session whose ResultCount reaches the session cap over a slice wider than the smallest: the
 * slice is halved and read again, and this page's rows are not stored (they come back in the halves).
 */
function splitsSlice(value: unknown[], from: string, to: string, firstOfSession: boolean): boolean {
  const total = Number((value[0] as { ResultCount?: unknown } | undefined)?.ResultCount ?? 0);
  return firstOfSession && total >= UAL_SESSION_CAP && Date.parse(to) - Date.parse(from) > UAL_MIN_SLICE_MS;
}

/**
 * As the collector stored it, replaying its decisions page by page in evidence order: a page that split its slice or
 * showed its session stalled stored no rows (a session's first page is the first with its SessionId).
 */
function ualReread(page: StoredPage, session: Map<string, unknown>): unknown[] {
  const value = exchangeReread(page);
  const parameters = (JSON.parse(page.requestBody ?? '{}') as { CmdletInput?: { Parameters?: { StartDate?: string; EndDate?: string; SessionId?: string } } }).CmdletInput?.Parameters ?? {};
  const sessionKey = `ual-session:${parameters.SessionId ?? ''}`;
  const first = !session.has(sessionKey);
  const at = (session.get(sessionKey) as UalCursor | undefined) ?? { slices: [], sessionId: null, nextLink: null, fetched: 0 };
  session.set(sessionKey, at);
  if (splitsSlice(value, parameters.StartDate ?? '', parameters.EndDate ?? '', first) || ualStall(value as UalRow[], at)) return [];
  const total = Number((value[0] as UalRow | undefined)?.ResultCount ?? 0);
  session.set(sessionKey, { ...at, fetched: at.fetched + value.length, lastIndex: (at.lastIndex ?? at.fetched) + value.length, total: at.total ?? total });
  return value;
}

/**
 * The Unified Audit Log over the run's window, read session by session with ReturnLargeSet. A slice whose
 * ResultCount reaches the session cap is halved until every slice fits, so nothing is silently cut off.
 */
function unifiedAuditLog(): CollectionSource {
  return {
    source: 'exo.unifiedAuditLog',
    label: 'Unified Audit Log',
    service: 'exchange',
    windowed: true,
    // Counted as new records only: after a stalled session the window is read again, and its records stored once.
    store: (db, runId, ev, rows) => {
      const counts = { inserted: 0 };
      insertUnifiedAuditRecords(db, runId, ev, rows, { rawInEvidence: true, counts });
      return counts.inserted;
    },
    reread: ualReread,
    recount: (rows, session) => {
      const seen = (session.get('ual-records') as Set<string> | undefined) ?? new Set<string>();
      session.set('ual-records', seen);
      const before = seen.size;
      for (const [i, row] of rows.entries()) seen.add(parseUnifiedAudit(row, i).row.id);
      return seen.size - before;
    },
    // In 21Vianet the search answers nothing: each page says so, and the source is not complete.
    fetch: async (readers, cursor, ctx) => unlessCloudLacks(readers, 'unifiedAuditLog', await readUnifiedAuditLog(readers, cursor, ctx)),
  };
}

async function readUnifiedAuditLog(readers: Readers, cursor: string | null, ctx: FetchContext): Promise<SourcePage> {
  if (!readers.exchange) throw new Error('Not signed in to Exchange Online.');
  if (!ctx.window) throw new Error('The Unified Audit Log needs a time window.');
  const at: UalCursor = cursor ? (JSON.parse(cursor) as UalCursor) : { slices: [[ctx.window.from, ctx.window.to]], sessionId: null, nextLink: null, fetched: 0 };
  const [from, to] = at.slices[0]!;
  const sessionId = at.sessionId ?? crypto.randomUUID();
  const parameters = { StartDate: from, EndDate: to, SessionId: sessionId, SessionCommand: 'ReturnLargeSet', ResultSize: UAL_CALL_SIZE };
  const page = fromExchange(await readers.exchange.page('Search-UnifiedAuditLog', parameters, at.nextLink ?? undefined, ctx.signal, ctx.onRetry));
  const total = Number((page.value[0] as { ResultCount?: unknown } | undefined)?.ResultCount ?? 0);
  const firstOfSession = at.fetched === 0 && at.nextLink === null;
  // In a ReturnLargeSet session ResultCount may itself stop at the cap: a full session means "maybe more", so split.
  if (splitsSlice(page.value, from, to, firstOfSession)) {
    // Too many for one session: halve the slice and start again; this page's rows come back in the halves.
    const mid = new Date(Date.parse(from) + Math.floor((Date.parse(to) - Date.parse(from)) / 2)).toISOString();
    const next: UalCursor = { slices: [[from, mid], [mid, to], ...at.slices.slice(1)], sessionId: null, nextLink: null, fetched: 0 };
    return { ...page, value: [], next: JSON.stringify(next) };
  }
  const nextSlice: UalCursor | null = at.slices.length > 1 ? { slices: at.slices.slice(1), sessionId: null, nextLink: null, fetched: 0 } : null;
  const stall = ualStall(page.value as UalRow[], at);
  if (stall) {
    // The session broke off: its rows so far stay stored, and a new session reads the window again from the start
    // (rows read twice are the same records, stored once). This page's rows are not trusted.
    const restarts = (at.restarts ?? 0) + 1;
    if (restarts <= UAL_MAX_RESTARTS) {
      const again: UalCursor = { slices: at.slices, sessionId: null, nextLink: null, fetched: 0, restarts };
      return { ...page, value: [], next: JSON.stringify(again) };
    }
    const notice: SourceNotice = { kind: 'warning', text: `The Unified Audit Log search for ${from} → ${to} broke off ${restarts} times (${stall}); that window may be incomplete.` };
    return { ...page, value: [], next: nextSlice ? JSON.stringify(nextSlice) : null, truncated: true, notices: [...(page.notices ?? []), notice] };
  }
  const fetched = at.fetched + page.value.length;
  const cap = Math.min(total, UAL_SESSION_CAP);
  const session = { sessionId, fetched, lastIndex: (at.lastIndex ?? at.fetched) + page.value.length, total: at.total ?? total };
  let next: UalCursor | null;
  if (page.next) next = { ...at, ...session, nextLink: page.next };
  else if (page.value.length > 0 && fetched < cap) next = { ...at, ...session, nextLink: null };
  else next = nextSlice;
  return { ...page, next: next ? JSON.stringify(next) : null, truncated: total >= UAL_SESSION_CAP };

}

/** Exchange objects are identified by Guid (or ExchangeObjectId); Identity is a name and can be reused after a delete. */
const exchangeObject: Omit<ObjectKind, 'kind'> = {
  id: (o) => get(o, 'Guid') ?? get(o, 'ExchangeObjectId') ?? get(o, 'Identity'),
  name: (o) => get(o, 'Name') ?? get(o, 'Identity'),
};

const byId: Omit<ObjectKind, 'kind'> = { id: (o) => get(o, 'id'), name: (o) => get(o, 'displayName') };

interface Tagged {
  kind: string;
  object: unknown;
}

/**
 * Small lists read together in one `$batch` call instead of one request each. A sub-list that pages on is then
 * followed with plain GETs; a sub-request Graph refuses fails the source, naming it, and stores nothing of the batch.
 */
function batched(source: string, label: string, parts: { path: string; kind: ObjectKind }[]): CollectionSource {
  const kindOf = new Map(parts.map((p) => [p.kind.kind, p.kind]));
  const listOf = (body: unknown): { items: unknown[]; next: string | null } => {
    const b = body as { value?: unknown; '@odata.nextLink'?: unknown };
    return { items: Array.isArray(b?.value) ? b.value : [body], next: typeof b?.['@odata.nextLink'] === 'string' ? b['@odata.nextLink'] : null };
  };
  return {
    source,
    label,
    service: 'graph',
    snapshot: parts.map((p) => `object:${p.kind.kind}` as const),
    reread: (page) => {
      if (page.method === 'POST') {
        // The $batch response: each sub-response's objects, tagged with its part's kind, in the order of the parts.
        const responses = new Map(((bodyJson(page) as { responses?: { id?: unknown; body?: unknown }[] }).responses ?? []).map((r) => [String(r.id), r.body]));
        return parts.flatMap((part, i) => listOf(responses.get(String(i + 1))).items.map((object) => ({ kind: part.kind.kind, object })));
      }
      // A sub-list paged on with a plain GET: its kind is the part whose path the link follows.
      const pathname = new URL(page.url, 'https://graph.microsoft.com').pathname;
      const part = parts.find((p) => pathname.endsWith(p.path.split('?')[0]!));
      if (!part) throw new Error(`no part of the batch reads ${pathname}`);
      return graphReread(page).map((object) => ({ kind: part.kind.kind, object }));
    },
    store: (db, runId, evidenceId, tagged) => {
      for (const [kind, spec] of kindOf) {
        insertObjects(db, runId, evidenceId, spec, (tagged as Tagged[]).filter((t) => t.kind === kind).map((t) => t.object));
      }
    },
    fetch: async (readers, cursor, ctx) => {
      const pending = cursor ? (JSON.parse(cursor) as { kind: string; url: string }[]) : null;
      if (pending) {
        const [head, ...rest] = pending;
        const page = await readers.graph.page(head!.url, ctx.signal, ctx.onRetry);
        const next = [...(page.nextLink ? [{ kind: head!.kind, url: page.nextLink }] : []), ...rest];
        return { ...fromGraph(page), value: page.value.map((object) => ({ kind: head!.kind, object })), next: next.length ? JSON.stringify(next) : null };
      }
      const batch = await readers.graph.batch(parts.map((p, i) => ({ id: String(i + 1), url: p.path.replace(/^\/v1\.0/, '') })), ctx.signal, ctx.onRetry);
      const value: Tagged[] = [];
      const next: { kind: string; url: string }[] = [];
      for (const [i, part] of parts.entries()) {
        const sub = batch.responses.get(String(i + 1));
        if (!sub || sub.status !== 200) {
          const message = (sub?.body as { error?: { code?: string; message?: string } } | undefined)?.error;
          throw new Error(`Graph refused ${part.path} inside a $batch (HTTP ${sub?.status ?? 'no answer'}${message ? `: ${message.code}: ${message.message}` : ''}); nothing from the batch was stored.`);
        }
        const { items, next: link } = listOf(sub.body);
        value.push(...items.map((object) => ({ kind: part.kind.kind, object })));
        if (link) next.push({ kind: part.kind.kind, url: link });
      }
      return { method: 'POST', url: batch.url, requestBody: batch.requestBody, status: batch.status, contentType: batch.contentType, body: batch.body, value, next: next.length ? JSON.stringify(next) : null };
    },
  };
}

/** Each directory kind with the Graph path that lists it; `paged: false` for endpoints that refuse `$top`. */
function directoryObjects(source: string, label: string, path: string, kind: ObjectKind, paged = true): CollectionSource {
  const report = path.includes('/reports/');
  return { ...graphList(source, label, path, objects(kind), { paged, snapshot: `object:${kind.kind}`, fullPages: report }), throttled: report };
}

export const GRAPH_SOURCES: readonly CollectionSource[] = [
  graphList('graph.organization', 'Organization', '/v1.0/organization', insertOrganization, { paged: false }),
  graphList('graph.applications', 'Applications', '/v1.0/applications', insertApplications, { snapshot: 'application' }),
  graphList('graph.servicePrincipals', 'Service principals', '/v1.0/servicePrincipals', insertServicePrincipals, { snapshot: 'servicePrincipal' }),
  appRoleAssignedTo(),
  directoryObjects('graph.oauth2PermissionGrants', 'Delegated grants', '/v1.0/oauth2PermissionGrants', {
    kind: 'oauth2PermissionGrant', id: (o) => get(o, 'id'), name: (o) => get(o, 'scope'), principal: (o) => get(o, 'clientId'), resource: (o) => get(o, 'resourceId'),
  }),
  directoryObjects('graph.users', 'Users', '/v1.0/users?$select=id,displayName,userPrincipalName,accountEnabled,userType,createdDateTime,mail', {
    kind: 'user', id: (o) => get(o, 'id'), name: (o) => get(o, 'userPrincipalName'),
  }),
  directoryObjects('graph.roleAssignments', 'Directory role assignments', '/v1.0/roleManagement/directory/roleAssignments', {
    kind: 'roleAssignment', id: (o) => get(o, 'id'), name: (o) => get(o, 'roleDefinitionId'), principal: (o) => get(o, 'principalId'), resource: (o) => get(o, 'roleDefinitionId'),
  }),
  directoryObjects('graph.userRegistrationDetails', 'MFA registration', '/v1.0/reports/authenticationMethods/userRegistrationDetails', {
    kind: 'userRegistrationDetails', id: (o) => get(o, 'id'), name: (o) => get(o, 'userPrincipalName'),
  }),
  // Soft-deleted apps and their service principals (restorable 30 days): what was deleted to hide, and when
  // (https://learn.microsoft.com/graph/api/directory-deleteditems-list).
  directoryObjects('graph.deletedApplications', 'Deleted applications', '/v1.0/directory/deletedItems/microsoft.graph.application', {
    kind: 'deletedApplication', ...byId, principal: (o) => get(o, 'appId'),
  }),
  directoryObjects('graph.deletedServicePrincipals', 'Deleted service principals', '/v1.0/directory/deletedItems/microsoft.graph.servicePrincipal', {
    kind: 'deletedServicePrincipal', ...byId, principal: (o) => get(o, 'appId'),
  }),
  batched('graph.rolesAndPolicies', 'Roles and policies', [
    { path: '/v1.0/directoryRoles', kind: { kind: 'directoryRole', ...byId, principal: (o) => get(o, 'roleTemplateId') } },
    { path: '/v1.0/identity/conditionalAccess/policies', kind: { kind: 'conditionalAccessPolicy', ...byId } },
    { path: '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy', kind: { kind: 'securityDefaults', ...byId } },
  ]),
];

export const LOG_SOURCES: readonly CollectionSource[] = [
  // beta: v1.0 leaves out authenticationRequirement, which is how a single-factor sign-in shows.
  graphLog('graph.signIns', 'Sign-ins', '/beta/auditLogs/signIns', 'createdDateTime', (db, runId, ev, list) => void insertSignIns(db, runId, ev, list)),
  // Without a signInEventTypes filter Graph returns interactive sign-ins only; the other kinds are queries of their own
  // (https://learn.microsoft.com/graph/api/signin-list?view=graph-rest-beta), on beta, where the property exists.
  // Token refreshes show a stolen session kept alive; an app's own sign-ins show which credential was used, from where.
  graphLog('graph.nonInteractiveSignIns', 'Non-interactive sign-ins', '/beta/auditLogs/signIns', 'createdDateTime', (db, runId, ev, list) => void insertSignIns(db, runId, ev, list), undefined, "signInEventTypes/any(t: t eq 'nonInteractiveUser')"),
  graphLog('graph.servicePrincipalSignIns', 'Service principal sign-ins', '/beta/auditLogs/signIns', 'createdDateTime', (db, runId, ev, list) => void insertSignIns(db, runId, ev, list), undefined, "signInEventTypes/any(t: t eq 'servicePrincipal')"),
  graphLog('graph.directoryAudits', 'Directory audits', '/v1.0/auditLogs/directoryAudits', 'activityDateTime', (db, runId, ev, list) => void insertDirectoryAudits(db, runId, ev, list), 'directoryAudits'),
];

interface MailboxCursor {
  mailbox: number;
  url: string | null;
}

/** Inbox rules of the mailboxes the examiner chose: one Get-InboxRule per mailbox, as the cmdlet requires. */
function inboxRules(): CollectionSource {
  return {
    source: 'exo.inboxRules',
    label: 'Inbox rules',
    service: 'exchange',
    snapshot: 'object:inboxRule',
    scopeOf: (target) => ({ mailboxes: target.inboxRuleMailboxes ?? [] }),
    reread: exchangeReread,
    store: objects({ kind: 'inboxRule', id: (o) => get(o, 'Identity') ?? get(o, 'RuleIdentity'), name: (o) => get(o, 'Name'), principal: (o) => get(o, 'MailboxOwnerId') }),
    fetch: async (readers, cursor, ctx) => {
      if (!readers.exchange) throw new Error('Not signed in to Exchange Online.');
      const mailboxes = (ctx.scope as { mailboxes?: string[] } | null)?.mailboxes ?? [];
      if (mailboxes.length === 0) throw new Error('No mailboxes were chosen for inbox rules.');
      const at: MailboxCursor = cursor ? (JSON.parse(cursor) as MailboxCursor) : { mailbox: 0, url: null };
      const page = fromExchange(await readers.exchange.page('Get-InboxRule', { Mailbox: mailboxes[at.mailbox]! }, at.url ?? undefined, ctx.signal, ctx.onRetry));
      const next: MailboxCursor | null = page.next ? { mailbox: at.mailbox, url: page.next } : at.mailbox + 1 < mailboxes.length ? { mailbox: at.mailbox + 1, url: null } : null;
      return { ...page, next: next ? JSON.stringify(next) : null };
    },
  };
}

const INBOX_RULES = inboxRules();

export const EXCHANGE_LOG_SOURCES: readonly CollectionSource[] = [unifiedAuditLog()];

export const EXCHANGE_SOURCES: readonly CollectionSource[] = [
  exchangeCmdlet('exo.inboundConnectors', 'Inbound connectors', 'Get-InboundConnector', {}, { kind: 'inboundConnector', ...exchangeObject }),
  exchangeCmdlet('exo.outboundConnectors', 'Outbound connectors', 'Get-OutboundConnector', {}, { kind: 'outboundConnector', ...exchangeObject }),
  exchangeCmdlet('exo.transportRules', 'Transport rules', 'Get-TransportRule', { ResultSize: 'Unlimited' }, { kind: 'transportRule', ...exchangeObject }),
  // Forwarding settings ride on the mailbox objects (ForwardingSmtpAddress, ForwardingAddress, DeliverToMailboxAndForward).
  exchangeCmdlet('exo.mailboxes', 'Mailboxes', 'Get-Mailbox', { ResultSize: 'Unlimited' }, {
    kind: 'mailbox', ...exchangeObject, name: (o) => get(o, 'UserPrincipalName') ?? get(o, 'PrimarySmtpAddress') ?? get(o, 'Name'),
  }),
  // Were the logs even on? The rule that reads the audit log is silent exactly when logging was off, so the settings
  // themselves are read: Unified Audit Log ingestion (Get-AdminAuditLogConfig), the organisation's mailbox auditing
  // (Get-OrganizationConfig AuditDisabled) and the accounts exempted from mailbox auditing (every account is listed,
  // with AuditBypassEnabled true or false: https://learn.microsoft.com/powershell/module/exchange/get-mailboxauditbypassassociation).
  exchangeCmdlet('exo.adminAuditLogConfig', 'Audit log settings', 'Get-AdminAuditLogConfig', {}, { kind: 'adminAuditLogConfig', ...exchangeObject }),
  exchangeCmdlet('exo.organizationConfig', 'Organisation audit setting', 'Get-OrganizationConfig', {}, { kind: 'organizationConfig', ...exchangeObject }),
  // Exchange RBAC for applications: apps registered in Exchange and the management roles assigned to them, a second way
  // to mail powers beside Exchange.ManageAsApp (https://learn.microsoft.com/exchange/permissions-exo/application-rbac).
  exchangeCmdlet('exo.servicePrincipals', 'Exchange service principals', 'Get-ServicePrincipal', {}, {
    kind: 'exchangeServicePrincipal', ...exchangeObject, name: (o) => get(o, 'DisplayName') ?? get(o, 'Name'), principal: (o) => get(o, 'AppId'),
  }),
  exchangeCmdlet('exo.appRoleAssignments', 'Exchange roles of apps', 'Get-ManagementRoleAssignment', { RoleAssigneeType: 'ServicePrincipal' }, {
    kind: 'exchangeRoleAssignment', ...exchangeObject, principal: (o) => get(o, 'RoleAssignee'), resource: (o) => get(o, 'Role'),
  }),
  exchangeCmdlet('exo.mailboxAuditBypass', 'Mailbox audit bypass', 'Get-MailboxAuditBypassAssociation', { ResultSize: 'Unlimited' }, { kind: 'mailboxAuditBypass', ...exchangeObject }),
];

/** The sources a session can collect: logs only with a window, Exchange ones only when signed in to Exchange Online. */
export function plannedSources(readers: CollectDeps['readers'], withLogs: boolean, inboxRuleMailboxes: string[] = []): CollectionSource[] {
  return [
    ...GRAPH_SOURCES,
    ...(withLogs ? LOG_SOURCES : []),
    ...(readers.exchange ? EXCHANGE_SOURCES : []),
    ...(readers.exchange && withLogs ? EXCHANGE_LOG_SOURCES : []),
    ...(readers.exchange && inboxRuleMailboxes.length ? [INBOX_RULES] : []),
  ];
}

const ALL_SOURCES: readonly CollectionSource[] = [...GRAPH_SOURCES, ...LOG_SOURCES, ...EXCHANGE_SOURCES, ...EXCHANGE_LOG_SOURCES, INBOX_RULES];

/** The source a case writer thread stores a page of (it receives names, not functions). */
export function sourceNamed(name: string): CollectionSource | undefined {
  return ALL_SOURCES.find((s) => s.source === name);
}

/** A new run plans from what this session can reach; a resumed run keeps the plan it started with. */
export function collectTenant(deps: CollectDeps, target: CollectTarget): Promise<CollectionStatus> {
  if (target.resume) {
    const planned = new Set(listSources(deps.db, target.runId).map((s) => s.source));
    return runCollection(deps, target, ALL_SOURCES.filter((s) => planned.has(s.source)));
  }
  return runCollection(deps, target, plannedSources(deps.readers, !!target.window, target.inboxRuleMailboxes));
}
