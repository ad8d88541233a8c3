// The PowerShell remediation script and its result file: one line per planned request, hostile names kept inside literals, -WhatIf and the before-read guard in place, and every problem in a result file named by line and field.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pendingSteps, remediationScript, RESULTS_FORMAT } from '../../main/remediate/powershell';
import { psRequest } from '../../main/remediate/ps';
import { parseResults, ResultsFileError } from '../../main/remediate/results';
import { HOSTILE_NAMES, lexSingleQuoted } from '../support/ps-lex';
import { enforce, INPUT, PLAN, reportOnly, rules, ruleItem, SHA, step, TENANT } from '../support/remediation-fixture';
import { onPath, prerequisite } from '../support/prerequisites';

describe('remediationScript', () => {
  const script = remediationScript(INPUT, SHA);
  const lines = script.split('\n');

  it('is a PowerShell 7 advanced script that supports -WhatIf and asks before each change', () => {
    expect(lines[0]).toBe('#Requires -Version 7.0');
    expect(script).toContain("[CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]");
    expect(script.match(/\$PSCmdlet\.ShouldProcess\(/g)).toHaveLength(HOSTILE_NAMES.length + 3);
    expect(script).toContain("Connect-MgGraph -TenantId $TenantId -Environment $GraphEnvironment -Scopes 'Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess', 'User-PasswordProfile.ReadWrite.All' -NoWelcome");
    expect(script).toContain("Connect-ExchangeOnline -Organization 'contoso.onmicrosoft.com'");
  });

  it('writes each planned request as exactly one line, in checklist order, and nothing for a new collection', () => {
    const writes = PLAN.flatMap((s) => s.items.flatMap((i) => i.writes.map(psRequest)));
    const found = writes.map((w) => lines.findIndex((l) => l.trim() === w || l.trim() === `$response = ${w}`));
    expect(found.every((n) => n > 0)).toBe(true);
    expect([...found].sort((a, b) => a - b)).toEqual(found);
    expect(script).not.toContain('case.recollect');
  });

  it('keeps every hostile rule name inside its literals: the code around them is what a plain name gives', () => {
    const plain = remediationScript({ ...INPUT, steps: [step({ ...rules, items: HOSTILE_NAMES.map((_n, i) => ruleItem(`0000000${i}-0dbf-4bc4-a0c8-7ec1cb58ba9d`, `Rule${i}`)) })] }, SHA);
    const hostile = remediationScript({ ...INPUT, steps: [rules] }, SHA);
    expect(lexSingleQuoted(hostile).code).toBe(lexSingleQuoted(plain).code);
    const strings = lexSingleQuoted(hostile).strings;
    for (const name of HOSTILE_NAMES) expect(strings.some((s) => s.includes(name))).toBe(true);
    // Comments hold the title and the why on one line each, whatever they contain.
    for (const l of hostile.split('\n').filter((x) => x.startsWith('# '))) expect(l).not.toMatch(/[\r\u2028]/);
  });

  it('compares the live object with what the step was planned on before writing, and records a change instead', () => {
    const block = script.slice(script.indexOf('# Item u1:'));
    expect(block.indexOf('Compare-PeregrineFields $live')).toBeLessThan(block.indexOf('Invoke-MgGraphRequest -Method PATCH'));
    expect(script).toContain("'changed' \"Changed since the plan was made");
  });

  it('makes the temporary password in the script, shows it once, never writes it to the results', () => {
    const at = lines.findIndex((l) => l.includes('Invoke-MgGraphRequest -Method PATCH -Uri \'/v1.0/users/u1\''));
    expect(lines[at - 1]).toMatch(/^\s*\$password = \[Convert\]::ToBase64String\(\[System\.Security\.Cryptography\.RandomNumberGenerator\]::GetBytes\(18\)\)/);
    expect(lines[at]).toContain("'password' = $password");
    expect(lines.filter((l) => l.includes('$password')).map((l) => l.trim().split(' ')[0])).toEqual(['$password', 'Invoke-MgGraphRequest', 'Write-Host']);
    expect(script).toContain('Remove-Variable password');
    expect(script).not.toContain('{{secret');
  });

  it('passes a created policy\'s id to the step that enforces it, or takes it from what Peregrine recorded', () => {
    expect(script).toContain("$script:ref_ca_admin_mfa_report_only_71386dbc_bc4e_428a_8d77_edc375ab1697_policy_id = [string] (Get-PeregrineValue $response 'id')");
    expect(script).toContain("-Uri ('/v1.0/identity/conditionalAccess/policies/' + $ref_ca_admin_mfa_report_only_71386dbc_bc4e_428a_8d77_edc375ab1697_policy_id)");
    const statuses = [{ id: reportOnly.id, state: 'verified' as const, items: [] }];
    expect(() => remediationScript({ ...INPUT, statuses }, SHA)).toThrow(/ca\.admin-mfa-report-only:.* must be run first/);
    const later = remediationScript({ ...INPUT, statuses, refs: { [`${reportOnly.id}/policy/id`]: "id-'1" } }, SHA);
    expect(later).toContain("$ref_ca_admin_mfa_report_only_71386dbc_bc4e_428a_8d77_edc375ab1697_policy_id = 'id-''1'");
  });

  it('holds back a step only medium findings call for unless it is named with -ConfirmSeparately, before reading anything', () => {
    const lead = { ...rules, confirmSeparately: true };
    const held = remediationScript({ ...INPUT, steps: [lead] }, SHA);
    expect(held).toContain('    [string[]] $ConfirmSeparately = @(),');
    expect(held).toMatch(new RegExp(`^# Held back unless named with -ConfirmSeparately .*: ${lead.id.replace(/[.]/g, '\\.')}\\.$`, 'm'));
    const heldLines = held.split('\n');
    for (const item of lead.items) {
      const at = heldLines.findIndex((l) => l.startsWith(`# Item ${item.key}:`));
      const guard = heldLines.findIndex((l, i) => i > at && l.includes('$ConfirmSeparately -notcontains'));
      const read = heldLines.findIndex((l, i) => i > at && l.includes('$live = Read-PeregrineObject'));
      expect(guard, item.key).toBeGreaterThan(at);
      expect(guard, item.key).toBeLessThan(read);
      expect(heldLines[guard]).toContain(`'whatif'`);
    }
    // A step the high findings call for has no guard.
    expect(script).not.toContain('$ConfirmSeparately -notcontains');
  });

  it('holds only the pending steps, and refuses to make an empty script', () => {
    const statuses = PLAN.map((s) => ({ id: s.id, state: 'verified' as const, items: [] }));
    expect(pendingSteps(PLAN, statuses.slice(0, 2)).map((s) => s.id)).toEqual([reportOnly.id, enforce.id]);
    expect(() => remediationScript({ ...INPUT, statuses }, SHA)).toThrow(/No step is pending/);
  });

  const pwsh = prerequisite([onPath('pwsh', ['-NoProfile', '-Command', 'exit 0'])], { optional: 'PowerShell is not in the Debian archive' });
  it.skipIf(pwsh.skip)(pwsh.title('parses without errors in PowerShell 7'), () => {
    pwsh.check();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-ps-'));
    try {
      const file = path.join(dir, 'remediate.ps1');
      fs.writeFileSync(file, script);
      const r = spawnSync('pwsh', ['-NoProfile', '-Command', `$e = $null; [void][System.Management.Automation.Language.Parser]::ParseFile('${file}', [ref]$null, [ref]$e); $e | ForEach-Object { $_.ToString() }; exit $e.Count`], { encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A result file as PowerShell 7's ConvertTo-Json writes it (two-space indent). */
const resultsFile = (results: unknown[], over: Record<string, unknown> = {}) => JSON.stringify({ format: RESULTS_FORMAT, tenantId: TENANT, planSha256: SHA, results, ...over }, null, 2);
const row = (over: Record<string, unknown> = {}) => ({ stepId: rules.id, itemKey: rules.items[0]!.key, outcome: 'done', at: '2026-12-07T21:05:00.1234567Z', account: 'admin@contoso.com', note: 'The tenant shows the change.', ...over });

describe('parseResults', () => {
  const parse = (content: string) => parseResults('r.json', content, PLAN, TENANT);
  const failure = (content: string) => {
    try {
      parse(content);
    } catch (error) {
      expect(error).toBeInstanceOf(ResultsFileError);
      return (error as ResultsFileError).message;
    }
    throw new Error('parsed');
  };

  it('turns done and already-absent into done-outside, failed and changed into failed, and leaves -WhatIf rows out', () => {
    const items = rules.items.map((i) => i.key);
    const parsed = parse(resultsFile([
      row({ itemKey: items[0] }), row({ itemKey: items[1], outcome: 'already-absent', note: 'gone' }), row({ itemKey: items[2], outcome: 'changed', note: 'Name' }),
      row({ itemKey: items[3], outcome: 'failed', note: 'Access denied' }), row({ itemKey: items[4], outcome: 'whatif' }), row({ itemKey: items[5], outcome: 'skipped', account: null }),
    ]));
    expect(parsed.results.map((r) => [r.itemKey, r.outcome])).toEqual([[items[0], 'done-outside'], [items[1], 'done-outside'], [items[2], 'failed'], [items[3], 'failed'], [items[5], 'skipped']]);
    expect(parsed.notRun).toBe(1);
    expect(parsed.results[2]!.note).toBe('changed: Name');
    expect(parsed.results[0]!.at).toBe('2026-12-07T21:05:00.123Z');
    expect(parsed.results[1]!.source).toBe('r.json:14');
  });

  it('accepts the byte-order mark PowerShell may write', () => {
    expect(parse(`\uFEFF${resultsFile([row()])}`).results).toHaveLength(1);
  });

  it('names the line and field of what is wrong', () => {
    expect(failure(resultsFile([row(), row({ outcome: 'verified' })]))).toMatch(/^r\.json:17: results\[1\]\.outcome: not one of done, already-absent/);
    expect(failure(resultsFile([row(), row(), row({ stepId: 'app.delete:evil' })]))).toBe('r.json:23: results[2].stepId: no step "app.delete:evil" in this case\'s plan');
    expect(failure(resultsFile([row({ itemKey: 'nope' })]))).toMatch(/^r\.json:8: results\[0\]\.itemKey: step exo\.remove-transport-rules:.* has no item "nope"/);
    expect(failure(resultsFile([row({ at: 'yesterday' })]))).toBe('r.json:10: results[0].at: not an ISO 8601 date-time');
    expect(failure(resultsFile([row({ extra: 1 })]))).toMatch(/^r\.json:6: results\[0\]: /);
    expect(failure(resultsFile([row()], { tenantId: '00000000-0000-0000-0000-000000000000' }))).toMatch(/^r\.json:3: tenantId: the results are for tenant 0{8}/);
    expect(failure(resultsFile([row()], { format: 'something/2' }))).toMatch(/^r\.json:2: format: /);
    expect(failure('{\n  "format": "peregrine-remediation-results/1",\n  "results": [,]\n}')).toMatch(/^r\.json:3: not JSON/);
    expect(failure('{\n  "format": "x",\n  "results": [\n    {"a": tru}\n  ]\n}')).toBe('r.json:4: not JSON: expected a value, found "t"');
    expect(failure('{\n  "format": "x\n"}')).toBe('r.json:2: not JSON: a control character inside a string, found "\\n"');
    expect(failure(`${resultsFile([])}\n{}`)).toMatch(/^r\.json:\d+: not JSON: expected the end of the file/);
    expect(failure('['.repeat(100_000))).toMatch(/^r\.json:1: not JSON: nesting deeper/);
    expect(failure(' '.repeat(6 * 1024 * 1024))).toMatch(/^r\.json: larger than 5 MiB/);
  });
});
