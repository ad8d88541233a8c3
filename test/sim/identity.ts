// Test tooling (Node): the simulator's Entra ID endpoints: OpenID discovery, instance discovery, device code, token (device code, authorization code with PKCE, refresh, client credentials).
import { randomBytes, randomInt, createHash, timingSafeEqual, constants as cryptoConstants, verify as verifySignature, X509Certificate } from 'node:crypto';
import { sendJson, sendOAuthError, readForm, AAD_CONTENT_TYPE, type RequestContext } from './http';
import { signJwt } from './jwt';
import { userRoleTemplateIds, type Tenant } from './scenario';
import type { GraphServicePrincipal, GraphUser } from './graph-types';
import type { GraphDirectoryAudit } from './logs/types';
import type { Faults } from './faults';
import { EXCHANGE_APP_ID, EXCHANGE_RESOURCE, GRAPH_APP_ID, GRAPH_RESOURCE } from './wellknown';
import { CONSENT_AS_ADMIN, consentedScopes, decideSignIn, resourceSp, type ConsentAnswer, type ConsentNeed, type Refusal } from './consent';

export interface IdentityOptions {
  /** Lifetime of a device code; 900 s as Entra, shorter in tests of expiry. */
  deviceCodeLifetimeSeconds: number;
  accessTokenLifetimeSeconds: number;
  /** Seconds MSAL waits between polls. */
  pollingIntervalSeconds: number;
}

interface DeviceCodeEntry {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  expiresAtMs: number;
  approvedUserId?: string;
  /** Set when the sign-in page refused (Conditional Access, consent): the next poll answers with it. */
  refusal?: Refusal;
  redeemed: boolean;
}

/** An authorization code issued at the authorize endpoint, redeemable once, with the PKCE challenge it was issued under. */
export interface AuthCodeEntry {
  clientId: string;
  userId: string;
  scope: string;
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAtMs: number;
  redeemed: boolean;
}

interface RefreshEntry {
  userId: string;
  clientId: string;
  expiresAtMs: number;
  /** revokeSignInSessions (signInSessionsValidFromDateTime) invalidates refresh tokens issued before it. */
  issuedAtMs: number;
}



/** What the identity endpoints remember during one simulator run. */
export class IdentityState {
  readonly deviceCodes = new Map<string, DeviceCodeEntry>();
  readonly byUserCode = new Map<string, DeviceCodeEntry>();
  readonly refreshTokens = new Map<string, RefreshEntry>();
  readonly authCodes = new Map<string, AuthCodeEntry>();
  /** Key for HS256 tokens; new every run, so tokens from an earlier run are refused. */
  readonly signingKey = randomBytes(32);
  /** Every directory audit a simulated write produced, in order (the writes also append them to the log store). */
  readonly writtenAudits: GraphDirectoryAudit[] = [];
  /** Set by the fault layer: lifetime of access tokens issued from now on, overriding the option. */
  tokenLifetimeOverride: (() => number | undefined) | undefined;
  /** The run's fault switchboard ($batch consults it per sub-request). */
  faults: Faults | undefined;
  /** Client assertions seen, by `jti`, until they expire: one id may name one assertion only. */
  readonly clientAssertions = new Map<string, { assertion: string; expiresAtMs: number }>();
  private readonly usersByKey = new Map<string, GraphUser>();

  constructor(readonly tenant: Tenant, readonly baseUrl: () => string, readonly options: IdentityOptions) {
    // 100,000 users: look-ups by id or UPN must not scan the list.
    for (const u of tenant.users) {
      this.usersByKey.set(u.id, u);
      this.usersByKey.set(u.userPrincipalName.toLowerCase(), u);
    }
  }

  get accessTokenLifetimeSeconds(): number {
    return this.tokenLifetimeOverride?.() ?? this.options.accessTokenLifetimeSeconds;
  }

  recordDirectoryAudit(record: GraphDirectoryAudit): void {
    this.writtenAudits.push(record);
  }

  get issuerV2(): string {
    return `${this.baseUrl()}/${this.tenant.tenantId}/v2.0`;
  }

  findUser(upnOrId: string): GraphUser | undefined {
    return this.usersByKey.get(upnOrId.toLowerCase());
  }

  findClient(clientId: string): GraphServicePrincipal | undefined {
    return this.tenant.servicePrincipals.find((sp) => sp.appId === clientId.toLowerCase());
  }

  /** Entra shows codes like `FJ6QNMKVY`; people type them with or without spaces, dashes or lowercase. */
  static normaliseUserCode(code: string): string {
    return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
  }

  lookupUserCode(userCode: string): DeviceCodeEntry | undefined {
    return this.byUserCode.get(IdentityState.normaliseUserCode(userCode));
  }

  /**
   * A person signs in on the device-login page with a code: approves it, asks the page to show a consent prompt
   * (no answer yet), or records the refusal the next poll answers with. Throws a message fit for the page on a bad
   * code or user.
   */
  approve(userCode: string, upn: string, nowMs: number, answer: ConsentAnswer | 'ask' = CONSENT_AS_ADMIN): ApprovalOutcome {
    const entry = this.lookupUserCode(userCode);
    if (!entry) throw new ApprovalError('unknown-code', `The code "${userCode}" was not recognised. Check it and try again.`);
    if (nowMs > entry.expiresAtMs) throw new ApprovalError('expired', 'That code has expired. Go back to your device and start signing in again to get a new code.');
    if (entry.redeemed || entry.approvedUserId || entry.refusal) throw new ApprovalError('used', 'That code has already been used.');
    const user = this.findUser(upn);
    if (!user) throw new ApprovalError('unknown-user', `There is no user ${upn} in this tenant.`);
    const client = this.findClient(entry.clientId);
    if (!client) throw new ApprovalError('unknown-code', `The app ${entry.clientId} is not in this tenant.`);
    const decision = decideSignIn(this, { client, scope: entry.scope, user, flow: 'device-code' }, answer === 'ask' ? undefined : answer);
    if (decision.kind === 'consent') return { kind: 'consent', user, need: decision.need, clientDisplayName: client.displayName };
    if (decision.kind === 'refused') {
      entry.refusal = decision.refusal.token;
      return { kind: 'refused', user, message: decision.refusal.page, clientDisplayName: client.displayName };
    }
    entry.approvedUserId = user.id;
    return { kind: 'approved', user, clientDisplayName: client.displayName };
  }
}

export type ApprovalOutcome =
  | { kind: 'approved'; user: GraphUser; clientDisplayName: string }
  | { kind: 'consent'; user: GraphUser; need: ConsentNeed; clientDisplayName: string }
  | { kind: 'refused'; user: GraphUser; message: string; clientDisplayName: string };

export class ApprovalError extends Error {
  constructor(readonly reason: 'unknown-code' | 'expired' | 'used' | 'unknown-user', message: string) {
    super(message);
  }
}

// ---- tenant resolution and discovery ---------------------------------------

/** Tenant path segment: the id, a verified domain, or the multi-tenant aliases that resolve to the user's home tenant. */
export function resolveTenant(state: IdentityState, segment: string): 'tenant' | 'organizations' | null {
  const s = segment.toLowerCase();
  if (s === 'organizations' || s === 'common') return 'organizations';
  if (s === state.tenant.tenantId) return 'tenant';
  if (state.tenant.organization.verifiedDomains.some((d) => d.name.toLowerCase() === s)) return 'tenant';
  return null;
}

export function sendUnknownTenant(ctx: RequestContext, segment: string): void {
  sendOAuthError(ctx, 400, 'invalid_request', 90002, `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
}

export function openIdConfiguration(state: IdentityState, segment: string, kind: 'tenant' | 'organizations'): Record<string, unknown> {
  const base = state.baseUrl();
  // Entra answers a domain with its tenant id, and the multi-tenant aliases with placeholders.
  const t = kind === 'tenant' ? state.tenant.tenantId : segment.toLowerCase();
  const issuerTenant = kind === 'tenant' ? state.tenant.tenantId : '{tenantid}';
  return {
    token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['HS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base}/oidc/userinfo`,
    authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/${t}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/${t}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: `${base}/${t}/kerberos`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** `GET /common/discovery/instance`: the shape MSAL reads when a host is not in knownAuthorities. */
export function instanceDiscovery(state: IdentityState, url: URL): Record<string, unknown> {
  const base = state.baseUrl();
  const host = new URL(base).host;
  let tenant = 'common';
  const endpoint = url.searchParams.get('authorization_endpoint');
  if (endpoint) {
    try {
      tenant = new URL(endpoint).pathname.split('/').filter(Boolean)[0] ?? tenant;
    } catch {
      // An unparsable hint falls back to `common`, as Entra does.
    }
  }
  return {
    tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host, host.replace('127.0.0.1', 'localhost')] }],
  };
}

// ---- scopes -----------------------------------------------------------------

const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export interface ResourceInfo {
  resource: string;
  appId: string;
}

const RESOURCES: ResourceInfo[] = [
  { resource: GRAPH_RESOURCE, appId: GRAPH_APP_ID },
  { resource: EXCHANGE_RESOURCE, appId: EXCHANGE_APP_ID },
];

function resourceFor(identifier: string): ResourceInfo | undefined {
  const id = identifier.replace(/\/+$/, '').toLowerCase();
  return RESOURCES.find((r) => r.resource === id || r.appId === id
    || (r.appId === EXCHANGE_APP_ID && (id === 'https://outlook.office.com' || id === 'https://ps.outlook.com')));
}

type ScopeParse =
  | { ok: true; resource: ResourceInfo; values: string[]; oidc: Set<string> }
  | { ok: false; status: number; error: string; code: number; text: string };

/** Splits an OAuth scope string into OIDC scopes and permissions on exactly one resource, as Entra requires. */
export function parseScope(raw: string): ScopeParse {
  const oidc = new Set<string>();
  const byResource = new Map<string, { info: ResourceInfo; values: string[] }>();
  for (const item of raw.split(/\s+/).filter(Boolean)) {
    if (OIDC_SCOPES.has(item)) {
      oidc.add(item);
      continue;
    }
    const slash = item.lastIndexOf('/');
    const identifier = slash > 0 ? item.slice(0, slash) : GRAPH_RESOURCE;
    const value = slash > 0 ? item.slice(slash + 1) : item;
    const info = resourceFor(identifier);
    if (!info) {
      return { ok: false, status: 400, error: 'invalid_resource', code: 500011, text: `The resource principal named ${identifier} was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.` };
    }
    const entry = byResource.get(info.appId) ?? { info, values: [] };
    entry.values.push(value);
    byResource.set(info.appId, entry);
  }
  if (byResource.size > 1) {
    return { ok: false, status: 400, error: 'invalid_scope', code: 28000, text: 'Provided value for the input parameter scope is not valid because it contains more than one resource.' };
  }
  const only = [...byResource.values()][0];
  // Only OIDC scopes: Entra still returns a Graph token carrying User.Read.
  if (!only) return { ok: true, resource: RESOURCES[0] as ResourceInfo, values: ['User.Read'], oidc };
  if (only.values.includes('.default') && only.values.length > 1) {
    return { ok: false, status: 400, error: 'invalid_scope', code: 70011, text: `The provided value for the input parameter 'scope' is not valid. The scope ${raw} is not valid. .default scope can't be combined with resource-specific scopes.` };
  }
  return { ok: true, resource: only.info, values: only.values, oidc };
}

/** Application permissions granted to the client's service principal on the resource (admin consent). */
function grantedRoles(state: IdentityState, client: GraphServicePrincipal, resource: ResourceInfo): string[] {
  const target = resourceSp(state, resource);
  if (!target) return [];
  return state.tenant.appRoleAssignments
    .filter((a) => a.principalId === client.id && a.resourceId === target.id)
    .flatMap((a) => target.appRoles.filter((r) => r.id === a.appRoleId).map((r) => r.value ?? ''))
    .filter(Boolean);
}

// ---- tokens -------------------------------------------------------------------

function uti(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

function clientInfo(user: GraphUser, tenantId: string): string {
  return Buffer.from(JSON.stringify({ uid: user.id, utid: tenantId })).toString('base64url');
}

function pairwiseSub(userId: string, clientId: string): string {
  return createHash('sha256').update(`${userId}|${clientId}`).digest('base64url').slice(0, 43);
}

interface DelegatedGrant {
  client: GraphServicePrincipal;
  user: GraphUser;
  scope: string;
}

function issueDelegated(ctx: RequestContext, state: IdentityState, grant: DelegatedGrant, wantsClientInfo: boolean): void {
  const parsed = parseScope(grant.scope);
  if (!parsed.ok) {
    sendOAuthError(ctx, parsed.status, parsed.error, parsed.code, parsed.text);
    return;
  }
  const { client, user } = grant;
  const tenant = state.tenant;
  // A token carries what was consented for this client, user and resource, never more: `.default` asks for exactly
  // that (static consent); named scopes must each have been consented, or Entra answers AADSTS65001 and the app must
  // send the person to an interactive sign-in (the sign-in pages consent before a code is issued).
  // https://learn.microsoft.com/entra/identity-platform/scopes-oidc#the-default-scope
  // https://learn.microsoft.com/entra/identity-platform/permissions-consent-overview
  const consented = consentedScopes(state, client, parsed.resource, user.id);
  const held = new Set(consented);
  if (!parsed.values.includes('.default') && parsed.values.some((v) => !held.has(v))) {
    sendOAuthError(ctx, 400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${client.appId}' named '${client.displayName}'. Send an interactive authorization request for this user and resource.`);
    return;
  }
  const values = parsed.values.includes('.default') ? consented : parsed.values;
  const nowS = Math.floor(ctx.nowMs / 1000);
  const lifetime = state.accessTokenLifetimeSeconds;
  const oidcClaims = [...parsed.oidc].filter((s) => s !== 'offline_access');
  const scp = [...values, ...oidcClaims].join(' ');
  const accessToken = signJwt({
    aud: parsed.resource.resource,
    iss: `https://sts.windows.net/${tenant.tenantId}/`,
    iat: nowS, nbf: nowS, exp: nowS + lifetime,
    acr: '1', amr: ['pwd'], app_displayname: client.displayName, appid: client.appId, appidacr: '0',
    family_name: user.surname, given_name: user.givenName, idtyp: 'user', ipaddr: '127.0.0.1', name: user.displayName,
    oid: user.id, scp, sub: pairwiseSub(user.id, parsed.resource.appId), tid: tenant.tenantId,
    unique_name: user.userPrincipalName, upn: user.userPrincipalName, uti: uti(), ver: '1.0',
    wids: userRoleTemplateIds(tenant, user.id),
  }, state.signingKey);
  // Graph scopes come back bare; every other resource's are prefixed with its URI, as Entra answers.
  const responseScopes = parsed.resource.appId === GRAPH_APP_ID ? values : values.map((v) => `${parsed.resource.resource}/${v}`);
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: [...responseScopes, ...oidcClaims].join(' '),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: accessToken,
  };
  if (parsed.oidc.has('offline_access')) {
    const refreshToken = `1.A${randomBytes(96).toString('base64url')}`;
    state.refreshTokens.set(refreshToken, { userId: user.id, clientId: client.appId, expiresAtMs: ctx.nowMs + 90 * 24 * 3600 * 1000, issuedAtMs: ctx.nowMs });
    body.refresh_token = refreshToken;
  }
  if (parsed.oidc.has('openid')) {
    body.id_token = signJwt({
      aud: client.appId, iss: state.issuerV2, iat: nowS, nbf: nowS, exp: nowS + 3600,
      name: user.displayName, oid: user.id, preferred_username: user.userPrincipalName,
      ...(parsed.oidc.has('email') ? { email: user.mail } : {}),
      sub: pairwiseSub(user.id, client.appId), tid: tenant.tenantId, uti: uti(), ver: '2.0',
    }, state.signingKey);
  }
  if (wantsClientInfo) body.client_info = clientInfo(user, tenant.tenantId);
  sendJson(ctx, 200, body, AAD_CONTENT_TYPE);
}

function unknownClient(ctx: RequestContext, state: IdentityState, clientId: string): void {
  sendOAuthError(ctx, 400, 'unauthorized_client', 700016,
    `Application with identifier '${clientId}' was not found in the directory '${state.tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
}

const USER_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export async function handleDeviceCode(ctx: RequestContext, state: IdentityState, autoApproveUserId: string | undefined): Promise<void> {
  const form = await readForm(ctx.req);
  const clientId = form.get('client_id') ?? '';
  if (!clientId) return sendOAuthError(ctx, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  if (!state.findClient(clientId)) return unknownClient(ctx, state, clientId);
  const scope = form.get('scope') ?? '';
  if (!scope.trim()) return sendOAuthError(ctx, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
  const parsed = parseScope(scope);
  if (!parsed.ok) return sendOAuthError(ctx, parsed.status, parsed.error, parsed.code, parsed.text);
  const newCode = () => Array.from({ length: 9 }, () => USER_CODE_ALPHABET.charAt(randomInt(USER_CODE_ALPHABET.length))).join('');
  let userCode = newCode();
  while (state.byUserCode.has(userCode)) userCode = newCode();
  const entry: DeviceCodeEntry = {
    deviceCode: `DAQABIQEAAAD${randomBytes(96).toString('base64url')}`,
    userCode,
    clientId: clientId.toLowerCase(),
    scope,
    expiresAtMs: ctx.nowMs + state.options.deviceCodeLifetimeSeconds * 1000,
    redeemed: false,
  };
  state.deviceCodes.set(entry.deviceCode, entry);
  state.byUserCode.set(entry.userCode, entry);
  // Auto-approval signs in and answers the consent prompt as an administrator would: for the organisation.
  const autoUser = autoApproveUserId ? state.findUser(autoApproveUserId) : undefined;
  if (autoUser) state.approve(entry.userCode, autoUser.id, ctx.nowMs, CONSENT_AS_ADMIN);
  const verificationUri = `${state.baseUrl()}/devicelogin`;
  sendJson(ctx, 200, {
    user_code: entry.userCode,
    device_code: entry.deviceCode,
    verification_uri: verificationUri,
    expires_in: state.options.deviceCodeLifetimeSeconds,
    interval: state.options.pollingIntervalSeconds,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${entry.userCode} to authenticate.`,
  }, AAD_CONTENT_TYPE);
}

function basicAuth(ctx: RequestContext): { id: string; secret: string } | undefined {
  const header = ctx.req.headers.authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function handleToken(ctx: RequestContext, state: IdentityState): Promise<void> {
  const form = await readForm(ctx.req);
  const grantType = form.get('grant_type') ?? '';
  const basic = basicAuth(ctx);
  const clientId = (form.get('client_id') ?? basic?.id ?? '').toLowerCase();
  const wantsClientInfo = form.get('client_info') === '1';
  if (!grantType) return sendOAuthError(ctx, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (!clientId) return sendOAuthError(ctx, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  const client = state.findClient(clientId);
  if (!client) return unknownClient(ctx, state, clientId);

  if (grantType === 'urn:ietf:params:oauth:grant-type:device_code' || grantType === 'device_code') {
    const entry = state.deviceCodes.get(form.get('device_code') ?? '');
    if (!entry || entry.clientId !== clientId || entry.redeemed) {
      return sendOAuthError(ctx, 400, 'invalid_grant', 70000, "The provided value for the 'device_code' is not valid. It may have been used already, or belong to another application.");
    }
    if (ctx.nowMs > entry.expiresAtMs) {
      return sendOAuthError(ctx, 400, 'expired_token', 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.");
    }
    if (entry.refusal) {
      entry.redeemed = true;
      return sendOAuthError(ctx, entry.refusal.status, entry.refusal.error, entry.refusal.code, entry.refusal.text);
    }
    const user = entry.approvedUserId ? state.findUser(entry.approvedUserId) : undefined;
    if (!user) {
      return sendOAuthError(ctx, 400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
    }
    entry.redeemed = true;
    return issueDelegated(ctx, state, { client, user, scope: entry.scope }, wantsClientInfo);
  }

  if (grantType === 'authorization_code') return redeemAuthCode(ctx, state, form, client, wantsClientInfo);

  if (grantType === 'refresh_token') {
    const token = form.get('refresh_token') ?? '';
    const entry = state.refreshTokens.get(token);
    if (!entry || entry.clientId !== clientId || ctx.nowMs > entry.expiresAtMs) {
      return sendOAuthError(ctx, 400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid. The refresh token is invalid, expired or was issued to another client.');
    }
    const user = state.findUser(entry.userId);
    if (!user) return sendOAuthError(ctx, 400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
    // Second precision on both sides: a grant issued in the revocation's second counts as revoked.
    if (Math.floor(entry.issuedAtMs / 1000) * 1000 <= Date.parse(user.signInSessionsValidFromDateTime)) {
      return sendOAuthError(ctx, 400, 'invalid_grant', 50173, `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(entry.issuedAtMs).toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${user.signInSessionsValidFromDateTime}'.`);
    }
    return issueDelegated(ctx, state, { client, user, scope: form.get('scope') ?? 'openid profile offline_access' }, wantsClientInfo);
  }

  if (grantType === 'client_credentials') {
    const secret = form.get('client_secret') ?? basic?.secret;
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      const refused = checkClientAssertion(ctx, state, client.appId, form.get('client_assertion_type') ?? '', assertion);
      if (refused) return sendOAuthError(ctx, refused.status, refused.error, refused.code, refused.text);
    } else if (!secret) {
      return sendOAuthError(ctx, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const engagement = state.tenant.engagementApp;
    // Only the engagement app's secret is known to the simulator; the benign apps' secrets exist only as metadata.
    if (assertion === null && (client.appId !== engagement.appId || !secretsEqual(secret ?? '', engagement.clientSecret))) {
      return sendOAuthError(ctx, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.appId}'.`);
    }
    const scope = form.get('scope') ?? '';
    const items = scope.split(/\s+/).filter(Boolean);
    const only = items[0];
    if (items.length !== 1 || !only?.endsWith('/.default')) {
      return sendOAuthError(ctx, 400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const resource = resourceFor(only.slice(0, -'/.default'.length));
    if (!resource) {
      return sendOAuthError(ctx, 400, 'invalid_resource', 500011, `The resource principal named ${only.slice(0, -'/.default'.length)} was not found in the tenant named ${state.tenant.displayName}.`);
    }
    const nowS = Math.floor(ctx.nowMs / 1000);
    const lifetime = state.accessTokenLifetimeSeconds;
    const roles = grantedRoles(state, client, resource);
    // appidacr: 1 = client secret, 2 = certificate, as Entra reports how the client authenticated.
    const accessToken = signJwt({
      aud: resource.resource, iss: `https://sts.windows.net/${state.tenant.tenantId}/`,
      iat: nowS, nbf: nowS, exp: nowS + lifetime,
      app_displayname: client.displayName, appid: client.appId, appidacr: assertion !== null ? '2' : '1', idtyp: 'app',
      oid: client.id, ...(roles.length > 0 ? { roles } : {}), sub: client.id, tid: state.tenant.tenantId, uti: uti(), ver: '1.0',
    }, state.signingKey);
    return sendJson(ctx, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken }, AAD_CONTENT_TYPE);
  }

  sendOAuthError(ctx, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
}

/**
 * `grant_type=authorization_code`: the code is single-use, expires after a few minutes, belongs to one client and one
 * redirect URI, and with PKCE its challenge must be BASE64URL(SHA256(code_verifier)) (S256) or the verifier itself (plain).
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
 * https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 */
function redeemAuthCode(ctx: RequestContext, state: IdentityState, form: URLSearchParams, client: GraphServicePrincipal, wantsClientInfo: boolean): void {
  const code = form.get('code') ?? '';
  if (!code) return sendOAuthError(ctx, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'code'.");
  const entry = state.authCodes.get(code);
  if (!entry || entry.clientId !== client.appId) {
    return sendOAuthError(ctx, 400, 'invalid_grant', 70000, 'Provided grant is invalid or malformed.');
  }
  if (entry.redeemed) {
    return sendOAuthError(ctx, 400, 'invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.');
  }
  entry.redeemed = true;
  if (ctx.nowMs > entry.expiresAtMs) {
    return sendOAuthError(ctx, 400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.');
  }
  if ((form.get('redirect_uri') ?? '') !== entry.redirectUri) {
    // The code is bound to the redirect URI it was sent to (the AADSTS number for this refusal is not confirmed).
    return sendOAuthError(ctx, 400, 'invalid_grant', 70000, "Provided grant is invalid or malformed. The 'redirect_uri' does not match the one the authorization code was issued to.");
  }
  if (entry.codeChallenge !== null) {
    const verifier = form.get('code_verifier') ?? '';
    const derived = entry.codeChallengeMethod === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
    if (!verifier || derived !== entry.codeChallenge) {
      return sendOAuthError(ctx, 400, 'invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.');
    }
  }
  const user = state.findUser(entry.userId);
  if (!user) return sendOAuthError(ctx, 400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
  return issueDelegated(ctx, state, { client, user, scope: entry.scope }, wantsClientInfo);
}

// ---- client assertions (certificate credentials) ------------------------------------

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra tolerates this much clock difference on an assertion's nbf and exp. */
const ASSERTION_SKEW_S = 300;

function jsonPart(part: string | undefined): Record<string, unknown> | undefined {
  if (!part) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isoSecond(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Audiences Entra accepts: its v2 or v1 token endpoint, for the tenant id or any verified domain. */
function acceptedAudiences(ctx: RequestContext, state: IdentityState): Set<string> {
  const base = state.baseUrl();
  const segments = [state.tenant.tenantId, ...state.tenant.organization.verifiedDomains.map((d) => d.name), ctx.url.pathname.split('/').filter(Boolean)[0] ?? ''];
  return new Set(segments.filter(Boolean).flatMap((t) => [`${base}/${t}/oauth2/v2.0/token`, `${base}/${t}/oauth2/token`].map((u) => u.toLowerCase())));
}

/**
 * Verifies a `private_key_jwt` client assertion as Entra does (RS256 or PS256, the key found by
 * its `x5t#S256` or `x5t` thumbprint among the application's keyCredentials). Only the engagement
 * app's certificate is known to the simulator; other apps' certificates exist as metadata only.
 * Returns the refusal, or undefined when the client is authenticated.
 */
export function checkClientAssertion(ctx: RequestContext, state: IdentityState, appId: string, assertionType: string, assertion: string): Refusal | undefined {
  const malformed = (why: string): Refusal => ({ status: 401, error: 'invalid_client', code: 50027, text: `JWT token is invalid or malformed. ${why}` });
  if (assertionType !== JWT_BEARER) {
    return { status: 400, error: 'invalid_request', code: 900144, text: `The request body must contain the following parameter: 'client_assertion_type' with the value '${JWT_BEARER}'.` };
  }
  const parts = assertion.split('.');
  const header = jsonPart(parts[0]);
  const claims = jsonPart(parts[1]);
  if (parts.length !== 3 || !header || !claims || !parts[2]) return malformed('The assertion is not a signed JWT.');

  if (claims.iss !== claims.sub || typeof claims.sub !== 'string' || claims.sub.toLowerCase() !== appId) {
    return { status: 401, error: 'invalid_client', code: 700021, text: "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials ." };
  }
  if (typeof claims.aud !== 'string' || !acceptedAudiences(ctx, state).has(claims.aud.toLowerCase())) {
    return { status: 401, error: 'invalid_client', code: 700023, text: 'Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .' };
  }

  const engagement = state.tenant.engagementApp;
  const application = state.tenant.applications.find((a) => a.appId === appId);
  const cert = engagement.certificate;
  const given = typeof header['x5t#S256'] === 'string' ? { kind: 'x5t#S256', value: header['x5t#S256'] }
    : typeof header.x5t === 'string' ? { kind: 'x5t', value: header.x5t } : undefined;
  const ours = given?.kind === 'x5t#S256' ? Buffer.from(cert.thumbprintSha256, 'hex').toString('base64url') : Buffer.from(cert.thumbprintSha1, 'hex').toString('base64url');
  const usedThumbprint = given ? Buffer.from(given.value, 'base64url').toString('hex').toUpperCase() : '(none)';
  // The registered credential is looked up by what the directory holds now, so a removed certificate stops working at once.
  const credential = appId === engagement.appId && given?.value === ours
    ? application?.keyCredentials.find((k) => k.type === 'AsymmetricX509Cert' && k.usage === 'Verify' && k.customKeyIdentifier?.toUpperCase() === cert.thumbprintSha1)
    : undefined;
  const keyReference = `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${appId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${appId}'`;
  if (!credential) {
    return { status: 401, error: 'invalid_client', code: 700027, text: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${usedThumbprint}', ${keyReference}].` };
  }
  if (ctx.nowMs > Date.parse(credential.endDateTime) || ctx.nowMs < Date.parse(credential.startDateTime)) {
    return { status: 401, error: 'invalid_client', code: 700027, text: `The certificate with identifier used to sign the client assertion is expired on application. [Reason - The key used is expired., Thumbprint of key used by client: '${usedThumbprint}', ${keyReference}].` };
  }

  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2], 'base64url');
  const publicKey = new X509Certificate(cert.certificatePem).publicKey;
  let valid = false;
  try {
    if (header.alg === 'RS256') valid = verifySignature('sha256', signed, publicKey, signature);
    // MSAL signs PS256 through jsonwebtoken: PSS with SHA-256 and a 32-byte salt.
    else if (header.alg === 'PS256') valid = verifySignature('sha256', signed, { key: publicKey, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  } catch {
    valid = false;
  }
  if (!valid) {
    return { status: 401, error: 'invalid_client', code: 700027, text: `Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${usedThumbprint}', Found key 'Start=${credential.startDateTime}, End=${credential.endDateTime}', ${keyReference}].` };
  }

  const nowS = Math.floor(ctx.nowMs / 1000);
  const exp = typeof claims.exp === 'number' ? claims.exp : undefined;
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : undefined;
  if (exp === undefined) return malformed("The assertion has no 'exp' claim.");
  if (nowS > exp + ASSERTION_SKEW_S || (nbf !== undefined && nowS < nbf - ASSERTION_SKEW_S)) {
    return { status: 401, error: 'invalid_client', code: 700024, text: `Client assertion is not within its valid time range. Current time: ${isoSecond(ctx.nowMs)}, assertion valid from ${nbf !== undefined ? isoSecond(nbf * 1000) : '(unspecified)'}, expiry time of assertion ${isoSecond(exp * 1000)}. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials .` };
  }

  if (typeof claims.jti !== 'string' || !claims.jti) return malformed("The assertion has no 'jti' claim.");
  for (const [id, seen] of state.clientAssertions) if (seen.expiresAtMs < ctx.nowMs) state.clientAssertions.delete(id);
  const seen = state.clientAssertions.get(`${appId}|${claims.jti}`);
  // MSAL re-sends the very same signed assertion for up to 10 minutes (one per application object), and
  // Entra accepts that; a *different* assertion under a used jti is a replayed or forged id and is refused.
  // The AADSTS code for this refusal is not confirmed against Entra.
  if (seen && seen.assertion !== assertion) {
    return { status: 401, error: 'invalid_client', code: 50013, text: `Assertion is invalid because of various reasons. The JWT ID (jti) '${claims.jti}' of the client assertion has already been used.` };
  }
  state.clientAssertions.set(`${appId}|${claims.jti}`, { assertion, expiresAtMs: (exp + ASSERTION_SKEW_S) * 1000 });
  return undefined;
}
