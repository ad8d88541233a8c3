// Test tooling (Node): consent in the simulator — which delegated permissions a public client holds for a user, who may
// consent to more at sign-in, what a tenant's Conditional Access refuses, and the grants a consent writes.
import { createHash, randomBytes } from 'node:crypto';
import { parseScope, type IdentityState, type ResourceInfo } from './identity';
import type { GraphConditionalAccessPolicy, GraphServicePrincipal, GraphUser } from './graph-types';
import type { Tenant } from './scenario';
import { userRoleTemplateIds } from './scenario';
import { DIRECTORY_ROLES } from './wellknown';

const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/**
 * Delegated Microsoft Graph permissions a user may consent to for themselves: those the permissions reference lists
 * with "Admin consent required: No". Every other one (Directory.Read.All, AuditLog.Read.All, Policy.Read.All,
 * RoleManagement.Read.Directory, User.Read.All…) needs an administrator.
 * https://learn.microsoft.com/graph/permissions-reference
 */
const USER_CONSENTABLE = new Set(['User.Read', 'User.ReadWrite', 'User.ReadBasic.All', 'Mail.Read', 'Calendars.Read', 'MailboxSettings.Read', 'Files.Read.All', 'Sites.Read.All']);

/**
 * Roles that may grant tenant-wide consent to delegated permissions of any API (Microsoft Graph app roles need
 * Privileged Role Administrator, but a public client asks for delegated permissions only).
 * https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent#prerequisites
 */
const ORGANISATION_CONSENT_ROLES = new Set([
  DIRECTORY_ROLES.globalAdministrator.templateId,
  DIRECTORY_ROLES.privilegedRoleAdministrator.templateId,
  DIRECTORY_ROLES.applicationAdministrator.templateId,
  '158c047a-c907-4556-b7ef-446551a6b5f7', // Cloud Application Administrator
]);

export function resourceSp(state: IdentityState, resource: ResourceInfo): GraphServicePrincipal | undefined {
  return state.tenant.servicePrincipals.find((sp) => sp.appId === resource.appId);
}

/** Delegated permissions a user holds for a client on a resource: every grant tenant-wide (AllPrincipals) or for them. */
export function consentedScopes(state: IdentityState, client: GraphServicePrincipal, resource: ResourceInfo, userId: string): string[] {
  const target = resourceSp(state, resource);
  if (!target) return [];
  const scopes = new Set<string>();
  for (const g of state.tenant.oauth2PermissionGrants) {
    if (g.clientId !== client.id || g.resourceId !== target.id) continue;
    if (g.consentType === 'Principal' && g.principalId !== userId) continue;
    for (const s of g.scope.split(' ').filter(Boolean)) if (!OIDC_SCOPES.has(s)) scopes.add(s);
  }
  return [...scopes];
}

export interface ConsentNeed {
  client: GraphServicePrincipal;
  resource: ResourceInfo;
  /** Every permission asked for: consent for the organisation grants them all tenant-wide. */
  requested: string[];
  /** Requested permissions nobody has consented to for this user yet. */
  scopes: string[];
  /** Of those, the ones only an administrator may consent to. */
  adminOnly: string[];
  canConsentForOrganisation: boolean;
}

/** What a sign-in page does with the permissions asked for: nothing (all held), or asks. `.default` never asks: static consent. */
export function consentNeeded(state: IdentityState, client: GraphServicePrincipal, scope: string, user: GraphUser): ConsentNeed | null {
  const parsed = parseScope(scope);
  if (!parsed.ok || parsed.values.includes('.default')) return null;
  const held = new Set(consentedScopes(state, client, parsed.resource, user.id));
  const missing = parsed.values.filter((v) => !held.has(v));
  if (missing.length === 0) return null;
  return {
    client,
    resource: parsed.resource,
    requested: parsed.values,
    scopes: missing,
    adminOnly: missing.filter((v) => !USER_CONSENTABLE.has(v)),
    canConsentForOrganisation: userRoleTemplateIds(state.tenant, user.id).some((r) => ORGANISATION_CONSENT_ROLES.has(r)),
  };
}

/**
 * Records consent as Entra does: an oauth2PermissionGrant, tenant-wide (consentType AllPrincipals) when an administrator
 * consents for the organisation, else for the one user (Principal). An existing grant of that kind is extended.
 * https://learn.microsoft.com/graph/api/resources/oauth2permissiongrant
 */
export function grantConsent(state: IdentityState, need: ConsentNeed, user: GraphUser, forOrganisation: boolean): void {
  const target = resourceSp(state, need.resource);
  if (!target) return;
  const principalId = forOrganisation ? null : user.id;
  const scopes = forOrganisation ? need.requested : need.scopes;
  const existing = state.tenant.oauth2PermissionGrants.find((g) =>
    g.clientId === need.client.id && g.resourceId === target.id && (forOrganisation ? g.consentType === 'AllPrincipals' : g.consentType === 'Principal' && g.principalId === user.id));
  if (existing) {
    existing.scope = [...new Set([...existing.scope.split(' ').filter(Boolean), ...scopes])].join(' ');
    return;
  }
  state.tenant.oauth2PermissionGrants.push({
    clientId: need.client.id,
    consentType: forOrganisation ? 'AllPrincipals' : 'Principal',
    // Real grant ids are opaque base64url strings.
    id: randomBytes(48).toString('base64url'),
    principalId,
    resourceId: target.id,
    scope: scopes.join(' '),
  });
}

/** How the person answered the consent prompt; the simulator's auto-approval answers as an administrator would. */
export interface ConsentAnswer {
  accept: boolean;
  /** "Consent on behalf of your organization": only an administrator is offered it. */
  forOrganisation: boolean;
}

export const CONSENT_AS_ADMIN: ConsentAnswer = { accept: true, forOrganisation: true };

export interface Refusal {
  status: number;
  error: string;
  code: number;
  text: string;
}

/** What the token endpoint answers after a sign-in page refused; `page` is what the person saw. */
export interface SignInRefusal {
  page: string;
  token: Refusal;
}

export type SignInDecision =
  | { kind: 'approved' }
  | { kind: 'consent'; need: ConsentNeed }
  | { kind: 'refused'; refusal: SignInRefusal };

/**
 * The sign-in page's verdict for a user, a client and the scopes asked for, in Entra's order: Conditional Access
 * first, then consent. Grants the consent when the answer accepts it.
 */
export function decideSignIn(state: IdentityState, input: { client: GraphServicePrincipal; scope: string; user: GraphUser; flow: 'device-code' | 'authorization-code' }, answer: ConsentAnswer | undefined): SignInDecision {
  if (input.flow === 'device-code' && blocksDeviceCode(state.tenant)) {
    // A policy with an authentication-flows condition on device code flow and the Block grant control; the token
    // response carries AADSTS53003 (BlockedByConditionalAccess).
    // https://learn.microsoft.com/entra/identity/conditional-access/policy-block-authentication-flows
    // https://learn.microsoft.com/entra/identity-platform/reference-error-codes (53003)
    const text = 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.';
    return { kind: 'refused', refusal: { page: `You cannot sign in this way: ${text} Your organisation blocks sign-in with a device code.`, token: { status: 400, error: 'invalid_grant', code: 53003, text } } };
  }
  const need = consentNeeded(state, input.client, input.scope, input.user);
  if (!need) return { kind: 'approved' };
  const consentRequired: Refusal = {
    status: 400, error: 'invalid_grant', code: 65001,
    text: `The user or administrator has not consented to use the application with ID '${input.client.appId}' named '${input.client.displayName}'. Send an interactive authorization request for this user and resource.`,
  };
  if (need.adminOnly.length > 0 && !need.canConsentForOrganisation) {
    // "Need admin approval": a user cannot consent to permissions that require an administrator.
    // https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts90094-admin-consent
    return { kind: 'refused', refusal: { page: `AADSTS90094: The grant requires admin permission. ${input.client.displayName} needs permission to access resources in your organisation that only an admin can grant (${need.adminOnly.join(', ')}). Ask an admin to grant permission to this app before you can use it.`, token: consentRequired } };
  }
  if (!answer) return { kind: 'consent', need };
  if (!answer.accept) {
    return { kind: 'refused', refusal: { page: 'You declined the permissions the app asked for; it has not been signed in.', token: { status: 400, error: 'access_denied', code: 65004, text: 'User declined to consent to access the app.' } } };
  }
  grantConsent(state, need, input.user, answer.forOrganisation && need.canConsentForOrganisation);
  return { kind: 'approved' };
}

/**
 * The Conditional Access policy Microsoft recommends: every user, every resource, the device code flow, Block.
 * https://learn.microsoft.com/entra/identity/conditional-access/policy-block-authentication-flows
 * https://learn.microsoft.com/graph/api/resources/conditionalaccessauthenticationflows
 */
export function deviceCodeBlockPolicy(tenant: Tenant): GraphConditionalAccessPolicy {
  const id = createHash('sha256').update(`${tenant.tenantId}|block-device-code`).digest('hex');
  return {
    id: `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}`,
    templateId: null,
    displayName: 'Block device code flow',
    createdDateTime: tenant.referenceTime,
    modifiedDateTime: null,
    state: 'enabled',
    sessionControls: null,
    conditions: {
      userRiskLevels: [], signInRiskLevels: [], clientAppTypes: ['all'], servicePrincipalRiskLevels: [], platforms: null, locations: null,
      devices: null, clientApplications: null,
      applications: { includeApplications: ['All'], excludeApplications: [], includeUserActions: [], includeAuthenticationContextClassReferences: [] },
      users: { includeUsers: ['All'], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [], includeGuestsOrExternalUsers: null, excludeGuestsOrExternalUsers: null },
      authenticationFlows: { transferMethods: 'deviceCodeFlow' },
    },
    grantControls: { operator: 'OR', builtInControls: ['block'], customAuthenticationFactors: [], termsOfUse: [], authenticationStrength: null },
  };
}

/** Whether an enabled policy for everyone blocks the device code flow (exclusions are not evaluated). */
function blocksDeviceCode(tenant: Tenant): boolean {
  return tenant.conditionalAccessPolicies.some((p) => p.state === 'enabled'
    && (p.conditions.authenticationFlows?.transferMethods ?? '').split(',').map((m) => m.trim()).includes('deviceCodeFlow')
    && p.conditions.users.includeUsers.includes('All')
    && (p.grantControls?.builtInControls ?? []).includes('block'));
}
