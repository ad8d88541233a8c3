// Test tooling (Node): Graph routes for hardening a tenant after an incident — named locations, switching a conditional-access policy on, per-user MFA — and the directory audits Entra records for them.
import { randomUUID } from 'node:crypto';
import { sendGraphError, sendJson } from '../http';
import { PERMISSIONS, notFound, sendCollection, sendEntity, sendNoContent, type GraphCall, type GraphRoute } from '../graph';
import type { GraphConditionalAccessPolicy } from '../graph-types';
import type { Tenant } from '../scenario';
import { audit, jsonBody, target, values } from './writes';

/** An IP named location (https://learn.microsoft.com/graph/api/resources/ipnamedlocation). */
export interface GraphIpNamedLocation {
  '@odata.type': '#microsoft.graph.ipNamedLocation';
  id: string;
  displayName: string;
  createdDateTime: string;
  modifiedDateTime: string;
  isTrusted: boolean;
  ipRanges: { '@odata.type': '#microsoft.graph.iPv4CidrRange' | '#microsoft.graph.iPv6CidrRange'; cidrAddress: string }[];
}

/** Per-user MFA states (https://learn.microsoft.com/graph/api/resources/strongauthenticationrequirements). */
const MFA_STATES = new Set(['disabled', 'enabled', 'enforced']);

/** What hardening adds to a tenant, kept beside it (created on first use: a fresh tenant has none). */
interface HardeningState {
  namedLocations: GraphIpNamedLocation[];
  /** Per-user MFA state by user id; absent is `disabled`, as for every user of a tenant that never used per-user MFA. */
  perUserMfa: Map<string, string>;
}

const hardening = new WeakMap<Tenant, HardeningState>();

export function hardeningOf(tenant: Tenant): HardeningState {
  let h = hardening.get(tenant);
  if (!h) hardening.set(tenant, (h = { namedLocations: [], perUserMfa: new Map() }));
  return h;
}

const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

const CIDR_V4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const CIDR_V6 = /^[0-9a-f:]+\/(12[0-8]|1[01]\d|\d?\d)$/i;

/** A named location from a POST body, or why not (Graph answers 400 for each of these). */
function namedLocationFrom(body: Record<string, unknown>, nowMs: number): GraphIpNamedLocation | string {
  if (body['@odata.type'] !== '#microsoft.graph.ipNamedLocation') return "Only '#microsoft.graph.ipNamedLocation' is simulated; '@odata.type' is required.";
  if (typeof body.displayName !== 'string' || !body.displayName.trim()) return "The property 'displayName' is required.";
  if (!Array.isArray(body.ipRanges) || body.ipRanges.length === 0) return "The property 'ipRanges' must hold at least one range.";
  const ranges: GraphIpNamedLocation['ipRanges'] = [];
  for (const r of body.ipRanges as Record<string, unknown>[]) {
    const type = r?.['@odata.type'];
    const cidr = typeof r?.cidrAddress === 'string' ? r.cidrAddress : '';
    if (type === '#microsoft.graph.iPv4CidrRange' && CIDR_V4.test(cidr)) ranges.push({ '@odata.type': type, cidrAddress: cidr });
    else if (type === '#microsoft.graph.iPv6CidrRange' && CIDR_V6.test(cidr)) ranges.push({ '@odata.type': type, cidrAddress: cidr });
    else return `'${cidr}' is not a valid ${String(type ?? 'IP range')} CIDR address.`;
  }
  const now = iso(nowMs);
  return { '@odata.type': '#microsoft.graph.ipNamedLocation', id: randomUUID(), displayName: body.displayName, createdDateTime: now, modifiedDateTime: now, isTrusted: body.isTrusted === true, ipRanges: ranges };
}

/** The first location a policy names that is neither a named location of the tenant nor All / AllTrusted. */
export function unknownLocationOf(c: GraphCall, policy: GraphConditionalAccessPolicy): string | undefined {
  const known = new Set(hardeningOf(c.state.tenant).namedLocations.map((l) => l.id));
  const named = [...(policy.conditions.locations?.includeLocations ?? []), ...(policy.conditions.locations?.excludeLocations ?? [])];
  return named.find((id) => id !== 'All' && id !== 'AllTrusted' && !known.has(id.toLowerCase()));
}

/** Per-user MFA lives under beta only; v1.0 answers as for any unknown segment. */
function betaOnly(c: GraphCall): boolean {
  if (c.version === 'beta') return true;
  sendGraphError(c.ctx, 400, 'BadRequest', "Resource not found for the segment 'requirements'.");
  return false;
}

const NAMED_LOCATIONS = 'identity/conditionalAccess/namedLocations';
const PER_USER_MFA = { read: ['Policy.Read.AuthenticationMethod', 'Policy.ReadWrite.AuthenticationMethod'], write: ['Policy.ReadWrite.AuthenticationMethod'] };

export function directoryHardeningRoutes(): GraphRoute[] {
  return [
    {
      // https://learn.microsoft.com/graph/api/conditionalaccessroot-list-namedlocations
      method: 'GET', path: NAMED_LOCATIONS, permissions: PERMISSIONS.conditionalAccess,
      run: (c) => sendCollection(c.ctx, c.state, c.options, c.version, NAMED_LOCATIONS, hardeningOf(c.state.tenant).namedLocations, {
        typeName: 'microsoft.graph.namedLocation', filterable: true, known: ['id', 'displayName', 'createdDateTime', 'modifiedDateTime', 'isTrusted', 'ipRanges'],
      }),
    },
    {
      method: 'GET', path: `${NAMED_LOCATIONS}/{}`, permissions: PERMISSIONS.conditionalAccess,
      run: (c) => {
        const item = hardeningOf(c.state.tenant).namedLocations.find((l) => l.id === (c.params[0] ?? '').toLowerCase());
        if (!item) return notFound(c.ctx, c.params[0] ?? '');
        sendEntity(c.ctx, c.state, c.version, NAMED_LOCATIONS, item, 'microsoft.graph.namedLocation');
      },
    },
    {
      // https://learn.microsoft.com/graph/api/conditionalaccessroot-post-namedlocations: 201 with the location.
      method: 'POST', path: NAMED_LOCATIONS, permissions: PERMISSIONS.conditionalAccessWrite,
      run: async (c) => {
        const body = await jsonBody(c);
        if (!body) return;
        const location = namedLocationFrom(body, c.ctx.nowMs);
        if (typeof location === 'string') return sendGraphError(c.ctx, 400, 'BadRequest', location);
        hardeningOf(c.state.tenant).namedLocations.push(location);
        audit(c, {
          activity: 'Add named location', category: 'Policy', operationType: 'Add', loggedByService: 'Conditional Access',
          targets: [target(location.id, location.displayName, 'Policy', [{ displayName: 'NamedLocation', oldValue: null, newValue: JSON.stringify(location) }])],
        });
        sendJson(c.ctx, 201, { '@odata.context': `${c.state.baseUrl()}/${c.version}/$metadata#${NAMED_LOCATIONS}/$entity`, ...location },
          undefined, { Location: `${c.state.baseUrl()}/${c.version}/${NAMED_LOCATIONS}/${location.id}` });
      },
    },
    {
      // https://learn.microsoft.com/graph/api/conditionalaccesspolicy-update: 204; the simulator changes state and displayName.
      method: 'PATCH', path: 'identity/conditionalAccess/policies/{}', permissions: PERMISSIONS.conditionalAccessWrite,
      run: async (c) => {
        const policy = c.state.tenant.conditionalAccessPolicies.find((p) => p.id === (c.params[0] ?? '').toLowerCase());
        if (!policy) return notFound(c.ctx, c.params[0] ?? '');
        const body = await jsonBody(c);
        if (!body) return;
        const extra = Object.keys(body).find((k) => k !== 'state' && k !== 'displayName');
        if (extra) return sendGraphError(c.ctx, 400, 'BadRequest', `The simulator updates a policy's state and displayName only, not '${extra}'.`);
        if (body.state !== undefined && body.state !== 'enabled' && body.state !== 'disabled' && body.state !== 'enabledForReportingButNotEnforced') {
          return sendGraphError(c.ctx, 400, 'BadRequest', "The property 'state' must be enabled, disabled or enabledForReportingButNotEnforced.");
        }
        if (body.displayName !== undefined && (typeof body.displayName !== 'string' || !body.displayName.trim())) return sendGraphError(c.ctx, 400, 'BadRequest', "The property 'displayName' must be a non-empty string.");
        const before = JSON.stringify(policy);
        if (body.state !== undefined) policy.state = body.state;
        if (typeof body.displayName === 'string') policy.displayName = body.displayName;
        policy.modifiedDateTime = iso(c.ctx.nowMs);
        audit(c, {
          activity: 'Update conditional access policy', category: 'Policy', operationType: 'Update', loggedByService: 'Conditional Access',
          targets: [target(policy.id, policy.displayName, 'Policy', [{ displayName: 'ConditionalAccessPolicy', oldValue: before, newValue: JSON.stringify(policy) }])],
        });
        sendNoContent(c.ctx);
      },
    },
    {
      // https://learn.microsoft.com/graph/api/authentication-get?view=graph-rest-beta (the requirements navigation).
      method: 'GET', path: 'users/{}/authentication/requirements', permissions: { delegated: PER_USER_MFA.read, application: PER_USER_MFA.read },
      run: (c) => {
        if (!betaOnly(c)) return;
        const user = c.state.findUser(c.params[0] ?? '');
        if (!user) return notFound(c.ctx, c.params[0] ?? '');
        sendJson(c.ctx, 200, {
          '@odata.context': `${c.state.baseUrl()}/beta/$metadata#users('${user.id}')/authentication/requirements/$entity`,
          perUserMfaState: hardeningOf(c.state.tenant).perUserMfa.get(user.id) ?? 'disabled',
        });
      },
    },
    {
      // https://learn.microsoft.com/graph/api/authentication-update?view=graph-rest-beta: Policy.ReadWrite.AuthenticationMethod;
      // "enabled" turns into "enforced" once the user has a method registered (strongauthenticationrequirements).
      method: 'PATCH', path: 'users/{}/authentication/requirements', permissions: { delegated: PER_USER_MFA.write, application: PER_USER_MFA.write },
      run: async (c) => {
        if (!betaOnly(c)) return;
        const user = c.state.findUser(c.params[0] ?? '');
        if (!user) return notFound(c.ctx, c.params[0] ?? '');
        const body = await jsonBody(c);
        if (!body) return;
        if (typeof body.perUserMfaState !== 'string' || !MFA_STATES.has(body.perUserMfaState) || Object.keys(body).length !== 1) {
          return sendGraphError(c.ctx, 400, 'BadRequest', "The body must be { \"perUserMfaState\": \"disabled\" | \"enabled\" | \"enforced\" }.");
        }
        const registered = c.state.tenant.userRegistrationDetails.find((r) => r.id === user.id)?.isMfaRegistered === true;
        const state = body.perUserMfaState === 'enabled' && registered ? 'enforced' : body.perUserMfaState;
        const mfa = hardeningOf(c.state.tenant).perUserMfa;
        const old = mfa.get(user.id) ?? 'disabled';
        mfa.set(user.id, state);
        audit(c, {
          activity: state === 'disabled' ? 'Disable Strong Authentication' : 'Enable Strong Authentication', category: 'UserManagement', operationType: 'Update',
          targets: [target(user.id, user.displayName, 'User', [{ displayName: 'StrongAuthenticationRequirement', oldValue: values(old), newValue: values(state) }], user.userPrincipalName)],
        });
        sendNoContent(c.ctx);
      },
    },
  ];
}
