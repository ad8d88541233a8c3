// Main process / CLI: remediation steps for hardening: security defaults or conditional access, blocked addresses, auditing.
import { isIP } from 'node:net';
import type { Finding } from '../../../preload/contract';
import { isPrivilegedRole } from '../../detect/rules/signins';
import type { ActionKind, RemediationRequest, Risk, StepItem } from '../model';
import type { DraftStep, PlanContext } from './context';
import { isStrong, item, keysOf, lower, sourceOf } from './build';

/**
 * The administrator roles Microsoft's "Require MFA for administrators" policy template covers, by role template id
 * (https://learn.microsoft.com/entra/identity/conditional-access/policy-old-require-mfa-admin).
 */
export const ADMIN_ROLE_TEMPLATES: readonly string[] = [
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', // Application Administrator
  'c4e39bd9-1100-46d3-8c65-fb160da0071f', // Authentication Administrator
  'b0f54661-2d74-4c50-afa3-1ec803f12efe', // Billing Administrator
  '158c047a-c907-4556-b7ef-446551a6b5f7', // Cloud Application Administrator
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', // Conditional Access Administrator
  '29232cdf-9323-42fd-ade2-1d097af3e4de', // Exchange Administrator
  '729827e3-9c14-49f7-bb1b-9608f156bbb8', // Helpdesk Administrator
  '966707d0-3269-4727-9be2-8c3a10f19b9d', // Password Administrator
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', // Privileged Authentication Administrator
  'e8611ab8-c189-46e8-94e1-60213ab1f814', // Privileged Role Administrator
  '194ae4cb-b126-40b2-bd5b-6091b380977d', // Security Administrator
  'f28a1f50-f6e7-4571-818b-6a12f2af6b6c', // SharePoint Administrator
  'fe930be7-5e62-47db-91af-98c3a49a38b1', // User Administrator
];

/** Names of what the plan creates: found again by name, so a re-run sees the object it made before. */
export const ADMIN_MFA_POLICY = 'Peregrine: require MFA for administrator roles';
export const BLOCK_POLICY = 'Peregrine: block attacker addresses';
export const BLOCK_LOCATION = 'Peregrine: attacker addresses';

const POLICIES = '/v1.0/identity/conditionalAccess/policies';
const LOCATIONS = '/v1.0/identity/conditionalAccess/namedLocations';
const REPORT_ONLY = 'enabledForReportingButNotEnforced';
const CA_NEEDS = { graphScopes: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'], exchangeRoles: [], directoryRoles: ['Conditional Access Administrator'] };

const graph = (method: 'GET' | 'POST' | 'PATCH', path: string, body?: Record<string, unknown>): RemediationRequest =>
  body ? { api: 'graph', method, path, body } : { api: 'graph', method, path };

/** The list read that finds an object this plan creates, by its display name (OData quotes doubled). */
const byName = (collection: string, name: string) => graph('GET', `${collection}?$filter=${encodeURIComponent(`displayName eq '${name.replace(/'/g, "''")}'`)}`);

const ref = (stepId: string, itemKey: string, field = 'id') => `{{ref:${stepId}/${itemKey}/${field}}}`;

export function hardeningSteps(ctx: PlanContext): DraftStep[] {
  return [...recollect(ctx), ...adminMfa(ctx), ...blockAddresses(ctx), ...enableAudit(ctx)];
}

function tenantOf(ctx: PlanContext) {
  return { kind: 'tenant', id: ctx.collection.tenantId ?? 'tenant', name: ctx.collection.domains[0] ?? null };
}

/**
 * Conditional access names users by object id: the excluded accounts (the remediating one, break-glass) as ids,
 * whether the exclusion gave an id or a user principal name.
 */
function excludedUserIds(ctx: PlanContext): string[] {
  return ctx.collection.objects('user').filter((u) => ctx.isExcludedAccount(u.objectId) || ctx.isExcludedAccount(u.displayName)).map((u) => u.objectId).sort();
}

/** The proof: a new collection, which shows whether the findings on the attacker's objects are gone. */
function recollect(ctx: PlanContext): DraftStep[] {
  const standing = ctx.findings.filter(isStrong);
  if (standing.length === 0) return [];
  const tenant = tenantOf(ctx);
  return [{
    id: `case.recollect:${tenant.id}`,
    phase: 'verify',
    action: 'case.recollect',
    title: 'Collect again and check that the findings on the attacker\'s objects are gone',
    text: { key: 'case.recollect', params: { count: standing.length } },
    why: `${standing.length} high or critical findings stand on the last collection. A step is verified by the tenant's answer; the checklist is complete when a new collection no longer shows them, and anything the attacker re-created meanwhile shows there.`,
    findingKeys: keysOf(standing),
    target: tenant,
    items: [],
    needs: { graphScopes: [], exchangeRoles: [], directoryRoles: [] },
    risk: 'low',
    destructive: false,
    after: [],
    source: sourceOf(ctx.runId, null),
  }];
}

/**
 * MFA for administrators: security defaults when no conditional-access policy is enabled (the two cannot be used
 * together: https://learn.microsoft.com/entra/fundamentals/security-defaults), else a policy created report-only and
 * then enforced as its own step.
 */
function adminMfa(ctx: PlanContext): DraftStep[] {
  const gap = ctx.findingsOf('posture.mfa-not-enforced');
  if (gap.length === 0) return [];
  const why = [...gap, ...ctx.findingsOf('identity.privileged-no-mfa').filter(isStrong)];
  const tenant = tenantOf(ctx);
  const defaults = ctx.collection.objects('securityDefaults')[0] ?? null;
  const enabled = ctx.collection.objects('conditionalAccessPolicy').filter((p) => p.raw.state === 'enabled');
  if (enabled.length === 0 && defaults) {
    const path = '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy';
    return [{
      id: `tenant.security-defaults:${tenant.id}`,
      phase: 'harden',
      action: 'tenant.security-defaults',
      title: 'Turn on security defaults (MFA for every administrator, legacy authentication blocked)',
      text: { key: 'tenant.security-defaults', params: {} },
      why: `${gap.map((f) => f.reason).join(' ')} No conditional-access policy is enabled, so security defaults are the way to require MFA.`,
      findingKeys: keysOf(why),
      target: { kind: 'securityDefaults', id: defaults.objectId, name: 'Security defaults' },
      items: [item({
        key: defaults.objectId,
        target: { kind: 'securityDefaults', id: defaults.objectId, name: 'Security defaults' },
        read: graph('GET', path),
        plannedOn: { isEnabled: defaults.raw.isEnabled ?? false },
        writes: [graph('PATCH', path, { isEnabled: true })],
        expect: { equals: { isEnabled: true } },
        undo: { text: 'Turn security defaults off again.', requests: [graph('PATCH', path, { isEnabled: false })] },
      })],
      // https://learn.microsoft.com/graph/api/identitysecuritydefaultsenforcementpolicy-update
      needs: { graphScopes: ['Policy.ReadWrite.SecurityDefaults'], exchangeRoles: [], directoryRoles: ['Security Administrator'] },
      risk: 'high',
      destructive: false,
      after: [],
      source: sourceOf(ctx.runId, defaults),
    }];
  }
  // Roles the taken administrators hold are covered even where the template leaves them out.
  const assignments = new Map(ctx.collection.objects('roleAssignment').map((a) => [lower(a.objectId), a]));
  const held = why.flatMap((f) => f.objects.filter((o) => o.kind === 'roleAssignment')).map((o) => lower(assignments.get(lower(o.id))?.resourceId)).filter((r) => r !== '' && isPrivilegedRole(r));
  const roles = [...new Set([...ADMIN_ROLE_TEMPLATES, ...held])].sort();
  const excluded = excludedUserIds(ctx);
  const reportOnlyId = `ca.admin-mfa-report-only:${tenant.id}`;
  const body = reportOnlyPolicy(ADMIN_MFA_POLICY, 'mfa', { users: { includeRoles: roles, excludeUsers: excluded } });
  const exclusionText = excluded.length > 0 ? ` ${excluded.length} account(s) marked never to touch (the remediating account, break-glass) are excluded so nobody is locked out.` : ' No account is excluded: mark the break-glass accounts before running it.';
  return [
    {
      id: reportOnlyId,
      phase: 'harden',
      action: 'ca.admin-mfa-report-only',
      title: `Create the conditional-access policy "${ADMIN_MFA_POLICY}" in report-only mode`,
      text: { key: 'ca.admin-mfa-report-only', params: { policy: ADMIN_MFA_POLICY, excluded: excluded.length } },
      why: `${gap.map((f) => f.reason).join(' ')} ${enabled.length} conditional-access ${enabled.length === 1 ? 'policy is' : 'policies are'} enabled, so security defaults cannot be used. Report-only first shows who it would stop before it stops anyone.${exclusionText}`,
      findingKeys: keysOf(why),
      target: tenant,
      items: [createPolicyItem(ADMIN_MFA_POLICY, body)],
      // https://learn.microsoft.com/graph/api/conditionalaccessroot-post-policies
      needs: CA_NEEDS,
      risk: 'low',
      destructive: false,
      after: [],
      source: sourceOf(ctx.runId, defaults),
    },
    enforceStep(ctx, {
      id: `ca.admin-mfa-enforce:${tenant.id}`, action: 'ca.admin-mfa-enforce', policy: ADMIN_MFA_POLICY, reportOnly: reportOnlyId, findings: why, risk: 'high',
      title: `Enforce the conditional-access policy "${ADMIN_MFA_POLICY}"`,
      text: { key: 'ca.admin-mfa-enforce', params: { policy: ADMIN_MFA_POLICY, excluded: excluded.length } },
      why: `Once the report-only results show no one who must not be stopped, the policy is switched on: administrators then need MFA to sign in.${exclusionText}`,
    }),
  ];
}

/** The addresses the attacker signed in (or tried to) from, as CIDR ranges: one /32 or /128 each. */
function attackerRanges(findings: readonly Finding[]): { cidr: string; v6: boolean }[] {
  const ips = [...new Set(findings.flatMap((f) => f.iocs.filter((i) => i.type === 'ip').map((i) => i.value.trim())))].filter((ip) => isIP(ip) !== 0).sort();
  return ips.map((ip) => (isIP(ip) === 6 ? { cidr: `${ip}/128`, v6: true } : { cidr: `${ip}/32`, v6: false }));
}

/**
 * The attacker's addresses as an IP named location (https://learn.microsoft.com/graph/api/conditionalaccessroot-post-namedlocations)
 * and a policy blocking sign-ins from it, report-only first, then enforced as its own step.
 */
function blockAddresses(ctx: PlanContext): DraftStep[] {
  const why = [...ctx.findingsOf('signin.credential-stuffing', 'signin.password-spray'), ...ctx.findingsOf('identity.auth-method-added').filter(isStrong)];
  const ranges = attackerRanges(why);
  if (ranges.length === 0) return [];
  const tenant = tenantOf(ctx);
  const stepId = `ca.block-attacker-addresses:${tenant.id}`;
  const excluded = excludedUserIds(ctx);
  const location = {
    '@odata.type': '#microsoft.graph.ipNamedLocation',
    displayName: BLOCK_LOCATION,
    isTrusted: false,
    ipRanges: ranges.map((r) => ({ '@odata.type': r.v6 ? '#microsoft.graph.iPv6CidrRange' : '#microsoft.graph.iPv4CidrRange', cidrAddress: r.cidr })),
  };
  const policy = reportOnlyPolicy(BLOCK_POLICY, 'block', {
    users: { includeUsers: ['All'], excludeUsers: excluded },
    locations: { includeLocations: [ref(stepId, 'location')] },
  });
  const list = ranges.map((r) => r.cidr).join(', ');
  // The steps are about the addresses the findings name (their subject), so the engine's standing-finding check holds.
  const target = { kind: 'ip', id: ranges[0]!.cidr.replace(/\/\d+$/, ''), name: list };
  return [
    {
      id: stepId,
      phase: 'harden',
      action: 'ca.block-attacker-addresses',
      title: `Block sign-ins from the attacker's addresses (${list}), report-only first`,
      text: { key: 'ca.block-attacker-addresses', params: { ranges: list } },
      why: `${[...new Set(why.map((f) => f.reason))].join(' ')} A named location with these addresses and a policy blocking it stop the same source from trying again.`,
      findingKeys: keysOf(why),
      target,
      items: [
        item({
          key: 'location',
          target: { kind: 'namedLocation', id: BLOCK_LOCATION, name: BLOCK_LOCATION },
          read: byName(LOCATIONS, BLOCK_LOCATION),
          plannedOn: { value: [] },
          writes: [graph('POST', LOCATIONS, location)],
          expect: { equals: { 'value.0.displayName': BLOCK_LOCATION } },
          undo: { text: 'Delete the named location (after the policy that uses it).', powershell: [`Get-MgIdentityConditionalAccessNamedLocation -Filter "displayName eq '${BLOCK_LOCATION}'" | ForEach-Object { Remove-MgIdentityConditionalAccessNamedLocation -NamedLocationId $_.Id }`] },
        }),
        createPolicyItem(BLOCK_POLICY, policy),
      ],
      needs: CA_NEEDS,
      risk: 'low',
      destructive: false,
      after: [],
      source: sourceOf(ctx.runId, null),
    },
    enforceStep(ctx, {
      id: `ca.block-attacker-addresses:${tenant.id}:enforce`, action: 'ca.block-attacker-addresses', policy: BLOCK_POLICY, reportOnly: stepId, findings: why, risk: 'medium', target,
      title: `Enforce the block on the attacker's addresses (${list})`,
      text: { key: 'ca.block-attacker-addresses.enforce', params: { ranges: list } },
      why: 'Once the report-only results show only the attacker\'s sign-ins would be stopped, the block is switched on.',
    }),
  ];
}

/** A conditional-access policy for every app and client, report-only, granting access with MFA or blocking it. */
function reportOnlyPolicy(displayName: string, control: 'mfa' | 'block', conditions: Record<string, unknown>): Record<string, unknown> {
  return {
    displayName,
    state: REPORT_ONLY,
    conditions: { clientAppTypes: ['all'], applications: { includeApplications: ['All'] }, ...conditions },
    grantControls: { operator: 'OR', builtInControls: [control] },
  };
}

/** A policy this plan creates in report-only mode: found by its name before (none) and after (report-only). */
function createPolicyItem(name: string, body: Record<string, unknown>): StepItem {
  return item({
    key: 'policy',
    target: { kind: 'conditionalAccessPolicy', id: name, name },
    read: byName(POLICIES, name),
    plannedOn: { value: [] },
    writes: [graph('POST', POLICIES, body)],
    expect: { equals: { 'value.0.state': REPORT_ONLY } },
    undo: { text: 'Delete the policy.', powershell: [`Get-MgIdentityConditionalAccessPolicy -Filter "displayName eq '${name}'" | ForEach-Object { Remove-MgIdentityConditionalAccessPolicy -ConditionalAccessPolicyId $_.Id }`] },
  });
}

/**
 * Switching a report-only policy on, as a step of its own after the one that created it; the policy's id is the one
 * that step recorded (https://learn.microsoft.com/graph/api/conditionalaccesspolicy-update).
 */
function enforceStep(ctx: PlanContext, spec: { id: string; action: ActionKind; title: string; why: string; text: NonNullable<DraftStep['text']>; policy: string; reportOnly: string; findings: Finding[]; risk: Risk; target?: DraftStep['target'] }): DraftStep {
  const path = `${POLICIES}/${ref(spec.reportOnly, 'policy')}`;
  return {
    id: spec.id,
    phase: 'harden',
    action: spec.action,
    title: spec.title,
    why: spec.why,
    text: spec.text,
    findingKeys: keysOf(spec.findings),
    target: spec.target ?? tenantOf(ctx),
    items: [item({
      key: 'policy',
      target: { kind: 'conditionalAccessPolicy', id: spec.policy, name: spec.policy },
      // Found by name: the read runs before anything is resolved, the write names the id the creating step recorded.
      read: byName(POLICIES, spec.policy),
      plannedOn: { 'value.0.state': REPORT_ONLY },
      writes: [graph('PATCH', path, { state: 'enabled' })],
      expect: { equals: { 'value.0.state': 'enabled' } },
      undo: { text: 'Put the policy back in report-only mode.', requests: [graph('PATCH', path, { state: REPORT_ONLY })] },
    })],
    needs: CA_NEEDS,
    risk: spec.risk,
    destructive: false,
    after: [spec.reportOnly],
    source: sourceOf(ctx.runId, null),
  };
}

/**
 * Unified Audit Log ingestion back on (https://learn.microsoft.com/powershell/module/exchange/set-adminauditlogconfig,
 * Audit Logs role: Exchange Administrator or Organization Management).
 */
function enableAudit(ctx: PlanContext): DraftStep[] {
  const why = ctx.findingsOf('audit.logging-disabled').filter(isStrong);
  if (why.length === 0) return [];
  const tenant = tenantOf(ctx);
  const exo = (cmdlet: string, parameters: Record<string, unknown>): RemediationRequest => ({ api: 'exchange', cmdlet, parameters });
  return [{
    id: `exo.enable-audit:${tenant.id}`,
    phase: 'harden',
    action: 'exo.enable-audit',
    title: 'Turn the Unified Audit Log back on',
    text: { key: 'exo.enable-audit', params: {} },
    why: `${why.map((f) => f.reason).join(' ')} With ingestion off, the attacker's next connector or rule leaves no record.`,
    findingKeys: keysOf(why),
    target: tenant,
    items: [item({
      key: 'AdminAuditLogConfig',
      target: { kind: 'adminAuditLogConfig', id: 'AdminAuditLogConfig', name: 'Admin audit log configuration' },
      read: exo('Get-AdminAuditLogConfig', {}),
      plannedOn: {},
      writes: [exo('Set-AdminAuditLogConfig', { UnifiedAuditLogIngestionEnabled: true })],
      expect: { equals: { UnifiedAuditLogIngestionEnabled: true } },
      undo: null,
    })],
    needs: { graphScopes: [], exchangeRoles: ['Audit Logs'], directoryRoles: ['Exchange Administrator'] },
    risk: 'low',
    destructive: false,
    after: [],
    source: sourceOf(ctx.runId, null),
  }];
}
