// Main process / CLI: Microsoft Graph reads with OData paging, Retry-After and token refresh; raw pages go to evidence untouched.
import type { HttpTransport, HttpResponse } from '../http/https';
import { redactUrl } from '../http/https';
import { RETRYABLE_STATUS, withRetries, type RetryRequest } from '../http/retry';

export { retryAfterMs } from '../http/retry';
import type { Pacer } from './pacer';

export interface GraphPage {
  url: string;
  status: number;
  contentType: string;
  /** Raw bytes exactly as received. */
  body: Buffer;
  value: unknown[];
  nextLink: string | null;
}

export interface GraphReaderDeps {
  baseUrl: string;
  transport: HttpTransport;
  /** `forceRefresh` after a 401: the cached token was refused, so a new one must be fetched. */
  getToken: (opts?: { forceRefresh?: boolean }) => Promise<string>;
  sleep?: (ms: number) => Promise<void>;
  /** Told about every wait so the consultant sees why progress paused. */
  onRetry?: (info: { url: string; status: number; waitMs: number; attempt: number }) => void;
  maxRetries?: number;
  /** Keeps requests under Graph's documented limits; without one, only Retry-After slows the reader down. */
  pacer?: Pacer;
}

export class GraphError extends Error {
  constructor(message: string, readonly status: number, readonly code: string, readonly url: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GraphError';
  }
}

export interface GraphReader {
  /** Follows `@odata.nextLink` from `path` (relative to the base URL, e.g. `/v1.0/applications?$top=999`). */
  pages(path: string, signal?: AbortSignal): AsyncGenerator<GraphPage>;
  /** Fetches one page: a path relative to the base URL, or an absolute nextLink saved as a checkpoint. */
  page(url: string, signal?: AbortSignal, onRetry?: GraphReaderDeps['onRetry']): Promise<GraphPage>;
  /** Several GETs in one `$batch` request (at most 20): the whole response is the evidence, each sub-response its part. */
  batch(requests: { id: string; url: string }[], signal?: AbortSignal, onRetry?: GraphReaderDeps['onRetry']): Promise<GraphBatch>;
}

export interface GraphBatch {
  url: string;
  requestBody: string;
  status: number;
  contentType: string;
  body: Buffer;
  responses: Map<string, { status: number; headers: Record<string, string>; body: unknown }>;
}


export function createGraphReader(deps: GraphReaderDeps): GraphReader {
  const base = new URL(deps.baseUrl);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxRetries = deps.maxRetries ?? 6;

  /**
   * One request with the reader's retry rules: Retry-After on 429/503/504, a new token after a 401, another try after
   * a reset connection or a body `accept` cannot use (a truncated page). `accept` returns the result, or 'retry'.
   */
  function send<T>(
    method: 'GET' | 'POST',
    pathOrUrl: string,
    body: string | undefined,
    accept: (url: string, res: HttpResponse, lastTry: boolean) => T | RetryRequest,
    signal?: AbortSignal,
    onRetry?: GraphReaderDeps['onRetry'],
  ): Promise<T> {
    const target = new URL(pathOrUrl, base);
    const url = target.toString();
    // A nextLink is data from the server: never send the bearer token to another origin.
    if (target.origin !== base.origin) return Promise.reject(new GraphError(`Refusing to follow ${redactUrl(url)}: it is not on ${base.origin}.`, 0, 'foreign_next_link', url));
    return withRetries<T>({
      url,
      signal,
      maxRetries,
      sleep,
      // The pacer admits the request once its token is in hand, so nothing stands between its slot and the send.
      send: async (forceRefresh) => {
        const token = await deps.getToken({ forceRefresh });
        await deps.pacer?.admit(url, signal);
        return deps.transport({
          method,
          url,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'client-request-id': crypto.randomUUID(),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body,
          signal,
        });
      },
      accept: (res, lastTry) => accept(url, res, lastTry),
      fail: (res) => graphError(url, res),
      onRetry: (info) => {
        deps.onRetry?.(info);
        onRetry?.(info);
      },
    });
  }

  function fetchPage(pathOrUrl: string, signal?: AbortSignal, onRetry?: GraphReaderDeps['onRetry']): Promise<GraphPage> {
    return send<GraphPage>(
      'GET',
      pathOrUrl,
      undefined,
      (url, res, lastTry) => {
        try {
          return parsePage(url, res);
        } catch (err) {
          // A truncated body (a proxy or a dropped connection) is usually transient; a page that stays broken fails the source.
          if (!lastTry) return { retry: undefined };
          throw err;
        }
      },
      signal,
      onRetry,
    );
  }

  /** Up to 20 GETs in one `$batch` call; a throttled sub-request sends the whole batch again after its Retry-After. */
  function fetchBatch(requests: { id: string; url: string }[], signal?: AbortSignal, onRetry?: GraphReaderDeps['onRetry']): Promise<GraphBatch> {
    if (requests.length === 0 || requests.length > 20) throw new Error(`A Graph $batch holds 1 to 20 requests, not ${requests.length}.`);
    const body = JSON.stringify({ requests: requests.map((r) => ({ id: r.id, method: 'GET', url: r.url })) });
    return send<GraphBatch>(
      'POST',
      '/v1.0/$batch',
      body,
      (url, res, lastTry) => {
        let parsed: { responses?: { id?: unknown; status?: unknown; headers?: Record<string, string>; body?: unknown }[] };
        try {
          parsed = JSON.parse(res.body.toString('utf8')) as typeof parsed;
        } catch (err) {
          if (!lastTry) return { retry: undefined };
          throw new GraphError(`Graph answered a $batch with a body that is not valid JSON. Nothing from it was stored.`, res.status, 'malformed_page', url, { cause: err });
        }
        const responses = new Map((parsed.responses ?? []).map((r) => [String(r.id), { status: Number(r.status), headers: r.headers ?? {}, body: r.body }]));
        const throttled = [...responses.values()].filter((r) => RETRYABLE_STATUS.has(r.status));
        if (throttled.length && !lastTry) {
          const header = throttled.map((r) => r.headers['Retry-After'] ?? r.headers['retry-after']).find((h) => h !== undefined);
          return { retry: header };
        }
        return { url, requestBody: body, status: res.status, contentType: res.headers['content-type'] ?? 'application/json', body: res.body, responses };
      },
      signal,
      onRetry,
    );
  }

  return {
    page: fetchPage,
    batch: fetchBatch,
    async *pages(path, signal) {
      let url: string | null = path;
      while (url) {
        const page: GraphPage = await fetchPage(url, signal);
        yield page;
        url = page.nextLink;
      }
    },
  };
}


/** The objects of a Graph page: its `value` list, or the page itself for a single object (GET /organization/{id}). */
export function graphPageObjects(json: object): unknown[] {
  const value = (json as { value?: unknown }).value;
  return Array.isArray(value) ? value : [json];
}

function parsePage(url: string, res: HttpResponse): GraphPage {
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new GraphError(`Graph answered ${redactUrl(url)} with a page that is not valid JSON (${res.body.length} bytes). Nothing from this page was stored.`, res.status, 'malformed_page', url);
  }
  const page = json as { value?: unknown; '@odata.nextLink'?: unknown };
  if (typeof json !== 'object' || json === null) throw new GraphError(`Graph answered ${redactUrl(url)} with JSON that is not an object.`, res.status, 'malformed_page', url);
  const value = graphPageObjects(json);
  const next = typeof page['@odata.nextLink'] === 'string' ? page['@odata.nextLink'] : null;
  return { url, status: res.status, contentType: res.headers['content-type'] ?? 'application/json', body: res.body, value, nextLink: next };
}

function graphError(url: string, res: HttpResponse): GraphError {
  let code = `http_${res.status}`;
  let message = `HTTP ${res.status}`;
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    /* a non-JSON error body: the status says enough */
  }
  const advice =
    res.status === 403 ? ' The signed-in account or app lacks the permission this source needs; the source is recorded as failed and the rest continues.'
    : res.status === 401 ? ' The sign-in is no longer valid: sign in again.'
    : res.status === 429 || res.status === 503 ? ' Graph kept throttling after every retry: resume the collection later.'
    : '';
  return new GraphError(`Graph refused ${redactUrl(url)}: ${code}: ${message}.${advice}`, res.status, code, url);
}
