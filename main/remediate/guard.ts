// Main process / CLI: the remediation write transport. It is told the exact requests of the item being executed and
// lets through only those (method, URL and body, JSON-equal) and reads (GET, Exchange Get- cmdlets) on the tenant's
// own hosts; everything else is refused before any byte leaves the machine. Collection keeps readOnlyTransport.
import { canonicalize } from 'json-canonicalize';
import type { HttpRequest, HttpTransport } from '../http/https';

/** A request as it will be sent: absolute URL, the body parsed (JSON), secrets and references already resolved. */
export interface ConcreteRequest {
  method: HttpRequest['method'];
  url: string;
  body?: unknown;
}

export class GuardRefusedError extends Error {
  constructor(readonly request: Pick<HttpRequest, 'method' | 'url'>, reason: string) {
    super(`Remediation guard refused ${request.method} ${safePath(request.url)}: ${reason}. Only the requests of the step being executed may be sent.`);
    this.name = 'GuardRefusedError';
  }
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(not a URL)';
  }
}

export interface WriteGuard {
  transport: HttpTransport;
  /** Admits exactly these writes until the next admit or clear (a retry after 429 sends the same request again). */
  admit(requests: readonly ConcreteRequest[]): void;
  clear(): void;
}

const INVOKE_COMMAND = /\/adminapi\/[^/]+\/[^/]+\/InvokeCommand$/;

/** One comparable form of a request: method, URL (origin, path, query as given) and canonical JSON body. */
function fingerprint(method: string, url: URL, body: unknown): string {
  return `${method} ${url.origin}${url.pathname}${url.search}\n${body === undefined ? '' : canonicalize(body)}`;
}

/**
 * @param hosts the host names requests may go to (the cloud's Graph host and Exchange hosts): a token never leaves them.
 */
export function createWriteGuard(inner: HttpTransport, hosts: readonly string[]): WriteGuard {
  const allowedHosts = new Set(hosts.map((h) => h.toLowerCase()));
  let admitted = new Set<string>();

  const check = (req: HttpRequest): void => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new GuardRefusedError(req, 'the URL does not parse');
    }
    if (url.protocol !== 'https:') throw new GuardRefusedError(req, 'tenant endpoints are HTTPS only');
    if (!allowedHosts.has(url.hostname.toLowerCase())) throw new GuardRefusedError(req, `${url.hostname} is not one of this tenant's hosts`);
    if (req.method === 'GET') {
      if (req.body !== undefined) throw new GuardRefusedError(req, 'a read carries no body');
      return;
    }
    let body: unknown;
    if (req.body !== undefined) {
      try {
        body = JSON.parse(req.body.toString());
      } catch {
        throw new GuardRefusedError(req, 'the body is not JSON');
      }
    }
    if (req.method === 'POST' && INVOKE_COMMAND.test(url.pathname)) {
      const name = (body as { CmdletInput?: { CmdletName?: unknown } } | undefined)?.CmdletInput?.CmdletName;
      if (typeof name === 'string' && /^Get-[A-Za-z]+$/.test(name)) return;
    }
    if (!admitted.has(fingerprint(req.method, url, body))) throw new GuardRefusedError(req, 'it is not one of the requests of the item being executed');
  };

  return {
    transport: (req) => {
      try {
        check(req);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      return inner(req);
    },
    admit(requests) {
      admitted = new Set(requests.map((r) => fingerprint(r.method, new URL(r.url), r.body)));
    },
    clear() {
      admitted = new Set();
    },
  };
}
