// Main process / CLI: Exchange Online admin API reads (InvokeCommand, as ExchangeOnlineManagement v3 calls it), paged by POSTing the same body to @odata.nextLink.
import type { HttpResponse, HttpTransport } from '../http/https';
import { redactUrl } from '../http/https';
import { withRetries } from '../http/retry';

export interface ExchangePage {
  url: string;
  /** The request body, kept with the evidence: which cmdlet and parameters produced this page. */
  requestBody: string;
  status: number;
  contentType: string;
  body: Buffer;
  value: unknown[];
  nextLink: string | null;
}

export interface ExchangeReaderDeps {
  /** e.g. https://outlook.office365.com */
  baseUrl: string;
  tenantId: string;
  transport: HttpTransport;
  /** `forceRefresh` after a 401: the cached token was refused. */
  getToken: (opts?: { forceRefresh?: boolean }) => Promise<string>;
  /**
   * Routing hint the service needs: `UPN:<upn>` when signed in as a person; for app-only, public callers use the
   * tenant's system mailbox `UPN:SystemMailbox{8cc370d3-822a-4ab8-a926-bb94bd0641a9}@<initial domain>` (unconfirmed).
   */
  anchorMailbox: string;
  sleep?: (ms: number) => Promise<void>;
  maxRetries?: number;
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

export function createExchangeReader(deps: ExchangeReaderDeps): ExchangeReader {
  const base = new URL(deps.baseUrl);
  const invokeUrl = new URL(`/adminapi/beta/${encodeURIComponent(deps.tenantId)}/InvokeCommand`, base).toString();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxRetries = deps.maxRetries ?? 6;

  async function page(cmdlet: string, parameters: Record<string, unknown>, url = invokeUrl, signal?: AbortSignal, onRetry?: (waitMs: number) => void): Promise<ExchangePage> {
    if (!/^(Get|Search)-[A-Za-z]+$/.test(cmdlet)) throw new ExchangeError(`${cmdlet} is not a read cmdlet; collection runs only Get- and Search- cmdlets.`, 0, 'not_a_read', cmdlet);
    const target = new URL(url, base);
    if (target.origin !== base.origin) throw new ExchangeError(`Refusing to follow ${redactUrl(url)}: it is not on ${base.origin}.`, 0, 'foreign_next_link', cmdlet);
    const requestBody = invokeCommandBody(cmdlet, parameters);
    return withRetries<ExchangePage>({
      url: target.toString(),
      signal,
      maxRetries,
      sleep,
      send: async (forceRefresh) =>
        deps.transport({
          method: 'POST',
          url: target.toString(),
          headers: {
            authorization: `Bearer ${await deps.getToken({ forceRefresh })}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'x-anchormailbox': deps.anchorMailbox,
            prefer: 'odata.maxpagesize=1000',
            'client-request-id': crypto.randomUUID(),
          },
          body: requestBody,
          signal,
        }),
      accept: (res, lastTry) => {
        try {
          return parse(target.toString(), requestBody, cmdlet, res);
        } catch (err) {
          // A truncated page is usually transient; one that stays broken fails the source.
          if (!lastTry) return { retry: undefined };
          throw err;
        }
      },
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

function parse(url: string, requestBody: string, cmdlet: string, res: HttpResponse): ExchangePage {
  let json: { value?: unknown; '@odata.nextLink'?: unknown };
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
    nextLink: typeof json['@odata.nextLink'] === 'string' ? json['@odata.nextLink'] : null,
  };
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
    : '';
  return new ExchangeError(`Exchange Online refused ${cmdlet}: ${code}: ${message}.${advice}`, res.status, code, cmdlet);
}
