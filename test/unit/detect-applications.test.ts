// The first application detections: patterns, never example strings; the long-standing backup product stays quiet.
import { describe, expect, it } from 'vitest';
import { domainLabels, flagApplication, EXCHANGE_MANAGE_AS_APP_ROLE_ID, EXCHANGE_ONLINE_APP_ID } from '../../main/detect/applications';

const manageAsApp = [{ resourceAppId: EXCHANGE_ONLINE_APP_ID, resourceAccess: [{ id: EXCHANGE_MANAGE_AS_APP_ROLE_ID, type: 'Role' }] }];
const tenant = { domainLabels: domainLabels([{ name: 'Northwind.onmicrosoft.com' }, { name: 'northwind-traders.com' }]), collectedAt: '2026-06-01T00:00:00Z' };

describe('flagApplication', () => {
  it('derives labels from every verified domain', () => {
    expect(tenant.domainLabels).toEqual(['northwind', 'northwind-traders']);
  });

  it.each(['northwind_abc', 'Northwind_XQZ', 'northwind-traders_qqq'])('flags %s as the tenant label plus three letters', (displayName) => {
    const flags = flagApplication({ displayName, signInAudience: 'AzureADMyOrg', createdAt: '2026-05-01T00:00:00Z', requiredResourceAccess: [] }, tenant);
    expect(flags.map((f) => [f.ruleId, f.severity])).toEqual([['oauth-app.tenant-label-name', 'high']]);
    expect(flags[0]!.reason).toContain(displayName);
  });

  it.each(['northwind_ab', 'northwind_abcd', 'northwind_a1c', 'contoso_abc', 'xnorthwind_abc', 'northwind abc'])('does not flag %s by name', (displayName) => {
    const flags = flagApplication({ displayName, signInAudience: 'AzureADMyOrg', createdAt: '2026-05-01T00:00:00Z', requiredResourceAccess: [] }, tenant);
    expect(flags).toEqual([]);
  });

  it('rates an app holding Exchange.ManageAsApp medium, and says how old it is', () => {
    const flags = flagApplication({ displayName: 'Mail sync', signInAudience: 'AzureADMyOrg', createdAt: '2026-05-22T00:00:00Z', requiredResourceAccess: manageAsApp }, tenant);
    expect(flags.map((f) => f.severity)).toEqual(['medium']);
    expect(flags[0]!.reason).toMatch(/single-tenant .* registered 10 days before collection/);
  });

  it('rates the campaign name plus Exchange.ManageAsApp critical, however old the app is', () => {
    const flags = flagApplication({ displayName: 'northwind_kqz', signInAudience: 'AzureADMyOrg', createdAt: '2024-01-01T00:00:00Z', requiredResourceAccess: manageAsApp }, tenant);
    expect(flags.map((f) => [f.ruleId, f.severity])).toEqual([
      ['oauth-app.tenant-label-name', 'high'],
      ['oauth-app.exchange-manage-as-app', 'critical'],
    ]);
  });

  it('keeps a long-standing backup product holding Exchange.ManageAsApp low', () => {
    const flags = flagApplication({ displayName: 'Backup for Microsoft 365', signInAudience: 'AzureADMultipleOrgs', createdAt: '2024-02-01T00:00:00Z', requiredResourceAccess: manageAsApp }, tenant);
    expect(flags.map((f) => f.severity)).toEqual(['low']);
  });

  it('ignores delegated permissions with the same id and other resources', () => {
    const flags = flagApplication(
      {
        displayName: 'x',
        signInAudience: null,
        createdAt: '2026-05-22T00:00:00Z',
        requiredResourceAccess: [
          { resourceAppId: EXCHANGE_ONLINE_APP_ID, resourceAccess: [{ id: EXCHANGE_MANAGE_AS_APP_ROLE_ID, type: 'Scope' }] },
          { resourceAppId: '00000003-0000-0000-c000-000000000000', resourceAccess: [{ id: EXCHANGE_MANAGE_AS_APP_ROLE_ID, type: 'Role' }] },
        ],
      },
      tenant,
    );
    expect(flags).toEqual([]);
  });
});
