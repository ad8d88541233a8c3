// Main process / CLI / workers: sign-in rules — credential stuffing and password spray from one address, privileged accounts without MFA, MFA not enforced.
import type { Finding, FindingObject, Ioc } from '../../../preload/contract';
import { objectRef, type DetectContext } from '../context';
import type { Hit, Rule } from '../types';
import { plural } from '../text';
import { Reason } from '../reason';

/** Sign-in events in the unified timeline: Entra's sign-in log and its Unified Audit Log mirror. */
const SIGN_IN_OPERATIONS = ['sign-in activity', 'userloggedin', 'userloginfailed'];
/** An address that failed for at least this many accounts, mostly failing, is spraying. */
export const SPRAY_MIN_ACCOUNTS = 10;
const SPRAY_MIN_FAILURE_RATIO = 0.6;
/** Entra codes that say the password was right and something else stopped the sign-in. */
const PASSWORD_RIGHT_CODES = new Map([
  [50076, 'MFA required'], [50079, 'MFA registration required'], [50074, 'strong authentication required'], [50158, 'external security challenge'],
  [53003, 'blocked by conditional access'], [50053, 'account locked'],
]);

interface IpStats {
  ip: string;
  events: number;
  failures: number;
  failedAccounts: number;
  accounts: number;
}

interface SignInEvent {
  id: number;
  at: string;
  result: string;
  account: string;
  source: string;
}

export interface SprayCampaign {
  ip: string;
  stats: IpStats;
  events: SignInEvent[];
  /** Accounts with a successful sign-in from the address after its first failure, with when. */
  successes: Map<string, string>;
  /** Error codes per account from the sign-in log. */
  codes: Map<string, Map<number, number>>;
}

const campaignsCache = new WeakMap<DetectContext, SprayCampaign[]>();

/** Addresses that failed against many accounts, read once per context (two rules and the storyline use them). */
export function sprayCampaigns(ctx: DetectContext): SprayCampaign[] {
  const cached = campaignsCache.get(ctx);
  if (cached) return cached;
  const ops = SIGN_IN_OPERATIONS.map(() => '?').join(',');
  const stats = ctx.db
    .prepare(
      `SELECT actor_ip AS ip, count(*) AS events, sum(result = 'failure') AS failures,
              count(DISTINCT CASE WHEN result = 'failure' THEN lower(actor_user) END) AS failedAccounts,
              count(DISTINCT lower(actor_user)) AS accounts
       FROM event WHERE operation IN (${ops}) AND run_id = ? AND actor_ip IS NOT NULL
       GROUP BY actor_ip HAVING failedAccounts >= ?`,
    )
    .all(...SIGN_IN_OPERATIONS, ctx.runId, SPRAY_MIN_ACCOUNTS) as IpStats[];
  const byIp = ctx.db.prepare(
    `SELECT id, at, result, lower(coalesce(actor_user, '')) AS account, source FROM event
     WHERE actor_ip = ? AND +run_id = ? AND +operation IN (${ops}) ORDER BY at, id`,
  );
  const codesOf = ctx.db.prepare(
    `SELECT lower(coalesce(user_principal_name, user_id, '')) AS account, error_code AS code, count(*) AS n
     FROM sign_in WHERE run_id = ? AND ip_address = ? GROUP BY 1, 2`,
  );
  const campaigns = stats
    .filter((s) => s.failures / s.events >= SPRAY_MIN_FAILURE_RATIO)
    .map((s) => {
      const events = byIp.all(s.ip, ctx.runId, ...SIGN_IN_OPERATIONS) as SignInEvent[];
      const firstFailure = events.find((e) => e.result === 'failure')?.at ?? '';
      const successes = new Map<string, string>();
      for (const e of events) if (e.result === 'success' && e.at >= firstFailure && e.account && !successes.has(e.account)) successes.set(e.account, e.at);
      const codes = new Map<string, Map<number, number>>();
      for (const row of codesOf.all(ctx.runId, s.ip) as { account: string; code: number | null; n: number }[]) {
        if (row.code === null) continue;
        const perAccount = codes.get(row.account) ?? new Map<number, number>();
        perAccount.set(row.code, row.n);
        codes.set(row.account, perAccount);
      }
      return { ip: s.ip, stats: s, events, successes, codes };
    });
  campaignsCache.set(ctx, campaigns);
  return campaigns;
}

/** Users by lower-case UPN and by id, with their directory roles. */
export function directoryUsers(ctx: DetectContext) {
  const users = ctx.objects('user');
  const byUpn = new Map(users.flatMap((u) => (u.displayName ? [[u.displayName.toLowerCase(), u] as const] : [])));
  const byId = new Map(users.map((u) => [u.objectId.toLowerCase(), u]));
  const roles = new Map<string, string[]>();
  for (const a of ctx.objects('roleAssignment')) {
    if (!a.principalId || !a.resourceId) continue;
    const list = roles.get(a.principalId.toLowerCase()) ?? [];
    list.push(a.resourceId.toLowerCase());
    roles.set(a.principalId.toLowerCase(), list);
  }
  return { byUpn, byId, roles };
}

/** Read-only roles: holding them is not a path to change the tenant. */
export const READ_ONLY_ROLES = new Set([
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451', // Global Reader
  '5d6b6bb7-de71-4623-b4af-96380a352509', // Security Reader
  '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', // Directory Readers
  '4a5d8f65-41da-4de4-8968-e035b65339cf', // Reports Reader
  '790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b', // Message Center Reader
]);
const DEFAULT_USER_ROLE = 'a0b1b346-4d3e-4e8b-98f8-753987be4970';
export const isPrivilegedRole = (templateId: string) => !READ_ONLY_ROLES.has(templateId.toLowerCase()) && templateId.toLowerCase() !== DEFAULT_USER_ROLE;


export const credentialStuffing: Rule = {
  id: 'signin.credential-stuffing',
  title: 'Credential stuffing: one address, many accounts, then a success',
  explanation:
    'One IP address tried passwords against many accounts and most attempts failed (50126 wrong password, 50053 locked, 50034 no such user, ' +
    '50076/50079 MFA required), then at least one account signed in. That is a leaked-password list being replayed; every account that ' +
    'succeeded is compromised, and every account that got an MFA prompt had its password guessed right.',
  severity: 'critical',
  confidence: 'high',
  attack: ['T1110.004'],
  remediation: { phase: 'recover', step: 'Reset the password of every account that signed in from the address, revoke its sessions (revokeSignInSessions) and require MFA; block the address with a named location.' },
  covers: [
    'Elastic: Entra ID User Sign-in Brute Force Attempted',
    'Elastic: M365 Identity User Brute Force Attempted',
    'Sentinel: Suspected Brute force attack Investigation',
    'Sentinel: Brute force attack against Azure Portal',
    'Sentinel: Sign-ins from IPs that attempt sign-ins to disabled accounts',
    'Sentinel: User Accounts - Blocked Accounts',
    'Elastic: Entra ID PowerShell Sign-in',
  ],
  stage: 'initial-access',
  evaluate: (ctx) => sprayCampaigns(ctx).filter((c) => c.successes.size > 0).map((c) => campaignHit(ctx, c)),
};

export const passwordSpray: Rule = {
  id: 'signin.password-spray',
  title: 'Password spray: one address failing against many accounts',
  explanation:
    'One IP address failed to sign in to many different accounts and no account signed in from it. Nothing is known to be compromised, ' +
    'but accounts whose attempts ended in an MFA prompt or a lock-out had their password guessed right or were targeted hard.',
  severity: 'medium',
  confidence: 'medium',
  attack: ['T1110.003'],
  remediation: { phase: 'harden', step: 'Block the address with a named location, check the targeted accounts for weak passwords and make sure MFA is enforced for all of them.' },
  covers: [
    'Sentinel: Password spray attack against Microsoft Entra ID application',
    'Splunk: Azure AD Multiple Users Failing To Authenticate From Ip',
    'Splunk: Azure AD High Number Of Failed Authentications From Ip',
    'Splunk: Azure AD Unusual Number of Failed Authentications From Ip',
    'Splunk: O365 Multiple Users Failing To Authenticate From Ip',
    'Elastic: Entra ID Excessive Account Lockouts Detected',
    'Panther: Azure Excessive Account Lockouts',
  ],
  stage: 'initial-access',
  evaluate: (ctx) => sprayCampaigns(ctx).filter((c) => c.successes.size === 0).map((c) => campaignHit(ctx, c)),
};

function campaignHit(ctx: DetectContext, c: SprayCampaign): Hit {
  const users = directoryUsers(ctx);
  const succeeded = [...c.successes.keys()];
  const privileged = succeeded.filter((upn) => {
    const user = users.byUpn.get(upn);
    return user ? (users.roles.get(user.objectId.toLowerCase()) ?? []).some(isPrivilegedRole) : false;
  });
  const passwordRight = [...c.codes].filter(([, codes]) => [...codes.keys()].some((code) => PASSWORD_RIGHT_CODES.has(code) && code !== 50053)).map(([a]) => a);
  const graphEvents = c.events.filter((e) => e.source === 'signin').length;
  const counted = graphEvents > 0 ? `${plural(graphEvents, 'sign-in')} in the Entra sign-in log` : `${plural(c.events.length, 'sign-in record')} in the Unified Audit Log`;
  const ratio = Math.round((100 * c.stats.failures) / c.stats.events);
  const from = c.events[0]?.at ?? '?';
  const to = c.events[c.events.length - 1]?.at ?? '?';
  const said = new Reason().add(
    graphEvents > 0 ? 'signin.campaign.graph' : 'signin.campaign.ual',
    { ip: c.ip, events: graphEvents > 0 ? graphEvents : c.events.length, ratio, accounts: c.stats.accounts, from, to },
    `${c.ip}: ${counted}, ${ratio}% failed, against ${plural(c.stats.accounts, 'account')} between ${from} and ${to}.`,
  );
  if (succeeded.length > 0) {
    said.add(
      privileged.length > 0 ? 'signin.succeededPrivileged' : 'signin.succeeded',
      privileged.length > 0 ? { accounts: succeeded.join(', '), privileged: privileged.join(', ') } : { accounts: succeeded.join(', ') },
      `Signed in successfully after failures: ${succeeded.join(', ')}${privileged.length > 0 ? ` (privileged: ${privileged.join(', ')})` : ''}.`,
    );
  }
  if (passwordRight.length > 0) {
    const shown = passwordRight.slice(0, 10).join(', ');
    const more = passwordRight.length - 10;
    said.add(
      more > 0 ? 'signin.passwordRightMore' : 'signin.passwordRight',
      more > 0 ? { accounts: shown, more } : { accounts: shown },
      `Password right but stopped by MFA or policy: ${shown}${more > 0 ? ` and ${more} more` : ''}.`,
    );
  }
  const objects: FindingObject[] = succeeded.flatMap((upn) => {
    const u = users.byUpn.get(upn);
    return u ? [objectRef('user', u, u.displayName)] : [];
  });
  const iocs: Ioc[] = [
    { type: 'ip', value: c.ip, context: succeeded.length > 0 ? 'credential stuffing source' : 'password spray source', contextPart: { key: succeeded.length > 0 ? 'stuffingSource' : 'spraySource', values: {} } },
    ...succeeded.map((upn): Ioc => ({ type: 'account', value: upn, context: `signed in from ${c.ip} during credential stuffing`, contextPart: { key: 'stuffedAccount', values: { ip: c.ip } } })),
  ];
  return {
    subject: { type: 'ip', id: c.ip, name: c.ip },
    severity: succeeded.length === 0 ? 'medium' : privileged.length > 0 ? 'critical' : 'high',
    reason: said.text,
    reasonParts: said.parts,
    objects,
    eventIds: c.events.map((e) => e.id),
    iocs,
  };
}

export const privilegedWithoutMfa: Rule = {
  id: 'identity.privileged-no-mfa',
  title: 'Privileged account without MFA',
  explanation:
    'An account holding an administrative directory role has no MFA method registered, or signed in with a password alone. ' +
    'A leaked password is then all an attacker needs to act as an administrator; the campaign broke in exactly this way.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1078.004'],
  remediation: { phase: 'recover', step: 'Register MFA for the account (or replace it with a cloud-only break-glass account), reset its password and revoke its sessions.' },
  covers: [
    'Sigma: Azure AD Only Single Factor Authentication Required',
    'Splunk: Azure AD Successful Single-Factor Authentication',
    'Sigma: Privilege Role Sign-In Outside Expected Controls',
    'Elastic: Entra ID OAuth ROPC Grant Login Detected',
    'Panther: Azure ROPC Login Attempt Without MFA',
  ],
  stage: 'initial-access',
  evaluate(ctx) {
    const users = directoryUsers(ctx);
    const registration = new Map(ctx.objects('userRegistrationDetails').map((r) => [r.objectId.toLowerCase(), r]));
    const admins = [...users.roles].filter(([principal, roles]) => users.byId.has(principal) && roles.some(isPrivilegedRole));
    if (admins.length === 0) return [];
    // As collected (Graph writes object ids in lower case), so the (run_id, user_id) index serves the lookup.
    const ids = admins.map(([id]) => users.byId.get(id)!.objectId);
    const singleFactor = ctx.db
      .prepare(
        `SELECT e.id, lower(s.user_id) AS userId, s.created_at AS at, s.ip_address AS ip FROM sign_in s
         CROSS JOIN event e ON e.run_id = s.run_id AND e.source = 'signin' AND e.record_id = s.id
         WHERE s.run_id = ? AND s.error_code = 0 AND s.authentication_requirement = 'singleFactorAuthentication'
           -- "MFA requirement satisfied by claim in the token": the user did MFA earlier in the session.
           AND instr(s.raw, 'satisfied by claim') = 0
           AND s.user_id IN (${ids.map(() => '?').join(',')})`,
      )
      .all(ctx.runId, ...ids) as { id: number; userId: string; at: string; ip: string | null }[];
    // Addresses that stuffed or sprayed passwords and got in: a password-only sign-in from one is a takeover, MFA registered or not.
    const takeoverIps = new Set(sprayCampaigns(ctx).filter((c) => c.successes.size > 0).map((c) => c.ip));
    const hits: Hit[] = [];
    for (const [id, roles] of admins) {
      const user = users.byId.get(id)!;
      const reg = registration.get(id);
      const mfaRegistered = reg ? reg.raw.isMfaRegistered === true : null;
      const signIns = singleFactor.filter((s) => s.userId === id);
      if (mfaRegistered !== false && signIns.length === 0) continue;
      const fromAttack = [...new Set(signIns.map((s) => s.ip).filter((ip): ip is string => ip !== null && takeoverIps.has(ip)))];
      const roleNames = [...new Set(roles.filter(isPrivilegedRole).map((r) => ctx.roleName(r)))];
      const ips = [...new Set(signIns.map((s) => s.ip).filter((ip): ip is string => ip !== null))];
      const who = user.displayName ?? id;
      const said = new Reason().add('mfa.holds', { user: who, roles: roleNames.join(', ') }, `${who} holds ${roleNames.join(', ')}.`);
      if (mfaRegistered === false) said.add('mfa.notRegistered', {}, 'No MFA method is registered (userRegistrationDetails.isMfaRegistered = false).');
      if (mfaRegistered === null) said.add('mfa.notCollected', {}, 'Its MFA registration was not collected.');
      if (signIns.length > 0) {
        const shown = ips.slice(0, 5).join(', ');
        const more = ips.length - 5;
        said.add(
          more > 0 ? 'mfa.singleFactorMore' : 'mfa.singleFactor',
          more > 0 ? { count: signIns.length, ips: shown, more } : { count: signIns.length, ips: shown },
          `${plural(signIns.length, 'successful sign-in')} with a password alone (singleFactorAuthentication) from ${shown}${more > 0 ? ` and ${more} more addresses` : ''}.`,
        );
      }
      if (fromAttack.length > 0) {
        said.add(
          mfaRegistered === true ? 'mfa.takeoverRegistered' : 'mfa.takeover',
          { ips: fromAttack.join(', ') },
          `${fromAttack.join(', ')} tried passwords against many accounts and got in: ${mfaRegistered === true ? 'MFA is registered but was not enforced, so the password alone was enough' : 'the password alone was enough'}.`,
        );
      }
      const objects = [objectRef('user', user, user.displayName), ...(reg ? [objectRef('userRegistrationDetails', reg, reg.displayName)] : [])];
      for (const a of ctx.objects('roleAssignment')) if (a.principalId?.toLowerCase() === id) objects.push(objectRef('roleAssignment', a, ctx.roleName(a.resourceId ?? '')));
      hits.push({
        subject: { type: 'user', id: user.objectId, name: user.displayName },
        severity: (mfaRegistered === false && signIns.length > 0) || fromAttack.length > 0 ? 'high' : mfaRegistered === false ? 'medium' : 'low',
        reason: said.text,
        reasonParts: said.parts,
        objects,
        eventIds: signIns.map((s) => s.id),
        iocs: [],
      });
    }
    return hits;
  },
};

const MFA_CONTROLS = new Set(['mfa']);

export const mfaNotEnforced: Rule = {
  id: 'posture.mfa-not-enforced',
  title: 'MFA is not enforced for administrators',
  explanation:
    'Security defaults are off and no enabled conditional-access policy requires MFA (or an authentication strength) for administrator roles ' +
    'or all users. Nothing stops a correct password from being enough to sign in as an administrator.',
  severity: 'medium',
  confidence: 'high',
  attack: [],
  remediation: { phase: 'harden', step: 'Turn on security defaults, or create a conditional-access policy requiring MFA for all administrator roles (and then all users).' },
  covers: [
    'Panther: Azure MFA Disabled',
    'Splunk: Azure AD Multi-Factor Authentication Disabled',
    'Splunk: O365 Disable MFA',
  ],
  stage: 'initial-access',
  evaluate(ctx) {
    const defaults = ctx.objects('securityDefaults')[0];
    const policies = ctx.objects('conditionalAccessPolicy');
    if (!defaults) return [];
    if (defaults.raw.isEnabled === true) return [];
    const enforcing = policies.filter((p) => {
      const raw = p.raw as { state?: unknown; grantControls?: { builtInControls?: unknown; authenticationStrength?: unknown } | null; conditions?: { users?: { includeUsers?: unknown; includeRoles?: unknown } } };
      if (raw.state !== 'enabled') return false;
      const controls = Array.isArray(raw.grantControls?.builtInControls) ? (raw.grantControls.builtInControls as string[]) : [];
      const requiresMfa = controls.some((c) => MFA_CONTROLS.has(c)) || (raw.grantControls?.authenticationStrength ?? null) !== null;
      const users = raw.conditions?.users;
      const everyone = Array.isArray(users?.includeUsers) && (users.includeUsers as string[]).includes('All');
      const roles = Array.isArray(users?.includeRoles) && (users.includeRoles as string[]).length > 0;
      return requiresMfa && (everyone || roles);
    });
    if (enforcing.length > 0) return [];
    const listed = policies.map((p) => `"${p.displayName ?? p.objectId}" ${String(p.raw.state)}`).join(', ');
    const objects = [objectRef('securityDefaults', defaults, 'Security defaults'), ...policies.map((p) => objectRef('conditionalAccessPolicy', p, p.displayName))];
    return [{
      subject: { type: 'tenant', id: ctx.tenantId ?? 'tenant', name: ctx.domains[0] ?? null },
      severity: 'medium',
      reason: `Security defaults are off, and none of the ${plural(policies.length, 'conditional-access policy', 'conditional-access policies')} is enabled with an MFA grant for all users or for administrator roles${listed ? ` (${listed})` : ''}.`,
      reasonParts: [listed ? { key: 'posture.policies', values: { count: policies.length, policies: listed } } : { key: 'posture.noPolicies', values: {} as Record<string, string> }],
      objects,
      eventIds: [],
      iocs: [],
    }];
  },
};

/** Accounts a stuffing finding says signed in: the storyline starts from them. */
export function stuffedAccounts(findings: readonly Finding[]): Set<string> {
  return new Set(findings.filter((f) => f.ruleId === credentialStuffing.id).flatMap((f) => f.iocs.filter((i) => i.type === 'account').map((i) => i.value.toLowerCase())));
}
