// Main process / CLI: the remediation sign-in — separate from collection's, asked for only when remediating, with
// the write scopes the pending steps need (named, so consent is asked for each) — and the preflight of those steps'
// scopes and directory roles against what the token and the account hold.
import { createTenantSession, exchangeAudience, type DeviceCodePrompt, type SignedInAccount } from '../auth/device-code';
import type { TenantEnvironment } from '../auth/environment';
import { resourceOf } from '../auth/scopes';
import { signIn, type SignInMethod } from '../auth/sign-in';
import { appOnlyAnchorMailbox, createAppOnlySession, type AppOnlyCredentials } from '../auth/app-only';
import type { HttpTransport } from '../http/https';
import type { PlannedStep } from './model';

type TokenFn = (opts?: { forceRefresh?: boolean }) => Promise<string>;

export interface RemediationSession {
  account: SignedInAccount;
  graphToken: TokenFn;
  /** Present when a step to run sends Exchange cmdlets. */
  exchange: { token: TokenFn; anchorMailbox: string } | null;
}

/** What every remediation sign-in asks for besides the steps' needs: sign in, and read role assignments for the preflight. */
export const REMEDIATION_BASE_SCOPES = ['User.Read', 'Directory.Read.All'] as const;

/** The named Graph scopes the steps need, on the environment's Graph resource, sorted. */
export function remediationScopes(env: TenantEnvironment, steps: readonly PlannedStep[]): string[] {
  const resource = resourceOf(env.graphScopes[0] ?? '') ?? env.graphBaseUrl;
  const names = new Set<string>([...REMEDIATION_BASE_SCOPES, ...steps.flatMap((s) => s.needs.graphScopes)]);
  return [...names].sort().map((n) => `${resource}/${n}`);
}

export const needsExchange = (steps: readonly PlannedStep[]): boolean => steps.some((s) => s.items.some((i) => i.read.api === 'exchange' || i.writes.some((w) => w.api === 'exchange')));

export interface SignInOptions {
  env: TenantEnvironment;
  transport: HttpTransport;
  clock: () => Date;
  steps: readonly PlannedStep[];
  /** The engagement app's certificate: app-only, no person signs in. */
  appOnly?: AppOnlyCredentials;
  method: SignInMethod;
  openBrowser: ((url: string) => Promise<void>) | null;
  onPrompt: (service: string) => (prompt: DeviceCodePrompt) => void;
  onFallback: (service: string, reason: string) => void;
  /** The public client for delegated remediation; default the environment's remediation client, else its client. */
  clientId?: string;
  /** The account to offer on the browser sign-in page (the consultant's own, not an account the attacker took). */
  loginHint?: string;
}

export async function remediationSignIn(o: SignInOptions): Promise<RemediationSession> {
  const exchange = needsExchange(o.steps);
  if (o.appOnly) {
    const app = createAppOnlySession(o.env, o.transport, o.appOnly, o.clock);
    const account = await app.signIn();
    return {
      account,
      graphToken: (opts) => app.getAccessToken(o.env.graphScopes, opts),
      exchange: exchange ? { token: (opts) => app.getAccessToken(o.env.exchangeScopes, opts), anchorMailbox: appOnlyAnchorMailbox(account.tenantId) } : null,
    };
  }
  const scopes = remediationScopes(o.env, o.steps);
  const clientId = o.clientId ?? o.env.remediationClientId ?? o.env.clientId;
  const choice = (service: string) => ({ method: o.method, openBrowser: o.openBrowser, onPrompt: o.onPrompt(service), onFallback: (reason: string) => o.onFallback(service, reason), ...(o.loginHint ? { loginHint: o.loginHint } : {}) });
  const session = createTenantSession(o.env, o.transport, o.clock, { clientId, scopes });
  const account = await signIn(session, choice('Microsoft Graph (remediation)'));
  let exo: RemediationSession['exchange'] = null;
  if (exchange) {
    const exoSession = createTenantSession(o.env, o.transport, o.clock, exchangeAudience(o.env));
    const exoAccount = await signIn(exoSession, choice('Exchange Online (remediation)'));
    if (exoAccount.username.toLowerCase() !== account.username.toLowerCase()) {
      throw new Error(`Exchange Online was signed in as ${exoAccount.username}, Microsoft Graph as ${account.username}: remediate as one account.`);
    }
    exo = { token: (opts) => exoSession.getAccessToken(o.env.exchangeScopes, opts), anchorMailbox: `UPN:${exoAccount.username}` };
  }
  return { account, graphToken: (opts) => session.getAccessToken(scopes, opts), exchange: exo };
}

/**
 * Exchange Online RBAC: the management role each step's cmdlets need, and the built-in role groups that hold it
 * (https://learn.microsoft.com/exchange/permissions-exo/feature-permissions,
 * https://learn.microsoft.com/exchange/permissions-exo/permissions-exo#role-groups). Remove-InboundConnector needs
 * Remote and Accepted Domains; Remove-TransportRule, Transport Rules; Set-Mailbox forwarding and Remove-InboxRule on
 * another person's mailbox, Mail Recipients; Set-AdminAuditLogConfig and Set-MailboxAuditBypassAssociation, Audit Logs;
 * Remove-ManagementRoleAssignment, Role Management (held by Organization Management alone).
 */
export const EXCHANGE_ROLE_GROUPS: Readonly<Record<string, readonly string[]>> = {
  'Remote and Accepted Domains': ['Organization Management'],
  'Transport Rules': ['Organization Management', 'Records Management'],
  'Mail Recipients': ['Organization Management', 'Recipient Management'],
  'Audit Logs': ['Organization Management', 'Compliance Management'],
  'Role Management': ['Organization Management'],
};

/**
 * Directory roles whose holders Exchange Online gives the permissions of Organization Management, which holds every
 * role above (https://learn.microsoft.com/exchange/permissions-exo/permissions-exo#microsoft-entra-roles-in-exchange-online).
 */
const EXCHANGE_ORGANIZATION_ADMINS = ['global administrator', 'exchange administrator'];

/** "Transport Rules (role group Organization Management or Records Management)": what to ask the client's admin for. */
export function exchangeRoleText(role: string): string {
  const groups = EXCHANGE_ROLE_GROUPS[role] ?? [];
  return groups.length ? `${role} (role group ${groups.join(' or ')})` : role;
}

export interface PreflightRow {
  stepId: string;
  missingScopes: string[];
  missingRoles: string[];
  /**
   * Exchange management roles the account is not known to hold: judged from its directory roles (Exchange or Global
   * Administrator hold them all); a role group membership granted in Exchange itself is not visible here, so a role
   * listed may still be held that way — the cmdlet's answer then decides.
   */
  missingExchangeRoles: string[];
}

/**
 * Each step's scopes against the token's, its directory roles against the account's (Global Administrator holds
 * them all), and its Exchange management roles as far as the directory roles show them. `roles` null: they could not
 * be read, and neither is judged.
 */
export function remediationPreflight(steps: readonly PlannedStep[], grantedScopes: readonly string[], roles: readonly string[] | null): PreflightRow[] {
  const granted = new Set(grantedScopes.map((s) => s.replace(/^https?:\/\/[^/]+\//, '').toLowerCase()));
  const held = new Set((roles ?? []).map((r) => r.toLowerCase()));
  const global = held.has('global administrator');
  // Application Administrator holds everything Cloud Application Administrator does, and more.
  if (held.has('application administrator')) held.add('cloud application administrator');
  const exchangeAdmin = EXCHANGE_ORGANIZATION_ADMINS.some((r) => held.has(r));
  return steps.map((s) => ({
    stepId: s.id,
    missingScopes: s.needs.graphScopes.filter((n) => !granted.has(n.toLowerCase())),
    missingRoles: roles === null || global ? [] : s.needs.directoryRoles.filter((r) => !held.has(r.toLowerCase())),
    missingExchangeRoles: roles === null || exchangeAdmin ? [] : [...s.needs.exchangeRoles],
  }));
}
