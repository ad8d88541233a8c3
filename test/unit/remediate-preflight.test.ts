// Vitest (plain Node): the remediation preflight — each step's Graph scopes against the token's, its directory roles
// against the account's, and its Exchange management roles as far as the directory roles show them.
import { describe, expect, it } from 'vitest';
import type { PlannedStep } from '../../main/remediate/model';
import { EXCHANGE_ROLE_GROUPS, exchangeRoleText, remediationPreflight } from '../../main/remediate/sign-in';

function step(id: string, needs: PlannedStep['needs']): PlannedStep {
  return {
    id, phase: 'eradicate', order: 1, action: 'exo.remove-transport-rules', title: id, why: '', findingKeys: [], target: { kind: 'tenant', id: 't', name: null },
    items: [], needs, risk: 'medium', destructive: true, after: [], source: { runId: 'r', evidenceId: null, evidenceSha256: null },
  };
}

const rules = step('exo.remove-transport-rules:t', { graphScopes: [], exchangeRoles: ['Transport Rules'], directoryRoles: ['Exchange Administrator'] });
const audit = step('exo.enable-audit:t', { graphScopes: [], exchangeRoles: ['Audit Logs'], directoryRoles: ['Exchange Administrator'] });
const app = step('sp.disable:s', { graphScopes: ['Application.ReadWrite.All'], exchangeRoles: [], directoryRoles: ['Cloud Application Administrator'] });
const scopes = ['https://graph.microsoft.com/Application.ReadWrite.All'];

describe('remediationPreflight', () => {
  it('asks nothing more of a Global Administrator holding the scopes', () => {
    expect(remediationPreflight([rules, audit, app], scopes, ['Global Administrator'])).toEqual([
      { stepId: rules.id, missingScopes: [], missingRoles: [], missingExchangeRoles: [] },
      { stepId: audit.id, missingScopes: [], missingRoles: [], missingExchangeRoles: [] },
      { stepId: app.id, missingScopes: [], missingRoles: [], missingExchangeRoles: [] },
    ]);
  });

  it('an Exchange Administrator holds every Exchange role, not the app administrator role', () => {
    const rows = remediationPreflight([rules, app], [], ['Exchange Administrator']);
    expect(rows[0]).toEqual({ stepId: rules.id, missingScopes: [], missingRoles: [], missingExchangeRoles: [] });
    expect(rows[1]).toEqual({ stepId: app.id, missingScopes: ['Application.ReadWrite.All'], missingRoles: ['Cloud Application Administrator'], missingExchangeRoles: [] });
  });

  it('an account without an Exchange administrator role is told each Exchange role and the role groups holding it', () => {
    const [row] = remediationPreflight([rules], [], ['User Administrator']);
    expect(row!.missingExchangeRoles).toEqual(['Transport Rules']);
    expect(row!.missingRoles).toEqual(['Exchange Administrator']);
    expect(exchangeRoleText('Transport Rules')).toBe('Transport Rules (role group Organization Management or Records Management)');
    expect(exchangeRoleText('Audit Logs')).toBe('Audit Logs (role group Organization Management or Compliance Management)');
    expect(exchangeRoleText('Role Management')).toBe('Role Management (role group Organization Management)');
  });

  it('judges no role when the account\'s roles could not be read, and still the scopes', () => {
    expect(remediationPreflight([rules, app], [], null)).toEqual([
      { stepId: rules.id, missingScopes: [], missingRoles: [], missingExchangeRoles: [] },
      { stepId: app.id, missingScopes: ['Application.ReadWrite.All'], missingRoles: [], missingExchangeRoles: [] },
    ]);
  });

  it('lists the role groups of every Exchange role the mail, audit and Exchange RBAC steps name, Organization Management first', () => {
    expect(Object.keys(EXCHANGE_ROLE_GROUPS).sort()).toEqual(['Audit Logs', 'Mail Recipients', 'Remote and Accepted Domains', 'Role Management', 'Transport Rules']);
    for (const groups of Object.values(EXCHANGE_ROLE_GROUPS)) expect(groups[0]).toBe('Organization Management');
  });
});
