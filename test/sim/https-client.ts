// Test tooling (Node): a minimal HTTPS client for simulator tests that trusts only the simulator's CA (verification is never turned off).
import https from 'node:https';

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface SimRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** PEM of the CA to trust; omitted means Node's default store, which the simulator's certificate must fail. */
  ca?: string;
}

export function simRequest(url: string, options: SimRequest = {}): Promise<SimResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      ...(options.ca ? { ca: options.ca } : {}),
      // No connection reuse: every test request stands alone and close() never waits on idle sockets.
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export function json(response: SimResponse): unknown {
  return JSON.parse(response.text) as unknown;
}

/** POSTs an application/x-www-form-urlencoded body, as OAuth clients and HTML forms do. */
export function postForm(url: string, fields: Record<string, string>, ca: string, headers: Record<string, string> = {}): Promise<SimResponse> {
  return simRequest(url, {
    method: 'POST',
    ca,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}
