// The Exchange admin API reader: InvokeCommand envelope, paging by nextLink with the same body, errors in the module's shapes.
import { describe, expect, it } from 'vitest';
import { createExchangeReader, EXCHANGE_TIMEOUT_MS, ExchangeError } from '../../main/exchange/reader';
import { appOnlyAnchorMailbox } from '../../main/auth/app-only';
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

  it('never follows a nextLink to another host: the page that names it fails, before the token could leave', async () => {
    const { transport, seen } = scripted([json(200, { value: [], '@odata.nextLink': 'https://elsewhere.test/steal' })]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b' });
    const pages = reader.pages('Get-Mailbox', {});
    await expect(pages.next()).rejects.toThrow(/not one of this cloud's Exchange Online hosts \(outlook\.test\)/);
    expect(seen).toHaveLength(1);
  });

  it('gives each request the 16 minutes ExchangeOnlineManagement allows, not Graph\'s minute', async () => {
    const { transport, seen } = scripted([json(200, { value: [] })]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b' });
    await reader.page('Search-UnifiedAuditLog', {});
    expect(EXCHANGE_TIMEOUT_MS).toBe(960_000);
    expect(seen[0]?.timeoutMs).toBe(960_000);
  });

  it('retries the transient server exceptions Exchange names in a 500 body, and not a lasting one', async () => {
    const transient = (type: string) => json(500, { error: { code: 'InternalServerError', details: [{ message: `Ex1|${type}|The server is busy.` }] } });
    const waits: number[] = [];
    const { transport } = scripted([
      transient('Microsoft.Exchange.Data.Directory.DCOverloadedException'),
      transient('Microsoft.Exchange.Data.Storage.StorageTransientException'),
      json(500, { error: { code: 'InternalServerError', innererror: { internalException: { type: 'Microsoft.Exchange.Data.Storage.ServerBusyException', message: 'busy' } } } }),
      json(200, { value: [{ Name: 'ok' }] }),
      json(500, { error: { code: 'InternalServerError', details: [{ message: 'Ex2|System.NullReferenceException|Object reference not set.' }] } }),
    ]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b', sleep: async (ms) => void waits.push(ms) });
    expect((await reader.page('Get-Mailbox', {})).value).toEqual([{ Name: 'ok' }]);
    expect(waits).toHaveLength(3);
    await expect(reader.page('Get-Mailbox', {})).rejects.toMatchObject({ status: 500, code: 'NullReferenceException' });
  });

  it('follows a redirect to another of the cloud\'s Exchange hosts with the same POST, and pages on there', async () => {
    const pod = `https://nam12.outlook.office365.com/adminapi/beta/${TENANT}/InvokeCommand`;
    const { transport, seen } = scripted([
      json(302, {}, { location: pod }),
      json(200, { value: [{ Name: 'a' }], 'odata.nextLink': `${pod}?$skiptoken=2` }),
      json(200, { value: [{ Name: 'b' }] }),
    ]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.office365.com', hosts: ['outlook.office365.com', '*.outlook.office365.com'], tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b' });
    const names: string[] = [];
    const urls: string[] = [];
    for await (const page of reader.pages('Get-Mailbox', {})) {
      names.push(...page.value.map((v) => (v as { Name: string }).Name));
      urls.push(page.url);
    }
    expect(names).toEqual(['a', 'b']);
    expect(seen.map((r) => [r.method, r.url])).toEqual([['POST', `https://outlook.office365.com/adminapi/beta/${TENANT}/InvokeCommand`], ['POST', pod], ['POST', `${pod}?$skiptoken=2`]]);
    expect(seen.every((r) => r.body === seen[0]?.body && r.headers?.authorization === 'Bearer t')).toBe(true);
    // Evidence names where the page really came from.
    expect(urls).toEqual([pod, `${pod}?$skiptoken=2`]);
  });

  it('never follows a redirect off the cloud\'s Exchange hosts, nor over plain HTTP', async () => {
    for (const location of ['https://login.evil.example/adminapi/beta/x/InvokeCommand', 'http://outlook.test/adminapi/beta/x/InvokeCommand']) {
      const { transport, seen } = scripted([json(307, {}, { location })]);
      const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b' });
      await expect(reader.page('Get-Mailbox', {})).rejects.toMatchObject({ code: 'foreign_redirect' });
      expect(seen).toHaveLength(1);
    }
  });

  it('records @adminapi.warnings and @adminapi.errors of a 200', async () => {
    const { transport } = scripted([json(200, { value: [{ Name: 'a' }], '@adminapi.warnings': ['There are more results available than are currently displayed.'], '@adminapi.errors': [{ message: 'Mailbox x is not reachable.' }] })]);
    const reader = createExchangeReader({ baseUrl: 'https://outlook.test', tenantId: TENANT, transport, getToken: async () => 't', anchorMailbox: 'UPN:a@b' });
    const page = await reader.page('Get-Mailbox', {});
    expect(page.warnings).toEqual(['There are more results available than are currently displayed.']);
    expect(page.errors).toEqual(['Mailbox x is not reachable.']);
  });

  it('routes app-only calls through the system mailbox ExchangeOnlineManagement uses, by tenant id', () => {
    expect(appOnlyAnchorMailbox(TENANT)).toBe(`APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${TENANT}`);
  });
});
