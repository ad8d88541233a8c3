// Main process / CLI: delegated sign-in through the system browser (authorization code with PKCE on a loopback redirect) or
// with a device code; tokens live in memory only (or the encrypted cache) and never reach the case file or a log.
import { LogLevel, PublicClientApplication, type AccountInfo, type AuthenticationResult, type ICachePlugin } from '@azure/msal-node';
import type { HttpTransport } from '../http/https';
import type { TenantEnvironment } from './environment';
import { msalNetworkClient, type OAuthErrorBody } from './msal-network';
import { aadstsCode, explainSignInError } from './aadsts';
import { isLoopbackListener } from './loopback';

export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
  message: string;
  expiresAt: Date;
}

export interface SignedInAccount {
  username: string;
  tenantId: string;
  /** The directory object id of the signed-in user (for app-only, of nothing: null). */
  objectId: string | null;
  /** Scopes granted on the last token, as the token service reported them. */
  scopes: string[];
}

export interface TenantSession {
  readonly environment: TenantEnvironment;
  /** Resolves once the person has entered the code; `onPrompt` fires as soon as the code is known. */
  signInWithDeviceCode(onPrompt: (prompt: DeviceCodePrompt) => void): Promise<SignedInAccount>;
  /**
   * Signs in through a browser: authorization code with PKCE, the answer received on a loopback listener at
   * http://localhost:<port>. `openBrowser` shows the sign-in page (the system browser, a new tab, or the simulator's
   * pages driven over HTTP); resolves once the person has signed in and consented.
   */
  signInWithBrowser(openBrowser: (url: string) => Promise<void>, opts?: { loginHint?: string }): Promise<SignedInAccount>;
  /** Stops a pending device-code poll, or a browser sign-in waiting on its loopback listener. */
  cancelSignIn(): void;
  /** Signs in from the persisted cache (no code) when it holds an account for this tenant and a token is still obtainable. */
  restore(): Promise<SignedInAccount | null>;
  getAccessToken(scopes: string[], opts?: { forceRefresh?: boolean }): Promise<string>;
  account(): SignedInAccount | null;
  signOut(): Promise<void>;
}

/** Which public client signs in and for which resource: Graph by default, or Exchange Online's own client. */
export interface SessionAudience {
  clientId: string;
  scopes: string[];
}

export function graphAudience(environment: TenantEnvironment): SessionAudience {
  return { clientId: environment.clientId, scopes: environment.graphScopes };
}

export function exchangeAudience(environment: TenantEnvironment): SessionAudience {
  return { clientId: environment.exchangeClientId, scopes: environment.exchangeScopes };
}

/** What the browser shows once the loopback listener has the answer (msal-node serves these templates). */
const BROWSER_DONE = '<!doctype html><html lang="en"><meta charset="utf-8"><title>Peregrine: signed in</title><body style="font-family:system-ui,sans-serif;margin:3em"><h1>Signed in</h1><p>Peregrine has the sign-in. You can close this tab and return to Peregrine.</p></body></html>';
const BROWSER_FAILED = '<!doctype html><html lang="en"><meta charset="utf-8"><title>Peregrine: sign-in failed</title><body style="font-family:system-ui,sans-serif;margin:3em"><h1>Sign-in did not complete</h1><p>Return to Peregrine: it says why and what to do.</p></body></html>';

export function createTenantSession(
  environment: TenantEnvironment,
  transport: HttpTransport,
  clock: () => Date = () => new Date(),
  audience: SessionAudience = graphAudience(environment),
  /** Persists tokens encrypted between runs; without it they live in memory only. */
  cachePlugin?: ICachePlugin,
): TenantSession {
  const authorityHost = new URL(environment.authorityHost);
  let lastRefusal: OAuthErrorBody | null = null;
  /** MSAL's error, or when it dropped the AADSTS code (the device-code poll does), the token service's own answer. */
  const explain = (err: unknown): Error => {
    const refusal = lastRefusal;
    lastRefusal = null;
    if (aadstsCode(err) === null && refusal?.error_description) {
      return explainSignInError(Object.assign(new Error(refusal.error_description), { errorCodes: refusal.error_codes ?? [] }));
    }
    return explainSignInError(err);
  };
  const pca = new PublicClientApplication({
    auth: {
      clientId: audience.clientId,
      authority: `${environment.authorityHost}/${environment.tenant}`,
      // A non-Microsoft authority (the simulator, a sovereign cloud) must be declared or MSAL asks login.microsoftonline.com.
      knownAuthorities: [authorityHost.host],
    },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
    system: {
      networkClient: msalNetworkClient(transport, (body) => {
        lastRefusal = body;
      }),
      loggerOptions: { piiLoggingEnabled: false, logLevel: LogLevel.Error, loggerCallback: () => undefined },
    },
  });
  let current: { info: AccountInfo; scopes: string[] } | null = null;
  let pending: { cancel?: boolean } | null = null;
  let pendingBrowser: { url: string | null } | null = null;

  const toAccount = (r: AuthenticationResult): SignedInAccount => ({
    username: r.account?.username ?? '(unknown)',
    tenantId: r.tenantId || r.account?.tenantId || environment.tenant,
    objectId: r.account?.localAccountId || null,
    scopes: r.scopes,
  });

  const signedIn = (result: AuthenticationResult | null): SignedInAccount => {
    if (!result?.account) throw new Error('The token service answered without an account; sign-in cannot continue.');
    current = { info: result.account, scopes: result.scopes };
    return toAccount(result);
  };

  return {
    environment,
    async signInWithDeviceCode(onPrompt) {
      const request = {
        scopes: audience.scopes,
        deviceCodeCallback: (r: { userCode: string; verificationUri: string; message: string; expiresIn: number }) =>
          onPrompt({ userCode: r.userCode, verificationUri: r.verificationUri, message: r.message, expiresAt: new Date(clock().getTime() + r.expiresIn * 1000) }),
        cancel: false,
      };
      pending = request;
      try {
        lastRefusal = null;
        return signedIn(await pca.acquireTokenByDeviceCode(request).catch((err: unknown) => Promise.reject(explain(err))));
      } finally {
        pending = null;
      }
    },
    async signInWithBrowser(openBrowser, opts) {
      const attempt = { url: null as string | null };
      pendingBrowser = attempt;
      try {
        const result = await pca
          .acquireTokenInteractive({
            scopes: audience.scopes,
            ...(opts?.loginHint ? { loginHint: opts.loginHint } : {}),
            openBrowser: (url) => {
              attempt.url = url;
              return openBrowser(url);
            },
            successTemplate: BROWSER_DONE,
            errorTemplate: BROWSER_FAILED,
          })
          .catch((err: unknown) => Promise.reject(explain(err)));
        return signedIn(result);
      } finally {
        if (pendingBrowser === attempt) pendingBrowser = null;
      }
    },
    cancelSignIn() {
      if (pending) pending.cancel = true;
      // A browser sign-in waits on its loopback listener: answer it with an error, as the sign-in page would on
      // cancel, so it closes and the sign-in ends.
      const url = pendingBrowser?.url;
      pendingBrowser = null;
      if (url) {
        const request = new URL(url);
        const redirect = request.searchParams.get('redirect_uri');
        const state = request.searchParams.get('state');
        if (redirect && URL.canParse(redirect) && isLoopbackListener(new URL(redirect)) && state) {
          const body = new URLSearchParams({ error: 'access_denied', error_description: 'Sign-in cancelled in Peregrine.', state });
          fetch(redirect, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() }).then((r) => r.text(), () => undefined).catch(() => undefined);
        }
      }
    },
    async restore() {
      const accounts = await pca.getTokenCache().getAllAccounts();
      const tenantMatch = accounts.find((a) => a.tenantId === environment.tenant || a.username.toLowerCase().endsWith(`@${environment.tenant.toLowerCase()}`)) ?? accounts[0];
      if (!tenantMatch) return null;
      try {
        const result = await pca.acquireTokenSilent({ account: tenantMatch, scopes: audience.scopes });
        current = { info: tenantMatch, scopes: result.scopes };
        return toAccount(result);
      } catch {
        // Expired or revoked refresh token: a fresh device-code sign-in is needed.
        return null;
      }
    },
    async getAccessToken(scopes, opts) {
      if (!current) throw new Error('Not signed in to the tenant. Sign in first.');
      try {
        const result = await pca.acquireTokenSilent({ account: current.info, scopes, forceRefresh: opts?.forceRefresh ?? false });
        return result.accessToken;
      } catch (err) {
        throw explainSignInError(err);
      }
    },
    account() {
      return current ? { username: current.info.username, tenantId: current.info.tenantId, objectId: current.info.localAccountId || null, scopes: current.scopes } : null;
    },
    async signOut() {
      if (current) await pca.getTokenCache().removeAccount(current.info);
      current = null;
    },
  };
}
