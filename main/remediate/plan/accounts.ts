// Main process / CLI: remediation steps for accounts that were taken: sessions, password, MFA.
import type { Finding } from '../../../preload/contract';
import type { TenantObjectRecord } from '../../../db/queries/objects';
import { isPrivilegedRole } from '../../detect/rules/signins';
import type { RemediationRequest, StepItem } from '../model';
import { PASSWORD_LINE } from '../ps';
import type { DraftStep, PlanContext } from './context';
import { isStrong, item, keysOf, lower, pick, sourceOf } from './build';

const USER_FIELDS = 'id,userPrincipalName,accountEnabled,signInSessionsValidFromDateTime,lastPasswordChangeDateTime';

interface TakenAccount {
  user: TenantObjectRecord;
  upn: string;
  admin: boolean;
  /** Signed in by the attacker (stuffing success, a sign-in method added after it): sessions and password go. */
  taken: Finding[];
  /** MFA missing on an account that signs in with a password alone: MFA is required. */
  mfa: Finding[];
}

/** The accounts the findings name, with why; excluded accounts (the remediating one, break-glass) are left out. */
function accountsOf(ctx: PlanContext): TakenAccount[] {
  const users = ctx.collection.objects('user');
  const byKey = new Map<string, TenantObjectRecord>();
  for (const u of users) {
    byKey.set(lower(u.objectId), u);
    if (u.displayName) byKey.set(lower(u.displayName), u);
  }
  const admins = new Set(ctx.collection.objects('roleAssignment').filter((a) => a.principalId && a.resourceId && isPrivilegedRole(a.resourceId)).map((a) => lower(a.principalId)));
  const accounts = new Map<string, TakenAccount>();
  const add = (key: string, finding: Finding, why: 'taken' | 'mfa') => {
    const user = byKey.get(lower(key));
    if (!user) return;
    const upn = user.displayName ?? user.objectId;
    if (ctx.isExcludedAccount(user.objectId) || ctx.isExcludedAccount(upn)) return;
    const entry = accounts.get(lower(user.objectId)) ?? { user, upn, admin: admins.has(lower(user.objectId)), taken: [], mfa: [] };
    if (!entry[why].includes(finding)) entry[why].push(finding);
    accounts.set(lower(user.objectId), entry);
  };
  for (const f of ctx.findingsOf('signin.credential-stuffing').filter(isStrong)) {
    for (const o of f.objects.filter((x) => x.kind === 'user')) add(o.id, f, 'taken');
    for (const i of f.iocs.filter((x) => x.type === 'account')) add(i.value, f, 'taken');
  }
  for (const f of ctx.findingsOf('identity.auth-method-added').filter(isStrong)) add(f.subject.id, f, 'taken');
  for (const f of ctx.findingsOf('identity.privileged-no-mfa').filter(isStrong)) add(f.subject.id, f, 'mfa');
  // A taken account needs MFA as much as an unprotected admin does.
  for (const a of accounts.values()) if (a.taken.length > 0 && a.mfa.length === 0) a.mfa.push(...a.taken);
  return [...accounts.values()].sort((a, b) => Number(b.taken.length > 0) - Number(a.taken.length > 0) || a.upn.localeCompare(b.upn));
}

const graph = (method: 'GET' | 'POST' | 'PATCH', path: string, body?: Record<string, unknown>): RemediationRequest =>
  body ? { api: 'graph', method, path, body } : { api: 'graph', method, path };

export function accountSteps(ctx: PlanContext): DraftStep[] {
  return accountsOf(ctx).flatMap((a) => [
    ...(a.taken.length > 0 ? [revokeSessions(ctx, a), resetPassword(ctx, a)] : []),
    requireMfa(ctx, a),
  ]);
}

type UserStepSpec = Pick<DraftStep, 'action' | 'title' | 'why' | 'needs' | 'risk' | 'destructive'> & Pick<StepItem, 'read' | 'plannedOn' | 'writes' | 'expect'> & {
  findings: Finding[];
  undo: Parameters<typeof item>[0]['undo'];
  preamble?: string[];
};

/** A step on one account: one item, the account itself. */
function userStep(ctx: PlanContext, a: TakenAccount, spec: UserStepSpec): DraftStep {
  const target = { kind: 'user', id: a.user.objectId, name: a.upn };
  const { findings, read, plannedOn, writes, expect, undo, preamble, ...step } = spec;
  return {
    ...step,
    id: `${spec.action}:${a.user.objectId}`,
    text: { key: spec.action, params: { upn: a.upn } },
    phase: 'recover',
    findingKeys: keysOf(findings),
    target,
    items: [item({ key: a.user.objectId, target, read, plannedOn, writes, expect, undo, ...(preamble ? { preamble } : {}) })],
    after: [],
    source: sourceOf(ctx.runId, a.user),
  };
}

const reasons = (findings: readonly Finding[]) => [...new Set(findings.map((f) => f.reason))].join(' ');

/** The account read with the fields its proof needs; before writing it must still show the collected name and enabled state. */
const userRead = (a: TakenAccount) => ({
  read: graph('GET', `/v1.0/users/${a.user.objectId}?$select=${USER_FIELDS}`),
  plannedOn: pick(a.user.raw, ['userPrincipalName', 'accountEnabled']),
});

/** Sign-outs everywhere: https://learn.microsoft.com/graph/api/user-revokesigninsessions (User.RevokeSessions.All). */
function revokeSessions(ctx: PlanContext, a: TakenAccount): DraftStep {
  return userStep(ctx, a, {
    action: 'user.revoke-sessions',
    title: `Sign ${a.upn} out everywhere (revoke its sessions)`,
    why: `${reasons(a.taken)} The attacker's refresh tokens stay valid until they are revoked, whatever the password becomes.`,
    findings: a.taken,
    ...userRead(a),
    writes: [graph('POST', `/v1.0/users/${a.user.objectId}/revokeSignInSessions`)],
    expect: { notBefore: { path: 'signInSessionsValidFromDateTime' } },
    undo: null,
    needs: { graphScopes: ['User.RevokeSessions.All'], exchangeRoles: [], directoryRoles: [a.admin ? 'Privileged Authentication Administrator' : 'User Administrator'] },
    risk: 'low',
    destructive: false,
  });
}

/**
 * A new temporary password, changed at the next sign-in: https://learn.microsoft.com/graph/api/user-update
 * (passwordProfile needs User-PasswordProfile.ReadWrite.All; User.ReadWrite.All is refused, and an administrator's
 * password only a Privileged Authentication Administrator may reset).
 */
function resetPassword(ctx: PlanContext, a: TakenAccount): DraftStep {
  return userStep(ctx, a, {
    action: 'user.reset-password',
    title: `Reset the password of ${a.upn}`,
    why: `${reasons(a.taken)} The attacker knows the current password. A temporary one is made when the step runs, shown once, and must be changed at the next sign-in.`,
    findings: a.taken,
    ...userRead(a),
    writes: [graph('PATCH', `/v1.0/users/${a.user.objectId}`, { passwordProfile: { forceChangePasswordNextSignIn: true, password: '{{secret:password}}' } })],
    expect: { notBefore: { path: 'lastPasswordChangeDateTime' } },
    undo: null,
    preamble: [PASSWORD_LINE],
    needs: { graphScopes: ['User-PasswordProfile.ReadWrite.All'], exchangeRoles: [], directoryRoles: [a.admin ? 'Privileged Authentication Administrator' : 'Helpdesk Administrator'] },
    risk: 'high',
    destructive: true,
  });
}

/**
 * Per-user MFA enforced: the account must register a method at its next sign-in and use it from then on.
 * https://learn.microsoft.com/graph/api/authentication-update?view=graph-rest-beta (beta; Policy.ReadWrite.AuthenticationMethod,
 * role Authentication Policy Administrator), property of https://learn.microsoft.com/graph/api/resources/strongauthenticationrequirements.
 */
function requireMfa(ctx: PlanContext, a: TakenAccount): DraftStep {
  const path = `/beta/users/${a.user.objectId}/authentication/requirements`;
  return userStep(ctx, a, {
    action: 'user.require-mfa',
    title: `Require MFA for ${a.upn}`,
    why: `${reasons(a.mfa)} A password alone let the attacker in; with MFA enforced the account registers a second factor at its next sign-in.`,
    findings: [...a.mfa, ...a.taken.filter((f) => !a.mfa.includes(f))],
    read: graph('GET', path),
    plannedOn: {},
    writes: [graph('PATCH', path, { perUserMfaState: 'enforced' })],
    expect: { equals: { perUserMfaState: 'enforced' } },
    undo: { text: 'Turn per-user MFA off for the account again.', requests: [graph('PATCH', path, { perUserMfaState: 'disabled' })] },
    needs: { graphScopes: ['Policy.ReadWrite.AuthenticationMethod'], exchangeRoles: [], directoryRoles: ['Authentication Policy Administrator'] },
    risk: 'medium',
    destructive: false,
  });
}
