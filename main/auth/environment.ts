// Main process / CLI: where a tenant lives — endpoint sets per cloud, or a simulator's environment file.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { graphScopesFor, namedGraphScopes } from './scopes';

/** Microsoft Graph Command Line Tools: the public client Microsoft's own modules use for delegated sign-in. */
export const DEFAULT_GRAPH_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
/** Exchange Online PowerShell (ExchangeOnlineManagement v3): the public client for the admin API. */
export const DEFAULT_EXCHANGE_CLIENT_ID = 'fb78d390-0c51-40cd-8e17-fdbfab77341b';

export interface TenantEnvironment {
  name: string;
  cloud: 'commercial' | 'gcchigh' | 'dod' | 'china' | 'simulator';
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
  /** Extra CA (PEM) to trust, for the simulator; never a switch that turns verification off. */
  caPem?: string;
  /** The simulator's own clock: its tenant's "now" (a fixed scenario date), so windows land where its history is. */
  simulator?: { deviceLoginUrl: string; groundTruthFile?: string; referenceTime?: string };
}

/** Exchange's resource id is the commercial host in DoD too (unconfirmed for DoD; commercial and GCC High are documented). */
export const CLOUDS = {
  commercial: { authorityHost: 'https://login.microsoftonline.com', graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com' },
  gcchigh: { authorityHost: 'https://login.microsoftonline.us', graph: 'https://graph.microsoft.us', exchange: 'https://outlook.office365.us' },
  dod: { authorityHost: 'https://login.microsoftonline.us', graph: 'https://dod-graph.microsoft.us', exchange: 'https://webmail.apps.mil' },
  china: { authorityHost: 'https://login.chinacloudapi.cn', graph: 'https://microsoftgraph.chinacloudapi.cn', exchange: 'https://partner.outlook.cn' },
} as const;

export type CloudName = keyof typeof CLOUDS;

const tenantPattern = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+)$/i;

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
    exchangeScopes: [`${c.exchange}/.default`],
  };
}

const httpsUrl = z.string().url().refine((u) => u.startsWith('https://'), 'must be an https:// URL');

const EnvironmentFile = z.object({
  format: z.literal('peregrine-environment/1'),
  name: z.string().min(1),
  cloud: z.enum(['commercial', 'gcchigh', 'dod', 'china', 'simulator']),
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
  simulator: z.object({ deviceLoginUrl: httpsUrl, groundTruthFile: z.string().optional(), referenceTime: z.string().datetime({ offset: true }).optional() }).passthrough().optional(),
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
    // The simulator serves Exchange at its own URL but issues tokens for the real resource id, as Entra does.
    exchangeClientId: e.exchangeClientId ?? DEFAULT_EXCHANGE_CLIENT_ID,
    exchangeScopes: e.exchangeScopes ?? ['https://outlook.office365.com/.default'],
    caPem,
    simulator: e.simulator
      ? {
          deviceLoginUrl: e.simulator.deviceLoginUrl,
          groundTruthFile: e.simulator.groundTruthFile ? path.resolve(dir, e.simulator.groundTruthFile) : undefined,
          referenceTime: e.simulator.referenceTime,
        }
      : undefined,
  };
}
