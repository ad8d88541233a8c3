// Test tooling (Node): builds a simulated Entra ID tenant (the ATTACK.md intrusion, decoys and benign noise) from a scenario and a seed, deterministically.
import { createPrng, type Prng } from './prng';
import {
  APP_CATALOGUE, ARCHIVE_SERVICES, BACKUP_PRODUCTS, BULK_ADMIN_ROLES, BULK_NAMES, SCENARIOS, VENDOR_CATALOGUE,
  type AppTemplate, type ScenarioDefinition, type ScenarioName,
} from './scenario-data';
import type {
  AppRole, DirectoryRoleAssignment, GraphApplication, GraphAppRoleAssignment, GraphConditionalAccessPolicy, GraphDirectoryRole,
  GraphOAuth2PermissionGrant, GraphOrganization, GraphSecurityDefaultsPolicy, GraphServicePrincipal, GraphUser,
  GraphUserRegistrationDetails, InformationalUrl, KeyCredential, PasswordCredential,
  PermissionScope, RequiredResourceAccess, SignInAudience, VerifiedPublisher,
} from './graph-types';
import {
  buildConditionalAccessPolicies, buildDirectoryRoles, buildRegistrationDetails, requiresMfaForAdmins, roleAssignmentId, SECURITY_DEFAULTS_POLICY_ID,
} from './directory/policies';
import {
  DIRECTORY_ROLES, EXCHANGE_APP_ID, EXCHANGE_MANAGE_AS_APP_ROLE_ID, EXCHANGE_PERMISSIONS, FIRST_PARTY_APPS,
  GRAPH_APP_ID, GRAPH_PERMISSIONS, EXCHANGE_POWERSHELL_CLIENT_ID, MICROSOFT_SERVICES_TENANT_ID, AZURE_AD_POWERSHELL_CLIENT_ID,
  exchangeRoleId, graphRoleId, graphScopeId, type PermissionDefinition,
} from './wellknown';

import { engagementCertificate, type EngagementCertificate } from './engagement-cert';
import type { LogsGroundTruth } from './logs/types';
import type { ExchangeGroundTruth } from './exchange/state';

export type { ScenarioName } from './scenario-data';
export { SCENARIO_NAMES } from './scenario-data';

const DAY = 24 * 60 * 60 * 1000;
const MINUTE = 60 * 1000;

/** Roles that make an account "privileged" for the attack (can register apps, consent, assign roles or run Exchange). */
const PRIVILEGED_ROLES = new Set<string>([
  DIRECTORY_ROLES.globalAdministrator.templateId, DIRECTORY_ROLES.exchangeAdministrator.templateId,
  DIRECTORY_ROLES.applicationAdministrator.templateId, DIRECTORY_ROLES.privilegedRoleAdministrator.templateId,
]);

/** Application permissions the consultant's engagement app was granted for read-only collection. */
export const ENGAGEMENT_GRAPH_ROLES = [
  'Application.Read.All', 'AuditLog.Read.All', 'AuditLogsQuery.Read.All', 'Directory.Read.All', 'Organization.Read.All',
  'Policy.Read.All', 'RoleManagement.Read.Directory', 'User.Read.All',
] as const;

export interface EngagementApp {
  displayName: string;
  applicationObjectId: string;
  appId: string;
  servicePrincipalId: string;
  /** Simulator-only: lets client-credential tests and demos authenticate. Never a real secret. */
  clientSecret: string;
  /** Simulator-only: the certificate in the app's keyCredentials, with its private key (app-only sign-in with a certificate). */
  certificate: EngagementCertificate & { keyId: string };
}

export interface CompromisedAdmin {
  userId: string;
  userPrincipalName: string;
  /** Directory role template ids the account holds. */
  roleTemplateIds: string[];
  /** The stuffing's single-factor success for this account (sign-in error 0, authenticationRequirement singleFactorAuthentication). */
  successDateTime: string;
  /** MFA registered but not enforced (security defaults off, no CA policy): the password alone still signed in. */
  mfaRegistered: boolean;
}

/** Every account the run took: the privileged ones (`compromisedAdmins`) and ordinary users it also got into. */
export interface CompromisedAccount {
  userId: string;
  userPrincipalName: string;
  privileged: boolean;
  successDateTime: string;
}

/** A further malicious app a taken admin registered (copycats keep a spare): consented, made an administrator, given a credential. */
export interface OtherMaliciousApp {
  applicationId: string;
  appId: string;
  servicePrincipalId: string;
  displayName: string;
  createdDateTime: string;
  registeredByUserId: string;
  steps: AttackFacts['steps'];
  manageAsAppAssignmentId: string;
}

/** One create/remove cycle of the attacker's Exchange mail-flow setup (ATTACK.md step 3). */
export interface ExchangeCycle {
  /** `Ran_<5 letters>`: each cycle's connector gets new letters. */
  connectorName: string;
  createdDateTime: string;
  /** Spam run while the connector and rules are in place (outbound spike). */
  spamStartDateTime: string;
  spamEndDateTime: string;
  /** Null for the last cycle when the setup is still in place at the reference time. */
  removedDateTime: string | null;
  /** Per spam run (outbound spike volume). */
  spamMessageCount: number;
}

export interface AttackFacts {
  maliciousApplicationId: string;
  maliciousAppId: string;
  maliciousServicePrincipalId: string;
  maliciousDisplayName: string;
  createdDateTime: string;
  /** The admin whose session registered the app (the first of `compromisedAdmins`). */
  compromisedUserId: string;
  compromisedUserPrincipalName: string;
  /** The stuffing IP (one address, many accounts). */
  attackerIp: string;
  /** The privileged accounts the stuffing broke into (two in the canonical shape, one or two otherwise); the first registered the app. */
  compromisedAdmins: CompromisedAdmin[];
  /** Every account taken, privileged or not. */
  compromisedAccounts: CompromisedAccount[];
  /** The shape this tenant's attack was drawn with. */
  shape: AttackShape;
  /** Further malicious apps (none in the canonical shape). */
  otherApps: OtherMaliciousApp[];
  /** Credential stuffing (or a password spray) against Azure AD PowerShell: [start, end) of the failures, then the successes. */
  stuffing: {
    method: 'stuffing' | 'spray';
    /** A spray's rounds: every target is tried once per round, minutes apart (empty for stuffing). */
    rounds: string[];
    appId: string;
    startDateTime: string;
    endDateTime: string;
    /** Accounts tried (includes the compromised admins); the others only fail (50126, 50053, 50076…). */
    targetUserIds: string[];
  };
  /** When each step of ATTACK.md step 2 happened (directory audit timestamps). */
  steps: {
    addApplication: string;
    addServicePrincipal: string;
    consentToApplication: string;
    addAppRoleAssignment: string;
    addMemberToRole: { roleTemplateId: string; roleAssignmentId: string; dateTime: string }[];
    /** "Update application – Certificates and secrets management", one per credential. */
    addCredentials: { keyId: string; type: 'Password' | 'AsymmetricX509Cert'; dateTime: string }[];
  };
  /** The Exchange.ManageAsApp appRoleAssignment id on the malicious service principal. */
  manageAsAppAssignmentId: string;
  exchange: {
    /** The attacker's relay addresses the connector accepts (SenderIPAddresses); not the stuffing IP. */
    attackerMailIps: string[];
    /** Test01 … Test012 as the attacker's script names them (other names and counts in a varied shape). */
    transportRuleNames: string[];
    /** The headers the rules remove: `-RemoveHeader` takes one header, so rule i removes header i. */
    removedHeaders: string[];
    cycles: ExchangeCycle[];
  };
  /** An admin who failed their password twice from their usual IP: noise, not an attack. */
  benignFailingAdmin: { userId: string; userPrincipalName: string; ip: string; dateTime: string };
  // Flat names LOGS' timeline reads (test/sim/logs/timeline.ts); the same facts as above.
  compromisedUsers: { id: string; userPrincipalName: string }[];
  stuffingStartDateTime: string;
  stuffingEndDateTime: string;
  attackerMailIps: string[];
  /** The attacker's connector name, the same in every cycle. */
  connectorName: string;
  ruleNames: string[];
  exchangeCycles: { createdDateTime: string; removedDateTime: string | null }[];
  decoyTypoUserId: string;
  /**
   * The script's first registration of the app, deleted minutes later and registered again under the same name (the
   * campaign deleted and re-created its artefacts): in directory deleted items with its service principal.
   */
  deletedFirstRegistration?: { applicationId: string; appId: string; servicePrincipalId: string; createdDateTime: string; deletedDateTime: string };
}

/** Delegated public client with write scopes consented, for remediation tests (the read-only default client gets 403 on writes). */
export interface RemediationClient {
  displayName: string;
  appId: string;
  servicePrincipalId: string;
  scopes: string[];
}

export interface DecoyFacts {
  kind: 'backup-app-registration' | 'vendor-archive-service-principal' | 'admin-deleted-app';
  displayName: string;
  /** Null when the application object lives in the vendor's tenant. */
  applicationObjectId: string | null;
  appId: string;
  servicePrincipalId: string;
  appOwnerOrganizationId: string;
  createdDateTime: string;
  consentedByUserPrincipalName: string | null;
}

export interface Tenant {
  scenario: ScenarioName;
  seed: number;
  tenantId: string;
  domain: string;
  label: string;
  displayName: string;
  referenceTime: string;
  organization: GraphOrganization;
  users: GraphUser[];
  applications: GraphApplication[];
  servicePrincipals: GraphServicePrincipal[];
  appRoleAssignments: GraphAppRoleAssignment[];
  oauth2PermissionGrants: GraphOAuth2PermissionGrant[];
  directoryRoleAssignments: DirectoryRoleAssignment[];
  /** Activated directory roles (one object per role template in use). */
  directoryRoles: GraphDirectoryRole[];
  userRegistrationDetails: GraphUserRegistrationDetails[];
  conditionalAccessPolicies: GraphConditionalAccessPolicy[];
  securityDefaults: GraphSecurityDefaultsPolicy;
  /** Soft-deleted applications (`/directory/deletedItems/microsoft.graph.application`); empty until a write deletes one. */
  deletedApplications: GraphApplication[];
  /** Soft-deleted service principals (`/directory/deletedItems/microsoft.graph.servicePrincipal`). */
  deletedServicePrincipals: GraphServicePrincipal[];
  /** Owners (user object ids) of applications and service principals, by the object's id; none are generated, tests add them. */
  owners?: Record<string, string[]>;
  engagementApp: EngagementApp;
  remediationClient: RemediationClient;
  attack: AttackFacts;
  decoys: DecoyFacts[];
}

export interface GroundTruth {
  format: 'peregrine-sim-ground-truth/1';
  scenario: ScenarioName;
  seed: number;
  tenantId: string;
  tenantDomain: string;
  tenantLabel: string;
  referenceTime: string;
  maliciousApp: {
    applicationObjectId: string;
    appId: string;
    displayName: string;
    servicePrincipalId: string;
    createdDateTime: string;
    credentialKeyIds: string[];
    directoryRoles: string[];
  };
  compromisedUser: { id: string; userPrincipalName: string };
  attackerIp: string;
  /**
   * Every malicious directory object id (applications, service principals, Exchange.ManageAsApp assignments, role assignments,
   * credential key ids) of every malicious app; `applicationObjectId` and `servicePrincipalId` are the first app's.
   */
  maliciousObjects: {
    applicationObjectId: string;
    servicePrincipalId: string;
    applicationObjectIds: string[];
    servicePrincipalIds: string[];
    appRoleAssignmentIds: string[];
    roleAssignmentIds: string[];
    credentialKeyIds: string[];
  };
  /** Every malicious app: the first (`maliciousApp`) and any further ones. */
  maliciousApps: { applicationObjectId: string; appId: string; displayName: string; servicePrincipalId: string }[];
  /** Directory deleted items (applications and service principals, restorable 30 days): every id, the attack's, the decoy's. */
  deletedObjects: {
    applicationIds: string[];
    servicePrincipalIds: string[];
    malicious: { applicationIds: string[]; servicePrincipalIds: string[] };
    decoys: { applicationIds: string[]; servicePrincipalIds: string[] };
  };
  compromisedAdmins: { id: string; userPrincipalName: string; isMfaRegistered: boolean }[];
  /** Every account the stuffing or spray took, privileged or not. */
  compromisedAccounts: { id: string; userPrincipalName: string; privileged: boolean; isMfaRegistered: boolean }[];
  /** Admins (any directory role) without MFA registered: the compromised ones that have none (MFA registered but not enforced does not count). */
  adminsWithoutMfa: string[];
  posture: { securityDefaultsEnabled: boolean; conditionalAccessPolicies: number; policiesRequiringMfaForAdmins: number };
  attack: AttackFacts;
  decoys: DecoyFacts[];
  engagementApp: Omit<EngagementApp, 'clientSecret' | 'certificate'>;
  remediationClient: RemediationClient;
  counts: {
    applications: number;
    servicePrincipals: number;
    users: number;
    admins: number;
    usersWithoutMfa: number;
    appRoleAssignments: number;
    oauth2PermissionGrants: number;
    directoryRoles: number;
    roleAssignments: number;
    conditionalAccessPolicies: number;
  };
  /** Added by the log store (LOGS). */
  logs?: LogsGroundTruth;
  /** Added by the Exchange state (EXO). */
  exchange?: ExchangeGroundTruth;
}

export interface BuildOptions {
  scenario?: ScenarioName;
  seed?: number;
  /** Users in the tenant, the named people included (default 200, at most 100,000). */
  users?: number;
  /** The attack's shape: canonical for seeds 1–12, drawn from the seed otherwise (default); either can be forced. */
  attackShape?: AttackShapeMode;
  /** The first malicious app's display name, e.g. an impostor named after the engagement's own app. */
  maliciousAppName?: string;
}

export const DEFAULT_USERS = 200;
export const MAX_USERS = 100_000;

/** Scopes consented tenant-wide to the remediation client (writes Peregrine performs, plus what it reads to verify). */
export const REMEDIATION_SCOPES = [
  'openid', 'profile', 'offline_access', 'User.Read', 'Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All',
  'DelegatedPermissionGrant.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'User.RevokeSessions.All',
  'User-PasswordProfile.ReadWrite.All', 'Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess', 'Policy.ReadWrite.SecurityDefaults',
  'Policy.ReadWrite.AuthenticationMethod',
  'Directory.Read.All', 'AuditLog.Read.All', 'User.Read.All',
] as const;

export const TRANSPORT_RULE_NAMES = Array.from({ length: 12 }, (_, i) => `Test0${i + 1}`);

export const REMOVED_HEADERS = [
  'X-MS-Exchange-ExternalOriginalInternetSender', 'X-MS-Exchange-SkipListedInternetSender', 'Received-SPF', 'Received',
  'ARC-Authentication-Results', 'ARC-Message-Signature', 'DKIM-Signature', 'ARC-Seal', 'X-MS-Exchange-SenderADCheck',
  'X-MS-Exchange-Authentication-Results', 'Authentication-Results', 'X-MS-Exchange-AntiSpam-MessageData-ChunkCount',
];

// ---- the attack's shape ----------------------------------------------------

/**
 * Seeds that keep the campaign's canonical shape (ATTACK.md as Microsoft described it: two taken admins without MFA,
 * stuffing, `<label>_<3 letters>`, `Ran_<5 letters>`, Test01…Test012 removing the twelve listed headers, one app,
 * two or three cycles). The demo and the docs use seeds 1 and 7; the simulator's own tests and the integration
 * tests pin literal names on seeds up to 12. Every other seed draws its shape (`drawAttackShape`).
 */
export const CANONICAL_SEED_MAX = 12;

export type AttackShapeMode = 'canonical' | 'varied';

/** What the campaign and its copycats vary from tenant to tenant (drawn from the seed unless canonical). */
export interface AttackShape {
  mode: AttackShapeMode;
  /** Stuffing replays a leaked list (several tries per account); a spray tries one or two common passwords per account, in rounds. */
  method: 'stuffing' | 'spray';
  /** Privileged accounts taken (1–2; the first registers the app). */
  takenAdmins: number;
  /** Ordinary (non-admin) accounts the same run also took (0–2). */
  takenUsers: number;
  /** Per taken admin: MFA registered but not enforced (security defaults off, no CA policy), so the password alone still signed in. */
  mfaRegistered: boolean[];
  /** The app's name: the tenant label, a separator, random letters. */
  appName: { separator: string; letters: number; capitalised: boolean };
  /** Transport rule names (1–12), one protected header each. */
  transportRuleNames: string[];
  removedHeaders: string[];
  /** The connector's name, or null for the campaign's `Ran_<5 letters>`. */
  connectorStyle: 'ran' | 'inbound' | 'relay' | 'letters' | 'partner';
  /** A second malicious app registered by a taken admin. */
  secondApp: boolean;
  /** Create/remove cycles of the Exchange setup (0–3); null keeps the canonical two or three. */
  cycles: number | null;
}

/**
 * Protected headers copycats strip besides the twelve of ATTACK.md: Microsoft's anti-spam and authentication verdicts
 * ("Anti-spam message headers", https://learn.microsoft.com/defender-office-365/message-headers-eop-mdo) and origin headers.
 */
export const OTHER_PROTECTED_HEADERS = [
  'X-Forefront-Antispam-Report', 'X-Microsoft-Antispam', 'X-Microsoft-Antispam-Mailbox-Delivery', 'X-MS-Exchange-Organization-AuthAs',
  'X-MS-Exchange-Organization-AuthSource', 'X-MS-Exchange-CrossTenant-AuthAs', 'X-Originating-IP', 'Return-Path',
];

const RULE_NAME_STYLES: readonly ((prng: Prng, i: number) => string)[] = [
  (_p, i) => `Rule${i + 1}`,
  (_p, i) => `Policy ${String(i + 1).padStart(2, '0')}`,
  (p) => p.letters(p.int(5, 9)),
  (_p, i) => `Mail flow ${i + 1}`,
  (_p, i) => `Compliance-${i + 1}`,
  (p, i) => `${p.letters(3).toUpperCase()}${i + 1}`,
];

export const CANONICAL_SHAPE: AttackShape = {
  mode: 'canonical', method: 'stuffing', takenAdmins: 2, takenUsers: 0, mfaRegistered: [false, false],
  appName: { separator: '_', letters: 3, capitalised: false }, transportRuleNames: TRANSPORT_RULE_NAMES, removedHeaders: REMOVED_HEADERS,
  connectorStyle: 'ran', secondApp: false, cycles: null,
};

/** The shape for a scenario and seed: canonical for the low seeds (or when asked), else drawn from its own stream. */
export function drawAttackShape(scenario: ScenarioName, seed: number, mode?: AttackShapeMode): AttackShape {
  const chosen = mode ?? (seed >= 1 && seed <= CANONICAL_SEED_MAX ? 'canonical' : 'varied');
  if (chosen === 'canonical') return CANONICAL_SHAPE;
  const p = createPrng(`peregrine-sim/${scenario}/${seed}/attack-shape`);
  const takenAdmins = p.int(1, 2);
  const ruleCount = p.int(1, 12);
  const style = p.pick(RULE_NAME_STYLES);
  const names: string[] = [];
  for (let i = 0; names.length < ruleCount; i++) {
    const name = style(p, i);
    if (!names.includes(name) && !/^Test\d+$/i.test(name)) names.push(name);
  }
  return {
    mode: 'varied',
    method: p.chance(0.45) ? 'spray' : 'stuffing',
    takenAdmins,
    takenUsers: p.int(0, 2),
    mfaRegistered: Array.from({ length: takenAdmins }, () => p.chance(0.35)),
    appName: { separator: p.pick(['_', '-', '.', '', '_']), letters: p.int(2, 6), capitalised: p.chance(0.25) },
    transportRuleNames: names,
    removedHeaders: p.shuffle([...REMOVED_HEADERS, ...OTHER_PROTECTED_HEADERS]).slice(0, ruleCount),
    connectorStyle: p.pick(['inbound', 'relay', 'letters', 'partner', 'ran'] as const),
    secondApp: p.chance(0.5),
    cycles: p.int(0, 3),
  };
}

/** Names copycats gave a spare app: bland service names, nothing like the tenant label. */
const SECOND_APP_NAMES = ['Mail Sync Service', 'O365 Mail Reporting', 'EXO Automation', 'Outlook Connector', 'MailboxSync', 'Exchange Management Tool', 'M365 Security Scanner', 'Azure Mail Relay'];

// ---- small helpers -------------------------------------------------------

/** The directory audit steps "Update application – Certificates and secrets management", one per credential. */
function credentialSteps(passwords: PasswordCredential[], keys: KeyCredential[]): AttackFacts['steps']['addCredentials'] {
  return [
    ...passwords.map((c) => ({ keyId: c.keyId, type: 'Password' as const, dateTime: c.startDateTime })),
    ...keys.map((c) => ({ keyId: c.keyId, type: 'AsymmetricX509Cert' as const, dateTime: c.startDateTime })),
  ];
}

/** Graph writes directory timestamps to the second with a Z suffix. */
function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function between(prng: Prng, fromMs: number, toMs: number): number {
  return fromMs + Math.floor(prng.next() * Math.max(0, toMs - fromMs));
}

function slug(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

const SECRET_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_TAIL_ALPHABET = SECRET_ALPHABET + '_-.~';

/** Entra client secrets look like `abc8Q~` followed by 34 characters; Graph keeps the first three as `hint`. */
function clientSecretText(prng: Prng): string {
  return `${prng.chars(3, SECRET_ALPHABET)}8Q~${prng.chars(34, SECRET_TAIL_ALPHABET)}`;
}

/** Credential lifetimes are whole calendar months, as the portal and PowerShell set them. */
function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

function passwordCredential(prng: Prng, start: number, months: number, displayName: string | null, secret?: string): PasswordCredential {
  const text = secret ?? clientSecretText(prng);
  return {
    customKeyIdentifier: null,
    displayName,
    endDateTime: iso(addMonths(start, months)),
    hint: text.slice(0, 3),
    keyId: prng.guid(),
    secretText: null,
    startDateTime: iso(start),
  };
}

function certificateCredential(prng: Prng, start: number, months: number, subject: string): KeyCredential {
  return {
    customKeyIdentifier: prng.hex(40).toUpperCase(),
    displayName: `CN=${subject}`,
    endDateTime: iso(addMonths(start, months)),
    key: null,
    keyId: prng.guid(),
    startDateTime: iso(start),
    type: 'AsymmetricX509Cert',
    usage: 'Verify',
  };
}

const NO_INFO: InformationalUrl = { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null };
const NO_PUBLISHER: VerifiedPublisher = { displayName: null, verifiedPublisherId: null, addedDateTime: null };

function appRolesFrom(perms: readonly PermissionDefinition[]): AppRole[] {
  return perms.flatMap((p) => (p.roleId ? [{
    allowedMemberTypes: ['Application'], description: p.description, displayName: p.displayName,
    id: p.roleId, isEnabled: true, origin: 'Application' as const, value: p.value,
  }] : []));
}

function scopesFrom(perms: readonly PermissionDefinition[]): PermissionScope[] {
  return perms.flatMap((p) => (p.scopeId ? [{
    adminConsentDescription: p.description, adminConsentDisplayName: p.displayName, id: p.scopeId, isEnabled: true,
    type: p.value.endsWith('.All') || p.value.startsWith('Exchange.') ? 'Admin' as const : 'User' as const,
    userConsentDescription: p.description, userConsentDisplayName: p.displayName, value: p.value,
  }] : []));
}

interface ApplicationInput {
  id: string;
  appId: string;
  displayName: string;
  createdMs: number;
  publisherDomain: string;
  signInAudience: SignInAudience;
  requiredResourceAccess: RequiredResourceAccess[];
  identifierUris?: string[];
  webRedirectUris?: string[];
  publicClientRedirectUris?: string[];
  passwordCredentials?: PasswordCredential[];
  keyCredentials?: KeyCredential[];
  oauth2PermissionScopes?: PermissionScope[];
  appRoles?: AppRole[];
  notes?: string | null;
  groupMembershipClaims?: string | null;
  homePageUrl?: string | null;
}

// Entra turned the service principal lock on by default for new registrations in 2024.
const LOCK_DEFAULT_FROM = Date.parse('2024-03-01T00:00:00Z');

function application(input: ApplicationInput): GraphApplication {
  const webUris = input.webRedirectUris ?? [];
  const publicUris = input.publicClientRedirectUris ?? [];
  return {
    id: input.id,
    deletedDateTime: null,
    appId: input.appId,
    applicationTemplateId: null,
    disabledByMicrosoftStatus: null,
    createdDateTime: iso(input.createdMs),
    displayName: input.displayName,
    description: null,
    groupMembershipClaims: input.groupMembershipClaims ?? null,
    identifierUris: input.identifierUris ?? [],
    isDeviceOnlyAuthSupported: null,
    isFallbackPublicClient: publicUris.length > 0 ? true : null,
    nativeAuthenticationApisEnabled: null,
    notes: input.notes ?? null,
    publisherDomain: input.publisherDomain,
    serviceManagementReference: null,
    signInAudience: input.signInAudience,
    tags: [],
    tokenEncryptionKeyId: null,
    samlMetadataUrl: null,
    defaultRedirectUri: null,
    certification: null,
    optionalClaims: null,
    requestSignatureVerification: null,
    addIns: [],
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      requestedAccessTokenVersion: input.oauth2PermissionScopes?.length ? 2 : null,
      oauth2PermissionScopes: input.oauth2PermissionScopes ?? [],
      preAuthorizedApplications: [],
    },
    appRoles: input.appRoles ?? [],
    info: NO_INFO,
    keyCredentials: input.keyCredentials ?? [],
    parentalControlSettings: { countriesBlockedForMinors: [], legalAgeGroupRule: 'Allow' },
    passwordCredentials: input.passwordCredentials ?? [],
    publicClient: { redirectUris: publicUris },
    requiredResourceAccess: input.requiredResourceAccess,
    verifiedPublisher: NO_PUBLISHER,
    web: {
      homePageUrl: input.homePageUrl ?? null,
      logoutUrl: null,
      redirectUris: webUris,
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
      redirectUriSettings: webUris.map((uri) => ({ uri, index: null })),
    },
    servicePrincipalLockConfiguration: input.createdMs >= LOCK_DEFAULT_FROM
      ? { isEnabled: true, allProperties: true, credentialsWithUsageVerify: true, credentialsWithUsageSign: true, identifierUris: false, tokenEncryptionKeyId: true }
      : null,
    spa: { redirectUris: [] },
  };
}

interface ServicePrincipalInput {
  id: string;
  appId: string;
  displayName: string;
  createdMs: number;
  appOwnerOrganizationId: string;
  signInAudience: SignInAudience;
  servicePrincipalNames: string[];
  replyUrls?: string[];
  homepage?: string | null;
  tags?: string[];
  appRoles?: AppRole[];
  oauth2PermissionScopes?: PermissionScope[];
  info?: InformationalUrl;
  verifiedPublisher?: VerifiedPublisher;
  accountEnabled?: boolean;
}

function servicePrincipal(input: ServicePrincipalInput): GraphServicePrincipal {
  return {
    id: input.id,
    deletedDateTime: null,
    accountEnabled: input.accountEnabled ?? true,
    alternativeNames: [],
    appDisplayName: input.displayName,
    appDescription: null,
    appId: input.appId,
    applicationTemplateId: null,
    appOwnerOrganizationId: input.appOwnerOrganizationId,
    appRoleAssignmentRequired: false,
    createdDateTime: iso(input.createdMs),
    description: null,
    disabledByMicrosoftStatus: null,
    displayName: input.displayName,
    homepage: input.homepage ?? null,
    loginUrl: null,
    logoutUrl: null,
    notes: null,
    notificationEmailAddresses: [],
    preferredSingleSignOnMode: null,
    preferredTokenSigningKeyThumbprint: null,
    replyUrls: input.replyUrls ?? [],
    servicePrincipalNames: input.servicePrincipalNames,
    servicePrincipalType: 'Application',
    signInAudience: input.signInAudience,
    tags: input.tags ?? [],
    tokenEncryptionKeyId: null,
    samlSingleSignOnSettings: null,
    addIns: [],
    appRoles: input.appRoles ?? [],
    info: input.info ?? NO_INFO,
    keyCredentials: [],
    oauth2PermissionScopes: input.oauth2PermissionScopes ?? [],
    passwordCredentials: [],
    resourceSpecificApplicationPermissions: [],
    verifiedPublisher: input.verifiedPublisher ?? NO_PUBLISHER,
  };
}

/** The service principal a tenant gets for its own app registration. */
function localServicePrincipal(app: GraphApplication, id: string, tenantId: string, createdMs: number, tags: string[]): GraphServicePrincipal {
  return servicePrincipal({
    id, appId: app.appId, displayName: app.displayName, createdMs, appOwnerOrganizationId: tenantId,
    signInAudience: app.signInAudience, servicePrincipalNames: [...app.identifierUris, app.appId],
    replyUrls: [...app.web.redirectUris, ...app.publicClient.redirectUris], homepage: app.web.homePageUrl,
    tags, appRoles: app.appRoles, oauth2PermissionScopes: app.api.oauth2PermissionScopes,
  });
}

// ---- the builder ---------------------------------------------------------

class TenantBuilder {
  readonly def: ScenarioDefinition;
  readonly refMs: number;
  readonly tenantId: string;
  readonly domain: string;
  readonly tenantCreatedMs: number;
  readonly users: GraphUser[] = [];
  readonly admins: { user: GraphUser; roles: string[] }[] = [];
  readonly applications: GraphApplication[] = [];
  readonly servicePrincipals: GraphServicePrincipal[] = [];
  readonly appRoleAssignments: GraphAppRoleAssignment[] = [];
  readonly oauth2PermissionGrants: GraphOAuth2PermissionGrant[] = [];
  readonly directoryRoleAssignments: DirectoryRoleAssignment[] = [];
  readonly decoys: DecoyFacts[] = [];
  readonly spByAppId = new Map<string, GraphServicePrincipal>();
  /** Set by buildTenant: the first malicious app's name instead of the tenant-label one. */
  maliciousAppName: string | null = null;

  constructor(readonly scenario: ScenarioName, readonly seed: number, readonly shape: AttackShape = CANONICAL_SHAPE) {
    this.def = SCENARIOS[scenario];
    this.refMs = Date.parse(this.def.referenceTime);
    const prng = this.stream('tenant');
    this.tenantId = prng.guid();
    this.domain = `${this.def.label}.onmicrosoft.com`;
    this.tenantCreatedMs = between(prng, Date.parse(this.def.tenantCreatedBetween[0]), Date.parse(this.def.tenantCreatedBetween[1]));
  }

  /** Each part of the tenant draws from its own stream so parts stay stable when another changes. */
  stream(part: string): Prng {
    return createPrng(`peregrine-sim/${this.scenario}/${this.seed}/${part}`);
  }

  get orgShortName(): string {
    return this.def.displayName.split(' ')[0] ?? this.def.displayName;
  }

  addServicePrincipal(sp: GraphServicePrincipal): GraphServicePrincipal {
    this.servicePrincipals.push(sp);
    this.spByAppId.set(sp.appId, sp);
    return sp;
  }

  resourceSp(appId: string): GraphServicePrincipal {
    const sp = this.spByAppId.get(appId);
    if (!sp) throw new Error(`resource service principal ${appId} missing`);
    return sp;
  }

  grantAppRole(prng: Prng, principal: GraphServicePrincipal, resourceAppId: string, appRoleId: string, atMs: number): void {
    const resource = this.resourceSp(resourceAppId);
    this.appRoleAssignments.push({
      // Real assignment ids are opaque base64url strings, not GUIDs.
      id: Buffer.from(prng.hex(48), 'hex').toString('base64url'),
      deletedDateTime: null,
      appRoleId,
      createdDateTime: iso(atMs),
      principalDisplayName: principal.displayName,
      principalId: principal.id,
      principalType: 'ServicePrincipal',
      resourceDisplayName: resource.displayName,
      resourceId: resource.id,
    });
  }

  grantDelegated(prng: Prng, client: GraphServicePrincipal, resourceAppId: string, scopes: readonly string[], principalId: string | null): void {
    const resource = this.resourceSp(resourceAppId);
    this.oauth2PermissionGrants.push({
      clientId: client.id,
      consentType: principalId ? 'Principal' : 'AllPrincipals',
      id: Buffer.from(prng.hex(64), 'hex').toString('base64url'),
      principalId,
      resourceId: resource.id,
      scope: scopes.join(' '),
    });
  }

  newUser(prng: Prng, alias: string, givenName: string, surname: string, jobTitle: string, createdMs: number, lang: string): GraphUser {
    const upn = `${alias}@${this.domain}`;
    const passwordMs = between(prng, createdMs, this.refMs - DAY);
    return {
      businessPhones: prng.chance(0.8) ? [`${this.def.phonePrefix}${prng.int(100, 199)}`] : [],
      displayName: `${givenName} ${surname}`,
      givenName,
      jobTitle,
      mail: upn,
      mobilePhone: prng.chance(0.4) ? `${this.def.phonePrefix}${prng.int(200, 299)}` : null,
      officeLocation: prng.pick(this.def.offices),
      preferredLanguage: lang,
      surname,
      userPrincipalName: upn,
      id: prng.guid(),
      accountEnabled: true,
      createdDateTime: iso(createdMs),
      userType: 'Member',
      lastPasswordChangeDateTime: iso(passwordMs),
      signInSessionsValidFromDateTime: iso(passwordMs),
      onPremisesSyncEnabled: null,
    };
  }

  addRoleAssignment(principalId: string, principalType: 'User' | 'ServicePrincipal', roleTemplateId: string, atMs: number): DirectoryRoleAssignment {
    const assignment: DirectoryRoleAssignment = {
      id: roleAssignmentId(roleTemplateId, principalId), principalId, principalType, roleDefinitionId: roleTemplateId, createdDateTime: iso(atMs),
    };
    this.directoryRoleAssignments.push(assignment);
    return assignment;
  }

  buildUsers(count: number): void {
    const prng = this.stream('users');
    const lang = this.def.preferredLanguage === 'nl' ? 'nl-NL' : 'en-US';
    const aliases = new Set<string>();
    for (const person of this.def.people) {
      const isFirstAdmin = this.users.length === 0;
      const createdMs = isFirstAdmin ? this.tenantCreatedMs : between(prng, this.tenantCreatedMs + 2 * DAY, this.refMs - 60 * DAY);
      const user = this.newUser(prng, person.alias, person.givenName, person.surname, person.jobTitle, createdMs, lang);
      aliases.add(person.alias.toLowerCase());
      this.users.push(user);
      if (person.roles.length > 0) {
        const roles: string[] = [];
        for (const role of person.roles) {
          const template = DIRECTORY_ROLES[role];
          roles.push(template.templateId);
          this.addRoleAssignment(user.id, 'User', template.templateId, between(prng, createdMs, this.refMs - 30 * DAY));
        }
        this.admins.push({ user, roles });
      }
    }
    // Users beyond the named people, from one stream of their own: user i depends only on users before it,
    // so any count shares its prefix with a larger one (and 100,000 build in a couple of seconds).
    const p = this.stream('users-bulk');
    const names = BULK_NAMES[this.scenario];
    const baseCounts = new Map<string, number>();
    for (let i = this.users.length; i < count; i++) {
      const givenName = p.pick(names.given);
      const surname = p.pick(names.surnames);
      const base = `${givenName}.${surname}`.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z.]/g, '').toLowerCase();
      // Counted per base name: probing n = 2, 3… would be quadratic at 100,000 users.
      const seen = baseCounts.get(base) ?? 0;
      let alias = seen === 0 ? base : `${base}${seen + 1}`;
      for (let n = seen + 2; aliases.has(alias); n++) alias = `${base}${n}`;
      baseCounts.set(base, seen + 1);
      aliases.add(alias);
      const createdMs = between(p, this.tenantCreatedMs + 2 * DAY, this.refMs - 2 * DAY);
      const user = this.newUser(p, alias, givenName, surname, p.pick(names.jobs), createdMs, lang);
      if (p.chance(0.01)) user.accountEnabled = false;
      this.users.push(user);
      // About one user in 150 holds a lesser admin role (helpdesk, user admin, reports reader…).
      if (p.chance(1 / 150)) {
        const role = DIRECTORY_ROLES[p.pick(BULK_ADMIN_ROLES)].templateId;
        this.addRoleAssignment(user.id, 'User', role, between(p, createdMs, this.refMs - 3 * DAY));
        this.admins.push({ user, roles: [role] });
      }
    }
  }

  buildFirstParty(): void {
    const prng = this.stream('first-party');
    for (const fp of FIRST_PARTY_APPS) {
      const perms = fp.appId === GRAPH_APP_ID ? GRAPH_PERMISSIONS : fp.appId === EXCHANGE_APP_ID ? EXCHANGE_PERMISSIONS : [];
      // Resource services exist from the tenant's first day; client tools appear when someone first uses them.
      const createdMs = fp.servicePrincipalNames.length > 1
        ? this.tenantCreatedMs + prng.int(0, 600) * 1000
        : between(prng, this.tenantCreatedMs, this.refMs - 90 * DAY);
      this.addServicePrincipal(servicePrincipal({
        id: prng.guid(), appId: fp.appId, displayName: fp.displayName, createdMs,
        appOwnerOrganizationId: MICROSOFT_SERVICES_TENANT_ID, signInAudience: 'AzureADMultipleOrgs',
        servicePrincipalNames: fp.servicePrincipalNames, appRoles: appRolesFrom(perms), oauth2PermissionScopes: scopesFrom(perms),
      }));
    }
    // Nobody has consented to anything for the Graph command-line client: the permissions Peregrine asks for are
    // consented at its first sign-in, on the sign-in page (test/sim/consent.ts), as in a tenant that never ran it.
    // Exchange Online PowerShell's client holds Exchange.Manage tenant-wide: the module signs in without a prompt.
    this.grantDelegated(prng, this.resourceSp(EXCHANGE_POWERSHELL_CLIENT_ID), EXCHANGE_APP_ID, ['Exchange.Manage'], null);
  }

  appRegistrationFromTemplate(prng: Prng, template: AppTemplate): void {
    const name = template.name.replace('{Org}', this.orgShortName).replace('{org}', this.def.label);
    const appSlug = slug(name);
    const createdMs = between(prng, this.tenantCreatedMs + 20 * DAY, this.refMs - 7 * DAY);
    const appId = prng.guid();
    const graph = template.graph ?? [];
    const asRoles = template.kind === 'daemon';
    const rra: RequiredResourceAccess[] = graph.length === 0 ? [] : [{
      resourceAppId: GRAPH_APP_ID,
      resourceAccess: graph.map((value) => ({ id: asRoles ? graphRoleId(value) : graphScopeId(value), type: asRoles ? 'Role' as const : 'Scope' as const })),
    }];
    const passwords: PasswordCredential[] = [];
    const keys: KeyCredential[] = [];
    const wantsSecret = template.kind === 'daemon' ? prng.chance(0.75) : template.kind === 'web' ? prng.chance(0.35) : false;
    const wantsCert = template.kind === 'daemon' && (!wantsSecret || prng.chance(0.3));
    if (wantsSecret) {
      const count = prng.chance(0.3) ? 2 : 1;
      for (let i = 0; i < count; i++) {
        const start = between(prng, createdMs, this.refMs - DAY);
        passwords.push(passwordCredential(prng, start, prng.pick([6, 12, 24]), prng.pick(['prod', 'CI', 'rotation', 'backend', null, 'Key 1', 'func-app', 'jenkins'])));
      }
    }
    if (wantsCert) keys.push(certificateCredential(prng, between(prng, createdMs, this.refMs - DAY), prng.pick([12, 24]), appSlug));
    const scopes: PermissionScope[] = template.kind === 'api' ? [{
      adminConsentDescription: `Allows the app to access ${name} on behalf of the signed-in user.`,
      adminConsentDisplayName: `Access ${name}`, id: prng.guid(), isEnabled: true, type: 'User',
      userConsentDescription: `Allows the app to access ${name} on your behalf.`, userConsentDisplayName: `Access ${name}`, value: 'user_impersonation',
    }] : [];
    const app = application({
      id: prng.guid(), appId, displayName: name, createdMs, publisherDomain: this.domain,
      signInAudience: template.audience ?? 'AzureADMyOrg', requiredResourceAccess: rra,
      identifierUris: template.kind === 'api' ? [`api://${appId}`] : [],
      webRedirectUris: template.kind === 'web' ? [`https://${appSlug}.${this.def.customDomain}/signin-oidc`] : [],
      publicClientRedirectUris: template.kind === 'client' ? [`msal${appId}://auth`, 'https://login.microsoftonline.com/common/oauth2/nativeclient'] : [],
      passwordCredentials: passwords, keyCredentials: keys, oauth2PermissionScopes: scopes,
      groupMembershipClaims: template.kind === 'web' && prng.chance(0.2) ? 'SecurityGroup' : null,
      homePageUrl: template.kind === 'web' ? `https://${appSlug}.${this.def.customDomain}/` : null,
    });
    this.applications.push(app);
    const sp = localServicePrincipal(app, prng.guid(), this.tenantId, createdMs + prng.int(5, 300) * 1000, ['WindowsAzureActiveDirectoryIntegratedApp']);
    sp.accountEnabled = prng.chance(0.95);
    this.addServicePrincipal(sp);
    if (graph.length > 0 && prng.chance(0.85)) {
      const consentMs = createdMs + prng.int(2, 60 * 24 * 3) * MINUTE;
      if (asRoles) for (const value of graph) this.grantAppRole(prng, sp, GRAPH_APP_ID, graphRoleId(value), consentMs);
      else this.grantDelegated(prng, sp, GRAPH_APP_ID, graph, null);
    }
  }

  buildBenignApps(): void {
    const prng = this.stream('apps');
    const count = prng.int(52, 64);
    for (const template of prng.shuffle(APP_CATALOGUE).slice(0, count)) this.appRegistrationFromTemplate(prng, template);
  }

  buildVendors(): void {
    const prng = this.stream('vendors');
    for (const vendor of prng.shuffle(VENDOR_CATALOGUE).slice(0, prng.int(8, 12))) {
      const sp = this.addServicePrincipal(servicePrincipal({
        id: prng.guid(), appId: prng.guid(), displayName: vendor.displayName,
        createdMs: between(prng, this.tenantCreatedMs + 60 * DAY, this.refMs - 5 * DAY),
        appOwnerOrganizationId: prng.guid(), signInAudience: 'AzureADMultipleOrgs', servicePrincipalNames: [],
        replyUrls: [`${vendor.homepage}oauth/callback`], homepage: vendor.homepage, tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
        info: { ...NO_INFO, marketingUrl: vendor.homepage, privacyStatementUrl: `${vendor.homepage}privacy`, termsOfServiceUrl: `${vendor.homepage}terms` },
        verifiedPublisher: prng.chance(0.7)
          ? { displayName: vendor.publisher, verifiedPublisherId: String(prng.int(1000000, 9999999)), addedDateTime: iso(between(prng, Date.parse('2020-06-01T00:00:00Z'), this.refMs - 200 * DAY)) }
          : NO_PUBLISHER,
      }));
      sp.servicePrincipalNames = [sp.appId];
      if (prng.chance(0.5)) this.grantDelegated(prng, sp, GRAPH_APP_ID, vendor.scopes, null);
      else for (const user of prng.shuffle(this.users).slice(0, prng.int(1, 3))) this.grantDelegated(prng, sp, GRAPH_APP_ID, vendor.scopes, user.id);
    }
  }

  pickAdmin(prng: Prng, role: string, exclude?: string): GraphUser {
    const candidates = this.admins.filter((a) => a.roles.includes(role) && a.user.id !== exclude).map((a) => a.user);
    return prng.pick(candidates.length > 0 ? candidates : this.admins.map((a) => a.user));
  }

  buildAttackAndDecoys(): { attack: AttackFacts } {
    const prng = this.stream('attack');
    const ga = DIRECTORY_ROLES.globalAdministrator.templateId;
    const compromised = this.pickAdmin(prng, ga);
    // Inside the default 30-day log window, so sign-ins and audits of every step are there to find.
    const createdMs = this.refMs - prng.int(14, 26) * DAY - prng.int(0, 24 * 3600 - 1) * 1000;
    // The canonical letters are drawn in every shape so the ids drawn after them stay the same.
    const canonicalLetters = prng.letters(3);
    const vprng = this.stream('attack-shape-values');
    const drawn = this.shape.mode === 'canonical' ? `${this.def.label}_${canonicalLetters}` : this.variedAppName(vprng);
    const name = this.maliciousAppName ?? drawn;
    // The order of ATTACK.md: register, consent, directory roles, then the attacker's own credential.
    const credentialMs = createdMs + prng.int(8 * 60, 25 * 60) * 1000;
    const passwords = [passwordCredential(prng, credentialMs, prng.pick([12, 24]), null)];
    const keys = prng.chance(0.4) ? [certificateCredential(prng, credentialMs + prng.int(1, 5) * MINUTE, 12, name)] : [];
    const { app, sp, consentMs, manageAsApp, roleSteps } = this.registerMaliciousApp(prng, name, createdMs, passwords, keys, [ga, DIRECTORY_ROLES.exchangeAdministrator.templateId]);
    const prefix = prng.pick(this.def.attackerIpPrefixes);
    const attackerIp = `${prefix}${prng.int(2, 254)}`;

    // Step 1: stuffing against Azure AD PowerShell, hours of failures, then single-factor successes for two admins.
    const xprng = this.stream('attack-extra');
    // Among the named admins, so the pair does not change with the users knob.
    const named = this.admins.slice(0, this.def.people.filter((p) => p.roles.length > 0).length);
    const secondAdmin = xprng.pick(named.filter((a) => a.user.id !== compromised.id && a.roles.some((r) => PRIVILEGED_ROLES.has(r))).map((a) => a.user));
    const primarySuccessMs = createdMs - xprng.int(6, 40) * MINUTE;
    const stuffingEndMs = primarySuccessMs + xprng.int(1, 20) * MINUTE;
    const stuffingStartMs = primarySuccessMs - xprng.int(3 * 60, 9 * 60) * MINUTE;
    const secondSuccessMs = between(xprng, stuffingStartMs + 30 * MINUTE, primarySuccessMs - 5 * MINUTE);
    const shuffled = xprng.shuffle(this.users.filter((u) => u.id !== compromised.id && u.id !== secondAdmin.id).slice(0, 5000));
    const canonicalTargets = xprng.int(25, 60);
    const shape = this.shape;
    // A varied shape may take one admin only (the second is then one more failing target), and ordinary users besides.
    const takenAdmins = shape.takenAdmins >= 2 ? [compromised, secondAdmin] : [compromised];
    const namedUsers = this.users.slice(0, this.def.people.length).filter((u) => !this.admins.some((a) => a.user.id === u.id));
    const takenUsers = vprng.shuffle(namedUsers).slice(0, shape.takenUsers);
    const takenUserIds = new Set(takenUsers.map((u) => u.id));
    const targetCount = shape.mode === 'canonical' ? canonicalTargets : shape.method === 'spray' ? vprng.int(40, 90) : vprng.int(25, 60);
    const others = [
      ...(shape.takenAdmins >= 2 ? [] : [secondAdmin]),
      ...shuffled.filter((u) => !takenUserIds.has(u.id)),
    ].slice(0, targetCount);
    // A spray goes in rounds, one or two passwords per round against every target; the last round is where the first admin fell.
    const roundCount = shape.method === 'spray' ? vprng.int(2, 4) : 0;
    const rounds: number[] = Array.from({ length: roundCount }, (_, i) => stuffingStartMs + Math.floor(((primarySuccessMs - 10 * MINUTE - stuffingStartMs) * i) / Math.max(1, roundCount - 1)));
    const successIn = (lo: number, hi: number) => (rounds.length > 0 ? vprng.pick(rounds) + vprng.int(10, 20) * MINUTE : between(vprng, lo, hi));
    const userSuccess = new Map(takenUsers.map((u) => [u.id, successIn(stuffingStartMs + 20 * MINUTE, primarySuccessMs - 2 * MINUTE)]));
    const adminSuccess = shape.method === 'spray' ? successIn(0, 0) : secondSuccessMs;
    const adminRoles = (userId: string) => this.admins.find((a) => a.user.id === userId)?.roles ?? [];
    // The leaked passwords still worked: no taken account changed theirs between the leak and the stuffing.
    for (const user of [...takenAdmins, ...takenUsers]) {
      if (Date.parse(user.lastPasswordChangeDateTime) > stuffingStartMs - 30 * DAY) {
        const changed = iso(Math.max(Date.parse(user.createdDateTime), stuffingStartMs - xprng.int(60, 400) * DAY));
        user.lastPasswordChangeDateTime = changed;
        user.signInSessionsValidFromDateTime = changed;
      }
    }
    const compromisedAdmins: CompromisedAdmin[] = takenAdmins.map((user, i) => ({
      userId: user.id, userPrincipalName: user.userPrincipalName, roleTemplateIds: adminRoles(user.id),
      successDateTime: iso(i === 0 ? primarySuccessMs : adminSuccess), mfaRegistered: shape.mfaRegistered[i] ?? false,
    }));
    const compromisedAccounts: CompromisedAccount[] = [
      ...compromisedAdmins.map((a) => ({ userId: a.userId, userPrincipalName: a.userPrincipalName, privileged: true, successDateTime: a.successDateTime })),
      ...takenUsers.map((u) => ({ userId: u.id, userPrincipalName: u.userPrincipalName, privileged: false, successDateTime: iso(userSuccess.get(u.id) ?? primarySuccessMs) })),
    ];

    // Step 3: Exchange cycles by the app: a few days after creation, again later; the last may still be in place.
    const cycles: ExchangeCycle[] = [];
    const canonicalCycles = xprng.int(2, 3);
    const cycleCount = shape.cycles ?? canonicalCycles;
    const canonicalConnector = `Ran_${xprng.letters(5)}`;
    const connectorName = shape.connectorStyle === 'ran' ? canonicalConnector : this.variedConnectorName(vprng);
    let cycleMs = createdMs + xprng.int(1, 3) * DAY + xprng.int(0, 23) * 60 * MINUTE;
    for (let c = 0; c < cycleCount; c++) {
      const spamStart = cycleMs + xprng.int(10, 90) * MINUTE;
      const spamEnd = spamStart + xprng.int(2, 10) * 60 * MINUTE;
      const removedMs = spamEnd + xprng.int(20, 180) * MINUTE;
      cycles.push({
        connectorName,
        createdDateTime: iso(cycleMs),
        spamStartDateTime: iso(Math.min(spamStart, this.refMs - 2 * 60 * MINUTE)),
        spamEndDateTime: iso(Math.min(spamEnd, this.refMs - 60 * MINUTE)),
        removedDateTime: removedMs >= this.refMs ? null : iso(removedMs),
        spamMessageCount: xprng.int(20_000, 120_000),
      });
      const remaining = this.refMs - 2 * DAY - cycleMs;
      cycleMs += Math.max(DAY, Math.min(remaining / Math.max(1, cycleCount - c - 1), xprng.int(5, 12) * DAY));
      if (cycleMs > this.refMs - DAY) break;
    }
    // contoso keeps the last setup live; fabrikam is clean now and shows the cycles only in the audit log.
    const lastCycle = cycles[cycles.length - 1];
    if (lastCycle) lastCycle.removedDateTime = this.scenario === 'contoso' ? null : lastCycle.removedDateTime ?? iso(Math.min(this.refMs - MINUTE, Date.parse(lastCycle.spamEndDateTime) + 30 * MINUTE));
    const mailPrefix = xprng.pick(this.def.attackerIpPrefixes);
    const relayIps = [...new Set(Array.from({ length: xprng.int(2, 4) }, () => `${mailPrefix}${xprng.int(2, 254)}`))].filter((ip) => ip !== attackerIp);
    // No cycle, no connector: the relay addresses were never configured, so nothing in the tenant shows them.
    const attackerMailIps = cycles.length > 0 ? relayIps : [];

    const failing = xprng.pick(named.filter((a) => a.user.id !== compromised.id && a.user.id !== secondAdmin.id).map((a) => a.user));
    const attack: AttackFacts = {
      maliciousApplicationId: app.id, maliciousAppId: app.appId, maliciousServicePrincipalId: sp.id, maliciousDisplayName: name,
      createdDateTime: app.createdDateTime, compromisedUserId: compromised.id, compromisedUserPrincipalName: compromised.userPrincipalName,
      attackerIp,
      compromisedAdmins,
      compromisedAccounts,
      shape,
      otherApps: [],
      stuffing: {
        method: shape.method, rounds: rounds.map(iso),
        appId: AZURE_AD_POWERSHELL_CLIENT_ID, startDateTime: iso(stuffingStartMs), endDateTime: iso(stuffingEndMs),
        targetUserIds: [...takenAdmins.map((u) => u.id), ...takenUsers.map((u) => u.id), ...others.map((u) => u.id)],
      },
      steps: {
        addApplication: app.createdDateTime,
        addServicePrincipal: sp.createdDateTime,
        consentToApplication: iso(consentMs),
        addAppRoleAssignment: manageAsApp.createdDateTime,
        addMemberToRole: roleSteps,
        addCredentials: credentialSteps(passwords, keys),
      },
      manageAsAppAssignmentId: manageAsApp.id,
      exchange: { attackerMailIps, transportRuleNames: shape.transportRuleNames, removedHeaders: shape.removedHeaders, cycles },
      benignFailingAdmin: {
        userId: failing.id, userPrincipalName: failing.userPrincipalName,
        ip: `${xprng.pick(this.def.corporateIpPrefixes)}${xprng.int(10, 60)}`, dateTime: iso(this.refMs - xprng.int(2, 9) * DAY - xprng.int(0, 8 * 60) * MINUTE),
      },
      compromisedUsers: compromisedAccounts.map((a) => ({ id: a.userId, userPrincipalName: a.userPrincipalName })),
      stuffingStartDateTime: iso(stuffingStartMs),
      stuffingEndDateTime: iso(stuffingEndMs),
      attackerMailIps,
      connectorName,
      ruleNames: shape.transportRuleNames,
      exchangeCycles: cycles.map((c) => ({ createdDateTime: c.createdDateTime, removedDateTime: c.removedDateTime })),
      decoyTypoUserId: failing.id,
    };

    // Decoy 1: a backup product's wizard registered an app holding Exchange.ManageAsApp, long before the attack.
    const dprng = this.stream('decoy-backup');
    const product = dprng.pick(BACKUP_PRODUCTS);
    const installer = this.pickAdmin(dprng, ga, compromised.id);
    const decoyMs = createdMs - dprng.int(400, 700) * DAY + dprng.int(-6 * 3600, 6 * 3600) * 1000;
    const decoyApp = application({
      id: dprng.guid(), appId: dprng.guid(), displayName: product.product, createdMs: decoyMs, publisherDomain: this.domain,
      signInAudience: 'AzureADMultipleOrgs',
      requiredResourceAccess: [
        { resourceAppId: EXCHANGE_APP_ID, resourceAccess: [
          { id: EXCHANGE_MANAGE_AS_APP_ROLE_ID, type: 'Role' }, { id: exchangeRoleId('full_access_as_app'), type: 'Role' },
        ] },
        { resourceAppId: GRAPH_APP_ID, resourceAccess: ['Directory.Read.All', 'Group.Read.All', 'Sites.Read.All', 'Files.Read.All'].map((v) => ({ id: graphRoleId(v), type: 'Role' as const })) },
      ],
      webRedirectUris: ['http://localhost'],
      passwordCredentials: [passwordCredential(dprng, decoyMs + dprng.int(1, 4) * MINUTE, 24, `${product.vendor} setup wizard`)],
      keyCredentials: [certificateCredential(dprng, decoyMs + dprng.int(1, 4) * MINUTE, 24, product.product)],
      notes: `Registered by the ${product.product} setup wizard.`,
    });
    this.applications.push(decoyApp);
    const decoySp = localServicePrincipal(decoyApp, dprng.guid(), this.tenantId, decoyMs + dprng.int(10, 60) * 1000, ['WindowsAzureActiveDirectoryIntegratedApp']);
    this.addServicePrincipal(decoySp);
    const decoyConsentMs = decoyMs + dprng.int(3, 15) * MINUTE;
    for (const rra of decoyApp.requiredResourceAccess) {
      for (const access of rra.resourceAccess) this.grantAppRole(dprng, decoySp, rra.resourceAppId, access.id, decoyConsentMs);
    }
    this.decoys.push({
      kind: 'backup-app-registration', displayName: decoyApp.displayName, applicationObjectId: decoyApp.id, appId: decoyApp.appId,
      servicePrincipalId: decoySp.id, appOwnerOrganizationId: this.tenantId, createdDateTime: decoyApp.createdDateTime,
      consentedByUserPrincipalName: installer.userPrincipalName,
    });

    // Decoy 2: an archiving service owned by its vendor's tenant, consented to Exchange.ManageAsApp even earlier.
    const aprng = this.stream('decoy-archive');
    const archive = aprng.pick(ARCHIVE_SERVICES);
    const archiveMs = createdMs - aprng.int(450, 900) * DAY + aprng.int(-6 * 3600, 6 * 3600) * 1000;
    const archiveSp = servicePrincipal({
      id: aprng.guid(), appId: aprng.guid(), displayName: archive.product, createdMs: archiveMs,
      appOwnerOrganizationId: aprng.guid(), signInAudience: 'AzureADMultipleOrgs', servicePrincipalNames: [],
      replyUrls: [`${archive.homepage}signin`], homepage: archive.homepage, tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
      info: { ...NO_INFO, marketingUrl: archive.homepage, privacyStatementUrl: `${archive.homepage}privacy` },
      verifiedPublisher: { displayName: archive.vendor, verifiedPublisherId: String(aprng.int(1000000, 9999999)), addedDateTime: iso(archiveMs - aprng.int(100, 400) * DAY) },
    });
    archiveSp.servicePrincipalNames = [archiveSp.appId];
    this.addServicePrincipal(archiveSp);
    const archiveConsentMs = archiveMs + aprng.int(1, 10) * MINUTE;
    this.grantAppRole(aprng, archiveSp, EXCHANGE_APP_ID, EXCHANGE_MANAGE_AS_APP_ROLE_ID, archiveConsentMs);
    this.grantAppRole(aprng, archiveSp, EXCHANGE_APP_ID, exchangeRoleId('full_access_as_app'), archiveConsentMs);
    const archiveInstaller = this.pickAdmin(aprng, ga, compromised.id);
    this.decoys.push({
      kind: 'vendor-archive-service-principal', displayName: archiveSp.displayName, applicationObjectId: null, appId: archiveSp.appId,
      servicePrincipalId: archiveSp.id, appOwnerOrganizationId: archiveSp.appOwnerOrganizationId, createdDateTime: archiveSp.createdDateTime,
      consentedByUserPrincipalName: archiveInstaller.userPrincipalName,
    });
    return { attack };
  }

  /**
   * Directory deleted items (https://learn.microsoft.com/graph/api/directory-deleteditems-list): soft-deleted
   * applications and service principals, kept 30 days with `deletedDateTime`. The attack: the script's first
   * registration of its app, deleted minutes after and registered again under the same name. Decoy: an old, unused
   * line-of-business app an admin deleted in ordinary clean-up. Drawn from streams of their own, so the rest of the
   * tenant is as before.
   */
  buildDeletedItems(attack: AttackFacts): { applications: GraphApplication[]; servicePrincipals: GraphServicePrincipal[] } {
    const applications: GraphApplication[] = [];
    const servicePrincipals: GraphServicePrincipal[] = [];
    const stamp = (ms: number) => iso(ms).replace(/\.\d{3}Z$/, 'Z');
    const prng = this.stream('deleted-first-registration');
    const createdMs = Date.parse(attack.createdDateTime) - prng.int(12, 40) * MINUTE;
    const deletedMs = Date.parse(attack.createdDateTime) - prng.int(2, 8) * MINUTE;
    if (deletedMs > this.refMs - 30 * DAY) {
      const first = application({ id: prng.guid(), appId: prng.guid(), displayName: attack.maliciousDisplayName, createdMs, publisherDomain: this.domain, signInAudience: 'AzureADMyOrg', requiredResourceAccess: [] });
      first.deletedDateTime = stamp(deletedMs);
      const sp = localServicePrincipal(first, prng.guid(), this.tenantId, createdMs + prng.int(5, 30) * 1000, ['WindowsAzureActiveDirectoryIntegratedApp']);
      sp.deletedDateTime = first.deletedDateTime;
      applications.push(first);
      servicePrincipals.push(sp);
      attack.deletedFirstRegistration = { applicationId: first.id, appId: first.appId, servicePrincipalId: sp.id, createdDateTime: first.createdDateTime, deletedDateTime: first.deletedDateTime };
    }
    const dprng = this.stream('deleted-cleanup');
    const template = dprng.pick(APP_CATALOGUE);
    const oldMs = this.refMs - dprng.int(500, 1200) * DAY;
    const goneMs = this.refMs - dprng.int(3, 20) * DAY - dprng.int(0, 8 * 60) * MINUTE;
    const name = `${template.name.replace("{Org}", this.def.displayName.split(" ")[0] ?? this.def.label)} (old)`;
    const old = application({ id: dprng.guid(), appId: dprng.guid(), displayName: name, createdMs: oldMs, publisherDomain: this.domain, signInAudience: 'AzureADMyOrg', requiredResourceAccess: [] });
    old.deletedDateTime = stamp(goneMs);
    const oldSp = localServicePrincipal(old, dprng.guid(), this.tenantId, oldMs + dprng.int(5, 60) * 1000, ['WindowsAzureActiveDirectoryIntegratedApp']);
    oldSp.deletedDateTime = old.deletedDateTime;
    applications.push(old);
    servicePrincipals.push(oldSp);
    const admin = this.pickAdmin(dprng, DIRECTORY_ROLES.globalAdministrator.templateId, attack.compromisedUserId);
    this.decoys.push({
      kind: 'admin-deleted-app', displayName: name, applicationObjectId: old.id, appId: old.appId, servicePrincipalId: oldSp.id,
      appOwnerOrganizationId: this.tenantId, createdDateTime: old.createdDateTime, consentedByUserPrincipalName: admin.userPrincipalName,
    });
    return { applications: applications.sort(byId), servicePrincipals: servicePrincipals.sort(byId) };
  }

  /** The tenant label, another separator (or none), other letter counts; sometimes capitalised as a script's author typed it. */
  variedAppName(p: Prng): string {
    const { separator, letters, capitalised } = this.shape.appName;
    const label = capitalised ? `${this.def.label.charAt(0).toUpperCase()}${this.def.label.slice(1)}` : this.def.label;
    return `${label}${separator}${p.letters(letters)}`;
  }

  /** Copycats' connector names: none of them `Ran_` (the admins' own connectors are named "… on-premises relay", "… inbound"). */
  variedConnectorName(p: Prng): string {
    switch (this.shape.connectorStyle) {
      case 'inbound': return `Inbound-${p.letters(p.int(4, 7))}`;
      case 'relay': return `${this.orgShortName} mail relay ${p.int(1, 9)}`;
      case 'letters': return p.letters(p.int(6, 10));
      case 'partner': return `Partner_${p.letters(4).toUpperCase()}`;
      default: return `Ran_${p.letters(5)}`;
    }
  }

  /**
   * Registers an app as the attacker's script does (ATTACK.md step 2): single-tenant, asking for Exchange.ManageAsApp,
   * consented at once, then made a member of each directory role a minute or three apart.
   */
  registerMaliciousApp(prng: Prng, name: string, createdMs: number, passwords: PasswordCredential[], keys: KeyCredential[], roles: string[]) {
    const app = application({
      id: prng.guid(), appId: prng.guid(), displayName: name, createdMs, publisherDomain: this.domain, signInAudience: 'AzureADMyOrg',
      requiredResourceAccess: [{ resourceAppId: EXCHANGE_APP_ID, resourceAccess: [{ id: EXCHANGE_MANAGE_AS_APP_ROLE_ID, type: 'Role' }] }],
      passwordCredentials: passwords, keyCredentials: keys,
    });
    this.applications.push(app);
    // Created by script: no portal tag on the service principal.
    const sp = localServicePrincipal(app, prng.guid(), this.tenantId, createdMs + prng.int(10, 90) * 1000, []);
    this.addServicePrincipal(sp);
    const consentMs = createdMs + prng.int(60, 150) * 1000;
    this.grantAppRole(prng, sp, EXCHANGE_APP_ID, EXCHANGE_MANAGE_AS_APP_ROLE_ID, consentMs);
    const manageAsApp = this.appRoleAssignments[this.appRoleAssignments.length - 1];
    if (!manageAsApp) throw new Error('Exchange.ManageAsApp assignment missing');
    const roleSteps: AttackFacts['steps']['addMemberToRole'] = [];
    let roleMs = consentMs;
    for (const role of roles) {
      roleMs += prng.int(1, 3) * MINUTE;
      const assignment = this.addRoleAssignment(sp.id, 'ServicePrincipal', role, roleMs);
      roleSteps.push({ roleTemplateId: role, roleAssignmentId: assignment.id, dateTime: assignment.createdDateTime });
    }
    return { app, sp, consentMs, manageAsApp, roleSteps };
  }

  /** A second malicious app, registered by a taken admin days after the first: consented, made an administrator, given a credential. */
  buildOtherApps(attack: AttackFacts): void {
    if (!this.shape.secondApp) return;
    const p = this.stream('attack-second-app');
    const ga = DIRECTORY_ROLES.globalAdministrator.templateId;
    const registrars = attack.compromisedAdmins.filter((a) => a.roleTemplateIds.includes(ga) || a.roleTemplateIds.includes(DIRECTORY_ROLES.applicationAdministrator.templateId));
    const registrar = p.pick(registrars.length > 0 ? registrars : attack.compromisedAdmins);
    const createdMs = Math.min(Date.parse(attack.createdDateTime) + p.int(1, 6) * DAY + p.int(0, 24 * 3600 - 1) * 1000, this.refMs - 3 * DAY);
    const name = `${p.pick(SECOND_APP_NAMES)}${p.chance(0.4) ? ` ${p.int(2, 9)}` : ''}`;
    const credentialMs = createdMs + p.int(8 * 60, 25 * 60) * 1000;
    const cert = p.chance(0.5);
    const passwords = cert ? [] : [passwordCredential(p, credentialMs, p.pick([12, 24]), null)];
    const keys = cert ? [certificateCredential(p, credentialMs, 12, name)] : [];
    const roles = p.chance(0.5) ? [DIRECTORY_ROLES.exchangeAdministrator.templateId] : [ga, DIRECTORY_ROLES.exchangeAdministrator.templateId];
    const { app, sp, consentMs, manageAsApp, roleSteps } = this.registerMaliciousApp(p, name, createdMs, passwords, keys, roles);
    attack.otherApps.push({
      applicationId: app.id, appId: app.appId, servicePrincipalId: sp.id, displayName: name, createdDateTime: app.createdDateTime,
      registeredByUserId: registrar.userId, manageAsAppAssignmentId: manageAsApp.id,
      steps: {
        addApplication: app.createdDateTime, addServicePrincipal: sp.createdDateTime, consentToApplication: iso(consentMs),
        addAppRoleAssignment: manageAsApp.createdDateTime, addMemberToRole: roleSteps,
        addCredentials: credentialSteps(passwords, keys),
      },
    });
  }

  buildEngagementApp(): EngagementApp {
    const prng = this.stream('engagement');
    const createdMs = this.refMs - prng.int(16 * 3600, 30 * 3600) * 1000;
    const secret = clientSecretText(prng);
    const displayName = 'Peregrine IR collection (read-only)';
    // keyId from its own stream: drawing from 'engagement' here would move every id drawn after it.
    const certMs = createdMs + 3 * MINUTE;
    const cert = engagementCertificate(`${this.scenario}|${this.seed}`, 'Peregrine IR collection', iso(certMs));
    const certificate = { ...cert, keyId: this.stream('engagement-certificate').guid() };
    const app = application({
      id: prng.guid(), appId: prng.guid(), displayName, createdMs, publisherDomain: this.domain, signInAudience: 'AzureADMyOrg',
      requiredResourceAccess: [
        { resourceAppId: GRAPH_APP_ID, resourceAccess: ENGAGEMENT_GRAPH_ROLES.map((v) => ({ id: graphRoleId(v), type: 'Role' as const })) },
        { resourceAppId: EXCHANGE_APP_ID, resourceAccess: [{ id: EXCHANGE_MANAGE_AS_APP_ROLE_ID, type: 'Role' }] },
      ],
      passwordCredentials: [passwordCredential(prng, createdMs + 2 * MINUTE, 6, 'Peregrine engagement', secret)],
      keyCredentials: [{
        customKeyIdentifier: cert.thumbprintSha1, displayName: cert.subject, endDateTime: iso(Date.parse(cert.notAfter)), key: null,
        keyId: certificate.keyId, startDateTime: iso(Date.parse(cert.notBefore)), type: 'AsymmetricX509Cert', usage: 'Verify',
      }],
      notes: 'Incident response engagement: read-only collection. Delete when the engagement ends.',
    });
    this.applications.push(app);
    const sp = localServicePrincipal(app, prng.guid(), this.tenantId, createdMs + 20 * 1000, ['WindowsAzureActiveDirectoryIntegratedApp']);
    this.addServicePrincipal(sp);
    const consentMs = createdMs + 5 * MINUTE;
    // Exchange app-only access needs a directory role besides Exchange.ManageAsApp: Global Reader keeps collection read-only.
    this.addRoleAssignment(sp.id, 'ServicePrincipal', DIRECTORY_ROLES.globalReader.templateId, consentMs + MINUTE);
    for (const rra of app.requiredResourceAccess) {
      for (const access of rra.resourceAccess) this.grantAppRole(prng, sp, rra.resourceAppId, access.id, consentMs);
    }
    return { displayName, applicationObjectId: app.id, appId: app.appId, servicePrincipalId: sp.id, clientSecret: secret, certificate };
  }

  buildRemediationClient(): RemediationClient {
    const prng = this.stream('remediation-client');
    const createdMs = this.refMs - prng.int(15 * 3600, 29 * 3600) * 1000;
    const displayName = 'Peregrine IR remediation';
    const appId = prng.guid();
    const app = application({
      id: prng.guid(), appId, displayName, createdMs, publisherDomain: this.domain, signInAudience: 'AzureADMyOrg',
      requiredResourceAccess: [
        { resourceAppId: GRAPH_APP_ID, resourceAccess: REMEDIATION_SCOPES.map((v) => ({ id: graphScopeId(v), type: 'Scope' as const })) },
      ],
      publicClientRedirectUris: ['https://login.microsoftonline.com/common/oauth2/nativeclient'],
      notes: 'Incident response engagement: delegated remediation by the consultant, after the client approved each step.',
    });
    this.applications.push(app);
    const sp = localServicePrincipal(app, prng.guid(), this.tenantId, createdMs + 15 * 1000, ['WindowsAzureActiveDirectoryIntegratedApp']);
    this.addServicePrincipal(sp);
    this.grantDelegated(prng, sp, GRAPH_APP_ID, REMEDIATION_SCOPES, null);
    this.grantDelegated(prng, sp, EXCHANGE_APP_ID, ['Exchange.Manage'], null);
    return { displayName, appId, servicePrincipalId: sp.id, scopes: [...REMEDIATION_SCOPES] };
  }

  organization(): GraphOrganization {
    const prng = this.stream('organization');
    const a = this.def.address;
    const adminMail = this.users[0]?.mail ?? `admin@${this.domain}`;
    const plan = (service: string, servicePlanId: string) => ({
      assignedDateTime: iso(this.tenantCreatedMs + prng.int(1, 20) * MINUTE), capabilityStatus: 'Enabled', service, servicePlanId,
    });
    return {
      id: this.tenantId,
      deletedDateTime: null,
      businessPhones: [`${this.def.phonePrefix}100`],
      city: a.city,
      country: a.country,
      countryLetterCode: a.countryLetterCode,
      createdDateTime: iso(this.tenantCreatedMs),
      defaultUsageLocation: a.countryLetterCode,
      displayName: this.def.displayName,
      isMultipleDataLocationsForServicesEnabled: null,
      marketingNotificationEmails: [],
      onPremisesLastSyncDateTime: null,
      onPremisesSyncEnabled: null,
      partnerTenantType: null,
      postalCode: a.postalCode,
      preferredLanguage: this.def.preferredLanguage,
      securityComplianceNotificationMails: [],
      securityComplianceNotificationPhones: [],
      state: a.state,
      street: a.street,
      technicalNotificationMails: [adminMail],
      tenantType: 'AAD',
      directorySizeQuota: { used: this.users.length + this.applications.length + this.servicePrincipals.length + prng.int(40, 120), total: 300000 },
      assignedPlans: [plan('exchange', '113feb6c-3fe4-4440-bddc-54d774bf0318'), plan('MultiFactorService', '8a256a2b-b617-496d-b51b-e76466e88db0')],
      privacyProfile: { contactEmail: '', statementUrl: '' },
      provisionedPlans: [{ capabilityStatus: 'Enabled', provisioningStatus: 'Success', service: 'exchange' }],
      verifiedDomains: [
        { capabilities: 'Email, OfficeCommunicationsOnline', isDefault: true, isInitial: true, name: this.domain, type: 'Managed' },
        { capabilities: 'Email', isDefault: false, isInitial: false, name: this.def.customDomain, type: 'Managed' },
      ],
    };
  }
}

function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Builds the tenant for a scenario and seed. Same inputs always give a deep-equal result (and identical JSON). */
export function buildTenant(options: BuildOptions = {}): Tenant {
  const scenario = options.scenario ?? 'contoso';
  const seed = options.seed ?? 1;
  if (!SCENARIOS[scenario]) throw new Error(`unknown scenario: ${String(scenario)}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const users = options.users ?? DEFAULT_USERS;
  if (options.attackShape !== undefined && options.attackShape !== 'canonical' && options.attackShape !== 'varied') {
    throw new Error(`attackShape must be canonical or varied, got ${String(options.attackShape)}`);
  }
  const b = new TenantBuilder(scenario, seed, drawAttackShape(scenario, seed, options.attackShape));
  if (!Number.isSafeInteger(users) || users < b.def.people.length || users > MAX_USERS) {
    throw new Error(`users must be an integer from ${b.def.people.length} to ${MAX_USERS}, got ${users}`);
  }
  if (options.maliciousAppName !== undefined) b.maliciousAppName = options.maliciousAppName;
  b.buildUsers(users);
  b.buildFirstParty();
  b.buildBenignApps();
  b.buildVendors();
  const { attack } = b.buildAttackAndDecoys();
  b.buildOtherApps(attack);
  const deleted = b.buildDeletedItems(attack);
  const engagementApp = b.buildEngagementApp();
  const remediationClient = b.buildRemediationClient();
  const organization = b.organization();
  const noMfa = new Set(attack.compromisedAdmins.filter((a) => !a.mfaRegistered).map((a) => a.userId));
  const adminIds = new Set(b.admins.map((a) => a.user.id));
  // Graph lists directory objects in an order unrelated to creation time; sorting by id imitates that.
  return {
    scenario,
    seed,
    tenantId: b.tenantId,
    domain: b.domain,
    label: b.def.label,
    displayName: b.def.displayName,
    referenceTime: b.def.referenceTime,
    organization,
    users: b.users,
    applications: [...b.applications].sort(byId),
    servicePrincipals: [...b.servicePrincipals].sort(byId),
    appRoleAssignments: b.appRoleAssignments,
    oauth2PermissionGrants: b.oauth2PermissionGrants,
    directoryRoleAssignments: b.directoryRoleAssignments,
    directoryRoles: buildDirectoryRoles(b.stream('directory-roles'), b.directoryRoleAssignments),
    userRegistrationDetails: buildRegistrationDetails(b.users, adminIds, noMfa, { scenario, seed, refMs: b.refMs }),
    conditionalAccessPolicies: buildConditionalAccessPolicies(b.stream('conditional-access'), b.refMs, b.tenantCreatedMs),
    securityDefaults: {
      id: SECURITY_DEFAULTS_POLICY_ID,
      displayName: 'Security Defaults',
      description: 'Security defaults is a set of basic identity security mechanisms recommended by Microsoft. When enabled, these recommendations will be automatically enforced in your organization. Administrators and users will be better protected from common identity related attacks.',
      isEnabled: false,
    },
    deletedApplications: deleted.applications,
    deletedServicePrincipals: deleted.servicePrincipals,
    engagementApp,
    remediationClient,
    attack,
    decoys: b.decoys,
  };
}

/** Users holding a directory role other than the default User role, Global Administrators first. */
export function adminUsers(tenant: Tenant): { user: GraphUser; roleTemplateIds: string[] }[] {
  const ga = DIRECTORY_ROLES.globalAdministrator.templateId;
  // Indexed by principal: scanning every assignment for each of 100,000 users would take seconds.
  const byPrincipal = new Map<string, string[]>();
  for (const r of tenant.directoryRoleAssignments) byPrincipal.set(r.principalId, [...(byPrincipal.get(r.principalId) ?? []), r.roleDefinitionId]);
  const out = tenant.users
    .flatMap((user) => {
      const roleTemplateIds = byPrincipal.get(user.id);
      return roleTemplateIds ? [{ user, roleTemplateIds }] : [];
    });
  return out.sort((a, b) => Number(b.roleTemplateIds.includes(ga)) - Number(a.roleTemplateIds.includes(ga)));
}

/** Directory role template ids a token for this user carries in `wids`. */
export function userRoleTemplateIds(tenant: Tenant, userId: string): string[] {
  const ids = tenant.directoryRoleAssignments.filter((r) => r.principalId === userId).map((r) => r.roleDefinitionId);
  return [...ids, DIRECTORY_ROLES.user.templateId];
}

export function groundTruth(tenant: Tenant): GroundTruth {
  const app = tenant.applications.find((a) => a.id === tenant.attack.maliciousApplicationId);
  if (!app) throw new Error('malicious application missing from tenant');
  const roleNames = Object.values(DIRECTORY_ROLES);
  const { clientSecret: _secret, certificate: _certificate, ...engagement } = tenant.engagementApp;
  const registration = new Map(tenant.userRegistrationDetails.map((r) => [r.id, r]));
  const apps = [
    { applicationObjectId: app.id, appId: app.appId, displayName: app.displayName, servicePrincipalId: tenant.attack.maliciousServicePrincipalId },
    ...tenant.attack.otherApps.map((o) => ({ applicationObjectId: o.applicationId, appId: o.appId, displayName: o.displayName, servicePrincipalId: o.servicePrincipalId })),
  ];
  const spIds = new Set(apps.map((a) => a.servicePrincipalId));
  const appIds = new Set(apps.map((a) => a.applicationObjectId));
  const keyIds = tenant.applications.filter((a) => appIds.has(a.id)).flatMap((a) => [...a.passwordCredentials.map((c) => c.keyId), ...a.keyCredentials.map((c) => c.keyId)]);
  return {
    format: 'peregrine-sim-ground-truth/1',
    scenario: tenant.scenario,
    seed: tenant.seed,
    tenantId: tenant.tenantId,
    tenantDomain: tenant.domain,
    tenantLabel: tenant.label,
    referenceTime: tenant.referenceTime,
    maliciousApp: {
      applicationObjectId: app.id,
      appId: app.appId,
      displayName: app.displayName,
      servicePrincipalId: tenant.attack.maliciousServicePrincipalId,
      createdDateTime: app.createdDateTime,
      credentialKeyIds: [...app.passwordCredentials.map((c) => c.keyId), ...app.keyCredentials.map((c) => c.keyId)],
      directoryRoles: tenant.directoryRoleAssignments
        .filter((r) => r.principalId === tenant.attack.maliciousServicePrincipalId)
        .map((r) => roleNames.find((n) => n.templateId === r.roleDefinitionId)?.displayName ?? r.roleDefinitionId),
    },
    compromisedUser: { id: tenant.attack.compromisedUserId, userPrincipalName: tenant.attack.compromisedUserPrincipalName },
    attackerIp: tenant.attack.attackerIp,
    maliciousObjects: {
      applicationObjectId: app.id,
      servicePrincipalId: tenant.attack.maliciousServicePrincipalId,
      applicationObjectIds: apps.map((a) => a.applicationObjectId),
      servicePrincipalIds: apps.map((a) => a.servicePrincipalId),
      appRoleAssignmentIds: tenant.appRoleAssignments.filter((a) => spIds.has(a.principalId)).map((a) => a.id),
      roleAssignmentIds: tenant.directoryRoleAssignments.filter((r) => spIds.has(r.principalId)).map((r) => r.id),
      credentialKeyIds: keyIds,
    },
    maliciousApps: apps,
    deletedObjects: {
      applicationIds: tenant.deletedApplications.map((a) => a.id),
      servicePrincipalIds: tenant.deletedServicePrincipals.map((s) => s.id),
      malicious: {
        applicationIds: tenant.attack.deletedFirstRegistration ? [tenant.attack.deletedFirstRegistration.applicationId] : [],
        servicePrincipalIds: tenant.attack.deletedFirstRegistration ? [tenant.attack.deletedFirstRegistration.servicePrincipalId] : [],
      },
      decoys: {
        applicationIds: tenant.decoys.filter((d) => d.kind === 'admin-deleted-app' && d.applicationObjectId).map((d) => d.applicationObjectId!),
        servicePrincipalIds: tenant.decoys.filter((d) => d.kind === 'admin-deleted-app').map((d) => d.servicePrincipalId),
      },
    },
    compromisedAdmins: tenant.attack.compromisedAdmins.map((a) => ({
      id: a.userId, userPrincipalName: a.userPrincipalName,
      isMfaRegistered: registration.get(a.userId)?.isMfaRegistered ?? false,
    })),
    compromisedAccounts: tenant.attack.compromisedAccounts.map((a) => ({
      id: a.userId, userPrincipalName: a.userPrincipalName, privileged: a.privileged,
      isMfaRegistered: registration.get(a.userId)?.isMfaRegistered ?? false,
    })),
    adminsWithoutMfa: tenant.userRegistrationDetails.filter((r) => r.isAdmin && !r.isMfaRegistered).map((r) => r.id),
    posture: {
      securityDefaultsEnabled: tenant.securityDefaults.isEnabled,
      conditionalAccessPolicies: tenant.conditionalAccessPolicies.length,
      policiesRequiringMfaForAdmins: tenant.conditionalAccessPolicies.filter(requiresMfaForAdmins).length,
    },
    attack: tenant.attack,
    decoys: tenant.decoys,
    engagementApp: engagement,
    remediationClient: tenant.remediationClient,
    counts: {
      applications: tenant.applications.length,
      servicePrincipals: tenant.servicePrincipals.length,
      users: tenant.users.length,
      admins: new Set(tenant.directoryRoleAssignments.filter((r) => r.principalType === 'User').map((r) => r.principalId)).size,
      usersWithoutMfa: tenant.userRegistrationDetails.filter((r) => !r.isMfaRegistered).length,
      appRoleAssignments: tenant.appRoleAssignments.length,
      oauth2PermissionGrants: tenant.oauth2PermissionGrants.length,
      directoryRoles: tenant.directoryRoles.length,
      roleAssignments: tenant.directoryRoleAssignments.length,
      conditionalAccessPolicies: tenant.conditionalAccessPolicies.length,
    },
  };
}
