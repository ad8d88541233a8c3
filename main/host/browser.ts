// Main process / `peregrine serve`: the contract over loopback HTTP for a browser (and e2e tests) — same handlers as Electron IPC.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { channelNames, type Handlers, type Result } from '../../preload/contract';
import { dispatch, type DispatchLog } from './dispatch';
import { lookupStatic, RENDERER_CSP, STATIC_TYPES, withoutPaths } from './static-files';

export interface BrowserHostOptions {
  handlers: Handlers;
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  port?: number;
  log?: DispatchLog;
  /** Slow-client limits (tests shorten them). */
  timeouts?: Partial<typeof DEFAULT_TIMEOUTS>;
}

/** Headers must arrive within 10 s and the whole request within 30 s. */
const DEFAULT_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000 };

export interface BrowserHost {
  /** Open this: the token rides in the fragment, which browsers never send to a server or in a Referer. */
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

/** Requests larger than this get 413: the largest contract input (a PEM pair) is a few dozen KB. */
const MAX_BODY = 1024 * 1024;

export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const token = randomBytes(32).toString('base64url');
  const rendererDir = path.resolve(opts.rendererDir);
  const indexFile = path.join(rendererDir, 'index.html');
  if (!fs.existsSync(indexFile)) throw new Error(`The renderer is not built (${indexFile} is missing). Run \`npm run build\` first.`);
  const bridgeScript = browserBridgeScript();
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  let origin = '';

  const server = http.createServer(
    {
      // A client that trickles its headers or body in is cut off instead of holding a socket forever.
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: Math.min(timeouts.headersMs, 1000),
      keepAliveTimeout: 5000,
    },
    (req, res) => {
      // Neither a client that goes away nor a write to a closed socket may reach the process as an uncaught error.
      req.on('error', () => req.destroy());
      res.on('error', () => res.destroy());
      try {
        route(req, res);
      } catch (err) {
        fail(res, err);
      }
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Node's parser refused the request (bad request line, headers too large, too slow): answer if the socket can still take it.
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    if (socket.writable && !(socket as { _httpMessage?: unknown })._httpMessage) {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    } else socket.destroy();
  });

  const send = (res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
      'content-security-policy': RENDERER_CSP,
      'content-length': String(Buffer.byteLength(body)),
      ...extra,
    });
    res.end(body);
  };
  const sendJson = (res: http.ServerResponse, status: number, result: Result<unknown>, extra: Record<string, string> = {}) =>
    send(res, status, 'application/json; charset=utf-8', JSON.stringify(result), extra);
  const refuse = (res: http.ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}) =>
    sendJson(res, status, { ok: false, error: { code, message } }, extra);
  /** The last line of defence: whatever went wrong, a JSON error in plain words — no stack, no paths. */
  const fail = (res: http.ServerResponse, err: unknown) => {
    opts.log?.({ channel: '(host)', ok: false, code: 'internal', ms: 0 });
    if (res.headersSent) return void res.destroy();
    const e = err as Error | undefined;
    refuse(res, 500, 'internal', `Peregrine could not answer this request${e?.message ? `: ${withoutPaths(e.message)}` : '.'}`);
  };

  const route = (req: http.IncomingMessage, res: http.ServerResponse) => {
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 still sends its own Host.
    if (req.headers.host !== new URL(origin).host) return send(res, 421, 'text/plain', 'Misdirected request');
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && reqOrigin !== origin) return send(res, 403, 'text/plain', 'Cross-origin requests are refused');
    // The path exactly as sent: no URL parser gets to resolve `..` or `//host` before the guards below see it.
    const rawPath = req.url ?? '';
    if (!rawPath.startsWith('/')) return send(res, 400, 'text/plain', 'Bad request');
    const pathname = rawPath.split(/[?#]/, 1)[0]!;

    if (pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only', { allow: 'POST' });
      if (!validToken(req.headers['x-peregrine-token'], token)) return refuse(res, 401, 'unauthorized', 'This page is not authorised: open the URL `peregrine serve` printed.');
      if (!String(req.headers['content-type']).startsWith('application/json')) return send(res, 415, 'text/plain', 'JSON only');
      const tooLarge = () => refuse(res, 413, 'too_large', `The request is larger than ${MAX_BODY / 1024 / 1024} MiB.`, { connection: 'close' });
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
        // Read and drop what the client still sends, so it reads the 413 rather than a reset connection.
        req.resume();
        return tooLarge();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
        else if (!res.headersSent) {
          chunks.length = 0;
          tooLarge();
        }
      });
      req.on('end', () => {
        if (size > MAX_BODY) return;
        let input: unknown;
        try {
          input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        } catch {
          return refuse(res, 400, 'invalid_input', 'The request body is not JSON.');
        }
        const channel = pathname.slice('/api/'.length);
        dispatch(opts.handlers, channel, input, opts.log)
          .then((result) => sendJson(res, 200, result))
          .catch((err: unknown) => fail(res, err));
      });
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'Method not allowed', { allow: 'GET' });
    if (pathname === '/peregrine-bridge.js') return send(res, 200, STATIC_TYPES['.js']!, bridgeScript);
    const found = lookupStatic(rendererDir, pathname);
    if (found.status === 400) return send(res, 400, 'text/plain', 'Bad request: the path is not valid percent-encoding');
    if (found.status !== 200) return send(res, 404, 'text/plain', 'Not found');
    if (found.file === indexFile) {
      // The bridge must exist before the app's module script runs.
      const html = fs.readFileSync(found.file, 'utf8').replace(/<script/, '<script src="./peregrine-bridge.js"></script>\n    <script');
      return send(res, 200, STATIC_TYPES['.html']!, html);
    }
    return send(res, 200, STATIC_TYPES[path.extname(found.file)] ?? 'application/octet-stream', fs.readFileSync(found.file));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function validToken(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What the preload exposes in Electron, rebuilt over fetch: same `window.peregrine` shape, same Result envelopes. */
function browserBridgeScript(): string {
  return `// Peregrine browser bridge: window.peregrine over loopback HTTP (generated by the browser host).
(() => {
  'use strict';
  const KEY = 'peregrine.token';
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(KEY, m[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem(KEY) || '';
  const channels = ${JSON.stringify(channelNames)};
  const call = async (channel, input) => {
    try {
      const res = await fetch('./api/' + channel, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-peregrine-token': token },
        body: JSON.stringify(input === undefined ? {} : input),
        credentials: 'omit',
        cache: 'no-store',
      });
      return await res.json();
    } catch (e) {
      return { ok: false, error: { code: 'host_unreachable', message: 'Peregrine is not answering. Is \`peregrine serve\` still running?', detail: String(e) } };
    }
  };
  const api = {};
  for (const name of channels) {
    const [ns, method] = name.split('.');
    (api[ns] = api[ns] || {})[method] = (input) => call(name, input);
  }
  for (const ns of Object.keys(api)) Object.freeze(api[ns]);
  Object.defineProperty(window, 'peregrine', { value: Object.freeze(api), writable: false, configurable: false });
})();
`;
}
