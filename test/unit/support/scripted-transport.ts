// Test support (Vitest): an HTTP transport that answers from a script and records what it was asked.
import type { HttpRequest, HttpResponse } from '../../../main/http/https';

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: Buffer.from(JSON.stringify(body)) });

export function scripted(responses: HttpResponse[]) {
  const seen: HttpRequest[] = [];
  return {
    seen,
    transport: async (req: HttpRequest) => {
      seen.push(req);
      const next = responses.shift();
      if (!next) throw new Error('unexpected request ' + req.url);
      return next;
    },
  };
}
