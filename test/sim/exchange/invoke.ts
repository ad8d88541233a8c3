// Test tooling (Node): the Exchange Online admin API route `POST /adminapi/beta/{tenant}/InvokeCommand`, as ExchangeOnlineManagement v3 calls it: token and role checks, the CmdletInput envelope, nextLink paging, throttling and the cmdlets.
import { randomUUID } from 'node:crypto';
import { GRAPH_CONTENT_TYPE, readBody, sendJson, type RequestContext } from '../http';
import { verifyJwt, type JwtClaims } from '../jwt';
import type { Tenant } from '../scenario';
import { DIRECTORY_ROLES, EXCHANGE_APP_ID, EXCHANGE_MANAGE_AS_APP_ROLE_ID, EXCHANGE_RESOURCE } from '../wellknown';
import {
  adminAuditLogConfigObject, appRoleAssignmentObject, exchangeServicePrincipalObject, auditBypassObject, organizationConfigObject, inboundConnectorObject, inboxRuleObject, mailboxObject, outboundConnectorObject, transportRuleObject, type MailboxSpec, type TransportRuleSpec,
} from './objects';
import { ExchangeState, puid } from './state';
import {
  UAL_LIMITS, UnifiedAuditSearch, exchangeAdminRecord, memoryUnifiedAuditStream, seededShare, type AdminActor, type UalQuery, type UalSession, type UalStallOptions,
  type UnifiedAuditStream,
} from './ual';

export interface ExchangeOptions {
  /** Requests each caller (app or user) may make per window before 429. Exchange does not publish its REST budget; 120 per minute is conservative. */
  throttleLimit?: number;
  throttleWindowMs?: number;
  /** LOGS' Unified Audit Log stream; without it the simulator serves the Exchange history alone. */
  unifiedAudit?: UnifiedAuditStream;
  /** Search-UnifiedAuditLog as a busy service answers it: some searches slow, some failing once, some sessions stalling (seeded). */
  auditFaults?: AuditFaults;
  /**
   * Send the tenant to a host of its own: the shared host answers every InvokeCommand with a 302 to it (the server
   * starts a second listener). Exchange routes a tenant to its own servers (X-CalculatedBETarget names them); the old
   * remote PowerShell endpoint did it with an HTTP redirect, which is why Microsoft's instructions pass
   * -AllowRedirection to New-PSSession (https://learn.microsoft.com/powershell/exchange/connect-to-exchange-online-powershell).
   * Whether the REST endpoint answers 302, 307 or 308 is not documented.
   */
  tenantHost?: boolean;
  /** Write next-page links as `odata.nextLink` (OData 3's form, without '@'), as some Exchange answers do. */
  bareNextLink?: boolean;
  /**
   * The attacker's app puts back a transport rule the moment it is removed, as long as its service principal is
   * enabled and still holds Exchange.ManageAsApp: the read after the removal finds the rule again (a new GUID, made
   * by the app, with its New-TransportRule in the audit log). Removing rules before containing the app does not hold.
   */
  attackerRecreatesRules?: boolean;
}

export interface AuditFaults {
  seed: number;
  /** Share (0 to 1) of windows whose first call waits `slowMs` before answering (real searches run for minutes). */
  slowRate?: number;
  slowMs?: number;
  /** Share of windows whose first call fails once with a transient server exception, then works. */
  transientRate?: number;
  /** Share of windows whose ReturnLargeSet sessions stall, and how many sessions per window do (see UalStallOptions). */
  stallRate?: number;
  stallSessions?: number;
}

/**
 * Server-side exceptions ExchangeOnlineManagement retries (RetryableExceptions in its REST client's constants:
 * DCOverloadedException, SuitabilityDirectoryException, ServerInMMException, ADServerSettingsChangedException,
 * StorageTransientException), as the error body's `Code|Type|Message` names them; HTTP 500.
 */
export const TRANSIENT_EXCEPTION_TYPES = [
  'Microsoft.Exchange.Data.Directory.DCOverloadedException',
  'Microsoft.Exchange.Data.Storage.StorageTransientException',
  'Microsoft.Exchange.Data.Directory.SuitabilityDirectoryException',
  'Microsoft.Exchange.Data.Directory.ServerInMMException',
  'Microsoft.Exchange.Data.Directory.ADServerSettingsChangedException',
] as const;

export function transientCmdletError(type: string): CmdletError {
  return new CmdletError(500, type, 'The server is busy and could not complete the request. Please retry the operation.', 'InternalServerError');
}

/** Directory roles Exchange Online maps to its own RBAC for app-only and delegated admin access. */
const WRITE_ROLES = new Set<string>([DIRECTORY_ROLES.globalAdministrator.templateId, DIRECTORY_ROLES.exchangeAdministrator.templateId]);
const READ_ROLES = new Set<string>([
  ...WRITE_ROLES,
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451', // Global Reader
  '5d6b6bb7-de71-4623-b4af-96380a352509', // Security Reader
  '194ae4cb-b126-40b2-bd5b-6091b380977d', // Security Administrator
  '17315797-102d-40b4-93e0-432062caca18', // Compliance Administrator
  '31392ffb-586c-42d1-9346-e59415a2cc4e', // Exchange Recipient Administrator
]);

const MAX_PAGE_SIZE = 1000;
const WRITE_CMDLETS = new Set([
  'remove-inboundconnector', 'remove-transportrule', 'disable-transportrule', 'set-mailbox', 'remove-inboxrule', 'set-adminauditlogconfig',
  'remove-managementroleassignment', 'set-mailboxauditbypassassociation',
]);

interface Caller {
  claims: JwtClaims;
  app: boolean;
  canWrite: boolean;
  actor: AdminActor;
  /** The signed-in user's mailbox key (delegated only). */
  userId: string | null;
  throttleKey: string;
}

/** A cmdlet's output, read page by page (kept server-side so nextLink pages come from one execution). */
interface ResultSet {
  cmdlet: string;
  count: number;
  slice(from: number, to: number): unknown[];
  createdMs: number;
  /** What the module prints as WARNING: lines (`@adminapi.warnings`); none unless a cmdlet says so. */
  warnings?: string[];
}

/** A failed cmdlet: Exchange's error code, .NET exception type and message, and the HTTP status it maps to. */
export class CmdletError extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly code = 'BadRequest') {
    super(message);
  }
}

function notFound(identity: string, org: string): CmdletError {
  return new CmdletError(404, 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException',
    `The operation couldn't be performed because object '${identity}' couldn't be found on '${org}'.`, 'NotFound');
}

function parameterError(message: string): CmdletError {
  return new CmdletError(400, 'System.Management.Automation.ParameterBindingException', message);
}

/** Exchange's error codes look like `Ex6F9304`: a stable hash of the exception type keeps them plausible and constant. */
function errorCode(type: string): string {
  let h = 0;
  for (let i = 0; i < type.length; i++) h = (Math.imul(h, 31) + type.charCodeAt(i)) >>> 0;
  return `Ex${(h & 0xffffff).toString(16).toUpperCase().padStart(6, '0')}`;
}

/** The error body ExchangeOnlineManagement parses: `error.details[].message` = `Code|Type|Message`, and `error.innererror.internalException.message`. */
export function exchangeErrorBody(code: string, type: string, message: string): Record<string, unknown> {
  return {
    error: {
      code,
      message: 'Error executing cmdlet',
      details: [{ code: 'Context', target: '', message: `${errorCode(type)}|${type}|${message}` }],
      innererror: {
        message: 'Error executing cmdlet',
        type: 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException',
        stacktrace: '',
        internalException: { message, type, stacktrace: '' },
      },
    },
  };
}

function sendExchangeError(ctx: RequestContext, status: number, code: string, type: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(ctx, status, exchangeErrorBody(code, type, message), GRAPH_CONTENT_TYPE, headers);
}

// ---- parameter helpers ----

type Params = Record<string, unknown>;

function param(params: Params, name: string): unknown {
  const key = Object.keys(params).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : params[key];
}

function stringParam(params: Params, name: string): string | undefined {
  const v = param(params, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw parameterError(`Cannot bind parameter '${name}'. Cannot convert the value to type "System.String".`);
}

/** Multi-valued parameters arrive as JSON arrays, or as one comma-separated string when a script passes text. */
function listParam(params: Params, name: string): string[] | undefined {
  const v = param(params, name);
  if (v === undefined || v === null) return undefined;
  const items = Array.isArray(v) ? v : [v];
  return items.flatMap((item) => String(item).split(',')).map((s) => s.trim()).filter(Boolean);
}

/** A boolean parameter: JSON true/false, or PowerShell's text for them ($true, true, 1). */
function boolParam(params: Params, name: string): boolean | undefined {
  const v = param(params, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  const text = String(v).trim().toLowerCase();
  if (['true', '$true', '1'].includes(text)) return true;
  if (['false', '$false', '0'].includes(text)) return false;
  throw parameterError(`Cannot bind parameter '${name}'. Cannot convert value "${String(v)}" to type "System.Boolean".`);
}

function dateParam(params: Params, name: string): number | undefined {
  const text = stringParam(params, name);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw parameterError(`Cannot bind parameter '${name}'. Cannot convert value "${text}" to type "System.DateTime".`);
  return ms;
}

/** ResultSize: a positive integer or "Unlimited". */
function resultSizeParam(params: Params, fallback: number, max: number | null): number {
  const raw = param(params, 'ResultSize');
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === 'string' && raw.toLowerCase() === 'unlimited') {
    if (max !== null) throw parameterError(`Cannot bind parameter 'ResultSize'. Cannot convert value "Unlimited" to type "System.Int32".`);
    return Number.MAX_SAFE_INTEGER;
  }
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n)) throw parameterError(`Cannot bind parameter 'ResultSize'. Cannot convert value "${String(raw)}" to type "System.Int32".`);
  if (n < 1) throw new CmdletError(400, 'System.Management.Automation.ParameterBindingValidationException', `Cannot validate argument on parameter 'ResultSize'. The ${n} argument is less than the minimum allowed range of 1. Supply an argument that is greater than or equal to 1 and then try the command again.`);
  if (max !== null && n > max) throw new CmdletError(400, 'System.Management.Automation.ParameterBindingValidationException', `Cannot validate argument on parameter 'ResultSize'. The ${n} argument is greater than the maximum allowed range of ${max}. Supply an argument that is less than or equal to ${max} and then try the command again.`);
  return n;
}

function listResult(cmdlet: string, items: readonly unknown[], nowMs: number): ResultSet {
  return { cmdlet, count: items.length, slice: (from, to) => items.slice(from, to), createdMs: nowMs };
}

/** The OPATH filters investigators use on Get-Mailbox: `Prop -ne $null`, `Prop -eq 'value'`, `Prop -like 'x*'`, joined by -and / -or. */
export function mailboxFilter(filter: string): (m: MailboxSpec) => boolean {
  const props: Record<string, (m: MailboxSpec) => string | null> = {
    forwardingsmtpaddress: (m) => m.forwardingSmtpAddress,
    forwardingaddress: (m) => m.forwardingAddress,
    recipienttypedetails: (m) => m.recipientTypeDetails,
    userprincipalname: (m) => m.userPrincipalName,
    primarysmtpaddress: (m) => m.primarySmtpAddress,
    alias: (m) => m.alias,
    displayname: (m) => m.displayName,
    delivertomailboxandforward: (m) => (m.deliverToMailboxAndForward ? 'True' : 'False'),
  };
  const invalid = () => new CmdletError(400, 'Microsoft.Exchange.Management.Tasks.InvalidFilterException' , `Cannot bind parameter 'Filter' to the target. Exception setting "Filter": "Invalid filter syntax. For a description of the filter parameter syntax see the command help.\n"${filter}" at position 1."`);
  const text = filter.trim().replace(/^\{\s*|\s*\}$/g, '').replace(/^\(\s*|\s*\)$/g, '');
  const orParts = text.split(/\s+-or\s+/i);
  const clauses = orParts.map((part) => part.split(/\s+-and\s+/i).map((clause) => {
    const m = /^\(?\s*(\w+)\s+-(eq|ne|like|notlike)\s+(\$null|'[^']*'|"[^"]*"|\$true|\$false)\s*\)?$/i.exec(clause.trim());
    if (!m) throw invalid();
    const [, prop = '', op = '', rawValue = ''] = m;
    const get = props[prop.toLowerCase()];
    if (!get) throw invalid();
    const value = rawValue.toLowerCase() === '$null' ? null : rawValue.toLowerCase() === '$true' ? 'True' : rawValue.toLowerCase() === '$false' ? 'False' : rawValue.slice(1, -1);
    return (mb: MailboxSpec): boolean => {
      const actual = get(mb);
      switch (op.toLowerCase()) {
        case 'eq': return value === null ? actual === null : actual?.toLowerCase() === value.toLowerCase();
        case 'ne': return value === null ? actual !== null : actual?.toLowerCase() !== value.toLowerCase();
        default: {
          if (value === null) return false;
          const re = new RegExp(`^${value.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
          const hit = actual !== null && re.test(actual);
          return op.toLowerCase() === 'like' ? hit : !hit;
        }
      }
    };
  }));
  return (mb) => clauses.some((and) => and.every((c) => c(mb)));
}

export class ExchangeService {
  readonly state: ExchangeState;
  private readonly resultSets = new Map<string, ResultSet>();
  private readonly windows = new Map<string, { startMs: number; count: number }>();
  private readonly search: UnifiedAuditSearch;
  private unifiedAudit: UnifiedAuditStream;
  private readonly throttleLimit: number;
  private readonly throttleWindowMs: number;
  private readonly options: ExchangeOptions;
  /** Windows whose transient failure already fired (per session), so the retry is answered. */
  private readonly transientFired = new Set<string>();
  /** The tenant's own host (`https://127.0.0.1:PORT`) once its listener is up, when `tenantHost` is on. */
  tenantHostUrl: string | null = null;
  /** The X-AnchorMailbox of each authenticated InvokeCommand, with whether the caller was an app (the last 1,000). */
  readonly anchors: { app: boolean; anchor: string | null }[] = [];

  constructor(readonly tenant: Tenant, private readonly signingKey: Buffer, private readonly baseUrl: () => string, options: ExchangeOptions = {}) {
    this.state = new ExchangeState(tenant);
    this.options = options;
    this.unifiedAudit = options.unifiedAudit ?? memoryUnifiedAuditStream(this.state.history);
    const f = options.auditFaults;
    const stalls: UalStallOptions | null = f?.stallRate ? { seed: f.seed, rate: f.stallRate, sessions: f.stallSessions ?? 1 } : null;
    this.search = new UnifiedAuditSearch(() => this.unifiedAudit, stalls);
    this.throttleLimit = options.throttleLimit ?? 120;
    this.throttleWindowMs = options.throttleWindowMs ?? 60_000;
  }

  /** Wires LOGS' Unified Audit Log stream (which must already hold the Exchange history: see exchangeAdminHistory). */
  useUnifiedAudit(stream: UnifiedAuditStream): void {
    this.unifiedAudit = stream;
  }

  get auditStream(): UnifiedAuditStream {
    return this.unifiedAudit;
  }

  /** Sessions the stall knob ended, in order. */
  get auditStalls(): readonly { queryKey: string; kind: string }[] {
    return this.search.stalls;
  }

  private tenantMatches(segment: string): boolean {
    const s = segment.toLowerCase();
    return s === this.tenant.tenantId || s === this.tenant.domain.toLowerCase()
      || this.tenant.organization.verifiedDomains.some((d) => d.name.toLowerCase() === s);
  }

  /** Handles `/adminapi/beta/{tenant}/InvokeCommand`; `segments` are the path after `adminapi`; `hostUrl` is where it came in. */
  async handle(ctx: RequestContext, segments: string[], hostUrl = this.baseUrl()): Promise<void> {
    if (this.tenantHostUrl && hostUrl !== this.tenantHostUrl) {
      // The shared host sends the tenant to its own; the client repeats the POST there (body and all).
      ctx.res.writeHead(302, { Location: `${this.tenantHostUrl}${ctx.url.pathname}${ctx.url.search}`, 'Content-Length': '0' });
      ctx.res.end();
      return;
    }
    const [version, tenantSegment = '', command, ...rest] = segments;
    if (version !== 'beta' || command?.toLowerCase() !== 'invokecommand' || rest.length > 0) {
      return sendExchangeError(ctx, 404, 'NotFound', 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException', `The resource '${ctx.url.pathname}' was not found.`);
    }
    if (ctx.req.method !== 'POST') {
      return sendExchangeError(ctx, 405, 'MethodNotAllowed', 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException', `The HTTP method '${ctx.req.method ?? ''}' is not allowed on InvokeCommand.`, { Allow: 'POST' });
    }
    if (!this.tenantMatches(tenantSegment)) {
      return sendExchangeError(ctx, 404, 'NotFound', 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException', `The tenant '${tenantSegment}' was not found.`);
    }
    const caller = this.authenticate(ctx);
    if (!caller) return;
    if (!this.admit(ctx, caller)) return;

    const anchor = ctx.req.headers['x-anchormailbox'];
    const anchorText = Array.isArray(anchor) ? anchor[0] : anchor;
    this.anchors.push({ app: caller.app, anchor: anchorText ?? null });
    if (this.anchors.length > 1000) this.anchors.shift();
    if (anchorText !== undefined && !/^(UPN|APP|SMTP|Oid):.+/i.test(anchorText)) {
      return sendExchangeError(ctx, 400, 'BadRequest', 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException', `The X-AnchorMailbox header '${anchorText}' is not valid; expected UPN:<user>, APP:<mailbox> or Oid:<id>@<tenant>.`);
    }

    let body: unknown;
    try {
      body = JSON.parse(await readBody(ctx.req));
    } catch {
      return sendExchangeError(ctx, 400, 'BadRequest', 'Microsoft.OData.ODataException', 'The request body is not valid JSON.');
    }
    const input = body && typeof body === 'object' && 'CmdletInput' in body ? body.CmdletInput : undefined;
    const cmdletName = input && typeof input === 'object' && 'CmdletName' in input && typeof input.CmdletName === 'string' ? input.CmdletName : undefined;
    const rawParams = input && typeof input === 'object' && 'Parameters' in input ? input.Parameters : {};
    if (!cmdletName || (rawParams !== null && (typeof rawParams !== 'object' || Array.isArray(rawParams)))) {
      return sendExchangeError(ctx, 400, 'BadRequest', 'Microsoft.OData.ODataException', "The request body must be {\"CmdletInput\":{\"CmdletName\":\"<cmdlet>\",\"Parameters\":{...}}}.");
    }
    const params = (rawParams ?? {}) as Params;
    const pageSize = this.pageSize(ctx);
    const headers: Record<string, string> = anchorText ? { 'X-CalculatedBETarget': `${this.state.org.originatingServer.split('.')[0] ?? 'BE'}.${this.state.org.partition}.PROD.OUTLOOK.COM` } : {};

    // A nextLink page: served from the stored execution, never by running the cmdlet again.
    const skip = ctx.url.searchParams.get('$skiptoken');
    if (skip !== null) {
      const match = /^([0-9a-f-]{36})-(\d+)$/.exec(skip);
      const set = match ? this.resultSets.get(match[1] ?? '') : undefined;
      if (!match || !set || set.cmdlet.toLowerCase() !== cmdletName.toLowerCase()) {
        return sendExchangeError(ctx, 400, 'BadRequest', 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException', 'The skip token is not valid or has expired; run the cmdlet again.');
      }
      return this.sendPage(ctx, hostUrl, tenantSegment, match[1] ?? '', set, Number(match[2]), pageSize, headers);
    }

    const lower = cmdletName.toLowerCase();
    if (WRITE_CMDLETS.has(lower) && !caller.canWrite) {
      return sendExchangeError(ctx, 403, 'Forbidden', 'Microsoft.Exchange.Configuration.Tasks.AccessDeniedException',
        `The user or application "${caller.actor.userId}" isn't assigned to any management roles that allow running ${cmdletName}. Assign the Exchange Administrator or Global Administrator role.`);
    }
    let set: ResultSet;
    try {
      set = await this.run(ctx, caller, cmdletName, params);
    } catch (err) {
      if (err instanceof CmdletError) return sendExchangeError(ctx, err.status, err.code, err.type, err.message, headers);
      throw err;
    }
    const token = randomUUID();
    if (set.count > pageSize) {
      this.resultSets.set(token, set);
      // Keep memory bounded: a client that never follows its nextLink leaves at most 200 stored results.
      if (this.resultSets.size > 200) {
        const oldest = this.resultSets.keys().next().value;
        if (oldest !== undefined) this.resultSets.delete(oldest);
      }
    }
    return this.sendPage(ctx, hostUrl, tenantSegment, token, set, 0, pageSize, headers);
  }

  private sendPage(ctx: RequestContext, hostUrl: string, tenantSegment: string, token: string, set: ResultSet, offset: number, pageSize: number, headers: Record<string, string>): void {
    const base = `${hostUrl}/adminapi/beta/${encodeURIComponent(tenantSegment)}`;
    const end = Math.min(set.count, offset + pageSize);
    // Every answer carries the (usually empty) warnings list, as captured live responses do:
    // {"@odata.context":…,"adminapi.warnings@odata.type":"#Collection(String)","@adminapi.warnings":[],"value":[…]}.
    const body: Record<string, unknown> = {
      '@odata.context': `${base}/$metadata#Collection(Exchange.GenericHashTable)`,
      'adminapi.warnings@odata.type': '#Collection(String)',
      '@adminapi.warnings': offset === 0 ? (set.warnings ?? []) : [],
      value: set.slice(offset, end),
    };
    if (end < set.count) body[this.options.bareNextLink ? 'odata.nextLink' : '@odata.nextLink'] = `${base}/InvokeCommand?%24skiptoken=${token}-${end}`;
    else this.resultSets.delete(token);
    sendJson(ctx, 200, body, GRAPH_CONTENT_TYPE, headers);
  }

  /** `Prefer: odata.maxpagesize=N` lowers the page size; Exchange never pages above 1,000. */
  private pageSize(ctx: RequestContext): number {
    const prefer = ctx.req.headers.prefer;
    const text = Array.isArray(prefer) ? prefer.join(',') : prefer ?? '';
    const m = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(text);
    const n = m ? Number(m[1]) : MAX_PAGE_SIZE;
    return Math.max(1, Math.min(MAX_PAGE_SIZE, n));
  }

  private authenticate(ctx: RequestContext): Caller | undefined {
    const challenge = {
      'WWW-Authenticate': `Bearer client_id="${EXCHANGE_APP_ID}", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="${this.baseUrl()}/common/oauth2/authorize", error="invalid_token"`,
    };
    const unauthorized = (message: string) => {
      sendExchangeError(ctx, 401, 'Unauthorized', 'Microsoft.Exchange.Security.Authentication.BackendRehydrationException', message, challenge);
      return undefined;
    };
    const match = /^Bearer\s+(\S+)$/i.exec(ctx.req.headers.authorization ?? '');
    if (!match?.[1]) return unauthorized('The request has no bearer token.');
    const check = verifyJwt(match[1], this.signingKey, Math.floor(ctx.nowMs / 1000));
    if (!check.ok) return unauthorized(check.reason === 'expired' ? 'The access token has expired.' : `The access token is not valid (${check.reason}).`);
    const { claims } = check;
    const aud = typeof claims.aud === 'string' ? claims.aud.replace(/\/$/, '') : '';
    if (aud !== EXCHANGE_RESOURCE && aud !== EXCHANGE_APP_ID) return unauthorized(`The token audience '${aud}' is not valid for Exchange Online; request https://outlook.office365.com/.default.`);
    if (claims.tid !== this.tenant.tenantId) return unauthorized('The token was issued for another tenant.');

    const app = claims.idtyp === 'app';
    const oid = typeof claims.oid === 'string' ? claims.oid : '';
    const appId = typeof claims.appid === 'string' ? claims.appid : '';
    const wids = new Set(Array.isArray(claims.wids) ? claims.wids.filter((w): w is string => typeof w === 'string') : []);
    const forbidden = (message: string) => {
      sendExchangeError(ctx, 403, 'Forbidden', 'Microsoft.Exchange.Configuration.Tasks.AccessDeniedException', message);
      return undefined;
    };
    if (app) {
      const roles = Array.isArray(claims.roles) ? claims.roles : [];
      if (!roles.includes('Exchange.ManageAsApp')) return forbidden('The application does not hold the Exchange.ManageAsApp permission (Office 365 Exchange Online API, admin consent required).');
      // Exchange resolves an app's directory roles itself: tokens for service principals carry no wids.
      for (const r of this.tenant.directoryRoleAssignments) if (r.principalId === oid) wids.add(r.roleDefinitionId);
    } else {
      const scopes = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
      if (!scopes.includes('Exchange.Manage')) return forbidden('The token has no Exchange.Manage scope: sign in with the Exchange Online PowerShell client.');
    }
    if (![...wids].some((w) => READ_ROLES.has(w))) {
      return forbidden(app
        ? `The application '${appId}' is not assigned an Exchange or Entra role (e.g. Exchange Administrator or Global Reader), so no cmdlets are available.`
        : 'The user is not assigned an Exchange or Entra admin role, so no admin cmdlets are available.');
    }
    const canWrite = [...wids].some((w) => WRITE_ROLES.has(w));
    const upn = typeof claims.upn === 'string' ? claims.upn : '';
    const actor: AdminActor = app
      ? { kind: 'app', userId: oid, userKey: appId, appId, clientIp: null }
      : { kind: 'user', userId: upn, userKey: puid(oid), appId, clientIp: typeof claims.ipaddr === 'string' ? claims.ipaddr : null };
    return { claims, app, canWrite, actor, userId: app ? null : oid, throttleKey: `${appId}|${oid}` };
  }

  /** Fixed-window budget per caller; a 429 says when the window reopens. */
  private admit(ctx: RequestContext, caller: Caller): boolean {
    const w = this.windows.get(caller.throttleKey);
    if (!w || ctx.nowMs - w.startMs >= this.throttleWindowMs) {
      this.windows.set(caller.throttleKey, { startMs: ctx.nowMs, count: 1 });
      return true;
    }
    if (w.count < this.throttleLimit) {
      w.count++;
      return true;
    }
    const retryAfter = Math.max(1, Math.ceil((w.startMs + this.throttleWindowMs - ctx.nowMs) / 1000));
    sendExchangeError(ctx, 429, 'TooManyRequests', 'Microsoft.Exchange.Throttling.ThrottlingException',
      `The request was throttled: the caller exceeded ${this.throttleLimit} requests in ${this.throttleWindowMs / 1000} seconds. Retry after ${retryAfter} seconds.`, { 'Retry-After': String(retryAfter) });
    return false;
  }

  /** The attacker's app, while enabled and holding Exchange.ManageAsApp, creates the removed rule again. */
  private attackerRecreates(ctx: RequestContext, removed: TransportRuleSpec): void {
    const t = this.tenant;
    const sp = t.servicePrincipals.find((s) => s.appId === t.attack.maliciousAppId);
    if (!sp || sp.accountEnabled === false) return;
    if (!t.appRoleAssignments.some((a) => a.principalId === sp.id && a.appRoleId === EXCHANGE_MANAGE_AS_APP_ROLE_ID)) return;
    const again: TransportRuleSpec = { ...removed, guid: randomUUID(), createdBy: sp.displayName, lastModifiedBy: sp.displayName, changedMs: ctx.nowMs, priority: this.state.transportRules.length };
    this.state.transportRules.push(again);
    const actor: AdminActor = { kind: 'app', userId: sp.id, userKey: sp.appId, appId: sp.appId, clientIp: null };
    this.auditAs(ctx, actor, 'New-TransportRule', again.name, { Name: again.name, ...Object.fromEntries(Object.entries(again.parameters).map(([k, v]) => [k, Array.isArray(v) ? v.join(';') : String(v)])) });
  }

  private audit(ctx: RequestContext, caller: Caller, operation: string, objectId: string, params: Params): void {
    this.auditAs(ctx, caller.actor, operation, objectId, params);
  }

  /** An ExchangeAdmin record for `actor` (a caller, or the attacker's app acting on its own). */
  private auditAs(ctx: RequestContext, actor: AdminActor, operation: string, objectId: string, params: Params): void {
    const parameters = Object.entries(params).map(([Name, v]) => ({ Name, Value: Array.isArray(v) ? v.map(String).join(';') : String(v) }));
    this.unifiedAudit.append(exchangeAdminRecord({
      id: randomUUID(), atMs: ctx.nowMs, operation, objectId, parameters, actor, tenantId: this.tenant.tenantId,
      organizationName: this.tenant.domain, originatingServer: `${this.state.org.originatingServer.split('.')[0] ?? 'SERVER'} (15.20.8000.020)`,
    }));
  }

  private run(ctx: RequestContext, caller: Caller, cmdletName: string, params: Params): ResultSet | Promise<ResultSet> {
    const org = this.state.org;
    const now = ctx.nowMs;
    const identity = stringParam(params, 'Identity');
    switch (cmdletName.toLowerCase()) {
      case 'get-inboundconnector': {
        const items = identity ? [this.state.findInboundConnector(identity) ?? throwNotFound(identity, org.partition)] : this.state.inboundConnectors;
        return listResult(cmdletName, items.map((c) => inboundConnectorObject(c, org)), now);
      }
      case 'get-outboundconnector': {
        const all = this.state.outboundConnectors;
        const items = identity ? all.filter((c) => c.name.toLowerCase() === identity.toLowerCase() || c.guid === identity.toLowerCase()) : all;
        if (identity && items.length === 0) throw notFound(identity, org.partition);
        return listResult(cmdletName, items.map((c) => outboundConnectorObject(c, org)), now);
      }
      case 'get-transportrule': {
        let items = identity ? [this.state.findTransportRule(identity) ?? throwNotFound(identity, org.partition)] : this.state.transportRules;
        const state = stringParam(params, 'State');
        if (state) items = items.filter((r) => r.state.toLowerCase() === state.toLowerCase());
        return listResult(cmdletName, items.map((r) => transportRuleObject(r, org)), now);
      }
      case 'get-mailbox': return this.getMailbox(cmdletName, params, identity, now);
      case 'get-inboxrule': {
        const mailboxId = stringParam(params, 'Mailbox') ?? (caller.userId ?? undefined);
        if (!mailboxId) throw parameterError("The Mailbox parameter is required when the caller has no mailbox of its own (app-only access).");
        const user = this.state.findUser(mailboxId);
        if (!user) throw notFound(mailboxId, org.partition);
        const mailbox = this.state.mailbox(user);
        let rules = this.state.inboxRules(user);
        if (identity) {
          rules = rules.filter((r) => r.name.toLowerCase() === identity.toLowerCase() || r.ruleIdentity === identity || `${mailbox.name}\\${r.ruleIdentity}`.toLowerCase() === identity.toLowerCase());
          if (rules.length === 0) throw notFound(identity, org.partition);
        }
        return listResult(cmdletName, rules.map((r) => inboxRuleObject(r, mailbox)), now);
      }
      case 'search-unifiedauditlog': return this.searchUnifiedAuditLog(cmdletName, params, now);
      case 'remove-inboundconnector': {
        if (!identity) throw parameterError("Cannot process command because of one or more missing mandatory parameters: Identity.");
        const removed = this.state.removeInboundConnector(identity);
        if (!removed) throw notFound(identity, org.partition);
        this.audit(ctx, caller, 'Remove-InboundConnector', removed.name, params);
        return listResult(cmdletName, [], now);
      }
      case 'remove-transportrule': {
        if (!identity) throw parameterError("Cannot process command because of one or more missing mandatory parameters: Identity.");
        const removed = this.state.removeTransportRule(identity);
        if (!removed) throw notFound(identity, org.partition);
        this.audit(ctx, caller, 'Remove-TransportRule', removed.name, params);
        if (this.options.attackerRecreatesRules) this.attackerRecreates(ctx, removed);
        return listResult(cmdletName, [], now);
      }
      case 'disable-transportrule': {
        if (!identity) throw parameterError("Cannot process command because of one or more missing mandatory parameters: Identity.");
        const rule = this.state.findTransportRule(identity);
        if (!rule) throw notFound(identity, org.partition);
        rule.state = 'Disabled';
        rule.changedMs = now;
        rule.lastModifiedBy = caller.app ? (this.tenant.servicePrincipals.find((s) => s.id === caller.actor.userId)?.displayName ?? caller.actor.userId) : caller.actor.userId;
        this.audit(ctx, caller, 'Disable-TransportRule', rule.name, params);
        return listResult(cmdletName, [], now);
      }
      case 'set-mailbox': return this.setMailbox(ctx, caller, cmdletName, params, identity);
      case 'remove-inboxrule': {
        // https://learn.microsoft.com/powershell/module/exchange/remove-inboxrule: Identity is the rule (`alias\\ruleId`,
        // its RuleIdentity or its name); Mailbox names the mailbox when the Identity does not.
        if (!identity) throw parameterError("Cannot process command because of one or more missing mandatory parameters: Identity.");
        const mailboxId = stringParam(params, 'Mailbox') ?? (identity.includes('\\') ? identity.split('\\')[0] : undefined) ?? caller.userId ?? undefined;
        const user = mailboxId ? this.state.findUser(mailboxId) : undefined;
        if (!user) throw notFound(identity, org.partition);
        const mailbox = this.state.mailbox(user);
        const rule = this.state.inboxRules(user).find((r) => r.ruleIdentity === identity || `${mailbox.name}\\${r.ruleIdentity}`.toLowerCase() === identity.toLowerCase() || r.name.toLowerCase() === identity.toLowerCase());
        if (!rule || !this.state.removeInboxRule(user, rule.ruleIdentity)) throw notFound(identity, org.partition);
        this.audit(ctx, caller, 'Remove-InboxRule', `${mailbox.name}\\${rule.ruleIdentity}`, params);
        return listResult(cmdletName, [], now);
      }
      // https://learn.microsoft.com/powershell/module/exchange/get-adminauditlogconfig
      case 'get-adminauditlogconfig': return listResult(cmdletName, [adminAuditLogConfigObject(this.state.auditConfig, org)], now);
      // https://learn.microsoft.com/powershell/module/exchange/get-organizationconfig: one object per organisation.
      case 'get-organizationconfig': return listResult(cmdletName, [organizationConfigObject(this.state.organizationConfig, org, this.tenant.displayName)], now);
      // https://learn.microsoft.com/powershell/module/exchange/get-mailboxauditbypassassociation: every user account
      // (AuditBypassEnabled true or false), or the one named by Identity.
      case 'get-mailboxauditbypassassociation': {
        const rows = this.state.auditBypassRows();
        const wanted = identity?.toLowerCase();
        const items = wanted === undefined ? rows : rows.filter((r) => r.name.toLowerCase() === wanted || r.guid === wanted || r.userPrincipalName?.toLowerCase() === wanted);
        if (wanted !== undefined && items.length === 0) throw notFound(identity!, org.partition);
        return listResult(cmdletName, items.map((r) => auditBypassObject(r, org)), now);
      }
      // Exchange RBAC for applications (https://learn.microsoft.com/exchange/permissions-exo/application-rbac).
      case 'get-serviceprincipal': return listResult(cmdletName, this.state.exchangeServicePrincipals.map((sp) => exchangeServicePrincipalObject(sp, org)), now);
      case 'get-managementroleassignment': {
        // Only the app assignments are modelled: the built-in role groups' hundreds of assignments are not. -Identity
        // names one (https://learn.microsoft.com/powershell/module/exchange/get-managementroleassignment): once it is
        // removed, the read answers ManagementObjectNotFoundException, as Exchange's Get- cmdlets do for a missing identity.
        if (identity) {
          const one = this.state.findAppRoleAssignment(identity) ?? throwNotFound(identity, org.partition);
          return listResult(cmdletName, [appRoleAssignmentObject(one, org)], now);
        }
        if (stringParam(params, 'RoleAssigneeType')?.toLowerCase() !== 'serviceprincipal') throw parameterError("The simulator's Get-ManagementRoleAssignment answers -Identity or -RoleAssigneeType ServicePrincipal only.");
        return listResult(cmdletName, this.state.appRoleAssignments.map((a) => appRoleAssignmentObject(a, org)), now);
      }
      case 'remove-managementroleassignment': {
        // https://learn.microsoft.com/powershell/module/exchange/remove-managementroleassignment: Identity (the
        // assignment's name, or its Guid) is mandatory; the app loses the role at once, and Get-ManagementRoleAssignment
        // no longer lists it. A name that is not there (removed already) answers ManagementObjectNotFoundException (404).
        if (!identity) throw parameterError('Cannot process command because of one or more missing mandatory parameters: Identity.');
        const removed = this.state.removeAppRoleAssignment(identity);
        if (!removed) throw notFound(identity, org.partition);
        this.audit(ctx, caller, 'Remove-ManagementRoleAssignment', removed.name, params);
        return listResult(cmdletName, [], now);
      }
      case 'set-mailboxauditbypassassociation': return this.setAuditBypass(ctx, caller, cmdletName, params, identity);
      case 'set-adminauditlogconfig': {
        // https://learn.microsoft.com/powershell/module/exchange/set-adminauditlogconfig: in Exchange Online only
        // UnifiedAuditLogIngestionEnabled changes anything; AdminAuditLogEnabled is accepted and ignored there.
        const ingestion = boolParam(params, 'UnifiedAuditLogIngestionEnabled');
        if (ingestion === undefined) throw parameterError('Set-AdminAuditLogConfig needs UnifiedAuditLogIngestionEnabled in Exchange Online.');
        this.state.auditConfig.unifiedAuditLogIngestionEnabled = ingestion;
        this.state.auditConfig.changedMs = now;
        this.audit(ctx, caller, 'Set-AdminAuditLogConfig', 'Admin Audit Log Settings', params);
        return listResult(cmdletName, [], now);
      }
      default:
        throw new CmdletError(400, 'System.Management.Automation.CommandNotFoundException',
          `The term '${cmdletName}' is not recognized as a name of a cmdlet, function, script file, or executable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`);
    }
  }

  /**
   * Set-Mailbox's forwarding parameters only (https://learn.microsoft.com/powershell/module/exchange/set-mailbox):
   * ForwardingSmtpAddress / ForwardingAddress take an address or $null, DeliverToMailboxAndForward a boolean.
   * Anything else is refused rather than silently ignored.
   */
  private setMailbox(ctx: RequestContext, caller: Caller, cmdletName: string, params: Params, identity: string | undefined): ResultSet {
    const org = this.state.org;
    if (!identity) throw parameterError("Cannot process command because of one or more missing mandatory parameters: Identity.");
    const supported = new Set(['identity', 'forwardingsmtpaddress', 'forwardingaddress', 'delivertomailboxandforward', 'confirm']);
    const other = Object.keys(params).find((k) => !supported.has(k.toLowerCase()));
    if (other) throw parameterError(`The simulator's Set-Mailbox does not change '${other}'.`);
    const user = this.state.findUser(identity);
    if (!user) throw notFound(identity, org.partition);
    const changes: Parameters<ExchangeState['setMailbox']>[1] = {};
    if (param(params, 'ForwardingSmtpAddress') !== undefined) {
      const v = stringParam(params, 'ForwardingSmtpAddress');
      changes.forwardingSmtpAddress = v ? (v.toLowerCase().startsWith('smtp:') ? v : `smtp:${v}`) : null;
    }
    if (param(params, 'ForwardingAddress') !== undefined) changes.forwardingAddress = stringParam(params, 'ForwardingAddress') || null;
    const deliver = boolParam(params, 'DeliverToMailboxAndForward');
    if (deliver !== undefined) changes.deliverToMailboxAndForward = deliver;
    this.state.setMailbox(user, changes, ctx.nowMs);
    this.audit(ctx, caller, 'Set-Mailbox', this.state.mailbox(user).name, params);
    return listResult(cmdletName, [], ctx.nowMs);
  }

  /**
   * Set-MailboxAuditBypassAssociation (https://learn.microsoft.com/powershell/module/exchange/set-mailboxauditbypassassociation):
   * Identity and AuditBypassEnabled are both mandatory; Identity is the account (name, alias, user principal name or
   * Guid: what Get-MailboxAuditBypassAssociation answers for). Afterwards Get-MailboxAuditBypassAssociation shows the
   * new AuditBypassEnabled and WhenChanged. Setting the value the account already has changes nothing and says so in a
   * warning, as Exchange's Set- cmdlets do ("…no settings of '…' have been modified"); no audit record is written then.
   */
  private setAuditBypass(ctx: RequestContext, caller: Caller, cmdletName: string, params: Params, identity: string | undefined): ResultSet {
    const org = this.state.org;
    const enabled = boolParam(params, 'AuditBypassEnabled');
    const missing = [identity ? null : 'Identity', enabled === undefined ? 'AuditBypassEnabled' : null].filter(Boolean);
    if (missing.length > 0) throw parameterError(`Cannot process command because of one or more missing mandatory parameters: ${missing.join(' ')}.`);
    const row = this.state.findAuditBypass(identity!);
    if (!row) throw notFound(identity!, org.partition);
    if (row.enabled === enabled) {
      return { ...listResult(cmdletName, [], ctx.nowMs), warnings: [`The command completed successfully but no settings of '${row.name}' have been modified.`] };
    }
    this.state.setAuditBypass(row, enabled!, ctx.nowMs);
    this.audit(ctx, caller, 'Set-MailboxAuditBypassAssociation', row.name, params);
    return listResult(cmdletName, [], ctx.nowMs);
  }

  private getMailbox(cmdletName: string, params: Params, identity: string | undefined, now: number): ResultSet {
    const org = this.state.org;
    if (identity) {
      const user = this.state.findUser(identity);
      if (!user) throw notFound(identity, org.partition);
      return listResult(cmdletName, [mailboxObject(this.state.mailbox(user), org)], now);
    }
    // Get-Mailbox returns 1,000 mailboxes unless ResultSize says otherwise ("Unlimited" for all).
    const size = resultSizeParam(params, 1000, null);
    const filterText = stringParam(params, 'Filter');
    const filter = filterText ? mailboxFilter(filterText) : null;
    const typeFilter = listParam(params, 'RecipientTypeDetails')?.map((t) => t.toLowerCase());
    const users = this.state.mailboxUsers();
    if (!filter && !typeFilter) {
      const count = Math.min(size, users.length);
      return {
        cmdlet: cmdletName, count, createdMs: now,
        slice: (from, to) => users.slice(from, Math.min(to, count)).map((u) => mailboxObject(this.state.mailbox(u), org)),
      };
    }
    const picked: MailboxSpec[] = [];
    for (const user of users) {
      if (picked.length >= size) break;
      const mb = this.state.mailbox(user);
      if (filter && !filter(mb)) continue;
      if (typeFilter && !typeFilter.includes(mb.recipientTypeDetails.toLowerCase())) continue;
      picked.push(mb);
    }
    return { cmdlet: cmdletName, count: picked.length, createdMs: now, slice: (from, to) => picked.slice(from, to).map((m) => mailboxObject(m, org)) };
  }

  private auditFault(key: string): Promise<void> {
    return auditFaultFor(this.options.auditFaults, key, this.transientFired);
  }

  private async searchUnifiedAuditLog(cmdletName: string, params: Params, now: number): Promise<ResultSet> {
    const startMs = dateParam(params, 'StartDate');
    const endMs = dateParam(params, 'EndDate');
    if (startMs === undefined || endMs === undefined) {
      throw parameterError('Cannot process command because of one or more missing mandatory parameters: StartDate EndDate.');
    }
    if (endMs <= startMs) throw new CmdletError(400, 'Microsoft.Exchange.Management.SystemConfigurationTasks.InvalidDateRangeException', 'The start date must be earlier than the end date.');
    const size = resultSizeParam(params, UAL_LIMITS.defaultResultSize, UAL_LIMITS.maxResultSize);
    const sessionId = stringParam(params, 'SessionId');
    const sessionCommand = stringParam(params, 'SessionCommand');
    let session: UalSession | null = null;
    if (sessionCommand !== undefined) {
      const command = ['ReturnLargeSet', 'ReturnNextPreviewPage'].find((c) => c.toLowerCase() === sessionCommand.toLowerCase());
      if (!command) throw parameterError(`Cannot bind parameter 'SessionCommand'. Cannot convert value "${sessionCommand}" to type "Microsoft.Exchange.Management.SystemConfigurationTasks.SessionCommandType".`);
      if (!sessionId) throw parameterError('The SessionCommand parameter requires a SessionId.');
      session = { id: sessionId, command: command as UalSession['command'] };
    } else if (sessionId) {
      // A SessionId alone pages through the set in date order, like ReturnNextPreviewPage.
      session = { id: sessionId, command: 'ReturnNextPreviewPage' };
    }
    const lowerSet = (name: string) => {
      const list = listParam(params, name);
      return list && list.length > 0 ? new Set(list.map((s) => s.toLowerCase())) : null;
    };
    const freeText = stringParam(params, 'FreeText');
    const query: UalQuery = {
      startMs, endMs, recordTypes: lowerSet('RecordType'), operations: lowerSet('Operations'), userIds: lowerSet('UserIds'),
      objectIds: lowerSet('ObjectIds'), freeText: freeText ? freeText.toLowerCase() : null,
    };
    await this.auditFault(JSON.stringify([startMs, endMs, sessionId ?? null]));
    const rows = await this.search.searchAsync(query, size, session);
    return listResult(cmdletName, rows, now);
  }
}

/** The knobs of `auditFaults` for one call: slow or failing once, by a seeded share of the window. */
async function auditFaultFor(faults: AuditFaults | undefined, key: string, fired: Set<string>): Promise<void> {
  if (!faults) return;
  const window = key.replace(/,[^,]*\]$/, ']');
  if ((faults.transientRate ?? 0) > seededShare(faults.seed, 'transient', window) && !fired.has(key)) {
    fired.add(key);
    const pick = TRANSIENT_EXCEPTION_TYPES[Math.floor(seededShare(faults.seed, 'exception', window) * TRANSIENT_EXCEPTION_TYPES.length)]!;
    throw transientCmdletError(pick);
  }
  if ((faults.slowRate ?? 0) > seededShare(faults.seed, 'slow', window) && !fired.has(`slow|${key}`)) {
    fired.add(`slow|${key}`);
    await new Promise((resolve) => setTimeout(resolve, faults.slowMs ?? 1000));
  }
}

function throwNotFound(identity: string, org: string): never {
  throw notFound(identity, org);
}
