// Main process / CLI: a real tenant named by the examiner (its domain or id, its cloud, optionally a client id) made
// into the environment sign-ins use, with the client ids Settings names when none was given for this tenant.
import { cloudEnvironment, DEFAULT_GRAPH_CLIENT_ID, engagementApps, type CloudName, type TenantEnvironment } from './environment';

export interface TenantChoice {
  cloud: CloudName;
  /** The tenant's id (GUID) or a verified domain. */
  tenant: string;
  /** A collection client id given for this tenant (the CLI's --client-id, the Collect screen's field); wins over Settings. */
  clientId?: string | null;
  /** A remediation client id given for this tenant (remediate's --client-id); wins over Settings. */
  remediationClientId?: string | null;
}

/** The client ids Settings keeps (main/settings/store.ts); empty strings mean none set. */
export interface ClientSettings {
  collectionClientId: string;
  remediationClientId: string;
  engagementAppIds: readonly string[];
}

export type ClientIdSource = 'chosen' | 'settings' | 'default';

export interface ChosenEnvironment extends TenantEnvironment {
  /** Where the collection client id came from: given for this tenant, Settings, or Microsoft's public client. */
  clientIdFrom: ClientIdSource;
}

/**
 * The environment for a tenant the examiner named. Collection signs in with the client given for this tenant, else
 * Settings' collection client, else Microsoft Graph Command Line Tools; remediation with the one given, else Settings'
 * remediation client, else the collection client. The consultancy's own ids are recorded as the engagement's apps.
 */
export function chosenEnvironment(choice: TenantChoice, settings: ClientSettings): ChosenEnvironment {
  const given = choice.clientId?.trim() || '';
  const clientId = (given || settings.collectionClientId || DEFAULT_GRAPH_CLIENT_ID).toLowerCase();
  const clientIdFrom: ClientIdSource = given ? 'chosen' : settings.collectionClientId ? 'settings' : 'default';
  const remediation = (choice.remediationClientId?.trim() || settings.remediationClientId || '').toLowerCase();
  const env = cloudEnvironment(choice.cloud, choice.tenant.trim(), clientId);
  return {
    ...env,
    ...(remediation ? { remediationClientId: remediation } : {}),
    engagementAppIds: engagementApps([clientId, remediation, ...settings.engagementAppIds]),
    clientIdFrom,
  };
}
