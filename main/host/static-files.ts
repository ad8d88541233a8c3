// Main process: which built renderer file a raw request path names — one guard for the browser host and Electron's protocol.
import fs from 'node:fs';
import path from 'node:path';

export type StaticLookup = { status: 200; file: string } | { status: 400 | 404 };

/**
 * `rawPath` is the path exactly as the request carried it (no URL parser has cleaned it): `%2e%2e%2f`, `..%5c` and
 * malformed escapes arrive here as sent. Anything that decodes to a parent step, a backslash, a NUL, or a file outside
 * `root` (symbolic links included) is "not found"; an escape that does not decode is a bad request.
 */
export function lookupStatic(root: string, rawPath: string, index = 'index.html'): StaticLookup {
  const pathOnly = rawPath.split(/[?#]/, 1)[0]!;
  if (!pathOnly.startsWith('/')) return { status: 400 };
  let rel: string;
  try {
    rel = pathOnly === '/' ? index : decodeURIComponent(pathOnly.slice(1));
  } catch {
    return { status: 400 };
  }
  if (rel.includes('\0') || rel.includes('\\') || rel.split('/').some((step) => step === '..')) return { status: 404 };
  const base = path.resolve(root);
  const file = path.resolve(base, rel);
  if (!file.startsWith(base + path.sep)) return { status: 404 };
  try {
    const real = fs.realpathSync(file);
    if (!real.startsWith(fs.realpathSync(base) + path.sep) || !fs.statSync(real).isFile()) return { status: 404 };
  } catch {
    return { status: 404 };
  }
  return { status: 200, file };
}

/**
 * The raw path of a `peregrine://app/…` request (what Electron's protocol handler gets), or null for another host.
 * Split by hand: `new URL()` would resolve dot segments before the guard could see them.
 */
export function appSchemePath(url: string, scheme = 'peregrine', host = 'app'): string | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(.*)$/is.exec(url);
  if (!m || m[1]!.toLowerCase() !== scheme || m[2]!.toLowerCase() !== host) return null;
  return m[3] || '/';
}

export const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const ABSOLUTE_PATH = /(?<=^|[\s'"`(=[])(?:[A-Za-z]:)?[\\/](?:[^\s'"`\\/:)]+[\\/])+([^\s'"`\\/:)]*)/g;

/** Text safe to send to a page: absolute paths cut to their file name (the renderer never sees paths). */
export function withoutPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, (_m, name: string) => name || '(folder)');
}
