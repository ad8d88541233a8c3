// Main process / CLI: the one HTTPS primitive every tenant client uses, so a private CA (the simulator's) works everywhere.
import https from 'node:https';
import http from 'node:http';
import tls from 'node:tls';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The raw bytes as received: evidence is hashed over exactly these. */
  body: Buffer;
}

export interface HttpTransportOptions {
  /** Extra trusted CA certificates (PEM). Added to Node's bundled roots, never replacing verification. */
  ca?: string;
  userAgent: string;
  /** Cap on one response body: a hostile or broken server cannot exhaust memory. */
  maxBodyBytes?: number;
  /** Idle timeout of a request that names none (Graph's reads): default 60 s. */
  timeoutMs?: number;
}

export type HttpTransport = (req: HttpRequest) => Promise<HttpResponse>;

export class HttpError extends Error {
  constructor(message: string, readonly url: string, readonly causeCode?: string) {
    super(message);
    this.name = 'HttpError';
  }
}

const DEFAULT_MAX_BODY = 256 * 1024 * 1024;
/** Graph answers within seconds; a request silent for a minute is dead. Exchange's cmdlets ask for more (exchange/reader.ts). */
export const DEFAULT_TIMEOUT_MS = 60_000;

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const ca = options.ca ? [...tlsRootCertificates(), options.ca] : undefined;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return (req) => {
    const timeout = req.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<HttpResponse>((resolve, reject) => {
      const url = new URL(req.url);
      if (url.protocol !== 'https:') {
        reject(new HttpError(`Refusing ${url.protocol} URL ${redactUrl(req.url)}: tenant endpoints must use HTTPS.`, req.url));
        return;
      }
      const headers: Record<string, string> = { 'user-agent': options.userAgent, ...req.headers };
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      const request = https.request(
        url,
        { method: req.method, headers, ca, timeout, signal: req.signal },
        (res: http.IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBody) {
              request.destroy(new HttpError(`Response from ${redactUrl(req.url)} exceeds ${maxBody} bytes.`, req.url));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            if (!res.complete) {
              reject(new HttpError(`Connection closed before the response from ${redactUrl(req.url)} was complete.`, req.url, 'ECONNRESET'));
              return;
            }
            resolve({ status: res.statusCode ?? 0, headers: flattenHeaders(res.headers), body: Buffer.concat(chunks) });
          });
          res.on('error', (err) => reject(wrap(err, req.url)));
        },
      );
      request.on('timeout', () => request.destroy(new HttpError(`No answer from ${redactUrl(req.url)} within ${timeout} ms.`, req.url, 'ETIMEDOUT')));
      request.on('error', (err) => reject(wrap(err, req.url)));
      if (req.body !== undefined) request.write(req.body);
      request.end();
    });
  };
}

/** A given CA replaces Node's roots in `https.request`; keep both so a corporate CA does not hide Microsoft's. */
function tlsRootCertificates(): string[] {
  return [...tls.rootCertificates];
}

function wrap(err: Error & { code?: string }, url: string): HttpError {
  if (err instanceof HttpError) return err;
  const code = err.code;
  const hint =
    code === 'ECONNREFUSED' ? 'nothing is listening there'
    : code === 'ENOTFOUND' ? 'the host name does not resolve (offline?)'
    : code === 'ECONNRESET' ? 'the connection was reset'
    : code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
      ? 'the server certificate is not trusted (for the simulator, pass its environment file so its CA is used)'
    : err.message;
  return new HttpError(`Request to ${redactUrl(url)} failed: ${hint}.`, url, code);
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** URLs can carry skip tokens but never credentials; still, keep logs short and query-free. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}
