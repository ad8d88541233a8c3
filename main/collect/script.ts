// CLI: `peregrine script collect` — a read-only PowerShell 7 script for the client's administrator that gathers what a
// live collection gathers (the same Graph paths, Exchange cmdlets and windows) into a folder of files in Microsoft's
// own shapes (Graph JSON pages as served, ConvertTo-Json of the cmdlets' output), with a manifest of SHA-256 hashes
// and of what could not be read in full. The folder's shape is documented in docs/collection-folder.md.
import { COLLECTION_GRAPH_SCOPES } from '../auth/scopes';
import { CLOUD_NAMES, type CloudName } from '../auth/environment';
import { psString } from '../remediate/ps';

export const COLLECTION_FOLDER_FORMAT = 'peregrine-collection/1';

/** The Graph sources, as live collection reads them (main/collect/sources.ts): the same paths, in the same order. */
export const SCRIPT_GRAPH_SOURCES: readonly { source: string; path: string; paged: boolean }[] = [
  { source: 'graph.organization', path: '/v1.0/organization', paged: false },
  { source: 'graph.applications', path: '/v1.0/applications', paged: true },
  { source: 'graph.servicePrincipals', path: '/v1.0/servicePrincipals', paged: true },
  { source: 'graph.oauth2PermissionGrants', path: '/v1.0/oauth2PermissionGrants', paged: true },
  { source: 'graph.users', path: '/v1.0/users?$select=id,displayName,userPrincipalName,accountEnabled,userType,createdDateTime,mail', paged: true },
  { source: 'graph.roleAssignments', path: '/v1.0/roleManagement/directory/roleAssignments', paged: true },
  { source: 'graph.userRegistrationDetails', path: '/v1.0/reports/authenticationMethods/userRegistrationDetails', paged: true },
  { source: 'graph.deletedApplications', path: '/v1.0/directory/deletedItems/microsoft.graph.application', paged: true },
  { source: 'graph.deletedServicePrincipals', path: '/v1.0/directory/deletedItems/microsoft.graph.servicePrincipal', paged: true },
  { source: 'graph.rolesAndPolicies/directoryRoles', path: '/v1.0/directoryRoles', paged: false },
  { source: 'graph.rolesAndPolicies/conditionalAccessPolicies', path: '/v1.0/identity/conditionalAccess/policies', paged: false },
  { source: 'graph.rolesAndPolicies/securityDefaults', path: '/v1.0/policies/identitySecurityDefaultsEnforcementPolicy', paged: false },
];

/** App-role grants are read on the resource side, as live collection does: Microsoft Graph and Office 365 Exchange Online. */
export const SCRIPT_APP_ROLE_RESOURCES = ['00000003-0000-0000-c000-000000000000', '00000002-0000-0ff1-ce00-000000000000'];

/**
 * The logs, over the window: sign-ins from beta (v1.0 leaves out authenticationRequirement; the non-interactive and
 * service-principal kinds are queries of their own by signInEventTypes), directory audits from v1.0.
 */
export const SCRIPT_LOG_SOURCES: readonly { source: string; path: string; timeProperty: string; filter?: string }[] = [
  { source: 'graph.signIns', path: '/beta/auditLogs/signIns', timeProperty: 'createdDateTime' },
  { source: 'graph.nonInteractiveSignIns', path: '/beta/auditLogs/signIns', timeProperty: 'createdDateTime', filter: "signInEventTypes/any(t: t eq 'nonInteractiveUser')" },
  { source: 'graph.servicePrincipalSignIns', path: '/beta/auditLogs/signIns', timeProperty: 'createdDateTime', filter: "signInEventTypes/any(t: t eq 'servicePrincipal')" },
  { source: 'graph.directoryAudits', path: '/v1.0/auditLogs/directoryAudits', timeProperty: 'activityDateTime' },
];

/** The Exchange cmdlets, with the parameters live collection gives them. */
export const SCRIPT_EXCHANGE_SOURCES: readonly { source: string; cmdlet: string; parameters: string }[] = [
  { source: 'exo.inboundConnectors', cmdlet: 'Get-InboundConnector', parameters: '' },
  { source: 'exo.outboundConnectors', cmdlet: 'Get-OutboundConnector', parameters: '' },
  { source: 'exo.transportRules', cmdlet: 'Get-TransportRule', parameters: '-ResultSize Unlimited' },
  { source: 'exo.mailboxes', cmdlet: 'Get-Mailbox', parameters: '-ResultSize Unlimited' },
  { source: 'exo.adminAuditLogConfig', cmdlet: 'Get-AdminAuditLogConfig', parameters: '' },
  { source: 'exo.organizationConfig', cmdlet: 'Get-OrganizationConfig', parameters: '' },
  { source: 'exo.servicePrincipals', cmdlet: 'Get-ServicePrincipal', parameters: '' },
  { source: 'exo.appRoleAssignments', cmdlet: 'Get-ManagementRoleAssignment', parameters: '-RoleAssigneeType ServicePrincipal' },
  { source: 'exo.mailboxAuditBypass', cmdlet: 'Get-MailboxAuditBypassAssociation', parameters: '-ResultSize Unlimited' },
];

/**
 * Connect-MgGraph -Environment and Connect-ExchangeOnline -ExchangeEnvironmentName per cloud
 * (https://learn.microsoft.com/powershell/module/microsoft.graph.authentication/get-mgenvironment,
 * https://learn.microsoft.com/powershell/module/exchange/connect-exchangeonline): GCC uses the global ones.
 */
const SCRIPT_CLOUDS: Record<CloudName, { graph: string; exchange: string; graphUrl: string; ual: boolean; audits: boolean }> = {
  commercial: { graph: 'Global', exchange: 'O365Default', graphUrl: 'https://graph.microsoft.com', ual: true, audits: true },
  gcc: { graph: 'Global', exchange: 'O365Default', graphUrl: 'https://graph.microsoft.com', ual: true, audits: true },
  gcchigh: { graph: 'USGov', exchange: 'O365USGovGCCHigh', graphUrl: 'https://graph.microsoft.us', ual: true, audits: true },
  dod: { graph: 'USGovDoD', exchange: 'O365USGovDoD', graphUrl: 'https://dod-graph.microsoft.us', ual: true, audits: true },
  china: { graph: 'China', exchange: 'O365China', graphUrl: 'https://microsoftgraph.chinacloudapi.cn', ual: false, audits: false },
};

export interface CollectScriptInput {
  /** Written into the script as the defaults of -Tenant and -Cloud; the administrator can pass others. */
  tenant: string | null;
  cloud: CloudName;
  /** Days of sign-ins, audits and Unified Audit Log up to the run (0: none), as `collect --days`. */
  days: number;
  inboxRuleMailboxes: readonly string[];
  toolVersion: string;
  generatedAt: string;
}

const psArray = (xs: readonly string[]) => (xs.length ? `@(${xs.map(psString).join(', ')})` : '@()');

function cloudTable(): string {
  return CLOUD_NAMES.map((name) => {
    const c = SCRIPT_CLOUDS[name];
    return `    ${name} = @{ Graph = ${psString(c.graph)}; Exchange = ${psString(c.exchange)}; GraphUrl = ${psString(c.graphUrl)}; UnifiedAuditLog = $${c.ual}; DirectoryAudits = $${c.audits} }`;
  }).join('\n');
}

/** The script's text. Every tenant call in it reads: Get-*, Search-UnifiedAuditLog, Invoke-MgGraphRequest -Method GET. */
export function collectionScript(input: CollectScriptInput): string {
  if (!Number.isInteger(input.days) || input.days < 0 || input.days > 180) throw new Error('The window must be a whole number of days from 0 to 180.');
  const scopes = COLLECTION_GRAPH_SCOPES.map((s) => s.scope);
  const graphTable = SCRIPT_GRAPH_SOURCES.map((s) => `    @{ Source = ${psString(s.source)}; Path = ${psString(s.path)}; Paged = $${s.paged} }`).join('\n');
  const logTable = SCRIPT_LOG_SOURCES.map((s) => `    @{ Source = ${psString(s.source)}; Path = ${psString(s.path)}; TimeProperty = ${psString(s.timeProperty)}; Filter = ${psString(s.filter ?? '')} }`).join('\n');
  const exoTable = SCRIPT_EXCHANGE_SOURCES.map((s) => `    @{ Source = ${psString(s.source)}; Read = { ${s.cmdlet}${s.parameters ? ` ${s.parameters}` : ''} } }`).join('\n');
  return `#Requires -Version 7.0
#Requires -Modules Microsoft.Graph.Authentication, ExchangeOnlineManagement
<#
.SYNOPSIS
    Reads a Microsoft 365 tenant's evidence for an incident response, read-only, into a folder to hand to the examiner.

.DESCRIPTION
    Written by Peregrine ${input.toolVersion} (\`peregrine script collect\`) on ${input.generatedAt}.
    It reads what Peregrine's live collection reads, with the same windows: directory objects, sign-ins and audits
    through Microsoft Graph, connectors, transport rules, mailboxes and the Unified Audit Log through Exchange Online.
    It changes nothing in the tenant: every call it makes is Invoke-MgGraphRequest -Method GET, a Get-* cmdlet, or
    Search-UnifiedAuditLog. It says what it will read and asks before it signs in.

    Needs only read access:
      Microsoft Graph, delegated: ${scopes.join(', ')}
        (an administrator consents once); the account needs Global Reader (or Security Reader) for sign-ins and audits.
      Exchange Online: Global Reader or View-Only Configuration; View-Only Audit Logs for the Unified Audit Log.

    The folder holds each response as Microsoft returns it (Graph JSON pages; ConvertTo-Json of the cmdlets' output)
    and manifest.json with every file's SHA-256 and what could not be read in full. Hand over the whole folder
    (or a zip of it); \`peregrine import <case> <folder>\` checks the manifest and imports it.

.EXAMPLE
    pwsh ./collect.ps1 -Tenant contoso.onmicrosoft.com -Cloud commercial
#>
[CmdletBinding()]
param(
    # The tenant: a verified domain or the tenant id.
    [string] $Tenant = ${psString(input.tenant ?? '')},
    [ValidateSet(${CLOUD_NAMES.map(psString).join(', ')})]
    [string] $Cloud = ${psString(input.cloud)},
    # Days of sign-ins, directory audits and Unified Audit Log up to now (0 reads none).
    [ValidateRange(0, 180)]
    [int] $Days = ${input.days},
    # Mailboxes whose inbox rules to read (UPN or address).
    [string[]] $InboxRuleMailboxes = ${psArray(input.inboxRuleMailboxes)},
    [string] $OutputFolder = (Join-Path -Path (Get-Location) -ChildPath ('peregrine-collection-' + [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssZ'))),
    # Read Microsoft Graph only (no Exchange Online sign-in).
    [switch] $SkipExchange,
    # Do not ask before reading (the list of what is read is still printed).
    [switch] $Yes
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

if (-not $Tenant) { throw 'Name the tenant: -Tenant contoso.onmicrosoft.com (or its tenant id).' }
$Format = ${psString(COLLECTION_FOLDER_FORMAT)}
$Clouds = @{
${cloudTable()}
}
$CloudInfo = $Clouds[$Cloud]
$Until = [DateTime]::UtcNow
$Since = $Until.AddDays(-$Days)
$Window = if ($Days -gt 0) { [ordered]@{ from = $Since.ToString('o'); to = $Until.ToString('o') } } else { $null }
$GraphScopes = ${psArray(scopes)}
$AppRoleResources = ${psArray(SCRIPT_APP_ROLE_RESOURCES)}
$GraphSources = @(
${graphTable}
)
$LogSources = @(
${logTable}
)
$ExchangeSources = @(
${exoTable}
)
# Search-UnifiedAuditLog: at most 5,000 rows a call and 50,000 a session; a window over the cap is halved.
$UalCallSize = 5000
$UalSessionCap = 50000
$UalMinSliceSeconds = 60
$UalMaxRestarts = 3

# ---- what will be read, before anything is -----------------------------------------------------------------------
Write-Host "Peregrine collection script (read-only). Tenant: $Tenant, cloud: $Cloud."
Write-Host "It will read, changing nothing:"
Write-Host "  Microsoft Graph ($($CloudInfo.GraphUrl)): organization, applications, service principals, app-role grants,"
Write-Host "    delegated grants, users, directory role assignments, MFA registration, directory roles,"
Write-Host "    conditional access policies, security defaults."
if ($Window) {
    Write-Host "  Sign-ins and directory audits from $($Window.from) to $($Window.to) ($Days days)."
} else {
    Write-Host '  No sign-ins or audits (-Days 0).'
}
if (-not $SkipExchange) {
    Write-Host '  Exchange Online: inbound and outbound connectors, transport rules, mailboxes (with forwarding settings).'
    if ($Window) { Write-Host "  The Unified Audit Log over the same window." }
    if ($InboxRuleMailboxes.Count -gt 0) { Write-Host "  Inbox rules of: $($InboxRuleMailboxes -join ', ')." }
}
Write-Host "  Sign-in asks for: $($GraphScopes -join ', ') (read-only)."
Write-Host "Into: $OutputFolder"
if (-not $Yes) {
    $answer = Read-Host 'Type yes to sign in and read'
    if ($answer -ne 'yes') { Write-Host 'Nothing was read.'; return }
}

# ---- the folder and its manifest ---------------------------------------------------------------------------------
if (Test-Path -LiteralPath $OutputFolder) { throw "$OutputFolder already exists: choose another -OutputFolder." }
New-Item -ItemType Directory -Path $OutputFolder | Out-Null
$script:Files = [System.Collections.Generic.List[object]]::new()
$script:Incomplete = [System.Collections.Generic.List[object]]::new()
$script:GraphPages = @{}
$StartedAt = [DateTime]::UtcNow.ToString('o')

function Save-PeregrineFile([string] $Source, [string] $RelativePath, [string] $Text, [int] $Records, [hashtable] $Request) {
    $path = Join-Path -Path $OutputFolder -ChildPath $RelativePath
    $folder = Split-Path -Path $path -Parent
    if (-not (Test-Path -LiteralPath $folder)) { New-Item -ItemType Directory -Path $folder | Out-Null }
    [System.IO.File]::WriteAllText($path, $Text, [System.Text.UTF8Encoding]::new($false))
    $hash = (Get-FileHash -LiteralPath $path -Algorithm SHA256).Hash.ToLowerInvariant()
    $script:Files.Add([ordered]@{ path = $RelativePath.Replace('\\', '/'); source = $Source; sha256 = $hash; bytes = (Get-Item -LiteralPath $path).Length; records = $Records; request = $Request })
}

function Add-PeregrineIncomplete([string] $Source, [string] $Reason) {
    $script:Incomplete.Add([ordered]@{ source = $Source; reason = $Reason })
    Write-Warning "$($Source) is incomplete: $Reason"
}

# Graph: each page saved as served (the JSON body, with its @odata.nextLink), following nextLink to the end. A source
# read in several lists (app-role grants of two resources) numbers its pages on from the last one written.
function Save-GraphPages([string] $Source, [string] $Path) {
    $uri = $CloudInfo.GraphUrl + $Path
    $page = [int]$script:GraphPages[$Source]
    $total = 0
    try {
        while ($uri) {
            $page++
            $json = Invoke-MgGraphRequest -Method GET -Uri $uri -OutputType Json
            $body = $json | ConvertFrom-Json -AsHashtable
            $count = if ($body.ContainsKey('value')) { @($body['value']).Count } else { 1 }
            $total += $count
            Save-PeregrineFile -Source $Source -RelativePath ('{0}/page-{1:d4}.json' -f $Source, $page) -Text $json -Records $count -Request @{ method = 'GET'; uri = $uri }
            $script:GraphPages[$Source] = $page
            $uri = if ($body.ContainsKey('@odata.nextLink')) { $body['@odata.nextLink'] } else { $null }
        }
        Write-Host "$($Source): $total records."
    } catch {
        Add-PeregrineIncomplete -Source $Source -Reason "page $page of $uri could not be read: $($_.Exception.Message)"
    }
}

# Exchange: the cmdlet's output, as ConvertTo-Json writes it.
function Save-ExchangeOutput([string] $Source, [string] $RelativePath, [scriptblock] $Read, [hashtable] $Request) {
    try {
        $rows = @(& $Read)
        Save-PeregrineFile -Source $Source -RelativePath $RelativePath -Text (ConvertTo-Json -InputObject $rows -Depth 10) -Records $rows.Count -Request $Request
        Write-Host "$($Source): $($rows.Count) records."
    } catch {
        Add-PeregrineIncomplete -Source $Source -Reason $_.Exception.Message
    }
}

# The Unified Audit Log: one ReturnLargeSet session per slice; a slice whose ResultCount reaches the session cap is
# halved; a session that stalls (ResultIndex -1, ResultCount 0, a gap) is started again, up to $UalMaxRestarts times.
function Save-UnifiedAuditLog {
    $source = 'exo.unifiedAuditLog'
    if (-not $CloudInfo.UnifiedAuditLog) {
        Add-PeregrineIncomplete -Source $source -Reason 'Search-UnifiedAuditLog returns nothing in Microsoft 365 operated by 21Vianet: the log could not be read here.'
        return
    }
    $slices = [System.Collections.Generic.Queue[object]]::new()
    $slices.Enqueue(@($Since, $Until))
    $page = 0
    $total = 0
    while ($slices.Count -gt 0) {
        $slice = $slices.Dequeue()
        $restarts = 0
        $done = $false
        while (-not $done) {
            $sessionId = [guid]::NewGuid().ToString()
            $lastIndex = 0
            $count = 0
            $stalled = $null
            $split = $false
            $pages = [System.Collections.Generic.List[object]]::new()
            while ($true) {
                $rows = @(Search-UnifiedAuditLog -StartDate $slice[0] -EndDate $slice[1] -SessionId $sessionId -SessionCommand ReturnLargeSet -ResultSize $UalCallSize)
                if ($rows.Count -eq 0) { break }
                $count = [int]$rows[0].ResultCount
                if ($lastIndex -eq 0 -and $count -ge $UalSessionCap -and ($slice[1] - $slice[0]).TotalSeconds -gt $UalMinSliceSeconds) { $split = $true; break }
                foreach ($row in $rows) {
                    if ([int]$row.ResultIndex -eq -1 -or [int]$row.ResultCount -eq 0 -or [int]$row.ResultIndex -ne $lastIndex + 1) { $stalled = "ResultIndex $($row.ResultIndex) where $($lastIndex + 1) was next"; break }
                    $lastIndex = [int]$row.ResultIndex
                }
                if ($stalled) { break }
                $pages.Add(@{ Rows = $rows; Start = $slice[0]; End = $slice[1]; Session = $sessionId })
                if ($lastIndex -ge [Math]::Min($count, $UalSessionCap)) { break }
            }
            if ($split) {
                $mid = $slice[0].AddSeconds(($slice[1] - $slice[0]).TotalSeconds / 2)
                $slices.Enqueue(@($slice[0], $mid))
                $slices.Enqueue(@($mid, $slice[1]))
                $done = $true
            } elseif ($stalled -and $restarts -lt $UalMaxRestarts) {
                $restarts++
            } else {
                if ($stalled) { Add-PeregrineIncomplete -Source $source -Reason "the search from $($slice[0].ToString('o')) to $($slice[1].ToString('o')) stalled $($restarts + 1) times ($stalled)." }
                if (-not $stalled -and $count -ge $UalSessionCap) { Add-PeregrineIncomplete -Source $source -Reason "more than $UalSessionCap records in one minute from $($slice[0].ToString('o')): the rest were not returned." }
                foreach ($p in $pages) {
                    $page++
                    $total += $p.Rows.Count
                    Save-PeregrineFile -Source $source -RelativePath ('{0}/page-{1:d4}.json' -f $source, $page) -Text (ConvertTo-Json -InputObject $p.Rows -Depth 10) -Records $p.Rows.Count -Request @{ cmdlet = 'Search-UnifiedAuditLog'; StartDate = $p.Start.ToString('o'); EndDate = $p.End.ToString('o'); SessionId = $p.Session; SessionCommand = 'ReturnLargeSet'; ResultSize = $UalCallSize }
                }
                $done = $true
            }
        }
    }
    Write-Host "$($source): $total records in $page pages."
}

# ---- read --------------------------------------------------------------------------------------------------------
Connect-MgGraph -Environment $CloudInfo.Graph -TenantId $Tenant -Scopes $GraphScopes -NoWelcome
$Account = (Get-MgContext).Account

foreach ($s in $GraphSources) {
    $path = if ($s.Paged) { $s.Path + ($(if ($s.Path.Contains('?')) { '&' } else { '?' })) + '$top=999' } else { $s.Path }
    Save-GraphPages -Source $s.Source -Path $path
}

# App-role grants, on the resource side: Microsoft Graph's and Office 365 Exchange Online's service principals.
foreach ($appId in $AppRoleResources) {
    try {
        $found = Invoke-MgGraphRequest -Method GET -Uri ($CloudInfo.GraphUrl + "/v1.0/servicePrincipals(appId='" + $appId + "')" + '?$select=id') -OutputType PSObject
        Save-GraphPages -Source 'graph.appRoleAssignedTo' -Path ("/v1.0/servicePrincipals/$($found.id)/appRoleAssignedTo" + '?$top=999')
    } catch {
        Add-PeregrineIncomplete -Source 'graph.appRoleAssignedTo' -Reason "the service principal of $appId could not be read: $($_.Exception.Message)"
    }
}

if ($Window) {
    foreach ($s in $LogSources) {
        if ($s.Source -eq 'graph.directoryAudits' -and -not $CloudInfo.DirectoryAudits) {
            Add-PeregrineIncomplete -Source $s.Source -Reason 'Microsoft Graph documents directory audits for the global and US government clouds only: an empty result here may not mean no audits.'
        }
        $clause = "$($s.TimeProperty) ge $($Window.from) and $($s.TimeProperty) lt $($Window.to)"
        if ($s.Filter) { $clause += " and $($s.Filter)" }
        $filter = [uri]::EscapeDataString($clause)
        Save-GraphPages -Source $s.Source -Path ($s.Path + '?$filter=' + $filter + '&$top=1000')
    }
}

if (-not $SkipExchange) {
    Connect-ExchangeOnline -ExchangeEnvironmentName $CloudInfo.Exchange -ShowBanner:$false
    foreach ($s in $ExchangeSources) {
        Save-ExchangeOutput -Source $s.Source -RelativePath "$($s.Source).json" -Read $s.Read -Request @{ cmdlet = $s.Read.ToString().Trim() }
    }
    $i = 0
    foreach ($mailbox in $InboxRuleMailboxes) {
        $i++
        Save-ExchangeOutput -Source 'exo.inboxRules' -RelativePath ('exo.inboxRules/mailbox-{0:d4}.json' -f $i) -Read { Get-InboxRule -Mailbox $mailbox } -Request @{ cmdlet = 'Get-InboxRule'; Mailbox = $mailbox }
    }
    if ($Window) { Save-UnifiedAuditLog }
}

# ---- the manifest ------------------------------------------------------------------------------------------------
$manifest = [ordered]@{
    format = $Format
    generatedBy = ${psString(`peregrine ${input.toolVersion} script collect`)}
    tenant = $Tenant
    tenantId = (Get-MgContext).TenantId
    cloud = $Cloud
    account = $Account
    window = $Window
    inboxRuleMailboxes = $InboxRuleMailboxes
    exchange = -not $SkipExchange
    startedAt = $StartedAt
    finishedAt = [DateTime]::UtcNow.ToString('o')
    files = $script:Files
    incomplete = $script:Incomplete
}
[System.IO.File]::WriteAllText((Join-Path -Path $OutputFolder -ChildPath 'manifest.json'), (ConvertTo-Json -InputObject $manifest -Depth 8), [System.Text.UTF8Encoding]::new($false))
Write-Host "Done: $($script:Files.Count) files in $OutputFolder; $($script:Incomplete.Count) sources incomplete. Hand over the whole folder."
`;
}
