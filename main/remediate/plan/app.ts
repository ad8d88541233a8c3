// Main process / CLI: remediation steps for the malicious app: disable, strip credentials, roles, grants and owners, delete.
import type { TenantObjectRecord } from '../../../db/queries/objects';
import type { Finding } from '../../../preload/contract';
import { appViews, EXCHANGE_MANAGE_AS_APP_ROLE_ID, HIGH_RISK_PERMISSIONS, type AppView } from '../../detect/rules/apps';
import type { ActionKind, Phase, Risk, StepItem } from '../model';
import type { DraftStep, PlanContext } from './context';
import { item } from './build';

/** The rules whose high or critical findings make an app the attacker's. */
export const APP_RULES = [
  'app.tenant-label-name', 'app.exchange-manage-as-app', 'sp.privileged-role', 'sp.high-risk-permission', 'app.credential-added',
  'consent.risky-user-consent', 'app.owner-added',
] as const;

/** A PowerShell single-quoted string: nothing inside is expanded, a quote is doubled. */
export const psQuote = (s: string): string => `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;

const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();

interface Spec {
  action: ActionKind;
  phase: Phase;
  title: string;
  /** The values the title and note name, for the Checklist to word them in its language. */
  params?: Record<string, string | number>;
  why: string;
  risk: Risk;
  destructive: boolean;
  graphScopes: string[];
  directoryRoles: string[];
  target: DraftStep['target'];
  items: StepItem[];
}

const APP_ADMIN = ['Cloud Application Administrator'];

/** The attacker's apps: a high or critical app finding names them, they are not excluded and not the collection's own. */
function attackerApps(ctx: PlanContext): { app: AppView; findings: Finding[] }[] {
  const findings = ctx.findingsOf(...APP_RULES).filter((f) => f.severity === 'high' || f.severity === 'critical');
  return appViews(ctx.collection).flatMap((app) => {
    if (app.firstParty || app.collector || !app.local || ctx.isExcludedApp(app.appId)) return [];
    const named = findings.filter((f) => app.ids.includes(lower(f.subject.id)) || f.objects.some((o) => app.ids.includes(lower(o.id))));
    return named.length ? [{ app, findings: named }] : [];
  });
}

const roleOf = (a: TenantObjectRecord) => lower(typeof a.raw.appRoleId === 'string' ? a.raw.appRoleId : '');

/**
 * The app's steps. Each item is built with `item()` (build.ts): its PowerShell is its writes as Invoke-MgGraphRequest
 * lines, one for one, so what the script runs is what the engine sends; the friendlier cmdlet is in the undo.
 */
export function appSteps(ctx: PlanContext): DraftStep[] {
  return attackerApps(ctx).flatMap(({ app, findings }) => {
    const name = app.name;
    const appObj = app.application;
    const sp = app.servicePrincipal;
    const source = {
      runId: ctx.runId,
      evidenceId: appObj?.evidenceId ?? sp?.evidenceId ?? null,
      evidenceSha256: appObj?.evidenceSha256 ?? sp?.evidenceSha256 ?? null,
    };
    const why = `${findings.map((f) => f.title).filter((t, i, all) => all.indexOf(t) === i).join('; ')}: ${findings[0]!.reason}`;
    const specs: Spec[] = [];
    const appTarget = appObj ? { kind: 'application', id: appObj.objectId, name } : null;
    const spTarget = sp ? { kind: 'servicePrincipal', id: sp.objectId, name } : null;

    if (sp && spTarget && sp.accountEnabled !== false) {
      const read = { api: 'graph' as const, method: 'GET' as const, path: `/v1.0/servicePrincipals/${sp.objectId}?$select=id,appId,displayName,accountEnabled` };
      specs.push({
        action: 'sp.disable', phase: 'contain', title: `Disable the service principal of ${name}`, params: { name }, risk: 'low', destructive: false,
        why: `Stops every token for ${name} at once, before anything is removed. ${why}`,
        graphScopes: ['Application.ReadWrite.All'], directoryRoles: APP_ADMIN, target: spTarget,
        items: [item({
          key: sp.objectId, target: spTarget, read, plannedOn: { appId: sp.appId, displayName: sp.displayName, accountEnabled: true },
          writes: [{ api: 'graph', method: 'PATCH', path: `/v1.0/servicePrincipals/${sp.objectId}`, body: { accountEnabled: false } }],
          expect: { equals: { accountEnabled: false } },
          undo: { text: 'Enable the service principal again.', powershell: [`Update-MgServicePrincipal -ServicePrincipalId ${psQuote(sp.objectId)} -AccountEnabled:$true`] },
        })],
      });
    }

    if (appObj && appTarget) {
      const read = { api: 'graph' as const, method: 'GET' as const, path: `/v1.0/applications/${appObj.objectId}?$select=id,appId,displayName,passwordCredentials,keyCredentials` };
      if (appObj.passwordCredentials.length) {
        specs.push({
          action: 'app.remove-passwords', phase: 'contain', title: `Remove the client secrets of ${name}`, params: { name, count: appObj.passwordCredentials.length }, risk: 'medium', destructive: true,
          why: `Whoever holds a secret of ${name} can sign in as the app. ${why}`,
          graphScopes: ['Application.ReadWrite.All'], directoryRoles: APP_ADMIN, target: appTarget,
          items: appObj.passwordCredentials.map((p) => item({
            key: lower(p.keyId), target: { kind: 'passwordCredential', id: lower(p.keyId), name: p.displayName ?? null }, read, plannedOn: { appId: appObj.appId },
            writes: [{ api: 'graph', method: 'POST', path: `/v1.0/applications/${appObj.objectId}/removePassword`, body: { keyId: lower(p.keyId) } }],
            expect: { listLacks: { path: 'passwordCredentials', field: 'keyId', value: lower(p.keyId) } },
            undo: null,
          })),
        });
      }
      if (appObj.keyCredentials.length) {
        specs.push({
          action: 'app.remove-certificates', phase: 'contain', title: `Remove the certificates of ${name}`, params: { name, count: appObj.keyCredentials.length }, risk: 'medium', destructive: true,
          why: `A certificate of ${name} signs in as the app like a secret does. ${why}`,
          graphScopes: ['Application.ReadWrite.All'], directoryRoles: APP_ADMIN, target: appTarget,
          items: [item({
            key: appObj.objectId, target: { kind: 'keyCredentials', id: appObj.objectId, name: appObj.keyCredentials.map((k) => lower(k.keyId)).join(', ') }, read,
            plannedOn: { appId: appObj.appId },
            writes: [{ api: 'graph', method: 'PATCH', path: `/v1.0/applications/${appObj.objectId}`, body: { keyCredentials: [] } }],
            expect: { equals: { keyCredentials: [] } },
            undo: null,
          })],
        });
      }
    }

    if (sp && spTarget) {
      const resources = new Map(ctx.collection.servicePrincipals().map((s) => [lower(s.objectId), s]));
      const assignments = ctx.collection.objects('appRoleAssignment').filter((a) => lower(a.principalId) === lower(sp.objectId));
      const risky = assignments.flatMap((a) => {
        const resource = resources.get(lower(a.resourceId));
        const value = roleOf(a) === EXCHANGE_MANAGE_AS_APP_ROLE_ID ? 'Exchange.ManageAsApp' : resource?.appRoles.find((r) => lower(r.id) === roleOf(a))?.value ?? null;
        return value && (value === 'Exchange.ManageAsApp' || HIGH_RISK_PERMISSIONS.has(value)) ? [{ a, value, resource: resource?.displayName ?? a.resourceId ?? '' }] : [];
      });
      if (risky.length) {
        specs.push({
          action: 'sp.remove-app-roles', phase: 'eradicate', title: `Remove ${risky.map((r) => r.value).join(', ')} from ${name}`, params: { name, roles: risky.map((r) => r.value).join(', ') }, risk: 'medium', destructive: true,
          why: `Application permissions let ${name} act with no user present. ${why}`,
          graphScopes: ['AppRoleAssignment.ReadWrite.All'], directoryRoles: APP_ADMIN, target: spTarget,
          items: risky.map(({ a, value, resource }) => item({
            key: a.objectId, target: { kind: 'appRoleAssignment', id: a.objectId, name: `${value} (${resource})` },
            read: { api: 'graph', method: 'GET', path: `/v1.0/servicePrincipals/${sp.objectId}/appRoleAssignments` },
            plannedOn: {},
            writes: [{ api: 'graph', method: 'DELETE', path: `/v1.0/servicePrincipals/${a.resourceId}/appRoleAssignedTo/${a.objectId}` }],
            expect: { listLacks: { path: 'value', field: 'id', value: a.objectId } },
            undo: {
              text: `Grant ${value} again (only if the app turns out to be legitimate).`,
              powershell: [`New-MgServicePrincipalAppRoleAssignedTo -ServicePrincipalId ${psQuote(a.resourceId ?? '')} -PrincipalId ${psQuote(sp.objectId)} -ResourceId ${psQuote(a.resourceId ?? '')} -AppRoleId ${psQuote(roleOf(a))}`],
            },
          })),
        });
      }

      const roles = ctx.collection.objects('roleAssignment').filter((r) => lower(r.principalId) === lower(sp.objectId));
      if (roles.length) {
        specs.push({
          action: 'sp.remove-directory-roles', phase: 'eradicate', title: `Remove ${name} from ${roles.map((r) => ctx.collection.roleName(r.resourceId ?? '')).join(', ')}`,
          params: { name, roles: roles.map((r) => ctx.collection.roleName(r.resourceId ?? '')).join(', ') },
          risk: 'medium', destructive: true,
          why: `A directory role gives ${name} administrator power with its own credentials. ${why}`,
          graphScopes: ['RoleManagement.ReadWrite.Directory'], directoryRoles: ['Privileged Role Administrator'], target: spTarget,
          items: roles.map((r) => item({
            key: r.objectId, target: { kind: 'roleAssignment', id: r.objectId, name: ctx.collection.roleName(r.resourceId ?? '') },
            read: { api: 'graph', method: 'GET', path: `/v1.0/roleManagement/directory/roleAssignments/${r.objectId}` },
            plannedOn: { principalId: r.principalId, roleDefinitionId: r.resourceId },
            writes: [{ api: 'graph', method: 'DELETE', path: `/v1.0/roleManagement/directory/roleAssignments/${r.objectId}` }],
            expect: { absent: true },
            undo: {
              text: 'Assign the role again (only if the app turns out to be legitimate).',
              powershell: [`New-MgRoleManagementDirectoryRoleAssignment -PrincipalId ${psQuote(sp.objectId)} -RoleDefinitionId ${psQuote(r.resourceId ?? '')} -DirectoryScopeId '/'`],
            },
          })),
        });
      }

      const grants = ctx.collection.objects('oauth2PermissionGrant').filter((g) => lower(g.principalId) === lower(sp.objectId));
      if (grants.length) {
        specs.push({
          action: 'sp.revoke-grants', phase: 'eradicate', title: `Revoke the delegated permission grants of ${name}`, params: { name, count: grants.length }, risk: 'low', destructive: true,
          why: `Delegated grants let ${name} act as the users who consented. ${why}`,
          graphScopes: ['DelegatedPermissionGrant.ReadWrite.All'], directoryRoles: APP_ADMIN, target: spTarget,
          items: grants.map((g) => item({
            key: g.objectId, target: { kind: 'oauth2PermissionGrant', id: g.objectId, name: typeof g.raw.scope === 'string' ? g.raw.scope.trim() : null },
            read: { api: 'graph', method: 'GET', path: `/v1.0/oauth2PermissionGrants/${g.objectId}` },
            plannedOn: { clientId: g.principalId },
            writes: [{ api: 'graph', method: 'DELETE', path: `/v1.0/oauth2PermissionGrants/${g.objectId}` }],
            expect: { absent: true },
            undo: {
              text: 'Grant the scopes again (only if the app turns out to be legitimate).',
              powershell: [`New-MgOauth2PermissionGrant -ClientId ${psQuote(sp.objectId)} -ConsentType ${psQuote(String(g.raw.consentType ?? 'AllPrincipals'))} -ResourceId ${psQuote(g.resourceId ?? '')} -Scope ${psQuote(String(g.raw.scope ?? ''))}`],
            },
          })),
        });
      }
    }

    if (appObj && appTarget) {
      // Owners the attacker added: the targets of "Add owner to application" on this app other than the app itself.
      const owners = new Map<string, string | null>();
      for (const e of ctx.collection.directoryActivity()) {
        if (e.operation !== 'add owner to application' || !e.targetIds.has(lower(appObj.objectId))) continue;
        for (const id of e.targetIds) if (!app.ids.includes(id) && !ctx.isExcludedAccount(id)) owners.set(id, e.targetNames.find((n) => n !== name) ?? null);
      }
      if (owners.size) {
        specs.push({
          action: 'app.remove-owners', phase: 'eradicate', title: `Remove the owners added to ${name}`, params: { name, count: owners.size }, risk: 'low', destructive: true,
          why: `An owner can add credentials to ${name} at any time. ${why}`,
          graphScopes: ['Application.ReadWrite.All'], directoryRoles: APP_ADMIN, target: appTarget,
          items: [...owners].map(([id, ownerName]) => item({
            key: id, target: { kind: 'owner', id, name: ownerName },
            read: { api: 'graph', method: 'GET', path: `/v1.0/applications/${appObj.objectId}/owners` },
            plannedOn: {},
            writes: [{ api: 'graph', method: 'DELETE', path: `/v1.0/applications/${appObj.objectId}/owners/${id}/$ref` }],
            expect: { listLacks: { path: 'value', field: 'id', value: id } },
            undo: { text: 'Add the owner again.', powershell: [`New-MgApplicationOwnerByRef -ApplicationId ${psQuote(appObj.objectId)} -OdataId ${psQuote(`https://graph.microsoft.com/v1.0/directoryObjects/${id}`)}`] },
          })),
        });
      }

      specs.push({
        action: 'app.delete', phase: 'eradicate', title: `Delete the application ${name}`, params: { name }, risk: 'high', destructive: true,
        why: `Removes ${name} and its service principal from the tenant. Both stay in deleted items for 30 days and can be restored until then. ${why}`,
        graphScopes: ['Application.ReadWrite.All'], directoryRoles: APP_ADMIN, target: appTarget,
        items: [item({
          key: appObj.objectId, target: appTarget,
          read: { api: 'graph', method: 'GET', path: `/v1.0/applications/${appObj.objectId}?$select=id,appId,displayName` },
          plannedOn: { appId: appObj.appId, displayName: appObj.displayName },
          writes: [{ api: 'graph', method: 'DELETE', path: `/v1.0/applications/${appObj.objectId}` }],
          expect: { absent: true },
          // Restoring an application does not restore its service principal: each is restored on its own
          // (https://learn.microsoft.com/graph/api/directory-deleteditems-restore).
          undo: {
            text: 'Soft delete: within 30 days, restore the application and then its service principal from deleted items (restoring the application does not bring its service principal back; credentials, roles and grants removed by earlier steps stay removed).',
            powershell: [
              `Restore-MgDirectoryDeletedItem -DirectoryObjectId ${psQuote(appObj.objectId)}`,
              ...(sp ? [`Restore-MgDirectoryDeletedItem -DirectoryObjectId ${psQuote(sp.objectId)}`] : []),
            ],
          },
        })],
      });
    }

    return specs.map((s): DraftStep => ({
      id: `${s.action}:${s.target.id}`,
      phase: s.phase,
      action: s.action,
      title: s.title,
      why: s.why,
      text: { key: s.action, params: s.params ?? { name } },
      findingKeys: findings.map((f) => f.key),
      target: s.target,
      items: s.items,
      needs: { graphScopes: s.graphScopes, exchangeRoles: [], directoryRoles: s.directoryRoles },
      risk: s.risk,
      destructive: s.destructive,
      after: [],
      source,
    }));
  });
}
