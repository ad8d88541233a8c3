// Main process / CLI / workers: rules over the sign-ins nobody typed — an app's own credential used from outside the tenant's known ranges (and its first use after it was added), and a taken account's tokens refreshed from the address that took it.
import type { Ioc } from '../../../preload/contract';
import { objectRef, type DetectContext } from '../context';
import type { Hit, Rule } from '../types';
import { activityOn, appViews } from './apps';
import { sprayCampaigns } from './signins';
import { plural } from '../text';
import { Reason } from '../reason';


/**
 * An address's network for comparing ranges: the /24 of an IPv4 address, the /48 of an IPv6 one. Vendors publish their
 * egress ranges at about this size; a narrower match would call each of their addresses new.
 */
export function networkOf(ip: string): string {
  if (ip.includes(':')) return `${ip.split(':').slice(0, 3).join(':')}::/48`;
  const parts = ip.split('.');
  return parts.length === 4 ? `${parts.slice(0, 3).join('.')}.0/24` : ip;
}

/** An app's range is its own when it signed in from it on this many days, before any credential of the window was added. */
export const ESTABLISHED_DAYS = 5;

interface AppSignIn {
  eventId: number;
  at: string;
  appId: string;
  ip: string | null;
  result: string;
  resource: string | null;
  keyId: string | null;
  credentialType: string | null;
}

/** Service-principal sign-ins of the run (the sign-in log's `servicePrincipal` kind), oldest first. */
function appSignIns(ctx: DetectContext): AppSignIn[] {
  return (ctx.db
    .prepare(
      `SELECT e.id AS eventId, e.at, lower(e.actor_app_id) AS appId, e.actor_ip AS ip, e.result, e.target_name AS resource,
              json_extract(s.raw, '$.servicePrincipalCredentialKeyId') AS keyId, json_extract(s.raw, '$.clientCredentialType') AS credentialType
       FROM event e CROSS JOIN sign_in s ON s.row_id = e.source_row_id
       WHERE e.run_id = ? AND e.source = 'signin' AND e.operation = 'service principal sign-in' AND e.actor_app_id IS NOT NULL
       ORDER BY e.at, e.id`,
    )
    .all(ctx.runId) as AppSignIn[]);
}

/**
 * The tenant's known ranges: networks its own people signed in from successfully with MFA (their offices and homes).
 * An app of the tenant's that signs in from elsewhere is either a vendor's service (which documents its ranges, and
 * uses them day after day) or someone holding its credential.
 */
function knownNetworks(ctx: DetectContext): Set<string> {
  const ips = ctx.db
    .prepare(
      `SELECT DISTINCT ip_address FROM sign_in
       WHERE run_id = ? AND error_code = 0 AND authentication_requirement = 'multiFactorAuthentication' AND ip_address IS NOT NULL AND coalesce(user_id, '') <> ''`,
    )
    .pluck()
    .all(ctx.runId) as string[];
  return new Set(ips.map(networkOf));
}

export const appCredentialUnknownRange: Rule = {
  id: 'app.credential-use-unknown-range',
  title: 'App credential used from outside the tenant\'s known ranges',
  explanation:
    'An app of the tenant signed in with its own secret or certificate (a service-principal sign-in) from a network none of the tenant\'s people sign in from, ' +
    'and that the app itself had not been using day after day. A backup or archiving product signs in from the ranges its vendor documents, every day; ' +
    'the campaign\'s app signs in from the attacker\'s hosts, first within hours of the credential being added, then around each Exchange set-up. ' +
    'The first use after a credential was added dates when the attacker started using it.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1078.004', 'T1550.001'],
  remediation: { phase: 'contain', step: 'Disable the service principal and remove the credential it used (servicePrincipalCredentialKeyId); block the addresses.' },
  covers: [
    'Sentinel: Service Principal Authentication Attempt from New Country',
    'Elastic: Entra ID Service Principal with Unusual Source ASN',
    'Splunk: Azure AD Service Principal Authentication',
  ],
  stage: 'credentials',
  evaluate(ctx) {
    const all = appSignIns(ctx);
    if (all.length === 0) return [];
    const known = knownNetworks(ctx);
    const views = new Map(appViews(ctx).map((v) => [v.appId, v]));
    const byApp = new Map<string, AppSignIn[]>();
    for (const s of all) byApp.set(s.appId, [...(byApp.get(s.appId) ?? []), s]);
    const hits: Hit[] = [];
    for (const [appId, signIns] of byApp) {
      const view = views.get(appId);
      if (!view || view.firstParty || view.collector) continue;
      // Credentials added to the app in the window, oldest first: the rule dates each one's first use.
      const added = activityOn(ctx, view.ids, (op) => op.startsWith('update application - certificates and secrets management') || op === 'add service principal credentials')
        .filter((a) => a.result === 'success');
      const firstAdded = added[0]?.at ?? null;
      // The app's own ranges: used on several days, and already before any credential of the window was added.
      const days = new Map<string, Set<string>>();
      const firstSeen = new Map<string, string>();
      for (const s of signIns) {
        if (!s.ip) continue;
        const net = networkOf(s.ip);
        days.set(net, (days.get(net) ?? new Set()).add(s.at.slice(0, 10)));
        if (!firstSeen.has(net)) firstSeen.set(net, s.at);
      }
      const established = (net: string) => (days.get(net)?.size ?? 0) >= ESTABLISHED_DAYS && (firstAdded === null || firstSeen.get(net)! < firstAdded);
      const outside = signIns.filter((s) => s.ip && s.result === 'success' && !known.has(networkOf(s.ip)) && !established(networkOf(s.ip)));
      if (outside.length === 0) continue;
      const first = outside[0]!;
      // The credential added last before the first such use, when the log shows one.
      const credential = [...added].reverse().find((a) => a.at <= first.at) ?? null;
      const minutes = credential ? Math.round((Date.parse(first.at) - Date.parse(credential.at)) / 60_000) : null;
      const addresses = [...new Set(outside.map((s) => s.ip!))];
      const keys = [...new Set(outside.map((s) => s.keyId).filter((k): k is string => !!k))];
      const addedByUser = credential?.actorUser ?? null;
      const severity = view.local && (credential !== null || !view.multiTenant) ? 'high' : 'medium';
      const objects = [
        ...(view.application ? [objectRef('application', view.application, view.application.displayName)] : []),
        ...(view.servicePrincipal ? [objectRef('servicePrincipal', view.servicePrincipal, view.servicePrincipal.displayName)] : []),
      ];
      const iocs: Ioc[] = [
        ...addresses.map((ip) => ({ type: 'ip' as const, value: ip, context: `${view.name} signed in with its own credential from it`, contextPart: { key: 'appSignedInFrom', values: { app: view.name } } })),
        { type: 'app-id', value: appId, context: `${view.name}: credential used from outside the tenant's ranges`, contextPart: { key: 'credentialOutsideRanges', values: { app: view.name } } },
      ];
      const said = new Reason().add(
        'appSignIn.outside',
        { app: view.name, appId, count: outside.length, addresses: addresses.join(', '), first: first.at },
        `${view.name} (appId ${appId}) signed in with its own credential ${plural(outside.length, 'time')} from ${plural(addresses.length, 'address', 'addresses')} ` +
          `outside the tenant's known ranges and its own (${addresses.join(', ')})` +
          (keys.length ? `, using credential ${keys.join(', ')}` : '') +
          `; first at ${first.at}${first.resource ? ` to ${first.resource}` : ''}` +
          (credential ? `, ${minutes} minutes after a credential was added at ${credential.at}${addedByUser ? ` by ${addedByUser}` : ''}` : '') + '.',
      );
      if (keys.length) said.part('appSignIn.keys', { keys: keys.join(', ') });
      if (first.resource) said.part('appSignIn.resource', { resource: first.resource });
      if (credential) said.part(addedByUser ? 'appSignIn.afterCredentialBy' : 'appSignIn.afterCredential', { minutes: minutes ?? 0, at: credential.at, ...(addedByUser ? { user: addedByUser } : {}) });
      hits.push({
        subject: { type: 'application', id: view.application?.objectId ?? view.servicePrincipal!.objectId, name: view.name },
        severity,
        confidence: credential ? 'high' : 'medium',
        reason: said.text,
        reasonParts: said.parts,
        objects,
        eventIds: [...outside.map((s) => s.eventId), ...(credential ? [credential.eventId] : [])],
        iocs,
      });
    }
    return hits;
  },
};

export const tokenRefreshFromAttacker: Rule = {
  id: 'signin.token-refresh-from-attacker',
  title: 'Taken account\'s session kept alive from the attacker\'s address',
  explanation:
    'After an account signed in from an address that stuffed or sprayed passwords, its tokens were refreshed from the same address without the user ' +
    '(non-interactive sign-ins). The attacker holds a refresh token: a password reset alone does not end it; revoking the account\'s sessions does.',
  severity: 'high',
  confidence: 'high',
  attack: ['T1550.001', 'T1078.004'],
  remediation: { phase: 'recover', step: 'Revoke the account\'s sessions (revokeSignInSessions) after the password reset, and block the address.' },
  covers: ['Sentinel: Anomalous sign-in location by user account and authenticating application'],
  stage: 'initial-access',
  evaluate(ctx) {
    const campaigns = sprayCampaigns(ctx).filter((c) => c.successes.size > 0);
    if (campaigns.length === 0) return [];
    const refreshes = ctx.db.prepare(
      `SELECT id AS eventId, at, lower(coalesce(actor_user, '')) AS account FROM event
       WHERE actor_ip = ? AND +run_id = ? AND +operation = 'non-interactive user sign-in' AND result = 'success' ORDER BY at, id`,
    );
    const hits: Hit[] = [];
    for (const c of campaigns) {
      const rows = (refreshes.all(c.ip, ctx.runId) as { eventId: number; at: string; account: string }[]).filter((r) => {
        const since = c.successes.get(r.account);
        return since !== undefined && r.at >= since;
      });
      const accounts = [...new Set(rows.map((r) => r.account))];
      for (const account of accounts) {
        const own = rows.filter((r) => r.account === account);
        hits.push({
          subject: { type: 'user', id: account, name: account },
          severity: 'high',
          reason: `${account}'s tokens were refreshed ${plural(own.length, 'time')} from ${c.ip} between ${own[0]!.at} and ${own[own.length - 1]!.at}, after the address took the account at ${c.successes.get(account)}.`,
          reasonParts: [{ key: 'tokenRefresh.refreshed', values: { account, count: own.length, ip: c.ip, from: own[0]!.at, to: own[own.length - 1]!.at, taken: c.successes.get(account) ?? '?' } }],
          objects: [],
          eventIds: own.map((r) => r.eventId),
          iocs: [
            { type: 'ip', value: c.ip, context: 'refreshed a taken account\'s tokens', contextPart: { key: 'refreshedTokens', values: {} } },
            { type: 'account', value: account, context: 'session held by the attacker', contextPart: { key: 'sessionHeld', values: {} } },
          ],
        });
      }
    }
    return hits;
  },
};
