// Test tooling (Node): the seeded generators behind the log store: benign sign-ins, audits and Exchange admin noise day by day, and the attack's and decoys' records.
import { createPrng, type Prng } from '../prng';
import { SCENARIOS } from '../scenario-data';
import { adminUsers, type Tenant } from '../scenario';
import { ExchangeState } from '../exchange/state';
import type { GraphUser } from '../graph-types';
import { AZURE_AD_POWERSHELL_CLIENT_ID, DIRECTORY_ROLES, EXCHANGE_APP_ID, EXCHANGE_MANAGE_AS_APP_ROLE_ID, GRAPH_APP_ID } from '../wellknown';
import {
  alertRecord, directoryAuditId, directoryAuditRecord, exchangeAdminRecord, fastGuid, fastToken, prop, signInRecord, target,
  type SignInApp, type SignInPlace,
} from './records';
import type { AuditUserIdentity, GraphDirectoryAudit, GraphSignIn, UnifiedAuditRecord } from './types';

export const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const MINUTE = 60 * 1000;

/** A record with the instant it sorts by (ms; the record shows it at its own precision). */
export interface Timed<T> {
  ms: number;
  record: T;
}

// ---- fixed catalogues ------------------------------------------------------------------

const USER_APPS: readonly (SignInApp & { weight: number })[] = [
  { appId: '4765445b-32c6-49b0-83e6-1d93765276ca', appDisplayName: 'OfficeHome', resourceId: GRAPH_APP_ID, resourceDisplayName: 'Microsoft Graph', clientAppUsed: 'Browser', weight: 3 },
  { appId: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', appDisplayName: 'Microsoft Office', resourceId: EXCHANGE_APP_ID, resourceDisplayName: 'Office 365 Exchange Online', clientAppUsed: 'Mobile Apps and Desktop clients', weight: 4 },
  { appId: '1fec8e78-bce4-4aaf-ab1b-5451cc387264', appDisplayName: 'Microsoft Teams', resourceId: 'cc15fd57-2c6c-4117-a88c-83b1d56b4bbe', resourceDisplayName: 'Microsoft Teams Services', clientAppUsed: 'Mobile Apps and Desktop clients', weight: 4 },
  { appId: '00000003-0000-0ff1-ce00-000000000000', appDisplayName: 'Office 365 SharePoint Online', resourceId: '00000003-0000-0ff1-ce00-000000000000', resourceDisplayName: 'Office 365 SharePoint Online', clientAppUsed: 'Browser', weight: 2 },
  { appId: '27922004-5251-4030-b22d-91ecd9a37ea4', appDisplayName: 'Outlook Mobile', resourceId: EXCHANGE_APP_ID, resourceDisplayName: 'Office 365 Exchange Online', clientAppUsed: 'Mobile Apps and Desktop clients', weight: 2 },
];
const USER_APP_WEIGHT = USER_APPS.reduce((s, a) => s + a.weight, 0);

const ADMIN_APPS: readonly SignInApp[] = [
  { appId: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c', appDisplayName: 'Azure Portal', resourceId: '797f4846-ba00-4fd7-ba43-dac1f8f63013', resourceDisplayName: 'Windows Azure Service Management API', clientAppUsed: 'Browser' },
  { appId: '14d82eec-204b-4c2f-b7e8-296a70dab67e', appDisplayName: 'Microsoft Graph Command Line Tools', resourceId: GRAPH_APP_ID, resourceDisplayName: 'Microsoft Graph', clientAppUsed: 'Mobile Apps and Desktop clients' },
  { appId: 'fb78d390-0c51-40cd-8e17-fdbfab77341b', appDisplayName: 'Microsoft Exchange REST API Based Powershell', resourceId: EXCHANGE_APP_ID, resourceDisplayName: 'Office 365 Exchange Online', clientAppUsed: 'Mobile Apps and Desktop clients' },
];

/** The app the attacker's stuffing authenticates to (ROPC against the legacy Azure AD Graph resource). */
export const AAD_POWERSHELL_APP: SignInApp = {
  appId: AZURE_AD_POWERSHELL_CLIENT_ID, appDisplayName: 'Azure Active Directory PowerShell',
  resourceId: '00000002-0000-0000-c000-000000000000', resourceDisplayName: 'Windows Azure Active Directory', clientAppUsed: 'Mobile Apps and Desktop clients',
};

const DEVICES: readonly { operatingSystem: string; browser: string }[] = [
  { operatingSystem: 'Windows10', browser: 'Edge 129.0.0' },
  { operatingSystem: 'Windows10', browser: 'Chrome 129.0.0' },
  { operatingSystem: 'Windows10', browser: 'Rich Client 16.0.17928' },
  { operatingSystem: 'MacOs', browser: 'Safari 17.6' },
  { operatingSystem: 'Ios', browser: 'Mobile Safari 17.6' },
  { operatingSystem: 'Android', browser: 'Rich Client 4.2438.0' },
];

interface ScenarioPlaces {
  office: SignInPlace;
  home: SignInPlace[];
  /** Local time zone offset from UTC in hours: working hours are local. */
  utcOffsetHours: number;
}

const PLACES: Record<Tenant['scenario'], ScenarioPlaces> = {
  contoso: {
    office: { city: 'Redmond', state: 'Washington', countryOrRegion: 'US', latitude: 47.6740, longitude: -122.1215 },
    home: [
      { city: 'Seattle', state: 'Washington', countryOrRegion: 'US', latitude: 47.6062, longitude: -122.3321 },
      { city: 'Bellevue', state: 'Washington', countryOrRegion: 'US', latitude: 47.6101, longitude: -122.2015 },
      { city: 'Kirkland', state: 'Washington', countryOrRegion: 'US', latitude: 47.6769, longitude: -122.2060 },
      { city: 'Tacoma', state: 'Washington', countryOrRegion: 'US', latitude: 47.2529, longitude: -122.4443 },
    ],
    utcOffsetHours: -7,
  },
  fabrikam: {
    office: { city: 'Amsterdam', state: 'Noord-Holland', countryOrRegion: 'NL', latitude: 52.3676, longitude: 4.9041 },
    home: [
      { city: 'Utrecht', state: 'Utrecht', countryOrRegion: 'NL', latitude: 52.0907, longitude: 5.1214 },
      { city: 'Haarlem', state: 'Noord-Holland', countryOrRegion: 'NL', latitude: 52.3874, longitude: 4.6462 },
      { city: 'Rotterdam', state: 'Zuid-Holland', countryOrRegion: 'NL', latitude: 51.9244, longitude: 4.4777 },
      { city: 'Eindhoven', state: 'Noord-Brabant', countryOrRegion: 'NL', latitude: 51.4416, longitude: 5.4697 },
    ],
    utcOffsetHours: 1,
  },
};

const ATTACKER_PLACES: readonly SignInPlace[] = [
  { city: 'Chisinau', state: 'Chisinau', countryOrRegion: 'MD', latitude: 47.0105, longitude: 28.8638 },
  { city: 'Amsterdam', state: 'Noord-Holland', countryOrRegion: 'NL', latitude: 52.3676, longitude: 4.9041 },
  { city: 'Ashburn', state: 'Virginia', countryOrRegion: 'US', latitude: 39.0438, longitude: -77.4874 },
];

const GROUP_NAMES = ['All Company', 'Sales', 'Marketing', 'Finance', 'HR', 'IT Operations', 'Project Falcon', 'Leadership Team', 'Customer Success', 'Legal'];

const POWERSHELL_AGENT = 'Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.4894';
const PORTAL_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0';

// ---- per-user profiles ----------------------------------------------------------------------

function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface UserProfile {
  user: GraphUser;
  officeIp: string;
  homeIp: string;
  home: SignInPlace;
  /** Mostly works from home. */
  remote: boolean;
  device: { operatingSystem: string; browser: string };
  mfa: boolean;
  admin: boolean;
}

/** Everything the generators need, computed once per store (O(users)). */
export class LogContext {
  readonly refMs: number;
  readonly places: ScenarioPlaces;
  readonly profiles: UserProfile[];
  readonly profileById = new Map<string, UserProfile>();
  readonly admins: UserProfile[];
  readonly groups: { id: string; displayName: string }[];
  readonly attackerPlace: SignInPlace;
  readonly mailboxServers: string[];
  /** Multi-tenant vendor apps users may consent to for themselves. */
  readonly vendorApps: Tenant['servicePrincipals'];

  constructor(readonly tenant: Tenant, readonly seed: number, readonly eventsPerUserPerDay: number) {
    this.refMs = Date.parse(tenant.referenceTime);
    this.places = PLACES[tenant.scenario];
    const def = SCENARIOS[tenant.scenario];
    const corporate = def.corporateIpPrefixes[0] ?? '192.0.2.';
    const mfaById = new Map(tenant.userRegistrationDetails.map((d) => [d.id, d.isMfaRegistered]));
    const adminIds = new Set(adminUsers(tenant).map((a) => a.user.id));
    const failing = tenant.attack.benignFailingAdmin;
    this.profiles = tenant.users.map((user) => {
      const h = hashOf(user.id);
      const profile: UserProfile = {
        user,
        officeIp: user.id === failing.userId ? failing.ip : `${corporate}${10 + (h % 51)}`,
        homeIp: `100.${64 + (h % 64)}.${(h >>> 6) % 256}.${((h >>> 14) % 253) + 1}`,
        home: this.places.home[(h >>> 22) % this.places.home.length] ?? this.places.office,
        remote: (h & 3) === 0,
        device: DEVICES[(h >>> 3) % DEVICES.length] ?? { operatingSystem: 'Windows10', browser: 'Edge 129.0.0' },
        mfa: mfaById.get(user.id) ?? true,
        admin: adminIds.has(user.id),
      };
      this.profileById.set(user.id, profile);
      return profile;
    });
    this.admins = this.profiles.filter((p) => p.admin);
    const prng = this.stream('catalogue');
    this.groups = GROUP_NAMES.map((displayName) => ({ id: prng.guid(), displayName }));
    this.vendorApps = tenant.servicePrincipals.filter((sp) => sp.appOwnerOrganizationId !== tenant.tenantId && sp.tags.includes('WindowsAzureActiveDirectoryIntegratedApp'));
    this.attackerPlace = prng.pick(ATTACKER_PLACES);
    const region = tenant.scenario === 'fabrikam' ? 'AM' : 'CY';
    this.mailboxServers = Array.from({ length: 6 }, () => `${region}${prng.int(1, 8)}PR${String(prng.int(1, 20)).padStart(2, '0')}MB${prng.int(1000, 9999)}`);
  }

  stream(part: string): Prng {
    return createPrng(`peregrine-sim/${this.tenant.scenario}/${this.seed}/logs/${part}`);
  }

  originatingServer(prng: Prng): string {
    return `${prng.pick(this.mailboxServers)} (15.20.${prng.int(7900, 8100)}.${String(prng.int(0, 40)).padStart(3, '0')})`;
  }

  auditUser(profile: UserProfile, ip?: string): AuditUserIdentity {
    return { id: profile.user.id, displayName: null, userPrincipalName: profile.user.userPrincipalName, ipAddress: ip ?? profile.officeIp };
  }

  /** A working-hours instant inside [lo, hi), in the tenant's local time. */
  workingInstant(prng: Prng, dayStartMs: number, lo: number, hi: number): number {
    for (let tries = 0; tries < 16; tries++) {
      const localHour = prng.chance(0.82) ? 7 + prng.next() * 12 : prng.next() * 24;
      const utcHour = (((localHour - this.places.utcOffsetHours) % 24) + 24) % 24;
      const ms = dayStartMs + Math.floor(utcHour * HOUR);
      if (ms >= lo && ms < hi) return ms;
    }
    return lo + Math.floor(prng.next() * (hi - lo));
  }
}

// ---- day volumes -------------------------------------------------------------------------------

export type GeneratedSource = 'signIns' | 'directoryAudits' | 'exchangeAdmin';

/** Expected benign records for a whole day of this source; weekends are quieter. */
export function dailyRate(ctx: LogContext, source: GeneratedSource, dayStartMs: number): number {
  const weekday = new Date(dayStartMs).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  const users = ctx.profiles.length;
  switch (source) {
    case 'signIns': return users * ctx.eventsPerUserPerDay * (weekend ? 0.35 : 1.2);
    case 'directoryAudits': return (users * 0.04 + 6) * (weekend ? 0.3 : 1.25);
    case 'exchangeAdmin': return (users * 0.004 + 4) * (weekend ? 0.3 : 1.25);
  }
}

// ---- benign records --------------------------------------------------------------------------------

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function pickUserApp(prng: Prng): SignInApp {
  let r = prng.next() * USER_APP_WEIGHT;
  for (const app of USER_APPS) {
    r -= app.weight;
    if (r < 0) return app;
  }
  return USER_APPS[0] as SignInApp;
}

export function benignSignIn(ctx: LogContext, prng: Prng, ms: number): GraphSignIn {
  const profile = ctx.profiles[prng.int(0, ctx.profiles.length - 1)] as UserProfile;
  const app = profile.admin && prng.chance(0.12) ? prng.pick(ADMIN_APPS) : pickUserApp(prng);
  const atHome = profile.remote ? !prng.chance(0.15) : prng.chance(0.12);
  const roll = prng.next();
  const errorCode = roll < 0.965 ? 0 : roll < 0.985 ? 50126 : profile.mfa && roll < 0.993 ? 50074 : 50140;
  return signInRecord({
    id: fastGuid(prng), ms, tenantId: ctx.tenant.tenantId, user: profile.user, app,
    ipAddress: atHome ? profile.homeIp : profile.officeIp, place: atHome ? profile.home : ctx.places.office,
    device: profile.device, errorCode, multiFactor: profile.mfa && (errorCode === 50074 || (errorCode === 0 && prng.chance(0.25))),
    correlationId: fastGuid(prng), tokenIdentifier: fastToken(prng, 22), protocol: 'none', processingMs: prng.int(40, 400),
  });
}

export function benignAudit(ctx: LogContext, prng: Prng, ms: number): GraphDirectoryAudit {
  const correlationId = fastGuid(prng);
  const id = directoryAuditId(prng, correlationId);
  const admin = ctx.admins.length > 0 ? prng.pick(ctx.admins) : (ctx.profiles[0] as UserProfile);
  const subject = ctx.profiles[prng.int(0, ctx.profiles.length - 1)] as UserProfile;
  const userTarget = (mods = [] as ReturnType<typeof prop>[]) => target('User', subject.user.id, null, mods, subject.user.userPrincipalName);
  const roll = prng.next();
  const by = { user: ctx.auditUser(admin) };
  if (roll < 0.3) {
    const field = prng.pick(['JobTitle', 'Department', 'TelephoneNumber', 'StreetAddress', 'Mobile']);
    return directoryAuditRecord({
      id, ms, correlationId, activityDisplayName: 'Update user', category: 'UserManagement', operationType: 'Update', initiatedBy: by,
      targetResources: [userTarget([prop(field, '[]', `["${prng.letters(6)}"]`), prop('Included Updated Properties', null, `"${field}"`)])],
      additionalDetails: [{ key: 'UserType', value: 'Member' }],
    });
  }
  if (roll < 0.5) {
    const group = prng.pick(ctx.groups);
    const add = prng.chance(0.72);
    return directoryAuditRecord({
      id, ms, correlationId, activityDisplayName: add ? 'Add member to group' : 'Remove member from group', category: 'GroupManagement',
      operationType: add ? 'Assign' : 'Unassign', initiatedBy: by,
      targetResources: [
        target('User', subject.user.id, null, [prop('Group.ObjectID', add ? null : `"${group.id}"`, add ? `"${group.id}"` : null), prop('Group.DisplayName', add ? null : `"${group.displayName}"`, add ? `"${group.displayName}"` : null)], subject.user.userPrincipalName),
        target('Group', group.id, group.displayName),
      ],
    });
  }
  if (roll < 0.58) {
    const group = prng.pick(ctx.groups);
    return directoryAuditRecord({
      id, ms, correlationId, activityDisplayName: 'Update group', category: 'GroupManagement', operationType: 'Update', initiatedBy: by,
      targetResources: [target('Group', group.id, group.displayName, [prop('Description', '[]', `["${group.displayName} team"]`), prop('Included Updated Properties', null, '"Description"')])],
    });
  }
  if (roll < 0.7) {
    const sspr = directoryAuditId(prng, correlationId, 'SSGM');
    return directoryAuditRecord({
      id: sspr, ms, correlationId, activityDisplayName: 'Reset password (self-service)', category: 'UserManagement', operationType: 'Update',
      loggedByService: 'Self-service Password Management', resultReason: 'Successfully completed reset.',
      initiatedBy: { user: ctx.auditUser(subject, subject.remote ? subject.homeIp : subject.officeIp) }, targetResources: [userTarget()],
    });
  }
  if (roll < 0.76) {
    return directoryAuditRecord({
      id, ms, correlationId, activityDisplayName: 'Reset user password', category: 'UserManagement', operationType: 'Update', initiatedBy: by,
      targetResources: [userTarget()],
    });
  }
  if (roll < 0.86) {
    return directoryAuditRecord({
      id, ms, correlationId, activityDisplayName: 'Change user license', category: 'UserManagement', operationType: 'Update', initiatedBy: by,
      targetResources: [userTarget([prop('AssignedLicense', '[]', '["[SkuName=ENTERPRISEPACK, AccountId=00000000-0000-0000-0000-000000000000, SkuId=6fd2c87f-b296-42f0-b197-1e91e994b900, DisabledPlans=[]]"]'), prop('Included Updated Properties', null, '"AssignedLicense"')])],
    });
  }
  // A user consents to a multi-tenant vendor app for themselves (delegated, low scopes): ordinary in most tenants.
  const vendors = ctx.vendorApps;
  const sp = vendors.length > 0 ? prng.pick(vendors) : undefined;
  if (!sp) {
    return directoryAuditRecord({ id, ms, correlationId, activityDisplayName: 'Update user', category: 'UserManagement', operationType: 'Update', initiatedBy: by, targetResources: [userTarget()] });
  }
  return directoryAuditRecord({
    id, ms, correlationId, activityDisplayName: 'Consent to application', category: 'ApplicationManagement', operationType: 'Assign',
    initiatedBy: { user: ctx.auditUser(subject, subject.remote ? subject.homeIp : subject.officeIp) },
    targetResources: [target('ServicePrincipal', sp.id, sp.displayName, [
      prop('ConsentContext.IsAdminConsent', null, '"False"'), prop('ConsentContext.IsAppOnly', null, '"False"'),
      prop('ConsentContext.OnBehalfOfAll', null, '"False"'), prop('ConsentContext.Tags', null, '"WindowsAzureActiveDirectoryIntegratedApp"'),
      prop('ConsentAction.Permissions', null, `"[] => [[Id: ${prng.chars(43, TOKEN_ALPHABET)}, ClientId: ${sp.id}, PrincipalId: ${subject.user.id}, ResourceId: ${GRAPH_APP_ID}, ConsentType: Principal, Scope: openid profile User.Read offline_access, CreatedDateTime: , LastModifiedDateTime ]]; "`),
      prop('TargetId.ServicePrincipalNames', null, `"${sp.appId}"`),
    ])],
    additionalDetails: [{ key: 'User-Agent', value: PORTAL_AGENT }, { key: 'AppId', value: sp.appId }],
  });
}

const ADMIN_CMDLETS: readonly { operation: string; parameters: (prng: Prng, mailbox: string) => { Name: string; Value: string }[] }[] = [
  { operation: 'Set-Mailbox', parameters: (p, m) => [{ Name: 'Identity', Value: m }, { Name: p.pick(['LitigationHoldEnabled', 'RetainDeletedItemsFor', 'AuditEnabled']), Value: p.pick(['True', '30.00:00:00']) }] },
  { operation: 'Add-MailboxPermission', parameters: (_p, m) => [{ Name: 'Identity', Value: m }, { Name: 'AccessRights', Value: 'FullAccess' }, { Name: 'InheritanceType', Value: 'All' }] },
  { operation: 'Set-CASMailbox', parameters: (p, m) => [{ Name: 'Identity', Value: m }, { Name: p.pick(['ActiveSyncEnabled', 'PopEnabled', 'ImapEnabled']), Value: 'False' }] },
  { operation: 'Set-MailboxJunkEmailConfiguration', parameters: (_p, m) => [{ Name: 'Identity', Value: m }, { Name: 'Enabled', Value: 'True' }] },
  { operation: 'Set-MailboxRegionalConfiguration', parameters: (_p, m) => [{ Name: 'Identity', Value: m }, { Name: 'TimeZone', Value: 'W. Europe Standard Time' }] },
];

const SYSTEM_CMDLETS = ['Set-MailboxPlan', 'Set-ConditionalAccessPolicy', 'Set-OrganizationConfig', 'Set-TransportConfig'];
const SYSTEM_USER = 'NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)';

export function benignExchangeAdmin(ctx: LogContext, prng: Prng, ms: number): UnifiedAuditRecord {
  const t = ctx.tenant;
  if (prng.chance(0.25)) {
    const operation = prng.pick(SYSTEM_CMDLETS);
    return exchangeAdminRecord({
      id: fastGuid(prng), ms, tenantId: t.tenantId, tenantDomain: t.domain, operation, objectId: `${t.domain}\\${fastGuid(prng)}`,
      parameters: [{ Name: 'DomainController', Value: '' }, { Name: 'Identity', Value: t.domain }], userId: SYSTEM_USER, userKey: SYSTEM_USER,
      userType: 4, appId: '', clientIp: '', originatingServer: ctx.originatingServer(prng),
    });
  }
  const admin = ctx.admins.length > 0 ? prng.pick(ctx.admins) : (ctx.profiles[0] as UserProfile);
  const mailbox = (ctx.profiles[prng.int(0, ctx.profiles.length - 1)] as UserProfile).user.userPrincipalName.split('@')[0] ?? 'user';
  const cmdlet = prng.pick(ADMIN_CMDLETS);
  return exchangeAdminRecord({
    id: fastGuid(prng), ms, tenantId: t.tenantId, tenantDomain: t.domain, operation: cmdlet.operation, objectId: mailbox,
    parameters: cmdlet.parameters(prng, mailbox), userId: admin.user.userPrincipalName, userKey: `1003${prng.hex(12).toUpperCase()}`,
    userType: 2, appId: 'fb78d390-0c51-40cd-8e17-fdbfab77341b', clientIp: `${admin.officeIp}:${prng.int(49152, 65535)}`,
    originatingServer: ctx.originatingServer(prng),
  });
}

// ---- the attack and the decoys ---------------------------------------------------------------------

export interface SpecialRecords {
  signIns: Timed<GraphSignIn>[];
  directoryAudits: Timed<GraphDirectoryAudit>[];
  /** Records only the Unified Audit Log has: ExchangeAdmin cmdlets and alerts. */
  exchangeAdmin: Timed<UnifiedAuditRecord>[];
  malicious: { signIns: Set<string>; directoryAudits: Set<string>; exchangeAdmin: Set<string> };
  decoys: { signIns: Set<string>; directoryAudits: Set<string>; exchangeAdmin: Set<string> };
}

/** Every attack and decoy record, whatever the window (the store keeps those inside it). Deterministic by seed. */
export function specialRecords(ctx: LogContext): SpecialRecords {
  const out: SpecialRecords = {
    signIns: [], directoryAudits: [], exchangeAdmin: [],
    malicious: { signIns: new Set(), directoryAudits: new Set(), exchangeAdmin: new Set() },
    decoys: { signIns: new Set(), directoryAudits: new Set(), exchangeAdmin: new Set() },
  };
  stuffing(ctx, out);
  attackAudits(ctx, out);
  exchangeHistory(ctx, out);
  spamAlerts(ctx, out);
  decoys(ctx, out);
  for (const list of [out.signIns, out.directoryAudits, out.exchangeAdmin] as Timed<unknown>[][]) list.sort((a, b) => a.ms - b.ms);
  return out;
}

const STUFFING_DEVICE = { operatingSystem: 'Windows', browser: 'Other' };

function stuffing(ctx: LogContext, out: SpecialRecords): void {
  const a = ctx.tenant.attack;
  const prng = ctx.stream('stuffing');
  const start = Date.parse(a.stuffing.startDateTime);
  const end = Date.parse(a.stuffing.endDateTime);
  const compromised = new Map(a.compromisedAccounts.map((c) => [c.userId, Date.parse(c.successDateTime)]));
  const add = (ms: number, user: { id: string; displayName: string; userPrincipalName: string }, errorCode: number) => {
    const record = signInRecord({
      id: prng.guid(), ms, tenantId: ctx.tenant.tenantId, user, app: AAD_POWERSHELL_APP, ipAddress: a.attackerIp, place: ctx.attackerPlace,
      device: STUFFING_DEVICE, errorCode, multiFactor: errorCode === 50076, correlationId: prng.guid(),
      tokenIdentifier: fastToken(prng, 22), protocol: 'ropc', processingMs: prng.int(60, 250),
    });
    out.signIns.push({ ms, record });
    out.malicious.signIns.add(record.id);
  };
  const span = Math.max(MINUTE, end - start);
  if (a.stuffing.method === 'spray') {
    sprayRounds(ctx, a, compromised, add);
    return;
  }
  for (const userId of a.stuffing.targetUserIds) {
    const profile = ctx.profileById.get(userId);
    if (!profile) continue;
    const success = compromised.get(userId);
    if (success !== undefined) {
      // The leaked password works at once, or after a variant or two; no MFA stands in the way.
      for (let i = prng.int(0, 2); i > 0; i--) add(success - prng.int(20, 600) * 1000, profile.user, 50126);
      add(success, profile.user, 0);
      continue;
    }
    const attempts = prng.int(1, 4);
    for (let i = 0; i < attempts; i++) {
      const ms = start + Math.floor(prng.next() * span);
      let code = 50126;
      if (!profile.user.accountEnabled) code = 50057;
      else if (i >= 3) code = 50053;
      else if (prng.chance(0.12)) code = profile.mfa ? 50076 : 50079;
      add(ms, profile.user, code);
    }
  }
  // Leaked lists carry addresses of people who left: Entra answers 50034 for those.
  const domain = ctx.tenant.domain;
  for (let i = prng.int(3, 8); i > 0; i--) {
    const upn = `${prng.pick(['j', 'm', 'a', 's', 'k'])}.${prng.letters(prng.int(4, 8))}@${domain}`;
    add(start + Math.floor(prng.next() * span), { id: '', displayName: '', userPrincipalName: upn }, 50034);
  }
}

/**
 * A password spray: one or two common passwords per round against every target, rounds minutes long and an hour or more
 * apart so no account locks (https://learn.microsoft.com/entra/identity/authentication/howto-password-smart-lockout:
 * Smart Lockout counts failures per account, ten by default, so a spray stays under it; the pattern as described in
 * Cloud-Architekt/AzureAD-Attack-Defense PasswordSpray.md). A taken account signs in during its round.
 */
function sprayRounds(ctx: LogContext, a: Tenant['attack'], taken: Map<string, number>, add: (ms: number, user: { id: string; displayName: string; userPrincipalName: string }, code: number) => void): void {
  const prng = ctx.stream('spray');
  const rounds = a.stuffing.rounds.map((r) => Date.parse(r));
  for (const userId of a.stuffing.targetUserIds) {
    const profile = ctx.profileById.get(userId);
    if (!profile) continue;
    const success = taken.get(userId);
    for (const round of rounds) {
      if (success !== undefined && round > success) break;
      for (let i = prng.int(1, 2); i > 0; i--) {
        const ms = round + prng.int(0, 25 * 60) * 1000;
        if (success !== undefined && ms >= success) break;
        add(ms, profile.user, !profile.user.accountEnabled ? 50057 : prng.chance(0.06) ? (profile.mfa ? 50076 : 50079) : 50126);
      }
    }
    if (success !== undefined) add(success, profile.user, 0);
  }
}

function attackAudits(ctx: LogContext, out: SpecialRecords): void {
  const t = ctx.tenant;
  const a = t.attack;
  appAudits(ctx, out, ctx.stream('attack-audits'), {
    applicationId: a.maliciousApplicationId, appId: a.maliciousAppId, servicePrincipalId: a.maliciousServicePrincipalId,
    registeredByUserId: a.compromisedUserId, steps: a.steps, manageAsAppAssignmentId: a.manageAsAppAssignmentId,
  });
  for (const other of a.otherApps) appAudits(ctx, out, ctx.stream(`attack-audits/${other.appId}`), other);
}

/** The directory audits of one malicious app's setup (ATTACK.md step 2), by the taken admin from the attacker's address. */
function appAudits(
  ctx: LogContext, out: SpecialRecords, prng: Prng,
  m: Pick<Tenant['attack']['otherApps'][number], 'applicationId' | 'appId' | 'servicePrincipalId' | 'registeredByUserId' | 'steps' | 'manageAsAppAssignmentId'>,
): void {
  const t = ctx.tenant;
  const a = {
    maliciousAppId: m.appId, maliciousServicePrincipalId: m.servicePrincipalId, manageAsAppAssignmentId: m.manageAsAppAssignmentId, steps: m.steps,
  };
  const actor = ctx.profileById.get(m.registeredByUserId);
  const app = t.applications.find((x) => x.id === m.applicationId) ?? t.deletedApplications.find((x) => x.id === m.applicationId);
  const exchange = t.servicePrincipals.find((sp) => sp.appId === EXCHANGE_APP_ID);
  if (!actor || !app || !exchange) return;
  const by = { user: ctx.auditUser(actor, t.attack.attackerIp) };
  const details = [{ key: 'User-Agent', value: POWERSHELL_AGENT }, { key: 'AppId', value: a.maliciousAppId }];
  const push = (msIso: string, build: (id: string, correlationId: string, ms: number) => GraphDirectoryAudit) => {
    const ms = Date.parse(msIso) + prng.int(0, 999);
    const correlationId = prng.guid();
    const record = build(directoryAuditId(prng, correlationId), correlationId, ms);
    out.directoryAudits.push({ ms, record });
    out.malicious.directoryAudits.add(record.id);
  };
  const appTarget = (mods: ReturnType<typeof prop>[]) => target('Application', app.id, app.displayName, mods);
  const spTarget = (mods: ReturnType<typeof prop>[]) => target('ServicePrincipal', a.maliciousServicePrincipalId, app.displayName, mods);
  push(a.steps.addApplication, (id, correlationId, ms) => directoryAuditRecord({
    id, ms, correlationId, activityDisplayName: 'Add application', category: 'ApplicationManagement', operationType: 'Add', initiatedBy: by,
    additionalDetails: details,
    targetResources: [appTarget([
      prop('AppId', '[]', `["${app.appId}"]`), prop('AvailableToOtherTenants', '[]', '[false]'), prop('DisplayName', '[]', `["${app.displayName}"]`),
      prop('RequiredResourceAccess', '[]', `[{"ResourceAppId":"${EXCHANGE_APP_ID}","RequiredAppPermissions":[{"EntitlementId":"${EXCHANGE_MANAGE_AS_APP_ROLE_ID}","DirectAccessGrant":true,"ImpersonationAccessGrants":[]}],"EncodingVersion":1}]`),
      prop('Included Updated Properties', null, '"AppId, AvailableToOtherTenants, DisplayName, RequiredResourceAccess"'),
    ])],
  }));
  push(a.steps.addServicePrincipal, (id, correlationId, ms) => directoryAuditRecord({
    id, ms, correlationId, activityDisplayName: 'Add service principal', category: 'ApplicationManagement', operationType: 'Add', initiatedBy: by,
    additionalDetails: details,
    targetResources: [spTarget([
      prop('AccountEnabled', '[]', '[true]'), prop('AppPrincipalId', '[]', `["${app.appId}"]`), prop('DisplayName', '[]', `["${app.displayName}"]`),
      prop('ServicePrincipalName', '[]', `["${app.appId}"]`), prop('Credential', '[]', '[]'),
      prop('Included Updated Properties', null, '"AccountEnabled, AppPrincipalId, DisplayName, ServicePrincipalName, Credential"'),
    ])],
  }));
  push(a.steps.consentToApplication, (id, correlationId, ms) => directoryAuditRecord({
    id, ms, correlationId, activityDisplayName: 'Consent to application', category: 'ApplicationManagement', operationType: 'Assign', initiatedBy: by,
    additionalDetails: details,
    targetResources: [spTarget([
      prop('ConsentContext.IsAdminConsent', null, '"True"'), prop('ConsentContext.IsAppOnly', null, '"True"'),
      prop('ConsentContext.OnBehalfOfAll', null, '"True"'), prop('ConsentContext.Tags', null, '""'),
      prop('ConsentAction.Permissions', null, `"[] => [[Id: ${a.manageAsAppAssignmentId}, ClientId: ${a.maliciousServicePrincipalId}, PrincipalId: ${a.maliciousServicePrincipalId}, ResourceId: ${exchange.id}, ConsentType: , Scope: Exchange.ManageAsApp, CreatedDateTime: , LastModifiedDateTime ]]; "`),
      prop('TargetId.ServicePrincipalNames', null, `"${app.appId}"`),
    ])],
  }));
  push(a.steps.addAppRoleAssignment, (id, correlationId, ms) => directoryAuditRecord({
    id, ms, correlationId, activityDisplayName: 'Add app role assignment to service principal', category: 'ApplicationManagement', operationType: 'Assign',
    initiatedBy: by, additionalDetails: details,
    targetResources: [
      target('ServicePrincipal', exchange.id, exchange.displayName, [
        prop('AppRole.Id', null, `"${EXCHANGE_MANAGE_AS_APP_ROLE_ID}"`), prop('AppRole.Value', null, '"Exchange.ManageAsApp"'),
        prop('AppRole.DisplayName', null, '"Manage Exchange As Application"'),
        prop('AppRoleAssignment.CreatedDateTime', null, `"${new Date(ms).toUTCString()}"`),
        prop('ServicePrincipal.ObjectID', null, `"${a.maliciousServicePrincipalId}"`), prop('ServicePrincipal.DisplayName', null, `"${app.displayName}"`),
        prop('ServicePrincipal.AppId', null, `"${app.appId}"`), prop('ServicePrincipal.Name', null, `"${app.appId}"`),
        prop('TargetId.ServicePrincipalNames', null, `"${EXCHANGE_APP_ID};https://outlook.office365.com"`),
      ]),
      target('ServicePrincipal', a.maliciousServicePrincipalId, app.displayName),
    ],
  }));
  const roleNames = Object.values(DIRECTORY_ROLES);
  for (const step of a.steps.addMemberToRole) {
    const role = roleNames.find((r) => r.templateId === step.roleTemplateId);
    const roleObject = t.directoryRoles.find((r) => r.roleTemplateId === step.roleTemplateId);
    const wellKnown = step.roleTemplateId === DIRECTORY_ROLES.globalAdministrator.templateId ? 'TenantAdmins' : 'ExchangeServiceAdmins';
    push(step.dateTime, (id, correlationId, ms) => directoryAuditRecord({
      id, ms, correlationId, activityDisplayName: 'Add member to role', category: 'RoleManagement', operationType: 'Assign', initiatedBy: by,
      additionalDetails: details,
      targetResources: [
        spTarget([
          prop('Role.ObjectID', null, `"${roleObject?.id ?? step.roleTemplateId}"`), prop('Role.DisplayName', null, `"${role?.displayName ?? ''}"`),
          prop('Role.TemplateId', null, `"${step.roleTemplateId}"`), prop('Role.WellKnownObjectName', null, `"${wellKnown}"`),
        ]),
        target('Role', roleObject?.id ?? step.roleTemplateId, role?.displayName ?? null),
      ],
    }));
  }
  for (const cred of a.steps.addCredentials) {
    const displayName = cred.type === 'AsymmetricX509Cert' ? `CN=${app.displayName}` : '';
    push(cred.dateTime, (id, correlationId, ms) => directoryAuditRecord({
      id, ms, correlationId, activityDisplayName: 'Update application – Certificates and secrets management ', category: 'ApplicationManagement',
      operationType: 'Update', initiatedBy: by, additionalDetails: details,
      targetResources: [appTarget([
        prop('KeyDescription', '[]', `["[KeyIdentifier=${cred.keyId},KeyType=${cred.type === 'Password' ? 'Password' : 'AsymmetricX509Cert'},KeyUsage=Verify,DisplayName=${displayName}]"]`),
        prop('Included Updated Properties', null, '"KeyDescription"'),
      ])],
    }));
  }
}

/**
 * The ExchangeAdmin history (the attack's New-/Remove- cycles by the app, and the admins' own connector and rule work)
 * comes from EXO's Exchange state, so the audit rows and the current configuration tell the same story.
 */
function exchangeHistory(ctx: LogContext, out: SpecialRecords): void {
  const state = new ExchangeState(ctx.tenant);
  const truth = state.groundTruth();
  const malicious = new Set(truth.maliciousAuditRecordIds);
  const decoyNames = new Set([...truth.decoyInboundConnectors.map((c) => c.name), ...truth.decoyTransportRules.map((r) => r.name), ...truth.auditBypass.decoys.map((d) => d.name)]);
  for (const record of state.history) {
    const ms = Date.parse(record.CreationDate);
    out.exchangeAdmin.push({ ms, record });
    if (malicious.has(record.Identity)) out.malicious.exchangeAdmin.add(record.Identity);
    else if (decoyNames.has(objectIdOf(record))) out.decoys.exchangeAdmin.add(record.Identity);
  }
}

/** The outbound spike's trace in the Unified Audit Log: the default "suspicious sending" alert, once per spam run. */
function spamAlerts(ctx: LogContext, out: SpecialRecords): void {
  const t = ctx.tenant;
  const prng = ctx.stream('spam-alerts');
  const policyId = prng.guid();
  for (const cycle of t.attack.exchange.cycles) {
    const ms = Date.parse(cycle.spamStartDateTime) + prng.int(25, 90) * MINUTE;
    if (ms >= Date.parse(cycle.spamEndDateTime) + HOUR) continue;
    const record = alertRecord({
      id: fastGuid(prng), alertId: fastGuid(prng), policyId, ms, tenantId: t.tenantId,
      name: 'Suspicious email sending patterns detected', severity: 'Medium', category: 'ThreatManagement',
      description: `This alert fires when an unusual volume of outbound email is sent from the organisation: about ${cycle.spamMessageCount} messages through connector ${cycle.connectorName}. -V1.0.0.3`,
      objectId: cycle.connectorName,
    });
    out.exchangeAdmin.push({ ms, record });
    out.malicious.exchangeAdmin.add(record.Identity);
  }
}

function objectIdOf(record: UnifiedAuditRecord): string {
  const data = JSON.parse(record.AuditData) as { ObjectId?: unknown };
  return typeof data.ObjectId === 'string' ? data.ObjectId : '';
}

function decoys(ctx: LogContext, out: SpecialRecords): void {
  const t = ctx.tenant;
  const prng = ctx.stream('decoys');
  // The admin who fails their password twice from their usual IP, then gets in (with MFA if registered).
  const failing = t.attack.benignFailingAdmin;
  const profile = ctx.profileById.get(failing.userId);
  if (profile) {
    const base = Date.parse(failing.dateTime);
    const app = ADMIN_APPS[0] as SignInApp;
    [[0, 50126], [prng.int(15, 50), 50126], [prng.int(70, 140), 0]].forEach(([offset = 0, code = 0]) => {
      const ms = base + offset * 1000;
      const record = signInRecord({
        id: prng.guid(), ms, tenantId: t.tenantId, user: profile.user, app, ipAddress: failing.ip, place: ctx.places.office,
        device: profile.device, errorCode: code, multiFactor: profile.mfa && code === 0, correlationId: prng.guid(),
        tokenIdentifier: fastToken(prng, 22), protocol: 'none', processingMs: prng.int(80, 300),
      });
      out.signIns.push({ ms, record });
      out.decoys.signIns.add(record.id);
    });
  }
  // The backup product's owner rotates its secret from the office, well after its consent: a credential on an
  // Exchange.ManageAsApp holder, but by the known admin and on schedule.
  const backup = t.decoys.find((d) => d.kind === 'backup-app-registration');
  const installer = backup?.consentedByUserPrincipalName ? ctx.profiles.find((p) => p.user.userPrincipalName === backup.consentedByUserPrincipalName) : undefined;
  if (backup?.applicationObjectId && installer) {
    const ms = ctx.workingInstant(prng, Math.floor((ctx.refMs - prng.int(3, 25) * DAY) / DAY) * DAY, 0, Number.MAX_SAFE_INTEGER);
    const correlationId = prng.guid();
    const record = directoryAuditRecord({
      id: directoryAuditId(prng, correlationId), ms, correlationId, activityDisplayName: 'Update application – Certificates and secrets management ',
      category: 'ApplicationManagement', operationType: 'Update', initiatedBy: { user: ctx.auditUser(installer) },
      additionalDetails: [{ key: 'User-Agent', value: PORTAL_AGENT }, { key: 'AppId', value: backup.appId }],
      targetResources: [target('Application', backup.applicationObjectId, backup.displayName, [
        prop('KeyDescription', '[]', `["[KeyIdentifier=${prng.guid()},KeyType=Password,KeyUsage=Verify,DisplayName=${backup.displayName} rotation]"]`),
        prop('Included Updated Properties', null, '"KeyDescription"'),
      ])],
    });
    out.directoryAudits.push({ ms, record });
    out.decoys.directoryAudits.add(record.id);
  }
}
