// The Exchange admin API reader: InvokeCommand envelope, paging by nextLink with the same body, errors in the module's shapes.
import { describe, expect, it } from 'vitest';
import { createExchangeReader, ExchangeError } from '../../main/exchange/reader';
import { readOnlyTransport } from '../../main/http/read-only';
import { json, scripted } from './support/scripted-transport';
import { HttpError, type HttpResponse } from '../../main/http/https';


const TENANT = '11111111-2222-3333-4444-555555555555';

describe('createExchangeReader', () => {
  it('posts the CmdletInput envelope with the routing headers and follows nextLink with the same body', async () => {
    const { transport, seen } = scripted([
      json(200, { '@odata.context': 'x', value: [{ Name: 'Test01' }], '@odata.nextLink': `https://outlook.test/adminapi/beta/${TENANT}/InvokeCommand?$skiptoken=2` }),
      json(200, { value: [{ Name: 'Test02' }] }),
    ]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport: readOnlyTransport(transport), getToken: async () => 'tok', anchorMailbox: 'UPN:admin@contoso.test' });
    const names: string[] = [];
    for await (const page of reader.pages('Get-TransportRule', { ResultSize: 'Unlimited' })) names.push(...page.value.map((v) => (v as { Name: string }).Name));
    expect(names).toEqual(['Test01', 'Test02']);
    expect(seen.map((r) => r.url)).toEqual([`https://outlook.test/adminapi/beta/${TENANT}/InvokeCommand`, `https://outlook.test/adminapi/beta/${TENANT}/InvokeCommand?$skiptoken=2`]);
    for (const r of seen) {
      expect(r.method).toBe('POST');
      expect(JSON.parse(String(r.body))).toEqual({ CmdletInput: { CmdletName: 'Get-TransportRule', Parameters: { ResultSize: 'Unlimited' } } });
      expect(r.headers).toMatchObject({ authorization: 'Bearer tok', 'x-anchormailbox': 'UPN:admin@contoso.test', prefer: 'odata.maxpagesize=1000', 'content-type': 'application/json' });
    }
  });

  it('refuses a write cmdlet before any network I/O', async () => {
    const { transport, seen } = scripted([]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b' });
    await expect(reader.page('Remove-InboundConnector', { Identity: 'Ran_abcde' })).rejects.toThrow(/not a read cmdlet/);
    expect(seen).toHaveLength(0);
  });

  it('reads the module error shapes', async () => {
    const { transport } = scripted([
      json(400, { error: { code: 'BadRequest', message: 'x', details: [{ message: 'Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation could not be performed because object Ran_zzzzz could not be found.' }] } }),
      json(403, { error: { code: 'Forbidden', innererror: { internalException: { message: 'The user is not assigned to any management roles.' } } } }),
    ]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b' });
    const notFound = (await reader.page('Get-InboundConnector', { Identity: 'Ran_zzzzz' }).catch((e: unknown) => e)) as ExchangeError;
    expect(notFound.code).toBe('ManagementObjectNotFoundException');
    expect(notFound.message).toMatch(/object Ran_zzzzz could not be found/);
    const forbidden = (await reader.page('Get-TransportRule', {}).catch((e: unknown) => e)) as ExchangeError;
    expect(forbidden.status).toBe(403);
    expect(forbidden.message).toMatch(/not assigned to any management roles.*lacks an Exchange role/);
  });

  it('waits out 429 as Retry-After says', async () => {
    const waits: number[] = [];
    const { transport } = scripted([json(429, {}, { 'retry-after': '4' }), json(200, { value: [] })]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b', sleep: async (ms) => void waits.push(ms) });
    await reader.page('Get-Mailbox', {});
    expect(waits).toEqual([4000]);
  });

  it('asks again for a truncated page and after a connection reset, as the Graph reader does', async () => {
    let calls = 0;
    const transport = async (): Promise<HttpResponse> => {
      calls++;
      if (calls === 1) throw new HttpError('Connection closed before the response was complete.', 'https://outlook.test/x', 'ECONNRESET');
      if (calls === 2) return { status: 200, headers: {}, body: Buffer.from('{"value":[{"Name":"Te') };
      return json(200, { value: [{ Name: 'Test01' }] });
    };
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b', sleep: async () => undefined });
    expect((await reader.page('Get-TransportRule', {})).value).toEqual([{ Name: 'Test01' }]);
    expect(calls).toBe(3);
  });

  it('never follows a nextLink to another origin', async () => {
    const { transport, seen } = scripted([json(200, { value: [], '@odata.nextLink': 'https://elsewhere.test/steal' })]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b' });
    const pages = reader.pages('Get-Mailbox', {});
    await pages.next();
    await expect(pages.next()).rejects.toThrow(/not on https:\/\/outlook\.test/);
    expect(seen).toHaveLength(1);
  });
});
