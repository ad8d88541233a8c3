// Test tooling (Node): the directory's security posture objects: activated directory roles, MFA registration details, conditional-access policies, security defaults.
import { createPrng, type Prng } from '../prng';
import type {
  DirectoryRoleAssignment, GraphConditionalAccessPolicy, GraphDirectoryRole, GraphUser, GraphUserRegistrationDetails,
} from '../graph-types';
import { DIRECTORY_ROLES } from '../wellknown';

const DAY = 24 * 60 * 60 * 1000;

/** The fixed id Graph gives the tenant's security defaults policy object. */
export const SECURITY_DEFAULTS_POLICY_ID = '00000000-0000-0000-0000-000000000005';

/** Windows Azure Service Management API: what "Require MFA for Azure management" targets. */
const AZURE_MANAGEMENT_APP_ID = '797f4846-ba00-4fd7-ba43-dac1f8f63013';
/** Microsoft's template "Require multifactor authentication for admins". */
const MFA_FOR_ADMINS_TEMPLATE_ID = 'c7503427-338e-4c5e-902d-abe252abfb43';

function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** A GUID's 16 bytes in .NET order (first three groups little-endian), as Entra serialises ids. */
function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.from([b[3] ?? 0, b[2] ?? 0, b[1] ?? 0, b[0] ?? 0, b[5] ?? 0, b[4] ?? 0, b[7] ?? 0, b[6] ?? 0, ...b.subarray(8)]);
}

/**
 * Directory role assignment ids as Entra makes them: base64url of the role template id and the principal id, then `-1`
 * (e.g. `lAPpYvVpN0KRkAEhdxReEB3M8vwqwHlAgfP2rGjRbUc-1` for a Global Administrator).
 */
export function roleAssignmentId(roleTemplateId: string, principalId: string): string {
  return `${Buffer.concat([guidBytes(roleTemplateId), guidBytes(principalId)]).toString('base64url')}-1`;
}

const ROLE_DESCRIPTIONS: Record<string, string> = {
  [DIRECTORY_ROLES.globalAdministrator.templateId]: 'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.',
  [DIRECTORY_ROLES.exchangeAdministrator.templateId]: 'Can manage all aspects of the Exchange product.',
  [DIRECTORY_ROLES.applicationAdministrator.templateId]: 'Can create and manage all aspects of app registrations and enterprise apps.',
  [DIRECTORY_ROLES.privilegedRoleAdministrator.templateId]: 'Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.',
  [DIRECTORY_ROLES.securityAdministrator.templateId]: 'Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.',
  [DIRECTORY_ROLES.userAdministrator.templateId]: 'Can manage all aspects of users and groups, including resetting passwords for limited admins.',
  [DIRECTORY_ROLES.helpdeskAdministrator.templateId]: 'Can reset passwords for non-administrators and Helpdesk Administrators.',
  [DIRECTORY_ROLES.reportsReader.templateId]: 'Can read sign-in and audit reports.',
  [DIRECTORY_ROLES.globalReader.templateId]: 'Can read everything that a Global Administrator can, but not update anything.',
};

export function roleDisplayName(templateId: string): string {
  return Object.values(DIRECTORY_ROLES).find((r) => r.templateId === templateId)?.displayName ?? templateId;
}

/** One activated directoryRole object per role template that has members (Global Administrator always). */
export function buildDirectoryRoles(prng: Prng, assignments: readonly DirectoryRoleAssignment[]): GraphDirectoryRole[] {
  const templates = [...new Set([DIRECTORY_ROLES.globalAdministrator.templateId as string, ...assignments.map((a) => a.roleDefinitionId)])].sort();
  return templates.map((templateId) => ({
    id: prng.guid(),
    deletedDateTime: null,
    description: ROLE_DESCRIPTIONS[templateId] ?? roleDisplayName(templateId),
    displayName: roleDisplayName(templateId),
    roleTemplateId: templateId,
  }));
}

const STRONG_METHODS: readonly (readonly string[])[] = [
  ['microsoftAuthenticatorPush', 'softwareOneTimePasscode'],
  ['microsoftAuthenticatorPush'],
  ['mobilePhone'],
  ['microsoftAuthenticatorPush', 'mobilePhone', 'email'],
  ['windowsHelloForBusiness', 'microsoftAuthenticatorPush'],
  ['fido2', 'microsoftAuthenticatorPush'],
];

/**
 * MFA registration per user: the compromised admins have none (that is how the stuffing succeeded single-factor),
 * every other admin has; about one ordinary user in five has not registered yet.
 */
export function buildRegistrationDetails(
  users: readonly GraphUser[], adminIds: ReadonlySet<string>, withoutMfa: ReadonlySet<string>, at: { scenario: string; seed: number; refMs: number },
): GraphUserRegistrationDetails[] {
  const prng = createPrng(`peregrine-sim/${at.scenario}/${at.seed}/registration`);
  return users.map((user) => {
    // A fixed number of draws per user keeps user i's record the same whatever the user count.
    const roll = prng.next();
    const methodsRoll = prng.pick(STRONG_METHODS);
    const ssprRoll = prng.next();
    const updatedMs = at.refMs - prng.int(1, 400) * DAY;
    const isAdmin = adminIds.has(user.id);
    const registered = withoutMfa.has(user.id) ? false : isAdmin ? true : roll >= 0.2;
    const methods = registered ? [...methodsRoll] : ssprRoll < 0.3 ? ['email'] : [];
    const passwordless = methods.includes('windowsHelloForBusiness') || methods.includes('fido2');
    return {
      id: user.id,
      userPrincipalName: user.userPrincipalName,
      userDisplayName: user.displayName,
      userType: user.userType === 'Guest' ? 'guest' : 'member',
      isAdmin,
      isSsprRegistered: methods.length > 0,
      isSsprEnabled: true,
      isSsprCapable: methods.length > 0,
      isMfaRegistered: registered,
      isMfaCapable: registered,
      isPasswordlessCapable: passwordless,
      isSystemPreferredAuthenticationMethodEnabled: registered,
      systemPreferredAuthenticationMethods: registered ? [methods.includes('microsoftAuthenticatorPush') ? 'push' : 'sms'] : [],
      userPreferredMethodForSecondaryAuthentication: registered ? (methods.includes('microsoftAuthenticatorPush') ? 'push' : 'sms') : 'none',
      methodsRegistered: methods,
      lastUpdatedDateTime: iso(updatedMs),
    };
  });
}

function policy(prng: Prng, refMs: number, createdMs: number, p: {
  displayName: string; state: GraphConditionalAccessPolicy['state']; templateId?: string;
  users?: Partial<GraphConditionalAccessPolicy['conditions']['users']>;
  applications?: string[]; clientAppTypes?: string[]; locations?: GraphConditionalAccessPolicy['conditions']['locations'];
  grant: string[] | null; sessionControls?: Record<string, unknown>;
}): GraphConditionalAccessPolicy {
  const modified = prng.chance(0.6) ? iso(createdMs + prng.int(1, Math.max(1, Math.floor((refMs - createdMs) / DAY) - 1)) * DAY) : null;
  return {
    id: prng.guid(),
    templateId: p.templateId ?? null,
    displayName: p.displayName,
    createdDateTime: iso(createdMs),
    modifiedDateTime: modified,
    state: p.state,
    sessionControls: p.sessionControls ?? null,
    conditions: {
      userRiskLevels: [],
      signInRiskLevels: [],
      clientAppTypes: p.clientAppTypes ?? ['all'],
      servicePrincipalRiskLevels: [],
      platforms: null,
      locations: p.locations ?? null,
      devices: null,
      clientApplications: null,
      applications: { includeApplications: p.applications ?? ['All'], excludeApplications: [], includeUserActions: [], includeAuthenticationContextClassReferences: [] },
      users: {
        includeUsers: [], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [],
        includeGuestsOrExternalUsers: null, excludeGuestsOrExternalUsers: null, ...p.users,
      },
    },
    grantControls: p.grant ? { operator: 'OR', builtInControls: p.grant, customAuthenticationFactors: [], termsOfUse: [], authenticationStrength: null } : null,
  };
}

/**
 * What a tenant that never finished its MFA rollout has: legacy auth blocked, a country block, MFA for a pilot group,
 * MFA for Azure management in report-only, and the "MFA for admins" template created but left disabled.
 */
export function buildConditionalAccessPolicies(prng: Prng, refMs: number, tenantCreatedMs: number): GraphConditionalAccessPolicy[] {
  const when = () => tenantCreatedMs + prng.int(200, Math.max(201, Math.floor((refMs - tenantCreatedMs) / DAY) - 60)) * DAY;
  const breakGlass = prng.guid();
  const trustedCountries = prng.guid();
  const pilotGroup = prng.guid();
  const adminRoles = [
    DIRECTORY_ROLES.globalAdministrator.templateId, DIRECTORY_ROLES.exchangeAdministrator.templateId,
    DIRECTORY_ROLES.applicationAdministrator.templateId, DIRECTORY_ROLES.privilegedRoleAdministrator.templateId,
    DIRECTORY_ROLES.securityAdministrator.templateId, DIRECTORY_ROLES.userAdministrator.templateId,
  ];
  return [
    policy(prng, refMs, when(), {
      displayName: 'Block legacy authentication', state: 'enabled', users: { includeUsers: ['All'], excludeUsers: [breakGlass] },
      clientAppTypes: ['exchangeActiveSync', 'other'], grant: ['block'],
    }),
    policy(prng, refMs, when(), {
      displayName: 'Block sign-ins from outside allowed countries', state: 'enabled', users: { includeUsers: ['All'], excludeUsers: [breakGlass] },
      locations: { includeLocations: ['All'], excludeLocations: [trustedCountries] }, grant: ['block'],
    }),
    policy(prng, refMs, when(), {
      displayName: 'MFA pilot - IT department', state: 'enabled', users: { includeGroups: [pilotGroup] }, grant: ['mfa'],
    }),
    policy(prng, refMs, when(), {
      displayName: 'Require MFA for Azure management', state: 'enabledForReportingButNotEnforced', users: { includeUsers: ['All'] },
      applications: [AZURE_MANAGEMENT_APP_ID], grant: ['mfa'],
    }),
    policy(prng, refMs, when(), {
      displayName: 'Require multifactor authentication for admins', templateId: MFA_FOR_ADMINS_TEMPLATE_ID, state: 'disabled',
      users: { includeRoles: adminRoles, excludeUsers: [breakGlass] }, grant: ['mfa'],
    }),
    policy(prng, refMs, when(), {
      displayName: 'Sign-in frequency on unmanaged devices', state: 'enabled', users: { includeUsers: ['All'] }, grant: null,
      sessionControls: { signInFrequency: { value: 12, type: 'hours', authenticationType: 'primaryAndSecondaryAuthentication', frequencyInterval: 'timeBased', isEnabled: true } },
    }),
  ];
}

/** True when an enforced policy requires MFA of every admin role holder for all apps (what ATTACK.md's posture finding looks for). */
export function requiresMfaForAdmins(p: GraphConditionalAccessPolicy): boolean {
  if (p.state !== 'enabled' || !p.grantControls?.builtInControls.includes('mfa')) return false;
  if (!p.conditions.applications.includeApplications.includes('All')) return false;
  const users = p.conditions.users;
  return users.includeUsers.includes('All') || users.includeRoles.includes(DIRECTORY_ROLES.globalAdministrator.templateId);
}
