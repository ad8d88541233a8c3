// Main process / `peregrine serve`: the contract over loopback HTTP for a browser (and e2e tests) — same handlers as Electron IPC.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { channelNames, type Handlers } from '../../preload/contract';
import { dispatch, type DispatchLog } from './dispatch';

export interface BrowserHostOptions {
  handlers: Handlers;
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  port?: number;
  log?: DispatchLog;
}

export interface BrowserHost {
  /** Open this: the token rides in the fragment, which browsers never send to a server or in a Referer. */
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const token = randomBytes(32).toString('base64url');
  const rendererDir = path.resolve(opts.rendererDir);
  const indexFile = path.join(rendererDir, 'index.html');
  if (!fs.existsSync(indexFile)) throw new Error(`The renderer is not built (${indexFile} is missing). Run \`npm run build\` first.`);
  const bridgeScript = browserBridgeScript();
  let origin = '';

  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
        'content-security-policy': CSP,
        ...extra,
      });
      res.end(body);
    };
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 still sends its own Host.
    if (req.headers.host !== new URL(origin).host) return send(421, 'text/plain', 'Misdirected request');
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && reqOrigin !== origin) return send(403, 'text/plain', 'Cross-origin requests are refused');
    const url = new URL(req.url ?? '/', origin);

    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return send(405, 'text/plain', 'POST only', { allow: 'POST' });
      if (!validToken(req.headers['x-peregrine-token'], token)) return send(401, 'application/json', JSON.stringify({ ok: false, error: { code: 'unauthorized', message: 'This page is not authorised: open the URL `peregrine serve` printed.' } }));
      if (!String(req.headers['content-type']).startsWith('application/json')) return send(415, 'text/plain', 'JSON only');
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy();
        else chunks.push(c);
      });
      req.on('end', () => {
        let input: unknown;
        try {
          input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        } catch {
          return send(400, 'application/json', JSON.stringify({ ok: false, error: { code: 'invalid_input', message: 'The request body is not JSON.' } }));
        }
        void dispatch(opts.handlers, url.pathname.slice('/api/'.length), input, opts.log).then((result) =>
          send(200, 'application/json; charset=utf-8', JSON.stringify(result)),
        );
      });
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'Method not allowed', { allow: 'GET' });
    if (url.pathname === '/peregrine-bridge.js') return send(200, TYPES['.js']!, bridgeScript);
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.resolve(rendererDir, rel);
    if (!file.startsWith(rendererDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(404, 'text/plain', 'Not found');
    if (file === indexFile) {
      // The bridge must exist before the app's module script runs.
      const html = fs.readFileSync(file, 'utf8').replace(/<script/, '<script src="./peregrine-bridge.js"></script>\n    <script');
      return send(200, TYPES['.html']!, html);
    }
    return send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', fs.readFileSync(file));
  });

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
