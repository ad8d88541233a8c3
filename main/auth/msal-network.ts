// Main process / CLI: MSAL's network client on our HTTPS transport, because MSAL's default (fetch) cannot be given a CA inside Electron.
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { HttpTransport } from '../http/https';

export function msalNetworkClient(transport: HttpTransport): INetworkModule {
  async function send<T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const res = await transport({
      method,
      url,
      headers: options?.headers,
      body: method === 'POST' ? (options?.body ?? '') : undefined,
      timeoutMs: timeout,
    });
    let body: T;
    try {
      body = JSON.parse(res.body.toString('utf8')) as T;
    } catch {
      throw new Error(`The sign-in service at ${new URL(url).origin} answered HTTP ${res.status} with a body that is not JSON.`);
    }
    return { headers: res.headers, body, status: res.status };
  }
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
