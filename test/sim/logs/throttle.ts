// Test tooling (Node): Graph's throttling of the identity and access reports (sign-ins, directory audits, authentication method reports): 5 requests per 10 s per app per tenant.
import { graphDate, sendJson, type RequestContext } from '../http';

export interface ThrottleOptions {
  /** Requests admitted per window and app (Graph: 5). */
  limit?: number;
  /** Window length in ms (Graph: 10 s). */
  windowMs?: number;
}

/**
 * A sliding window per app (the simulator has one tenant). Only admitted requests count: a client that waits the
 * Retry-After it was given is admitted, as Graph's documentation promises. The clock is the request's `ctx.nowMs`, so
 * tests drive it through the simulator's `now` option instead of sleeping.
 */
export class ReportsThrottle {
  readonly limit: number;
  readonly windowMs: number;
  private readonly admitted = new Map<string, number[]>();

  constructor(options: ThrottleOptions = {}) {
    this.limit = options.limit ?? 5;
    this.windowMs = options.windowMs ?? 10_000;
  }

  /** Seconds to wait before this app may call again, or 0 when the call is admitted (and counted). */
  check(appId: string, nowMs: number): number {
    const recent = (this.admitted.get(appId) ?? []).filter((t) => t > nowMs - this.windowMs);
    if (recent.length >= this.limit) {
      this.admitted.set(appId, recent);
      const oldest = recent[0] ?? nowMs;
      return Math.max(1, Math.ceil((oldest + this.windowMs - nowMs) / 1000));
    }
    recent.push(nowMs);
    this.admitted.set(appId, recent);
    return 0;
  }

  /** Admits the request, or answers 429 with Retry-After in Graph's error shape and returns false. */
  admit(ctx: RequestContext, appId: string): boolean {
    const wait = this.check(appId, ctx.nowMs);
    if (wait === 0) return true;
    sendThrottled(ctx, wait);
    return false;
  }
}

/** Graph's 429: `TooManyRequests`, innerError with code/status "429", and Retry-After in whole seconds. */
export function sendThrottled(ctx: RequestContext, retryAfterSeconds: number): void {
  sendJson(ctx, 429, {
    error: {
      code: 'TooManyRequests',
      message: 'Please retry again later.',
      innerError: {
        code: '429', date: graphDate(ctx.nowMs), message: 'Please retry after', 'request-id': ctx.requestId,
        'client-request-id': ctx.clientRequestId, status: '429',
      },
    },
  }, undefined, { 'Retry-After': String(retryAfterSeconds) });
}
