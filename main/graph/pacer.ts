// Main process / CLI: keeps requests under Graph's documented per-app limits so a long collection is paced, not throttled.

/** Identity and access reports (sign-ins, directory audits, authentication-method reports): 5 requests per 10 s per app per tenant. */
export const REPORTS_LIMIT: ReportsLimit = { requests: 5, perMs: 10_000 };

export interface ReportsLimit {
  requests: number;
  perMs: number;
}
/**
 * How far past a window's edge the next request waits. The slot is counted when a request is admitted (with its token
 * in hand, just before it is sent), but Graph counts arrivals, and a busy event loop or network can delay one. A
 * quarter second covers that and costs 2.5% of the throttling floor; a 429 that still slips through is retried after
 * its Retry-After.
 */
export const WINDOW_MARGIN_MS = 250;
const REPORT_PATH = /\/(v1\.0|beta)\/(auditLogs\/(signIns|directoryAudits|provisioning)|reports\/authenticationMethods)\b/;

export interface Pacer {
  /** Resolves when a request to `url` may be sent without exceeding its limit, and counts it. */
  admit(url: string, signal?: AbortSignal): Promise<void>;
}

/** A sliding window per limited family of endpoints; everything else passes at once. */
export function createPacer(deps: { now?: () => number; sleep?: (ms: number) => Promise<void>; limit?: ReportsLimit } = {}): Pacer {
  const now = deps.now ?? Date.now;
  const limit = deps.limit ?? REPORTS_LIMIT;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const sent: number[] = [];
  return {
    async admit(url, signal) {
      if (!REPORT_PATH.test(new URL(url).pathname)) return;
      for (;;) {
        signal?.throwIfAborted();
        const t = now();
        while (sent.length && sent[0]! <= t - limit.perMs) sent.shift();
        if (sent.length < limit.requests) {
          sent.push(t);
          return;
        }
        await sleep(sent[0]! + limit.perMs - t + WINDOW_MARGIN_MS);
      }
    },
  };
}
