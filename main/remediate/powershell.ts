// Main process / CLI: `peregrine remediate script` — one PowerShell 7 script of the pending steps, written from the
// same step items the engine executes (one request, one line), with -WhatIf, the same before-and-after reads, and a
// result file that `import-results` reads back.
import type { PlannedStep, RemediationRequest, StepItem, StepStatus } from './model';
import { parseRef, PASSWORD_LINE, PASSWORD_VARIABLE, psRequest, psString, refVariable } from './ps';

export const RESULTS_FORMAT = 'peregrine-remediation-results/1';

/** What the script records per item; `import-results` turns them into done-outside, failed or skipped. */
export const SCRIPT_OUTCOMES = ['done', 'already-absent', 'failed', 'changed', 'skipped', 'whatif'] as const;
export type ScriptOutcome = (typeof SCRIPT_OUTCOMES)[number];

export interface ScriptInput {
  steps: readonly PlannedStep[];
  /** Steps already verified, done, skipped or done outside are left out; the rest are pending. */
  statuses?: readonly StepStatus[];
  tenant: { id: string; domain: string };
  caseName: string;
  generatedAt: string;
  /** Values other steps already recorded (a created policy's id), by `<stepId>/<itemKey>/<field>`. */
  refs?: Readonly<Record<string, string>>;
}

const DONE_STATES = new Set(['verified', 'done', 'skipped', 'done-outside']);

/** The steps a script holds: not yet done, with something to run (a new collection is Peregrine's own step). */
export function pendingSteps(steps: readonly PlannedStep[], statuses: readonly StepStatus[] = []): PlannedStep[] {
  const state = new Map(statuses.map((s) => [s.id, s.state]));
  return [...steps].sort((a, b) => a.order - b.order).filter((s) => s.items.length > 0 && !DONE_STATES.has(state.get(s.id) ?? 'planned'));
}

/** A comment line: one line, whatever the text holds. */
const comment = (text: string) => `# ${text.replace(/[\r\n\u2028\u2029]+/g, ' ')}`;

const uniq = <T>(xs: readonly T[]) => [...new Set(xs)];

const allRequests = (steps: readonly PlannedStep[]) => steps.flatMap((s) => s.items.flatMap((i) => [i.read, ...i.writes]));

/** Every `{{ref:…}}` the requests use, as `<stepId>/<itemKey>/<field>`. */
function refsUsed(requests: readonly RemediationRequest[]): string[] {
  const found = JSON.stringify(requests).match(/\{\{ref:[^}]+\}\}/g) ?? [];
  return uniq(found).map((r) => {
    const ref = parseRef(r);
    if (!ref) throw new Error(`A step holds a reference Peregrine cannot read: ${r}.`);
    return `${ref.stepId}/${ref.itemKey}/${ref.field}`;
  });
}

const PRELUDE = String.raw`
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$script:Results = [System.Collections.Generic.List[object]]::new()
$script:Account = $null

# One result per item, the file rewritten after each so a run that breaks off leaves what it did.
function Write-PeregrineResult([string] $StepId, [string] $ItemKey, [string] $Outcome, [string] $Note) {
    $script:Results.Add([ordered]@{ stepId = $StepId; itemKey = $ItemKey; outcome = $Outcome; at = [DateTime]::UtcNow.ToString('o'); account = $script:Account; note = $Note })
    $document = [ordered]@{ format = $ResultsFormat; tenantId = $TenantId; planSha256 = $PlanSha256; results = $script:Results }
    ConvertTo-Json -InputObject $document -Depth 6 | Set-Content -LiteralPath $ResultsPath -Encoding utf8
    Write-Host "[$Outcome] $StepId $ItemKey $Note"
}

# A dotted path into an object, a hashtable or a list: value.0.id.
function Get-PeregrineValue($Object, [string] $Path) {
    $value = $Object
    foreach ($key in $Path.Split('.')) {
        if ($null -eq $value) { break }
        if ($value -is [System.Collections.IList] -and $key -match '^\d+$') { $value = if ([int] $key -lt $value.Count) { $value[[int] $key] } else { $null }; continue }
        if ($value -is [System.Collections.IDictionary]) { $value = $value[$key]; continue }
        $property = $value.PSObject.Properties[$key]
        $value = if ($property) { $property.Value } else { $null }
    }
    Write-Output -NoEnumerate $value
}

# The fields (of a JSON object of dotted paths and values) the live object no longer shows.
function Compare-PeregrineFields($Live, [string] $ExpectedJson) {
    $changed = [System.Collections.Generic.List[string]]::new()
    foreach ($entry in (ConvertFrom-Json -InputObject $ExpectedJson -AsHashtable).GetEnumerator()) {
        $got = Get-PeregrineValue $Live $entry.Key
        $want = $entry.Value
        if ((ConvertTo-Json -InputObject $got -Compress -Depth 20) -cne (ConvertTo-Json -InputObject $want -Compress -Depth 20)) { $changed.Add($entry.Key) }
    }
    Write-Output -NoEnumerate $changed.ToArray()
}

# Graph's 404 and Exchange's "couldn't be found".
function Test-PeregrineNotFound($ErrorRecord) {
    $text = "$($ErrorRecord.Exception.Message) $($ErrorRecord.CategoryInfo.Reason)"
    return $text -match "couldn't be found|ManagementObjectNotFound|Request_ResourceNotFound|NotFound|\b404\b"
}

# The live object, or $null when it is gone.
function Read-PeregrineObject([scriptblock] $Read) {
    try { Write-Output -NoEnumerate (& $Read) } catch { if (Test-PeregrineNotFound $_) { return $null }; throw }
}

# Whether the live object shows the change: absent, fields equal, a date at or after the write, a list without an entry.
function Test-PeregrineExpect($Live, [hashtable] $Expect, [DateTimeOffset] $Since) {
    switch ($Expect.kind) {
        'absent' { return $null -eq $Live }
        'equals' { return ($null -ne $Live) -and ((Compare-PeregrineFields $Live $Expect.json).Count -eq 0) }
        'notBefore' {
            $value = Get-PeregrineValue $Live $Expect.path
            if ($null -eq $value) { return $false }
            $at = if ($value -is [DateTime]) { [DateTimeOffset] $value } else { [DateTimeOffset]::Parse([string] $value, [Globalization.CultureInfo]::InvariantCulture) }
            return $at -ge $Since.AddMilliseconds(-$Since.Millisecond)
        }
        'listLacks' { return -not @(@(Get-PeregrineValue $Live $Expect.path) | Where-Object { [string] (Get-PeregrineValue $_ $Expect.field) -eq $Expect.value }).Count }
    }
    return $false
}
`;

/** The expectation as the hashtable Test-PeregrineExpect reads. */
function psExpect(item: StepItem): string {
  const e = item.expect;
  if ('absent' in e) return "@{ kind = 'absent' }";
  if ('equals' in e) return `@{ kind = 'equals'; json = ${psString(JSON.stringify(e.equals))} }`;
  if ('notBefore' in e) return `@{ kind = 'notBefore'; path = ${psString(e.notBefore.path)} }`;
  return `@{ kind = 'listLacks'; path = ${psString(e.listLacks.path)}; field = ${psString(e.listLacks.field)}; value = ${psString(e.listLacks.value)} }`;
}

const indent = (lines: string[], by = '    ') => lines.map((l) => (l ? by + l : l));

/** One item: read, compare with what it was planned on, ask (ShouldProcess), write, read again, record. */
function itemBlock(step: PlannedStep, item: StepItem, captures: ReadonlyMap<string, string[]>): string[] {
  const ids = `${psString(step.id)} ${psString(item.key)}`;
  const what = psString(`${item.target.name ?? item.target.id} (${item.target.kind} ${item.target.id})`);
  const secret = JSON.stringify(item.writes).includes('{{secret:password}}');
  const fields = captures.get(`${step.id}/${item.key}`) ?? [];
  const writes = item.writes.map((w, n) => (n === item.writes.length - 1 && fields.length > 0 ? `$response = ${psRequest(w)}` : psRequest(w)));
  const body = [
    // A step only medium or lower findings call for is held back unless named with -ConfirmSeparately, as in the app.
    ...(step.confirmSeparately
      ? [`if ($ConfirmSeparately -notcontains ${psString(step.id)}) { Write-PeregrineResult ${ids} 'whatif' ${psString(`Held back: only medium or lower findings call for this step. Check with its owner, then run the script again with -ConfirmSeparately '${step.id}'.`)}; return }`]
      : []),
    `$live = Read-PeregrineObject { ${psRequest(item.read)} }`,
    ...('absent' in item.expect ? [`if ($null -eq $live) { Write-PeregrineResult ${ids} 'already-absent' 'Already gone before the change.'; return }`] : []),
    ...(Object.keys(item.plannedOn).length > 0
      ? [
          `$changed = if ($null -eq $live) { @('(the object is gone)') } else { Compare-PeregrineFields $live ${psString(JSON.stringify(item.plannedOn))} }`,
          `if ($changed.Count -gt 0) { Write-PeregrineResult ${ids} 'changed' "Changed since the plan was made: $($changed -join ', '). Nothing was written."; return }`,
        ]
      : []),
    `if (-not $PSCmdlet.ShouldProcess(${what}, ${psString(step.title)})) { Write-PeregrineResult ${ids} 'whatif' 'Not changed (-WhatIf or declined).'; return }`,
    '$since = [DateTimeOffset]::UtcNow',
    ...(secret ? [PASSWORD_LINE] : []),
    ...writes,
    ...(secret ? [`Write-Host (${psString(`Temporary password for ${item.target.name ?? item.target.id} (shown once, not recorded): `)} + ${PASSWORD_VARIABLE})`, `Remove-Variable ${PASSWORD_VARIABLE.slice(1)}`] : []),
    // Kept in the script's scope: a later step's request names it.
    ...fields.map((f) => `${refVariable(parseRefKey(f)).replace('$', '$script:')} = [string] (Get-PeregrineValue $response ${psString(parseRefKey(f).field)})`),
    `$after = Read-PeregrineObject { ${psRequest(item.read)} }`,
    `if (Test-PeregrineExpect $after ${psExpect(item)} $since) { Write-PeregrineResult ${ids} 'done' 'The tenant shows the change.' }`,
    `else { Write-PeregrineResult ${ids} 'done' 'Written; the tenant does not show it yet.' }`,
  ];
  return [
    comment(`Item ${item.key}: ${item.target.kind} ${item.target.name ?? item.target.id}`),
    '& {',
    '    try {',
    ...indent(body, '        '),
    `    } catch { Write-PeregrineResult ${ids} 'failed' "$($_.Exception.Message)" }`,
    '}',
  ];
}

function parseRefKey(key: string): { stepId: string; itemKey: string; field: string } {
  const [stepId, itemKey, field] = key.split('/');
  return { stepId: stepId!, itemKey: itemKey!, field: field! };
}

/**
 * The script: a parameter block (-WhatIf, -Confirm, where the results go), the helpers, the sign-ins the steps need
 * (Connect-MgGraph with exactly their scopes, Connect-ExchangeOnline), then each pending step's items in checklist order.
 */
export function remediationScript(input: ScriptInput, planSha256: string): string {
  const steps = pendingSteps(input.steps, input.statuses);
  if (steps.length === 0) throw new Error('No step is pending: there is nothing to put in a script.');
  const requests = allRequests(steps);
  const inScript = new Set(steps.flatMap((s) => s.items.map((i) => `${s.id}/${i.key}`)));
  const captures = new Map<string, string[]>();
  const given: string[] = [];
  for (const key of refsUsed(requests)) {
    const ref = parseRefKey(key);
    const source = `${ref.stepId}/${ref.itemKey}`;
    if (inScript.has(source)) captures.set(source, uniq([...(captures.get(source) ?? []), key]));
    else if (input.refs?.[key] !== undefined) given.push(`${refVariable(ref)} = ${psString(input.refs[key])}`);
    else throw new Error(`Step ${ref.stepId} must be run first: a later step needs the ${ref.field} it records.`);
  }
  const scopes = uniq(steps.filter((s) => s.items.some((i) => [i.read, ...i.writes].some((r) => r.api === 'graph'))).flatMap((s) => s.needs.graphScopes)).sort();
  const graph = requests.some((r) => r.api === 'graph');
  const exchange = requests.some((r) => r.api === 'exchange');
  const roles = uniq(steps.flatMap((s) => s.needs.directoryRoles)).sort();
  const lines = [
    '#Requires -Version 7.0',
    ...(graph ? ['#Requires -Modules Microsoft.Graph.Authentication'] : []),
    ...(exchange ? ['#Requires -Modules ExchangeOnlineManagement'] : []),
    comment(`Peregrine remediation script for ${input.tenant.domain} (${input.tenant.id}), case "${input.caseName}", made ${input.generatedAt}.`),
    comment(`${steps.length} pending steps, in checklist order. Run it with -WhatIf first; each change asks before it is made unless -Confirm:$false.`),
    comment('Before each change the object is read again and compared with what the plan was made on; a changed object is left alone.'),
    ...(steps.some((s) => s.confirmSeparately)
      ? [comment(`Held back unless named with -ConfirmSeparately (only medium or lower findings call for them; check with their owners first): ${steps.filter((s) => s.confirmSeparately).map((s) => s.id).join(', ')}.`)]
      : []),
    comment(`Roles the signed-in account needs: ${roles.join(', ') || 'none'}.`),
    comment('The result file it writes is read back with: peregrine remediate <case> import-results <file>'),
    "[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]",
    'param(',
    "    [string] $ResultsPath = (Join-Path (Get-Location) 'peregrine-results.json'),",
    '    [string[]] $ConfirmSeparately = @(),',
    "    [string] $GraphEnvironment = 'Global',",
    "    [string] $ExchangeEnvironmentName = 'O365Default'",
    ')',
    `$TenantId = ${psString(input.tenant.id)}`,
    `$ResultsFormat = ${psString(RESULTS_FORMAT)}`,
    `$PlanSha256 = ${psString(planSha256)}`,
    ...PRELUDE.trim().split('\n'),
    '',
    ...(graph ? [`Connect-MgGraph -TenantId $TenantId -Environment $GraphEnvironment -Scopes ${scopes.map(psString).join(', ')} -NoWelcome`, '$script:Account = (Get-MgContext).Account'] : []),
    ...(exchange ? [`Connect-ExchangeOnline -Organization ${psString(input.tenant.domain)} -ExchangeEnvironmentName $ExchangeEnvironmentName -ShowBanner:$false`] : []),
    ...(exchange && !graph ? ['$script:Account = (Get-ConnectionInformation | Select-Object -First 1).UserPrincipalName'] : []),
    ...given,
  ];
  for (const [n, step] of steps.entries()) {
    lines.push(
      '',
      comment(`---- Step ${n + 1} of ${steps.length}: ${step.title}`),
      comment(`Id ${step.id}; phase ${step.phase}; risk ${step.risk}${step.destructive ? '; destructive' : ''}${step.confirmSeparately ? '; held back unless named with -ConfirmSeparately' : ''}.`),
      comment(`Why: ${step.why}`),
      ...(step.after.length > 0 ? [comment(`After: ${step.after.join(', ')}`)] : []),
      ...step.items.flatMap((item) => itemBlock(step, item, captures)),
    );
  }
  lines.push('', "Write-Host \"Results written to $ResultsPath. Read them back with: peregrine remediate <case> import-results $ResultsPath\"", '');
  return lines.join('\n');
}
