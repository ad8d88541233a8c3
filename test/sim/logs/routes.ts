// Test tooling (Node): the simulator's Graph log routes: /auditLogs/signIns, /auditLogs/directoryAudits (filters, paging, retention, throttling) and the asynchronous /security/auditLog/queries API.
import { randomUUID } from 'node:crypto';
import { readBody, sendGraphError, sendJson, type RequestContext } from '../http';
import { authenticate, type Caller } from '../graph';
import type { IdentityState } from '../identity';
import { DIRECTORY_ROLES } from '../wellknown';
import { DAY } from './generate';
import { GRAPH_RETENTION_DAYS, type Keyed, type SimLogStore, type SimLogStream } from './store';
import { ReportsThrottle } from './throttle';
import { SIGNIN_V1_PROPERTIES, type GraphDirectoryAudit, type UnifiedAuditRecord } from './types';
import { directoryAuditRecord, signInRecord } from './records';
import { SIGN_IN_KINDS, type SignInKind } from './signin-kinds';

/** Per-simulator state of the log routes. */
export interface LogsService {
  store: SimLogStore;
  /** Shared by every identity-and-access report route (DIR's userRegistrationDetails too). */
  throttle: ReportsThrottle;
  queries: Map<string, AuditLogQuery>;
}

export function createLogsService(store: SimLogStore, throttle = new ReportsThrottle()): LogsService {
  return { store, throttle, queries: new Map() };
}

// Property names, in Graph's order, taken from the builders so they cannot drift from the records.
const SIGNIN_PROPERTIES = Object.keys(signInRecord({
  id: '', ms: 0, tenantId: '', user: { id: '', displayName: '', userPrincipalName: '' },
  app: { appId: '', appDisplayName: '', resourceId: '', resourceDisplayName: '', clientAppUsed: '' }, ipAddress: '',
  place: { city: '', state: '', countryOrRegion: '', latitude: 0, longitude: 0 }, device: { operatingSystem: '', browser: '' },
  errorCode: 0, multiFactor: false, correlationId: '', tokenIdentifier: '', protocol: 'none', processingMs: 0,
}));
const DIRECTORY_AUDIT_PROPERTIES = Object.keys(directoryAuditRecord({
  id: '', ms: 0, correlationId: '', activityDisplayName: '', category: '', operationType: 'Add',
  initiatedBy: { user: { id: '', displayName: null, userPrincipalName: '', ipAddress: null } }, targetResources: [],
}));

/** Graph's maximum and default page size for sign-ins and directory audits. */
export const LOGS_PAGE_SIZE = 1000;

/** Directory roles that may read sign-in and audit reports with a delegated token. */
const REPORT_READER_ROLES = new Set([
  DIRECTORY_ROLES.globalAdministrator.templateId,
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451', // Global Reader
  '4a5d8f65-41da-4de4-8968-e035b65339cf', // Reports Reader
  '194ae4cb-b126-40b2-bd5b-6091b380977d', // Security Administrator
  '5f2222b1-57c3-48ba-8ad5-d4759f1fde6f', // Security Operator
  '5d6b6bb7-de71-4623-b4af-96380a352509', // Security Reader
]);

const AUDIT_QUERY_PERMISSIONS = [
  'AuditLogsQuery.Read.All', 'AuditLogsQuery-Exchange.Read.All', 'AuditLogsQuery-Entra.Read.All', 'AuditLogsQuery-OneDrive.Read.All',
  'AuditLogsQuery-SharePoint.Read.All', 'AuditLogsQuery-Endpoint.Read.All', 'AuditLogsQuery-CRM.Read.All',
];

/** True when the path is one of the log routes (segments after the version). */
export function isLogsPath(segments: readonly string[]): boolean {
  const [a, b] = segments;
  return (a === 'auditLogs' && (b === 'signIns' || b === 'directoryAudits')) || (a === 'security' && b === 'auditLog');
}

function holds(caller: Caller, permissions: readonly string[]): boolean {
  const held = caller.delegated ? caller.scopes : caller.roles;
  return permissions.some((p) => held.has(p));
}

function appIdOf(caller: Caller): string {
  const c = caller.claims;
  return typeof c.appid === 'string' ? c.appid : typeof c.azp === 'string' ? c.azp : 'unknown';
}

/** Routes `/{version}/auditLogs/...` and `/{version}/security/auditLog/...`; sends exactly one response. */
export async function handleLogs(ctx: RequestContext, state: IdentityState, service: LogsService, version: 'v1.0' | 'beta', segments: string[]): Promise<void> {
  const caller = authenticate(ctx, state);
  if (!caller) return;
  const [first, second, third, fourth, fifth, ...more] = segments;
  if (first === 'auditLogs') {
    if (third !== undefined) return sendGraphError(ctx, 404, 'ResourceNotFound', `Resource not found for the segment '${third}'.`);
    if (ctx.req.method !== 'GET') return sendGraphError(ctx, 405, 'MethodNotAllowed', `The HTTP method '${ctx.req.method ?? ''}' is not allowed on this resource.`, { Allow: 'GET' });
    if (!holds(caller, ['AuditLog.Read.All'])) {
      return sendGraphError(ctx, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    if (caller.delegated) {
      const wids = Array.isArray(caller.claims.wids) ? caller.claims.wids : [];
      if (!wids.some((w) => typeof w === 'string' && REPORT_READER_ROLES.has(w))) {
        return sendGraphError(ctx, 403, 'Authentication_RequestFromUnsupportedUserRole', 'User is not in the allowed roles');
      }
    }
    if (!service.throttle.admit(ctx, appIdOf(caller))) return;
    if (second === 'signIns') {
      const kind = signInKindOf(ctx);
      if (kind === 'invalid') return sendGraphError(ctx, 400, 'BadRequest', 'Invalid filter clause');
      if (kind !== null) {
        // signInEventTypes is a beta property: v1.0 serves interactive sign-ins only.
        if (version === 'v1.0') return sendGraphError(ctx, 400, 'BadRequest', "Could not find a property named 'signInEventTypes' on type 'microsoft.graph.signIn'.");
        return serveKeyed(ctx, state, kind.records(service.store), kind.filter, {
          version, entitySet: `auditLogs/signIns`, timeProperty: 'createdDateTime', typeName: 'microsoft.graph.signIn',
          project: undefined, properties: [...SIGNIN_PROPERTIES, ...SERVICE_PRINCIPAL_SIGNIN_PROPERTIES], referenceMs: service.store.referenceMs,
        }, `auditLogs/signIns/${kind.name}`);
      }
      return serveLog(ctx, state, service.store.signIns, {
        version, entitySet: 'auditLogs/signIns', timeProperty: 'createdDateTime', typeName: 'microsoft.graph.signIn',
        project: version === 'v1.0' ? SIGNIN_V1_PROPERTIES : undefined, properties: SIGNIN_PROPERTIES, referenceMs: service.store.referenceMs,
      });
    }
    return serveLog<GraphDirectoryAudit>(ctx, state, service.store.directoryAudits, {
      version, entitySet: 'auditLogs/directoryAudits', timeProperty: 'activityDateTime', typeName: 'microsoft.graph.directoryAudit',
      project: undefined, properties: DIRECTORY_AUDIT_PROPERTIES, referenceMs: service.store.referenceMs,
    });
  }
  // security/auditLog/queries[/{id}[/records]]
  if (third !== 'queries' || more.length > 0 || (fifth !== undefined && fifth !== 'records')) {
    return sendGraphError(ctx, 404, 'ResourceNotFound', `Resource not found for the segment '${third ?? second ?? ''}'.`);
  }
  if (!holds(caller, AUDIT_QUERY_PERMISSIONS)) {
    return sendGraphError(ctx, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
  }
  if (fourth === undefined) {
    if (ctx.req.method === 'POST') return createQuery(ctx, state, service, version);
    if (ctx.req.method === 'GET') {
      return sendJson(ctx, 200, {
        '@odata.context': `${state.baseUrl()}/${version}/$metadata#security/auditLog/queries`,
        value: [...service.queries.values()].map((q) => queryBody(q)),
      });
    }
    return sendGraphError(ctx, 405, 'MethodNotAllowed', `The HTTP method '${ctx.req.method ?? ''}' is not allowed on this resource.`, { Allow: 'GET, POST' });
  }
  if (ctx.req.method !== 'GET') return sendGraphError(ctx, 405, 'MethodNotAllowed', `The HTTP method '${ctx.req.method ?? ''}' is not allowed on this resource.`, { Allow: 'GET' });
  const query = service.queries.get(fourth);
  if (!query) return sendGraphError(ctx, 404, 'NotFound', `Audit log query '${fourth}' was not found.`);
  if (fifth === undefined) {
    advance(query, service.store);
    return sendJson(ctx, 200, { '@odata.context': `${state.baseUrl()}/${version}/$metadata#security/auditLog/queries/$entity`, ...queryBody(query) });
  }
  if (query.status !== 'succeeded') {
    return sendGraphError(ctx, 400, 'BadRequest', `Audit log query '${query.id}' has not completed yet (status '${query.status}'); poll it until its status is 'succeeded'.`);
  }
  return serveRecords(ctx, state, service.store, query, version);
}

// ---- sign-in kinds ---------------------------------------------------------------------------------------------

/** Properties only service-principal sign-ins fill in (beta signIn). */
const SERVICE_PRINCIPAL_SIGNIN_PROPERTIES = ['servicePrincipalId', 'servicePrincipalName', 'servicePrincipalCredentialKeyId', 'servicePrincipalCredentialThumbprint'];

/** `signInEventTypes/any(t: t eq 'servicePrincipal')`, as a whole clause of the filter, optionally in parentheses. */
const EVENT_TYPE_CLAUSE = /(^|\s+and\s+)\(?\s*signInEventTypes\/any\(\s*(\w+)\s*:\s*(\w+)\s+eq\s+'(\w+)'\s*\)\s*\)?(?=\s+and\s+|$)/i;

/**
 * The kind a sign-ins request asks for with a `signInEventTypes/any(...)` clause (https://learn.microsoft.com/graph/api/signin-list?view=graph-rest-beta:
 * without one only interactive user sign-ins come back), and the rest of the filter; null for none (or interactiveUser).
 * managedIdentity sign-ins are a kind the scenarios have none of.
 */
function signInKindOf(ctx: RequestContext): { name: string; records: (store: SimLogStore) => Keyed<object>[]; filter: string | undefined } | null | 'invalid' {
  const filter = ctx.url.searchParams.get('$filter');
  if (filter === null || !/signInEventTypes/i.test(filter)) return null;
  const m = EVENT_TYPE_CLAUSE.exec(filter.trim());
  if (!m || m[2] !== m[3]) return 'invalid';
  const rest = (filter.trim().slice(0, m.index) + filter.trim().slice(m.index + m[0].length)).replace(/^\s*and\s+/i, '').trim();
  const kind = m[4]!;
  if (kind === 'interactiveUser') return null;
  if (kind === 'managedIdentity') return { name: kind, records: () => [], filter: rest || undefined };
  if (!(SIGN_IN_KINDS as readonly string[]).includes(kind)) return 'invalid';
  return { name: kind, records: (store) => store.signInKinds.records[kind as SignInKind], filter: rest || undefined };
}

/** serveLog over a list held in memory (ascending), with the kind's own cursors. */
function serveKeyed(ctx: RequestContext, state: IdentityState, list: readonly Keyed<object>[], filter: string | undefined, route: LogRoute, kind: string): void {
  const q = parsePaging(ctx, kind, route.properties, route.typeName, ['$filter', '$top', '$select', '$skiptoken']);
  if (!q) return;
  let range: Range = { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY };
  if (filter !== undefined) {
    const parsed = parseTimeFilter(filter, route.timeProperty);
    if (parsed === 'invalid') return sendGraphError(ctx, 400, 'BadRequest', 'Invalid filter clause');
    if (parsed === 'unsupported') return sendGraphError(ctx, 400, 'Request_UnsupportedQuery', `The simulator supports $filter on ${route.timeProperty} and signInEventTypes only.`);
    range = parsed;
  }
  const lo = Math.max(range.lo, route.referenceMs - GRAPH_RETENTION_DAYS * DAY);
  const page: Keyed<object>[] = [];
  let more = false;
  for (let i = list.length - 1; i >= 0; i--) {
    const k = list[i]!;
    if (k.ms >= range.hi || k.ms < lo) continue;
    if (q.after && (k.ms > q.after.ms || (k.ms === q.after.ms && k.ord >= q.after.ord))) continue;
    if (page.length === q.top) {
      more = true;
      break;
    }
    page.push(k);
  }
  const body: Record<string, unknown> = {
    '@odata.context': `${state.baseUrl()}/${route.version}/$metadata#${route.entitySet}${q.select ? `(${q.select.join(',')})` : ''}`,
  };
  const last = page[page.length - 1];
  if (more && last) body['@odata.nextLink'] = nextLink(ctx, state, encodeCursor(kind, last));
  body.value = page.map((k) => project(k.record, q.select));
  sendJson(ctx, 200, body);
}

// ---- $filter on time ranges ------------------------------------------------------------------------------------

type Range = { lo: number; hi: number };

const DATE_LITERAL = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Parses `prop ge|gt|le|lt <DateTimeOffset>` clauses joined by `and`; 'invalid' or 'unsupported' otherwise (the caller answers 400). */
export function parseTimeFilter(filter: string, timeProperty: string): Range | 'unsupported' | 'invalid' {
  const range: Range = { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY };
  const clauses = filter.trim().split(/\s+and\s+/i);
  for (const clause of clauses) {
    const m = /^\(?\s*([A-Za-z/]+)\s+(ge|gt|le|lt|eq)\s+(\S+?)\s*\)?$/i.exec(clause.trim());
    if (!m) return 'invalid';
    const [, property = '', op = '', literal = ''] = m;
    if (property !== timeProperty) return 'unsupported';
    const d = DATE_LITERAL.exec(literal);
    if (!d) return 'invalid';
    const ms = Date.parse(d[2] ? literal : `${literal}T00:00:00Z`);
    if (!Number.isFinite(ms)) return 'invalid';
    // Records carry milliseconds at most (sign-ins show seconds): gt/le move to the next millisecond.
    switch (op.toLowerCase()) {
      case 'ge': range.lo = Math.max(range.lo, ms); break;
      case 'gt': range.lo = Math.max(range.lo, ms + 1); break;
      case 'lt': range.hi = Math.min(range.hi, ms); break;
      case 'le': range.hi = Math.min(range.hi, ms + 1); break;
      default: return 'unsupported';
    }
  }
  return range;
}

// ---- paging cursors ----------------------------------------------------------------------------------------------

/** Opaque like Graph's: the position of the last record served (time, tie-break) and the collection it belongs to. */
function encodeCursor(kind: string, k: { ms: number; ord: number }): string {
  return Buffer.from(`SIMlog1|${kind}|${k.ms}|${k.ord}`).toString('base64url');
}

function decodeCursor(token: string, kind: string): { ms: number; ord: number } | undefined {
  const parts = Buffer.from(token, 'base64url').toString('utf8').split('|');
  if (parts.length !== 4 || parts[0] !== 'SIMlog1' || parts[1] !== kind) return undefined;
  const ms = Number(parts[2]);
  const ord = Number(parts[3]);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(ord) ? { ms, ord } : undefined;
}

function nextLink(ctx: RequestContext, state: IdentityState, token: string): string {
  const kept = ctx.url.search.slice(1).split('&').filter((part) => part && decodeURIComponent(part.split('=')[0] ?? '') !== '$skiptoken');
  kept.push(`$skiptoken=${token}`);
  return `${state.baseUrl()}${ctx.url.pathname}?${kept.join('&')}`;
}

interface PageQuery {
  top: number;
  select?: string[];
  after?: { ms: number; ord: number };
  filter?: string;
}

function parsePaging(ctx: RequestContext, kind: string, known: readonly string[], typeName: string, allowed: readonly string[]): PageQuery | undefined {
  const params = ctx.url.searchParams;
  for (const key of new Set(params.keys())) {
    if (key.startsWith('$') && !allowed.includes(key)) {
      sendGraphError(ctx, 400, 'Request_UnsupportedQuery', `The query option '${key}' is not supported on this resource.`);
      return undefined;
    }
  }
  const out: PageQuery = { top: LOGS_PAGE_SIZE };
  const top = params.get('$top');
  if (top !== null) {
    const n = /^\d+$/.test(top) ? Number(top) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > LOGS_PAGE_SIZE) {
      sendGraphError(ctx, 400, 'Request_UnsupportedQuery', `Invalid page size specified: '${top}'. Must be between 1 and ${LOGS_PAGE_SIZE} inclusive.`);
      return undefined;
    }
    out.top = n;
  }
  const select = params.get('$select');
  if (select !== null) {
    const names = select.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = names.find((n) => !known.includes(n));
    if (unknown !== undefined || names.length === 0) {
      sendGraphError(ctx, 400, 'BadRequest', `Could not find a property named '${unknown ?? ''}' on type '${typeName}'.`);
      return undefined;
    }
    out.select = [...new Set(names)];
  }
  const skiptoken = params.get('$skiptoken');
  if (skiptoken !== null) {
    const after = decodeCursor(skiptoken, kind);
    if (!after) {
      sendGraphError(ctx, 400, 'BadRequest', 'The $skiptoken is not valid for this request.');
      return undefined;
    }
    out.after = after;
  }
  const filter = params.get('$filter');
  if (filter !== null) out.filter = filter;
  return out;
}

function project(item: object, keys: readonly string[] | undefined): Record<string, unknown> {
  const source = item as Record<string, unknown>;
  if (!keys) return { ...source };
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = source[key];
  return out;
}

interface LogRoute {
  version: string;
  entitySet: string;
  timeProperty: string;
  typeName: string;
  /** Properties this version serves (undefined: all). */
  project: readonly string[] | undefined;
  /** Every property of the resource (what $select may name when `project` is undefined). */
  properties: readonly string[];
  referenceMs: number;
}

function serveLog<T extends object>(ctx: RequestContext, state: IdentityState, stream: SimLogStream<T>, route: LogRoute): void {
  const known = route.project ?? route.properties;
  const q = parsePaging(ctx, route.entitySet, known, route.typeName, ['$filter', '$top', '$select', '$skiptoken']);
  if (!q) return;
  let range: Range = { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY };
  if (q.filter !== undefined) {
    const parsed = parseTimeFilter(q.filter, route.timeProperty);
    if (parsed === 'invalid') return sendGraphError(ctx, 400, 'BadRequest', 'Invalid filter clause');
    if (parsed === 'unsupported') {
      return sendGraphError(ctx, 400, 'Request_UnsupportedQuery', `The simulator supports $filter on ${route.timeProperty} only (ge, gt, le, lt, joined by 'and').`);
    }
    range = parsed;
  }
  // P1/P2 retention: nothing older than 30 days before the tenant's "now" (the scenario's reference time) is served.
  const lo = Math.max(range.lo, route.referenceMs - GRAPH_RETENTION_DAYS * DAY);
  const page: Keyed<T>[] = [];
  let more = false;
  for (const k of stream.iterateKeyed(lo, range.hi, 'desc', q.after)) {
    if (page.length === q.top) {
      more = true;
      break;
    }
    page.push(k);
  }
  const keys = q.select ?? route.project;
  const body: Record<string, unknown> = {
    '@odata.context': `${state.baseUrl()}/${route.version}/$metadata#${route.entitySet}${q.select ? `(${q.select.join(',')})` : ''}`,
  };
  const last = page[page.length - 1];
  if (more && last) body['@odata.nextLink'] = nextLink(ctx, state, encodeCursor(route.entitySet, last));
  body.value = page.map((k) => project(k.record, keys));
  sendJson(ctx, 200, body);
}

// ---- the audit log query API (Microsoft Purview audit search through Graph) --------------------------------------------

export type AuditLogQueryStatus = 'notStarted' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface AuditLogQuery {
  id: string;
  displayName: string | null;
  filterStartDateTime: string;
  filterEndDateTime: string;
  recordTypeFilters: string[];
  keywordFilter: string | null;
  serviceFilters: string[];
  operationFilters: string[];
  userPrincipalNameFilters: string[];
  ipAddressFilters: string[];
  objectIdFilters: string[];
  administrativeUnitIdFilters: string[];
  status: AuditLogQueryStatus;
  approximateReturnedRecordCount: number | null;
  /** Polls seen: each GET moves the query one step (notStarted → running → succeeded), so tests never sleep. */
  polls: number;
}

/** Purview audit (Standard) keeps records 180 days. */
export const AUDIT_SEARCH_RETENTION_DAYS = 180;

function queryBody(q: AuditLogQuery): Record<string, unknown> {
  const { polls: _polls, ...rest } = q;
  return { '@odata.type': '#microsoft.graph.security.auditLogQuery', ...rest };
}

function stringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return undefined;
  return value as string[];
}

/** Search-UnifiedAuditLog record type names by their Graph (camelCase) auditLogRecordType names. */
function recordTypeName(graphName: string): string {
  return graphName.charAt(0).toUpperCase() + graphName.slice(1);
}

function graphRecordType(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

async function createQuery(ctx: RequestContext, state: IdentityState, service: LogsService, version: string): Promise<void> {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readBody(ctx.req));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    return sendGraphError(ctx, 400, 'BadRequest', 'The request body is not a valid auditLogQuery JSON object.');
  }
  const start = typeof body.filterStartDateTime === 'string' ? Date.parse(body.filterStartDateTime) : NaN;
  const end = typeof body.filterEndDateTime === 'string' ? Date.parse(body.filterEndDateTime) : NaN;
  if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) {
    return sendGraphError(ctx, 400, 'BadRequest', 'filterStartDateTime and filterEndDateTime must be DateTimeOffset values with start before end.');
  }
  const lists = {
    recordTypeFilters: stringList(body.recordTypeFilters), serviceFilters: stringList(body.serviceFilters ?? (typeof body.serviceFilter === 'string' ? [body.serviceFilter] : [])),
    operationFilters: stringList(body.operationFilters), userPrincipalNameFilters: stringList(body.userPrincipalNameFilters),
    ipAddressFilters: stringList(body.ipAddressFilters), objectIdFilters: stringList(body.objectIdFilters), administrativeUnitIdFilters: stringList(body.administrativeUnitIdFilters),
  };
  for (const [name, value] of Object.entries(lists)) {
    if (!value) return sendGraphError(ctx, 400, 'BadRequest', `The property '${name}' must be a collection of strings.`);
  }
  const query: AuditLogQuery = {
    id: randomUUID(),
    displayName: typeof body.displayName === 'string' ? body.displayName : null,
    filterStartDateTime: new Date(start).toISOString().replace('.000Z', 'Z'),
    filterEndDateTime: new Date(end).toISOString().replace('.000Z', 'Z'),
    recordTypeFilters: lists.recordTypeFilters ?? [],
    keywordFilter: typeof body.keywordFilter === 'string' ? body.keywordFilter : null,
    serviceFilters: lists.serviceFilters ?? [],
    operationFilters: lists.operationFilters ?? [],
    userPrincipalNameFilters: lists.userPrincipalNameFilters ?? [],
    ipAddressFilters: lists.ipAddressFilters ?? [],
    objectIdFilters: lists.objectIdFilters ?? [],
    administrativeUnitIdFilters: lists.administrativeUnitIdFilters ?? [],
    status: 'notStarted',
    approximateReturnedRecordCount: null,
    polls: 0,
  };
  service.queries.set(query.id, query);
  sendJson(ctx, 201, { '@odata.context': `${state.baseUrl()}/${version}/$metadata#security/auditLog/queries/$entity`, ...queryBody(query) },
    undefined, { Location: `${state.baseUrl()}/${version}/security/auditLog/queries/${query.id}` });
}

interface ParsedAuditData {
  Id?: string;
  Operation?: string;
  OrganizationId?: string;
  UserType?: number;
  UserId?: string;
  UserKey?: string;
  Workload?: string;
  ObjectId?: string;
  ClientIP?: string;
  ActorIpAddress?: string;
  [key: string]: unknown;
}

function clientIpOf(data: ParsedAuditData): string {
  const raw = data.ClientIP ?? data.ActorIpAddress ?? '';
  // ExchangeAdmin writes `ip:port` (IPv6 as `[ip]:port`); the Graph record carries the bare address.
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(raw);
  if (v4?.[1]) return v4[1];
  const v6 = /^\[([0-9a-fA-F:]+)\]:\d+$/.exec(raw);
  return v6?.[1] ?? raw;
}

function queryMatcher(q: AuditLogQuery): (r: UnifiedAuditRecord) => ParsedAuditData | undefined {
  const types = new Set(q.recordTypeFilters.map(recordTypeName));
  const ops = new Set(q.operationFilters.map((o) => o.toLowerCase()));
  const upns = new Set(q.userPrincipalNameFilters.map((u) => u.toLowerCase()));
  const ips = new Set(q.ipAddressFilters);
  const objects = new Set(q.objectIdFilters.map((o) => o.toLowerCase()));
  const services = new Set(q.serviceFilters.map((s) => s.toLowerCase()));
  const keyword = q.keywordFilter?.toLowerCase();
  return (r) => {
    if (types.size > 0 && !types.has(r.RecordType)) return undefined;
    if (ops.size > 0 && !ops.has(r.Operations.toLowerCase())) return undefined;
    if (upns.size > 0 && !upns.has(r.UserIds.toLowerCase())) return undefined;
    if (keyword && !r.AuditData.toLowerCase().includes(keyword)) return undefined;
    const data = JSON.parse(r.AuditData) as ParsedAuditData;
    if (ips.size > 0 && !ips.has(clientIpOf(data))) return undefined;
    if (objects.size > 0 && !objects.has(String(data.ObjectId ?? '').toLowerCase())) return undefined;
    if (services.size > 0 && !services.has(String(data.Workload ?? '').toLowerCase())) return undefined;
    return data;
  };
}

function queryRange(q: AuditLogQuery, store: SimLogStore): Range {
  return { lo: Math.max(Date.parse(q.filterStartDateTime), store.referenceMs - AUDIT_SEARCH_RETENTION_DAYS * DAY), hi: Date.parse(q.filterEndDateTime) };
}

/** Scanning every record is exact but slow on a huge tenant; beyond this the count is the unfiltered one (Graph calls it approximate). */
const EXACT_COUNT_LIMIT = 100_000;

function advance(q: AuditLogQuery, store: SimLogStore): void {
  q.polls++;
  if (q.status === 'notStarted') {
    q.status = 'running';
    return;
  }
  if (q.status !== 'running') return;
  const { lo, hi } = queryRange(q, store);
  const total = store.unifiedAudit.count(lo, hi);
  if (total <= EXACT_COUNT_LIMIT) {
    const match = queryMatcher(q);
    let n = 0;
    for (const r of store.unifiedAudit.iterate(lo, hi, 'asc')) if (match(r)) n++;
    q.approximateReturnedRecordCount = n;
  } else {
    q.approximateReturnedRecordCount = total;
  }
  q.status = 'succeeded';
}

const USER_TYPES = ['regular', 'reserved', 'admin', 'dcAdmin', 'system', 'application', 'servicePrincipal', 'customPolicy', 'systemPolicy', 'partnerTechnician', 'guest'];

/** An auditLogRecord as `GET /security/auditLog/queries/{id}/records` returns it. */
export function auditLogRecord(r: UnifiedAuditRecord, data: ParsedAuditData): Record<string, unknown> {
  const userId = String(data.UserId ?? r.UserIds);
  return {
    '@odata.type': '#microsoft.graph.security.auditLogRecord',
    id: r.Identity,
    createdDateTime: r.CreationDate,
    auditLogRecordType: graphRecordType(r.RecordType),
    operation: String(data.Operation ?? r.Operations),
    organizationId: String(data.OrganizationId ?? ''),
    userType: USER_TYPES[Number(data.UserType ?? 0)] ?? 'regular',
    userId,
    service: String(data.Workload ?? ''),
    objectId: String(data.ObjectId ?? ''),
    userPrincipalName: userId,
    clientIp: clientIpOf(data),
    administrativeUnits: [],
    auditData: { '@odata.type': '#microsoft.graph.security.defaultAuditData', ...data },
  };
}

function serveRecords(ctx: RequestContext, state: IdentityState, store: SimLogStore, q: AuditLogQuery, version: string): void {
  const kind = `queries/${q.id}`;
  const known = ['id', 'createdDateTime', 'auditLogRecordType', 'operation', 'organizationId', 'userType', 'userId', 'service', 'objectId', 'userPrincipalName', 'clientIp', 'administrativeUnits', 'auditData'];
  const paging = parsePaging(ctx, kind, known, 'microsoft.graph.security.auditLogRecord', ['$top', '$select', '$skiptoken']);
  if (!paging) return;
  const { lo, hi } = queryRange(q, store);
  const match = queryMatcher(q);
  const page: { k: Keyed<UnifiedAuditRecord>; data: ParsedAuditData }[] = [];
  let more = false;
  // Oldest first: a query's records come back in the order the search found them.
  for (const k of store.unifiedAudit.iterateKeyed(lo, hi, 'asc', paging.after)) {
    const data = match(k.record);
    if (!data) continue;
    if (page.length === paging.top) {
      more = true;
      break;
    }
    page.push({ k, data });
  }
  const body: Record<string, unknown> = {
    '@odata.context': `${state.baseUrl()}/${version}/$metadata#security/auditLog/queries('${q.id}')/records${paging.select ? `(${paging.select.join(',')})` : ''}`,
  };
  const last = page[page.length - 1];
  if (more && last) body['@odata.nextLink'] = nextLink(ctx, state, encodeCursor(kind, last.k));
  body.value = page.map((p) => {
    const full = auditLogRecord(p.k.record, p.data);
    return paging.select ? project(full, paging.select) : full;
  });
  sendJson(ctx, 200, body);
}

