// Main process / CLI / workers: OAuth application rules — the campaign's app name, Exchange.ManageAsApp, directory roles and high-risk permissions held by apps, credentials added, risky consent.
import type { ApplicationRecord, ServicePrincipalRecord } from '../../../db/queries/directory';
import type { TenantObjectRecord } from '../../../db/queries/objects';
import type { FindingObject, Ioc, ReasonPart, Severity } from '../../../preload/contract';
import { objectRef, type DetectContext, type DirectoryActivity } from '../context';
import type { Hit, Rule } from '../types';
import { isPrivilegedRole } from './signins';
import { plural } from '../text';
import { Reason } from '../reason';

export const EXCHANGE_ONLINE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
export const EXCHANGE_MANAGE_AS_APP_ROLE_ID = 'dc50a0fb-09a3-484d-be87-e023b12c6440';
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Microsoft's own tenant: first-party service principals are owned by it. */
const MICROSOFT_TENANT_IDS = new Set(['f8cdef31-a31e-4b4a-93e4-5f571e91255a', '72f988bf-86f1-41af-91ab-2d7cd011db47']);
/** An app older than this is long-standing: products installed years ago, not a fresh foothold. */
export const LONG_STANDING_DAYS = 180;
/** A credential added within this long after consent belongs to the same setup. */
const AFTER_CONSENT_DAYS = 14;
const DAY_MS = 86_400_000;

/** Roles that let an app take over the tenant or its mail; the rule names them. */
const TAKEOVER_ROLES = new Set([
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  'e8611ab8-c189-46e8-94e1-60213ab1f814', // Privileged Role Administrator
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', // Privileged Authentication Administrator
  '29232cdf-9323-42fd-ade2-1d097af3e4de', // Exchange Administrator
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', // Application Administrator
  '158c047a-c907-4556-b7ef-446551a6b5f7', // Cloud Application Administrator
]);

/** Application permissions (and tenant-wide delegated scopes) that read or send any mail, or change the directory or its roles. */
export const HIGH_RISK_PERMISSIONS = new Set([
  'full_access_as_app', 'Mail.ReadWrite', 'Mail.Read', 'Mail.Send', 'MailboxSettings.ReadWrite', 'EWS.AccessAsUser.All', 'full_access_as_user',
  'Directory.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All',
  'Application.ReadWrite.OwnedBy', 'DelegatedPermissionGrant.ReadWrite.All', 'User.ReadWrite.All', 'Group.ReadWrite.All',
  'Files.ReadWrite.All', 'Sites.FullControl.All', 'Sites.ReadWrite.All', 'Policy.ReadWrite.ConditionalAccess', 'Domain.ReadWrite.All',
  'User-PasswordProfile.ReadWrite.All', 'UserAuthenticationMethod.ReadWrite.All', 'Exchange.Manage',
]);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const days = (from: string | null, to: string) => (from ? Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS) : null);

/**
 * The campaign's name: the tenant's own domain label, '_', three letters (contoso_kqz); copycats use another separator
 * ('-', '.', none) or two to six letters (contoso-kqzv, contosoqz). A space is not a separator: "Contoso Wiki" is an
 * ordinary name. The pattern raises confidence only; every rule finds the app by what it holds and did as well.
 */
export function campaignNameLabel(name: string, labels: string[]): string | null {
  return labels.find((l) => new RegExp(`^${escapeRegExp(l)}[_.-]?[a-z]{2,6}$`, 'i').test(name.trim())) ?? null;
}

/** One app as the rules see it: its registration (if in this tenant) and its service principal (if any). */
export interface AppView {
  appId: string;
  name: string;
  application: ApplicationRecord | null;
  servicePrincipal: ServicePrincipalRecord | null;
  /** Object ids (application, service principal), lower case, to match audit targets. */
  ids: string[];
  /** Registered in this tenant (application object here or SP owned by this tenant). */
  local: boolean;
  firstParty: boolean;
  createdAt: string | null;
  ageDays: number | null;
  multiTenant: boolean;
  /** The engagement app this collection signed in with (app-only): granted by the client for the investigation. */
  collector: boolean;
}

const appsCache = new WeakMap<DetectContext, AppView[]>();

export function appViews(ctx: DetectContext): AppView[] {
  const cached = appsCache.get(ctx);
  if (cached) return cached;
  const apps = new Map(ctx.applications().map((a) => [a.appId.toLowerCase(), a]));
  // An app-only collection records its account as `app:<appId>`.
  const collectorAppId = /^app:([0-9a-f-]{36})$/i.exec(ctx.run.account ?? '')?.[1]?.toLowerCase() ?? null;
  const sps = new Map(ctx.servicePrincipals().map((s) => [s.appId.toLowerCase(), s]));
  const views = [...new Set([...apps.keys(), ...sps.keys()])].map((appId): AppView => {
    const application = apps.get(appId) ?? null;
    const servicePrincipal = sps.get(appId) ?? null;
    const owner = servicePrincipal?.appOwnerOrganizationId?.toLowerCase() ?? null;
    const createdAt = application?.createdAt ?? servicePrincipal?.createdAt ?? null;
    const audience = application?.signInAudience ?? (typeof servicePrincipal?.raw.signInAudience === 'string' ? servicePrincipal.raw.signInAudience : null);
    return {
      appId,
      name: application?.displayName ?? servicePrincipal?.displayName ?? appId,
      application,
      servicePrincipal,
      ids: [application?.objectId, servicePrincipal?.objectId].filter((x): x is string => !!x).map((x) => x.toLowerCase()),
      local: application !== null || (owner !== null && owner === ctx.tenantId?.toLowerCase()),
      firstParty: owner !== null && MICROSOFT_TENANT_IDS.has(owner),
      createdAt,
      ageDays: days(createdAt, ctx.collectedAt),
      multiTenant: audience !== null && audience !== 'AzureADMyOrg',
      collector: appId === collectorAppId,
    };
  });
  appsCache.set(ctx, views);
  return views;
}

function appObjects(app: AppView): FindingObject[] {
  return [
    ...(app.application ? [objectRef('application', app.application, app.application.displayName)] : []),
    ...(app.servicePrincipal ? [objectRef('servicePrincipal', app.servicePrincipal, app.servicePrincipal.displayName)] : []),
  ];
}

/** `context` in English; `key` and `values` (besides the app's name) for the screens' other languages (iocContext.<key>). */
function appIocs(app: AppView, context: string, key: string, values: ReasonPart['values'] = {}): Ioc[] {
  const contextPart: ReasonPart = { key, values: { app: app.name, ...values } };
  return [
    { type: 'app-id', value: app.appId, context: `${app.name}: ${context}`, contextPart },
    ...(app.servicePrincipal ? [{ type: 'service-principal-id' as const, value: app.servicePrincipal.objectId, context: `${app.name}: ${context}`, contextPart }] : []),
  ];
}

/** Where an app comes from, as sentences for the translations only (the English says it in its own sentence). */
function provenance(said: Reason, app: AppView, what: { age?: 'created' | 'old' }): Reason {
  if (what.age && app.ageDays !== null) said.part(what.age === 'created' ? 'app.createdDaysBefore' : 'app.daysOld', { days: app.ageDays });
  return said;
}

/** Directory changes that name one of the app's objects as a target. */
export function activityOn(ctx: DetectContext, ids: string[], operations?: (op: string) => boolean): DirectoryActivity[] {
  const set = new Set(ids.map((i) => i.toLowerCase()));
  return ctx.directoryActivity().filter((a) => (!operations || operations(a.operation)) && [...a.targetIds].some((t) => set.has(t)));
}

const isCredentialChange = (op: string) =>
  op.startsWith('update application - certificates and secrets management') || op === 'add service principal credentials' || op === 'update service principal - certificates and secrets management';
const isConsent = (op: string) => op === 'consent to application' || op === 'add app role assignment to service principal' || op === 'add delegated permission grant';

// ---- the campaign's name -------------------------------------------------------------------

export const tenantLabelName: Rule = {
  id: 'app.tenant-label-name',
  title: 'App named after the tenant plus three letters',
  explanation:
    'The campaign\'s script registered its app in every tenant under the tenant\'s own domain label, an underscore and three random letters ' +
    '(contoso_kqz in contoso.com). Admins rarely name apps this way; together with a recent registration by a user and Exchange permissions it is the campaign\'s app.',
  severity: 'high',
  confidence: 'medium',
  attack: ['T1671', 'T1098.003'],
  remediation: { phase: 'contain', step: 'Disable the app\'s service principal (accountEnabled = false), then remove its credentials.' },
  covers: [
    'Splunk: Azure AD Service Principal Created',
    'Elastic: Entra ID Service Principal Created',
    'Splunk: O365 Added Service Principal',
    'Sentinel: Suspicious Service Principal creation activity',
  ],
  stage: 'persistence',
  evaluate(ctx) {
    const hits: Hit[] = [];
    for (const app of appViews(ctx)) {
      const label = campaignNameLabel(app.name, ctx.domainLabels);
      if (!label || app.firstParty) continue;
      const events = activityOn(ctx, app.ids);
      const registered = events.find((e) => e.operation === 'add application');
      // The exact campaign form, or the name on an app holding Exchange.ManageAsApp or an administrator role, is high;
      // the wider copycat forms alone (contoso-crm could be anyone's) are medium, low when long-standing.
      const exact = new RegExp(`^${escapeRegExp(label)}_[a-z]{3}$`, 'i').test(app.name.trim());
      const { granted, requested } = manageAsAppOf(ctx, app);
      const powerful = granted.length > 0 || requested || (app.servicePrincipal ? rolesOf(ctx, app.servicePrincipal.objectId).some((r) => TAKEOVER_ROLES.has((r.resourceId ?? '').toLowerCase())) : false);
      const severity: Severity = exact || powerful ? 'high' : (app.ageDays ?? 0) >= LONG_STANDING_DAYS ? 'low' : 'medium';
      const said = new Reason().add(
        'appName.label',
        { name: app.name, label },
        `"${app.name}" is the tenant's domain label "${label}" followed by a few random letters` +
          `${app.multiTenant ? '' : ', single-tenant as the campaign\'s app was'}` +
          `${app.ageDays !== null ? `, registered ${plural(app.ageDays, 'day')} before collection` : ''}` +
          `${registered?.actorUser ? ` by ${registered.actorUser}${registered.actorIp ? ` from ${registered.actorIp}` : ''}` : ''}.`,
      );
      if (!app.multiTenant) said.part('appName.singleTenant', {});
      if (app.ageDays !== null) said.part('app.registeredDaysBefore', { days: app.ageDays });
      if (registered?.actorUser) said.part(registered.actorIp ? 'app.registeredByFrom' : 'app.registeredBy', registered.actorIp ? { user: registered.actorUser, ip: registered.actorIp } : { user: registered.actorUser });
      if (powerful) said.add('appName.powerful', {}, 'It holds Exchange.ManageAsApp or an administrator role.');
      else if (!exact) said.add('appName.nameOnly', {}, 'It holds neither Exchange.ManageAsApp nor an administrator role: the name alone proves little.');
      hits.push({
        subject: { type: 'application', id: app.application?.objectId ?? app.servicePrincipal!.objectId, name: app.name },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects: appObjects(app),
        eventIds: events.map((e) => e.eventId),
        iocs: appIocs(app, 'named like the campaign\'s app', 'campaignName'),
      });
    }
    return hits;
  },
};

// ---- Exchange.ManageAsApp ------------------------------------------------------------------

/** The app's Exchange.ManageAsApp assignments on Exchange Online, and whether its registration asks for the role. */
function manageAsAppOf(ctx: DetectContext, app: AppView): { granted: TenantObjectRecord[]; requested: boolean } {
  const exchangeSp = ctx.servicePrincipals().find((s) => s.appId.toLowerCase() === EXCHANGE_ONLINE_APP_ID);
  const granted = app.servicePrincipal
    ? (assignmentsByPrincipal(ctx).get(app.servicePrincipal.objectId.toLowerCase()) ?? []).filter(
        (a) => appRoleOf(a) === EXCHANGE_MANAGE_AS_APP_ROLE_ID && (!exchangeSp || a.resourceId?.toLowerCase() === exchangeSp.objectId.toLowerCase()),
      )
    : [];
  const requested = (app.application?.requiredResourceAccess ?? []).some(
    (r) => r.resourceAppId.toLowerCase() === EXCHANGE_ONLINE_APP_ID && r.resourceAccess.some((x) => x.id.toLowerCase() === EXCHANGE_MANAGE_AS_APP_ROLE_ID && x.type === 'Role'),
  );
  return { granted, requested };
}

const assignmentsCache = new WeakMap<DetectContext, Map<string, TenantObjectRecord[]>>();

function assignmentsByPrincipal(ctx: DetectContext): Map<string, TenantObjectRecord[]> {
  const cached = assignmentsCache.get(ctx);
  if (cached) return cached;
  const map = new Map<string, TenantObjectRecord[]>();
  for (const a of ctx.objects('appRoleAssignment')) {
    const key = (a.principalId ?? '').toLowerCase();
    map.set(key, [...(map.get(key) ?? []), a]);
  }
  assignmentsCache.set(ctx, map);
  return map;
}

const appRoleOf = (a: TenantObjectRecord) => (typeof a.raw.appRoleId === 'string' ? a.raw.appRoleId.toLowerCase() : '');
const createdOf = (o: TenantObjectRecord) => (typeof o.raw.createdDateTime === 'string' ? o.raw.createdDateTime : null);

/** Directory roles held by a service principal, by template id. */
function rolesOf(ctx: DetectContext, spId: string): TenantObjectRecord[] {
  return ctx.objects('roleAssignment').filter((r) => r.principalId?.toLowerCase() === spId.toLowerCase());
}

export const exchangeManageAsApp: Rule = {
  id: 'app.exchange-manage-as-app',
  title: 'App holds Exchange.ManageAsApp',
  explanation:
    'Exchange.ManageAsApp lets an app run Exchange Online PowerShell as itself, with no user present: create inbound connectors and transport ' +
    'rules, read and change any mailbox setting. Backup and archiving products hold it legitimately; a recently registered single-tenant app ' +
    'holding it, especially together with an administrator role, is how the campaign took over mail flow.',
  severity: 'critical',
  confidence: 'high',
  attack: ['T1098.003'],
  remediation: { phase: 'eradicate', step: 'Remove the Exchange.ManageAsApp app role assignment from the service principal (and the app\'s request for it).' },
  covers: [
    'Splunk: Azure AD FullAccessAsApp Permission Assigned',
    'Splunk: O365 FullAccessAsApp Permission Assigned',
    'Sentinel: full_access_as_app Granted To Application',
    'Sentinel: OAuth Application Required Resource Access Update',
  ],
  stage: 'persistence',
  evaluate(ctx) {
    const hits: Hit[] = [];
    for (const app of appViews(ctx)) {
      if (app.firstParty) continue;
      const { granted, requested } = manageAsAppOf(ctx, app);
      if (granted.length === 0 && !requested) continue;
      const label = campaignNameLabel(app.name, ctx.domainLabels);
      const roles = app.servicePrincipal ? rolesOf(ctx, app.servicePrincipal.objectId) : [];
      const takeover = roles.filter((r) => TAKEOVER_ROLES.has((r.resourceId ?? '').toLowerCase()));
      const consentedAt = granted.map(createdOf).filter((t): t is string => t !== null).sort()[0] ?? null;
      const consentAge = days(consentedAt, ctx.collectedAt);
      const longStanding = (app.ageDays ?? 0) >= LONG_STANDING_DAYS && (consentAge === null || consentAge >= LONG_STANDING_DAYS);
      const verified = Boolean(app.servicePrincipal?.verifiedPublisher?.verifiedPublisherId ?? app.application?.verifiedPublisher?.verifiedPublisherId);
      let severity: Severity;
      if (app.collector) severity = 'info';
      else if (granted.length === 0) severity = label ? 'high' : 'low';
      else if (label) severity = 'critical';
      else if (takeover.length > 0 && !longStanding) severity = 'high';
      else if (longStanding) severity = 'low';
      else severity = 'medium';
      const events = activityOn(ctx, app.ids, isConsent);
      const said = new Reason();
      if (granted.length > 0) {
        const english = `${app.name} holds Exchange.ManageAsApp on Office 365 Exchange Online (consented ${consentedAt ?? 'at an unknown time'}${consentAge !== null ? `, ${plural(consentAge, 'day')} before collection` : ''}).`;
        if (consentedAt === null) said.add('manageAsApp.grantedUnknown', { app: app.name }, english);
        else if (consentAge === null) said.add('manageAsApp.granted', { app: app.name, at: consentedAt }, english);
        else said.add('manageAsApp.grantedDays', { app: app.name, at: consentedAt, days: consentAge }, english);
      } else said.add('manageAsApp.requested', { app: app.name }, `${app.name} requests Exchange.ManageAsApp but no consent was found: it cannot use it yet.`);
      said.add(
        `app.${app.local ? 'here' : 'elsewhere'}${app.multiTenant ? 'Multi' : 'Single'}Tenant`,
        {},
        `It is ${app.local ? 'registered in this tenant' : 'owned by another tenant'}, ${app.multiTenant ? 'multi-tenant' : 'single-tenant'}${app.ageDays !== null ? `, created ${plural(app.ageDays, 'day')} before collection` : ''}${verified ? ', from a verified publisher' : ''}.`,
      );
      provenance(said, app, { age: 'created' });
      if (verified) said.part('app.verified', {});
      if (label) said.add('manageAsApp.campaignName', { label }, `Its name follows the campaign's pattern (the domain label ${label} and a few random letters).`);
      if (app.collector) said.add('manageAsApp.engagement', {}, 'It is the engagement app this collection signed in with: the client granted it for the investigation. Remove it when the engagement ends.');
      if (takeover.length > 0) {
        const roleNames = takeover.map((r) => ctx.roleName(r.resourceId ?? '')).join(' and ');
        said.add('manageAsApp.takeover', { roles: takeover.map((r) => ctx.roleName(r.resourceId ?? '')).join(', ') }, `It also holds ${roleNames}: with those, Exchange.ManageAsApp can change any mail setting.`);
      }
      if (severity === 'low' && granted.length > 0) said.add('manageAsApp.longStanding', {}, 'Long-standing, as backup and archiving products are: confirm it is a product the client knows and uses.');
      hits.push({
        subject: { type: 'servicePrincipal', id: app.servicePrincipal?.objectId ?? app.application!.objectId, name: app.name },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects: [...appObjects(app), ...granted.map((a) => objectRef('appRoleAssignment', a, 'Exchange.ManageAsApp'))],
        eventIds: events.map((e) => e.eventId),
        iocs: severity === 'low' || severity === 'info' ? [] : appIocs(app, 'holds Exchange.ManageAsApp', 'holdsManageAsApp'),
      });
    }
    return hits;
  },
};

// ---- directory roles held by apps --------------------------------------------------------------

export const privilegedServicePrincipal: Rule = {
  id: 'sp.privileged-role',
  title: 'Service principal holds an administrator role',
  explanation:
    'A service principal was made a member of an administrative directory role. An app in Global Administrator or Exchange Administrator ' +
    'acts with that power using only its own credentials: resetting the admin\'s password does not evict it.',
  severity: 'critical',
  confidence: 'high',
  attack: ['T1098.003'],
  remediation: { phase: 'eradicate', step: 'Remove the service principal from each directory role (DELETE the role assignment), then confirm with a new collection.' },
  covers: [
    'Splunk: Azure AD Privileged Role Assigned to Service Principal',
    'Splunk: O365 Privileged Role Assigned To Service Principal',
    'M365 Defender: ServicePrincipalAddedToRole [Nobelium]',
    'Sigma: App Assigned To Azure RBAC/Microsoft Entra Role',
    'Sentinel: User Assigned New Privileged Role',
    'Splunk: O365 High Privilege Role Granted',
    'Elastic: Entra ID Global Administrator Role Assigned',
  ],
  stage: 'privilege',
  evaluate(ctx) {
    const spById = new Map(appViews(ctx).filter((a) => a.servicePrincipal).map((a) => [a.servicePrincipal!.objectId.toLowerCase(), a]));
    const held = new Map<string, TenantObjectRecord[]>();
    for (const r of ctx.objects('roleAssignment')) {
      const principal = (r.principalId ?? '').toLowerCase();
      if (!spById.has(principal) || !isPrivilegedRole(r.resourceId ?? '')) continue;
      held.set(principal, [...(held.get(principal) ?? []), r]);
    }
    const hits: Hit[] = [];
    for (const [spId, roles] of held) {
      const app = spById.get(spId)!;
      if (app.firstParty) continue;
      const names = roles.map((r) => ctx.roleName(r.resourceId ?? ''));
      const takeover = roles.some((r) => TAKEOVER_ROLES.has((r.resourceId ?? '').toLowerCase()));
      const label = campaignNameLabel(app.name, ctx.domainLabels);
      const assignedAt = roles.map(createdOf).filter((t): t is string => t !== null).sort()[0] ?? null;
      const young = (app.ageDays ?? 0) < LONG_STANDING_DAYS;
      const severity: Severity = app.collector ? 'info' : takeover ? (label ? 'critical' : young ? 'high' : 'medium') : young ? 'medium' : 'low';
      const events = activityOn(ctx, [spId], (op) => op === 'add member to role' || op === 'add eligible member to role' || op.startsWith('add member to role'));
      const by = [...new Set(events.map((e) => e.actorUser).filter((x): x is string => !!x))];
      const member = { app: app.name, appId: app.appId, roles: names.join(', ') };
      const said = new Reason().add(
        `spRole.member${assignedAt ? 'At' : ''}${by.length > 0 ? 'By' : ''}`,
        { ...member, ...(assignedAt ? { at: assignedAt } : {}), ...(by.length > 0 ? { by: by.join(', ') } : {}) },
        `${app.name} (app id ${app.appId}) is a member of ${names.join(', ')}${assignedAt ? `, assigned ${assignedAt}` : ''}${by.length > 0 ? ` by ${by.join(', ')}` : ''}.`,
      );
      said.add(
        app.local ? 'app.registeredHere' : 'app.ownedElsewhere',
        {},
        `It is ${app.local ? 'registered in this tenant' : 'owned by another tenant'}${app.ageDays !== null ? ` and ${plural(app.ageDays, 'day')} old` : ''}.`,
      );
      provenance(said, app, { age: 'old' });
      if (label) said.add('app.campaignName', {}, 'Its name follows the campaign\'s pattern.');
      if (app.collector) said.add('app.engagement', {}, 'It is the engagement app this collection signed in with.');
      hits.push({
        subject: { type: 'servicePrincipal', id: app.servicePrincipal!.objectId, name: app.name },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects: [...appObjects(app), ...roles.map((r) => objectRef('roleAssignment', r, ctx.roleName(r.resourceId ?? '')))],
        eventIds: events.map((e) => e.eventId),
        iocs: severity === 'low' || severity === 'info' ? [] : appIocs(app, `holds ${names.join(', ')}`, 'holdsRoles', { roles: names.join(', ') }),
      });
    }
    return hits;
  },
};

// ---- high-risk permissions held by apps -------------------------------------------------------

export const highRiskPermissions: Rule = {
  id: 'sp.high-risk-permission',
  title: 'App holds high-risk permissions',
  explanation:
    'A service principal holds application permissions, or tenant-wide delegated scopes, that read or send anyone\'s mail or change the directory, ' +
    'its roles or its apps (full_access_as_app, Mail.ReadWrite, Mail.Send, Directory.ReadWrite.All, RoleManagement.ReadWrite.Directory, ' +
    'AppRoleAssignment.ReadWrite.All…). Each is a standing way into the tenant for whoever holds the app\'s credentials.',
  severity: 'high',
  confidence: 'medium',
  attack: ['T1098.003', 'T1528'],
  remediation: { phase: 'eradicate', step: 'Remove the app role assignments and tenant-wide grants the app does not need (or the app itself if nobody owns it).' },
  covers: [
    'Sentinel: Microsoft Entra ID Role Management Permission Grant',
    'Sentinel: Mail.Read Permissions Granted to Application',
    'Splunk: Azure AD Privileged Graph API Permission Assigned',
    'Splunk: O365 Privileged Graph API Permission Assigned',
    'Splunk: O365 Mailbox Read Access Granted to Application',
    'Sigma: App Granted Privileged Delegated Or App Permissions',
    'Sigma: Delegated Permissions Granted For All Users',
  ],
  stage: 'persistence',
  evaluate(ctx) {
    const byPrincipal = assignmentsByPrincipal(ctx);
    const resourceRoles = new Map(ctx.servicePrincipals().map((s) => [s.objectId.toLowerCase(), { name: s.displayName ?? s.appId, roles: new Map(s.appRoles.map((r) => [r.id.toLowerCase(), r.value ?? r.id])) }]));
    const grantsByClient = new Map<string, TenantObjectRecord[]>();
    for (const g of ctx.objects('oauth2PermissionGrant')) {
      if (g.raw.consentType !== 'AllPrincipals') continue;
      const key = (g.principalId ?? '').toLowerCase();
      grantsByClient.set(key, [...(grantsByClient.get(key) ?? []), g]);
    }
    const hits: Hit[] = [];
    for (const app of appViews(ctx)) {
      if (!app.servicePrincipal || app.firstParty) continue;
      const spId = app.servicePrincipal.objectId.toLowerCase();
      const risky: { permission: string; resource: string; object: TenantObjectRecord; kind: 'application' | 'delegated' }[] = [];
      for (const a of byPrincipal.get(spId) ?? []) {
        if (appRoleOf(a) === EXCHANGE_MANAGE_AS_APP_ROLE_ID) continue; // its own rule
        const resource = resourceRoles.get((a.resourceId ?? '').toLowerCase());
        const permission = resource?.roles.get(appRoleOf(a));
        if (permission && HIGH_RISK_PERMISSIONS.has(permission)) risky.push({ permission, resource: resource!.name, object: a, kind: 'application' });
      }
      for (const g of grantsByClient.get(spId) ?? []) {
        const resource = resourceRoles.get((g.resourceId ?? '').toLowerCase());
        for (const scope of String(g.raw.scope ?? '').split(/\s+/)) {
          if (HIGH_RISK_PERMISSIONS.has(scope)) risky.push({ permission: scope, resource: resource?.name ?? g.resourceId ?? '?', object: g, kind: 'delegated' });
        }
      }
      if (risky.length === 0) continue;
      const young = (app.ageDays ?? 0) < LONG_STANDING_DAYS;
      const verified = Boolean(app.servicePrincipal.verifiedPublisher?.verifiedPublisherId);
      const label = campaignNameLabel(app.name, ctx.domainLabels);
      const severity: Severity = app.collector ? 'info' : label ? 'high' : young && !verified ? 'medium' : 'low';
      const list = risky.map((r) => `${r.permission} (${r.kind === 'application' ? 'application' : 'delegated, all users'}, ${r.resource})`);
      const events = activityOn(ctx, [spId], isConsent);
      // The translations list the application permissions and the tenant-wide delegated ones apart.
      const ofKind = (kind: 'application' | 'delegated') => [...new Set(risky.filter((r) => r.kind === kind).map((r) => `${r.permission} (${r.resource})`))].join(', ');
      const [applicationList, delegatedList] = [ofKind('application'), ofKind('delegated')];
      const said = new Reason().add(
        applicationList ? 'highRisk.application' : 'highRisk.delegated',
        { app: app.name, permissions: applicationList || delegatedList },
        `${app.name} holds ${[...new Set(list)].join(', ')}.`,
      );
      if (applicationList && delegatedList) said.part('highRisk.alsoDelegated', { permissions: delegatedList });
      said.add(
        app.local ? 'app.registeredHere' : 'app.ownedElsewhere',
        {},
        `It is ${app.local ? 'registered in this tenant' : 'owned by another tenant'}` +
          `${app.ageDays !== null ? `, ${plural(app.ageDays, 'day')} old` : ''}${verified ? ', from a verified publisher' : ', with no verified publisher'}.`,
      );
      provenance(said, app, { age: 'old' }).part(verified ? 'app.verified' : 'app.unverified', {});
      if (app.collector) said.add('app.engagement', {}, 'It is the engagement app this collection signed in with.');
      else if (severity === 'low') said.add('highRisk.longStanding', {}, 'Long-standing or verified: confirm the client knows the product and still uses it.');
      hits.push({
        subject: { type: 'servicePrincipal', id: app.servicePrincipal.objectId, name: app.name },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects: [...appObjects(app), ...risky.map((r) => objectRef(r.kind === 'application' ? 'appRoleAssignment' : 'oauth2PermissionGrant', r.object, r.permission))],
        eventIds: events.map((e) => e.eventId),
        iocs: severity === 'low' || severity === 'info' ? [] : appIocs(app, 'holds high-risk permissions', 'holdsHighRisk'),
      });
    }
    // Grants seen only in the log (the object deleted since, or a log-only case): tenant-wide delegated grants of risky scopes.
    const reported = new Set(hits.map((h) => h.subject.id.toLowerCase()));
    for (const a of ctx.directoryActivity()) {
      if (a.operation !== 'add delegated permission grant' && a.operation !== 'add app role assignment to service principal') continue;
      const prop = (name: string) => a.changes.find((c) => c.name.toLowerCase() === name.toLowerCase())?.newValue ?? '';
      const scopes = [...prop('DelegatedPermissionGrant.Scope').split(/\s+/), prop('AppRole.Value')].filter((x) => HIGH_RISK_PERMISSIONS.has(x));
      if (scopes.length === 0) continue;
      const allUsers = prop('DelegatedPermissionGrant.ConsentType') === 'AllPrincipals' || a.operation === 'add app role assignment to service principal';
      if (!allUsers) continue;
      const client = (prop('ServicePrincipal.ObjectID') || [...a.targetIds][0] || '').toLowerCase();
      if (!client || reported.has(client)) continue;
      const known = appViews(ctx).find((v) => v.ids.includes(client));
      if (known && !known.local) continue;
      reported.add(client);
      hits.push({
        subject: { type: 'servicePrincipal', id: client, name: known?.name ?? prop('ServicePrincipal.DisplayName') ?? null },
        severity: known && (known.ageDays ?? 0) >= LONG_STANDING_DAYS ? 'low' : 'medium',
        reason: `${a.actorUser ?? a.actorAppId ?? 'Someone'} granted ${scopes.join(', ')} ${a.operation === 'add delegated permission grant' ? 'for all users (tenant-wide delegated grant)' : 'as an application permission'} to service principal ${client} at ${a.at}${a.targetNames.length > 0 ? ` (on ${a.targetNames[0]})` : ''}.`,
        reasonParts: [
          {
            key: `grant.${a.operation === 'add delegated permission grant' ? 'delegated' : 'application'}${a.actorUser ?? a.actorAppId ? '' : 'Unknown'}`,
            values: { ...(a.actorUser ?? a.actorAppId ? { actor: (a.actorUser ?? a.actorAppId)! } : {}), scopes: scopes.join(', '), client, at: a.at },
          },
          ...(a.targetNames.length > 0 ? [{ key: 'grant.on', values: { resource: a.targetNames[0]! } }] : []),
        ],
        objects: known ? appObjects(known) : [],
        eventIds: [a.eventId],
        iocs: [],
      });
    }
    return hits;
  },
};

// ---- credentials added ----------------------------------------------------------------------

interface CredentialEvent {
  activity: DirectoryActivity;
  /** Keys in the change (KeyIdentifier=…), when the log lists them. */
  keys: string[];
  /** The change started from no credential at all. */
  first: boolean;
}

function credentialEvents(ctx: DetectContext, ids: string[], app: AppView | null): CredentialEvent[] {
  const existing = app ? [...(app.application?.passwordCredentials ?? []), ...(app.application?.keyCredentials ?? []), ...(app.servicePrincipal?.passwordCredentials ?? []), ...(app.servicePrincipal?.keyCredentials ?? [])] : [];
  return activityOn(ctx, ids, isCredentialChange).map((activity) => {
    const key = activity.changes.find((c) => /keydescription|credential/i.test(c.name));
    const keysOf = (v: string) => [...v.matchAll(/KeyIdentifier=([0-9a-f-]{36})/gi)].map((m) => m[1]!.toLowerCase());
    const before = key ? keysOf(key.oldValue) : [];
    const after = key ? keysOf(key.newValue) : [];
    const added = after.filter((k) => !before.includes(k));
    const keys = added.length > 0 ? added : after;
    // The log's old value is not always the full list: a credential on the object that started earlier says it was not the first.
    const olderOnObject = existing.some((c) => c.startDateTime !== null && !keys.includes(c.keyId.toLowerCase()) && Date.parse(c.startDateTime) < Date.parse(activity.at) - 60_000);
    return { activity, keys, first: key !== undefined && before.length === 0 && (key.oldValue === '' || key.oldValue === '[]') && !olderOnObject };
  });
}

export const credentialAdded: Rule = {
  id: 'app.credential-added',
  title: 'Credential added to an app',
  explanation:
    'A client secret or certificate was added to an application or service principal. Whoever added it can sign in as the app from anywhere, ' +
    'without any user\'s password. The campaign added its own credential minutes after consent, by the compromised admin\'s hand; owners ' +
    'rotating a long-standing product\'s secret on schedule look different (old app, consent long ago, the usual admin).',
  severity: 'high',
  confidence: 'medium',
  attack: ['T1098.001'],
  remediation: { phase: 'contain', step: 'Remove the credentials nobody can vouch for (passwordCredentials via removePassword; certificates by PATCHing keyCredentials).' },
  covers: [
    'Sentinel: New access credential added to Application or Service Principal',
    'Sentinel: First access credential added to Application or Service Principal where no credential was present',
    'Sentinel: Credential added after admin consented to Application',
    "M365 Defender: Credentials were added to an Azure AD application after 'Admin Consent' permissions granted [Nobelium]",
    'Sigma: Added Credentials to Existing Application',
    'Elastic: Entra ID Application Credential Modified',
    'Elastic: Entra ID Service Principal Credentials Created by Unusual User',
    'Splunk: Azure AD Service Principal New Client Credentials',
    'Splunk: O365 Service Principal New Client Credentials',
  ],
  stage: 'credentials',
  evaluate(ctx) {
    const hits: Hit[] = [];
    const views = appViews(ctx);
    const known = new Set(views.flatMap((v) => v.ids));
    const candidates: { app: AppView | null; id: string; name: string; ids: string[] }[] = views.map((v) => ({ app: v, id: v.application?.objectId ?? v.servicePrincipal!.objectId, name: v.name, ids: v.ids }));
    // Credential changes on objects the collection no longer lists (deleted since): the log is the only evidence.
    for (const a of ctx.directoryActivity()) {
      if (!isCredentialChange(a.operation)) continue;
      const orphan = [...a.targetIds].find((t) => !known.has(t));
      if (orphan && ![...a.targetIds].some((t) => known.has(t))) {
        known.add(orphan);
        candidates.push({ app: null, id: orphan, name: a.targetNames[0] ?? orphan, ids: [orphan] });
      }
    }
    for (const c of candidates) {
      const app = c.app;
      if (app?.firstParty) continue;
      const changes = credentialEvents(ctx, c.ids, app);
      const consents = activityOn(ctx, c.ids, isConsent);
      const consentTimes = [
        ...consents.map((e) => e.at),
        ...(app?.servicePrincipal ? ctx.objects('appRoleAssignment').filter((a) => a.principalId?.toLowerCase() === app.servicePrincipal!.objectId.toLowerCase()).map(createdOf) : []),
      ].filter((t): t is string => t !== null).sort();
      const consentAt = consentTimes[0] ?? null;
      const withinAfterConsent = (at: string) => consentAt !== null && at >= consentAt && Date.parse(at) - Date.parse(consentAt) <= AFTER_CONSENT_DAYS * DAY_MS;
      const young = app ? (app.ageDays ?? 0) < LONG_STANDING_DAYS : true;
      if (changes.length > 0) {
        const byUserSoonAfter = changes.filter((ch) => ch.activity.actorUser && withinAfterConsent(ch.activity.at));
        const first = changes.filter((ch) => ch.first);
        const severity: Severity = byUserSoonAfter.length > 0 && young ? 'high' : young && first.length > 0 ? 'medium' : young ? 'medium' : 'low';
        const who = [...new Set(changes.map((ch) => `${ch.activity.actorUser ?? ch.activity.actorAppId ?? 'unknown'}${ch.activity.actorIp ? ` from ${ch.activity.actorIp}` : ''}`))];
        // The Unified Audit Log repeats each directory change: count the directory log's records when it has them.
        const counted = changes.some((ch) => ch.activity.source === 'directory_audit') ? changes.filter((ch) => ch.activity.source === 'directory_audit') : changes;
        const keys = [...new Set(changes.flatMap((ch) => ch.keys))];
        const actors = [...new Set(changes.map((ch) => `${ch.activity.actorUser ?? ch.activity.actorAppId ?? '?'}${ch.activity.actorIp ? ` (${ch.activity.actorIp})` : ''}`))];
        const from = changes[0]!.activity.at;
        const to = changes[changes.length - 1]!.activity.at;
        const said = new Reason().add(
          'credential.changes',
          { count: counted.length, name: c.name, from, to, actors: actors.join(', ') },
          `${plural(counted.length, 'credential change')} on ${c.name} between ${from} and ${to} by ${who.join(', ')}${keys.length > 0 ? `; key ids ${keys.join(', ')}` : ''}.`,
        );
        if (keys.length > 0) said.part('credential.keyIds', { keys: keys.join(', ') });
        if (byUserSoonAfter.length > 0) said.add('credential.soonAfterConsent', { days: AFTER_CONSENT_DAYS, at: consentAt! }, `Added by a user within ${AFTER_CONSENT_DAYS} days after consent (${consentAt}): the attacker's own way in.`);
        if (first.length > 0) said.add('credential.first', {}, 'The first credential on an object that had none.');
        if (app?.ageDays !== undefined && app.ageDays !== null) {
          said.add(
            consentAt ? 'credential.appAgeConsented' : 'credential.appAge',
            consentAt ? { days: app.ageDays, at: consentAt } : { days: app.ageDays },
            `The app is ${plural(app.ageDays, 'day')} old${consentAt ? `, consented ${consentAt}` : ''}.`,
          );
        }
        if (!app) said.add('credential.notCollected', {}, 'The object is not in this collection (deleted since, or outside what was read): the audit record is the evidence.');
        if (severity === 'low') said.add('credential.rotated', {}, 'A long-standing app\'s credential rotated: confirm with the product\'s owner.');
        hits.push({
          subject: { type: app?.application ? 'application' : app ? 'servicePrincipal' : 'object', id: c.id, name: c.name },
          severity,
          reason: said.text,
          reasonParts: said.parts,
          objects: app ? appObjects(app) : [],
          // The consent it followed is the Exchange.ManageAsApp and permission findings' evidence; the reason gives its time.
          eventIds: changes.map((ch) => ch.activity.eventId),
          iocs: app && severity !== 'low' ? appIocs(app, 'credential added', 'credentialAdded') : [],
        });
        continue;
      }
      // No audit record in the window: the credential dates on the object itself still tell when it was added.
      if (!app?.application || !young || consentAt === null) continue;
      const creds = [...app.application.passwordCredentials, ...app.application.keyCredentials].filter((k) => k.startDateTime && withinAfterConsent(k.startDateTime));
      if (creds.length === 0) continue;
      hits.push({
        subject: { type: 'application', id: app.application.objectId, name: app.name },
        severity: 'medium',
        confidence: 'low',
        reason: `${plural(creds.length, 'credential')} on ${app.name} start${creds.length === 1 ? 's' : ''} after its consent (${consentAt}): ${creds.map((k) => `${k.keyId} from ${k.startDateTime}`).join(', ')}. No audit record of the change is in the collected window, so who added it is unknown.`,
        reasonParts: [
          { key: 'credential.startsAfterConsent', values: { count: creds.length, app: app.name, at: consentAt, keys: creds.map((k) => `${k.keyId} (${k.startDateTime})`).join(', ') } },
          { key: 'credential.noAudit', values: {} },
        ],
        objects: appObjects(app),
        eventIds: [],
        iocs: appIocs(app, 'credential added after consent', 'credentialAfterConsent'),
      });
    }
    return hits;
  },
};

// ---- consent ------------------------------------------------------------------------------

const RISKY_USER_SCOPES = new Set([
  ...HIGH_RISK_PERMISSIONS, 'Mail.Read', 'Mail.ReadBasic', 'Mail.Read.Shared', 'Mail.ReadWrite.Shared', 'Mail.Send.Shared', 'Files.Read.All', 'Files.ReadWrite',
  'Notes.Read.All', 'Contacts.Read', 'Contacts.ReadWrite', 'Calendars.ReadWrite', 'MailboxSettings.Read', 'IMAP.AccessAsUser.All', 'POP.AccessAsUser.All', 'SMTP.Send',
]);

export const riskyConsent: Rule = {
  id: 'consent.risky-user-consent',
  title: 'User consented to an app reading mail or files',
  explanation:
    'A user granted an app (not Microsoft\'s own) delegated access to their mail, files or contacts. Consent phishing works this way: the app ' +
    'keeps a refresh token and reads the mailbox without the password. One user consenting to a known product is ordinary; an unverified ' +
    'app nobody else uses, consented to just before mail rules or forwarding appear, is not.',
  severity: 'medium',
  confidence: 'medium',
  attack: ['T1528'],
  remediation: { phase: 'eradicate', step: 'Remove the delegated permission grant (and the service principal if the app is unknown); revoke the user\'s sessions.' },
  covers: [
    'Splunk: Azure AD OAuth Application Consent Granted By User',
    'Splunk: O365 Mail Permissioned Application Consent Granted by User',
    'Splunk: O365 File Permissioned Application Consent Granted by User',
    'Elastic: Entra ID Illicit Consent Grant via Registered Application',
    'Panther: Microsoft Entra ID Anomalous Application Consent',
  ],
  stage: 'persistence',
  evaluate(ctx) {
    const views = new Map(appViews(ctx).filter((a) => a.servicePrincipal).map((a) => [a.servicePrincipal!.objectId.toLowerCase(), a]));
    const users = new Map(ctx.objects('user').map((u) => [u.objectId.toLowerCase(), u.displayName]));
    const perApp = new Map<string, { app: AppView; grants: { grant: TenantObjectRecord; scopes: string[] }[] }>();
    for (const g of ctx.objects('oauth2PermissionGrant')) {
      if (g.raw.consentType !== 'Principal') continue;
      const app = views.get((g.principalId ?? '').toLowerCase());
      if (!app || app.firstParty) continue;
      const scopes = String(g.raw.scope ?? '').split(/\s+/).filter((s) => RISKY_USER_SCOPES.has(s));
      if (scopes.length === 0) continue;
      const entry = perApp.get(app.appId) ?? { app, grants: [] };
      entry.grants.push({ grant: g, scopes });
      perApp.set(app.appId, entry);
    }
    const hits: Hit[] = [];
    for (const { app, grants } of perApp.values()) {
      const verified = Boolean(app.servicePrincipal?.verifiedPublisher?.verifiedPublisherId);
      const consenters = grants.map((g) => users.get(String(g.grant.raw.principalId ?? '').toLowerCase()) ?? String(g.grant.raw.principalId ?? '?'));
      const scopes = [...new Set(grants.flatMap((g) => g.scopes))];
      const young = (app.ageDays ?? 0) < LONG_STANDING_DAYS;
      const severity: Severity = !verified && young ? 'medium' : 'low';
      const events = activityOn(ctx, app.ids, (op) => op === 'consent to application');
      const shown = consenters.slice(0, 5).join(', ');
      const more = consenters.length - 5;
      const said = new Reason().add(
        more > 0 ? 'consent.grantedMore' : 'consent.granted',
        { count: consenters.length, users: shown, ...(more > 0 ? { more } : {}), app: app.name, scopes: scopes.join(', ') },
        `${plural(consenters.length, 'user')} (${shown}${more > 0 ? ` and ${more} more` : ''}) granted ${app.name} ${scopes.join(', ')}.`,
      );
      said.add(
        verified ? 'app.verified' : 'app.unverified',
        {},
        `${verified ? 'Verified publisher' : 'No verified publisher'}; ${app.local ? 'registered in this tenant' : 'owned by another tenant'}${app.ageDays !== null ? `, ${plural(app.ageDays, 'day')} old` : ''}.`,
      );
      provenance(said.part(app.local ? 'app.registeredHere' : 'app.ownedElsewhere', {}), app, { age: 'old' });
      hits.push({
        subject: { type: 'servicePrincipal', id: app.servicePrincipal!.objectId, name: app.name },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects: [...appObjects(app), ...grants.map((g) => objectRef('oauth2PermissionGrant', g.grant, g.scopes.join(' ')))],
        eventIds: events.map((e) => e.eventId),
        iocs: severity === 'low' ? [] : appIocs(app, 'user consent to mail or file scopes', 'userConsent'),
      });
    }
    return hits;
  },
};
