// Test (Vitest, Node): Search-UnifiedAuditLog over LOGS' generated Unified Audit Log: the attack's ExchangeAdmin cycles are found, by the malicious app.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSimulator } from './server';
import { json, postForm, simRequest } from './https-client';
import { EXCHANGE_POWERSHELL_CLIENT_ID } from './wellknown';

const page = z.object({ '@odata.context': z.string(), value: z.array(z.looseObject({ Identity: z.string(), AuditData: z.string() })), '@odata.nextLink': z.string().optional() });

describe('Search-UnifiedAuditLog over the generated log store', () => {
  it('finds every ExchangeAdmin record of the attack\'s create/remove cycles, its audit exemption and its Exchange role, by the malicious app', async () => {
    const s = await startSimulator({ scenario: 'contoso', seed: 1, days: 120 });
    try {
      const code = z.object({ user_code: z.string(), device_code: z.string() }).parse(json(await postForm(`${s.url}/organizations/oauth2/v2.0/devicecode`, { client_id: EXCHANGE_POWERSHELL_CLIENT_ID, scope: 'https://outlook.office365.com/.default' }, s.caPem)));
      s.approve(code.user_code, 'admin@contoso.onmicrosoft.com');
      const tokenResponse = await postForm(`${s.url}/${s.tenantId}/oauth2/v2.0/token`, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: EXCHANGE_POWERSHELL_CLIENT_ID, device_code: code.device_code }, s.caPem);
      const t = z.object({ access_token: z.string() }).parse(json(tokenResponse)).access_token;
      const truth = s.groundTruth.exchange as { maliciousAuditRecordIds: string[] };
      const response = await simRequest(`${s.url}/adminapi/beta/${s.tenantId}/InvokeCommand`, {
        method: 'POST', ca: s.caPem, headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ CmdletInput: { CmdletName: 'Search-UnifiedAuditLog', Parameters: {
          StartDate: new Date(s.logs.fromMs).toISOString(), EndDate: new Date(s.logs.toMs).toISOString(), RecordType: 'ExchangeAdmin',
          Operations: 'New-InboundConnector,Remove-InboundConnector,New-TransportRule,Remove-TransportRule,Set-MailboxAuditBypassAssociation,New-ServicePrincipal,New-ManagementRoleAssignment,Remove-ManagementRoleAssignment,Remove-ServicePrincipal',
          UserIds: s.tenant.attack.maliciousServicePrincipalId, ResultSize: 5000,
        } } }),
      });
      expect(response.status, response.text.slice(0, 300)).toBe(200);
      const rows = page.parse(json(response)).value;
      expect(new Set(rows.map((r) => r.Identity))).toEqual(new Set(truth.maliciousAuditRecordIds));
      for (const r of rows) expect((JSON.parse(r.AuditData) as { AppId: string }).AppId).toBe(s.tenant.attack.maliciousAppId);
    } finally {
      await s.close();
    }
  });
});
