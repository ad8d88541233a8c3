// Main process: the tenant sign-ins go to, as the renderer sees it (no secrets, no paths): for app.info and the Collect screen's tenant picker.
import type { EnvironmentSummary, TenantView } from '../../../preload/contract';
import type { WorkbenchContext } from './context';

/** The current environment, or null; a Settings file that cannot be read is the caller's error to show. */
export function environmentSummary(ctx: WorkbenchContext): EnvironmentSummary | null {
  const env = ctx.environment();
  if (!env) return null;
  const chosen = 'source' in env && env.source === 'chosen';
  return {
    name: env.name,
    cloud: env.cloud,
    tenantId: env.tenant,
    authority: `${env.authorityHost}/${env.tenant}`,
    graphBaseUrl: env.graphBaseUrl,
    exchangeBaseUrl: env.exchangeBaseUrl,
    clientId: env.clientId,
    clientIdFrom: chosen ? env.clientIdFrom : 'file',
    remediationClientId: env.remediationClientId ?? env.clientId,
    simulator: env.cloud === 'simulator',
    chosen,
  };
}

export function tenantView(ctx: WorkbenchContext): TenantView {
  return { environment: environmentSummary(ctx), fileEnvironment: ctx.deps.environment?.name ?? null };
}
