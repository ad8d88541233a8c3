// Main process / CLI: the retry rules every tenant read follows — Retry-After on 429/503/504, a new token after a 401, another try after a reset connection or a body that came back broken.
import { HttpError, type HttpResponse } from './https';

export const RETRYABLE_STATUS = new Set([429, 503, 504]);
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED']);

/** Asks for another try; `retryAfter` is a Retry-After value to honour, if the answer carried one. */
export interface RetryRequest {
  retry: string | undefined;
}

export interface RetryingRequest<T> {
  url: string;
  signal?: AbortSignal;
  maxRetries: number;
  sleep: (ms: number) => Promise<void>;
  /** Sends once; `forceRefresh` asks for a new token because the last one was refused. */
  send: (forceRefresh: boolean) => Promise<HttpResponse>;
  /** Reads a 200 answer, or asks for another try (a truncated body) unless it is the last one. */
  accept: (res: HttpResponse, lastTry: boolean) => T | RetryRequest;
  /** The error for an answer that is neither usable nor worth another try. */
  fail: (res: HttpResponse) => Error;
  /** Another answer worth another try besides 429/503/504 (e.g. a transient server error named in the body). */
  transient?: (res: HttpResponse) => boolean;
  onRetry?: (info: { url: string; status: number; waitMs: number; attempt: number }) => void;
}

/** Retry-After is seconds or an HTTP date; without it, back off exponentially from 2 s, capped at 60 s. */
export function retryAfterMs(header: string | undefined, attempt: number): number {
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 300_000);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, Math.min(date - Date.now(), 300_000));
  }
  return Math.min(2000 * 2 ** attempt, 60_000);
}

const isRetryRequest = (v: unknown): v is RetryRequest => typeof v === 'object' && v !== null && 'retry' in v;

export async function withRetries<T>(r: RetryingRequest<T>): Promise<T> {
  let refreshedAfter401 = false;
  let forceRefresh = false;
  for (let attempt = 0; ; attempt++) {
    r.signal?.throwIfAborted();
    const wait = async (status: number, header: string | undefined) => {
      const waitMs = retryAfterMs(header, attempt);
      r.onRetry?.({ url: r.url, status, waitMs, attempt: attempt + 1 });
      await r.sleep(waitMs);
    };
    let res: HttpResponse;
    try {
      res = await r.send(forceRefresh);
    } catch (err) {
      // A connection reset or timeout mid-page loses only that page: ask for it again.
      if (!r.signal?.aborted && err instanceof HttpError && TRANSIENT_NETWORK.has(err.causeCode ?? '') && attempt < r.maxRetries) {
        await wait(0, undefined);
        continue;
      }
      throw err;
    }
    if (res.status === 200) {
      const accepted = r.accept(res, attempt >= r.maxRetries);
      if (isRetryRequest(accepted)) {
        await wait(200, accepted.retry);
        continue;
      }
      return accepted;
    }
    if (res.status === 401 && !refreshedAfter401) {
      // A token that expired or was revoked mid-run: get a new one, not the cached one.
      refreshedAfter401 = true;
      forceRefresh = true;
      continue;
    }
    forceRefresh = false;
    if ((RETRYABLE_STATUS.has(res.status) || r.transient?.(res)) && attempt < r.maxRetries) {
      await wait(res.status, res.headers['retry-after']);
      continue;
    }
    throw r.fail(res);
  }
}
