// Collection is read-only by construction: writes fail before any network I/O.
import { describe, expect, it } from 'vitest';
import { readOnlyTransport, WriteRefusedError } from '../../main/http/read-only';
import type { HttpRequest, HttpTransport } from '../../main/http/https';

function recording(): { transport: HttpTransport; sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return { sent, transport: async (req) => (sent.push(req), { status: 200, headers: {}, body: Buffer.from('{}') }) };
}

describe('readOnlyTransport', () => {
  it.each([
    ['DELETE', 'https://graph.example/v1.0/applications/1', undefined],
    ['PATCH', 'https://graph.example/v1.0/servicePrincipals/1', '{"accountEnabled":false}'],
    ['POST', 'https://graph.example/v1.0/applications/1/removePassword', '{"keyId":"x"}'],
    ['POST', 'https://graph.example/v1.0/$batch', '{"requests":[{"id":"1","method":"GET","url":"/users"},{"id":"2","method":"DELETE","url":"/applications/1"}]}'],
    ['POST', 'https://graph.example/v1.0/$batch', 'not json'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Remove-InboundConnector","Parameters":{"Identity":"Ran_abcde"}}}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Get-TransportRule; Remove-TransportRule"}}'],
    // Only a POST is read by its body: another method with a read-looking body is still a write.
    ['PUT', 'https://graph.example/v1.0/$batch', '{"requests":[{"id":"1","method":"GET","url":"/users"}]}'],
    ['PATCH', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Get-Mailbox"}}'],
    // A batch with nothing in it, or not a list, proves nothing.
    ['POST', 'https://graph.example/v1.0/$batch', '{"requests":[]}'],
    ['POST', 'https://graph.example/v1.0/$batch', '{"requests":{"0":{"method":"GET"}}}'],
    ['POST', 'https://graph.example/v1.0/$batch', '{}'],
    // The read-by-body paths end there: a longer path is another endpoint.
    ['POST', 'https://graph.example/v1.0/$batch/x', '{"requests":[{"id":"1","method":"GET","url":"/users"}]}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand/x', '{"CmdletInput":{"CmdletName":"Get-Mailbox"}}'],
    // A Get- cmdlet body sent anywhere else is not a read.
    ['POST', 'https://graph.example/v1.0/users', '{"CmdletInput":{"CmdletName":"Get-Mailbox"}}'],
    // The cmdlet name: a string that starts with Get- or Search- and is nothing else.
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":["Get-Mailbox"]}}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Remove-Get-Mailbox"}}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Get-"}}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Get-Mail box"}}'],
  ] as const)('refuses %s %s before sending anything', async (method, url, body) => {
    const { transport, sent } = recording();
    await expect(readOnlyTransport(transport)({ method, url, body })).rejects.toBeInstanceOf(WriteRefusedError);
    expect(sent).toHaveLength(0);
  });

  it.each([
    ['GET', 'https://graph.example/v1.0/applications', undefined],
    ['POST', 'https://graph.example/v1.0/$batch', '{"requests":[{"id":"1","method":"GET","url":"/users"},{"id":"2","method":"get","url":"/me"}]}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Get-TransportRule","Parameters":{}}}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Search-UnifiedAuditLog","Parameters":{}}}'],
    ['POST', 'https://graph.example/beta/$batch', '{"requests":[{"id":"1","method":"GET","url":"/users"}]}'],
    ['POST', 'https://outlook.example/adminapi/beta/t1/InvokeCommand', '{"CmdletInput":{"CmdletName":"Get-Mailbox"}}'],
  ] as const)('lets the read %s %s through', async (method, url, body) => {
    const { transport, sent } = recording();
    await readOnlyTransport(transport)({ method, url, body });
    expect(sent).toHaveLength(1);
  });

  it('names the refused method and path in words', async () => {
    const { transport } = recording();
    await expect(readOnlyTransport(transport)({ method: 'DELETE', url: 'https://graph.example/v1.0/applications/abc' })).rejects.toThrow(
      /read-only: refused DELETE \/v1\.0\/applications\/abc/,
    );
    const refused = await readOnlyTransport(transport)({ method: 'PUT', url: 'https://graph.example/v1.0/users/1' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WriteRefusedError);
    expect((refused as WriteRefusedError).name).toBe('WriteRefusedError');
    expect((refused as WriteRefusedError).request).toEqual({ method: 'PUT', url: 'https://graph.example/v1.0/users/1' });
  });
});
