// `peregrine script collect`: the script's text reads only (every tenant call a Get-*, Search-UnifiedAuditLog or
// Invoke-MgGraphRequest -Method GET), asks only for read permissions, says what it reads before it signs in, and
// reads what live collection reads; the command writes it once and refuses bad flags.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectionScript, SCRIPT_EXCHANGE_SOURCES, SCRIPT_GRAPH_SOURCES, SCRIPT_LOG_SOURCES } from '../../main/collect/script';
import { EXCHANGE_LOG_SOURCES, EXCHANGE_SOURCES, GRAPH_SOURCES, LOG_SOURCES } from '../../main/collect/sources';
import { CLOUD_NAMES, type CloudName } from '../../main/auth/environment';
import { main } from '../../main/cli';
import { capturedIo } from '../support/cli-io';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-script-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const script = (over: Partial<Parameters<typeof collectionScript>[0]> = {}) =>
  collectionScript({ tenant: 'contoso.onmicrosoft.com', cloud: 'commercial', days: 30, inboxRuleMailboxes: ['ops@contoso.com'], toolVersion: '0.1.0', generatedAt: '2026-12-07T00:00:00.000Z', ...over });

/** The script's code: comment lines and the comment-based help block left out. */
function code(text: string): string[] {
  const lines = text.split('\n');
  const end = lines.indexOf('#>');
  return lines.slice(end + 1).filter((l) => !l.trim().startsWith('#'));
}

/** Commands that never reach the tenant: the session's sign-ins, local files, the console, and the script's own functions. */
const LOCAL = new Set([
  'Connect-MgGraph', 'Connect-ExchangeOnline', 'Set-StrictMode', 'Join-Path', 'Split-Path', 'Test-Path', 'New-Item', 'Write-Host', 'Write-Warning',
  'Read-Host', 'ConvertTo-Json', 'ConvertFrom-Json', 'Out-Null', 'Get-FileHash', 'Get-Item', 'Get-Location', 'Get-MgContext',
  'Save-PeregrineFile', 'Add-PeregrineIncomplete', 'Save-GraphPages', 'Save-ExchangeOutput', 'Save-UnifiedAuditLog',
]);

describe('the collection script', () => {
  it('makes only read calls to the tenant', () => {
    for (const cloud of CLOUD_NAMES) {
      const lines = code(script({ cloud }));
      const commands = lines.flatMap((l) => [...l.matchAll(/(?<![\w$.-])([A-Z][a-z]+-[A-Z][A-Za-z]+)\b/g)].map((m) => m[1]!));
      expect(commands.length).toBeGreaterThan(20);
      const tenantCalls = commands.filter((c) => !LOCAL.has(c));
      // Every call left is a read: Get-* cmdlets, the audit search, or a Graph request (each a GET, checked below).
      expect(tenantCalls.filter((c) => !/^Get-/.test(c) && c !== 'Search-UnifiedAuditLog' && c !== 'Invoke-MgGraphRequest')).toEqual([]);
      expect(new Set(tenantCalls)).toEqual(new Set([
        'Invoke-MgGraphRequest', 'Get-InboundConnector', 'Get-OutboundConnector', 'Get-TransportRule', 'Get-Mailbox', 'Get-InboxRule', 'Search-UnifiedAuditLog',
        'Get-AdminAuditLogConfig', 'Get-OrganizationConfig', 'Get-ServicePrincipal', 'Get-ManagementRoleAssignment', 'Get-MailboxAuditBypassAssociation',
      ]));
      const graphCalls = lines.filter((l) => l.includes('Invoke-MgGraphRequest'));
      expect(graphCalls.length).toBe(2);
      for (const l of graphCalls) expect(l).toMatch(/Invoke-MgGraphRequest -Method GET -Uri /);
      // New-Item only makes the output folder, on this machine.
      for (const l of lines.filter((x) => x.includes('New-Item'))) expect(l).toMatch(/New-Item -ItemType Directory -Path \$(OutputFolder|folder) \| Out-Null/);
    }
  });

  it('asks only for read permissions, in the cloud named', () => {
    const text = script({ cloud: 'dod' });
    expect(text).toContain("$GraphScopes = @('User.Read', 'Directory.Read.All', 'AuditLog.Read.All', 'Policy.Read.All')");
    expect(text).toMatch(/dod = @\{ Graph = 'USGovDoD'; Exchange = 'O365USGovDoD'; GraphUrl = 'https:\/\/dod-graph\.microsoft\.us'/);
    expect(text).toMatch(/gcc = @\{ Graph = 'Global'; Exchange = 'O365Default'; GraphUrl = 'https:\/\/graph\.microsoft\.com'/);
    expect(text).toMatch(/china = @\{ Graph = 'China'; Exchange = 'O365China';.*UnifiedAuditLog = \$false; DirectoryAudits = \$false/);
    expect(text).toContain("[string] $Cloud = 'dod',");
    expect(text).toContain('Connect-MgGraph -Environment $CloudInfo.Graph -TenantId $Tenant -Scopes $GraphScopes -NoWelcome');
    expect(text).toContain('Connect-ExchangeOnline -ExchangeEnvironmentName $CloudInfo.Exchange -ShowBanner:$false');
  });

  it('says what it will read, and asks, before it signs in', () => {
    const text = script();
    const says = text.indexOf('Write-Host "It will read, changing nothing:"');
    const asks = text.indexOf("Read-Host 'Type yes to sign in and read'");
    const signsIn = text.indexOf('Connect-MgGraph -Environment');
    expect(says).toBeGreaterThan(0);
    expect(asks).toBeGreaterThan(says);
    expect(signsIn).toBeGreaterThan(asks);
  });

  it('reads what live collection reads, with the same windows and page sizes', () => {
    const graph = new Set(SCRIPT_GRAPH_SOURCES.map((s) => s.source.split('/')[0]!));
    graph.add('graph.appRoleAssignedTo');
    expect([...graph].sort()).toEqual(GRAPH_SOURCES.map((s) => s.source).sort());
    expect(SCRIPT_LOG_SOURCES.map((s) => s.source)).toEqual(LOG_SOURCES.map((s) => s.source));
    expect(SCRIPT_EXCHANGE_SOURCES.map((s) => s.source)).toEqual(EXCHANGE_SOURCES.map((s) => s.source));
    const text = script({ days: 7 });
    expect(text).toContain(EXCHANGE_LOG_SOURCES[0]!.source);
    expect(text).toContain("-Path ($s.Path + '?$filter=' + $filter + '&$top=1000')");
    expect(text).toContain('$clause = "$($s.TimeProperty) ge $($Window.from) and $($s.TimeProperty) lt $($Window.to)"');
    expect(text).toContain('if ($s.Filter) { $clause += " and $($s.Filter)" }');
    // The sign-in kinds other than interactive are the same list filtered by signInEventTypes, as live collection asks.
    expect(SCRIPT_LOG_SOURCES.filter((s) => s.filter).map((s) => [s.source, s.filter])).toEqual([
      ['graph.nonInteractiveSignIns', "signInEventTypes/any(t: t eq 'nonInteractiveUser')"],
      ['graph.servicePrincipalSignIns', "signInEventTypes/any(t: t eq 'servicePrincipal')"],
    ]);
    expect(text).toContain("Filter = 'signInEventTypes/any(t: t eq ''servicePrincipal'')'");
    expect(text).toContain('[int] $Days = 7,');
    expect(text).toContain('Search-UnifiedAuditLog -StartDate $slice[0] -EndDate $slice[1] -SessionId $sessionId -SessionCommand ReturnLargeSet -ResultSize $UalCallSize');
    expect(text).toContain('$UalSessionCap = 50000');
    expect(text).toContain("[string[]] $InboxRuleMailboxes = @('ops@contoso.com'),");
  });

  it('numbers a source\'s pages on when it reads it in two lists (app-role grants of two resources): no file is written twice', () => {
    const text = script();
    expect(text).toContain('$page = [int]$script:GraphPages[$Source]');
    expect(text).toContain('$script:GraphPages[$Source] = $page');
    expect(text).not.toMatch(/function Save-GraphPages[^}]*\$page = 0/);
    expect(text.match(/Save-GraphPages -Source 'graph\.appRoleAssignedTo'/g)).toHaveLength(1);
    expect(text).toContain('foreach ($appId in $AppRoleResources)');
  });

  it('writes a manifest with every file\'s SHA-256 and what was incomplete', () => {
    const text = script();
    expect(text).toContain("(Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant()");
    expect(text).toMatch(/files = \$script:Files\n\s+incomplete = \$script:Incomplete/);
    expect(text).toContain("$Format = 'peregrine-collection/1'");
  });

  it('quotes every value it writes into the script', () => {
    const text = script({ tenant: null, inboxRuleMailboxes: ["o'brien@contoso.com"] });
    expect(text).toContain("[string] $Tenant = '',");
    expect(text).toContain("@('o''brien@contoso.com')");
    expect(() => script({ days: 181 })).toThrow(/0 to 180/);
  });
});

describe('peregrine script collect', () => {
  it('writes the script once, and refuses to write over it', async () => {
    const out = path.join(dir, 'collect.ps1');
    const io = capturedIo();
    expect(await main(['script', 'collect', '--out', out, '--tenant', 'contoso.onmicrosoft.us', '--cloud', 'gcchigh', '--days', '14'], io)).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain("[string] $Tenant = 'contoso.onmicrosoft.us',");
    expect(text).toContain("[string] $Cloud = 'gcchigh',");
    expect(text).toContain('[int] $Days = 14,');
    expect(io.stdout.join('\n')).toMatch(/lists what it reads and asks first/);
    const again = capturedIo();
    expect(await main(['script', 'collect', '--out', out], again)).toBe(2);
    expect(again.stderr.join('\n')).toMatch(/collect\.ps1 already exists: choose another --out/);
    expect(fs.readFileSync(out, 'utf8')).toBe(text);
  });

  it.each([
    [['script', 'collect'], /--out is required/],
    [['script', 'remediate', '--out', 'x.ps1'], /Unknown script "remediate" \(collect\)/],
    [['script', 'collect', '--out', 'x.ps1', '--cloud', 'usgov'], /--cloud must be one of commercial, gcc, gcchigh, dod, china, not "usgov"/],
    [['script', 'collect', '--out', 'x.ps1', '--days', '200'], /--days must be a whole number from 0 to 180/],
    [['script', 'collect', '--out', 'x.ps1', '--inbox-rules', "a'b@c.d"], /--inbox-rules: "a'b@c.d" is not a mailbox address/],
  ])('refuses %j', async (args, message) => {
    const io = capturedIo();
    expect(await main(args, io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
  });

  it('answers --help', async () => {
    const io = capturedIo();
    expect(await main(['script', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/script collect --out <file\.ps1>/);
  });

  it('names the default of every cloud in its table', () => {
    for (const cloud of CLOUD_NAMES as CloudName[]) expect(script({ cloud })).toContain(`[string] $Cloud = '${cloud}',`);
  });
});
