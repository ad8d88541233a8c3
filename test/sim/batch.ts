// Test tooling (Node): Graph JSON batching (`POST /{version}/$batch`): at most 20 requests, each routed like a standalone call, answers keyed by id.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { GRAPH_CONTENT_TYPE, newRequestContext, readBody, sendGraphError, sendJson, type RequestContext } from './http';

/** Graph refuses a batch of more than 20 requests as a whole. */
export const MAX_BATCH_REQUESTS = 20;

interface BatchRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  dependsOn: string[];
}

export interface BatchResponse {
  id: string;
  status: number;
  /** Header names as Graph writes them; `Content-Type` exactly so (the JS SDK's BatchResponseContent looks for that key). */
  headers: Record<string, string>;
  body?: unknown;
}

/** Collects what a route writes, so a sub-request can run through the same handlers as a real request. */
class CapturedResponse {
  statusCode = 200;
  headersSent = false;
  private readonly headers = new Map<string, { name: string; value: string }>();
  private readonly chunks: Buffer[] = [];
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.resolveDone = resolve;
  });

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers.set(name.toLowerCase(), { name, value: Array.isArray(value) ? value.join(', ') : String(value) });
    return this;
  }

  getHeader(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.value;
  }

  writeHead(status: number, headers?: OutgoingHttpHeaders): this {
    this.statusCode = status;
    for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) this.setHeader(name, typeof value === 'number' ? value : value);
    this.headersSent = true;
    return this;
  }

  write(chunk: unknown): boolean {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    return true;
  }

  end(chunk?: unknown): this {
    if (chunk !== undefined && chunk !== null) this.write(chunk);
    this.headersSent = true;
    this.resolveDone();
    return this;
  }

  destroy(): void {
    this.resolveDone();
  }

  result(id: string): BatchResponse {
    const text = Buffer.concat(this.chunks).toString('utf8');
    const headers: Record<string, string> = {};
    const contentType = this.getHeader('content-type');
    if (contentType) headers['Content-Type'] = contentType;
    for (const name of ['Retry-After', 'Location', 'WWW-Authenticate']) {
      const value = this.getHeader(name);
      if (value !== undefined) headers[name] = value;
    }
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = text;
      }
    }
    return { id, status: this.statusCode, headers, ...(body !== undefined ? { body } : {}) };
  }
}

function parseRequests(raw: unknown): BatchRequest[] | string {
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { requests?: unknown }).requests)) return 'Invalid batch payload format.';
  const list = (raw as { requests: unknown[] }).requests;
  if (list.length === 0) return 'Invalid batch payload format.';
  if (list.length > MAX_BATCH_REQUESTS) return 'Number of requests inside batch exceeds the limit.';
  const out: BatchRequest[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') return 'Invalid batch payload format.';
    const r = item as Record<string, unknown>;
    const id = typeof r.id === 'string' || typeof r.id === 'number' ? String(r.id) : '';
    if (!id) return "Property 'id' is required for a request in a batch.";
    if (out.some((o) => o.id === id)) return `Batch request contains duplicate Id '${id}'.`;
    if (typeof r.method !== 'string' || !/^(GET|POST|PATCH|PUT|DELETE)$/i.test(r.method)) return `Invalid method for request '${id}'.`;
    if (typeof r.url !== 'string' || !r.url) return `Property 'url' is required for request '${id}'.`;
    const headers: Record<string, string> = {};
    if (r.headers && typeof r.headers === 'object') for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
    if (r.body !== undefined && !headers['content-type']) return `Content-Type header is required for request '${id}' with a body.`;
    const dependsOn = Array.isArray(r.dependsOn) ? r.dependsOn.map(String) : [];
    out.push({ id, method: r.method.toUpperCase(), url: r.url, headers, ...(r.body !== undefined ? { body: r.body } : {}), dependsOn });
  }
  for (const r of out) {
    const missing = r.dependsOn.find((d) => !out.some((o) => o.id === d));
    if (missing) return `Request '${r.id}' depends on an unknown request '${missing}'.`;
  }
  return out;
}

export interface BatchDeps {
  /** Runs one sub-request through the whole router; it sends exactly one response on the captured context. */
  dispatch(sub: RequestContext): Promise<void>;
  /** Consulted per sub-request, like a real request (throttling inside a batch answers 429 for that request only). */
  fault?(sub: RequestContext): Promise<boolean>;
}

/** `POST /{version}/$batch`. The outer answer is 200 whatever the sub-requests' statuses, as Graph's is. */
export async function handleBatch(ctx: RequestContext, version: 'v1.0' | 'beta', deps: BatchDeps): Promise<void> {
  if (ctx.req.method !== 'POST') return sendGraphError(ctx, 405, 'MethodNotAllowed', 'Batch requests must use POST.', { Allow: 'POST' });
  let raw: unknown;
  try {
    raw = JSON.parse(await readBody(ctx.req)) as unknown;
  } catch {
    return sendGraphError(ctx, 400, 'BadRequest', 'Invalid batch payload format.');
  }
  const requests = parseRequests(raw);
  if (typeof requests === 'string') return sendGraphError(ctx, 400, 'BadRequest', requests);

  const responses: BatchResponse[] = [];
  for (const request of requests) {
    const failedDependency = request.dependsOn.find((d) => (responses.find((r) => r.id === d)?.status ?? 0) >= 400);
    if (failedDependency) {
      responses.push({ id: request.id, status: 424, headers: { 'Content-Type': GRAPH_CONTENT_TYPE }, body: { error: { code: 'BadRequest', message: 'Failed dependency', innerError: { date: new Date(ctx.nowMs).toISOString().slice(0, 19), 'request-id': ctx.requestId, 'client-request-id': ctx.clientRequestId } } } });
      continue;
    }
    if (/^[a-z]+:\/\//i.test(request.url)) {
      responses.push({ id: request.id, status: 400, headers: { 'Content-Type': GRAPH_CONTENT_TYPE }, body: { error: { code: 'BadRequest', message: 'Batch request URLs must be relative to the version, e.g. /users.' } } });
      continue;
    }
    const path = `/${version}/${request.url.replace(/^\/+/, '')}`;
    const bodyText = request.body === undefined ? '' : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    // The sub-request inherits the batch's Authorization unless it sets its own.
    const headers: IncomingHttpHeaders = { ...ctx.req.headers, ...request.headers, 'content-length': String(Buffer.byteLength(bodyText)) };
    delete headers['transfer-encoding'];
    const req = Object.assign(Readable.from(bodyText ? [Buffer.from(bodyText)] : []), { headers, method: request.method, url: path }) as unknown as IncomingMessage;
    const captured = new CapturedResponse();
    const sub = newRequestContext(req, captured as unknown as ServerResponse, ctx.url.origin, ctx.nowMs);
    const answered = deps.fault ? await deps.fault(sub) : false;
    if (!answered) await deps.dispatch(sub);
    await captured.done;
    responses.push(captured.result(request.id));
  }
  sendJson(ctx, 200, { responses });
}
