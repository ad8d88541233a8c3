// Test tooling (Node): request/response helpers shared by the simulator's identity, Graph and device-login routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

export const GRAPH_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
export const AAD_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Per-request facts every handler needs: ids for tracing, the parsed URL, the time. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  requestId: string;
  clientRequestId: string;
  nowMs: number;
}

export function newRequestContext(req: IncomingMessage, res: ServerResponse, baseUrl: string, nowMs: number): RequestContext {
  const requestId = randomUUID();
  const url = new URL(req.url ?? '/', baseUrl);
  const header = req.headers['client-request-id'];
  // Graph clients send the id as a header; MSAL sends it in the token request's query string.
  const clientRequestId = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('client-request-id') ?? requestId;
  // Graph answers every request, even failures, with both ids so support cases can be traced.
  res.setHeader('request-id', requestId);
  res.setHeader('client-request-id', clientRequestId);
  res.setHeader('Strict-Transport-Security', 'max-age=31536000');
  res.setHeader('Cache-Control', 'no-store');
  return { req, res, url, requestId, clientRequestId, nowMs };
}

export function sendJson(ctx: RequestContext, status: number, body: unknown, contentType = GRAPH_CONTENT_TYPE, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
  ctx.res.end(text);
}

/** A page that answers an app (response_mode=form_post) posts to its redirect URI, submitted by one nonce'd script. */
export interface HtmlPolicy {
  formAction: string;
  scriptNonce: string;
}

export function sendHtml(ctx: RequestContext, status: number, html: string, policy?: HtmlPolicy): void {
  ctx.res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    // The page is self-contained: inline CSS only, no scripts, posts back to itself (or, answering an app, to its redirect URI).
    'Content-Security-Policy': policy
      ? `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${policy.scriptNonce}'; form-action ${policy.formAction}; frame-ancestors 'none'`
      : "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
  });
  ctx.res.end(html);
}

/** Graph's date in innerError: UTC, seconds precision, no zone suffix. */
export function graphDate(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 19);
}

export function sendGraphError(ctx: RequestContext, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(ctx, status, {
    error: {
      code,
      message,
      innerError: { date: graphDate(ctx.nowMs), 'request-id': ctx.requestId, 'client-request-id': ctx.clientRequestId },
    },
  }, GRAPH_CONTENT_TYPE, headers);
}

/** Entra's OAuth error: AADSTS code in the description, trace and correlation ids, timestamp. */
export function sendOAuthError(ctx: RequestContext, status: number, error: string, code: number, text: string, correlationId?: string): void {
  const timestamp = new Date(ctx.nowMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  const correlation = correlationId ?? ctx.clientRequestId;
  sendJson(ctx, status, {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${ctx.requestId} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: ctx.requestId,
    correlation_id: correlation,
    error_uri: `${ctx.url.origin}/error?code=${code}`,
  }, AAD_CONTENT_TYPE);
}

const MAX_BODY = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(req));
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
