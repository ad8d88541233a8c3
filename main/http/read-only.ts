// Main process / CLI: the collection transport refuses every write before any byte leaves the machine.
import type { HttpRequest, HttpTransport } from './https';

export class WriteRefusedError extends Error {
  constructor(readonly request: Pick<HttpRequest, 'method' | 'url'>) {
    super(`Collection is read-only: refused ${request.method} ${new URL(request.url).pathname}. Tenant changes happen only in remediation, one confirmed step at a time.`);
    this.name = 'WriteRefusedError';
  }
}

/**
 * Wraps a transport so that only reads pass. The two POSTs that are reads by protocol — a Graph `$batch`
 * whose every request is a GET, and an Exchange `InvokeCommand` running a Get-/Search- cmdlet — are checked
 * by their body, not trusted by their path.
 */
export function readOnlyTransport(inner: HttpTransport): HttpTransport {
  return (req) => {
    if (!isRead(req)) return Promise.reject(new WriteRefusedError(req));
    return inner(req);
  };
}

function isRead(req: HttpRequest): boolean {
  if (req.method === 'GET') return true;
  if (req.method !== 'POST' || req.body === undefined) return false;
  const path = new URL(req.url).pathname;
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString());
  } catch {
    return false;
  }
  if (/\/(v1\.0|beta)\/\$batch$/.test(path)) {
    const requests = (body as { requests?: { method?: string }[] }).requests;
    return Array.isArray(requests) && requests.length > 0 && requests.every((r) => String(r.method).toUpperCase() === 'GET');
  }
  if (/\/adminapi\/[^/]+\/[^/]+\/InvokeCommand$/.test(path)) {
    const name = (body as { CmdletInput?: { CmdletName?: unknown } }).CmdletInput?.CmdletName;
    return typeof name === 'string' && /^(Get|Search)-[A-Za-z]+$/.test(name);
  }
  return false;
}
