// Main process / CLI: sends one remediation request (Graph, or an Exchange cmdlet through InvokeCommand) over the
// guarded transport with the remediation sign-in's token; honours Retry-After on 429/503/504 as collection does and
// asks for a new token once after a 401. A lost connection is not retried: the item fails and a re-run reads first.
import type { HttpResponse, HttpTransport } from '../http/https';
import { RETRYABLE_STATUS, retryAfterMs } from '../http/retry';
import { invokeCommandBody } from '../exchange/reader';
import type { RemediationRequest } from './model';
import type { ConcreteRequest } from './guard';

type TokenFn = (opts?: { forceRefresh?: boolean }) => Promise<string>;

export interface TenantClientDeps {
  /** The guarded transport (guard.ts). */
  transport: HttpTransport;
  graphBaseUrl: string;
  graphToken: TokenFn;
  /** Absent when the run needs no Exchange (no Exchange step in it). */
  exchange?: { invokeUrl: string; token: TokenFn; anchorMailbox: string };
  sleep?: (ms: number) => Promise<void>;
  maxRetries?: number;
  onRetry?: (info: { url: string; status: number; waitMs: number }) => void;
}

export interface TenantAnswer {
  request: ConcreteRequest;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface TenantClient {
  /** The request as the guard must admit it (absolute URL, parsed body). */
  concrete(req: RemediationRequest): ConcreteRequest;
  send(req: RemediationRequest): Promise<TenantAnswer>;
}

export function createTenantClient(deps: TenantClientDeps): TenantClient {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxRetries = deps.maxRetries ?? 5;

  function concrete(req: RemediationRequest): ConcreteRequest {
    if (req.api === 'graph') {
      if (!/^\/(v1\.0|beta)\//.test(req.path)) throw new Error(`Graph path ${req.path} must start with /v1.0/ or /beta/.`);
      return { method: req.method, url: `${deps.graphBaseUrl}${req.path}`, ...(req.body !== undefined ? { body: req.body } : {}) };
    }
    if (!deps.exchange) throw new Error(`${req.cmdlet} needs an Exchange Online sign-in, and this run has none.`);
    return { method: 'POST', url: deps.exchange.invokeUrl, body: JSON.parse(invokeCommandBody(req.cmdlet, req.parameters)) as unknown };
  }

  async function send(req: RemediationRequest): Promise<TenantAnswer> {
    const request = concrete(req);
    const token = req.api === 'graph' ? deps.graphToken : deps.exchange!.token;
    let forceRefresh = false;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const bearer = await token({ forceRefresh });
      const headers: Record<string, string> = { authorization: `Bearer ${bearer}`, accept: 'application/json', 'client-request-id': crypto.randomUUID() };
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      if (req.api === 'exchange') headers['x-anchormailbox'] = deps.exchange!.anchorMailbox;
      const res: HttpResponse = await deps.transport({
        method: request.method,
        url: request.url,
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      });
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        forceRefresh = true;
        continue;
      }
      forceRefresh = false;
      if (RETRYABLE_STATUS.has(res.status) && attempt < maxRetries) {
        const waitMs = retryAfterMs(res.headers['retry-after'], attempt);
        deps.onRetry?.({ url: request.url, status: res.status, waitMs });
        await sleep(waitMs);
        continue;
      }
      return { request, status: res.status, headers: res.headers, body: res.body };
    }
  }

  return { concrete, send };
}
