// Test tooling (Node): tokens for simulator tests: the device code grant spoken by hand (approved through the handle) and client credentials.
import { z } from 'zod';
import { json, postForm, simRequest, type SimResponse } from '../https-client';
import type { SimHandle } from '../server';
import { GRAPH_CLI_CLIENT_ID } from '../wellknown';

const tokenResponse = z.object({ access_token: z.string(), refresh_token: z.string().optional(), scope: z.string().optional(), expires_in: z.number() });
const deviceCodeResponse = z.object({ user_code: z.string(), device_code: z.string() });

export type TokenResponse = z.infer<typeof tokenResponse>;

/** A delegated token for `upn` through `clientId` (default: Graph Command Line Tools, read-only consent). */
export async function delegatedToken(sim: SimHandle, scope: string, upn: string, clientId = GRAPH_CLI_CLIENT_ID): Promise<TokenResponse> {
  const code = deviceCodeResponse.parse(json(await postForm(`${sim.url}/organizations/oauth2/v2.0/devicecode`, { client_id: clientId, scope }, sim.caPem)));
  sim.approve(code.user_code, upn);
  const token = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: code.device_code,
  }, sim.caPem);
  if (token.status !== 200) throw new Error(`token: ${token.status} ${token.text}`);
  return tokenResponse.parse(json(token));
}

/** The engagement app's app-only Graph token (read-only application permissions). */
export async function appToken(sim: SimHandle): Promise<string> {
  const response = await postForm(`${sim.url}/${sim.tenantId}/oauth2/v2.0/token`, {
    grant_type: 'client_credentials', client_id: sim.environment.engagementApp.clientId,
    client_secret: sim.environment.engagementApp.clientSecret, scope: 'https://graph.microsoft.com/.default',
  }, sim.caPem);
  if (response.status !== 200) throw new Error(`token: ${response.status} ${response.text}`);
  return tokenResponse.parse(json(response)).access_token;
}

export function call(sim: SimHandle, method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<SimResponse> {
  return simRequest(`${sim.url}${path}`, {
    ca: sim.caPem, method,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

export const collection = z.object({ '@odata.context': z.string(), '@odata.nextLink': z.string().optional(), value: z.array(z.record(z.string(), z.unknown())) });

/** Follows @odata.nextLink to the end; returns every item. */
export async function getAll(sim: SimHandle, path: string, token: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let next: string | undefined = `${sim.url}${path}`;
  while (next) {
    const response = await simRequest(next, { ca: sim.caPem, headers: { Authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${next}: ${response.status} ${response.text}`);
    const page = collection.parse(json(response));
    items.push(...page.value);
    next = page['@odata.nextLink'];
  }
  return items;
}
