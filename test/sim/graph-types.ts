// Test tooling (Node): TypeScript shapes of the Microsoft Graph v1.0 objects the simulator serves, property order as Graph sends them.

export interface KeyCredential {
  customKeyIdentifier: string | null;
  displayName: string | null;
  endDateTime: string;
  /** Graph never returns the key material in a list or get. */
  key: null;
  keyId: string;
  startDateTime: string;
  type: 'AsymmetricX509Cert' | 'Symmetric';
  usage: 'Verify' | 'Sign';
}

export interface PasswordCredential {
  customKeyIdentifier: string | null;
  displayName: string | null;
  endDateTime: string;
  hint: string;
  keyId: string;
  /** Only addPassword's response carries the secret; every GET answers null. */
  secretText: null;
  startDateTime: string;
}

export interface ResourceAccess {
  id: string;
  type: 'Role' | 'Scope';
}

export interface RequiredResourceAccess {
  resourceAppId: string;
  resourceAccess: ResourceAccess[];
}

export interface AppRole {
  allowedMemberTypes: string[];
  description: string;
  displayName: string;
  id: string;
  isEnabled: boolean;
  origin: 'Application';
  value: string | null;
}

export interface PermissionScope {
  adminConsentDescription: string;
  adminConsentDisplayName: string;
  id: string;
  isEnabled: boolean;
  type: 'User' | 'Admin';
  userConsentDescription: string | null;
  userConsentDisplayName: string | null;
  value: string;
}

export interface VerifiedPublisher {
  displayName: string | null;
  verifiedPublisherId: string | null;
  addedDateTime: string | null;
}

export interface InformationalUrl {
  logoUrl: string | null;
  marketingUrl: string | null;
  privacyStatementUrl: string | null;
  supportUrl: string | null;
  termsOfServiceUrl: string | null;
}

export type SignInAudience = 'AzureADMyOrg' | 'AzureADMultipleOrgs' | 'AzureADandPersonalMicrosoftAccount' | 'PersonalMicrosoftAccount';

/** `GET /v1.0/applications` item, in the order a real tenant's dump lists the properties. */
export interface GraphApplication {
  id: string;
  deletedDateTime: string | null;
  appId: string;
  applicationTemplateId: string | null;
  disabledByMicrosoftStatus: string | null;
  createdDateTime: string;
  displayName: string;
  description: string | null;
  groupMembershipClaims: string | null;
  identifierUris: string[];
  isDeviceOnlyAuthSupported: boolean | null;
  isFallbackPublicClient: boolean | null;
  nativeAuthenticationApisEnabled: string | null;
  notes: string | null;
  publisherDomain: string;
  serviceManagementReference: string | null;
  signInAudience: SignInAudience;
  tags: string[];
  tokenEncryptionKeyId: string | null;
  samlMetadataUrl: string | null;
  defaultRedirectUri: string | null;
  certification: null;
  optionalClaims: null;
  requestSignatureVerification: null;
  addIns: never[];
  api: {
    acceptMappedClaims: boolean | null;
    knownClientApplications: string[];
    requestedAccessTokenVersion: number | null;
    oauth2PermissionScopes: PermissionScope[];
    preAuthorizedApplications: { appId: string; delegatedPermissionIds: string[] }[];
  };
  appRoles: AppRole[];
  info: InformationalUrl;
  keyCredentials: KeyCredential[];
  parentalControlSettings: { countriesBlockedForMinors: string[]; legalAgeGroupRule: string };
  passwordCredentials: PasswordCredential[];
  publicClient: { redirectUris: string[] };
  requiredResourceAccess: RequiredResourceAccess[];
  verifiedPublisher: VerifiedPublisher;
  web: {
    homePageUrl: string | null;
    logoutUrl: string | null;
    redirectUris: string[];
    implicitGrantSettings: { enableAccessTokenIssuance: boolean; enableIdTokenIssuance: boolean };
    redirectUriSettings: { uri: string; index: number | null }[];
  };
  servicePrincipalLockConfiguration: {
    isEnabled: boolean;
    allProperties: boolean;
    credentialsWithUsageVerify: boolean;
    credentialsWithUsageSign: boolean;
    identifierUris: boolean;
    tokenEncryptionKeyId: boolean;
  } | null;
  spa: { redirectUris: string[] };
}

/** `GET /v1.0/servicePrincipals` item. */
export interface GraphServicePrincipal {
  id: string;
  deletedDateTime: string | null;
  accountEnabled: boolean;
  alternativeNames: string[];
  appDisplayName: string;
  appDescription: string | null;
  appId: string;
  applicationTemplateId: string | null;
  appOwnerOrganizationId: string;
  appRoleAssignmentRequired: boolean;
  createdDateTime: string;
  description: string | null;
  disabledByMicrosoftStatus: string | null;
  displayName: string;
  homepage: string | null;
  loginUrl: string | null;
  logoutUrl: string | null;
  notes: string | null;
  notificationEmailAddresses: string[];
  preferredSingleSignOnMode: string | null;
  preferredTokenSigningKeyThumbprint: string | null;
  replyUrls: string[];
  servicePrincipalNames: string[];
  servicePrincipalType: 'Application' | 'ManagedIdentity' | 'Legacy' | 'SocialIdp';
  signInAudience: SignInAudience;
  tags: string[];
  tokenEncryptionKeyId: string | null;
  samlSingleSignOnSettings: null;
  addIns: never[];
  appRoles: AppRole[];
  info: InformationalUrl;
  keyCredentials: KeyCredential[];
  oauth2PermissionScopes: PermissionScope[];
  passwordCredentials: PasswordCredential[];
  resourceSpecificApplicationPermissions: never[];
  verifiedPublisher: VerifiedPublisher;
}

/**
 * A user. The first eleven properties are Graph's default projection for /users and /me;
 * the rest come back only through $select, as in Graph.
 */
export interface GraphUser {
  businessPhones: string[];
  displayName: string;
  givenName: string;
  jobTitle: string | null;
  mail: string;
  mobilePhone: string | null;
  officeLocation: string | null;
  preferredLanguage: string | null;
  surname: string;
  userPrincipalName: string;
  id: string;
  accountEnabled: boolean;
  createdDateTime: string;
  userType: 'Member' | 'Guest';
  /** Moves when a password is reset (PATCH passwordProfile). */
  lastPasswordChangeDateTime: string;
  /** Moves on revokeSignInSessions: refresh tokens and session cookies issued before it stop working. */
  signInSessionsValidFromDateTime: string;
  onPremisesSyncEnabled: boolean | null;
}

export const USER_DEFAULT_PROPERTIES = [
  'businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone',
  'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id',
] as const;

export interface VerifiedDomain {
  capabilities: string;
  isDefault: boolean;
  isInitial: boolean;
  name: string;
  type: 'Managed' | 'Federated';
}

export interface GraphOrganization {
  id: string;
  deletedDateTime: string | null;
  businessPhones: string[];
  city: string | null;
  country: string | null;
  countryLetterCode: string | null;
  createdDateTime: string;
  defaultUsageLocation: string | null;
  displayName: string;
  isMultipleDataLocationsForServicesEnabled: boolean | null;
  marketingNotificationEmails: string[];
  onPremisesLastSyncDateTime: string | null;
  onPremisesSyncEnabled: boolean | null;
  partnerTenantType: string | null;
  postalCode: string | null;
  preferredLanguage: string | null;
  securityComplianceNotificationMails: string[];
  securityComplianceNotificationPhones: string[];
  state: string | null;
  street: string | null;
  technicalNotificationMails: string[];
  tenantType: string;
  directorySizeQuota: { used: number; total: number };
  assignedPlans: { assignedDateTime: string; capabilityStatus: string; service: string; servicePlanId: string }[];
  privacyProfile: { contactEmail: string; statementUrl: string };
  provisionedPlans: { capabilityStatus: string; provisioningStatus: string; service: string }[];
  verifiedDomains: VerifiedDomain[];
}

/** `appRoleAssignment`: an application permission granted to a service principal (admin consent). */
export interface GraphAppRoleAssignment {
  id: string;
  deletedDateTime: string | null;
  appRoleId: string;
  createdDateTime: string;
  principalDisplayName: string;
  principalId: string;
  principalType: 'ServicePrincipal' | 'User' | 'Group';
  resourceDisplayName: string;
  resourceId: string;
}

/** `oAuth2PermissionGrant`: delegated permissions consented for a client on a resource. */
export interface GraphOAuth2PermissionGrant {
  clientId: string;
  consentType: 'AllPrincipals' | 'Principal';
  id: string;
  principalId: string | null;
  resourceId: string;
  /** Space-separated, as Graph stores it. */
  scope: string;
}

/** Directory role membership; Graph serves it as a unifiedRoleAssignment (id, principalId, roleDefinitionId, directoryScopeId, appScopeId). */
export interface DirectoryRoleAssignment {
  id: string;
  principalId: string;
  principalType: 'User' | 'ServicePrincipal';
  roleDefinitionId: string;
  createdDateTime: string;
}

/** `GET /reports/authenticationMethods/userRegistrationDetails` item (v1.0). */
export interface GraphUserRegistrationDetails {
  id: string;
  userPrincipalName: string;
  userDisplayName: string;
  userType: 'member' | 'guest';
  isAdmin: boolean;
  isSsprRegistered: boolean;
  isSsprEnabled: boolean;
  isSsprCapable: boolean;
  isMfaRegistered: boolean;
  isMfaCapable: boolean;
  isPasswordlessCapable: boolean;
  isSystemPreferredAuthenticationMethodEnabled: boolean;
  systemPreferredAuthenticationMethods: string[];
  userPreferredMethodForSecondaryAuthentication: string;
  methodsRegistered: string[];
  lastUpdatedDateTime: string;
}

/** `GET /policies/identitySecurityDefaultsEnforcementPolicy`. */
export interface GraphSecurityDefaultsPolicy {
  id: string;
  displayName: string;
  description: string;
  isEnabled: boolean;
}

/** `GET /identity/conditionalAccess/policies` item (v1.0), reduced to the conditions and controls tenants use. */
export interface GraphConditionalAccessPolicy {
  id: string;
  templateId: string | null;
  displayName: string;
  createdDateTime: string;
  modifiedDateTime: string | null;
  state: 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';
  sessionControls: null | Record<string, unknown>;
  conditions: {
    userRiskLevels: string[];
    signInRiskLevels: string[];
    clientAppTypes: string[];
    servicePrincipalRiskLevels: string[];
    platforms: null | { includePlatforms: string[]; excludePlatforms: string[] };
    locations: null | { includeLocations: string[]; excludeLocations: string[] };
    devices: null;
    clientApplications: null;
    applications: { includeApplications: string[]; excludeApplications: string[]; includeUserActions: string[]; includeAuthenticationContextClassReferences: string[] };
    users: {
      includeUsers: string[]; excludeUsers: string[]; includeGroups: string[]; excludeGroups: string[];
      includeRoles: string[]; excludeRoles: string[]; includeGuestsOrExternalUsers: null; excludeGuestsOrExternalUsers: null;
    };
    /** Authentication flows the policy targets (`transferMethods`: "deviceCodeFlow", "authenticationTransfer", comma-separated). */
    authenticationFlows?: { transferMethods: string };
  };
  grantControls: null | { operator: 'OR' | 'AND'; builtInControls: string[]; customAuthenticationFactors: string[]; termsOfUse: string[]; authenticationStrength: null };
}

/** An activated directory role (`GET /directoryRoles`). */
export interface GraphDirectoryRole {
  id: string;
  deletedDateTime: string | null;
  description: string;
  displayName: string;
  roleTemplateId: string;
}
