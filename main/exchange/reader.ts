// Main process / CLI: Exchange Online admin API reads (InvokeCommand, as ExchangeOnlineManagement v3 calls it), paged by POSTing the same body to @odata.nextLink.
import type { HttpResponse, HttpTransport } from '../http/https';
import { redactUrl } from '../http/https';
import { withRetries } from '../http/retry';
import { isExchangeHost, type TenantEnvironment } from '../auth/environment';

/**
 * ExchangeOnlineManagement gives each request 16 minutes, "1 minute more than server timeout" (its REST client's
 * DefaultTimeout = 960 s): a Search-UnifiedAuditLog session can take minutes to answer, so Graph's 60 s would cut it.
 */
export const EXCHANGE_TIMEOUT_MS = 960_000;

/**
 * Server-side exceptions the module retries (its RetryableExceptions: DCOverloadedException, SuitabilityDirectoryException,
 * ServerInMMException, ADServerSettingsChangedException, StorageTransientException), with the busy and transient kin
 * Exchange names in the same error bodies.
 */
export const TRANSIENT_EXCEPTIONS = new Set([
  'DCOverloadedException', 'SuitabilityDirectoryException', 'ServerInMMException', 'ADServerSettingsChangedException', 'StorageTransientException',
  'ServerBusyException', 'ConnectionFailedTransientException', 'ADTransientException', 'TransientException',
]);

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export interface ExchangePage {
  url: string;
  /** The request body, kept with the evidence: which cmdlet and parameters produced this page. */
  requestBody: string;
  status: number;
  contentType: string;
  body: Buffer;
  value: unknown[];
  nextLink: string | null;
  /** `@adminapi.warnings` and `@adminapi.errors` of a 200: the cmdlet ran, but may have returned less than asked. */
  warnings: string[];
  errors: string[];
}

export interface ExchangeReaderDeps {
  /** e.g. https://outlook.office365.com */
  baseUrl: string;
  tenantId: string;
  transport: HttpTransport;
  /** `forceRefresh` after a 401: the cached token was refused. */
  getToken: (opts?: { forceRefresh?: boolean }) => Promise<string>;
  /** Routing hint the service needs: `UPN:<upn>` when signed in as a person; for app-only see appOnlyAnchorMailbox. */
  anchorMailbox: string;
  sleep?: (ms: number) => Promise<void>;
  maxRetries?: number;
  /** Idle timeout per request; default EXCHANGE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Host names a redirect or next-page link may lead to (`*.` for subdomains); default: the base URL's host alone. */
  hosts?: readonly string[];
}

export class ExchangeError extends Error {
  constructor(message: string, readonly status: number, readonly code: string, readonly cmdlet: string) {
    super(message);
    this.name = 'ExchangeError';
  }
}

export interface ExchangeReader {
  invokeUrl: string;
  /** One page of a cmdlet's output; `url` is the InvokeCommand URL or a saved nextLink. */
  page(cmdlet: string, parameters: Record<string, unknown>, url?: string, signal?: AbortSignal, onRetry?: (waitMs: number) => void): Promise<ExchangePage>;
  pages(cmdlet: string, parameters: Record<string, unknown>, signal?: AbortSignal): AsyncGenerator<ExchangePage>;
}


export function invokeCommandBody(cmdlet: string, parameters: Record<string, unknown>): string {
  return JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } });
}

/** The reader for an environment: its cloud's admin API base and the hosts it may be sent to. */
export function createExchangeReaderFor(env: TenantEnvironment, deps: Omit<ExchangeReaderDeps, 'baseUrl' | 'hosts'>): ExchangeReader {
  return createExchangeReader({ ...deps, baseUrl: env.exchangeBaseUrl, hosts: env.exchangeHosts });
}

export function createExchangeReader(deps: ExchangeReaderDeps): ExchangeReader {
  const base = new URL(deps.baseUrl);
  const invokeUrl = new URL(`/adminapi/beta/${encodeURIComponent(deps.tenantId)}/InvokeCommand`, base).toString();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxRetries = deps.maxRetries ?? 6;
  const hosts = deps.hosts ?? [base.hostname];

  /** Redirects and next links are data from the server: the bearer token goes only to the cloud's Exchange hosts, over HTTPS. */
  function checkedTarget(url: string, relativeTo: URL, cmdlet: string, what: 'next_link' | 'redirect'): URL {
    const target = new URL(url, relativeTo);
    if (target.protocol !== 'https:' || !isExchangeHost(hosts, target.hostname)) {
      throw new ExchangeError(`Refusing to follow ${what === 'redirect' ? 'a redirect' : 'a next-page link'} to ${redactUrl(target.toString())}: it is not one of this cloud's Exchange Online hosts (${hosts.join(', ')}).`, 0, `foreign_${what}`, cmdlet);
    }
    return target;
  }

  async function page(cmdlet: string, parameters: Record<string, unknown>, url = invokeUrl, signal?: AbortSignal, onRetry?: (waitMs: number) => void): Promise<ExchangePage> {
    if (!/^(Get|Search)-[A-Za-z]+$/.test(cmdlet)) throw new ExchangeError(`${cmdlet} is not a read cmdlet; collection runs only Get- and Search- cmdlets.`, 0, 'not_a_read', cmdlet);
    // Where the request is sent now: a redirect to the tenant's own host moves it, and later tries go there directly.
    let target = checkedTarget(url, base, cmdlet, 'next_link');
    const requestBody = invokeCommandBody(cmdlet, parameters);
    const post = (to: URL, token: string) =>
      deps.transport({
        method: 'POST',
        url: to.toString(),
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'x-anchormailbox': deps.anchorMailbox,
          prefer: 'odata.maxpagesize=1000',
          'client-request-id': crypto.randomUUID(),
        },
        body: requestBody,
        timeoutMs: deps.timeoutMs ?? EXCHANGE_TIMEOUT_MS,
        signal,
      });
    return withRetries<ExchangePage>({
      url: target.toString(),
      signal,
      maxRetries,
      sleep,
      send: async (forceRefresh) => {
        const token = await deps.getToken({ forceRefresh });
        let res = await post(target, token);
        // The same POST again at the Location, as long as it stays on the cloud's Exchange hosts.
        for (let hops = 0; REDIRECTS.has(res.status); hops++) {
          const location = res.headers.location;
          if (!location) throw new ExchangeError(`Exchange Online answered ${cmdlet} with HTTP ${res.status} and no Location.`, res.status, 'redirect_without_location', cmdlet);
          if (hops >= MAX_REDIRECTS) throw new ExchangeError(`Exchange Online redirected ${cmdlet} more than ${MAX_REDIRECTS} times.`, res.status, 'redirect_loop', cmdlet);
          target = checkedTarget(location, target, cmdlet, 'redirect');
          res = await post(target, token);
        }
        return res;
      },
      accept: (res, lastTry) => {
        try {
          const p = parse(target.toString(), requestBody, cmdlet, res);
          if (p.nextLink) p.nextLink = checkedTarget(p.nextLink, target, cmdlet, 'next_link').toString();
          return p;
        } catch (err) {
          // A truncated page is usually transient; one that stays broken fails the source (a foreign link at once).
          if (!lastTry && !(err instanceof ExchangeError && err.code === 'foreign_next_link')) return { retry: undefined };
          throw err;
        }
      },
      transient: (res) => res.status >= 500 && TRANSIENT_EXCEPTIONS.has(exceptionOf(res)?.type ?? ''),
      fail: (res) => exchangeError(cmdlet, res),
      onRetry: (info) => onRetry?.(info.waitMs),
    });
  }

  return {
    invokeUrl,
    page,
    async *pages(cmdlet, parameters, signal) {
      let url: string | null = invokeUrl;
      while (url) {
        const p: ExchangePage = await page(cmdlet, parameters, url, signal);
        yield p;
        url = p.nextLink;
      }
    },
  };
}

/** Strings as a page lists them (warnings are strings; an error may be an object with a message). */
function messages(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((m) => (typeof m === 'string' ? m : typeof m === 'object' && m !== null && typeof (m as { message?: unknown }).message === 'string' ? (m as { message: string }).message : JSON.stringify(m)));
}

function parse(url: string, requestBody: string, cmdlet: string, res: HttpResponse): ExchangePage {
  let json: { value?: unknown; '@odata.nextLink'?: unknown; 'odata.nextLink'?: unknown; '@adminapi.warnings'?: unknown; '@adminapi.errors'?: unknown };
  try {
    json = JSON.parse(res.body.toString('utf8')) as typeof json;
  } catch {
    throw new ExchangeError(`Exchange Online answered ${cmdlet} with a page that is not valid JSON (${res.body.length} bytes). Nothing from this page was stored.`, res.status, 'malformed_page', cmdlet);
  }
  if (!Array.isArray(json.value)) throw new ExchangeError(`Exchange Online answered ${cmdlet} without a "value" list.`, res.status, 'malformed_page', cmdlet);
  return {
    url,
    requestBody,
    status: res.status,
    contentType: res.headers['content-type'] ?? 'application/json',
    body: res.body,
    value: json.value,
    // OData 4 writes `@odata.nextLink`; Exchange also answers in the older `odata.nextLink` form.
    nextLink: typeof json['@odata.nextLink'] === 'string' ? json['@odata.nextLink'] : typeof json['odata.nextLink'] === 'string' ? json['odata.nextLink'] : null,
    warnings: messages(json['@adminapi.warnings']),
    errors: messages(json['@adminapi.errors']),
  };
}

/** The .NET exception an error body names (`Code|Namespace.Type|Message` in error.details, or innererror.internalException.type). */
function exceptionOf(res: HttpResponse): { type: string; detail: string | null } | null {
  try {
    const e = (JSON.parse(res.body.toString('utf8')) as {
      error?: { details?: { message?: string }[]; innererror?: { internalException?: { type?: string } } };
    }).error;
    const detail = e?.details?.find((d) => typeof d.message === 'string')?.message ?? null;
    const parts = detail?.split('|') ?? [];
    const full = parts.length >= 3 ? parts[1] : e?.innererror?.internalException?.type;
    return full ? { type: full.split('.').at(-1) ?? full, detail } : null;
  } catch {
    return null;
  }
}

/** The module's errors put `Code|Type|Message` in error.details[].message, or the text in innererror.internalException. */
export function exchangeError(cmdlet: string, res: HttpResponse): ExchangeError {
  let code = `http_${res.status}`;
  let message = `HTTP ${res.status}`;
  try {
    const body = JSON.parse(res.body.toString('utf8')) as {
      error?: { code?: string; message?: string; details?: { message?: string }[]; innererror?: { internalException?: { message?: string } } };
    };
    const e = body.error;
    if (e?.code) code = e.code;
    const detail = e?.details?.find((d) => typeof d.message === 'string')?.message;
    if (detail) {
      const parts = detail.split('|');
      message = parts.length >= 3 ? parts.slice(2).join('|') : detail;
      if (parts.length >= 3 && parts[1]) code = parts[1].split('.').at(-1) ?? code;
    } else if (e?.innererror?.internalException?.message) message = e.innererror.internalException.message;
    else if (e?.message) message = e.message;
  } catch {
    /* a non-JSON error body: the status says enough */
  }
  const advice =
    res.status === 403 ? ' The signed-in identity lacks an Exchange role (Exchange Administrator or Global Administrator, or Exchange.ManageAsApp plus a role for an app).'
    : res.status === 401 ? ' The sign-in is no longer valid for Exchange Online: sign in again.'
    : res.status === 429 ? ' Exchange Online kept throttling after every retry: resume the collection later.'
    : TRANSIENT_EXCEPTIONS.has(code) ? ' Exchange Online stayed busy after every retry: resume the collection later.'
    : '';
  return new ExchangeError(`Exchange Online refused ${cmdlet}: ${code}: ${message}.${advice}`, res.status, code, cmdlet);
}
