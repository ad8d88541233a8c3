// Test tooling (Node): the simulator's device-login page, where a person (or Playwright) enters a device code, picks the account that signs in and answers the consent prompt.
import { escapeHtml, readForm, sendHtml, type RequestContext } from './http';
import { ApprovalError, type ApprovalOutcome, type IdentityState } from './identity';
import type { ConsentNeed } from './consent';
import { adminUsers } from './scenario';
import { DIRECTORY_ROLES } from './wellknown';

const STYLE = `
  body { font-family: "Segoe UI", system-ui, -apple-system, sans-serif; background: #f2f2f2; margin: 0; color: #1b1b1b; }
  main { max-width: 520px; margin: 48px auto; background: #fff; padding: 36px 44px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
  .banner { font-size: 12px; color: #605e5c; text-transform: uppercase; letter-spacing: .04em; margin: 0 0 16px; }
  h1 { font-size: 24px; font-weight: 600; margin: 0 0 12px; }
  p { line-height: 1.45; }
  label { display: block; font-weight: 600; margin: 18px 0 6px; }
  input, select { width: 100%; box-sizing: border-box; font: inherit; padding: 8px; border: 1px solid #8a8886; }
  input { text-transform: uppercase; letter-spacing: .15em; }
  button { margin-top: 24px; font: inherit; font-weight: 600; color: #fff; background: #0067b8; border: 0; padding: 8px 28px; cursor: pointer; }
  button:hover, button:focus { background: #005da6; }
  .error { border-left: 4px solid #a80000; background: #fde7e9; padding: 8px 12px; }
  .ok { border-left: 4px solid #107c10; background: #dff6dd; padding: 8px 12px; }
  .tenant { font-size: 12px; color: #605e5c; margin-top: 28px; }
  ul.perms { padding-left: 20px; } ul.perms li { margin: 4px 0; }
  label.check { font-weight: 400; display: flex; gap: 8px; align-items: center; } label.check input { width: auto; }
  button.secondary { background: #fff; color: #1b1b1b; border: 1px solid #8a8886; margin-left: 8px; }
`;

export function page(state: IdentityState, title: string, body: string): string {
  const t = state.tenant;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – ${escapeHtml(t.displayName)} (simulated)</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="banner">Peregrine tenant simulator · not a Microsoft page</p>
${body}
<p class="tenant">Tenant ${escapeHtml(t.displayName)} (${escapeHtml(t.domain)}) · ${escapeHtml(t.tenantId)}</p>
</main>
</body>
</html>
`;
}

function roleNames(templateIds: string[]): string {
  return templateIds
    .map((id) => Object.values(DIRECTORY_ROLES).find((r) => r.templateId === id)?.displayName ?? id)
    .join(', ');
}

/** The account picker: administrators first (with their roles), then users. */
export function accountSelect(state: IdentityState, selectedUpn: string): string {
  const admins = adminUsers(state.tenant);
  const adminIds = new Set(admins.map((a) => a.user.id));
  const option = (upn: string, label: string) =>
    `<option value="${escapeHtml(upn)}"${upn === selectedUpn ? ' selected' : ''}>${escapeHtml(label)}</option>`;
  const adminOptions = admins.map((a) => option(a.user.userPrincipalName, `${a.user.displayName} (${a.user.userPrincipalName}) – ${roleNames(a.roleTemplateIds)}`));
  const userOptions = state.tenant.users
    .filter((u) => !adminIds.has(u.id))
    .map((u) => option(u.userPrincipalName, `${u.displayName} (${u.userPrincipalName})`));
  return `<label for="user">Account</label>
<select id="user" name="user">
<optgroup label="Administrators">
${adminOptions.join('\n')}
</optgroup>
<optgroup label="Users">
${userOptions.join('\n')}
</optgroup>
</select>`;
}

function form(state: IdentityState, code: string, selectedUpn: string, message?: string): string {
  return `<h1>Enter code</h1>
<p>Enter the code shown by the app or device, then choose the account that signs in.</p>
${message ? `<p class="error" role="alert" id="message">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/devicelogin">
<label for="code">Code</label>
<input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" required value="${escapeHtml(code)}">
${accountSelect(state, selectedUpn)}
<button type="submit" id="sign-in">Sign in</button>
</form>`;
}

/**
 * The consent prompt Entra shows after sign-in when the app asks for permissions not yet granted: the list, and for
 * an administrator the "Consent on behalf of your organization" box. `hidden` carries the flow's own fields.
 * https://learn.microsoft.com/entra/identity-platform/application-consent-experience
 */
export function consentForm(action: string, hidden: Record<string, string>, need: ConsentNeed, upn: string): string {
  const described = (value: string) => need.resource.appId === '00000003-0000-0000-c000-000000000000' ? value : `${value} (${need.resource.resource})`;
  return `<h1>Permissions requested</h1>
<p><strong>${escapeHtml(need.client.displayName)}</strong> wants to sign in ${escapeHtml(upn)} and asks for:</p>
<ul class="perms" id="permissions">
${need.scopes.map((v) => `<li>${escapeHtml(described(v))}${need.adminOnly.includes(v) ? ' <span class="small">(admin consent required)</span>' : ''}</li>`).join('\n')}
</ul>
<form method="post" action="${escapeHtml(action)}">
${Object.entries(hidden).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n')}
<input type="hidden" name="user" value="${escapeHtml(upn)}">
${need.canConsentForOrganisation ? '<label class="check"><input type="checkbox" name="consent_for_organisation" value="1" id="consent-org" checked> Consent on behalf of your organisation</label>' : ''}
<button type="submit" name="consent" value="accept" id="consent-accept">Accept</button>
<button type="submit" name="consent" value="cancel" id="consent-cancel" class="secondary">Cancel</button>
</form>`;
}

/** How a consent form was answered, or 'ask' when the account was only just chosen. */
export function consentAnswerOf(body: URLSearchParams): { accept: boolean; forOrganisation: boolean } | 'ask' {
  const consent = body.get('consent');
  if (consent === null) return 'ask';
  return { accept: consent === 'accept', forOrganisation: body.get('consent_for_organisation') === '1' };
}

export function getDeviceLogin(ctx: RequestContext, state: IdentityState): void {
  const code = ctx.url.searchParams.get('otc') ?? ctx.url.searchParams.get('code') ?? '';
  sendHtml(ctx, 200, page(state, 'Enter code', form(state, code, '')));
}

export async function postDeviceLogin(ctx: RequestContext, state: IdentityState): Promise<void> {
  const body = await readForm(ctx.req);
  const code = body.get('code') ?? '';
  const upn = body.get('user') ?? '';
  let outcome: ApprovalOutcome;
  try {
    outcome = state.approve(code, upn, ctx.nowMs, consentAnswerOf(body));
  } catch (err) {
    if (!(err instanceof ApprovalError)) throw err;
    sendHtml(ctx, 400, page(state, 'Enter code', form(state, code, upn, err.message)));
    return;
  }
  const { user, clientDisplayName } = outcome;
  if (outcome.kind === 'consent') {
    sendHtml(ctx, 200, page(state, 'Permissions requested', consentForm('/devicelogin', { code }, outcome.need, user.userPrincipalName)));
  } else if (outcome.kind === 'refused') {
    sendHtml(ctx, 403, page(state, 'Sign-in refused', `<h1>Sign-in refused</h1>
<p class="error" role="alert" id="message">${escapeHtml(outcome.message)}</p>
<p>${escapeHtml(clientDisplayName)} was not signed in. You may close this window.</p>`));
  } else {
    sendHtml(ctx, 200, page(state, 'Signed in', `<h1>You're signed in</h1>
<p class="ok" role="status" id="message">${escapeHtml(user.displayName)} (${escapeHtml(user.userPrincipalName)}) signed in to <strong>${escapeHtml(clientDisplayName)}</strong> on your device. You may now close this window.</p>`));
  }
}
