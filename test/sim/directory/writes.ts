// Test tooling (Node): Graph remediation writes (delete app, remove credentials, disable service principal, remove grants and roles, revoke sessions, reset password, MFA posture) and the directory audits Entra records for them.
import { randomUUID } from 'node:crypto';
import { readBody, sendGraphError, sendJson } from '../http';
import {
  PERMISSIONS, denied, notFound, sendNoContent, type GraphCall, type GraphRoute,
} from '../graph';
import { createPrng } from '../prng';
import type { GraphApplication, GraphConditionalAccessPolicy, KeyCredential } from '../graph-types';
import { directoryAuditId, directoryAuditRecord } from '../logs/records';
import type { AuditAppIdentity, AuditUserIdentity, GraphDirectoryAudit, ModifiedProperty, TargetResource } from '../logs/types';
import { DIRECTORY_ROLES } from '../wellknown';
import { roleDisplayName } from './policies';
import { attachedLogs } from './logs-link';
import { unknownLocationOf } from './hardening';

/** Entra writes this activity name with an en dash and a trailing space (see ../shared/corpus/README.md). */
export const CREDENTIALS_ACTIVITY = 'Update application – Certificates and secrets management ';

/** Roles that may reset an admin's password (delegated): Global Administrator, Privileged Authentication Administrator. */
const PASSWORD_ADMIN_ROLES = new Set<string>([DIRECTORY_ROLES.globalAdministrator.templateId, '7be44c8a-adaf-4e2a-84d6-ab2649e08a13']);

type Initiator = { user: AuditUserIdentity } | { app: AuditAppIdentity };

function initiator(c: GraphCall): Initiator {
  const claims = c.caller.claims;
  if (c.caller.delegated) {
    const user = c.state.findUser(String(claims.oid));
    return { user: { id: String(claims.oid), displayName: user?.displayName ?? null, userPrincipalName: user?.userPrincipalName ?? String(claims.upn ?? ''), ipAddress: '127.0.0.1' } };
  }
  const sp = c.state.tenant.servicePrincipals.find((s) => s.id === claims.oid);
  return { app: { appId: String(claims.appid ?? ''), displayName: sp?.displayName ?? String(claims.app_displayname ?? ''), servicePrincipalId: String(claims.oid), servicePrincipalName: null } };
}

export function target(id: string, displayName: string | null, type: TargetResource['type'], modifiedProperties: ModifiedProperty[] = [], userPrincipalName: string | null = null): TargetResource {
  return { id, displayName, type, userPrincipalName, groupType: null, modifiedProperties };
}

/** Directory audits record modified values as JSON arrays in strings: `["true"]`, `[]`. */
export function values(...items: unknown[]): string {
  return JSON.stringify(items);
}

interface AuditInput {
  activity: string;
  category: string;
  operationType: GraphDirectoryAudit['operationType'];
  targets: TargetResource[];
  loggedByService?: string;
  additionalDetails?: { key: string; value: string }[];
}

export function audit(c: GraphCall, input: AuditInput): void {
  const correlationId = c.ctx.clientRequestId.match(/^[0-9a-f-]{36}$/i) ? c.ctx.clientRequestId : randomUUID();
  const record = directoryAuditRecord({
    id: directoryAuditId(createPrng(`peregrine-sim/write/${c.ctx.requestId}`), correlationId, input.loggedByService === 'Conditional Access' ? 'IPCGraph' : 'Directory'),
    ms: c.ctx.nowMs,
    correlationId,
    activityDisplayName: input.activity,
    category: input.category,
    operationType: input.operationType,
    loggedByService: input.loggedByService ?? 'Core Directory',
    initiatedBy: initiator(c),
    targetResources: input.targets,
    additionalDetails: [{ key: 'User-Agent', value: String(c.ctx.req.headers['user-agent'] ?? '') }, ...(input.additionalDetails ?? [])],
  });
  c.state.recordDirectoryAudit(record);
  attachedLogs(c.state)?.store.directoryAudits.append(record);
}

export async function jsonBody(c: GraphCall): Promise<Record<string, unknown> | undefined> {
  const text = await readBody(c.ctx.req);
  try {
    const parsed: unknown = JSON.parse(text || '{}');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  sendGraphError(c.ctx, 400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  return undefined;
}

function findApp(c: GraphCall): GraphApplication | undefined {
  const id = (c.params[0] ?? '').toLowerCase();
  const app = c.state.tenant.applications.find((a) => a.id === id);
  if (!app) notFound(c.ctx, c.params[0] ?? '');
  return app;
}

function credentialSummary(app: GraphApplication): string {
  return values(...app.keyCredentials.map((k) => `[KeyIdentifier=${k.keyId},KeyType=${k.type},KeyUsage=${k.usage},DisplayName=${k.displayName ?? ''}]`),
    ...app.passwordCredentials.map((p) => `[KeyIdentifier=${p.keyId},KeyType=Password,KeyUsage=Verify,DisplayName=${p.displayName ?? ''}]`));
}

function credentialsAudit(c: GraphCall, app: GraphApplication, before: string): void {
  audit(c, {
    activity: CREDENTIALS_ACTIVITY, category: 'ApplicationManagement', operationType: 'Update',
    targets: [target(app.id, app.displayName, 'Application', [
      { displayName: 'KeyDescription', oldValue: before, newValue: credentialSummary(app) },
      { displayName: 'Included Updated Properties', oldValue: null, newValue: '"KeyDescription"' },
    ])],
  });
}

/** The passwordProfile of a PATCH /users body, when valid. */
function passwordProfileOf(body: Record<string, unknown>): { password: string; forceChange: boolean } | string {
  const profile = body.passwordProfile;
  if (!profile || typeof profile !== 'object') return 'passwordProfile must be an object.';
  const p = profile as Record<string, unknown>;
  if (typeof p.password !== 'string' || p.password.length < 8) return 'The specified password does not comply with password complexity requirements. Please provide a different password.';
  return { password: p.password, forceChange: p.forceChangePasswordNextSignIn !== false };
}

const USER_WRITABLE = new Set(['passwordProfile', 'accountEnabled']);

export function conditionalAccessPolicyFrom(body: Record<string, unknown>, nowMs: number): GraphConditionalAccessPolicy | string {
  if (typeof body.displayName !== 'string' || !body.displayName.trim()) return "The property 'displayName' is required.";
  const stateValue = body.state;
  if (stateValue !== 'enabled' && stateValue !== 'disabled' && stateValue !== 'enabledForReportingButNotEnforced') return "The property 'state' must be enabled, disabled or enabledForReportingButNotEnforced.";
  const conditions = (body.conditions ?? {}) as Record<string, unknown>;
  const users = (conditions.users ?? {}) as Record<string, unknown>;
  const apps = (conditions.applications ?? {}) as Record<string, unknown>;
  const locations = (conditions.locations ?? {}) as Record<string, unknown>;
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  if (list(apps.includeApplications).length === 0) return 'conditions.applications.includeApplications is required.';
  if ([users.includeUsers, users.includeGroups, users.includeRoles].every((v) => list(v).length === 0)) return 'conditions.users must include users, groups or roles.';
  const grant = body.grantControls as Record<string, unknown> | null | undefined;
  const iso = new Date(Math.floor(nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    id: randomUUID(),
    templateId: null,
    displayName: body.displayName,
    createdDateTime: iso,
    modifiedDateTime: null,
    state: stateValue,
    sessionControls: null,
    conditions: {
      userRiskLevels: [], signInRiskLevels: [], clientAppTypes: list(conditions.clientAppTypes).length ? list(conditions.clientAppTypes) : ['all'],
      servicePrincipalRiskLevels: [], platforms: null, devices: null, clientApplications: null,
      // Named locations by id, or All / AllTrusted (https://learn.microsoft.com/graph/api/resources/conditionalaccesslocations).
      locations: list(locations.includeLocations).length + list(locations.excludeLocations).length > 0
        ? { includeLocations: list(locations.includeLocations), excludeLocations: list(locations.excludeLocations) }
        : null,
      applications: { includeApplications: list(apps.includeApplications), excludeApplications: list(apps.excludeApplications), includeUserActions: [], includeAuthenticationContextClassReferences: [] },
      users: {
        includeUsers: list(users.includeUsers), excludeUsers: list(users.excludeUsers), includeGroups: list(users.includeGroups), excludeGroups: list(users.excludeGroups),
        includeRoles: list(users.includeRoles), excludeRoles: list(users.excludeRoles), includeGuestsOrExternalUsers: null, excludeGuestsOrExternalUsers: null,
      },
    },
    grantControls: grant ? {
      operator: grant.operator === 'AND' ? 'AND' : 'OR', builtInControls: list(grant.builtInControls), customAuthenticationFactors: [], termsOfUse: [], authenticationStrength: null,
    } : null,
  };
}

export function directoryWriteRoutes(): GraphRoute[] {
  return [...firstWriteRoutes(), ...ownerAndRestoreRoutes(), ...moreWriteRoutes()];
}

/** An application or service principal by the route's first id, with its kind; 404 sent when there is none. */
function appOrSp(c: GraphCall, set: 'applications' | 'servicePrincipals'): { id: string; displayName: string | null } | undefined {
  const id = (c.params[0] ?? '').toLowerCase();
  const found = (set === 'applications' ? c.state.tenant.applications : c.state.tenant.servicePrincipals).find((o) => o.id === id);
  if (!found) notFound(c.ctx, c.params[0] ?? '');
  return found;
}

/**
 * Owners of apps and service principals, and the undo of a soft delete.
 * - GET …/owners lists directoryObjects (https://learn.microsoft.com/graph/api/application-list-owners,
 *   https://learn.microsoft.com/graph/api/serviceprincipal-list-owners);
 * - DELETE …/owners/{id}/$ref answers 204 (https://learn.microsoft.com/graph/api/application-delete-owners,
 *   https://learn.microsoft.com/graph/api/serviceprincipal-delete-owners), audited "Remove owner from application" /
 *   "Remove owner from service principal";
 * - POST directory/deletedItems/{id}/restore brings one object back and answers it with 200; restoring an application
 *   does not restore its service principal (https://learn.microsoft.com/graph/api/directory-deleteditems-restore).
 */
function ownerAndRestoreRoutes(): GraphRoute[] {
  const owners = (c: GraphCall, id: string): string[] => ((c.state.tenant.owners ??= {})[id] ??= []);
  return [
    ...(['applications', 'servicePrincipals'] as const).flatMap((set): GraphRoute[] => [
      {
        method: 'GET', path: `${set}/{}/owners`, permissions: PERMISSIONS.directoryApps,
        run: (c) => {
          const object = appOrSp(c, set);
          if (!object) return;
          const value = owners(c, object.id).map((id) => c.state.findUser(id)).filter((u) => u !== undefined)
            .map((u) => ({ '@odata.type': '#microsoft.graph.user', id: u.id, displayName: u.displayName, userPrincipalName: u.userPrincipalName }));
          sendJson(c.ctx, 200, { '@odata.context': `${c.state.baseUrl()}/${c.version}/$metadata#directoryObjects`, value });
        },
      },
      {
        method: 'DELETE', path: `${set}/{}/owners/{}/$ref`, permissions: set === 'applications' ? PERMISSIONS.applicationWrite : PERMISSIONS.servicePrincipalWrite,
        run: (c) => {
          const object = appOrSp(c, set);
          if (!object) return;
          const list = owners(c, object.id);
          const ownerId = (c.params[1] ?? '').toLowerCase();
          const index = list.indexOf(ownerId);
          if (index < 0) return notFound(c.ctx, c.params[1] ?? '');
          list.splice(index, 1);
          const user = c.state.findUser(ownerId);
          audit(c, {
            activity: set === 'applications' ? 'Remove owner from application' : 'Remove owner from service principal', category: 'ApplicationManagement', operationType: 'Unassign',
            targets: [target(ownerId, user?.displayName ?? null, 'User', [], user?.userPrincipalName ?? null), target(object.id, object.displayName, set === 'applications' ? 'Application' : 'ServicePrincipal')],
          });
          sendNoContent(c.ctx);
        },
      },
    ]),
    {
      method: 'POST', path: 'directory/deletedItems/{}/restore', permissions: PERMISSIONS.applicationWrite,
      run: (c) => {
        const t = c.state.tenant;
        const id = (c.params[0] ?? '').toLowerCase();
        const app = t.deletedApplications.find((a) => a.id === id);
        const sp = app ? undefined : t.deletedServicePrincipals.find((s) => s.id === id);
        const object = app ?? sp;
        if (!object) return notFound(c.ctx, c.params[0] ?? '');
        if (app) {
          t.deletedApplications.splice(t.deletedApplications.indexOf(app), 1);
          t.applications.push(app);
        } else if (sp) {
          t.deletedServicePrincipals.splice(t.deletedServicePrincipals.indexOf(sp), 1);
          t.servicePrincipals.push(sp);
        }
        object.deletedDateTime = null;
        audit(c, {
          activity: app ? 'Restore application' : 'Restore service principal', category: 'ApplicationManagement', operationType: 'Update',
          targets: [target(object.id, object.displayName, app ? 'Application' : 'ServicePrincipal')],
        });
        sendJson(c.ctx, 200, { '@odata.context': `${c.state.baseUrl()}/${c.version}/$metadata#directoryObjects/$entity`, '@odata.type': app ? '#microsoft.graph.application' : '#microsoft.graph.servicePrincipal', ...object });
      },
    },
  ];
}

/** Containment and eradication: the app, its credentials, its service principal, grants and roles. */
function firstWriteRoutes(): GraphRoute[] {
  return [
    {
      // Soft delete: the app moves to deleted items for 30 days; its service principal goes with it.
      method: 'DELETE', path: 'applications/{}', permissions: PERMISSIONS.applicationWrite,
      run: (c) => {
        const app = findApp(c);
        if (!app) return;
        const t = c.state.tenant;
        t.applications.splice(t.applications.indexOf(app), 1);
        app.deletedDateTime = new Date(c.ctx.nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
        t.deletedApplications.push(app);
        // Its service principal goes to deleted items too, and with it what it held: app roles, delegated grants, directory roles.
        const sp = t.servicePrincipals.find((s) => s.appId === app.appId && s.appOwnerOrganizationId === t.tenantId);
        if (sp) {
          t.servicePrincipals.splice(t.servicePrincipals.indexOf(sp), 1);
          sp.deletedDateTime = app.deletedDateTime;
          t.deletedServicePrincipals.push(sp);
          const keep = <T>(list: T[], gone: (item: T) => boolean) => list.splice(0, list.length, ...list.filter((item) => !gone(item)));
          keep(t.appRoleAssignments, (a) => a.principalId === sp.id || a.resourceId === sp.id);
          keep(t.oauth2PermissionGrants, (g) => g.clientId === sp.id || g.resourceId === sp.id);
          keep(t.directoryRoleAssignments, (r) => r.principalId === sp.id);
        }
        audit(c, {
          activity: 'Delete application', category: 'ApplicationManagement', operationType: 'Delete',
          targets: [target(app.id, app.displayName, 'Application', [{ displayName: 'AppAddress', oldValue: null, newValue: null }])],
        });
        sendNoContent(c.ctx);
      },
    },
    {
      method: 'POST', path: 'applications/{}/removePassword', permissions: PERMISSIONS.applicationWrite,
      run: async (c) => {
        const app = findApp(c);
        if (!app) return;
        const body = await jsonBody(c);
        if (!body) return;
        const keyId = typeof body.keyId === 'string' ? body.keyId.toLowerCase() : '';
        const index = app.passwordCredentials.findIndex((p) => p.keyId === keyId);
        if (index < 0) return sendGraphError(c.ctx, 400, 'Request_BadRequest', `No password credential found with keyId '${String(body.keyId)}'.`);
        const before = credentialSummary(app);
        app.passwordCredentials.splice(index, 1);
        credentialsAudit(c, app, before);
        sendNoContent(c.ctx);
      },
    },
    {
      method: 'PATCH', path: 'applications/{}', permissions: PERMISSIONS.applicationWrite,
      run: async (c) => {
        const app = findApp(c);
        if (!app) return;
        const body = await jsonBody(c);
        if (!body) return;
        const keys = Object.keys(body);
        if (keys.length !== 1 || !Array.isArray(body.keyCredentials)) {
          return sendGraphError(c.ctx, 400, 'Request_BadRequest', 'The simulator supports PATCH /applications/{id} with keyCredentials only.');
        }
        // Removing a certificate = sending the list without it; a new key would need its key material (not simulated).
        const wanted = (body.keyCredentials as unknown[]).map((k) => (k && typeof k === 'object' ? String((k as Record<string, unknown>).keyId ?? '').toLowerCase() : ''));
        const unknown = wanted.find((id) => !app.keyCredentials.some((k) => k.keyId === id));
        if (unknown !== undefined) {
          return sendGraphError(c.ctx, 400, 'Request_BadRequest', `Key credential '${unknown}' is not one of the application's; adding certificates is not simulated.`);
        }
        const before = credentialSummary(app);
        app.keyCredentials = app.keyCredentials.filter((k: KeyCredential) => wanted.includes(k.keyId));
        credentialsAudit(c, app, before);
        sendNoContent(c.ctx);
      },
    },
    {
      method: 'PATCH', path: 'servicePrincipals/{}', permissions: PERMISSIONS.servicePrincipalWrite,
      run: async (c) => {
        const id = (c.params[0] ?? '').toLowerCase();
        const sp = c.state.tenant.servicePrincipals.find((s) => s.id === id);
        if (!sp) return notFound(c.ctx, c.params[0] ?? '');
        const body = await jsonBody(c);
        if (!body) return;
        if (Object.keys(body).length !== 1 || typeof body.accountEnabled !== 'boolean') {
          return sendGraphError(c.ctx, 400, 'Request_BadRequest', 'The simulator supports PATCH /servicePrincipals/{id} with accountEnabled only.');
        }
        const old = sp.accountEnabled;
        sp.accountEnabled = body.accountEnabled;
        audit(c, {
          activity: 'Update service principal', category: 'ApplicationManagement', operationType: 'Update',
          targets: [target(sp.id, sp.displayName, 'ServicePrincipal', [
            { displayName: 'AccountEnabled', oldValue: values(old), newValue: values(sp.accountEnabled) },
            { displayName: 'Included Updated Properties', oldValue: null, newValue: '"AccountEnabled"' },
          ])],
        });
        sendNoContent(c.ctx);
      },
    },
    {
      method: 'DELETE', path: 'servicePrincipals/{}/appRoleAssignedTo/{}', permissions: PERMISSIONS.appRoleAssignmentWrite,
      run: (c) => {
        const t = c.state.tenant;
        const resourceId = (c.params[0] ?? '').toLowerCase();
        const resource = t.servicePrincipals.find((s) => s.id === resourceId);
        if (!resource) return notFound(c.ctx, c.params[0] ?? '');
        const index = t.appRoleAssignments.findIndex((a) => a.id === c.params[1] && a.resourceId === resource.id);
        const assignment = t.appRoleAssignments[index];
        if (!assignment) return notFound(c.ctx, c.params[1] ?? '');
        t.appRoleAssignments.splice(index, 1);
        const role = resource.appRoles.find((r) => r.id === assignment.appRoleId);
        audit(c, {
          activity: 'Remove app role assignment from service principal', category: 'ApplicationManagement', operationType: 'Unassign',
          targets: [
            target(assignment.principalId, assignment.principalDisplayName, 'ServicePrincipal', [
              { displayName: 'AppRole.Id', oldValue: values(assignment.appRoleId), newValue: null },
              { displayName: 'AppRole.Value', oldValue: values(role?.value ?? ''), newValue: null },
              { displayName: 'AppRoleAssignment.Id', oldValue: values(assignment.id), newValue: null },
            ]),
            target(resource.id, resource.displayName, 'ServicePrincipal'),
          ],
        });
        sendNoContent(c.ctx);
      },
    },
    {
      method: 'DELETE', path: 'oauth2PermissionGrants/{}', permissions: PERMISSIONS.permissionGrantWrite,
      run: (c) => {
        const t = c.state.tenant;
        const index = t.oauth2PermissionGrants.findIndex((g) => g.id === c.params[0]);
        const grant = t.oauth2PermissionGrants[index];
        if (!grant) return notFound(c.ctx, c.params[0] ?? '');
        t.oauth2PermissionGrants.splice(index, 1);
        const client = t.servicePrincipals.find((s) => s.id === grant.clientId);
        audit(c, {
          activity: 'Remove delegated permission grant', category: 'ApplicationManagement', operationType: 'Unassign',
          targets: [
            target(grant.resourceId, t.servicePrincipals.find((s) => s.id === grant.resourceId)?.displayName ?? null, 'ServicePrincipal', [
              { displayName: 'DelegatedPermissionGrant.Scope', oldValue: values(grant.scope), newValue: null },
            ]),
            target(grant.clientId, client?.displayName ?? null, 'ServicePrincipal'),
          ],
        });
        sendNoContent(c.ctx);
      },
    },
    {
      method: 'DELETE', path: 'roleManagement/directory/roleAssignments/{}', permissions: PERMISSIONS.roleAssignmentWrite,
      run: (c) => {
        const index = c.state.tenant.directoryRoleAssignments.findIndex((a) => a.id === c.params[0]);
        if (index < 0) return notFound(c.ctx, c.params[0] ?? '');
        removeRoleAssignment(c, index);
      },
    },
    {
      // The older way (Remove-AzureADDirectoryRoleMember): remove the member's reference from the activated role.
      method: 'DELETE', path: 'directoryRoles/{}/members/{}/$ref', permissions: PERMISSIONS.roleAssignmentWrite,
      run: (c) => {
        const t = c.state.tenant;
        const role = t.directoryRoles.find((r) => r.id === (c.params[0] ?? '').toLowerCase() || r.roleTemplateId === (c.params[0] ?? '').toLowerCase());
        if (!role) return notFound(c.ctx, c.params[0] ?? '');
        const index = t.directoryRoleAssignments.findIndex((a) => a.roleDefinitionId === role.roleTemplateId && a.principalId === (c.params[1] ?? '').toLowerCase());
        if (index < 0) return notFound(c.ctx, c.params[1] ?? '');
        removeRoleAssignment(c, index);
      },
    },
  ];
}

/** Removes a directory role assignment and records "Remove member from role", whichever API asked. */
function removeRoleAssignment(c: GraphCall, index: number): void {
  const t = c.state.tenant;
  const assignment = t.directoryRoleAssignments[index];
  if (!assignment) return notFound(c.ctx, String(index));
  t.directoryRoleAssignments.splice(index, 1);
  const roleName = roleDisplayName(assignment.roleDefinitionId);
  const user = assignment.principalType === 'User' ? c.state.findUser(assignment.principalId) : undefined;
  const sp = assignment.principalType === 'ServicePrincipal' ? t.servicePrincipals.find((s) => s.id === assignment.principalId) : undefined;
  audit(c, {
    activity: 'Remove member from role', category: 'RoleManagement', operationType: 'Unassign',
    targets: [
      target(assignment.principalId, user?.displayName ?? sp?.displayName ?? null, assignment.principalType, [
        { displayName: 'Role.DisplayName', oldValue: values(roleName), newValue: null },
        { displayName: 'Role.TemplateId', oldValue: values(assignment.roleDefinitionId), newValue: null },
      ], user?.userPrincipalName ?? null),
      target(t.directoryRoles.find((r) => r.roleTemplateId === assignment.roleDefinitionId)?.id ?? assignment.roleDefinitionId, roleName, 'Role'),
    ],
  });
  sendNoContent(c.ctx);
}

/** Recovery: sessions, passwords, MFA posture. */
function moreWriteRoutes(): GraphRoute[] {
  return [
    {
      method: 'POST', path: 'users/{}/revokeSignInSessions', permissions: PERMISSIONS.revokeSessions,
      run: (c) => {
        const user = c.state.findUser(c.params[0] ?? '');
        if (!user) return notFound(c.ctx, c.params[0] ?? '');
        const old = user.signInSessionsValidFromDateTime;
        user.signInSessionsValidFromDateTime = new Date(Math.floor(c.ctx.nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
        audit(c, {
          activity: 'Invalidate all refresh tokens for user', category: 'UserManagement', operationType: 'Update',
          targets: [target(user.id, user.displayName, 'User', [
            { displayName: 'StsRefreshTokensValidFrom', oldValue: values(old), newValue: values(user.signInSessionsValidFromDateTime) },
          ], user.userPrincipalName)],
        });
        sendJson(c.ctx, 200, { '@odata.context': `${c.state.baseUrl()}/${c.version}/$metadata#Edm.Boolean`, value: true });
      },
    },
    {
      method: 'PATCH', path: 'users/{}', permissions: { delegated: [...PERMISSIONS.passwordProfile.delegated, ...PERMISSIONS.userWrite.delegated], application: [...PERMISSIONS.passwordProfile.application, ...PERMISSIONS.userWrite.application] },
      run: async (c) => {
        const user = c.state.findUser(c.params[0] ?? '');
        if (!user) return notFound(c.ctx, c.params[0] ?? '');
        const body = await jsonBody(c);
        if (!body) return;
        const extra = Object.keys(body).find((k) => !USER_WRITABLE.has(k));
        if (extra) return sendGraphError(c.ctx, 400, 'Request_BadRequest', `The simulator does not write the user property '${extra}'.`);
        const held = c.caller.delegated ? c.caller.scopes : c.caller.roles;
        const needs = (set: { delegated: readonly string[]; application: readonly string[] }) => (c.caller.delegated ? set.delegated : set.application).some((p) => held.has(p));
        // User.ReadWrite.All does not reach passwordProfile: Graph answers 403 unless a password permission is held.
        if ('passwordProfile' in body && !needs(PERMISSIONS.passwordProfile)) return denied(c.ctx);
        if ('accountEnabled' in body && !needs(PERMISSIONS.userWrite)) return denied(c.ctx);
        const targetIsAdmin = c.state.tenant.directoryRoleAssignments.some((a) => a.principalId === user.id);
        if ('passwordProfile' in body && targetIsAdmin && c.caller.delegated) {
          const wids = Array.isArray(c.caller.claims.wids) ? c.caller.claims.wids.map(String) : [];
          if (!wids.some((w) => PASSWORD_ADMIN_ROLES.has(w))) return denied(c.ctx);
        }
        if ('passwordProfile' in body) {
          const profile = passwordProfileOf(body);
          if (typeof profile === 'string') return sendGraphError(c.ctx, 400, 'Request_BadRequest', profile);
          const now = new Date(Math.floor(c.ctx.nowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
          user.lastPasswordChangeDateTime = now;
          // A reset invalidates the user's refresh tokens as well.
          user.signInSessionsValidFromDateTime = now;
          audit(c, {
            activity: 'Reset user password', category: 'UserManagement', operationType: 'Update',
            targets: [target(user.id, user.displayName, 'User', [], user.userPrincipalName)],
          });
        }
        if (typeof body.accountEnabled === 'boolean') {
          const old = user.accountEnabled;
          user.accountEnabled = body.accountEnabled;
          audit(c, {
            activity: body.accountEnabled ? 'Enable account' : 'Disable account', category: 'UserManagement', operationType: 'Update',
            targets: [target(user.id, user.displayName, 'User', [{ displayName: 'AccountEnabled', oldValue: values(old), newValue: values(user.accountEnabled) }], user.userPrincipalName)],
          });
        }
        sendNoContent(c.ctx);
      },
    },
    {
      method: 'PATCH', path: 'policies/identitySecurityDefaultsEnforcementPolicy', permissions: PERMISSIONS.securityDefaultsWrite,
      run: async (c) => {
        const body = await jsonBody(c);
        if (!body) return;
        if (typeof body.isEnabled !== 'boolean') return sendGraphError(c.ctx, 400, 'Request_BadRequest', "The property 'isEnabled' must be a boolean.");
        const policy = c.state.tenant.securityDefaults;
        const old = policy.isEnabled;
        policy.isEnabled = body.isEnabled;
        audit(c, {
          activity: 'Update policy', category: 'Policy', operationType: 'Update',
          targets: [target(policy.id, policy.displayName, 'Policy', [{ displayName: 'IsEnabled', oldValue: values(old), newValue: values(policy.isEnabled) }])],
        });
        sendNoContent(c.ctx);
      },
    },
    {
      method: 'POST', path: 'identity/conditionalAccess/policies', permissions: PERMISSIONS.conditionalAccessWrite,
      run: async (c) => {
        const body = await jsonBody(c);
        if (!body) return;
        const policy = conditionalAccessPolicyFrom(body, c.ctx.nowMs);
        if (typeof policy === 'string') return sendGraphError(c.ctx, 400, 'BadRequest', policy);
        const unknownLocation = unknownLocationOf(c, policy);
        if (unknownLocation) return sendGraphError(c.ctx, 400, 'BadRequest', `The named location '${unknownLocation}' does not exist.`);
        c.state.tenant.conditionalAccessPolicies.push(policy);
        audit(c, {
          activity: 'Add conditional access policy', category: 'Policy', operationType: 'Add', loggedByService: 'Conditional Access',
          targets: [target(policy.id, policy.displayName, 'Policy', [{ displayName: 'ConditionalAccessPolicy', oldValue: null, newValue: JSON.stringify(policy) }])],
        });
        sendJson(c.ctx, 201, { '@odata.context': `${c.state.baseUrl()}/${c.version}/$metadata#identity/conditionalAccess/policies/$entity`, ...policy },
          undefined, { Location: `${c.state.baseUrl()}/${c.version}/identity/conditionalAccess/policies/${policy.id}` });
      },
    },
  ];
}
