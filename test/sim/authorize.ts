// Test tooling (Node): the simulator's authorize endpoint and sign-in page (authorization code flow with PKCE): pick
// the account, answer the consent prompt, and the code goes back to the app's loopback redirect URI.
import { randomBytes } from 'node:crypto';
import { escapeHtml, readForm, sendHtml, type RequestContext } from './http';
import type { IdentityState } from './identity';
import { decideSignIn } from './consent';
import { accountSelect, consentAnswerOf, consentForm, page } from './devicelogin';

/** Authorization codes are short-lived (about ten minutes) and single-use. https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow */
const AUTH_CODE_LIFETIME_MS = 10 * 60 * 1000;

/**
 * Public clients on the desktop redirect to the loopback interface; Entra ignores the port of a localhost redirect URI
 * (http://localhost and http://127.0.0.1 are registered for the Graph command-line client).
 * https://learn.microsoft.com/entra/identity-platform/reply-url#localhost-exceptions
 */
function loopbackRedirect(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1') && u.username === '' && u.search === '' && u.hash === '';
  } catch {
    return false;
  }
}

type Checked = { ok: true; params: URLSearchParams; clientDisplayName: string } | { ok: false; status: number; html: string } | { ok: false; redirect: Record<string, string>; params: URLSearchParams };

/** The request's parameters, checked in Entra's order: errors before the redirect URI is trusted are shown, later ones sent back. */
function check(state: IdentityState, params: URLSearchParams): Checked {
  const clientId = params.get('client_id') ?? '';
  const client = state.findClient(clientId);
  const shown = (code: number, text: string) => ({ ok: false as const, status: 400, html: page(state, 'Sign-in error', `<h1>Sorry, but we're having trouble signing you in.</h1><p class="error" role="alert" id="message">AADSTS${code}: ${escapeHtml(text)}</p>`) });
  if (!client) return shown(700016, `Application with identifier '${clientId}' was not found in the directory '${state.tenant.displayName}'.`);
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!loopbackRedirect(redirectUri)) {
    return shown(50011, `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${client.appId}'.`);
  }
  const sendBack = (error: string, description: string) => ({ ok: false as const, redirect: { error, error_description: description, ...(params.get('state') ? { state: params.get('state')! } : {}) }, params });
  if (params.get('response_type') !== 'code') return sendBack('unsupported_response_type', "AADSTS700054: response_type must be 'code' for this application.");
  if (!(params.get('scope') ?? '').trim()) return sendBack('invalid_request', "AADSTS900144: The request body must contain the following parameter: 'scope'.");
  const method = params.get('code_challenge_method');
  if (params.get('code_challenge') && method !== null && method !== 'S256' && method !== 'plain') {
    return sendBack('invalid_request', `AADSTS501491: Invalid code_challenge_method '${method}'.`);
  }
  return { ok: true, params, clientDisplayName: client.displayName };
}

/** Sends the response to the redirect URI: an auto-submitted form (response_mode=form_post, as MSAL asks) or a query string. */
function respond(ctx: RequestContext, state: IdentityState, params: URLSearchParams, fields: Record<string, string>, note: string | null): void {
  const redirectUri = params.get('redirect_uri')!;
  if (params.get('response_mode') === 'form_post') {
    const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n');
    const nonce = randomBytes(16).toString('base64');
    const body = `${note ? `<h1>Sign-in refused</h1><p class="error" role="alert" id="message">${escapeHtml(note)}</p>` : '<h1>Signing you in…</h1>'}
<form method="post" action="${escapeHtml(redirectUri)}" id="response">
${inputs}
<button type="submit" id="return">Return to the application</button>
</form>${note ? '' : `\n<script nonce="${nonce}">document.getElementById("response").submit();</script>`}`;
    // The redirect URI is the app's loopback listener (http://localhost:<port>): the form may post there, and nowhere else.
    sendHtml(ctx, 200, page(state, note ? 'Sign-in refused' : 'Signing in', body), { formAction: `'self' ${new URL(redirectUri).origin}`, scriptNonce: nonce });
    return;
  }
  const target = new URL(redirectUri);
  for (const [k, v] of Object.entries(fields)) target.searchParams.set(k, v);
  ctx.res.writeHead(302, { Location: target.toString(), 'Cache-Control': 'no-store' });
  ctx.res.end();
}

function signInForm(state: IdentityState, action: string, params: URLSearchParams, clientDisplayName: string): string {
  const hint = params.get('login_hint') ?? '';
  return `<h1>Sign in</h1>
<p><strong>${escapeHtml(clientDisplayName)}</strong> asks you to sign in to ${escapeHtml(state.tenant.displayName)}. Choose the account.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="request" value="${escapeHtml(params.toString())}">
${accountSelect(state, hint)}
<button type="submit" id="sign-in">Sign in</button>
</form>`;
}

export function getAuthorize(ctx: RequestContext, state: IdentityState): void {
  const checked = check(state, ctx.url.searchParams);
  if (!checked.ok) return 'html' in checked ? sendHtml(ctx, checked.status, checked.html) : respond(ctx, state, checked.params, checked.redirect, checked.redirect.error_description ?? null);
  sendHtml(ctx, 200, page(state, 'Sign in', signInForm(state, ctx.url.pathname, checked.params, checked.clientDisplayName)));
}

export async function postAuthorize(ctx: RequestContext, state: IdentityState): Promise<void> {
  const body = await readForm(ctx.req);
  const checked = check(state, new URLSearchParams(body.get('request') ?? ''));
  if (!checked.ok) return 'html' in checked ? sendHtml(ctx, checked.status, checked.html) : respond(ctx, state, checked.params, checked.redirect, checked.redirect.error_description ?? null);
  const { params } = checked;
  const user = state.findUser(body.get('user') ?? '');
  const client = state.findClient(params.get('client_id')!)!;
  if (!user) return sendHtml(ctx, 400, page(state, 'Sign in', `<p class="error" role="alert" id="message">There is no user ${escapeHtml(body.get('user') ?? '')} in this tenant.</p>${signInForm(state, ctx.url.pathname, params, client.displayName)}`));
  const answer = consentAnswerOf(body);
  const scope = params.get('scope')!;
  const decision = decideSignIn(state, { client, scope, user, flow: 'authorization-code' }, answer === 'ask' ? undefined : answer);
  const stateField: Record<string, string> = params.get('state') ? { state: params.get('state')! } : {};
  if (decision.kind === 'consent') {
    return sendHtml(ctx, 200, page(state, 'Permissions requested', consentForm(ctx.url.pathname, { request: params.toString() }, decision.need, user.userPrincipalName)));
  }
  if (decision.kind === 'refused') {
    const { token, page: message } = decision.refusal;
    // The person reads why on the page and returns to the app with the error (the exact error Entra sends back from
    // its "Need admin approval" page is not confirmed; access_denied with the AADSTS text is what apps see).
    return respond(ctx, state, params, { error: token.error === 'invalid_grant' ? 'access_denied' : token.error, error_description: `AADSTS${token.code}: ${token.text}`, ...stateField }, message);
  }
  const code = `1.A${randomBytes(64).toString('base64url')}`;
  state.authCodes.set(code, {
    clientId: client.appId,
    userId: user.id,
    scope,
    redirectUri: params.get('redirect_uri')!,
    codeChallenge: params.get('code_challenge'),
    codeChallengeMethod: params.get('code_challenge') ? (params.get('code_challenge_method') ?? 'plain') : null,
    expiresAtMs: ctx.nowMs + AUTH_CODE_LIFETIME_MS,
    redeemed: false,
  });
  respond(ctx, state, params, { code, ...stateField, session_state: randomBytes(16).toString('hex') }, null);
}
