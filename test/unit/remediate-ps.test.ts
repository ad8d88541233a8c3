// PowerShell source for remediation requests: hostile names stay inside their literals, every value type is written, bad names are refused.
import { describe, expect, it } from 'vitest';
import { psCmdlet, psRequest, psString, psValue, refVariable, parseRef } from '../../main/remediate/ps';
import { lexSingleQuoted } from '../support/ps-lex';

/** Names an attacker could give a rule, connector or mailbox to break out of a quoted string. */
export const HOSTILE_NAMES = [
  "Test'; Remove-Mailbox -Identity * -Confirm:$false; '",
  'Test\u2019; Get-Mailbox | Remove-Mailbox; \u2018',
  "Test'' ; whoami ; ''",
  'Test\u201a$(Invoke-Expression evil)\u201b',
  "a'\nRemove-Item C:\\ -Recurse\n'",
  '$(calc)`n"; exit; "',
  "''''",
  '\u2018\u2019\u201a\u201b\'',
];

describe('psString', () => {
  it.each(HOSTILE_NAMES)('keeps %j inside one literal that reads back as itself', (name) => {
    const lexed = lexSingleQuoted(`Remove-TransportRule -Identity ${psString(name)} -Confirm:$false`);
    expect(lexed.strings).toEqual([name]);
    expect(lexed.code).toBe("Remove-TransportRule -Identity '…' -Confirm:$false");
  });

  it('doubles the ASCII and the Unicode single quotes, and nothing else', () => {
    expect(psString("O'Brien")).toBe("'O''Brien'");
    expect(psString('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(psString('$env:PATH `n "x"')).toBe("'$env:PATH `n \"x\"'");
  });
});

describe('psValue and psCmdlet', () => {
  it('writes null, booleans, numbers, arrays and ordered hashtables', () => {
    expect(psValue(null)).toBe('$null');
    expect(psValue(true)).toBe('$true');
    expect(psValue(3)).toBe('3');
    expect(psValue(['a', "b'c"])).toBe("@('a', 'b''c')");
    expect(psValue({ state: 'enabled', n: { x: false } })).toBe("[ordered]@{ 'state' = 'enabled'; 'n' = [ordered]@{ 'x' = $false } }");
    expect(() => psValue(Number.NaN)).toThrow(/cannot write/);
  });

  it('binds booleans with a colon and lists with commas', () => {
    expect(psCmdlet('Set-Mailbox', { Identity: 'a@b.com', ForwardingSmtpAddress: null, DeliverToMailboxAndForward: false }))
      .toBe("Set-Mailbox -Identity 'a@b.com' -ForwardingSmtpAddress $null -DeliverToMailboxAndForward:$false");
    expect(psCmdlet('New-InboundConnector', { SenderIPAddresses: ['192.0.2.1', '192.0.2.2'] })).toBe("New-InboundConnector -SenderIPAddresses '192.0.2.1','192.0.2.2'");
  });

  it('refuses cmdlet and parameter names that are not names', () => {
    expect(() => psCmdlet('Remove-Mailbox; calc', {})).toThrow(/not an Exchange cmdlet name/);
    expect(() => psCmdlet('Set-Mailbox', { 'Identity x; calc': 'a' })).toThrow(/not a PowerShell parameter name/);
  });
});

describe('psRequest', () => {
  it('writes an Exchange change with -Confirm:$false and a read without', () => {
    expect(psRequest({ api: 'exchange', cmdlet: 'Remove-InboxRule', parameters: { Mailbox: 'AlexW', Identity: 'AlexW\\123' } }))
      .toBe("Remove-InboxRule -Mailbox 'AlexW' -Identity 'AlexW\\123' -Confirm:$false");
    expect(psRequest({ api: 'exchange', cmdlet: 'Get-InboxRule', parameters: { Mailbox: 'AlexW' } })).toBe("Get-InboxRule -Mailbox 'AlexW'");
  });

  it('writes a Graph call as Invoke-MgGraphRequest with the same method, path and body, secrets as a variable', () => {
    const line = psRequest({ api: 'graph', method: 'PATCH', path: '/v1.0/users/u1', body: { passwordProfile: { forceChangePasswordNextSignIn: true, password: '{{secret:password}}' } } });
    expect(line).toBe("Invoke-MgGraphRequest -Method PATCH -Uri '/v1.0/users/u1' -Body ([ordered]@{ 'passwordProfile' = [ordered]@{ 'forceChangePasswordNextSignIn' = $true; 'password' = $password } } | ConvertTo-Json -Depth 20 -Compress) -ContentType 'application/json' -OutputType PSObject");
  });

  it('turns a reference to another step\'s result into a variable, in the path and in the body', () => {
    const ref = '{{ref:ca.admin-mfa-report-only:t1/policy/id}}';
    expect(parseRef(ref)).toEqual({ stepId: 'ca.admin-mfa-report-only:t1', itemKey: 'policy', field: 'id' });
    const variable = refVariable(parseRef(ref)!);
    expect(variable).toBe('$ref_ca_admin_mfa_report_only_t1_policy_id');
    expect(psRequest({ api: 'graph', method: 'PATCH', path: `/v1.0/identity/conditionalAccess/policies/${ref}`, body: { state: 'enabled' } }))
      .toContain(`-Uri ('/v1.0/identity/conditionalAccess/policies/' + ${variable})`);
    expect(psValue({ includeLocations: [ref] })).toBe(`[ordered]@{ 'includeLocations' = @(${variable}) }`);
  });

  it('refuses a Graph path that is not one', () => {
    expect(() => psRequest({ api: 'graph', method: 'GET', path: "/v1.0/users/x' ; calc ; '" })).toThrow(/not a Graph path/);
    expect(() => psRequest({ api: 'graph', method: 'GET', path: 'https://evil.example/v1.0/users' })).toThrow(/not a Graph path/);
  });
});
