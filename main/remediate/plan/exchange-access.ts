// Main process / CLI: remediation steps for what Exchange itself grants beside the directory: an app's Exchange RBAC
// role assignments (eradicate) and an account's exemption from mailbox auditing (recover).
import type { TenantObjectRecord } from '../../../db/queries/objects';
import { psCmdlet } from '../ps';
import type { DraftStep, PlanContext } from './context';
import { isStrong, item, keysOf, lower, objectsOf, pick, sourceOf } from './build';
import { excludedMailbox, exchangeNeeds, exo, mailboxOwners } from './mail';

export function exchangeAccessSteps(ctx: PlanContext): DraftStep[] {
  return [...appRoleAssignmentSteps(ctx), ...auditBypassSteps(ctx)];
}

/**
 * Exchange RBAC for applications (https://learn.microsoft.com/exchange/permissions-exo/application-rbac): a management
 * role assigned to an app gives it mail powers without Exchange.ManageAsApp or a directory role, so removing those
 * leaves it. One step per app, one item per assignment the high finding names (assigned inside the collected window);
 * a long-standing assignment (an archiving or backup service) is rated low and never planned. Removed with
 * Remove-ManagementRoleAssignment (https://learn.microsoft.com/powershell/module/exchange/remove-managementroleassignment,
 * Role Management role) and proved by Get-ManagementRoleAssignment -Identity answering "couldn't be found".
 */
function appRoleAssignmentSteps(ctx: PlanContext): DraftStep[] {
  const findings = ctx.findingsOf('exchange.app-role-assignment').filter(isStrong);
  const principals = new Map<string, TenantObjectRecord>();
  for (const sp of ctx.collection.objects('exchangeServicePrincipal')) {
    for (const key of [sp.objectId, sp.raw.ObjectId, sp.raw.ServiceId, sp.raw.Name]) if (typeof key === 'string' && key) principals.set(lower(key), sp);
  }
  const byApp = new Map<string, { app: TenantObjectRecord | undefined; appId: string; assignments: ReturnType<typeof objectsOf> }>();
  for (const entry of objectsOf(ctx, findings, 'exchangeRoleAssignment')) {
    const app = principals.get(lower(entry.object.principalId ?? String(entry.object.raw.RoleAssignee ?? '')));
    const appId = lower(String(app?.raw.AppId ?? entry.object.principalId ?? entry.object.objectId));
    if (ctx.isExcludedApp(appId)) continue;
    const group = byApp.get(appId) ?? { app, appId, assignments: [] };
    group.assignments.push(entry);
    byApp.set(appId, group);
  }
  return [...byApp.values()].map(({ app, appId, assignments }) => {
    const appName = String(app?.raw.DisplayName ?? assignments[0]!.object.raw.RoleAssigneeName ?? appId);
    const sorted = [...assignments].sort((a, b) => (a.object.displayName ?? '').localeCompare(b.object.displayName ?? '') || a.object.objectId.localeCompare(b.object.objectId));
    const items = sorted.map(({ object }) => {
      const name = object.displayName ?? object.objectId;
      const raw = object.raw;
      const scope = typeof raw.CustomResourceScope === 'string' && raw.CustomResourceScope ? { CustomResourceScope: raw.CustomResourceScope } : {};
      return item({
        key: object.objectId,
        target: { kind: 'exchangeRoleAssignment', id: object.objectId, name },
        read: exo('Get-ManagementRoleAssignment', { Identity: name }),
        plannedOn: pick(raw, ['Name', 'Role', 'RoleAssignee']),
        writes: [exo('Remove-ManagementRoleAssignment', { Identity: name })],
        expect: { absent: true },
        undo: {
          text: 'Assign the role to the app again (the snapshot holds the assignment); pointless once the app itself is deleted.',
          // -App takes the ServiceId Get-ServicePrincipal shows (https://learn.microsoft.com/exchange/permissions-exo/application-rbac).
          powershell: [psCmdlet('New-ManagementRoleAssignment', { App: String(app?.raw.ServiceId ?? app?.raw.ObjectId ?? raw.RoleAssignee ?? appId), Role: String(raw.Role ?? ''), ...scope })],
        },
      });
    });
    const names = sorted.map(({ object }) => object.displayName ?? object.objectId);
    const roles = [...new Set(sorted.map(({ object }) => String(object.raw.Role ?? '')))].filter(Boolean);
    const why = sorted.flatMap((a) => a.findings);
    return {
      id: `exo.remove-app-role-assignments:${appId}`,
      phase: 'eradicate',
      action: 'exo.remove-app-role-assignments',
      title: `Remove the Exchange role ${names.length === 1 ? 'assignment' : 'assignments'} ${names.join(', ')} of the app ${appName}`,
      text: { key: 'exo.remove-app-role-assignments', params: { count: names.length, names: names.join(', '), app: appName, roles: roles.join(', ') } },
      why: `${[...new Set(why.map((f) => f.reason))].join(' ')} Exchange gives the app ${roles.join(', ') || 'these roles'} on its own, whatever happens to its consent and directory roles; each assignment is removed and checked on its own.`,
      findingKeys: keysOf(why),
      target: { kind: 'exchangeServicePrincipal', id: appId, name: appName },
      items,
      needs: exchangeNeeds('Role Management'),
      risk: 'medium',
      destructive: true,
      after: [],
      source: sourceOf(ctx.runId, sorted[0]!.object),
    } satisfies DraftStep;
  });
}

/**
 * Exemptions from mailbox auditing set inside the collected window (high): whatever the account did in mailboxes since
 * left no mailbox audit record. Lifted with Set-MailboxAuditBypassAssociation -AuditBypassEnabled $false
 * (https://learn.microsoft.com/powershell/module/exchange/set-mailboxauditbypassassociation, Audit Logs role) and
 * proved by Get-MailboxAuditBypassAssociation showing AuditBypassEnabled False. A long-standing exemption (an archiving
 * or journaling service account) is rated low and never planned; the remediating and break-glass accounts are never touched.
 */
function auditBypassSteps(ctx: PlanContext): DraftStep[] {
  const findings = ctx.findingsOf('audit.mailbox-audit-bypass').filter(isStrong);
  const owners = mailboxOwners(ctx);
  return objectsOf(ctx, findings, 'mailboxAuditBypass').flatMap(({ object, findings: why }) => {
    const mailbox = owners.get(lower(object.objectId)) ?? owners.get(lower(String(object.raw.Name ?? '')));
    if (excludedMailbox(ctx, mailbox) || ctx.isExcludedAccount(object.displayName)) return [];
    const upn = typeof mailbox?.raw.UserPrincipalName === 'string' ? mailbox.raw.UserPrincipalName : null;
    const identity = upn ?? object.objectId;
    const account = upn ?? object.displayName ?? object.objectId;
    return [{
      id: `exo.disable-audit-bypass:${object.objectId}`,
      phase: 'recover',
      action: 'exo.disable-audit-bypass',
      title: `Audit ${account}'s mailbox access again (lift its exemption from mailbox auditing)`,
      text: { key: 'exo.disable-audit-bypass', params: { account } },
      why: `${why.map((f) => f.reason).join(' ')} Lifted, its mailbox access is recorded again from now on; what it did while exempt stays unrecorded.`,
      findingKeys: keysOf(why),
      target: { kind: 'mailboxAuditBypass', id: object.objectId, name: account },
      items: [item({
        key: object.objectId,
        target: { kind: 'mailboxAuditBypass', id: object.objectId, name: account },
        read: exo('Get-MailboxAuditBypassAssociation', { Identity: identity }),
        plannedOn: { AuditBypassEnabled: true },
        writes: [exo('Set-MailboxAuditBypassAssociation', { Identity: identity, AuditBypassEnabled: false })],
        expect: { equals: { AuditBypassEnabled: false } },
        undo: { text: 'Exempt the account from mailbox auditing again.', requests: [exo('Set-MailboxAuditBypassAssociation', { Identity: identity, AuditBypassEnabled: true })] },
      })],
      needs: exchangeNeeds('Audit Logs'),
      risk: 'low',
      destructive: false,
      after: [],
      source: sourceOf(ctx.runId, object),
    } satisfies DraftStep];
  });
}
