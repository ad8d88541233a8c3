// Test tooling (Node): the sign-ins Graph serves only when asked for by `signInEventTypes` — non-interactive user sign-ins (token refreshes) and service-principal sign-ins (an app's own credential) — with the attack's and a decoy's.
//
// `GET /beta/auditLogs/signIns` returns interactive user sign-ins unless `$filter` names another kind with
// `signInEventTypes/any(t: t eq 'nonInteractiveUser')` or `… eq 'servicePrincipal'`
// (https://learn.microsoft.com/graph/api/signin-list?view=graph-rest-beta; the event types are the signIn resource's
// `signInEventTypes`: https://learn.microsoft.com/graph/api/resources/signin?view=graph-rest-beta). A service-principal
// sign-in names the app (`appId`, `servicePrincipalId`, `servicePrincipalName`) and the credential it used
// (`clientCredentialType`, `servicePrincipalCredentialKeyId`, `servicePrincipalCredentialThumbprint` for a certificate);
// it has no user (https://learn.microsoft.com/entra/identity/monitoring-health/concept-service-principal-sign-ins).
// These records are few (tens a day), so they are built once for the whole retained window and kept in memory.
import { BACKUP_PRODUCTS, SCENARIOS } from '../scenario-data';
import type { LogContext } from './generate';
import { DAY } from './generate';
import type { Keyed } from './store';
import { derivedGuid, fastToken, signInRecord, signInTime } from './records';
import type { GraphSignIn, SignInKindTruth } from './types';

export type SignInKind = 'nonInteractiveUser' | 'servicePrincipal';
export const SIGN_IN_KINDS: readonly SignInKind[] = ['nonInteractiveUser', 'servicePrincipal'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const EXCHANGE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const AZURE_AD_POWERSHELL = '1b730954-1685-4b74-9bfd-dac224a7b894';
/** Users whose sessions refresh tokens in the background each day (Outlook, Teams): enough for two pages. */
const REFRESHING_USERS = 40;

export interface SignInKindStore {
  /** Ascending by (ms, ord), within [retainedFrom, reference time). */
  records: Record<SignInKind, Keyed<GraphSignIn>[]>;
  truth: Record<SignInKind, SignInKindTruth>;
}

/**
 * Builds both kinds for [fromMs, toMs): Graph serves nothing older than its retention, so nothing older is made.
 * Benign: daily background refreshes of the first users from their usual addresses (MFA satisfied by the token's
 * claim); the backup product's service principal (the decoy) twice a day from its vendor's documented ranges, with its
 * certificate. The attack: token refreshes of every taken account from the stuffing address for hours after the
 * takeover; each malicious app's secret (or certificate) used from the attacker's networks — first soon after it was
 * added, then around each Exchange set-up and removal.
 */
export function buildSignInKinds(ctx: LogContext, fromMs: number, toMs: number): SignInKindStore {
  const tenant = ctx.tenant;
  const prng = ctx.stream('signin-kinds');
  const inWindow = (ms: number) => ms >= fromMs && ms < toMs;
  const spOf = (appId: string) => tenant.servicePrincipals.find((sp) => sp.appId === appId);
  const exchange = { id: spOf(EXCHANGE_APP_ID)?.id ?? derivedGuid('exchange'), name: 'Office 365 Exchange Online' };
  const graph = { id: spOf(GRAPH_APP_ID)?.id ?? derivedGuid('graph'), name: 'Microsoft Graph' };
  const made: Record<SignInKind, { ms: number; record: GraphSignIn; role: 'benign' | 'malicious' | 'decoy' }[]> = { nonInteractiveUser: [], servicePrincipal: [] };
  const noUser = { id: '', displayName: '', userPrincipalName: '' };

  const userSignIn = (kind: 'benign' | 'malicious', ms: number, user: { id: string; displayName: string; userPrincipalName: string }, ip: string, place: GraphSignIn['location'] | null, app: { appId: string; name: string }, resource: { id: string; name: string }, multiFactor: boolean) => {
    const base = signInRecord({
      id: prng.guid(), ms, tenantId: tenant.tenantId, user,
      app: { appId: app.appId, appDisplayName: app.name, resourceId: resource.id, resourceDisplayName: resource.name, clientAppUsed: 'Mobile Apps and Desktop clients' },
      ipAddress: ip, place: place ? { city: place.city, state: place.state, countryOrRegion: place.countryOrRegion, latitude: place.geoCoordinates.latitude, longitude: place.geoCoordinates.longitude } : ctx.attackerPlace,
      device: { operatingSystem: 'Windows10', browser: 'Rich Client 5.2.9.0' }, errorCode: 0, multiFactor, correlationId: prng.guid(),
      tokenIdentifier: fastToken(prng, 32), protocol: 'none', processingMs: prng.int(20, 140),
    });
    // A refresh presents no password: the token it redeems carries whatever the first sign-in proved.
    const record: GraphSignIn = {
      ...base, isInteractive: false, signInEventTypes: ['nonInteractiveUser'], incomingTokenType: 'refreshToken', authenticationDetails: [],
      authenticationMethodsUsed: [], status: { errorCode: 0, failureReason: null, additionalDetails: multiFactor ? 'MFA requirement satisfied by claim in the token' : null },
    };
    made.nonInteractiveUser.push({ ms, record, role: kind });
  };

  const appSignIn = (role: 'malicious' | 'decoy', ms: number, sp: { id: string; appId: string; displayName: string }, ip: string, resource: { id: string; name: string }, credential: { keyId: string; type: 'clientSecret' | 'certificate'; thumbprint: string | null }) => {
    const base = signInRecord({
      id: prng.guid(), ms, tenantId: tenant.tenantId, user: noUser,
      app: { appId: sp.appId, appDisplayName: sp.displayName, resourceId: resource.id, resourceDisplayName: resource.name, clientAppUsed: '' },
      ipAddress: ip, place: ctx.attackerPlace, device: { operatingSystem: '', browser: '' }, errorCode: 0, multiFactor: false, correlationId: prng.guid(),
      tokenIdentifier: fastToken(prng, 32), protocol: 'none', processingMs: prng.int(10, 90),
    });
    const record: GraphSignIn = {
      ...base, userDisplayName: '', userPrincipalName: '', userId: '', isInteractive: false, signInEventTypes: ['servicePrincipal'],
      authenticationDetails: [], authenticationMethodsUsed: [], authenticationRequirement: 'singleFactorAuthentication',
      status: { errorCode: 0, failureReason: null, additionalDetails: null },
      deviceDetail: { deviceId: '', displayName: null, operatingSystem: '', browser: '', isCompliant: null, isManaged: null, trustType: null },
      clientCredentialType: credential.type, servicePrincipalId: sp.id, servicePrincipalName: sp.displayName,
      servicePrincipalCredentialKeyId: credential.keyId, servicePrincipalCredentialThumbprint: credential.thumbprint ?? '',
    };
    made.servicePrincipal.push({ ms, record, role });
  };

  // Benign background refreshes: one a day per refreshing user, from the office (or home), MFA satisfied by claim.
  const firstDay = Math.floor(fromMs / DAY) * DAY;
  for (const profile of ctx.profiles.slice(0, REFRESHING_USERS)) {
    for (let day = firstDay; day < toMs; day += DAY) {
      const ms = day + prng.int(6 * 60, 20 * 60) * MINUTE + prng.int(0, 59_999);
      if (!inWindow(ms)) continue;
      const ip = profile.remote ? profile.homeIp : profile.officeIp;
      const at = profile.remote ? profile.home : ctx.places.office;
      const place = { city: at.city, state: at.state, countryOrRegion: at.countryOrRegion, geoCoordinates: { altitude: null, latitude: at.latitude, longitude: at.longitude } };
      userSignIn('benign', ms, profile.user, ip, place, { appId: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', name: 'Microsoft Office' }, exchange, true);
    }
  }

  // The attack: every taken account's stolen session refreshed from the stuffing address for hours after the takeover.
  const attack = tenant.attack;
  for (const account of attack.compromisedAccounts) {
    const user = tenant.users.find((u) => u.id === account.userId);
    if (!user) continue;
    let ms = Date.parse(account.successDateTime) + prng.int(40, 70) * MINUTE;
    for (let i = prng.int(4, 7); i > 0 && inWindow(ms); i--) {
      userSignIn('malicious', ms, user, attack.attackerIp, null, { appId: AZURE_AD_POWERSHELL, name: 'Azure Active Directory PowerShell' }, { id: spOf('00000002-0000-0000-c000-000000000000')?.id ?? derivedGuid('aad-graph'), name: 'Windows Azure Active Directory' }, false);
      ms += prng.int(50, 75) * MINUTE;
    }
  }

  // The malicious apps' credentials in use, from the attacker's networks (never the tenant's own addresses).
  const def = SCENARIOS[tenant.scenario];
  const attackerAddress = (): string => {
    const ip = `${prng.pick(def.attackerIpPrefixes)}${prng.int(2, 254)}`;
    return ip === attack.attackerIp ? attackerAddress() : ip;
  };
  const apps = [
    { applicationId: attack.maliciousApplicationId, steps: attack.steps, cycles: attack.exchange.cycles },
    ...attack.otherApps.map((o) => ({ applicationId: o.applicationId, steps: o.steps, cycles: [] as typeof attack.exchange.cycles })),
  ];
  for (const app of apps) {
    const application = tenant.applications.find((a) => a.id === app.applicationId) ?? tenant.deletedApplications.find((a) => a.id === app.applicationId);
    const sp = tenant.servicePrincipals.find((s) => s.appId === application?.appId);
    const added = app.steps.addCredentials[0];
    if (!application || !sp || !added) continue;
    const key = application.keyCredentials.find((k) => k.keyId === added.keyId);
    const credential = { keyId: added.keyId, type: added.type === 'Password' ? 'clientSecret' as const : 'certificate' as const, thumbprint: key?.customKeyIdentifier ?? null };
    const who = { id: sp.id, appId: sp.appId, displayName: sp.displayName };
    // First use: the attacker tries the new credential within hours of adding it.
    const firstMs = Date.parse(added.dateTime) + prng.int(20, 180) * MINUTE;
    if (inWindow(firstMs)) appSignIn('malicious', firstMs, who, attackerAddress(), graph, credential);
    for (const cycle of app.cycles) {
      for (const at of [cycle.createdDateTime, cycle.removedDateTime]) {
        if (at === null) continue;
        const ms = Date.parse(at) - prng.int(2, 9) * MINUTE;
        if (inWindow(ms)) appSignIn('malicious', ms, who, attackerAddress(), exchange, credential);
      }
    }
  }

  // The decoy: the backup product's own app, every night and noon, from the ranges its vendor documents.
  const backup = tenant.decoys.find((d) => d.kind === 'backup-app-registration');
  const product = BACKUP_PRODUCTS.find((p) => p.product === backup?.displayName);
  const backupApp = tenant.applications.find((a) => a.id === backup?.applicationObjectId);
  const backupKey = backupApp?.keyCredentials[0];
  if (backup && product && backupKey) {
    const who = { id: backup.servicePrincipalId, appId: backup.appId, displayName: backup.displayName };
    const credential = { keyId: backupKey.keyId, type: 'certificate' as const, thumbprint: backupKey.customKeyIdentifier };
    for (let day = firstDay; day < toMs; day += DAY) {
      for (const [hour, resource] of [[1, exchange], [13, graph]] as const) {
        const ms = day + hour * HOUR + prng.int(0, 40) * MINUTE + prng.int(0, 59_999);
        if (inWindow(ms)) appSignIn('decoy', ms, who, `${prng.pick(product.egressRanges)}${prng.int(4, 60)}`, resource, credential);
      }
    }
  }

  const records = {} as SignInKindStore['records'];
  const truth = {} as SignInKindStore['truth'];
  for (const kind of SIGN_IN_KINDS) {
    const list = made[kind].sort((a, b) => a.ms - b.ms);
    records[kind] = list.map((m, ord) => ({ ms: m.ms, ord, record: { ...m.record, createdDateTime: signInTime(m.ms) } }));
    truth[kind] = {
      count: list.length,
      malicious: list.filter((m) => m.role === 'malicious').map((m) => m.record.id),
      decoys: list.filter((m) => m.role === 'decoy').map((m) => m.record.id),
    };
  }
  return { records, truth };
}
