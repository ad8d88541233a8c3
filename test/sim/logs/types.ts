// Test tooling (Node): shapes of the log records the simulator serves: Entra sign-ins and directory audits (Graph), Unified Audit Log rows (Search-UnifiedAuditLog).

export interface SignInStatus {
  errorCode: number;
  failureReason: string | null;
  additionalDetails: string | null;
}

export interface SignInDeviceDetail {
  deviceId: string;
  displayName: string | null;
  operatingSystem: string;
  browser: string;
  isCompliant: boolean | null;
  isManaged: boolean | null;
  trustType: string | null;
}

export interface SignInLocation {
  city: string;
  state: string;
  countryOrRegion: string;
  geoCoordinates: { altitude: number | null; latitude: number; longitude: number };
}

export interface AuthenticationDetail {
  authenticationStepDateTime: string;
  authenticationMethod: string;
  authenticationMethodDetail: string | null;
  succeeded: boolean;
  authenticationStepResultDetail: string;
  authenticationStepRequirement: string;
}

/**
 * A sign-in as `GET /beta/auditLogs/signIns` returns it. `/v1.0` serves the subset in SIGNIN_V1_PROPERTIES
 * (authenticationRequirement, signInEventTypes and the other authentication fields are beta-only).
 */
export interface GraphSignIn {
  id: string;
  createdDateTime: string;
  userDisplayName: string;
  userPrincipalName: string;
  userId: string;
  appId: string;
  appDisplayName: string;
  ipAddress: string;
  clientAppUsed: string;
  correlationId: string;
  conditionalAccessStatus: 'success' | 'failure' | 'notApplied';
  isInteractive: boolean;
  riskDetail: string;
  riskLevelAggregated: string;
  riskLevelDuringSignIn: string;
  riskState: string;
  riskEventTypes: string[];
  riskEventTypes_v2: string[];
  resourceDisplayName: string;
  resourceId: string;
  status: SignInStatus;
  deviceDetail: SignInDeviceDetail;
  location: SignInLocation;
  appliedConditionalAccessPolicies: never[];
  authenticationRequirement: 'singleFactorAuthentication' | 'multiFactorAuthentication';
  authenticationDetails: AuthenticationDetail[];
  authenticationMethodsUsed: string[];
  signInEventTypes: string[];
  userType: 'member' | 'guest';
  tokenIssuerType: 'AzureAD';
  clientCredentialType: 'none' | 'clientSecret' | 'certificate';
  authenticationProtocol: 'none' | 'ropc' | 'deviceCode' | 'oAuth2';
  incomingTokenType: 'none' | 'refreshToken';
  resourceTenantId: string;
  homeTenantId: string;
  uniqueTokenIdentifier: string;
  processingTimeInMilliseconds: number;
  /** Service-principal sign-ins only (beta): who signed in, and with which of its credentials. */
  servicePrincipalId?: string;
  servicePrincipalName?: string;
  servicePrincipalCredentialKeyId?: string;
  servicePrincipalCredentialThumbprint?: string;
}

/** The v1.0 signIn resource's properties, in the order Graph sends them. */
export const SIGNIN_V1_PROPERTIES = [
  'id', 'createdDateTime', 'userDisplayName', 'userPrincipalName', 'userId', 'appId', 'appDisplayName', 'ipAddress',
  'clientAppUsed', 'correlationId', 'conditionalAccessStatus', 'isInteractive', 'riskDetail', 'riskLevelAggregated',
  'riskLevelDuringSignIn', 'riskState', 'riskEventTypes', 'riskEventTypes_v2', 'resourceDisplayName', 'resourceId',
  'status', 'deviceDetail', 'location', 'appliedConditionalAccessPolicies',
] as const satisfies readonly (keyof GraphSignIn)[];

export interface ModifiedProperty {
  displayName: string;
  oldValue: string | null;
  newValue: string | null;
}

export interface TargetResource {
  id: string;
  displayName: string | null;
  type: 'User' | 'Group' | 'Application' | 'ServicePrincipal' | 'Role' | 'Policy' | 'Other' | 'Device';
  userPrincipalName: string | null;
  groupType: string | null;
  modifiedProperties: ModifiedProperty[];
}

export interface AuditUserIdentity {
  id: string;
  displayName: string | null;
  userPrincipalName: string;
  ipAddress: string | null;
}

export interface AuditAppIdentity {
  appId: string | null;
  displayName: string;
  servicePrincipalId: string;
  servicePrincipalName: string | null;
}

/** `GET /v1.0/auditLogs/directoryAudits` item. */
export interface GraphDirectoryAudit {
  id: string;
  category: string;
  correlationId: string;
  result: 'success' | 'failure';
  resultReason: string;
  activityDisplayName: string;
  activityDateTime: string;
  loggedByService: string;
  operationType: 'Add' | 'Update' | 'Delete' | 'Assign' | 'Unassign';
  initiatedBy: { user: AuditUserIdentity | null; app: AuditAppIdentity | null };
  targetResources: TargetResource[];
  additionalDetails: { key: string; value: string }[];
}

/**
 * One row of Search-UnifiedAuditLog output, as Exchange Online PowerShell returns it (ResultIndex and ResultCount
 * are added by the search: see searchRow in records.ts). AuditData is the Office 365 Management Activity record as a
 * JSON string.
 */
export interface UnifiedAuditRecord {
  RecordType: string;
  CreationDate: string;
  UserIds: string;
  Operations: string;
  AuditData: string;
  Identity: string;
  IsValid: true;
  ObjectState: 'Unchanged';
}

export interface UnifiedAuditSearchRow {
  RunspaceId: string;
  RecordType: string;
  CreationDate: string;
  UserIds: string;
  Operations: string;
  AuditData: string;
  ResultIndex: number;
  ResultCount: number;
  Identity: string;
  IsValid: true;
  ObjectState: 'Unchanged';
}

export interface SourceCounts {
  signIns: number;
  directoryAudits: number;
  unifiedAudit: number;
}

/** One `signInEventTypes` kind beside the interactive sign-ins: what Graph serves of it, the attack's records, the decoys'. */
export interface SignInKindTruth {
  /** Records Graph serves for the window (its last graphRetentionDays). */
  count: number;
  malicious: string[];
  decoys: string[];
}

export interface LogsGroundTruth {
  format: 'peregrine-sim-logs-ground-truth/1';
  /** Non-interactive user and service-principal sign-ins (`signInEventTypes` filter on beta). */
  signInKinds: { nonInteractiveUser: SignInKindTruth; servicePrincipal: SignInKindTruth };
  /** The window the tenant has history for, [from, to). */
  window: { from: string; to: string; days: number };
  /** Graph serves sign-ins and directory audits only for this many days before the reference time (P1/P2 retention). */
  graphRetentionDays: number;
  counts: SourceCounts;
  /** What Graph's /auditLogs routes serve of the window: the sign-ins and directory audits of its last graphRetentionDays. */
  countsServedByGraph: Pick<SourceCounts, 'signIns' | 'directoryAudits'>;
  countsPerDay: ({ day: string } & SourceCounts)[];
  /** Ids of every malicious record in the window: sign-in ids, directory audit ids, UAL record ids (AuditData.Id = Identity). */
  malicious: {
    signIns: string[];
    directoryAudits: string[];
    unifiedAudit: string[];
  };
  /** Records that look suspicious but are benign (ATTACK.md decoys). */
  decoys: {
    signIns: string[];
    directoryAudits: string[];
    unifiedAudit: string[];
  };
  attack: {
    attackerIp: string;
    compromisedUserPrincipalNames: string[];
    stuffingStart: string;
    stuffingEnd: string;
    targetedAccounts: number;
    connectorName: string;
    ruleNames: string[];
    exchangeCycles: { created: string; removed: string | null }[];
  };
}
