// Main process / CLI: where a tenant lives — endpoint sets per cloud, or a simulator's environment file.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { graphScopesFor, namedGraphScopes } from './scopes';
import { TENANT_PATTERN } from '../../preload/contract';

/** Microsoft Graph Command Line Tools: the public client Microsoft's own modules use for delegated sign-in. */
export const DEFAULT_GRAPH_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
/** Exchange Online PowerShell (ExchangeOnlineManagement v3): the public client for the admin API. */
export const DEFAULT_EXCHANGE_CLIENT_ID = 'fb78d390-0c51-40cd-8e17-fdbfab77341b';

export interface TenantEnvironment {
  name: string;
  cloud: CloudName | 'simulator';
  /** Tenant id (GUID) or a verified domain. */
  tenant: string;
  authorityHost: string;
  graphBaseUrl: string;
  exchangeBaseUrl: string;
  clientId: string;
  graphScopes: string[];
  /** Exchange Online PowerShell's public client and resource: Exchange needs its own token. */
  exchangeClientId: string;
  exchangeScopes: string[];
  /** Host names Exchange may redirect to or link the next page on (the base URL's host among them). */
  exchangeHosts: string[];
  /**
   * App ids of the apps the engagement itself uses in this tenant (its collection and remediation registrations,
   * its app-only engagement app): detection shows them as ours, rated info, outside the storyline and indicators.
   * Microsoft's shared public clients are never listed: an attacker can sign in with them too.
   */
  engagementAppIds: string[];
  /** Extra CA (PEM) to trust, for the simulator; never a switch that turns verification off. */
  caPem?: string;
  /**
   * The public client remediation signs in with (write scopes, consented for the engagement): the file's
   * `remediationClientId` (a simulator's is under `simulator`). Absent: remediation uses `clientId`.
   */
  remediationClientId?: string;
  /** The simulator's own clock: its tenant's "now" (a fixed scenario date), so windows land where its history is. */
  simulator?: { deviceLoginUrl: string; groundTruthFile?: string; referenceTime?: string };
}

/**
 * Endpoints per cloud, as Microsoft documents them:
 * - Entra (login) and Graph: https://learn.microsoft.com/graph/deployments, and the environments Connect-MgGraph knows
 *   (Global, USGov, USGovDoD, China: https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/get-mgenvironment).
 *   Microsoft 365 GCC is served from the global (commercial) endpoints: Graph's US Government L4 endpoint
 *   (graph.microsoft.us) is GCC High's, and Connect-ExchangeOnline needs -ExchangeEnvironmentName only for GCC High,
 *   DoD and 21Vianet (https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2).
 * - The Exchange admin API is served from the host that is also its token audience (ExchangeOnlineManagement's
 *   -ExchangeEnvironmentName table, https://learn.microsoft.com/powershell/module/exchange/connect-exchangeonline):
 *   DoD's `webmail.apps.mil` is only the PowerShell connection URI, never the API host nor the audience.
 * `exchangeHosts` are the host names an Exchange redirect or next-page link may lead to.
 * `unifiedAuditLog` / `directoryAudits`: whether the cloud serves them (Search-UnifiedAuditLog returns nothing in
 * 21Vianet; List directoryAudits is documented for global and US government clouds only:
 * https://learn.microsoft.com/graph/api/directoryaudit-list).
 */
export const CLOUDS = {
  commercial: {
    authorityHost: 'https://login.microsoftonline.com', graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com',
    exchangeHosts: ['outlook.office365.com', 'outlook.office.com', '*.outlook.com', '*.office365.com'], unifiedAuditLog: true, directoryAudits: true,
  },
  gcc: {
    authorityHost: 'https://login.microsoftonline.com', graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com',
    exchangeHosts: ['outlook.office365.com', 'outlook.office.com', '*.outlook.com', '*.office365.com'], unifiedAuditLog: true, directoryAudits: true,
  },
  gcchigh: {
    authorityHost: 'https://login.microsoftonline.us', graph: 'https://graph.microsoft.us', exchange: 'https://outlook.office365.us',
    exchangeHosts: ['outlook.office365.us', '*.office365.us'], unifiedAuditLog: true, directoryAudits: true,
  },
  dod: {
    authorityHost: 'https://login.microsoftonline.us', graph: 'https://dod-graph.microsoft.us', exchange: 'https://outlook-dod.office365.us',
    exchangeHosts: ['outlook-dod.office365.us', '*.office365.us'], unifiedAuditLog: true, directoryAudits: true,
  },
  china: {
    authorityHost: 'https://login.chinacloudapi.cn', graph: 'https://microsoftgraph.chinacloudapi.cn', exchange: 'https://outlook.office365.cn',
    exchangeHosts: ['outlook.office365.cn', '*.office365.cn', '*.partner.outlook.cn'], unifiedAuditLog: false, directoryAudits: false,
  },
} as const;

export type CloudName = keyof typeof CLOUDS;
export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[];

/** A cloud's Exchange Online token audience: its admin API host (never the PowerShell connection URI). */
export const exchangeScopesFor = (cloud: CloudName): string[] => [`${CLOUDS[cloud].exchange}/.default`];

/** What a cloud does not serve, said where it matters instead of reporting an empty log as complete. */
export const CLOUD_GAPS = {
  unifiedAuditLog: 'Search-UnifiedAuditLog returns nothing in Microsoft 365 operated by 21Vianet: the Unified Audit Log could not be read here, so an empty result says nothing about the tenant.',
  directoryAudits: 'Microsoft Graph documents directory audits (auditLogs/directoryAudits) for the global and US government clouds only, not for 21Vianet: an empty result here may not mean no audits.',
} as const;

/** Whether `host` is one of the cloud's Exchange hosts (`*.` matches any subdomain). */
export function isExchangeHost(patterns: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => (p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p));
}

const tenantPattern = TENANT_PATTERN;

export function cloudEnvironment(cloud: CloudName, tenant: string, clientId = DEFAULT_GRAPH_CLIENT_ID): TenantEnvironment {
  if (!tenantPattern.test(tenant)) {
    throw new Error(`"${tenant}" is not a tenant id or domain. Give the tenant's GUID or a verified domain such as contoso.onmicrosoft.com.`);
  }
  const c = CLOUDS[cloud];
  return {
    name: `${tenant} (${cloud})`,
    cloud,
    tenant,
    authorityHost: c.authorityHost,
    graphBaseUrl: c.graph,
    exchangeBaseUrl: c.exchange,
    clientId,
    graphScopes: graphScopesFor(c.graph),
    exchangeClientId: DEFAULT_EXCHANGE_CLIENT_ID,
    exchangeScopes: exchangeScopesFor(cloud),
    exchangeHosts: [...c.exchangeHosts],
    engagementAppIds: engagementApps([clientId]),
  };
}

/** The app ids a collection signed in as `account` records as the engagement's: the environment's, and the app-only app's own. */
export function engagementAppsFor(environment: TenantEnvironment, account: string): string[] {
  const appOnly = /^app:([0-9a-f-]{36})$/i.exec(account)?.[1];
  return engagementApps([...environment.engagementAppIds, appOnly]);
}

/** Microsoft's own public clients: anyone (an attacker too) signs in with them, so they are never "ours". */
const SHARED_PUBLIC_CLIENTS = new Set([DEFAULT_GRAPH_CLIENT_ID, DEFAULT_EXCHANGE_CLIENT_ID]);

/** The engagement's own app ids, lower case, unique and sorted, without Microsoft's shared public clients. */
export function engagementApps(ids: readonly (string | null | undefined)[]): string[] {
  const own = ids.filter((id): id is string => typeof id === 'string' && id.length > 0).map((id) => id.toLowerCase());
  return [...new Set(own)].filter((id) => !SHARED_PUBLIC_CLIENTS.has(id)).sort();
}

const httpsUrl = z.string().url().refine((u) => u.startsWith('https://'), 'must be an https:// URL');

const EnvironmentFile = z.object({
  format: z.literal('peregrine-environment/1'),
  name: z.string().min(1),
  cloud: z.enum(['commercial', 'gcc', 'gcchigh', 'dod', 'china', 'simulator']),
  tenantId: z.string().regex(tenantPattern, 'must be a tenant GUID or domain'),
  tenantDomain: z.string().optional(),
  authorityHost: httpsUrl,
  graphBaseUrl: httpsUrl,
  exchangeBaseUrl: httpsUrl,
  caCertFile: z.string().optional(),
  clientId: z.string().uuid(),
  /** Optional: the collection's named scopes on Microsoft Graph; a lone `.default` is read as those named scopes. */
  graphScopes: z.array(z.string().min(1)).min(1).optional(),
  exchangeClientId: z.string().uuid().optional(),
  exchangeScopes: z.array(z.string().min(1)).min(1).optional(),
  exchangeHosts: z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]+$/i, 'must be host names')).optional(),
  /** The consultancy's own app registrations in this tenant (collection, remediation), by app id. */
  engagementAppIds: z.array(z.string().uuid()).optional(),
  engagementApp: z.object({ clientId: z.string().uuid() }).passthrough().optional(),
  remediationClientId: z.string().uuid().optional(),
  simulator: z.object({ deviceLoginUrl: httpsUrl, remediationClientId: z.string().uuid().optional(), groundTruthFile: z.string().optional(), referenceTime: z.string().datetime({ offset: true }).optional() }).passthrough().optional(),
}).passthrough();

/** Reads an environment file (as `npm run sim` writes it). Errors name the file and the field. */
export function loadEnvironmentFile(file: string): TenantEnvironment {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read the environment file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Start the simulator with \`npm run sim\`, which writes one.`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`The environment file ${file} is not valid JSON: ${(err as Error).message}.`, { cause: err });
  }
  const parsed = EnvironmentFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`The environment file ${file} is invalid at "${issue.path.join('.') || '(root)'}": ${issue.message}.`);
  }
  const e = parsed.data;
  const dir = path.dirname(path.resolve(file));
  let caPem: string | undefined;
  if (e.caCertFile) {
    const caPath = path.resolve(dir, e.caCertFile);
    try {
      caPem = fs.readFileSync(caPath, 'utf8');
    } catch {
      throw new Error(`The environment file ${file} names the CA certificate ${caPath}, which cannot be read.`);
    }
    if (!caPem.includes('BEGIN CERTIFICATE')) throw new Error(`${caPath} (caCertFile in ${file}) is not a PEM certificate.`);
  }
  return {
    name: e.name,
    cloud: e.cloud,
    tenant: e.tenantId,
    authorityHost: e.authorityHost.replace(/\/+$/, ''),
    graphBaseUrl: e.graphBaseUrl.replace(/\/+$/, ''),
    exchangeBaseUrl: e.exchangeBaseUrl.replace(/\/+$/, ''),
    clientId: e.clientId,
    // The simulator issues tokens for Graph's real resource id, as Entra does; a national cloud for its own.
    graphScopes: namedGraphScopes(e.graphScopes ?? [`${e.cloud === 'simulator' ? CLOUDS.commercial.graph : CLOUDS[e.cloud].graph}/.default`]),
    // The simulator serves Exchange at its own URL but issues tokens for the real resource id, as Entra does; a
    // national cloud's file asks for its own cloud's Exchange audience, as its Graph scopes are its own Graph's.
    exchangeClientId: e.exchangeClientId ?? DEFAULT_EXCHANGE_CLIENT_ID,
    exchangeScopes: e.exchangeScopes ?? exchangeScopesFor(e.cloud === 'simulator' ? 'commercial' : e.cloud),
    // The simulator's Exchange may send a tenant to another of its hosts, as Exchange Online does.
    exchangeHosts: e.exchangeHosts ?? (e.cloud === 'simulator' ? [new URL(e.exchangeBaseUrl).hostname] : [...CLOUDS[e.cloud].exchangeHosts]),
    engagementAppIds: engagementApps([e.clientId, e.engagementApp?.clientId, e.simulator?.remediationClientId, ...(e.engagementAppIds ?? [])]),
    caPem,
    ...((e.remediationClientId ?? e.simulator?.remediationClientId) ? { remediationClientId: e.remediationClientId ?? e.simulator?.remediationClientId } : {}),
    simulator: e.simulator
      ? {
          deviceLoginUrl: e.simulator.deviceLoginUrl,
          groundTruthFile: e.simulator.groundTruthFile ? path.resolve(dir, e.simulator.groundTruthFile) : undefined,
          referenceTime: e.simulator.referenceTime,
        }
      : undefined,
  };
}
