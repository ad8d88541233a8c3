// Test tooling (Node): the tenant simulator, a loopback HTTPS server speaking Entra ID's and Microsoft Graph's protocols over a seeded tenant.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateSimulatorTls, type SimulatorTls } from './ca';
import { buildEnvironment, type Environment } from './environment';
import { handleGraph } from './graph';
import { handleBatch } from './batch';
import { Faults, type FaultSpec } from './faults';
import type { GraphDirectoryAudit } from './logs/types';
import { AAD_CONTENT_TYPE, newRequestContext, sendGraphError, sendJson, type RequestContext } from './http';
import {
  IdentityState, handleDeviceCode, handleToken, instanceDiscovery, openIdConfiguration, resolveTenant, sendUnknownTenant,
} from './identity';
import { getDeviceLogin, postDeviceLogin } from './devicelogin';
import { getAuthorize, postAuthorize } from './authorize';
import { CONSENT_AS_ADMIN, deviceCodeBlockPolicy, type ConsentAnswer } from './consent';
import { buildTenant, groundTruth as makeGroundTruth, type AttackShapeMode, type GroundTruth, type ScenarioName, type Tenant } from './scenario';
import { GRAPH_CLI_CLIENT_ID } from './wellknown';
import { ExchangeService, type ExchangeOptions } from './exchange/invoke';
import { attachLogs, handleLogs, isLogsPath, logsFor, type SimLogStore } from './logs';
import type { ThrottleOptions } from './logs/throttle';

export interface SimulatorOptions {
  scenario?: ScenarioName;
  seed?: number;
  /** 0 (default) picks a free port. */
  port?: number;
  /** UPN that approves every device code at once (tests); false or absent waits for the sign-in page. */
  autoApprove?: string | false;
  /** Page size when a request has no $top (Graph's is 100). */
  pageSizeDefault?: number;
  deviceCodeLifetimeSeconds?: number;
  accessTokenLifetimeSeconds?: number;
  pollingIntervalSeconds?: number;
  /** Clock in epoch milliseconds, so tests can expire codes and tokens without sleeping. */
  now?: () => number;
  /** Reuse certificates across simulators in one test run (generation takes a few hundred ms). */
  tls?: SimulatorTls;
  /** Users in the tenant (default 200, at most 100,000). */
  users?: number;
  /** The attack's shape: canonical for seeds 1–12, drawn from the seed otherwise (default); either can be forced. */
  attackShape?: AttackShapeMode;
  /** The first malicious app's display name (an impostor named after the engagement's own app, for detection tests). */
  maliciousAppName?: string;
  /** Days of log history (default 30, at most 180); read by the log store. */
  days?: number;
  /** Faults from the first request on (429 storms, 503s, resets, slow or truncated pages, expiring tokens); change later with `SimHandle.faults`. */
  faults?: FaultSpec;
  /** Exchange admin API knobs (throttling, the Unified Audit Log stream). */
  exchange?: ExchangeOptions;
  /** Sign-ins per user per day in the generated logs (default 3). */
  eventsPerUserPerDay?: number;
  /** Identity-and-access report throttling (default 5 requests per 10 s per app). */
  reportsThrottle?: ThrottleOptions;
  /** Adds a Conditional Access policy that blocks the device code flow: sign-in pages refuse it and the token poll answers AADSTS53003. */
  blockDeviceCode?: boolean;
}

export interface RequestLogEntry {
  method: string;
  /** Path and query string, as requested. */
  path: string;
  status: number;
}

export interface SimHandle {
  /** `https://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  caPem: string;
  tenantId: string;
  environment: Environment;
  groundTruth: GroundTruth;
  /** The whole generated tenant, for assertions beyond the ground truth. */
  tenant: Tenant;
  /**
   * Signs a pending device code in as the given user, like the sign-in page, answering its consent prompt (by default
   * as an administrator would: accept, for the organisation). Returns what the page showed; throws on an unknown or
   * expired code or user.
   */
  approve(userCode: string, upn: string, consent?: ConsentAnswer): 'approved' | 'refused';
  requests: RequestLogEntry[];
  /** Fault switchboard: `faults.set({ rules: [{ kind: 'throttle', path: '/v1.0/users', count: 3 }] })`. */
  faults: Faults;
  /** Directory audits the simulated Graph writes recorded, in order (also appended to the log store). */
  directoryAuditsWritten: readonly GraphDirectoryAudit[];
  /** Exchange Online state and its InvokeCommand service (connectors, rules, mailboxes; writes land here). */
  exchange: ExchangeService;
  /** Sign-ins, directory audits and Unified Audit Log records (generated lazily; writes append to it). */
  logs: SimLogStore;
  close(): Promise<void>;
}

/** A bad option passed to startSimulator (as opposed to a failure while starting). */
export class SimulatorOptionsError extends Error {}

function segmentsOf(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function methodNotAllowed(ctx: RequestContext, allow: string): void {
  sendGraphError(ctx, 405, 'MethodNotAllowed', `The HTTP method '${ctx.req.method ?? ''}' is not allowed on this resource.`, { Allow: allow });
}

interface Route {
  method: 'GET' | 'POST';
  handle: () => void | Promise<void>;
}

/** Dispatches one request; every branch sends exactly one response. */
async function route(ctx: RequestContext, state: IdentityState, opts: Required<Pick<SimulatorOptions, 'pageSizeDefault'>>, autoApproveUserId: string | undefined, exchange: ExchangeService): Promise<void> {
  const segments = segmentsOf(ctx.url.pathname);
  if (!segments) return sendGraphError(ctx, 400, 'BadRequest', 'The request URL is not valid.');
  const [first = '', second, third, fourth, ...more] = segments;

  if ((first === 'v1.0' || first === 'beta') && second === '$batch' && segments.length === 2) {
    const faults = state.faults;
    return handleBatch(ctx, first, {
      dispatch: (sub) => route(sub, state, opts, autoApproveUserId, exchange),
      ...(faults ? { fault: (sub: RequestContext) => faults.apply(sub, true) } : {}),
    });
  }
  if ((first === 'v1.0' || first === 'beta') && isLogsPath(segments.slice(1))) return handleLogs(ctx, state, logsFor(state), first, segments.slice(1));
  if (first === 'v1.0' || first === 'beta') {
    return handleGraph(ctx, state, { pageSizeDefault: opts.pageSizeDefault }, first, segments.slice(1));
  }
  if (first === 'adminapi') return exchange.handle(ctx, segments.slice(1));

  const candidates: Route[] = [];
  if (first === 'devicelogin' && segments.length === 1) {
    candidates.push({ method: 'GET', handle: () => getDeviceLogin(ctx, state) });
    candidates.push({ method: 'POST', handle: () => postDeviceLogin(ctx, state) });
  } else if (first === 'common' && second === 'discovery' && third === 'instance' && segments.length === 3) {
    candidates.push({ method: 'GET', handle: () => sendJson(ctx, 200, instanceDiscovery(state, ctx.url), AAD_CONTENT_TYPE) });
  } else if (segments.length === 4 && more.length === 0) {
    const path = `${second}/${third}/${fourth}`;
    const tenantRoute = (method: Route['method'], handle: (kind: 'tenant' | 'organizations') => void | Promise<void>): Route => ({
      method,
      handle: () => {
        const kind = resolveTenant(state, first);
        if (!kind) return sendUnknownTenant(ctx, first);
        return handle(kind);
      },
    });
    if (path === 'v2.0/.well-known/openid-configuration') {
      candidates.push(tenantRoute('GET', (kind) => sendJson(ctx, 200, openIdConfiguration(state, first, kind), AAD_CONTENT_TYPE)));
    } else if (path === 'oauth2/v2.0/devicecode') {
      candidates.push(tenantRoute('POST', () => handleDeviceCode(ctx, state, autoApproveUserId)));
    } else if (path === 'oauth2/v2.0/token') {
      candidates.push(tenantRoute('POST', () => handleToken(ctx, state)));
    } else if (path === 'discovery/v2.0/keys') {
      // Tokens are HS256 with a private per-run key: there is no public key to publish.
      candidates.push(tenantRoute('GET', () => sendJson(ctx, 200, { keys: [] }, AAD_CONTENT_TYPE)));
    } else if (path === 'oauth2/v2.0/authorize') {
      candidates.push(tenantRoute('GET', () => getAuthorize(ctx, state)));
      candidates.push(tenantRoute('POST', () => postAuthorize(ctx, state)));
    }
  }

  if (candidates.length === 0) {
    return sendGraphError(ctx, 404, 'ResourceNotFound', `Resource not found for the segment '${first}'.`);
  }
  const match = candidates.find((c) => c.method === ctx.req.method);
  if (!match) return methodNotAllowed(ctx, candidates.map((c) => c.method).join(', '));
  await match.handle();
}

/** Starts the simulator on 127.0.0.1 with a fresh CA; resolves once it is listening. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimHandle> {
  const scenario = options.scenario ?? 'contoso';
  const seed = options.seed ?? 1;
  let tenant: Tenant;
  try {
    tenant = buildTenant({
      scenario, seed, ...(options.users !== undefined ? { users: options.users } : {}),
      ...(options.attackShape !== undefined ? { attackShape: options.attackShape } : {}),
      ...(options.maliciousAppName !== undefined ? { maliciousAppName: options.maliciousAppName } : {}),
    });
  } catch (err) {
    throw new SimulatorOptionsError(err instanceof Error ? err.message : String(err));
  }
  // The tenant's own Conditional Access blocks device code: the policy is there to be collected, and the sign-in pages obey it.
  if (options.blockDeviceCode) tenant.conditionalAccessPolicies.push(deviceCodeBlockPolicy(tenant));
  const truth = makeGroundTruth(tenant);
  const now = options.now ?? Date.now;
  const pageSizeDefault = options.pageSizeDefault ?? 100;
  if (!Number.isInteger(pageSizeDefault) || pageSizeDefault < 1 || pageSizeDefault > 999) {
    throw new SimulatorOptionsError(`pageSizeDefault must be an integer from 1 to 999, got ${pageSizeDefault}`);
  }
  let baseUrl = '';
  const state = new IdentityState(tenant, () => baseUrl, {
    deviceCodeLifetimeSeconds: options.deviceCodeLifetimeSeconds ?? 900,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3599,
    pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1,
  });
  const faults = new Faults(options.faults);
  state.faults = faults;
  state.tokenLifetimeOverride = () => faults.tokenLifetimeSeconds();
  let logs: ReturnType<typeof attachLogs>;
  try {
    logs = attachLogs(state, tenant, { days: options.days ?? 30, seed, ...(options.eventsPerUserPerDay !== undefined ? { eventsPerUserPerDay: options.eventsPerUserPerDay } : {}), ...(options.reportsThrottle ? { throttle: options.reportsThrottle } : {}) });
  } catch (err) {
    throw new SimulatorOptionsError(err instanceof Error ? err.message : String(err));
  }
  truth.logs = logs.store.groundTruth();
  const exchange = new ExchangeService(tenant, state.signingKey, () => baseUrl, { unifiedAudit: logs.store.unifiedAudit, ...options.exchange });
  truth.exchange = exchange.state.groundTruth();
  let autoApproveUserId: string | undefined;
  if (options.autoApprove) {
    const user = state.findUser(options.autoApprove);
    if (!user) throw new SimulatorOptionsError(`--auto-approve: there is no user ${options.autoApprove} in the ${scenario} tenant (try ${tenant.users[0]?.userPrincipalName ?? 'an admin'}).`);
    autoApproveUserId = user.id;
  }

  const tls = options.tls ?? await generateSimulatorTls();
  const requests: RequestLogEntry[] = [];
  /** One listener: the shared host serves everything; the tenant's own Exchange host (`tenantHost`) serves InvokeCommand alone. */
  const listener = (tenantHost: () => string | null) => createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const host = tenantHost();
    const ctx = newRequestContext(req, res, host ?? baseUrl, now());
    // Logged as soon as the handler has answered, so a test that awaited the response always finds its entry.
    const log = () => requests.push({ method: req.method ?? '', path: req.url ?? '', status: res.statusCode });
    const dispatch = () => {
      if (!host) return route(ctx, state, { pageSizeDefault }, autoApproveUserId, exchange);
      const segments = segmentsOf(ctx.url.pathname);
      if (segments?.[0] !== 'adminapi') return sendGraphError(ctx, 404, 'ResourceNotFound', 'This host serves the Exchange admin API only.');
      return exchange.handle(ctx, segments.slice(1), host);
    };
    // Faults sit in front of every route (Graph, Exchange, identity): a rule may answer, delay or cut the response.
    faults.apply(ctx).then((answered) => (answered ? undefined : dispatch())).then(log, (err: unknown) => {
      if (res.headersSent) {
        res.destroy();
      } else {
        const message = err instanceof Error ? err.message : String(err);
        sendGraphError(ctx, 500, 'generalException', `The simulator failed: ${message}`);
      }
      log();
    });
  });
  const listen = (s: Server, port: number) => new Promise<number>((resolvePromise, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolvePromise((s.address() as AddressInfo).port);
    });
  });
  const server: Server = listener(() => null);
  baseUrl = `https://127.0.0.1:${await listen(server, options.port ?? 0)}`;
  const servers = [server];
  if (options.exchange?.tenantHost) {
    const tenantServer = listener(() => exchange.tenantHostUrl);
    servers.push(tenantServer);
    exchange.tenantHostUrl = `https://127.0.0.1:${await listen(tenantServer, 0)}`;
  }

  const environment = buildEnvironment({
    scenario, seed, url: baseUrl, tenantId: tenant.tenantId, tenantDomain: tenant.domain, clientId: GRAPH_CLI_CLIENT_ID,
    engagementApp: { clientId: tenant.engagementApp.appId, clientSecret: tenant.engagementApp.clientSecret },
    remediationClientId: tenant.remediationClient.appId, users: tenant.users.length, days: options.days ?? 30,
    referenceTime: tenant.referenceTime,
  });

  return {
    url: baseUrl,
    caPem: tls.caPem,
    tenantId: tenant.tenantId,
    environment,
    groundTruth: truth,
    tenant,
    approve: (userCode, upn, consent = CONSENT_AS_ADMIN) => {
      const outcome = state.approve(userCode, upn, now(), consent);
      return outcome.kind === 'refused' ? 'refused' : 'approved';
    },
    requests,
    faults,
    directoryAuditsWritten: state.writtenAudits,
    exchange,
    logs: logs.store,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolveClose, reject) => {
        s.close((err) => (err ? reject(err) : resolveClose()));
        // Keep-alive sockets (MSAL, fetch) would otherwise hold close() open.
        s.closeAllConnections();
      })));
    },
  };
}
