// Test tooling (Node): builders for single log records in the shapes Entra and the Unified Audit Log write them (used by the generators and by simulated writes).
import type { Prng } from '../prng';
import type {
  AuditAppIdentity, AuthenticationDetail, AuditUserIdentity, GraphDirectoryAudit, GraphSignIn, ModifiedProperty, TargetResource,
  UnifiedAuditRecord, UnifiedAuditSearchRow,
} from './types';

// ---- time formats ----------------------------------------------------------------

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY_MS = 86_400_000;
// Records arrive day by day: the date part is formatted once per day (Date#toISOString dominated generation).
let cachedDay = Number.NaN;
let cachedPrefix = '';

/** `YYYY-MM-DDTHH:MM:SS` (UTC) and the milliseconds left over. */
function isoParts(ms: number): [string, number] {
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const inDay = ms - day * DAY_MS;
  const secs = Math.floor(inDay / 1000);
  const text = `${cachedPrefix}${PAD2[Math.floor(secs / 3600)] ?? '00'}:${PAD2[Math.floor((secs % 3600) / 60)] ?? '00'}:${PAD2[secs % 60] ?? '00'}`;
  return [text, Math.floor(inDay - secs * 1000)];
}

/** Sign-ins: seconds precision with Z (`2023-12-01T16:03:35Z`). */
export function signInTime(ms: number): string {
  return `${isoParts(ms)[0]}Z`;
}

/** Directory audits: seven fractional digits (`2018-01-09T21:20:02.7215374Z`); the simulator has milliseconds. */
export function auditTime(ms: number): string {
  const [text, rest] = isoParts(ms);
  return `${text}.${PAD3[rest] ?? '000'}0000Z`;
}

/** Office 365 Management Activity `CreationTime`: UTC, seconds, no zone suffix. */
export function ualTime(ms: number): string {
  return isoParts(ms)[0];
}

/** Search-UnifiedAuditLog `CreationDate` as the REST module serialises it (UTC, seconds). */
export function ualRowTime(ms: number): string {
  return `${ualTime(ms)}Z`;
}

// ---- identifiers -------------------------------------------------------------------

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function word(w: number): string {
  return (HEX[(w >>> 24) & 255] as string) + (HEX[(w >>> 16) & 255] as string) + (HEX[(w >>> 8) & 255] as string) + (HEX[w & 255] as string);
}

/** A version-4 GUID from four 32-bit words (the layout Entra uses for object and record ids). */
function guidFromWords(a: number, b: number, c: number, d: number): string {
  const b2 = ((b & 0xffff0fff) | 0x00004000) >>> 0;
  const c2 = ((c & 0x3fffffff) | 0x80000000) >>> 0;
  const bh = word(b2);
  const ch = word(c2);
  return `${word(a)}-${bh.slice(0, 4)}-${bh.slice(4)}-${ch.slice(0, 4)}-${ch.slice(4)}${word(d)}`;
}

/** A GUID from the seeded generator, about twenty times cheaper than Prng.guid (millions of log records need it). */
export function fastGuid(prng: Prng): string {
  return guidFromWords((prng.next() * 4294967296) >>> 0, (prng.next() * 4294967296) >>> 0, (prng.next() * 4294967296) >>> 0, (prng.next() * 4294967296) >>> 0);
}

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** n base64url characters (sign-in uniqueTokenIdentifier). */
export function fastToken(prng: Prng, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += TOKEN_CHARS.charAt((prng.next() * 64) | 0);
  return out;
}

/** Deterministic GUID from a string, for records mirrored from another record (same source, same id). */
export function derivedGuid(text: string): string {
  // FNV-1a with four different offsets in one pass: enough spread for record ids.
  let h0 = 0x811c9dc5;
  let h1 = 0x050c5d1f;
  let h2 = 0x6b43a9b5;
  let h3 = 0x2f8b9c6d;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h0 = Math.imul(h0 ^ k, 0x01000193);
    h1 = Math.imul(h1 ^ k, 0x01000193) ^ (h0 >>> 15);
    h2 = Math.imul(h2 ^ k, 0x01000193) ^ (h1 >>> 13);
    h3 = Math.imul(h3 ^ k, 0x01000193) ^ (h2 >>> 11);
  }
  return guidFromWords(h0 >>> 0, h1 >>> 0, h2 >>> 0, h3 >>> 0);
}

const ID_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Entra directory audit ids look like `Directory_<correlationId>_<5 chars>_<9 digits>`. */
export function directoryAuditId(prng: Prng, correlationId: string, service = 'Directory'): string {
  return `${service}_${correlationId}_${prng.chars(5, ID_SUFFIX_ALPHABET)}_${prng.int(10_000_000, 999_999_999)}`;
}

// ---- sign-ins -----------------------------------------------------------------------

export interface SignInApp {
  appId: string;
  appDisplayName: string;
  resourceId: string;
  resourceDisplayName: string;
  clientAppUsed: string;
}

export interface SignInPlace {
  city: string;
  state: string;
  countryOrRegion: string;
  latitude: number;
  longitude: number;
}

export interface SignInInput {
  id: string;
  ms: number;
  tenantId: string;
  user: { id: string; displayName: string; userPrincipalName: string };
  app: SignInApp;
  ipAddress: string;
  place: SignInPlace;
  device: { operatingSystem: string; browser: string };
  errorCode: number;
  /** MFA was performed (success with a second factor) or demanded. */
  multiFactor: boolean;
  correlationId: string;
  tokenIdentifier: string;
  protocol: GraphSignIn['authenticationProtocol'];
  processingMs: number;
}

/** failureReason texts as the sign-in log shows them for the codes the scenario uses. */
export const SIGNIN_ERRORS: Record<number, string> = {
  50034: 'The user account does not exist in the tenant directory.',
  50053: 'Account is locked because user tried to sign in too many times with an incorrect user ID or password.',
  50055: 'The password is expired.',
  50057: 'The user account is disabled.',
  50074: 'Strong Authentication is required.',
  50076: 'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.',
  50079: 'Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access the resource.',
  50126: 'Error validating credentials due to invalid username or password.',
  50140: "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
};

export function signInRecord(input: SignInInput): GraphSignIn {
  const ok = input.errorCode === 0;
  const stepTime = signInTime(input.ms - 1000);
  const passwordStep = {
    authenticationStepDateTime: stepTime,
    authenticationMethod: 'Password',
    authenticationMethodDetail: 'Password in the cloud',
    succeeded: ok || input.errorCode === 50076 || input.errorCode === 50079 || input.errorCode === 50074,
    authenticationStepResultDetail: ok || input.errorCode === 50076 || input.errorCode === 50074
      ? 'Correct password' : input.errorCode === 50053 ? 'Account locked' : input.errorCode === 50057 ? 'User is disabled' : 'Invalid username or password or Invalid on-premise username or password.',
    authenticationStepRequirement: 'Primary authentication',
  };
  const details: AuthenticationDetail[] = [passwordStep];
  if (input.multiFactor && ok) {
    details.push({
      authenticationStepDateTime: signInTime(input.ms), authenticationMethod: 'Mobile app notification', authenticationMethodDetail: null,
      succeeded: true, authenticationStepResultDetail: 'MFA successfully completed', authenticationStepRequirement: 'Multi-factor authentication',
    });
  }
  return {
    id: input.id,
    createdDateTime: signInTime(input.ms),
    userDisplayName: input.user.displayName,
    userPrincipalName: input.user.userPrincipalName,
    userId: input.user.id,
    appId: input.app.appId,
    appDisplayName: input.app.appDisplayName,
    ipAddress: input.ipAddress,
    clientAppUsed: input.app.clientAppUsed,
    correlationId: input.correlationId,
    conditionalAccessStatus: 'notApplied',
    isInteractive: true,
    riskDetail: 'hidden',
    riskLevelAggregated: 'hidden',
    riskLevelDuringSignIn: 'hidden',
    riskState: 'none',
    riskEventTypes: [],
    riskEventTypes_v2: [],
    resourceDisplayName: input.app.resourceDisplayName,
    resourceId: input.app.resourceId,
    status: { errorCode: input.errorCode, failureReason: ok ? null : (SIGNIN_ERRORS[input.errorCode] ?? 'Other.'), additionalDetails: ok && input.multiFactor ? 'MFA requirement satisfied by claim in the token' : null },
    deviceDetail: { deviceId: '', displayName: null, operatingSystem: input.device.operatingSystem, browser: input.device.browser, isCompliant: null, isManaged: null, trustType: null },
    location: {
      city: input.place.city, state: input.place.state, countryOrRegion: input.place.countryOrRegion,
      geoCoordinates: { altitude: null, latitude: input.place.latitude, longitude: input.place.longitude },
    },
    appliedConditionalAccessPolicies: [],
    authenticationRequirement: input.multiFactor ? 'multiFactorAuthentication' : 'singleFactorAuthentication',
    authenticationDetails: details,
    authenticationMethodsUsed: input.multiFactor && ok ? ['Password', 'Mobile app notification'] : ['Password'],
    signInEventTypes: ['interactiveUser'],
    userType: 'member',
    tokenIssuerType: 'AzureAD',
    clientCredentialType: 'none',
    authenticationProtocol: input.protocol,
    incomingTokenType: 'none',
    resourceTenantId: input.tenantId,
    homeTenantId: input.tenantId,
    uniqueTokenIdentifier: input.tokenIdentifier,
    processingTimeInMilliseconds: input.processingMs,
  };
}

// ---- directory audits -----------------------------------------------------------------

export interface DirectoryAuditInput {
  id: string;
  ms: number;
  correlationId: string;
  activityDisplayName: string;
  category: string;
  operationType: GraphDirectoryAudit['operationType'];
  loggedByService?: string;
  result?: 'success' | 'failure';
  resultReason?: string;
  initiatedBy: { user: AuditUserIdentity } | { app: AuditAppIdentity };
  targetResources: TargetResource[];
  additionalDetails?: { key: string; value: string }[];
}

/** A directory audit as Graph serves it; DIR's writes use this for the audit of each change. */
export function directoryAuditRecord(input: DirectoryAuditInput): GraphDirectoryAudit {
  return {
    id: input.id,
    category: input.category,
    correlationId: input.correlationId,
    result: input.result ?? 'success',
    resultReason: input.resultReason ?? '',
    activityDisplayName: input.activityDisplayName,
    activityDateTime: auditTime(input.ms),
    loggedByService: input.loggedByService ?? 'Core Directory',
    operationType: input.operationType,
    initiatedBy: 'user' in input.initiatedBy ? { user: input.initiatedBy.user, app: null } : { user: null, app: input.initiatedBy.app },
    targetResources: input.targetResources,
    additionalDetails: input.additionalDetails ?? [],
  };
}

export function target(type: TargetResource['type'], id: string, displayName: string | null, modifiedProperties: ModifiedProperty[] = [], upn: string | null = null): TargetResource {
  return { id, displayName, type, userPrincipalName: upn, groupType: type === 'Group' ? 'unifiedGroups' : null, modifiedProperties };
}

export function prop(displayName: string, oldValue: string | null, newValue: string | null): ModifiedProperty {
  return { displayName, oldValue, newValue };
}

// ---- Unified Audit Log ----------------------------------------------------------------------

/** Search-UnifiedAuditLog `RecordType` names and their numbers in AuditData. */
export const UAL_RECORD_TYPES = {
  ExchangeAdmin: 1,
  AzureActiveDirectory: 8,
  AzureActiveDirectoryStsLogon: 15,
  SecurityComplianceAlerts: 40,
} as const;

export type UalRecordTypeName = keyof typeof UAL_RECORD_TYPES;

export function ualRecord(recordType: UalRecordTypeName, ms: number, userId: string, operation: string, auditData: Record<string, unknown>): UnifiedAuditRecord {
  return {
    RecordType: recordType,
    CreationDate: ualRowTime(ms),
    UserIds: userId,
    Operations: operation,
    AuditData: JSON.stringify(auditData),
    Identity: String(auditData.Id),
    IsValid: true,
    ObjectState: 'Unchanged',
  };
}

export interface ExchangeAdminInput {
  id: string;
  ms: number;
  tenantId: string;
  tenantDomain: string;
  operation: string;
  objectId: string;
  parameters: { Name: string; Value: string }[];
  /** UPN for admins, the service principal id for app-only sessions, `NT AUTHORITY\SYSTEM (…)` for the service. */
  userId: string;
  userKey: string;
  /** 2 admin, 4 system, 5 application (app-only). */
  userType: number;
  appId: string;
  clientIp: string;
  originatingServer: string;
  resultStatus?: 'True' | 'False';
}

/** An ExchangeAdmin record (RecordType 1): a cmdlet run, as EXO's writes and the attacker's script leave it. */
export function exchangeAdminRecord(input: ExchangeAdminInput): UnifiedAuditRecord {
  const data = {
    CreationTime: ualTime(input.ms),
    Id: input.id,
    Operation: input.operation,
    OrganizationId: input.tenantId,
    RecordType: UAL_RECORD_TYPES.ExchangeAdmin,
    ResultStatus: input.resultStatus ?? 'True',
    UserKey: input.userKey,
    UserType: input.userType,
    Version: 1,
    Workload: 'Exchange',
    ClientIP: input.clientIp,
    ObjectId: input.objectId,
    UserId: input.userId,
    AppId: input.appId,
    ClientAppId: '',
    ExternalAccess: input.userType === 4,
    OrganizationName: input.tenantDomain,
    OriginatingServer: input.originatingServer,
    Parameters: input.parameters,
    SessionId: derivedGuid(`session|${input.userKey}|${Math.floor(input.ms / 3_600_000)}`),
  };
  return ualRecord('ExchangeAdmin', input.ms, input.userId, input.operation, data);
}

export interface AlertInput {
  id: string;
  alertId: string;
  policyId: string;
  ms: number;
  tenantId: string;
  name: string;
  description: string;
  severity: 'Informational' | 'Low' | 'Medium' | 'High';
  category: string;
  /** What the alert is about (the sending identity or object). */
  objectId: string;
}

/** A SecurityComplianceAlerts (RecordType 40) `AlertTriggered` record, as the default alert policies write them. */
export function alertRecord(input: AlertInput): UnifiedAuditRecord {
  const stamp = `${ualTime(input.ms)}.0000000Z`;
  const data = {
    CreationTime: ualTime(input.ms),
    Id: input.id,
    Operation: 'AlertTriggered',
    OrganizationId: input.tenantId,
    RecordType: UAL_RECORD_TYPES.SecurityComplianceAlerts,
    ResultStatus: 'Succeeded',
    UserKey: 'SecurityComplianceAlerts',
    UserType: 4,
    Version: 1,
    Workload: 'SecurityComplianceCenter',
    ObjectId: input.objectId,
    UserId: 'SecurityComplianceAlerts',
    AlertId: input.alertId,
    AlertLinks: [{ AlertLinkHref: '' }],
    AlertType: 'System',
    Category: input.category,
    Comments: 'New alert',
    Data: JSON.stringify({ ts: stamp, te: stamp, tid: input.tenantId, tdc: '1', af: '0', op: 'Protection', mdt: 'u', ad: input.description, an: input.name, sev: input.severity }),
    Name: input.name,
    PolicyId: input.policyId,
    Severity: input.severity,
    Source: 'Office 365 Security & Compliance',
    Status: 'Active',
  };
  return ualRecord('SecurityComplianceAlerts', input.ms, 'SecurityComplianceAlerts', 'AlertTriggered', data);
}

/** The UAL operation name for a directory audit activity: a trailing period, except the credential activities that already end in a space. */
export function ualOperationFor(activityDisplayName: string): string {
  return activityDisplayName.endsWith(' ') ? activityDisplayName : `${activityDisplayName}.`;
}

const AUDIT_CATEGORY_TO_UAL: Record<string, string> = {
  ApplicationManagement: 'Application',
  RoleManagement: 'Role',
  UserManagement: 'User',
  GroupManagement: 'Group',
  Policy: 'Policy',
  Device: 'Device',
};

/** The AzureActiveDirectory (RecordType 8) mirror of a directory audit, as the Unified Audit Log stores it. */
export function directoryAuditMirror(audit: GraphDirectoryAudit, ms: number, tenantId: string): UnifiedAuditRecord {
  const first = audit.targetResources[0];
  const user = audit.initiatedBy.user;
  const app = audit.initiatedBy.app;
  const actorId = user ? user.userPrincipalName : (app?.displayName ?? 'Unknown');
  const actorObject = user ? user.id : (app?.servicePrincipalId ?? '');
  const actorType = user ? 'User' : 'ServicePrincipal';
  const objectId = first ? (first.userPrincipalName ?? (first.type === 'User' ? first.id : `${first.type}_${first.id}`)) : '';
  const data: Record<string, unknown> = {
    CreationTime: ualTime(ms),
    Id: derivedGuid(`ual|${audit.id}`),
    Operation: ualOperationFor(audit.activityDisplayName),
    OrganizationId: tenantId,
    RecordType: UAL_RECORD_TYPES.AzureActiveDirectory,
    ResultStatus: audit.result === 'success' ? 'Success' : 'Failure',
    UserKey: actorObject,
    UserType: user ? 0 : 4,
    Version: 1,
    Workload: 'AzureActiveDirectory',
    ObjectId: objectId,
    UserId: actorId,
    AzureActiveDirectoryEventType: 1,
    ExtendedProperties: [
      { Name: 'additionalDetails', Value: JSON.stringify(Object.fromEntries(audit.additionalDetails.map((d) => [d.key, d.value]))) },
      { Name: 'extendedAuditEventCategory', Value: AUDIT_CATEGORY_TO_UAL[audit.category] ?? audit.category },
    ],
    ModifiedProperties: (first?.modifiedProperties ?? []).map((p) => ({ Name: p.displayName, NewValue: p.newValue ?? '', OldValue: p.oldValue ?? '' })),
    Actor: [
      { ID: actorId, Type: 5 },
      { ID: `${actorType}_${actorObject}`, Type: 2 },
      { ID: actorObject, Type: 2 },
      { ID: actorType, Type: 2 },
    ],
    ActorContextId: tenantId,
    ...(user?.ipAddress ? { ActorIpAddress: user.ipAddress, ClientIP: user.ipAddress } : {}),
    InterSystemsId: audit.correlationId,
    IntraSystemId: derivedGuid(`intra|${audit.id}`),
    SupportTicketId: '',
    Target: audit.targetResources.flatMap((t) => [
      { ID: `${t.type}_${t.id}`, Type: 2 },
      { ID: t.id, Type: 2 },
      { ID: t.type, Type: 2 },
      ...(t.displayName ? [{ ID: t.displayName, Type: 1 }] : []),
    ]),
    TargetContextId: tenantId,
  };
  return ualRecord('AzureActiveDirectory', ms, actorId, String(data.Operation), data);
}

/** The AzureActiveDirectoryStsLogon (RecordType 15) mirror of a sign-in: UserLoggedIn or UserLoginFailed. */
export function signInMirror(signIn: GraphSignIn, ms: number, tenantId: string): UnifiedAuditRecord {
  const ok = signIn.status.errorCode === 0;
  const operation = ok ? 'UserLoggedIn' : 'UserLoginFailed';
  const data: Record<string, unknown> = {
    CreationTime: ualTime(ms),
    Id: derivedGuid(`ual|${signIn.id}`),
    Operation: operation,
    OrganizationId: tenantId,
    RecordType: UAL_RECORD_TYPES.AzureActiveDirectoryStsLogon,
    ResultStatus: ok ? 'Success' : 'Failed',
    UserKey: signIn.userId || signIn.userPrincipalName,
    UserType: 0,
    Version: 1,
    Workload: 'AzureActiveDirectory',
    ClientIP: signIn.ipAddress,
    ObjectId: signIn.resourceId,
    UserId: signIn.userPrincipalName,
    AzureActiveDirectoryEventType: 1,
    ExtendedProperties: [
      { Name: 'ResultStatusDetail', Value: ok ? 'Success' : 'UserError' },
      { Name: 'UserAgent', Value: signIn.appId === '1b730954-1685-4b74-9bfd-dac224a7b894' ? 'Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.1' : `${signIn.deviceDetail.browser} (${signIn.deviceDetail.operatingSystem})` },
      { Name: 'RequestType', Value: signIn.authenticationProtocol === 'ropc' ? 'OAuth2:Token' : 'Login:login' },
    ],
    ModifiedProperties: [],
    Actor: [{ ID: signIn.userId, Type: 0 }, { ID: signIn.userPrincipalName, Type: 5 }],
    ActorContextId: tenantId,
    ActorIpAddress: signIn.ipAddress,
    InterSystemsId: signIn.correlationId,
    IntraSystemId: signIn.id,
    SupportTicketId: '',
    Target: [{ ID: signIn.resourceId, Type: 0 }],
    TargetContextId: tenantId,
    ApplicationId: signIn.appId,
    ...(ok ? {} : { LogonError: signIn.status.errorCode === 50126 ? 'InvalidUserNameOrPassword' : `AADSTS${signIn.status.errorCode}` }),
    ErrorNumber: String(signIn.status.errorCode),
  };
  return ualRecord('AzureActiveDirectoryStsLogon', ms, signIn.userPrincipalName, operation, data);
}

/** A Search-UnifiedAuditLog output row: the stored record plus the search's ResultIndex/ResultCount, in PowerShell's property order. */
export function searchRow(record: UnifiedAuditRecord, index: number, count: number, runspaceId: string): UnifiedAuditSearchRow {
  return {
    RunspaceId: runspaceId,
    RecordType: record.RecordType,
    CreationDate: record.CreationDate,
    UserIds: record.UserIds,
    Operations: record.Operations,
    AuditData: record.AuditData,
    ResultIndex: index,
    ResultCount: count,
    Identity: record.Identity,
    IsValid: record.IsValid,
    ObjectState: record.ObjectState,
  };
}
