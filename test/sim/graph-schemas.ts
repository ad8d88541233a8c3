// Test tooling (Node): zod schemas of Graph v1.0 objects, checked against Microsoft's documented examples and against the simulator's output alike.
import { z } from 'zod';

const nullableString = z.string().nullable();
const isoDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/);

export const keyCredentialSchema = z.object({
  customKeyIdentifier: nullableString,
  displayName: nullableString,
  endDateTime: isoDateTime,
  key: z.string().nullable(),
  keyId: z.string(),
  startDateTime: isoDateTime,
  type: z.string(),
  usage: z.string(),
});

export const passwordCredentialSchema = z.object({
  customKeyIdentifier: nullableString,
  displayName: nullableString,
  endDateTime: isoDateTime,
  hint: nullableString,
  keyId: z.string(),
  secretText: nullableString,
  startDateTime: isoDateTime,
});

const requiredResourceAccessSchema = z.object({
  resourceAppId: z.string(),
  resourceAccess: z.array(z.object({ id: z.string(), type: z.enum(['Role', 'Scope']) })),
});

const appRoleSchema = z.object({
  allowedMemberTypes: z.array(z.string()),
  description: nullableString,
  displayName: nullableString,
  id: z.string(),
  isEnabled: z.boolean(),
  value: nullableString,
});

const permissionScopeSchema = z.object({
  adminConsentDescription: nullableString,
  adminConsentDisplayName: nullableString,
  id: z.string(),
  isEnabled: z.boolean(),
  type: z.string(),
  value: nullableString,
});

const informationalUrlSchema = z.object({
  termsOfServiceUrl: nullableString,
  supportUrl: nullableString,
  privacyStatementUrl: nullableString,
  marketingUrl: nullableString,
  logoUrl: nullableString,
});

const verifiedPublisherSchema = z.object({
  displayName: nullableString,
  verifiedPublisherId: nullableString,
  addedDateTime: nullableString,
});

const signInAudienceSchema = z.enum(['AzureADMyOrg', 'AzureADMultipleOrgs', 'AzureADandPersonalMicrosoftAccount', 'PersonalMicrosoftAccount']);

/** The properties of an application that both Graph's documented GET example and the simulator carry. */
export const applicationSchema = z.object({
  id: z.string(),
  deletedDateTime: nullableString,
  appId: z.string(),
  applicationTemplateId: nullableString,
  createdDateTime: isoDateTime,
  disabledByMicrosoftStatus: nullableString,
  displayName: z.string(),
  groupMembershipClaims: nullableString,
  identifierUris: z.array(z.string()),
  isDeviceOnlyAuthSupported: z.boolean().nullable(),
  isFallbackPublicClient: z.boolean().nullable(),
  optionalClaims: z.unknown(),
  addIns: z.array(z.unknown()),
  publisherDomain: nullableString,
  samlMetadataUrl: nullableString,
  signInAudience: signInAudienceSchema,
  verifiedPublisher: verifiedPublisherSchema,
  certification: z.unknown(),
  tags: z.array(z.string()),
  tokenEncryptionKeyId: nullableString,
  api: z.object({
    requestedAccessTokenVersion: z.number().nullable(),
    acceptMappedClaims: z.boolean().nullable(),
    knownClientApplications: z.array(z.string()),
    oauth2PermissionScopes: z.array(permissionScopeSchema),
    preAuthorizedApplications: z.array(z.unknown()),
  }),
  appRoles: z.array(appRoleSchema),
  publicClient: z.object({ redirectUris: z.array(z.string()) }),
  info: informationalUrlSchema,
  keyCredentials: z.array(keyCredentialSchema),
  parentalControlSettings: z.object({ countriesBlockedForMinors: z.array(z.string()), legalAgeGroupRule: z.string() }),
  passwordCredentials: z.array(passwordCredentialSchema),
  requiredResourceAccess: z.array(requiredResourceAccessSchema),
  web: z.object({
    redirectUris: z.array(z.string()),
    homePageUrl: nullableString,
    logoutUrl: nullableString,
    implicitGrantSettings: z.object({ enableIdTokenIssuance: z.boolean(), enableAccessTokenIssuance: z.boolean() }),
  }),
});

/** The properties of a service principal that both Graph's documented GET example and the simulator carry. */
export const servicePrincipalSchema = z.object({
  accountEnabled: z.boolean(),
  addIns: z.array(z.unknown()),
  alternativeNames: z.array(z.string()),
  appDisplayName: z.string(),
  appId: z.string(),
  appOwnerOrganizationId: z.string(),
  appRoleAssignmentRequired: z.boolean(),
  appRoles: z.array(appRoleSchema),
  disabledByMicrosoftStatus: nullableString,
  displayName: z.string(),
  homepage: nullableString,
  id: z.string(),
  verifiedPublisher: verifiedPublisherSchema,
  info: informationalUrlSchema,
  keyCredentials: z.array(keyCredentialSchema),
  logoutUrl: nullableString,
  oauth2PermissionScopes: z.array(permissionScopeSchema),
  passwordCredentials: z.array(passwordCredentialSchema),
  replyUrls: z.array(z.string()),
  resourceSpecificApplicationPermissions: z.array(z.unknown()),
  servicePrincipalNames: z.array(z.string()),
  servicePrincipalType: z.string().nullable(),
  signInAudience: signInAudienceSchema,
  tags: z.array(z.string()),
  tokenEncryptionKeyId: nullableString,
});

/** Graph's default projection of a user (GET /me, GET /users/{id}). */
export const userSchema = z.object({
  businessPhones: z.array(z.string()),
  displayName: z.string(),
  givenName: nullableString,
  jobTitle: nullableString,
  mail: nullableString,
  mobilePhone: nullableString,
  officeLocation: nullableString,
  preferredLanguage: nullableString,
  surname: nullableString,
  userPrincipalName: z.string(),
  id: z.string(),
});

export const organizationSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  countryLetterCode: nullableString,
  createdDateTime: isoDateTime.nullable(),
  tenantType: nullableString,
  technicalNotificationMails: z.array(z.string()).nullable(),
  verifiedDomains: z.array(z.object({
    capabilities: z.string(),
    isDefault: z.boolean(),
    isInitial: z.boolean(),
    name: z.string(),
    type: z.string(),
  })),
});

/** An OData collection page: context, optional next link, and the items. */
export function collectionSchema<T extends z.ZodType>(item: T) {
  return z.object({
    '@odata.context': z.string().optional(),
    '@odata.count': z.number().optional(),
    '@odata.nextLink': z.url().optional(),
    value: z.array(item),
  });
}

export const entityContextSchema = z.object({ '@odata.context': z.string() });

export const graphErrorSchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    innerError: z.strictObject({
      date: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
      'request-id': z.guid(),
      'client-request-id': z.string(),
    }),
  }),
});

export const oauthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().regex(/^AADSTS\d+: /),
  error_codes: z.array(z.number()).min(1),
  timestamp: z.string(),
  trace_id: z.guid(),
  correlation_id: z.string(),
});
