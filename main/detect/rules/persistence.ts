// Main process / CLI / workers: what outlives a password reset or hides the next step — sign-in methods added to taken accounts, owners added to apps, Exchange roles for apps, audit logging turned off, mail read by apps.
import { ualRawReader, type UalRawRef } from '../../../db/queries/ualRaw';
import type { Finding, Ioc, Severity } from '../../../preload/contract';
import { objectRef, type DetectContext, type ExchangeCmdlet } from '../context';
import type { Hit, Rule } from '../types';
import { activityOn, appViews, LONG_STANDING_DAYS } from './apps';
import { directoryUsers, isPrivilegedRole, stuffedAccounts } from './signins';
import { plural } from '../text';
import { Reason } from '../reason';

const lower = (s: string | null | undefined) => (s ?? '').toLowerCase();

/** Directory audit activities that add or change how an account signs in. */
const METHOD_OPERATIONS = new Set([
  'user registered security info', 'admin registered security info', 'user changed default security info', 'admin updated security info',
  'user registered all required security info', 'user started security info registration', 'register security info',
  'admin registered temporary access pass method for user', 'create temporary access pass', 'add passwordless phone sign-in',
  'user registered fido2 security key', 'admin registered fido2 security key',
]);
const METHOD_PROPERTIES = /^(StrongAuthenticationMethod|StrongAuthenticationPhoneAppDetail|StrongAuthenticationUserDetails|SearchableDeviceKey)$/i;

/** When the accounts a credential-stuffing finding names first signed in from its address. */
function firstAttackerSignIn(findings: readonly Finding[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of findings.filter((x) => x.ruleId === 'signin.credential-stuffing')) {
    for (const e of f.events) {
      if (e.result !== 'success' || !e.actorUser) continue;
      const key = lower(e.actorUser);
      const seen = out.get(key);
      if (!seen || e.at < seen) out.set(key, e.at);
    }
  }
  return out;
}

export const authMethodChanged: Rule = {
  id: 'identity.auth-method-added',
  title: 'Sign-in method added to a taken or privileged account',
  explanation:
    'A security-info method (authenticator app, phone, FIDO2 key, temporary access pass) was registered or changed on an account the stuffing took, ' +
    'after the attacker first signed in to it, or on an administrator. A method the attacker registers survives the password reset: the recovery ' +
    'step has to remove it.',
  severity: 'high',
  confidence: 'medium',
  attack: ['T1098.005'],
  remediation: { phase: 'recover', step: 'Review the account\'s authentication methods with its owner and delete every method they did not register; then require re-registration.' },
  covers: [
    'Sentinel: Suspicious Sign In Followed by MFA Modification',
    'Sentinel: Authentication Methods Changed for Privileged Account',
    'Sentinel: Account MFA Modifications',
    'Sigma: Change to Authentication Method',
    'Sigma: Temporary Access Pass Added To An Account',
    'Splunk: Azure AD New MFA Method Registered For User',
    'Splunk: O365 New MFA Method Registered',
  ],
  stage: 'initial-access',
  evaluate(ctx, prior) {
    const taken = stuffedAccounts(prior);
    const firstIn = firstAttackerSignIn(prior);
    const users = directoryUsers(ctx);
    const privileged = (upn: string) => {
      const u = users.byUpn.get(upn) ?? users.byId.get(upn);
      return u ? (users.roles.get(lower(u.objectId)) ?? []).some(isPrivilegedRole) : false;
    };
    const perAccount = new Map<string, { account: string; events: { id: number; at: string; op: string; by: string | null; ip: string | null }[] }>();
    for (const a of ctx.directoryActivity()) {
      const methodChange = METHOD_OPERATIONS.has(a.operation) || (a.operation === 'update user' && a.changes.some((c) => METHOD_PROPERTIES.test(c.name)));
      if (!methodChange) continue;
      // The account changed: a user target, else the actor (self-service registration names only the actor).
      const account = lower(a.targetNames.find((n) => n.includes('@')) ?? a.actorUser);
      if (!account) continue;
      const entry = perAccount.get(account) ?? { account, events: [] };
      entry.events.push({ id: a.eventId, at: a.at, op: a.operation, by: a.actorUser, ip: a.actorIp });
      perAccount.set(account, entry);
    }
    const hits: Hit[] = [];
    for (const { account, events } of perAccount.values()) {
      const since = firstIn.get(account);
      const afterTakeover = taken.has(account) && since !== undefined ? events.filter((e) => e.at >= since) : [];
      const isAdmin = privileged(account);
      if (afterTakeover.length === 0 && !isAdmin) continue;
      const shown = afterTakeover.length > 0 ? afterTakeover : events;
      const severity: Severity = afterTakeover.length > 0 ? 'high' : 'low';
      const user = users.byUpn.get(account);
      // The translations list each change as its operation, time, actor and address, without English words between.
      const changes = shown.slice(0, 6).map((e) => `${e.op} (${[e.at, ...(e.by && lower(e.by) !== account ? [e.by] : []), ...(e.ip ? [e.ip] : [])].join(', ')})`).join('; ') + (shown.length > 6 ? '; …' : '');
      const said = new Reason().add(
        'authMethod.changes',
        { count: shown.length, account, changes },
        `${plural(shown.length, 'sign-in method change')} on ${account}: ${shown.slice(0, 6).map((e) => `${e.op} at ${e.at}${e.by && lower(e.by) !== account ? ` by ${e.by}` : ''}${e.ip ? ` from ${e.ip}` : ''}`).join('; ')}${shown.length > 6 ? '; …' : ''}.`,
      );
      if (afterTakeover.length > 0) said.add('authMethod.afterTakeover', { at: since! }, `The account was taken by credential stuffing at ${since}: these came after.`);
      else said.add('authMethod.administrator', {}, 'An administrator\'s methods: confirm with them that they made the change.');
      hits.push({
        subject: { type: 'user', id: user?.objectId ?? account, name: user?.displayName ?? account },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects: user ? [{ kind: 'user', id: user.objectId, name: user.displayName, runId: user.runId, evidenceId: user.evidenceId, evidenceSha256: user.evidenceSha256 }] : [],
        eventIds: shown.map((e) => e.id),
        iocs: afterTakeover.flatMap((e): Ioc[] => (e.ip ? [{ type: 'ip', value: e.ip, context: `registered a sign-in method on ${account}`, contextPart: { key: 'registeredMethod', values: { account } } }] : [])),
      });
    }
    return hits;
  },
};

export const ownerAdded: Rule = {
  id: 'app.owner-added',
  title: 'Owner added to an app',
  explanation:
    'A user or service principal was made an owner of an application or service principal. Owners can add credentials to the app at any time, so an ' +
    'owner the client does not know is a second way back in, even after the attacker\'s own credential is removed.',
  severity: 'high',
  confidence: 'medium',
  attack: ['T1098'],
  remediation: { phase: 'eradicate', step: 'Remove the owners nobody can vouch for (DELETE /applications/{id}/owners/{owner}/$ref and the same on the service principal).' },
  covers: [
    'Elastic: Entra ID User Added as Registered Application Owner',
    'Elastic: Entra ID User Added as Service Principal Owner',
    'Sigma: Added Owner To Application',
    'Splunk: Azure AD Service Principal Owner Added',
    'Splunk: O365 Application Registration Owner Added',
  ],
  stage: 'persistence',
  evaluate(ctx, prior) {
    const flagged = new Set(prior.filter((f) => f.severity === 'high' || f.severity === 'critical').flatMap((f) => [lower(f.subject.id), ...f.objects.map((o) => lower(o.id))]));
    const hits: Hit[] = [];
    for (const app of appViews(ctx)) {
      if (app.firstParty) continue;
      const events = activityOn(ctx, app.ids, (op) => op === 'add owner to application' || op === 'add owner to service principal');
      if (events.length === 0) continue;
      const campaign = app.ids.some((id) => flagged.has(id));
      const young = (app.ageDays ?? 0) < LONG_STANDING_DAYS;
      const severity: Severity = campaign ? 'high' : young ? 'medium' : 'low';
      const owners = [...new Set(events.flatMap((e) => e.targetNames.filter((n) => n !== app.name)))];
      const actors = [...new Set(events.map((e) => e.actorUser ?? e.actorAppId ?? 'unknown'))].join(', ');
      const times = events.map((e) => e.at).join(', ');
      const said = new Reason().add(
        owners.length > 0 ? 'owner.added' : 'owner.changes',
        { count: events.length, app: app.name, ...(owners.length > 0 ? { owners: owners.join(', ') } : {}), actors, times },
        `${plural(events.length, 'owner change')} on ${app.name}${owners.length > 0 ? `: ${owners.join(', ')} added` : ''} by ${actors} (${times}).`,
      );
      if (campaign) said.add('owner.campaign', {}, 'The app is in a high-severity finding: an owner keeps the power to add credentials after cleanup.');
      hits.push({
        subject: { type: 'application', id: app.application?.objectId ?? app.servicePrincipal!.objectId, name: app.name },
        severity,
        reason: said.text,
        reasonParts: said.parts,
        objects: [],
        eventIds: events.map((e) => e.eventId),
        iocs: [],
      });
    }
    return hits;
  },
};

const truthy = (v: string | undefined) => v !== undefined && /^(\$?true|1)$/i.test(v.trim());
const falsy = (v: string | undefined) => v !== undefined && /^(\$?false|0)$/i.test(v.trim());

const flag = (v: unknown) => v === true || (typeof v === 'string' && /^true$/i.test(v));

/**
 * The audit settings as collected now (Get-AdminAuditLogConfig, Get-OrganizationConfig, Get-MailboxAuditBypassAssociation):
 * the audit log cannot show its own silence. Ingestion or mailbox auditing off is high; an account exempted from
 * mailbox auditing is high when the exemption was set inside the collected window and low when it predates it (an
 * archiving or journaling service exempted when it was set up, as Microsoft suggests for trusted service accounts).
 */
function auditOffHits(ctx: DetectContext): Hit[] {
  const hits: Hit[] = [];
  const off = [
    ...ctx.objects('adminAuditLogConfig').filter((o) => o.raw.UnifiedAuditLogIngestionEnabled === false).map((o) => ({ o, key: 'audit.ingestionOff', what: 'Unified Audit Log ingestion is off (Get-AdminAuditLogConfig UnifiedAuditLogIngestionEnabled False)' })),
    ...ctx.objects('organizationConfig').filter((o) => flag(o.raw.AuditDisabled)).map((o) => ({ o, key: 'audit.mailboxAuditOff', what: 'mailbox auditing is off for the organisation (Get-OrganizationConfig AuditDisabled True)' })),
  ];
  for (const { o, key, what } of off) {
    const changed = o.raw.WhenChangedUTC ?? o.raw.WhenChanged;
    hits.push({
      subject: { type: o.kind, id: o.objectId, name: o.displayName },
      severity: 'high',
      confidence: 'high',
      reason: `As collected, ${what}; last changed ${String(changed ?? 'at an unknown time')}.`,
      reasonParts: [{ key, values: {} }, changed == null ? { key: 'audit.changedUnknown', values: {} } : { key: 'audit.changed', values: { at: String(changed) } }],
      objects: [objectRef(o.kind, o, o.displayName)],
      eventIds: [],
      iocs: [],
    });
  }
  return hits;
}

function bypassHits(ctx: DetectContext): Hit[] {
  const hits: Hit[] = [];
  const windowFrom = ctx.db.prepare('SELECT min(window_from) FROM collection_source WHERE run_id = ?').pluck().get(ctx.runId) as string | null;
  for (const o of ctx.objects('mailboxAuditBypass').filter((b) => flag(b.raw.AuditBypassEnabled))) {
    const changed = typeof o.raw.WhenChangedUTC === 'string' ? o.raw.WhenChangedUTC : typeof o.raw.WhenChanged === 'string' ? o.raw.WhenChanged : null;
    const changedAt = changed && Number.isFinite(Date.parse(changed)) ? new Date(Date.parse(changed)).toISOString() : null;
    const inWindow = changedAt !== null && windowFrom !== null && changedAt >= windowFrom;
    hits.push({
      subject: { type: 'mailboxAuditBypass', id: o.objectId, name: o.displayName },
      severity: inWindow ? 'high' : 'low',
      confidence: inWindow ? 'high' : 'medium',
      reason: inWindow
        ? `${o.displayName ?? o.objectId} is exempted from mailbox auditing (AuditBypassEnabled True), set at ${changedAt}, inside the collected window: whatever it does in mailboxes leaves no mailbox audit record.`
        : `${o.displayName ?? o.objectId} is exempted from mailbox auditing since ${changedAt ?? 'before the collected window'}: long-standing, as for an archiving or journaling service account; confirm it is one.`,
      reasonParts: [
        inWindow
          ? { key: 'bypass.inWindow', values: { account: o.displayName ?? o.objectId, at: changedAt! } }
          : changedAt
            ? { key: 'bypass.since', values: { account: o.displayName ?? o.objectId, at: changedAt } }
            : { key: 'bypass.beforeWindow', values: { account: o.displayName ?? o.objectId } },
      ],
      objects: [objectRef('mailboxAuditBypass', o, o.displayName)],
      eventIds: [],
      iocs: inWindow ? [{ type: 'account', value: o.displayName ?? o.objectId, context: 'exempted from mailbox auditing during the window', contextPart: { key: 'auditExempted', values: {} } }] : [],
    });
  }
  return hits;
}

/** One audit setting changed: the English words, and the key and values of its translations (reason.<key>). */
interface AuditChange {
  what: string;
  key: string;
  values?: Record<string, string>;
}

/** The audit log's record of audit settings changed: one finding for the tenant, naming each change. */
function auditChanges(ctx: DetectContext, matches: (c: ExchangeCmdlet) => AuditChange | null, liftedToo: boolean): Hit[] {
  const cmdlets = ctx.exchangeCmdlets();
  const found = cmdlets.flatMap((c) => {
    const what = matches(c);
    return what ? [{ c, ...what }] : [];
  });
  if (liftedToo) {
    // Lifting an exemption the log showed being set is part of the same story: the exemption covered what happened in between.
    const exempted = new Set(found.map((f) => lower(f.c.params.Identity ?? f.c.object)));
    for (const c of cmdlets) {
      if (c.operation === 'set-mailboxauditbypassassociation' && falsy(c.params.AuditBypassEnabled) && exempted.has(lower(c.params.Identity ?? c.object))) {
        const account = c.params.Identity ?? c.object ?? '?';
        found.push({ c, key: 'auditChange.bypassLifted', values: { account }, what: `lifted the mailbox-audit exemption of ${account} again (mailbox access in between left no audit records)` });
      }
    }
  }
  if (found.length === 0) return [];
  found.sort((a, b) => (a.c.at < b.c.at ? -1 : a.c.at > b.c.at ? 1 : a.c.eventId - b.c.eventId));
  const byApp = found.some((f) => f.c.actorAppId && !f.c.actorUser?.includes('@'));
  return [{
    subject: { type: 'tenant', id: ctx.tenantId ?? 'tenant', name: ctx.domains[0] ?? null },
    severity: 'high',
    confidence: byApp ? 'high' : 'medium',
    reason: found.map((f) => `${f.c.actorUser ?? f.c.actorAppId ?? 'unknown'} ${f.what} at ${f.c.at} (${f.c.cmdlet})`).join('; ') + '.',
    reasonParts: found.map((f) => ({ key: f.key, values: { actor: f.c.actorUser ?? f.c.actorAppId ?? '?', at: f.c.at, cmdlet: f.c.cmdlet, ...f.values } })),
    objects: [],
    eventIds: found.map((f) => f.c.eventId),
    iocs: [],
  }];
}

export const auditDisabled: Rule = {
  id: 'audit.logging-disabled',
  title: 'Audit logging turned off',
  explanation:
    'Someone turned off the admin audit log or Unified Audit Log ingestion, or disabled mailbox auditing for the organisation or a mailbox, or the settings as ' +
    'collected show it off. With auditing off, the next New-InboundConnector or transport rule leaves no record: the create-and-remove cycles this investigation reads would go dark.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1562.008'],
  remediation: { phase: 'harden', step: 'Turn auditing back on (Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true; Set-OrganizationConfig -AuditDisabled $false).' },
  covers: [
    'Sentinel: Exchange AuditLog disabled',
    'Splunk: O365 Advanced Audit Disabled',
  ],
  stage: 'cleanup-cycles',
  evaluate(ctx) {
    const changes = auditChanges(ctx, (c) => {
      const p = c.params;
      if (c.operation === 'set-adminauditlogconfig' && (falsy(p.AdminAuditLogEnabled) || falsy(p.UnifiedAuditLogIngestionEnabled))) return { key: 'auditChange.auditLogOff', what: 'turned the admin audit log or Unified Audit Log ingestion off' };
      if (c.operation === 'set-organizationconfig' && truthy(p.AuditDisabled)) return { key: 'auditChange.orgMailboxAuditOff', what: 'disabled mailbox auditing for the organisation' };
      if (c.operation === 'set-mailbox' && falsy(p.AuditEnabled)) return { key: 'auditChange.mailboxAuditOff', values: { mailbox: p.Identity ?? c.object ?? '?' }, what: `disabled auditing of mailbox ${p.Identity ?? c.object ?? '?'}` };
      return null;
    }, false);
    return [...auditOffHits(ctx), ...changes];
  },
};

export const auditBypass: Rule = {
  id: 'audit.mailbox-audit-bypass',
  title: 'Account exempted from mailbox auditing',
  explanation:
    'An account was exempted from mailbox auditing (Set-MailboxAuditBypassAssociation -AuditBypassEnabled $true), in the audit log or in the exemptions as collected. ' +
    'Whatever the account does in mailboxes leaves no mailbox audit record. An archiving or journaling service account exempted when it was set up is ordinary; ' +
    'an exemption set during the incident, or set and lifted again around it, hides what was read.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1562.008'],
  remediation: { phase: 'recover', step: 'Remove the exemptions nobody can vouch for (Set-MailboxAuditBypassAssociation -Identity <account> -AuditBypassEnabled $false).' },
  covers: ['Elastic: M365 Exchange Mailbox Audit Logging Bypass Added'],
  stage: 'cleanup-cycles',
  evaluate(ctx) {
    const changes = auditChanges(ctx, (c) =>
      (c.operation === 'set-mailboxauditbypassassociation' && truthy(c.params.AuditBypassEnabled) ? { key: 'auditChange.bypassSet', values: { account: c.params.Identity ?? c.object ?? '?' }, what: `exempted ${c.params.Identity ?? c.object ?? '?'} from mailbox auditing` } : null), true);
    return [...bypassHits(ctx), ...changes];
  },
};

const APP_ROLE = /^application |applicationimpersonation|mail recipients|organization management|transport rules|remote and accepted domains/i;

/**
 * Exchange RBAC for applications as collected now (Get-ServicePrincipal, Get-ManagementRoleAssignment -RoleAssigneeType
 * ServicePrincipal): each app holding a mail role. High when the assignment was made inside the collected window or the
 * app is in a high finding; low when it predates the window (an archiving or backup service set up by an admin).
 */
function appRbacHits(ctx: DetectContext): Hit[] {
  const assignments = ctx.objects('exchangeRoleAssignment');
  if (assignments.length === 0) return [];
  const sps = new Map(ctx.objects('exchangeServicePrincipal').flatMap((sp) => [[lower(sp.objectId), sp], [lower(String(sp.raw.ObjectId ?? '')), sp]] as const));
  const windowFrom = ctx.db.prepare('SELECT min(window_from) FROM collection_source WHERE run_id = ?').pluck().get(ctx.runId) as string | null;
  const views = appViews(ctx);
  const byApp = new Map<string, typeof assignments>();
  for (const a of assignments) {
    const sp = sps.get(lower(a.principalId));
    const appId = lower(String(sp?.raw.AppId ?? a.principalId ?? a.objectId));
    byApp.set(appId, [...(byApp.get(appId) ?? []), a]);
  }
  const hits: Hit[] = [];
  for (const [appId, list] of byApp) {
    const view = views.find((v) => v.appId === appId);
    const sp = sps.get(lower(list[0]!.principalId));
    const created = (o: (typeof list)[number]) => {
      const t = typeof o.raw.WhenCreatedUTC === 'string' ? Date.parse(o.raw.WhenCreatedUTC) : NaN;
      return Number.isFinite(t) ? new Date(t).toISOString() : null;
    };
    const recent = list.filter((o) => { const at = created(o); return at !== null && windowFrom !== null && at >= windowFrom; });
    const mailRoles = list.filter((o) => APP_ROLE.test(String(o.raw.Role ?? '')));
    if (mailRoles.length === 0) continue;
    const severity: Severity = recent.length > 0 ? 'high' : 'low';
    const name = view?.name ?? String(sp?.raw.DisplayName ?? appId);
    hits.push({
      // Keyed by the assignment (the audit-log hit of the same app is keyed by the app).
      subject: { type: 'exchangeRoleAssignment', id: list[0]!.objectId, name },
      severity,
      confidence: recent.length > 0 ? 'high' : 'medium',
      reason:
        `${name} (appId ${appId}) holds Exchange role${mailRoles.length === 1 ? '' : 's'} ${mailRoles.map((o) => `"${String(o.raw.Role)}"${o.raw.CustomResourceScope ? ` scoped to ${String(o.raw.CustomResourceScope)}` : ' over the whole organisation'} (assigned ${created(o) ?? 'at an unknown time'})`).join(', ')}` +
        (recent.length > 0 ? ': assigned inside the collected window.' : ': long-standing, as for an archiving or backup service; confirm the vendor.'),
      reasonParts: [
        { key: 'rbac.holds', values: { app: name, appId } },
        ...mailRoles.map((o) => ({
          key: o.raw.CustomResourceScope ? 'rbac.roleScoped' : 'rbac.roleOrganisation',
          values: { role: String(o.raw.Role), ...(o.raw.CustomResourceScope ? { scope: String(o.raw.CustomResourceScope) } : {}), at: created(o) ?? '—' },
        })),
        { key: recent.length > 0 ? 'rbac.inWindow' : 'rbac.longStanding', values: {} },
      ],
      objects: [...list.map((o) => objectRef('exchangeRoleAssignment', o, o.displayName)), ...(sp ? [objectRef('exchangeServicePrincipal', sp, sp.displayName)] : [])],
      eventIds: [],
      iocs: recent.length > 0 ? [{ type: 'app-id', value: appId, context: `holds Exchange role ${mailRoles.map((o) => String(o.raw.Role)).join(', ')}`, contextPart: { key: 'holdsExchangeRole', values: { roles: mailRoles.map((o) => String(o.raw.Role)).join(', ') } } }] : [],
    });
  }
  return hits;
}

export const exchangeRoleForApp: Rule = {
  id: 'exchange.app-role-assignment',
  title: 'Exchange role assigned to an app or for impersonation',
  explanation:
    'An Exchange management role was assigned to a service principal (Exchange RBAC for applications: New-ServicePrincipal then New-ManagementRoleAssignment -App), ' +
    'or ApplicationImpersonation to anyone. It gives an app Exchange powers without Exchange.ManageAsApp or an Entra role, so removing those alone leaves it in place.',
  severity: 'high',
  confidence: 'medium',
  attack: ['T1098.003'],
  remediation: { phase: 'eradicate', step: 'Remove-ManagementRoleAssignment for each assignment, and Remove-ServicePrincipal for app principals nobody owns.' },
  covers: [
    'Elastic: M365 Exchange Management Group Role Assigned',
    'Splunk: O365 ApplicationImpersonation Role Assigned',
  ],
  stage: 'privilege',
  evaluate(ctx) {
    const cmdlets = ctx.exchangeCmdlets();
    const found = cmdlets.filter((c) => {
      if (c.operation === 'new-serviceprincipal') return true;
      if (c.operation !== 'new-managementroleassignment') return false;
      return c.params.App !== undefined || /applicationimpersonation/i.test(c.params.Role ?? '');
    });
    const rbac = appRbacHits(ctx);
    if (found.length === 0) return rbac;
    const hits: Hit[] = [];
    const byTarget = new Map<string, ExchangeCmdlet[]>();
    // New-ServicePrincipal names the app by AppId and ObjectId; the role assignment by the ObjectId: one target for both.
    const sameApp = new Map(found.filter((c) => c.operation === 'new-serviceprincipal' && c.params.ObjectId && c.params.AppId).map((c) => [lower(c.params.ObjectId), lower(c.params.AppId)]));
    const named = new Map<string, string>();
    for (const c of found) {
      const raw = lower(c.params.AppId ?? c.params.App ?? c.params.User ?? c.params.ServiceId ?? c.object ?? 'unknown');
      const target = sameApp.get(raw) ?? raw;
      if (c.object) named.set(lower(c.object), target);
      if (c.params.ObjectId) named.set(lower(c.params.ObjectId), target);
      byTarget.set(target, [...(byTarget.get(target) ?? []), c]);
    }
    // Taking the assignment and the registration away again (the campaign's clean-up) belongs to the same story.
    for (const c of cmdlets) {
      if (c.operation !== 'remove-managementroleassignment' && c.operation !== 'remove-serviceprincipal') continue;
      const target = named.get(lower(c.params.Identity ?? c.object));
      if (target) byTarget.get(target)!.push(c);
    }
    for (const [target, cmdlets] of byTarget) {
      const roles = [...new Set(cmdlets.map((c) => c.params.Role).filter((r): r is string => !!r))];
      const app = appViews(ctx).find((a) => a.appId === target || a.ids.includes(target));
      const severity: Severity = roles.some((r) => APP_ROLE.test(r)) ? 'high' : 'medium';
      hits.push({
        subject: { type: app ? 'servicePrincipal' : 'principal', id: target, name: app?.name ?? target },
        severity,
        reason: `${cmdlets.map((c) => `${c.cmdlet}${c.params.Role ? ` -Role "${c.params.Role}"` : ''} by ${c.actorUser ?? c.actorAppId ?? 'unknown'} at ${c.at}`).join('; ')} for ${app?.name ?? target}.`,
        reasonParts: [
          { key: 'exchangeRole.for', values: { target: app?.name ?? target } },
          ...cmdlets.map((c) => ({
            key: c.params.Role ? 'exchangeRole.cmdletRole' : 'exchangeRole.cmdlet',
            values: { cmdlet: c.cmdlet, ...(c.params.Role ? { role: c.params.Role } : {}), actor: c.actorUser ?? c.actorAppId ?? '?', at: c.at },
          })),
        ],
        objects: [],
        eventIds: cmdlets.map((c) => c.eventId),
        iocs: app ? [{ type: 'app-id', value: app.appId, context: `holds Exchange role ${roles.join(', ') || '(service principal registered in Exchange)'}`, contextPart: roles.length > 0 ? { key: 'holdsExchangeRole', values: { roles: roles.join(', ') } } : { key: 'exchangeServicePrincipal', values: {} } }] : [],
      });
    }
    return [...hits, ...rbac];
  },
};

export const mailReadByApp: Rule = {
  id: 'mail.app-mailbox-access',
  title: 'Mail read by a flagged app',
  explanation:
    'MailItemsAccessed records show an app in a high-severity finding reading mailboxes (Graph or EWS, app-only or on a user\'s behalf). That is the difference ' +
    'between "could read mail" and "did": the mailboxes listed are in scope for notification.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1114.002'],
  remediation: { phase: 'contain', step: 'Disable the app\'s service principal; list the mailboxes read and the time range for the client\'s notification review.' },
  covers: [
    'Splunk: O365 OAuth App Mailbox Access via Graph API',
    'Splunk: O365 OAuth App Mailbox Access via EWS',
    'Splunk: O365 Multiple Mailboxes Accessed via API',
  ],
  stage: 'mail-flow',
  evaluate(ctx, prior) {
    const flaggedApps = new Set(prior.filter((f) => f.severity === 'high' || f.severity === 'critical').flatMap((f) => f.iocs.filter((i) => i.type === 'app-id').map((i) => lower(i.value))));
    if (flaggedApps.size === 0) return [];
    // No prefilter on u.app_id: it holds AuditData.AppId before ClientAppId, and a MailItemsAccessed record made
    // through Graph names Graph or Exchange as AppId and the flagged app only as ClientAppId.
    const rows = ctx.db
      .prepare(
        `SELECT e.id, e.at, u.raw, u.evidence_id, u.page_index FROM ual_record u CROSS JOIN event e ON e.run_id = u.run_id AND e.source = 'ual' AND e.record_id = u.id
         WHERE u.run_id = ? AND u.record_type IN ('ExchangeItemAggregated', 'ExchangeItem') AND u.operation = 'mailitemsaccessed'`,
      )
      .all(ctx.runId) as ({ id: number; at: string } & UalRawRef)[];
    const records = ualRawReader(ctx.db).readAll(rows);
    const perApp = new Map<string, { mailboxes: Set<string>; ids: number[] }>();
    for (const [i, r] of rows.entries()) {
      const raw = records[i]!;
      const data = typeof raw.AuditData === 'string' ? (JSON.parse(raw.AuditData) as Record<string, unknown>) : raw;
      const app = [data.ClientAppId, data.AppId].map((v) => lower(typeof v === 'string' ? v : null)).find((v) => flaggedApps.has(v));
      if (!app) continue;
      const entry = perApp.get(app) ?? { mailboxes: new Set<string>(), ids: [] };
      entry.mailboxes.add(String(data.MailboxOwnerUPN ?? data.UserId ?? '?'));
      entry.ids.push(r.id);
      perApp.set(app, entry);
    }
    return [...perApp].map(([appId, e]): Hit => {
      const app = appViews(ctx).find((a) => a.appId === appId);
      return {
        subject: { type: 'application', id: `mail:${appId}`, name: app?.name ?? appId },
        severity: 'high',
        reason: `${app?.name ?? appId} read mail in ${plural(e.mailboxes.size, 'mailbox', 'mailboxes')} (${[...e.mailboxes].slice(0, 10).join(', ')}${e.mailboxes.size > 10 ? ', …' : ''}) in ${plural(e.ids.length, 'MailItemsAccessed record')}.`,
        reasonParts: [{ key: 'mailRead.read', values: { app: app?.name ?? appId, count: e.mailboxes.size, mailboxes: [...e.mailboxes].slice(0, 10).join(', ') + (e.mailboxes.size > 10 ? ', …' : ''), records: e.ids.length } }],
        objects: [],
        eventIds: e.ids,
        iocs: [{ type: 'app-id', value: appId, context: 'read mailboxes', contextPart: { key: 'readMailboxes', values: {} } }],
      };
    });
  },
};
