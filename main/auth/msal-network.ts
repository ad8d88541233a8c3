// Main process / CLI: MSAL's network client on our HTTPS transport, because MSAL's default (fetch) cannot be given a CA inside Electron.
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { HttpTransport } from '../http/https';

/** An OAuth error body from the token service, as Entra sends it. */
export interface OAuthErrorBody {
  error: string;
  error_description?: string;
  error_codes?: number[];
}

/**
 * `onError` sees every OAuth error the token service answers: MSAL's device-code poll reports only the short error
 * (`invalid_grant`), losing the AADSTS code and description that say what to do.
 */
export function msalNetworkClient(transport: HttpTransport, onError?: (body: OAuthErrorBody) => void): INetworkModule {
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
    const oauth = body as Partial<OAuthErrorBody> | null;
    if (res.status >= 400 && onError && oauth && typeof oauth.error === 'string' && oauth.error !== 'authorization_pending') onError(oauth as OAuthErrorBody);
    return { headers: res.headers, body, status: res.status };
  }
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
