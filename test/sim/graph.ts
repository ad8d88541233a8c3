// Test tooling (Node): the simulator's Microsoft Graph routes (v1.0 and beta), with token checks, permission checks, OData paging and $select.
import { sendGraphError, sendJson, type RequestContext } from './http';
import { verifyJwt, type JwtClaims } from './jwt';
import type { IdentityState } from './identity';
import { USER_DEFAULT_PROPERTIES } from './graph-types';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from './wellknown';

export interface GraphOptions {
  pageSizeDefault: number;
}

const MAX_PAGE_SIZE = 999;

interface Caller {
  claims: JwtClaims;
  delegated: boolean;
  scopes: Set<string>;
  roles: Set<string>;
}

/** Least-privileged permissions first, as the Graph reference lists them. */
const PERMISSIONS = {
  directoryApps: {
    delegated: ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['Application.Read.All', 'Application.ReadWrite.OwnedBy', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
  },
  organization: {
    delegated: ['User.Read', 'Organization.Read.All', 'Directory.Read.All', 'Organization.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: ['Organization.Read.All', 'Directory.Read.All', 'Organization.ReadWrite.All', 'Directory.ReadWrite.All'],
  },
  me: {
    delegated: ['User.Read', 'User.ReadWrite', 'User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'],
    application: [],
  },
} as const;

type PermissionSet = (typeof PERMISSIONS)[keyof typeof PERMISSIONS];

function authenticate(ctx: RequestContext, state: IdentityState): Caller | undefined {
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

function permitted(caller: Caller, set: PermissionSet): boolean {
  const needed: readonly string[] = caller.delegated ? set.delegated : set.application;
  const held = caller.delegated ? caller.scopes : caller.roles;
  return needed.some((p) => held.has(p));
}

function denied(ctx: RequestContext): void {
  sendGraphError(ctx, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

// ---- query options -------------------------------------------------------------

type QueryCheck = { ok: true; select?: string[]; top?: number; offset: number } | { ok: false };

function parseQuery(ctx: RequestContext, entitySet: string, knownProperties: readonly string[], typeName: string, collection: boolean): QueryCheck {
  const params = ctx.url.searchParams;
  const result: { ok: true; select?: string[]; top?: number; offset: number } = { ok: true, offset: 0 };
  for (const key of new Set(params.keys())) {
    if (!key.startsWith('$')) continue;
    const supported = collection ? ['$select', '$top', '$skiptoken'] : ['$select'];
    if (!supported.includes(key)) {
      sendGraphError(ctx, 400, 'Request_UnsupportedQuery', `The simulator does not implement the query option '${key}' on this resource yet.`);
      return { ok: false };
    }
  }
  const select = params.get('$select');
  if (select !== null) {
    const names = select.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = names.find((n) => !knownProperties.includes(n));
    if (unknown || names.length === 0) {
      sendGraphError(ctx, 400, 'BadRequest', `Could not find a property named '${unknown ?? ''}' on type '${typeName}'.`);
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

function sendCollection(ctx: RequestContext, state: IdentityState, options: GraphOptions, version: string, entitySet: string, items: readonly object[], typeName: string): void {
  const known = items[0] ? Object.keys(items[0]) : [];
  const q = parseQuery(ctx, entitySet, known, typeName, true);
  if (!q.ok) return;
  const size = q.top ?? options.pageSizeDefault;
  const page = items.slice(q.offset, q.offset + size).map((item) => project(item, q.select));
  const body: Record<string, unknown> = { '@odata.context': contextUrl(state, version, entitySet, q.select, false) };
  if (q.offset + size < items.length) {
    // Keep the caller's other options as they wrote them; Graph's nextLink does the same.
    const kept = ctx.url.search.slice(1).split('&').filter((part) => part && decodeURIComponent(part.split('=')[0] ?? '') !== '$skiptoken');
    kept.push(`$skiptoken=${encodeSkipToken(entitySet, q.offset + size)}`);
    body['@odata.nextLink'] = `${state.baseUrl()}${ctx.url.pathname}?${kept.join('&')}`;
  }
  body.value = page;
  sendJson(ctx, 200, body);
}

function sendEntity(ctx: RequestContext, state: IdentityState, version: string, entitySet: string, item: object, typeName: string, defaults?: readonly string[]): void {
  const q = parseQuery(ctx, entitySet, Object.keys(item), typeName, false);
  if (!q.ok) return;
  sendJson(ctx, 200, { '@odata.context': contextUrl(state, version, entitySet, q.select, true), ...project(item, q.select, defaults) });
}

// Only these properties are readable with User.Read; Graph returns the others as null.
const ORGANIZATION_BASIC = new Set(['id', 'displayName', 'verifiedDomains']);

/** Routes `/{version}/...`. Returns after sending exactly one response. */
export function handleGraph(ctx: RequestContext, state: IdentityState, options: GraphOptions, version: 'v1.0' | 'beta', segments: string[]): void {
  const caller = authenticate(ctx, state);
  if (!caller) return;
  const [first, second, ...rest] = segments;
  const tenant = state.tenant;
  const route = ((): { set: PermissionSet; run: () => void } | 'not-found' => {
    if (rest.length > 0 || !first) return 'not-found';
    switch (first) {
      case 'applications':
      case 'servicePrincipals': {
        const items: readonly ({ id: string } & object)[] = first === 'applications' ? tenant.applications : tenant.servicePrincipals;
        const typeName = first === 'applications' ? 'microsoft.graph.application' : 'microsoft.graph.servicePrincipal';
        if (second === undefined) return { set: PERMISSIONS.directoryApps, run: () => sendCollection(ctx, state, options, version, first, items, typeName) };
        return {
          set: PERMISSIONS.directoryApps,
          run: () => {
            const item = items.find((i) => i.id === second.toLowerCase());
            if (!item) return sendGraphError(ctx, 404, 'Request_ResourceNotFound', `Resource '${second}' does not exist or one of its queried reference-property objects are not present.`);
            sendEntity(ctx, state, version, first, item, typeName);
          },
        };
      }
      case 'organization': {
        if (second !== undefined && second.toLowerCase() !== tenant.tenantId) return 'not-found';
        return {
          set: PERMISSIONS.organization,
          run: () => {
            const full = caller.delegated
              ? ['Organization.Read.All', 'Directory.Read.All', 'Organization.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'].some((s) => caller.scopes.has(s))
              : true;
            const org = full ? tenant.organization : Object.fromEntries(Object.entries(tenant.organization).map(([k, v]) => [k, ORGANIZATION_BASIC.has(k) ? v : null]));
            if (second !== undefined) return sendEntity(ctx, state, version, 'organization', org, 'microsoft.graph.organization');
            sendCollection(ctx, state, options, version, 'organization', [org], 'microsoft.graph.organization');
          },
        };
      }
      case 'me': {
        if (second !== undefined) return 'not-found';
        return {
          set: PERMISSIONS.me,
          run: () => {
            const user = tenant.users.find((u) => u.id === caller.claims.oid);
            if (!user) return sendGraphError(ctx, 404, 'Request_ResourceNotFound', `Resource '${String(caller.claims.oid)}' does not exist or one of its queried reference-property objects are not present.`);
            sendEntity(ctx, state, version, 'users', user, 'microsoft.graph.user', USER_DEFAULT_PROPERTIES);
          },
        };
      }
      default:
        return 'not-found';
    }
  })();

  if (route === 'not-found') {
    const known = ['applications', 'servicePrincipals', 'organization', 'me'];
    const segment = !first || !known.includes(first) ? (first ?? '') : (rest[0] ?? second ?? first);
    return sendGraphError(ctx, 404, 'ResourceNotFound', `Resource not found for the segment '${segment}'.`);
  }
  if (ctx.req.method !== 'GET') {
    return sendGraphError(ctx, 405, 'MethodNotAllowed', `The simulator does not implement ${ctx.req.method ?? ''} on this resource.`, { Allow: 'GET' });
  }
  if (first === 'me' && !caller.delegated) {
    return sendGraphError(ctx, 400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
  if (!permitted(caller, route.set)) return denied(ctx);
  route.run();
}
