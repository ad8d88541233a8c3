// CLI: which tenant a command signs in to — an environment file (`--env`, the simulator's), or a real tenant named with
// `--tenant` and `--cloud`, signing in with `--client-id`, else the client Settings names, else Microsoft's public client.
import { CLOUD_NAMES, loadEnvironmentFile, type CloudName, type TenantEnvironment } from '../auth/environment';
import { chosenEnvironment } from '../auth/tenant-choice';
import { loadSettings } from '../settings/store';

export interface TenantFlags {
  env?: string | boolean;
  tenant?: string | boolean;
  cloud?: string | boolean;
  'client-id'?: string | boolean;
}

/** The usage line every command that signs in shares. */
export const TENANT_FLAGS_USAGE = `--env <environment file> | --tenant <domain|id> [--cloud ${CLOUD_NAMES.join('|')}] [--client-id <id>]`;

/**
 * The environment a command signs in to. `role` says which client `--client-id` names: the collection's, or the
 * remediation's (which Settings keeps apart). Settings are read from `home`; a file that cannot be read is an error
 * naming it, never a silent fall-back to another client.
 */
export function environmentFromFlags(values: TenantFlags, opts: { home: string; role: 'collection' | 'remediation'; usage: (message: string) => Error }): TenantEnvironment {
  const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  const envFile = str(values.env);
  const tenant = str(values.tenant);
  const cloud = str(values.cloud);
  const clientId = str(values['client-id']);
  if (envFile !== undefined && tenant !== undefined) throw opts.usage('Give --env <environment file> or --tenant <domain|id>, not both.');
  if (envFile !== undefined) {
    if (cloud !== undefined) throw opts.usage('--cloud goes with --tenant: an environment file names its own cloud.');
    return loadEnvironmentFile(envFile);
  }
  if (tenant === undefined) throw opts.usage(`Name the tenant: ${TENANT_FLAGS_USAGE}.`);
  const name = cloud ?? 'commercial';
  if (!(CLOUD_NAMES as string[]).includes(name)) throw opts.usage(`--cloud must be one of ${CLOUD_NAMES.join(', ')}, not "${name}".`);
  if (clientId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(clientId.trim())) {
    throw opts.usage(`--client-id must be an app registration's application (client) id, a GUID, not "${clientId}".`);
  }
  const settings = loadSettings(opts.home);
  return chosenEnvironment(
    { cloud: name as CloudName, tenant, ...(opts.role === 'collection' ? { clientId } : { remediationClientId: clientId }) },
    settings,
  );
}
