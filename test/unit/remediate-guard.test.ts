// Vitest (plain Node): the remediation write guard lets through exactly the item's requests and reads on the tenant's hosts, and refuses the rest before any I/O.
import { describe, expect, it } from 'vitest';
import { createWriteGuard, GuardRefusedError } from '../../main/remediate/guard';
import type { HttpRequest, HttpTransport } from '../../main/http/https';

function recording(): { transport: HttpTransport; sent: HttpRequest[] } {
  const sent: HttpRequest[] = [];
  return { sent, transport: async (req) => (sent.push(req), { status: 204, headers: {}, body: Buffer.alloc(0) }) };
}

const HOSTS = ['graph.example', 'outlook.example'];
const SP = 'https://graph.example/v1.0/servicePrincipals/11111111-1111-1111-1111-111111111111';
const INVOKE = 'https://outlook.example/adminapi/beta/t1/InvokeCommand';

describe('createWriteGuard', () => {
  it('admits the admitted write with a JSON-equal body (key order and spacing do not matter), and only while admitted', async () => {
    const { transport, sent } = recording();
    const guard = createWriteGuard(transport, HOSTS);
    guard.admit([{ method: 'PATCH', url: SP, body: { accountEnabled: false, note: { a: 1, b: 2 } } }]);
    await guard.transport({ method: 'PATCH', url: SP, body: '{ "note": {"b":2,"a":1}, "accountEnabled": false }' });
    expect(sent).toHaveLength(1);
    guard.clear();
    await expect(guard.transport({ method: 'PATCH', url: SP, body: '{"accountEnabled":false,"note":{"a":1,"b":2}}' })).rejects.toBeInstanceOf(GuardRefusedError);
    expect(sent).toHaveLength(1);
  });

  it.each([
    ['another body', 'PATCH', SP, '{"accountEnabled":true}'],
    ['an extra field', 'PATCH', SP, '{"accountEnabled":false,"displayName":"x"}'],
    ['another method', 'DELETE', SP, undefined],
    ['another object', 'PATCH', 'https://graph.example/v1.0/servicePrincipals/22222222-2222-2222-2222-222222222222', '{"accountEnabled":false}'],
    ['a query added', 'PATCH', `${SP}?x=1`, '{"accountEnabled":false}'],
    ['another host', 'PATCH', SP.replace('graph.example', 'evil.example'), '{"accountEnabled":false}'],
    ['plain HTTP', 'PATCH', SP.replace('https:', 'http:'), '{"accountEnabled":false}'],
    ['a body that is not JSON', 'PATCH', SP, 'accountEnabled=false'],
    ['a write cmdlet not admitted', 'POST', INVOKE, '{"CmdletInput":{"CmdletName":"Remove-TransportRule","Parameters":{"Identity":"Test01"}}}'],
    ['a Search- cmdlet (not a read the engine makes)', 'POST', INVOKE, '{"CmdletInput":{"CmdletName":"Search-UnifiedAuditLog","Parameters":{}}}'],
    ['a GET to another host', 'GET', 'https://evil.example/v1.0/users', undefined],
    ['a GET with a body', 'GET', SP, '{}'],
    ['a $batch', 'POST', 'https://graph.example/v1.0/$batch', '{"requests":[{"id":"1","method":"GET","url":"/users"}]}'],
  ] as const)('refuses %s before sending anything', async (_what, method, url, body) => {
    const { transport, sent } = recording();
    const guard = createWriteGuard(transport, HOSTS);
    guard.admit([{ method: 'PATCH', url: SP, body: { accountEnabled: false } }]);
    await expect(guard.transport({ method, url, body })).rejects.toThrow(GuardRefusedError);
    expect(sent).toEqual([]);
  });

  it('lets reads through on the tenant hosts: GET, and an Exchange Get- cmdlet', async () => {
    const { transport, sent } = recording();
    const guard = createWriteGuard(transport, HOSTS);
    await guard.transport({ method: 'GET', url: SP });
    await guard.transport({ method: 'POST', url: INVOKE, body: '{"CmdletInput":{"CmdletName":"Get-TransportRule","Parameters":{"Identity":"Test01"}}}' });
    expect(sent.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('admits an Exchange write cmdlet with exactly its parameters', async () => {
    const { transport, sent } = recording();
    const guard = createWriteGuard(transport, HOSTS);
    guard.admit([{ method: 'POST', url: INVOKE, body: { CmdletInput: { CmdletName: 'Remove-TransportRule', Parameters: { Identity: 'Test01', Confirm: false } } } }]);
    await expect(guard.transport({ method: 'POST', url: INVOKE, body: '{"CmdletInput":{"CmdletName":"Remove-TransportRule","Parameters":{"Identity":"Test02","Confirm":false}}}' })).rejects.toThrow(/not one of the requests/);
    await guard.transport({ method: 'POST', url: INVOKE, body: '{"CmdletInput":{"Parameters":{"Confirm":false,"Identity":"Test01"},"CmdletName":"Remove-TransportRule"}}' });
    expect(sent).toHaveLength(1);
  });

  it('names the refused request and why, without the query or body', async () => {
    const guard = createWriteGuard(recording().transport, HOSTS);
    await expect(guard.transport({ method: 'DELETE', url: `${SP}?secret=abc`, body: '{"password":"hunter2"}' })).rejects.toThrow(
      /^Remediation guard refused DELETE \/v1\.0\/servicePrincipals\/1{8}-1{4}-1{4}-1{4}-1{12}: it is not one of the requests of the item being executed\./,
    );
  });
});
