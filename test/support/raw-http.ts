// Tests: HTTP/1.1 requests written byte for byte on a socket, so no URL parser cleans the path before the server sees it.
import net from 'node:net';

export interface RawResponse {
  /** 0 when the server closed the connection without a status line. */
  status: number;
  head: string;
  body: Buffer;
  /** The whole answer as text, headers included. */
  text: string;
}

export interface RawRequest {
  method?: string;
  /** Sent exactly as given on the request line. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Give up (and fail) after this long: a server that never answers is a failure, not a hang. */
  timeoutMs?: number;
}

/** Sends one request with `connection: close` and reads until the server closes. */
export function rawRequest(origin: string, req: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(req.body);
  const headers: Record<string, string> = { host: `${hostname}:${port}`, connection: 'close', ...req.headers };
  if (body.length && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) {
    headers['content-length'] = String(body.length);
  }
  const head = `${req.method ?? 'GET'} ${req.path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return rawExchange(origin, [Buffer.from(head, 'latin1'), body], req.timeoutMs);
}

/** Writes the given bytes on a fresh connection and collects everything the server sends until it closes. */
export function rawExchange(origin: string, parts: Buffer[], timeoutMs = 10_000): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(Buffer.concat(parts).subarray(0, 200).toString('latin1'))}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A reset after the answer was read is how some refusals end: what was read is what counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = (split >= 0 ? all.subarray(0, split) : all).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split >= 0 ? all.subarray(split + 4) : Buffer.alloc(0), text: all.toString('latin1') });
    });
    socket.on('connect', () => {
      for (const p of parts) socket.write(p);
    });
  });
}
