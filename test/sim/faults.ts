// Test tooling (Node): fault injection in front of every simulator route: 429 storms, 503s, connection resets mid-body, slow and truncated pages, tokens that expire mid-run.
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GRAPH_CONTENT_TYPE, sendGraphError, sendJson, type RequestContext } from './http';
import { exchangeErrorBody } from './exchange/invoke';

export type FaultKind =
  /** 429 TooManyRequests with Retry-After. */
  | 'throttle'
  /** 503 ServiceUnavailable with Retry-After. */
  | 'unavailable'
  /** Status line, headers and part of the body, then the socket is destroyed. */
  | 'reset'
  /** The response is served after a delay. */
  | 'slow'
  /** 200 with a truncated JSON body (Content-Length matches the truncated body). */
  | 'malformed'
  /** 200 with valid JSON whose first record in `value` is not an object (a page the reader parses but no store can read). */
  | 'unreadable-record'
  /**
   * The request waits unanswered until `Faults.release()` (then the route runs) or until the client gives up on it
   * (a cancelled collection aborting its request): a collection that cannot finish before the test has acted on it.
   */
  | 'hold'
  /** The access token presented is invalidated: 401 now and on every reuse; a newly issued token works. */
  | 'expire-token'
  /** Exchange's transient server error: HTTP 500 whose body names `exception` (default DCOverloadedException). */
  | 'exchange-transient'
  /** 200 as the route answers it, with `message` in `@adminapi.warnings` (or `@adminapi.errors` when `field` says so). */
  | 'adminapi-warning'
  /**
   * 403 Authorization_RequestDenied, "Insufficient privileges to complete the operation.": what Graph answers a token
   * that lacks the permission or an account that lacks the directory role a write needs
   * (https://learn.microsoft.com/graph/errors, https://learn.microsoft.com/graph/resolve-auth-errors).
   */
  | 'forbidden'
  /** The route runs (a write is applied) but no answer comes back: the connection is dropped before the status line. */
  | 'drop';

export interface FaultRule {
  kind: FaultKind;
  /** Path prefix (no query string), case-insensitive, e.g. `/v1.0/auditLogs/signIns`; every path when absent. */
  path?: string;
  /** HTTP method; every method when absent. */
  method?: string;
  /** Let this many matching requests through first (break page 3, not page 1). Default 0. */
  after?: number;
  /** Matching requests the rule hits before it is spent. Default: unlimited. */
  count?: number;
  /** throttle / unavailable: the Retry-After header in seconds (default 2 for throttle, none for unavailable). */
  retryAfterSeconds?: number;
  /** slow: delay before the route runs (default 1000 ms). */
  delayMs?: number;
  /** reset / malformed: bytes of the body that go out (default: half of it, at least 1 byte short). */
  bytes?: number;
  /** exchange-transient: the .NET exception type the body names. */
  exception?: string;
  /** adminapi-warning: the text, and which list carries it. */
  message?: string;
  field?: '@adminapi.warnings' | '@adminapi.errors';
}

export interface FaultSpec {
  rules?: FaultRule[];
  /** Lifetime of access tokens issued from now on (a token that expires mid-run). */
  tokenLifetimeSeconds?: number;
}

export interface FaultHit {
  kind: FaultKind;
  method: string;
  path: string;
}

interface ActiveRule {
  rule: FaultRule;
  seen: number;
  hits: number;
}

function bearerClaims(ctx: RequestContext): { iat?: number; uti?: string } | undefined {
  const match = /^Bearer\s+([^.\s]+)\.([^.\s]+)\./i.exec(ctx.req.headers.authorization ?? '');
  if (!match?.[2]) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(match[2], 'base64url').toString('utf8'));
    if (!payload || typeof payload !== 'object') return undefined;
    const p = payload as Record<string, unknown>;
    return { ...(typeof p.iat === 'number' ? { iat: p.iat } : {}), ...(typeof p.uti === 'string' ? { uti: p.uti } : {}) };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Fault switchboard, consulted before routing each request (and each `$batch` sub-request).
 * Switch per test with `startSimulator({ faults })` or at run time with `SimHandle.faults.set(...)`.
 */
export class Faults {
  private rules: ActiveRule[] = [];
  private lifetime: number | undefined;
  /** Tokens issued in an earlier second than this (epoch seconds) are refused. */
  private notBeforeS = 0;
  private readonly revokedTokens = new Set<string>();
  /** Every fault served, in order. */
  readonly hits: FaultHit[] = [];
  /** Requests held by a 'hold' rule, each waiting for release(). */
  private readonly held = new Set<() => void>();

  constructor(spec: FaultSpec = {}) {
    this.set(spec);
  }

  /** Replaces every rule and the token lifetime. */
  set(spec: FaultSpec): void {
    for (const rule of spec.rules ?? []) Faults.check(rule);
    this.rules = (spec.rules ?? []).map((rule) => ({ rule, seen: 0, hits: 0 }));
    this.lifetime = spec.tokenLifetimeSeconds;
  }

  add(rule: FaultRule): void {
    Faults.check(rule);
    this.rules.push({ rule, seen: 0, hits: 0 });
  }

  /** Removes every rule and the token lifetime override (revoked tokens stay revoked), and releases held requests. */
  clear(): void {
    this.set({});
    this.release();
  }

  /** Lets every held request through to its route. */
  release(): void {
    for (const go of this.held) go();
    this.held.clear();
  }

  /** How many requests are held now. */
  heldCount(): number {
    return this.held.size;
  }

  /** Refuses every access token issued in an earlier second than `nowMs` (tokens cannot tell apart finer times). */
  expireTokens(nowMs: number): void {
    this.notBeforeS = Math.floor(nowMs / 1000);
  }

  tokenLifetimeSeconds(): number | undefined {
    return this.lifetime;
  }

  private static check(rule: FaultRule): void {
    const counts = [rule.after, rule.count, rule.retryAfterSeconds, rule.delayMs, rule.bytes];
    if (counts.some((n) => n !== undefined && (!Number.isInteger(n) || n < 0))) throw new Error(`fault ${rule.kind}: counts, delays and sizes must be non-negative integers`);
  }

  private match(ctx: RequestContext, inBatch: boolean): FaultRule | undefined {
    const path = ctx.url.pathname.toLowerCase();
    for (const active of this.rules) {
      const { rule } = active;
      if (inBatch && (rule.kind === 'reset' || rule.kind === 'malformed' || rule.kind === 'hold')) continue;
      if (rule.path && !path.startsWith(rule.path.toLowerCase())) continue;
      if (rule.method && rule.method.toUpperCase() !== (ctx.req.method ?? '').toUpperCase()) continue;
      if (rule.count !== undefined && active.hits >= rule.count) continue;
      active.seen++;
      if (active.seen <= (rule.after ?? 0)) continue;
      active.hits++;
      return rule;
    }
    return undefined;
  }

  /**
   * Applies the first matching rule. Returns true when the fault answered the request itself;
   * false when the route should run (possibly after a delay, or with its body to be cut).
   */
  async apply(ctx: RequestContext, inBatch = false): Promise<boolean> {
    const claims = bearerClaims(ctx);
    if (claims && ((claims.uti && this.revokedTokens.has(claims.uti)) || (claims.iat !== undefined && claims.iat < this.notBeforeS))) {
      sendGraphError(ctx, 401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
      return true;
    }
    const rule = this.match(ctx, inBatch);
    if (!rule) return false;
    this.hits.push({ kind: rule.kind, method: ctx.req.method ?? '', path: ctx.url.pathname });
    switch (rule.kind) {
      case 'throttle': {
        const retry = rule.retryAfterSeconds ?? 2;
        sendGraphError(ctx, 429, 'TooManyRequests', 'Too many requests. Please retry after the time specified in the Retry-After header.', { 'Retry-After': String(retry) });
        return true;
      }
      case 'unavailable':
        sendGraphError(ctx, 503, 'serviceNotAvailable', 'The service is temporarily unavailable. Please retry later.',
          rule.retryAfterSeconds !== undefined ? { 'Retry-After': String(rule.retryAfterSeconds) } : {});
        return true;
      case 'forbidden':
        sendGraphError(ctx, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
        return true;
      case 'drop':
        dropAnswer(ctx.res);
        return false;
      case 'expire-token':
        if (claims?.uti) this.revokedTokens.add(claims.uti);
        sendGraphError(ctx, 401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.');
        return true;
      case 'slow':
        await sleep(rule.delayMs ?? 1000);
        return false;
      case 'reset':
      case 'malformed':
        cutBody(ctx.res, rule.kind, rule.bytes);
        return false;
      case 'unreadable-record':
        rewriteJson(ctx.res, (page) => {
          if (Array.isArray(page.value) && page.value.length > 0) page.value[0] = 42;
        });
        return false;
      case 'exchange-transient': {
        // ExchangeOnlineManagement's RetryableExceptions, in the module's error shape (see exchange/invoke.ts).
        const type = rule.exception ?? 'Microsoft.Exchange.Data.Directory.DCOverloadedException';
        sendJson(ctx, 500, exchangeErrorBody('InternalServerError', type, 'The server is busy and could not complete the request. Please retry the operation.'), GRAPH_CONTENT_TYPE);
        return true;
      }
      case 'adminapi-warning':
        // A cmdlet that ran but says it returned less than asked, e.g. Get-Mailbox past its ResultSize: "There are more
        // results available than are currently displayed. To view them, increase the value for the ResultSize parameter."
        // (the warning text ExchangeOnlineManagement's REST client filters, FilterWarningsEncoded in its constants).
        rewriteJson(ctx.res, (page) => {
          const field = rule.field ?? '@adminapi.warnings';
          const list = Array.isArray(page[field]) ? (page[field] as unknown[]) : [];
          page[field] = [...list, rule.message ?? 'There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.'];
        });
        return false;
      case 'hold':
        return new Promise<boolean>((resolve) => {
          const go = () => {
            ctx.res.off('close', gaveUp);
            resolve(false);
          };
          // The response closing before it was written means the client went away: nothing is left to answer.
          const gaveUp = () => {
            this.held.delete(go);
            resolve(true);
          };
          this.held.add(go);
          ctx.res.once('close', gaveUp);
        });
    }
  }
}

/** Holds back the route's writeHead/end and lets `change` edit the JSON page before it goes out. */
function rewriteJson(res: ServerResponse, change: (page: Record<string, unknown> & { value?: unknown[] }) => void): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => ServerResponse;
  const end = res.end.bind(res) as (chunk?: Buffer, cb?: () => void) => ServerResponse;
  let status = 200;
  let headers: OutgoingHttpHeaders = {};
  res.writeHead = ((code: number, h?: OutgoingHttpHeaders | string) => {
    status = code;
    if (h && typeof h === 'object') headers = { ...h };
    return res;
  }) as unknown as ServerResponse['writeHead'];
  res.end = ((chunk?: unknown) => {
    const text = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : typeof chunk === 'string' ? chunk : '';
    // Only a 200 page is edited; a redirect or an error goes out as the route wrote it.
    if (status !== 200) {
      writeHead(status, headers);
      return end(Buffer.from(text));
    }
    const page = JSON.parse(text) as Record<string, unknown> & { value?: unknown[] };
    change(page);
    const body = Buffer.from(JSON.stringify(page));
    writeHead(status, { ...headers, 'Content-Length': String(body.length) });
    return end(body);
  }) as unknown as ServerResponse['end'];
}

/** Lets the route run to the end, then destroys the socket instead of answering: the client never learns the outcome. */
function dropAnswer(res: ServerResponse): void {
  res.writeHead = (() => res) as unknown as ServerResponse['writeHead'];
  res.write = (() => true) as unknown as ServerResponse['write'];
  res.end = (() => {
    res.socket?.destroy();
    return res;
  }) as unknown as ServerResponse['end'];
}

/** Holds back the route's writeHead/end and sends only part of the body (then drops the connection, for 'reset'). */
function cutBody(res: ServerResponse, kind: 'reset' | 'malformed', bytes: number | undefined): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: OutgoingHttpHeaders) => ServerResponse;
  const end = res.end.bind(res) as (chunk?: Buffer, cb?: () => void) => ServerResponse;
  let status = 200;
  let headers: OutgoingHttpHeaders = {};
  const heldWriteHead = (code: number, h?: OutgoingHttpHeaders | string) => {
    status = code;
    if (h && typeof h === 'object') headers = { ...h };
    return res;
  };
  const heldEnd = (chunk?: unknown) => {
    const body = Buffer.isBuffer(chunk) ? chunk : Buffer.from(typeof chunk === 'string' ? chunk : '');
    const n = Math.max(0, Math.min(bytes ?? Math.floor(body.length / 2), body.length - 1));
    const part = body.subarray(0, n);
    if (kind === 'malformed') {
      writeHead(status, { ...headers, 'Content-Length': String(part.length) });
      return end(part);
    }
    // The full Content-Length is announced, part of the body goes out, then the connection drops: a reset mid-page.
    writeHead(status, { ...headers, 'Content-Length': String(body.length) });
    res.write(part, () => res.socket?.destroy());
    return res;
  };
  res.writeHead = heldWriteHead as unknown as ServerResponse['writeHead'];
  res.end = heldEnd as unknown as ServerResponse['end'];
}
