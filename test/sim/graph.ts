// Test tooling (Node): the simulator's Microsoft Graph routes (v1.0 and beta), with token checks, permission checks, OData paging, $select, $filter and writes.
import { sendGraphError, sendJson, type RequestContext } from './http';
import { verifyJwt, type JwtClaims } from './jwt';
import type { IdentityState } from './identity';
import { USER_DEFAULT_PROPERTIES } from './graph-types';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from './wellknown';
// The directory modules import this one's helpers: they export route builders, called on first use, so the cycle is harmless.
import { directoryReadRoutes } from './directory/routes';
import { directoryWriteRoutes } from './directory/writes';
import { directoryHardeningRoutes } from './directory/hardening';

export interface GraphOptions {
  pageSizeDefault: number;
}

const MAX_PAGE_SIZE = 999;

export interface Caller {
  claims: JwtClaims;
  delegated: boolean;
  scopes: Set<string>;
  roles: Set<string>;
}

/** Delegated and application permissions that each allow a call, least-privileged first, as the Graph reference lists them. */
export interface PermissionSet {
  delegated: readonly string[];
  application: readonly string[];
}

function both(...values: string[]): PermissionSet {
  return { delegated: values, application: values };
}

const ACCESS_AS_USER = 'Directory.AccessAsUser.All';

/** Least-privileged permissions first, as the Graph reference lists them (checked against learn.microsoft.com). */
export const PERMISSIONS = {
  directoryApps: {
    delegated: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', ACCESS_AS_USER],
    application: ['Application.Read.All', 'Application.ReadWrite.OwnedBy', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  },
  organization: {
    delegated: ['User.Read', 'Organization.Read.All', 'Directory.Read.All', 'Organization.ReadWrite.All', 'Directory.ReadWrite.All', ACCESS_AS_USER],
    application: ['Organization.Read.All', 'Directory.Read.All', 'Organization.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  me: {
    delegated: ['User.Read', 'User.ReadWrite', 'User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', ACCESS_AS_USER],
    application: [],
  },
  users: {
    delegated: ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', ACCESS_AS_USER],
    application: ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  },
  registrationDetails: both('AuditLog.Read.All'),
  conditionalAccess: both('Policy.Read.All', 'Policy.Read.ConditionalAccess', 'Policy.ReadWrite.ConditionalAccess'),
  securityDefaults: both('Policy.Read.All', 'Policy.ReadWrite.SecurityDefaults', 'Policy.ReadWrite.ConditionalAccess'),
  directoryRoles: both('RoleManagement.Read.Directory', 'Directory.Read.All', 'RoleManagement.ReadWrite.Directory', 'Directory.ReadWrite.All'),
  roleAssignments: both('RoleManagement.Read.Directory', 'RoleManagement.Read.All', 'Directory.Read.All', 'RoleManagement.ReadWrite.Directory', 'Directory.ReadWrite.All'),
  appRoleAssignments: both('Application.Read.All', 'Directory.Read.All', 'AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All'),
  permissionGrants: both('DelegatedPermissionGrant.Read.All', 'Directory.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All'),
  // Writes.
  applicationWrite: { delegated: ['Application.ReadWrite.All', ACCESS_AS_USER], application: ['Application.ReadWrite.All'] },
  servicePrincipalWrite: { delegated: ['Application.ReadWrite.All', 'Directory.ReadWrite.All', ACCESS_AS_USER], application: ['Application.ReadWrite.All', 'Directory.ReadWrite.All'] },
  appRoleAssignmentWrite: { delegated: ['AppRoleAssignment.ReadWrite.All', ACCESS_AS_USER], application: ['AppRoleAssignment.ReadWrite.All'] },
  permissionGrantWrite: { delegated: ['DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All', ACCESS_AS_USER], application: ['DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All'] },
  roleAssignmentWrite: both('RoleManagement.ReadWrite.Directory'),
  revokeSessions: { delegated: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All', ACCESS_AS_USER], application: ['User.RevokeSessions.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'] },
  // User.ReadWrite.All does not cover passwordProfile (Graph answers 403): only these do.
  passwordProfile: { delegated: ['User-PasswordProfile.ReadWrite.All', ACCESS_AS_USER], application: ['User-PasswordProfile.ReadWrite.All'] },
  userWrite: { delegated: ['User.ReadWrite.All', 'Directory.ReadWrite.All', ACCESS_AS_USER], application: ['User.ReadWrite.All', 'Directory.ReadWrite.All'] },
  securityDefaultsWrite: both('Policy.ReadWrite.SecurityDefaults', 'Policy.ReadWrite.ConditionalAccess'),
  conditionalAccessWrite: both('Policy.ReadWrite.ConditionalAccess'),
} as const satisfies Record<string, PermissionSet>;

/** Checks the bearer token; sends the 401 and returns undefined when it is missing or invalid. */
export function authenticate(ctx: RequestContext, state: IdentityState): Caller | undefined {
  const challenge = {
    'WWW-Authenticate': `Bearer realm="", authorization_uri="${state.baseUrl()}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
  };
  const header = ctx.req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) {
    sendGraphError(ctx, 401, 'InvalidAuthenticationToken', 'Access token is empty.', challenge);
    return undefined;
  }
  const check = verifyJwt(match[1], state.signingKey, Math.floor(ctx.nowMs / 1000));
  if (!check.ok) {
    const message = {
      malformed: 'IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact Serialization Format.',
      signature: 'Access token validation failure. Invalid signature.',
      expired: 'Lifetime validation failed, the token is expired.',
      'not-yet-valid': 'Lifetime validation failed, the token is not yet valid.',
    }[check.reason];
    sendGraphError(ctx, 401, 'InvalidAuthenticationToken', message, challenge);
    return undefined;
  }
  const { claims } = check;
  const aud = typeof claims.aud === 'string' ? claims.aud.replace(/\/$/, '') : '';
  if (aud !== GRAPH_RESOURCE && aud !== GRAPH_APP_ID) {
    sendGraphError(ctx, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.', challenge);
    return undefined;
  }
  if (claims.tid !== state.tenant.tenantId) {
    sendGraphError(ctx, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid issuer.', challenge);
    return undefined;
  }
  const scp = typeof claims.scp === 'string' ? claims.scp : '';
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  return { claims, delegated: claims.idtyp !== 'app', scopes: new Set(scp.split(' ').filter(Boolean)), roles: new Set(roles) };
}

export function permitted(caller: Caller, set: PermissionSet): boolean {
  const needed: readonly string[] = caller.delegated ? set.delegated : set.application;
  const held = caller.delegated ? caller.scopes : caller.roles;
  return needed.some((p) => held.has(p));
}

export function denied(ctx: RequestContext): void {
  sendGraphError(ctx, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

export function notFound(ctx: RequestContext, id: string): void {
  sendGraphError(ctx, 404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
}

// ---- query options -------------------------------------------------------------

interface QueryOk {
  ok: true;
  select?: string[];
  top?: number;
  offset: number;
  filter?: { property: string; value: string | boolean };
  expand?: string;
}
type QueryCheck = QueryOk | { ok: false };

export interface QueryRules {
  /** Properties $select and $filter may name. */
  known: readonly string[];
  typeName: string;
  collection: boolean;
  /** Navigation properties $expand may name. */
  expandable?: readonly string[];
  /** Whether `$filter=<property> eq <value>` is accepted. */
  filterable?: boolean;
}

function parseQuery(ctx: RequestContext, entitySet: string, rules: QueryRules): QueryCheck {
  const params = ctx.url.searchParams;
  const result: QueryOk = { ok: true, offset: 0 };
  const supported = [
    '$select',
    ...(rules.collection ? ['$top', '$skiptoken'] : []),
    ...(rules.expandable?.length ? ['$expand'] : []),
    ...(rules.collection && rules.filterable ? ['$filter'] : []),
  ];
  for (const key of new Set(params.keys())) {
    if (!key.startsWith('$')) continue;
    if (!supported.includes(key)) {
      sendGraphError(ctx, 400, 'Request_UnsupportedQuery', `The simulator does not implement the query option '${key}' on this resource yet.`);
      return { ok: false };
    }
  }
  const select = params.get('$select');
  if (select !== null) {
    const names = select.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = names.find((n) => !rules.known.includes(n) && !rules.expandable?.includes(n));
    if (unknown || names.length === 0) {
      sendGraphError(ctx, 400, 'BadRequest', `Could not find a property named '${unknown ?? ''}' on type '${rules.typeName}'.`);
      return { ok: false };
    }
    result.select = [...new Set(names)];
  }
  const top = params.get('$top');
  if (top !== null) {
    const n = /^\d+$/.test(top) ? Number(top) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
      sendGraphError(ctx, 400, 'Request_UnsupportedQuery', `Invalid page size specified: '${top}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`);
      return { ok: false };
    }
    result.top = n;
  }
  const expand = params.get('$expand');
  if (expand !== null) {
    if (!rules.expandable?.includes(expand.trim())) {
      sendGraphError(ctx, 400, 'BadRequest', `Could not find a property named '${expand}' on type '${rules.typeName}'.`);
      return { ok: false };
    }
    result.expand = expand.trim();
  }
  const filter = params.get('$filter');
  if (filter !== null) {
    // The one shape collectors use on directory collections: a property equal to a quoted string, a GUID or a boolean.
    const m = /^\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false))\s*$/.exec(filter);
    if (!m?.[1] || !rules.known.includes(m[1])) {
      sendGraphError(ctx, 400, 'BadRequest', `Invalid filter clause: the simulator supports '<property> eq <value>' on this resource, got '${filter}'.`);
      return { ok: false };
    }
    result.filter = { property: m[1], value: m[3] !== undefined ? m[3] === 'true' : (m[2] ?? '').replace(/''/g, "'") };
  }
  const skiptoken = params.get('$skiptoken');
  if (skiptoken !== null) {
    const offset = decodeSkipToken(skiptoken, entitySet);
    if (offset === undefined) {
      sendGraphError(ctx, 400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
      return { ok: false };
    }
    result.offset = offset;
  }
  return result;
}

// Opaque to clients, like Graph's; it carries the collection so a token cannot be replayed on another one.
function encodeSkipToken(entitySet: string, offset: number): string {
  return Buffer.from(`SIMv1|${entitySet}|${offset}`).toString('base64url');
}

function decodeSkipToken(token: string, entitySet: string): number | undefined {
  const parts = Buffer.from(token, 'base64url').toString('utf8').split('|');
  if (parts.length !== 3 || parts[0] !== 'SIMv1' || parts[1] !== entitySet || !/^\d+$/.test(parts[2] ?? '')) return undefined;
  return Number(parts[2]);
}

function project(item: object, select: readonly string[] | undefined, defaults?: readonly string[]): Record<string, unknown> {
  const source = item as Record<string, unknown>;
  const keys = select ?? defaults;
  if (!keys) return { ...source };
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = source[key];
  return out;
}

function contextUrl(state: IdentityState, version: string, entitySet: string, select: string[] | undefined, entity: boolean): string {
  return `${state.baseUrl()}/${version}/$metadata#${entitySet}${select ? `(${select.join(',')})` : ''}${entity ? '/$entity' : ''}`;
}

export interface CollectionOptions {
  typeName: string;
  /** Properties served without $select (users); all properties when absent. */
  defaults?: readonly string[];
  /** All properties of the type, when the items may be empty or projected. */
  known?: readonly string[];
  filterable?: boolean;
  expandable?: Record<string, (item: object) => unknown>;
}

export function sendCollection(ctx: RequestContext, state: IdentityState, options: GraphOptions, version: string, entitySet: string, items: readonly object[], typeOrOptions: string | CollectionOptions): void {
  const o: CollectionOptions = typeof typeOrOptions === 'string' ? { typeName: typeOrOptions } : typeOrOptions;
  const known = o.known ?? (items[0] ? Object.keys(items[0]) : []);
  const expandable = o.expandable ? Object.keys(o.expandable) : undefined;
  const q = parseQuery(ctx, entitySet, { known, typeName: o.typeName, collection: true, filterable: o.filterable ?? false, ...(expandable ? { expandable } : {}) });
  if (!q.ok) return;
  const filter = q.filter;
  const matching = filter
    ? items.filter((item) => {
      const v = (item as Record<string, unknown>)[filter.property];
      return typeof v === 'string' && typeof filter.value === 'string' ? v.toLowerCase() === filter.value.toLowerCase() : v === filter.value;
    })
    : items;
  const size = q.top ?? options.pageSizeDefault;
  const expander = q.expand ? o.expandable?.[q.expand] : undefined;
  const page = matching.slice(q.offset, q.offset + size).map((item) => {
    const out = project(item, q.select?.filter((k) => k !== q.expand), o.defaults);
    if (q.expand && expander) out[q.expand] = expander(item);
    return out;
  });
  const body: Record<string, unknown> = { '@odata.context': contextUrl(state, version, entitySet, q.select, false) };
  if (q.offset + size < matching.length) {
    // Keep the caller's other options as they wrote them; Graph's nextLink does the same.
    const kept = ctx.url.search.slice(1).split('&').filter((part) => part && decodeURIComponent(part.split('=')[0] ?? '') !== '$skiptoken');
    kept.push(`$skiptoken=${encodeSkipToken(entitySet, q.offset + size)}`);
    body['@odata.nextLink'] = `${state.baseUrl()}${ctx.url.pathname}?${kept.join('&')}`;
  }
  body.value = page;
  sendJson(ctx, 200, body);
}

export function sendEntity(ctx: RequestContext, state: IdentityState, version: string, entitySet: string, item: object, typeName: string, defaults?: readonly string[]): void {
  const q = parseQuery(ctx, entitySet, { known: Object.keys(item), typeName, collection: false });
  if (!q.ok) return;
  sendJson(ctx, 200, { '@odata.context': contextUrl(state, version, entitySet, q.select, true), ...project(item, q.select, defaults) });
}

/** 204 No Content, as Graph answers a successful DELETE, PATCH or action without a body. */
export function sendNoContent(ctx: RequestContext): void {
  ctx.res.writeHead(204);
  ctx.res.end();
}

// ---- routes --------------------------------------------------------------------

export interface GraphCall {
  ctx: RequestContext;
  state: IdentityState;
  options: GraphOptions;
  version: 'v1.0' | 'beta';
  caller: Caller;
  /** Values of the `{…}` segments, in order. */
  params: string[];
}

export interface GraphRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Segments after the version; `{}` matches any one segment. Literal segments match case-insensitively, as Graph's do. */
  path: string;
  permissions: PermissionSet;
  delegatedOnly?: boolean;
  run(call: GraphCall): void | Promise<void>;
}

// Only these properties are readable with User.Read; Graph returns the others as null.
const ORGANIZATION_BASIC = new Set(['id', 'displayName', 'verifiedDomains']);

const coreRoutes = (): GraphRoute[] => [
  ...(['applications', 'servicePrincipals'] as const).flatMap((set): GraphRoute[] => {
    const typeName = set === 'applications' ? 'microsoft.graph.application' : 'microsoft.graph.servicePrincipal';
    const items = (s: IdentityState): readonly ({ id: string } & object)[] => (set === 'applications' ? s.tenant.applications : s.tenant.servicePrincipals);
    return [
      { method: 'GET', path: set, permissions: PERMISSIONS.directoryApps, run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, set, items(c.state), { typeName, filterable: true }) },
      {
        method: 'GET', path: `${set}/{}`, permissions: PERMISSIONS.directoryApps,
        run: (c) => {
          const id = (c.params[0] ?? '').toLowerCase();
          const item = items(c.state).find((i) => i.id === id);
          if (!item) return notFound(c.ctx, c.params[0] ?? '');
          sendEntity(c.ctx, c.state, c.version, set, item, typeName);
        },
      },
    ];
  }),
  ...(['organization', 'organization/{}'] as const).map((path): GraphRoute => ({
    method: 'GET', path, permissions: PERMISSIONS.organization,
    run: (c) => {
      const tenant = c.state.tenant;
      const id = c.params[0];
      if (id !== undefined && id.toLowerCase() !== tenant.tenantId) return notFound(c.ctx, id);
      const full = c.caller.delegated
        ? ['Organization.Read.All', 'Directory.Read.All', 'Organization.ReadWrite.All', 'Directory.ReadWrite.All', ACCESS_AS_USER].some((s) => c.caller.scopes.has(s))
        : true;
      const org = full ? tenant.organization : Object.fromEntries(Object.entries(tenant.organization).map(([k, v]) => [k, ORGANIZATION_BASIC.has(k) ? v : null]));
      if (id !== undefined) return sendEntity(c.ctx, c.state, c.version, 'organization', org, 'microsoft.graph.organization');
      sendCollection(c.ctx, c.state, c.options, c.version, 'organization', [org], 'microsoft.graph.organization');
    },
  })),
  {
    method: 'GET', path: 'me', permissions: PERMISSIONS.me, delegatedOnly: true,
    run: (c) => {
      const user = c.state.findUser(String(c.caller.claims.oid));
      if (!user) return notFound(c.ctx, String(c.caller.claims.oid));
      sendEntity(c.ctx, c.state, c.version, 'users', user, 'microsoft.graph.user', USER_DEFAULT_PROPERTIES);
    },
  },
];

let splitRoutes: { route: GraphRoute; parts: string[] }[] | undefined;

function routes(): { route: GraphRoute; parts: string[] }[] {
  splitRoutes ??= [...coreRoutes(), ...directoryReadRoutes(), ...directoryWriteRoutes(), ...directoryHardeningRoutes()].map((route) => ({ route, parts: route.path.split('/') }));
  return splitRoutes;
}

function matchRoutes(segments: readonly string[]): { route: GraphRoute; params: string[] }[] {
  const out: { route: GraphRoute; params: string[] }[] = [];
  for (const { route, parts } of routes()) {
    if (parts.length !== segments.length) continue;
    const params: string[] = [];
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const part = parts[i] ?? '';
      const seg = segments[i] ?? '';
      if (part === '{}') params.push(seg);
      else ok = part.toLowerCase() === seg.toLowerCase();
    }
    if (ok) out.push({ route, params });
  }
  return out;
}

/** The first segment no route knows, for Graph's "Resource not found for the segment" message. */
function unknownSegment(segments: readonly string[]): string {
  for (let n = segments.length; n > 0; n--) {
    const prefix = segments.slice(0, n);
    const known = routes().some(({ parts }) => parts.length >= n && prefix.every((seg, i) => parts[i] === '{}' || parts[i]?.toLowerCase() === seg.toLowerCase()));
    if (known) return segments[n] ?? segments[n - 1] ?? '';
  }
  return segments[0] ?? '';
}

/** Routes `/{version}/...`. Resolves after sending exactly one response. */
export async function handleGraph(ctx: RequestContext, state: IdentityState, options: GraphOptions, version: 'v1.0' | 'beta', segments: string[]): Promise<void> {
  const caller = authenticate(ctx, state);
  if (!caller) return;
  const matches = matchRoutes(segments);
  if (matches.length === 0) return sendGraphError(ctx, 404, 'ResourceNotFound', `Resource not found for the segment '${unknownSegment(segments)}'.`);
  const match = matches.find((m) => m.route.method === ctx.req.method);
  if (!match) {
    const allow = [...new Set(matches.map((m) => m.route.method))].join(', ');
    return sendGraphError(ctx, 405, 'MethodNotAllowed', `The simulator does not implement ${ctx.req.method ?? ''} on this resource.`, { Allow: allow });
  }
  if (match.route.delegatedOnly && !caller.delegated) {
    return sendGraphError(ctx, 400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
  if (!permitted(caller, match.route.permissions)) return denied(ctx);
  await match.route.run({ ctx, state, options, version, caller, params: match.params });
}
