// Every cloud's endpoints and token audiences against Microsoft's documented values.
import { describe, expect, it } from 'vitest';
import { CLOUDS, cloudEnvironment, isExchangeHost, type CloudName } from '../../main/auth/environment';

/**
 * Entra and Graph: https://learn.microsoft.com/graph/deployments ("App registration and token service root endpoints",
 * "Microsoft Graph and Graph Explorer service root endpoints"). Exchange Online's admin API base and token audience per
 * -ExchangeEnvironmentName (O365Default, O365USGovGCCHigh, O365USGovDoD, O365China):
 * https://learn.microsoft.com/powershell/module/exchange/connect-exchangeonline and
 * https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2 (the resource each cloud's app asks for).
 * Directory audits' cloud availability: https://learn.microsoft.com/graph/api/directoryaudit-list.
 */
const DOCUMENTED: Record<CloudName, { authority: string; graph: string; exchange: string; unifiedAuditLog: boolean; directoryAudits: boolean }> = {
  commercial: { authority: 'https://login.microsoftonline.com', graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com', unifiedAuditLog: true, directoryAudits: true },
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
    expect(env.graphScopes.every((s) => s.startsWith(`${doc.graph}/`) || !s.includes('://'))).toBe(true);
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
    for (const other of others) expect(isExchangeHost(env.exchangeHosts, new URL(DOCUMENTED[other].exchange).hostname)).toBe(false);
    expect(isExchangeHost(env.exchangeHosts, 'webmail.apps.mil')).toBe(false);
    expect(isExchangeHost(env.exchangeHosts, 'evil.example')).toBe(false);
    expect(isExchangeHost(env.exchangeHosts, `evil${new URL(doc.exchange).hostname.replace(/^[^.]*/, '')}x`)).toBe(false);
    expect(isExchangeHost(env.exchangeHosts, `${new URL(doc.exchange).hostname}.evil.example`)).toBe(false);
  });
});
