// Main process: signing in to the tenant — device-code or browser sign-ins to Graph and Exchange Online, or the engagement app's certificate — and who reads it.
import type { Handlers, SignInState } from '../../../preload/contract';
import type { TenantEnvironment } from '../../auth/environment';
import { createTenantSession, exchangeAudience, graphAudience, type SessionAudience, type TenantSession } from '../../auth/device-code';
import { appOnlyAnchorMailbox, createAppOnlySession, type AppOnlySession } from '../../auth/app-only';
import { createGraphReader } from '../../graph/reader';
import { readOnlyTransport } from '../../http/read-only';
import { HandlerError } from '../dispatch';
import { followSignIn, signedOutSlot, signOutSlots, type SignInSlot } from './sign-in-slot';
import type { WorkbenchContext } from './context';
import { tenantView } from './environment-view';

/** Who reads the tenant for a preflight or a collection: the engagement app for both services, or the device-code sign-ins. */
export type Reader = Pick<TenantSession, 'environment' | 'getAccessToken' | 'account'>;
export interface TenantAccess {
  graph: Reader | null;
  exchange: Reader | null;
  appOnly: boolean;
}

export interface TenantArea {
  handlers: Handlers['auth'];
  access(): TenantAccess;
  /** Exchange routes each request by a mailbox: the signed-in person's, or for the app the tenant's system mailbox. */
  anchorMailbox(access: TenantAccess): string;
  graphReaderOf(session: Reader): ReturnType<typeof createGraphReader>;
  close(): Promise<void>;
}

export function tenantArea(ctx: WorkbenchContext): TenantArea {
  const { deps, clock } = ctx;
  const graphSlot = signedOutSlot();
  const exchangeSlot = signedOutSlot();
  /** The engagement app's session (app-only): when present it stands in for both device-code sign-ins. Its key lives only in it. */
  let appOnly: AppOnlySession | null = null;

  function appOnlyState(session: AppOnlySession): SignInState {
    const account = session.account()!;
    const cert = session.certificate;
    return {
      state: 'signed-in',
      method: 'app-only',
      username: account.username,
      tenantId: account.tenantId,
      scopes: account.scopes,
      certificate: { subject: cert.subject, thumbprintSha1: cert.thumbprintSha1, notAfter: cert.notAfter.toISOString() },
    };
  }

  /** Ends every sign-in, device-code and app-only: one way of reading the tenant at a time. */
  async function signOutAll(): Promise<void> {
    await signOutSlots([graphSlot, exchangeSlot]);
    await appOnly?.signOut();
    appOnly = null;
  }

  function access(): TenantAccess {
    if (appOnly?.account()) return { graph: appOnly, exchange: appOnly, appOnly: true };
    return {
      graph: graphSlot.session?.account() ? graphSlot.session : null,
      exchange: exchangeSlot.session?.account() ? exchangeSlot.session : null,
      appOnly: false,
    };
  }

  /** Starts a sign-in (device code unless the browser is asked for); answers as soon as the code or page is known, and the slot follows the outcome. */
  async function startSignIn(slot: SignInSlot, audience: (env: TenantEnvironment) => SessionAudience, method: 'browser' | 'device-code' = 'device-code'): Promise<SignInState> {
    const env = ctx.requireEnvironment();
    if (appOnly) {
      // Back to delegated sign-in: the engagement app's session (and its key) goes.
      await appOnly.signOut();
      appOnly = null;
    }
    slot.session?.cancelSignIn();
    const session = createTenantSession(env, ctx.transportFor(env), clock, audience(env), deps.tokenCache);
    slot.session = session;
    slot.state = { state: 'signed-out' };
    const restored = deps.tokenCache ? await session.restore() : null;
    if (restored) {
      slot.state = { state: 'signed-in', method, username: restored.username, tenantId: restored.tenantId, scopes: restored.scopes };
      return slot.state;
    }
    return followSignIn(slot, session, method, deps.openBrowser);
  }

  // Sign-ins belong to the tenant they were made for: another tenant (or cloud, or client) starts signed out.
  ctx.onEnvironmentChanged(() => {
    void signOutAll();
  });

  const handlers: Handlers['auth'] = {
    tenant: async () => tenantView(ctx),
    chooseTenant: async (input) => {
      if (ctx.busy()) throw new HandlerError('busy', 'A collection or a remediation step is running with the current sign-in; wait for it to finish or cancel it before naming another tenant.');
      if (input.source === 'file') {
        if (!deps.environment) throw new HandlerError('no_environment', 'Peregrine was started without an environment file, so there is none to go back to. Name the tenant and its cloud instead.');
        ctx.chooseTenant(null);
      } else {
        ctx.chooseTenant({ cloud: input.cloud, tenant: input.tenant, clientId: input.clientId || null });
      }
      await signOutAll();
      // Read back as sign-ins will see it (Settings' client ids applied): a Settings file that cannot be read is said now.
      ctx.requireEnvironment();
      return tenantView(ctx);
    },
    start: async ({ method }) => startSignIn(graphSlot, (env) => graphAudience(env), method),
    status: async () => (appOnly ? appOnlyState(appOnly) : graphSlot.state),
    signOut: async () => {
      await signOutAll();
      return graphSlot.state;
    },
    // The engagement app's certificate already gets Exchange Online tokens: no second sign-in.
    startExchange: async ({ method }) => (appOnly ? appOnlyState(appOnly) : startSignIn(exchangeSlot, (env) => exchangeAudience(env), method)),
    exchangeStatus: async () => (appOnly ? appOnlyState(appOnly) : exchangeSlot.state),
    startAppOnly: async ({ appId, certificatePem, privateKeyPem }) => {
      const env = ctx.requireEnvironment();
      if (ctx.busy()) throw new HandlerError('busy', 'A collection is running with the current sign-in; wait for it to finish or cancel it before signing in again.');
      await signOutAll();
      let session: AppOnlySession | null = null;
      try {
        // Checks the key against the certificate and its dates before any request, then asks the tenant for a Graph token.
        session = createAppOnlySession(env, ctx.transportFor(env), { clientId: appId, certificatePem, privateKeyPem }, clock);
        const account = await session.signIn();
        if (account.scopes.length === 0) {
          throw new Error(`The tenant signed app ${appId} in but granted it no application permissions (app roles), so it can read nothing. An administrator must grant admin consent to the app's Microsoft Graph permissions (and Exchange.ManageAsApp with an Exchange role for Exchange Online).`);
        }
      } catch (err) {
        await session?.signOut();
        return { state: 'error', message: `App-only sign-in failed: ${(err as Error).message}` };
      }
      appOnly = session;
      return appOnlyState(session);
    },
  };

  return {
    handlers,
    access,
    anchorMailbox(a) {
      if (!a.appOnly) return `UPN:${a.exchange!.account()!.username}`;
      return appOnlyAnchorMailbox(a.exchange!.account()!.tenantId);
    },
    graphReaderOf: (session) =>
      createGraphReader({
        baseUrl: session.environment.graphBaseUrl,
        transport: readOnlyTransport(ctx.transportFor(session.environment)),
        getToken: (o) => session.getAccessToken(session.environment.graphScopes, o),
        maxRetries: 1,
      }),
    async close() {
      graphSlot.session?.cancelSignIn();
      exchangeSlot.session?.cancelSignIn();
      await appOnly?.signOut();
      appOnly = null;
    },
  };
}
