// Every cloud's endpoints and token audiences against Microsoft's documented values.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLOUDS, cloudEnvironment, isExchangeHost, loadEnvironmentFile, type CloudName } from '../../main/auth/environment';
import { CLOUD_CHOICES } from '../../preload/contract';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-clouds-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Entra and Graph: https://learn.microsoft.com/graph/deployments ("App registration and token service root endpoints",
 * "Microsoft Graph and Graph Explorer service root endpoints") and the environments Connect-MgGraph targets
 * (Global, USGov, USGovDoD, China: https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/get-mgenvironment).
 * GCC is served from the global endpoints: only GCC High, DoD and 21Vianet need -ExchangeEnvironmentName
 * (https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2), and Graph's US Government endpoint is
 * GCC High's. Exchange Online's admin API base and token audience per -ExchangeEnvironmentName (O365Default,
 * O365USGovGCCHigh, O365USGovDoD, O365China): https://learn.microsoft.com/powershell/module/exchange/connect-exchangeonline
 * (DoD's webmail.apps.mil is the PowerShell connection URI, not the API's host or audience).
 * Directory audits' cloud availability: https://learn.microsoft.com/graph/api/directoryaudit-list.
 */
const DOCUMENTED: Record<CloudName, { authority: string; graph: string; exchange: string; unifiedAuditLog: boolean; directoryAudits: boolean }> = {
  commercial: { authority: 'https://login.microsoftonline.com', graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com', unifiedAuditLog: true, directoryAudits: true },
  gcc: { authority: 'https://login.microsoftonline.com', graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com', unifiedAuditLog: true, directoryAudits: true },
  gcchigh: { authority: 'https://login.microsoftonline.us', graph: 'https://graph.microsoft.us', exchange: 'https://outlook.office365.us', unifiedAuditLog: true, directoryAudits: true },
  dod: { authority: 'https://login.microsoftonline.us', graph: 'https://dod-graph.microsoft.us', exchange: 'https://outlook-dod.office365.us', unifiedAuditLog: true, directoryAudits: true },
  china: { authority: 'https://login.chinacloudapi.cn', graph: 'https://microsoftgraph.chinacloudapi.cn', exchange: 'https://outlook.office365.cn', unifiedAuditLog: false, directoryAudits: false },
};

describe.each(Object.keys(DOCUMENTED) as CloudName[])('the %s cloud', (cloud) => {
  const doc = DOCUMENTED[cloud];
  const env = cloudEnvironment(cloud, 'contoso.onmicrosoft.com');

  it('signs in at its own authority and reads its own Graph, with that Graph as the token audience', () => {
    expect(env.authorityHost).toBe(doc.authority);
    expect(env.graphBaseUrl).toBe(doc.graph);
    expect(env.graphScopes).toEqual(['User.Read', 'Directory.Read.All', 'AuditLog.Read.All', 'Policy.Read.All'].map((p) => `${doc.graph}/${p}`));
  });

  it('reads the same URLs and scopes from an environment file naming the cloud', () => {
    const file = path.join(dir, `${cloud}.json`);
    fs.writeFileSync(file, JSON.stringify({ format: 'peregrine-environment/1', name: cloud, cloud, tenantId: 'contoso.onmicrosoft.com', authorityHost: doc.authority, graphBaseUrl: doc.graph, exchangeBaseUrl: doc.exchange, clientId: '14d82eec-204b-4c2f-b7e8-296a70dab67e' }));
    const fromFile = loadEnvironmentFile(file);
    expect(fromFile.graphScopes).toEqual(env.graphScopes);
    expect(fromFile.exchangeScopes).toEqual([`${doc.exchange}/.default`]);
    expect(fromFile.exchangeHosts).toEqual(env.exchangeHosts);
  });

  it('calls the Exchange admin API on its documented host, which is also the Exchange token audience', () => {
    expect(env.exchangeBaseUrl).toBe(doc.exchange);
    expect(env.exchangeScopes).toEqual([`${doc.exchange}/.default`]);
    expect(isExchangeHost(env.exchangeHosts, new URL(doc.exchange).hostname)).toBe(true);
  });

  it('says which logs the cloud serves', () => {
    expect(CLOUDS[cloud].unifiedAuditLog).toBe(doc.unifiedAuditLog);
    expect(CLOUDS[cloud].directoryAudits).toBe(doc.directoryAudits);
  });

  it('lets Exchange lead only to its own cloud\'s hosts', () => {
    const others = (Object.keys(DOCUMENTED) as CloudName[]).filter((c) => new URL(DOCUMENTED[c].exchange).hostname !== new URL(doc.exchange).hostname && !(cloud === 'dod' && c === 'gcchigh') && !(cloud === 'gcchigh' && c === 'dod'));
    expect(others.length).toBeGreaterThanOrEqual(3);
    for (const other of others) expect(isExchangeHost(env.exchangeHosts, new URL(DOCUMENTED[other].exchange).hostname)).toBe(false);
    expect(isExchangeHost(env.exchangeHosts, 'webmail.apps.mil')).toBe(false);
    expect(isExchangeHost(env.exchangeHosts, 'evil.example')).toBe(false);
    expect(isExchangeHost(env.exchangeHosts, `evil${new URL(doc.exchange).hostname.replace(/^[^.]*/, '')}x`)).toBe(false);
    expect(isExchangeHost(env.exchangeHosts, `${new URL(doc.exchange).hostname}.evil.example`)).toBe(false);
  });
});

describe('the clouds offered', () => {
  it('are exactly the documented ones, in the Collect screen and the CLI alike', () => {
    expect(Object.keys(CLOUDS).sort()).toEqual(Object.keys(DOCUMENTED).sort());
    expect([...CLOUD_CHOICES].sort()).toEqual(Object.keys(DOCUMENTED).sort());
  });

  it('never send an Exchange token request to the DoD PowerShell connection URI', () => {
    for (const cloud of Object.keys(DOCUMENTED) as CloudName[]) {
      expect(cloudEnvironment(cloud, 'contoso.onmicrosoft.com').exchangeScopes.join(' ')).not.toMatch(/webmail\.apps\.mil/);
    }
  });
});
