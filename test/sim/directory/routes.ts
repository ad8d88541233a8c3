// Test tooling (Node): Graph read routes for the directory: users, MFA registration, conditional access, security defaults, roles, app-role assignments, delegated grants, deleted items.
import { sendJson } from '../http';
import {
  PERMISSIONS, notFound, sendCollection, sendEntity, type GraphCall, type GraphRoute,
} from '../graph';
import type { IdentityState } from '../identity';
import { USER_DEFAULT_PROPERTIES, type DirectoryRoleAssignment, type GraphUser } from '../graph-types';
import { attachedLogs } from './logs-link';

const USER_PROPERTIES: readonly (keyof GraphUser)[] = [
  ...USER_DEFAULT_PROPERTIES, 'accountEnabled', 'createdDateTime', 'userType', 'lastPasswordChangeDateTime',
  'signInSessionsValidFromDateTime', 'onPremisesSyncEnabled',
];

/** unifiedRoleAssignment as Graph v1.0 serves it (the simulator keeps principalType and the creation time internally). */
export function unifiedRoleAssignment(a: DirectoryRoleAssignment): Record<string, unknown> {
  return { id: a.id, principalId: a.principalId, directoryScopeId: '/', roleDefinitionId: a.roleDefinitionId, appScopeId: null };
}

/** A directoryObject in a members list: the user's default projection or the whole service principal, typed. */
export function directoryObject(state: IdentityState, principalId: string): Record<string, unknown> | undefined {
  const user = state.findUser(principalId);
  if (user) {
    const out: Record<string, unknown> = { '@odata.type': '#microsoft.graph.user' };
    for (const key of USER_DEFAULT_PROPERTIES) out[key] = user[key];
    return out;
  }
  const sp = state.tenant.servicePrincipals.find((s) => s.id === principalId);
  return sp ? { '@odata.type': '#microsoft.graph.servicePrincipal', ...sp } : undefined;
}

function roleMembers(state: IdentityState, roleTemplateId: string): Record<string, unknown>[] {
  return state.tenant.directoryRoleAssignments
    .filter((a) => a.roleDefinitionId === roleTemplateId)
    .flatMap((a): Record<string, unknown>[] => {
      const member = directoryObject(state, a.principalId);
      return member ? [member] : [];
    });
}

function byId<T extends { id: string }>(items: readonly T[], id: string | undefined): T | undefined {
  const wanted = (id ?? '').toLowerCase();
  return items.find((i) => i.id.toLowerCase() === wanted);
}

function servicePrincipalOr404(c: GraphCall): string | undefined {
  const sp = byId(c.state.tenant.servicePrincipals, c.params[0]);
  if (!sp) {
    notFound(c.ctx, c.params[0] ?? '');
    return undefined;
  }
  return sp.id;
}

/** The authentication-methods reports share the identity-and-access reports quota (LOGS' throttle); false after the 429 went out. */
function admitted(c: GraphCall): boolean {
  const logs = attachedLogs(c.state);
  return !logs || logs.throttle.admit(c.ctx, String(c.caller.claims.appid ?? ''));
}

const SECURITY_DEFAULTS = 'policies/identitySecurityDefaultsEnforcementPolicy';

export function directoryReadRoutes(): GraphRoute[] {
  return [
    {
      method: 'GET', path: 'users', permissions: PERMISSIONS.users,
      run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, 'users', c.state.tenant.users, {
        typeName: 'microsoft.graph.user', defaults: USER_DEFAULT_PROPERTIES, known: USER_PROPERTIES, filterable: true,
      }),
    },
    {
      method: 'GET', path: 'users/{}', permissions: PERMISSIONS.users,
      run: (c) => {
        const user = c.state.findUser(c.params[0] ?? '');
        if (!user) return notFound(c.ctx, c.params[0] ?? '');
        sendEntity(c.ctx, c.state, c.version, 'users', user, 'microsoft.graph.user', USER_DEFAULT_PROPERTIES);
      },
    },
    {
      method: 'GET', path: 'reports/authenticationMethods/userRegistrationDetails', permissions: PERMISSIONS.registrationDetails,
      run: (c) => {
        if (!admitted(c)) return;
        sendCollection(c.ctx, c.state, c.options, c.version, 'reports/authenticationMethods/userRegistrationDetails',
          c.state.tenant.userRegistrationDetails, { typeName: 'microsoft.graph.userRegistrationDetails', filterable: true });
      },
    },
    {
      method: 'GET', path: 'reports/authenticationMethods/userRegistrationDetails/{}', permissions: PERMISSIONS.registrationDetails,
      run: (c) => {
        if (!admitted(c)) return;
        const item = byId(c.state.tenant.userRegistrationDetails, c.params[0]);
        if (!item) return notFound(c.ctx, c.params[0] ?? '');
        sendEntity(c.ctx, c.state, c.version, 'reports/authenticationMethods/userRegistrationDetails', item, 'microsoft.graph.userRegistrationDetails');
      },
    },
    {
      method: 'GET', path: 'identity/conditionalAccess/policies', permissions: PERMISSIONS.conditionalAccess,
      run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, 'identity/conditionalAccess/policies', c.state.tenant.conditionalAccessPolicies, {
        typeName: 'microsoft.graph.conditionalAccessPolicy', filterable: true,
        known: ['id', 'templateId', 'displayName', 'createdDateTime', 'modifiedDateTime', 'state', 'sessionControls', 'conditions', 'grantControls'],
      }),
    },
    {
      method: 'GET', path: 'identity/conditionalAccess/policies/{}', permissions: PERMISSIONS.conditionalAccess,
      run: (c) => {
        const item = byId(c.state.tenant.conditionalAccessPolicies, c.params[0]);
        if (!item) return notFound(c.ctx, c.params[0] ?? '');
        sendEntity(c.ctx, c.state, c.version, 'identity/conditionalAccess/policies', item, 'microsoft.graph.conditionalAccessPolicy');
      },
    },
    {
      method: 'GET', path: SECURITY_DEFAULTS, permissions: PERMISSIONS.securityDefaults,
      run: (c) => sendJson(c.ctx, 200, {
        '@odata.context': `${c.state.baseUrl()}/${c.version}/$metadata#policies/identitySecurityDefaultsEnforcementPolicy/$entity`,
        ...c.state.tenant.securityDefaults,
      }),
    },
    {
      method: 'GET', path: 'directoryRoles', permissions: PERMISSIONS.directoryRoles,
      run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, 'directoryRoles', c.state.tenant.directoryRoles, {
        typeName: 'microsoft.graph.directoryRole', filterable: true,
        expandable: { members: (role) => roleMembers(c.state, (role as { roleTemplateId: string }).roleTemplateId) },
      }),
    },
    {
      method: 'GET', path: 'directoryRoles/{}', permissions: PERMISSIONS.directoryRoles,
      run: (c) => {
        const role = byId(c.state.tenant.directoryRoles, c.params[0]);
        if (!role) return notFound(c.ctx, c.params[0] ?? '');
        sendEntity(c.ctx, c.state, c.version, 'directoryRoles', role, 'microsoft.graph.directoryRole');
      },
    },
    {
      method: 'GET', path: 'directoryRoles/{}/members', permissions: PERMISSIONS.directoryRoles,
      run: (c) => {
        const role = byId(c.state.tenant.directoryRoles, c.params[0]);
        if (!role) return notFound(c.ctx, c.params[0] ?? '');
        sendCollection(c.ctx, c.state, c.options, c.version, 'directoryObjects', roleMembers(c.state, role.roleTemplateId), {
          typeName: 'microsoft.graph.directoryObject', known: ['@odata.type', ...USER_DEFAULT_PROPERTIES, 'appId', 'servicePrincipalType', 'accountEnabled'],
        });
      },
    },
    {
      method: 'GET', path: 'roleManagement/directory/roleAssignments', permissions: PERMISSIONS.roleAssignments,
      run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, 'roleManagement/directory/roleAssignments',
        c.state.tenant.directoryRoleAssignments.map(unifiedRoleAssignment), {
          typeName: 'microsoft.graph.unifiedRoleAssignment', filterable: true,
          known: ['id', 'principalId', 'directoryScopeId', 'roleDefinitionId', 'appScopeId'],
          expandable: { principal: (a) => directoryObject(c.state, String((a as { principalId: string }).principalId)) ?? null },
        }),
    },
    {
      method: 'GET', path: 'roleManagement/directory/roleAssignments/{}', permissions: PERMISSIONS.roleAssignments,
      run: (c) => {
        const a = c.state.tenant.directoryRoleAssignments.find((r) => r.id === c.params[0]);
        if (!a) return notFound(c.ctx, c.params[0] ?? '');
        sendEntity(c.ctx, c.state, c.version, 'roleManagement/directory/roleAssignments', unifiedRoleAssignment(a), 'microsoft.graph.unifiedRoleAssignment');
      },
    },
    {
      method: 'GET', path: 'servicePrincipals/{}/appRoleAssignments', permissions: PERMISSIONS.appRoleAssignments,
      run: (c) => {
        const id = servicePrincipalOr404(c);
        if (!id) return;
        sendCollection(c.ctx, c.state, c.options, c.version, `servicePrincipals('${id}')/appRoleAssignments`,
          c.state.tenant.appRoleAssignments.filter((a) => a.principalId === id), { typeName: 'microsoft.graph.appRoleAssignment', known: APP_ROLE_ASSIGNMENT_PROPERTIES });
      },
    },
    {
      method: 'GET', path: 'servicePrincipals/{}/appRoleAssignedTo', permissions: PERMISSIONS.appRoleAssignments,
      run: (c) => {
        const id = servicePrincipalOr404(c);
        if (!id) return;
        sendCollection(c.ctx, c.state, c.options, c.version, `servicePrincipals('${id}')/appRoleAssignedTo`,
          c.state.tenant.appRoleAssignments.filter((a) => a.resourceId === id), { typeName: 'microsoft.graph.appRoleAssignment', known: APP_ROLE_ASSIGNMENT_PROPERTIES });
      },
    },
    {
      method: 'GET', path: 'servicePrincipals/{}/oauth2PermissionGrants', permissions: PERMISSIONS.permissionGrants,
      run: (c) => {
        const id = servicePrincipalOr404(c);
        if (!id) return;
        sendCollection(c.ctx, c.state, c.options, c.version, 'oauth2PermissionGrants',
          c.state.tenant.oauth2PermissionGrants.filter((g) => g.clientId === id), { typeName: 'microsoft.graph.oAuth2PermissionGrant', known: GRANT_PROPERTIES });
      },
    },
    {
      method: 'GET', path: 'oauth2PermissionGrants', permissions: PERMISSIONS.permissionGrants,
      run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, 'oauth2PermissionGrants', c.state.tenant.oauth2PermissionGrants, {
        typeName: 'microsoft.graph.oAuth2PermissionGrant', known: GRANT_PROPERTIES, filterable: true,
      }),
    },
    {
      method: 'GET', path: 'oauth2PermissionGrants/{}', permissions: PERMISSIONS.permissionGrants,
      run: (c) => {
        const g = c.state.tenant.oauth2PermissionGrants.find((x) => x.id === c.params[0]);
        if (!g) return notFound(c.ctx, c.params[0] ?? '');
        sendEntity(c.ctx, c.state, c.version, 'oauth2PermissionGrants', g, 'microsoft.graph.oAuth2PermissionGrant');
      },
    },
    {
      method: 'GET', path: 'directory/deletedItems/microsoft.graph.application', permissions: PERMISSIONS.directoryApps,
      run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, 'directory/deletedItems/microsoft.graph.application', c.state.tenant.deletedApplications, {
        typeName: 'microsoft.graph.application', known: c.state.tenant.applications[0] ? Object.keys(c.state.tenant.applications[0]) : ['id'], filterable: true,
      }),
    },
    {
      method: 'GET', path: 'directory/deletedItems/microsoft.graph.servicePrincipal', permissions: PERMISSIONS.directoryApps,
      run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, 'directory/deletedItems/microsoft.graph.servicePrincipal', c.state.tenant.deletedServicePrincipals, {
        typeName: 'microsoft.graph.servicePrincipal', known: c.state.tenant.servicePrincipals[0] ? Object.keys(c.state.tenant.servicePrincipals[0]) : ['id'], filterable: true,
      }),
    },
    {
      method: 'GET', path: 'directory/deletedItems/{}', permissions: PERMISSIONS.directoryApps,
      run: (c) => {
        const app = byId(c.state.tenant.deletedApplications, c.params[0]);
        const sp = app ? undefined : byId(c.state.tenant.deletedServicePrincipals, c.params[0]);
        const item = app ? { '@odata.type': '#microsoft.graph.application', ...app } : sp ? { '@odata.type': '#microsoft.graph.servicePrincipal', ...sp } : undefined;
        if (!item) return notFound(c.ctx, c.params[0] ?? '');
        sendEntity(c.ctx, c.state, c.version, 'directory/deletedItems', item, 'microsoft.graph.directoryObject');
      },
    },
  ];
}

const APP_ROLE_ASSIGNMENT_PROPERTIES = [
  'id', 'deletedDateTime', 'appRoleId', 'createdDateTime', 'principalDisplayName', 'principalId', 'principalType', 'resourceDisplayName', 'resourceId',
];
const GRANT_PROPERTIES = ['clientId', 'consentType', 'id', 'principalId', 'resourceId', 'scope'];
