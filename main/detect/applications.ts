// Main process / CLI: the first detections over collected applications; each flag says why in the consultant's words.
import type { AppFlag } from '../../preload/contract';

/** Office 365 Exchange Online and its legacy app role that lets an app run Exchange PowerShell as itself. */
export const EXCHANGE_ONLINE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
export const EXCHANGE_MANAGE_AS_APP_ROLE_ID = 'dc50a0fb-09a3-484d-be87-e023b12c6440';

/** A multi-tenant app holding Exchange.ManageAsApp for this long looks like an installed product, not a fresh foothold. */
const LONG_STANDING_DAYS = 180;

export interface ApplicationFacts {
  displayName: string;
  signInAudience: string | null;
  createdAt: string | null;
  requiredResourceAccess: { resourceAppId: string; resourceAccess: { id: string; type: string }[] }[];
}

export interface TenantFacts {
  /** First labels of the tenant's verified domains: `contoso` for contoso.onmicrosoft.com and contoso.com. */
  domainLabels: string[];
  /** When the evidence was collected: ages are measured from here, not from the examiner's clock. */
  collectedAt: string;
}

export function domainLabels(verifiedDomains: { name: string }[]): string[] {
  const labels = verifiedDomains.map((d) => d.name.toLowerCase().split('.')[0] ?? '').filter((l) => l.length > 0);
  return [...new Set(labels)];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function flagApplication(app: ApplicationFacts, tenant: TenantFacts): AppFlag[] {
  const flags: AppFlag[] = [];
  const name = app.displayName.trim();

  const label = tenant.domainLabels.find((l) => new RegExp(`^${escapeRegExp(l)}_[a-z]{3}$`, 'i').test(name));
  if (label) {
    flags.push({
      ruleId: 'oauth-app.tenant-label-name',
      severity: 'high',
      title: 'App named after the tenant plus three letters',
      reason: `"${name}" is the tenant's domain label "${label}" followed by "_" and three letters, the naming pattern the OAuth spam campaign's script gave the app it registered in every tenant.${app.signInAudience === 'AzureADMyOrg' ? ' It is single-tenant, as that app was.' : ''}`,
      attack: 'T1098.003',
    });
  }

  const holdsManageAsApp = app.requiredResourceAccess.some(
    (r) => r.resourceAppId === EXCHANGE_ONLINE_APP_ID && r.resourceAccess.some((a) => a.id === EXCHANGE_MANAGE_AS_APP_ROLE_ID && a.type === 'Role'),
  );
  if (holdsManageAsApp) {
    const ageDays = app.createdAt ? Math.floor((Date.parse(tenant.collectedAt) - Date.parse(app.createdAt)) / 86_400_000) : null;
    const singleTenant = app.signInAudience === 'AzureADMyOrg';
    // Backup and archiving products are multi-tenant and long-standing; the campaign's app was single-tenant and could sit dormant for months.
    const longStandingProduct = !singleTenant && ageDays !== null && ageDays >= LONG_STANDING_DAYS;
    const registered = ageDays === null ? 'its registration date is unknown' : `it was registered ${ageDays} days before collection`;
    flags.push({
      ruleId: 'oauth-app.exchange-manage-as-app',
      severity: label ? 'critical' : longStandingProduct ? 'low' : 'medium',
      title: 'App requests Exchange.ManageAsApp',
      reason: label
        ? `Named like the campaign's app and requests Exchange.ManageAsApp on Office 365 Exchange Online, which lets it run Exchange Online PowerShell as itself (inbound connectors, transport rules) with no user present; ${registered}.`
        : longStandingProduct
          ? `Requests Exchange.ManageAsApp; it is multi-tenant and ${registered}, as backup and archiving products are. Confirm it is a product the client knows.`
          : `Requests Exchange.ManageAsApp, which lets it run Exchange Online PowerShell as itself with no user present; it is ${singleTenant ? 'single-tenant (registered in this tenant)' : 'multi-tenant'} and ${registered}. Confirm who registered it and why.`,
      attack: 'T1098.003',
    });
  }
  return flags;
}
