// Exchange admin API calls against the simulator as Exchange Online answers them: a tenant sent to its own host, next links without '@', slow searches, transient server exceptions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { loadEnvironmentFile, type TenantEnvironment } from '../../main/auth/environment';
import { createTenantSession, exchangeAudience } from '../../main/auth/device-code';
import { createHttpTransport, type HttpTransport } from '../../main/http/https';
import { readOnlyTransport } from '../../main/http/read-only';
import { createExchangeReaderFor, type ExchangeReaderDeps } from '../../main/exchange/reader';

let dir: string;
let sim: SimHandle;
let env: TenantEnvironment;
/** Graph's idle limit, scaled down from 60 s: the transport's default for a request that names none. */
const GRAPH_LIKE_MS = 150;
let transport: HttpTransport;
let token: () => Promise<string>;
let tenantId: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-exo-routing-'));
  sim = await startSimulator({ scenario: 'contoso', seed: 5, users: 200, days: 3, exchange: { tenantHost: true, bareNextLink: true, throttleLimit: 1_000_000 } });
  env = loadEnvironmentFile((await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile);
  transport = readOnlyTransport(createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test', timeoutMs: GRAPH_LIKE_MS }));
  const admin = sim.groundTruth.compromisedUser.userPrincipalName;
  const exo = createTenantSession(env, createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' }), () => new Date(), exchangeAudience(env));
  tenantId = (await exo.signInWithDeviceCode((p) => sim.approve(p.userCode, admin))).tenantId;
  token = () => exo.getAccessToken(env.exchangeScopes);
}, 60_000);

afterAll(async () => {
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const reader = (o: Partial<ExchangeReaderDeps> = {}) =>
  createExchangeReaderFor(env, { tenantId, transport, getToken: token, anchorMailbox: `UPN:${sim.groundTruth.compromisedUser.userPrincipalName}`, sleep: async () => undefined, ...o });

describe('the Exchange reader against the simulator', () => {
  it('follows the shared host\'s redirect to the tenant\'s own host and pages on with odata.nextLink', async () => {
    const window = sim.groundTruth.logs!.window;
    const rows: unknown[] = [];
    const urls = new Set<string>();
    for await (const page of reader().pages('Search-UnifiedAuditLog', { StartDate: new Date(window.from).toISOString(), EndDate: new Date(window.to).toISOString(), ResultSize: 5000 })) {
      rows.push(...page.value);
      urls.add(new URL(page.url).origin);
    }
    const expected = Math.min(5000, sim.logs.unifiedAudit.count(new Date(window.from).getTime(), new Date(window.to).getTime()));
    expect(expected).toBeGreaterThan(1000);
    expect(rows).toHaveLength(expected);
    expect([...urls]).toEqual([sim.exchange.tenantHostUrl]);
    expect(sim.exchange.tenantHostUrl).not.toBe(sim.url);
    expect(sim.requests.some((r) => r.status === 302 && r.path.includes('/InvokeCommand'))).toBe(true);
  });

  it('waits out a slow search within the Exchange limit, where Graph\'s limit would give up', async () => {
    sim.faults.set({ rules: [{ kind: 'slow', path: '/adminapi', delayMs: 3 * GRAPH_LIKE_MS, count: 2 }] });
    await expect(reader({ timeoutMs: GRAPH_LIKE_MS, maxRetries: 0 }).page('Get-TransportRule', {})).rejects.toMatchObject({ causeCode: 'ETIMEDOUT' });
    // The Exchange limit scaled down the same way (16 minutes to 60 s): the slow answer arrives within it.
    const page = await reader({ timeoutMs: 16 * GRAPH_LIKE_MS, maxRetries: 0 }).page('Get-TransportRule', {});
    expect(page.value).toHaveLength(sim.groundTruth.exchange!.counts.transportRules);
    sim.faults.clear();
  });

  it('retries Exchange\'s transient server exceptions until the cmdlet runs', async () => {
    sim.faults.set({ rules: [
      { kind: 'exchange-transient', path: '/adminapi', count: 1 },
      { kind: 'exchange-transient', path: '/adminapi', count: 1, exception: 'Microsoft.Exchange.Data.Storage.StorageTransientException' },
    ] });
    const page = await reader().page('Get-InboundConnector', {});
    expect(page.value).toHaveLength(sim.groundTruth.exchange!.counts.inboundConnectors);
    expect(sim.faults.hits.filter((h) => h.kind === 'exchange-transient')).toHaveLength(2);
    sim.faults.clear();
  });

  it('records a warning the service puts in a 200', async () => {
    sim.faults.set({ rules: [{ kind: 'adminapi-warning', path: '/adminapi' }] });
    const page = await reader().page('Get-TransportRule', {});
    expect(page.warnings).toEqual([expect.stringMatching(/more results available/)]);
    sim.faults.clear();
  });
});
