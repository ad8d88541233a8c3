// Test support (Node): a small hand-made remediation plan — a bulk step of rules with hostile names, a password reset, a policy created report-only and then enforced, a new collection.
import type { PlannedStep, StepItem } from '../../main/remediate/model';
import type { ScriptInput } from '../../main/remediate/powershell';
import { psRequest } from '../../main/remediate/ps';
import { HOSTILE_NAMES } from './ps-lex';

export const TENANT = '71386dbc-bc4e-428a-8d77-edc375ab1697';
export const SHA = 'a'.repeat(64);

export function step(over: Partial<PlannedStep> & Pick<PlannedStep, 'id' | 'action' | 'items'>): PlannedStep {
  return {
    phase: 'eradicate', order: 1, title: `Do ${over.id}`, why: 'Because.', findingKeys: ['k'], target: { kind: 'tenant', id: TENANT, name: null },
    needs: { graphScopes: [], exchangeRoles: [], directoryRoles: ['Exchange Administrator'] }, risk: 'medium', destructive: true, after: [],
    source: { runId: 'r', evidenceId: null, evidenceSha256: null }, ...over,
  };
}

export function ruleItem(guid: string, name: string): StepItem {
  const write = { api: 'exchange' as const, cmdlet: 'Remove-TransportRule', parameters: { Identity: guid } };
  return {
    key: guid, target: { kind: 'transportRule', id: guid, name }, read: { api: 'exchange', cmdlet: 'Get-TransportRule', parameters: { Identity: guid } },
    plannedOn: { Name: name, State: 'Enabled' }, writes: [write], expect: { absent: true }, powershell: [psRequest(write)], undo: null,
  };
}

export const rules = step({ id: `exo.remove-transport-rules:${TENANT}`, action: 'exo.remove-transport-rules', order: 1, items: HOSTILE_NAMES.map((n, i) => ruleItem(`0000000${i}-0dbf-4bc4-a0c8-7ec1cb58ba9d`, n)) });
export const reset = step({
  id: 'user.reset-password:u1', action: 'user.reset-password', phase: 'recover', order: 2,
  needs: { graphScopes: ['User-PasswordProfile.ReadWrite.All'], exchangeRoles: [], directoryRoles: ['Privileged Authentication Administrator'] },
  items: [{
    key: 'u1', target: { kind: 'user', id: 'u1', name: "o'brien@contoso.com" }, read: { api: 'graph', method: 'GET', path: '/v1.0/users/u1?$select=id,lastPasswordChangeDateTime' },
    plannedOn: { accountEnabled: true },
    writes: [{ api: 'graph', method: 'PATCH', path: '/v1.0/users/u1', body: { passwordProfile: { forceChangePasswordNextSignIn: true, password: '{{secret:password}}' } } }],
    expect: { notBefore: { path: 'lastPasswordChangeDateTime' } }, powershell: [], undo: null,
  }],
});
export const reportOnly = step({
  id: `ca.admin-mfa-report-only:${TENANT}`, action: 'ca.admin-mfa-report-only', phase: 'harden', order: 3,
  needs: { graphScopes: ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'], exchangeRoles: [], directoryRoles: [] },
  items: [{
    key: 'policy', target: { kind: 'conditionalAccessPolicy', id: 'p', name: 'p' }, read: { api: 'graph', method: 'GET', path: "/v1.0/identity/conditionalAccess/policies?$filter=displayName%20eq%20'p'" },
    plannedOn: { value: [] }, writes: [{ api: 'graph', method: 'POST', path: '/v1.0/identity/conditionalAccess/policies', body: { displayName: 'p', state: 'enabledForReportingButNotEnforced' } }],
    expect: { equals: { 'value.0.state': 'enabledForReportingButNotEnforced' } }, powershell: [], undo: null,
  }],
});
const enforcePath = `/v1.0/identity/conditionalAccess/policies/{{ref:${reportOnly.id}/policy/id}}`;
export const enforce = step({
  id: `ca.admin-mfa-enforce:${TENANT}`, action: 'ca.admin-mfa-enforce', phase: 'harden', order: 4, after: [reportOnly.id], needs: reportOnly.needs,
  items: [{
    key: 'policy', target: { kind: 'conditionalAccessPolicy', id: 'p', name: 'p' }, read: { api: 'graph', method: 'GET', path: enforcePath },
    plannedOn: { state: 'enabledForReportingButNotEnforced' }, writes: [{ api: 'graph', method: 'PATCH', path: enforcePath, body: { state: 'enabled' } }],
    expect: { equals: { state: 'enabled' } }, powershell: [], undo: null,
  }],
});
export const recollect = step({ id: `case.recollect:${TENANT}`, action: 'case.recollect', phase: 'verify', order: 5, items: [] });
export const PLAN = [rules, reset, reportOnly, enforce, recollect];
export const INPUT: ScriptInput = { steps: PLAN, tenant: { id: TENANT, domain: 'contoso.onmicrosoft.com' }, caseName: "Contoso 'IR'", generatedAt: '2026-12-07T21:00:00.000Z' };
