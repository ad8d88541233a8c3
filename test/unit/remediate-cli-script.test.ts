// `remediate script` and `import-results` handlers: the script written once (never over a file), the result file read whole before anything is recorded, errors that name the file, line and field.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../main/cli';
import { importResultsSubcommand, planDigest, scriptSubcommand, type RecordedPlan } from '../../main/remediate/cli-script';
import type { ImportedResult } from '../../main/remediate/results';
import { RESULTS_FORMAT } from '../../main/remediate/powershell';
import { capturedIo } from '../support/cli-io';
import { PLAN, rules, TENANT } from '../support/remediation-fixture';

const PLANNED: RecordedPlan = { steps: PLAN, statuses: [], refs: {}, tenant: { id: TENANT, domain: 'contoso.onmicrosoft.com' }, caseName: 'Contoso' };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-script-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('script', () => {
  it('writes the script of the pending steps and says how to run it', () => {
    const io = capturedIo();
    const out = path.join(dir, 'fix.ps1');
    expect(scriptSubcommand(['--out', out], io, PLANNED)).toBe(0);
    const script = fs.readFileSync(out, 'utf8');
    expect(script).toContain(`$PlanSha256 = '${planDigest(PLAN)}'`);
    expect(script).toContain(`made ${io.clock().toISOString()}`);
    expect(io.stdout[0]).toBe(`Wrote ${out}: 4 steps, ${rules.items.length + 3} items.`);
    expect(io.stdout.join('\n')).toContain('-WhatIf');
  });

  it('never overwrites a file, and needs --out', () => {
    const out = path.join(dir, 'fix.ps1');
    fs.writeFileSync(out, 'keep me');
    expect(() => scriptSubcommand(['--out', out], capturedIo(), PLANNED)).toThrow(UsageError);
    expect(fs.readFileSync(out, 'utf8')).toBe('keep me');
    expect(() => scriptSubcommand([], capturedIo(), PLANNED)).toThrow(/needs --out/);
    expect(() => scriptSubcommand(['--out', out, '--bogus'], capturedIo(), PLANNED)).toThrow(UsageError);
  });

  it('says so when nothing is pending, and writes nothing', () => {
    const io = capturedIo();
    const out = path.join(dir, 'none.ps1');
    const statuses = PLAN.map((s) => ({ id: s.id, state: 'verified' as const, items: [] }));
    expect(scriptSubcommand(['--out', out], io, { ...PLANNED, statuses })).toBe(0);
    expect(io.stdout).toEqual(['No step is pending: nothing to put in a script.']);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('import-results', () => {
  const write = (results: unknown[], over: Record<string, unknown> = {}) => {
    const file = path.join(dir, 'results.json');
    fs.writeFileSync(file, JSON.stringify({ format: RESULTS_FORMAT, tenantId: TENANT, planSha256: planDigest(PLAN), results, ...over }, null, 2));
    return file;
  };
  const row = (itemKey: string, outcome: string, note = '') => ({ stepId: rules.id, itemKey, outcome, at: '2026-12-07T21:05:00Z', account: 'admin@contoso.com', note });

  it('records every result at once, and reports what it recorded', () => {
    const io = capturedIo();
    const recorded: ImportedResult[][] = [];
    const [a, b, c] = rules.items.map((i) => i.key);
    const file = write([row(a!, 'done'), row(b!, 'failed', 'Access denied'), row(c!, 'whatif')]);
    expect(importResultsSubcommand([file], io, PLANNED, (r) => recorded.push([...r]))).toBe(0);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.map((r) => [r.itemKey, r.outcome])).toEqual([[a, 'done-outside'], [b, 'failed']]);
    expect(io.stdout[0]).toBe(`Recorded 2 results from ${file}: 1 done outside Peregrine, 1 failed, 0 skipped; 1 only described (-WhatIf), not recorded.`);
    expect(io.stdout).toContain(`  failed  ${rules.id} ${b}: Access denied`);
    expect(io.stderr).toEqual([]);
  });

  it('records nothing from a file with one bad row, and names its line and field', () => {
    const recorded: unknown[] = [];
    const file = write([row(rules.items[0]!.key, 'done'), row('not-an-item', 'done')]);
    expect(() => importResultsSubcommand([file], capturedIo(), PLANNED, (r) => recorded.push(r))).toThrow(`${file}:16: results[1].itemKey: step ${rules.id} has no item "not-an-item"`);
    expect(recorded).toEqual([]);
  });

  it('warns when the plan changed since the script was made', () => {
    const io = capturedIo();
    const file = write([row(rules.items[0]!.key, 'done')], { planSha256: 'c'.repeat(64) });
    importResultsSubcommand([file], io, PLANNED, () => undefined);
    expect(io.stderr).toEqual(['The plan changed since this script was made: results are matched to the steps and items they name.']);
  });

  it('refuses a missing file and a missing argument', () => {
    expect(() => importResultsSubcommand([path.join(dir, 'nope.json')], capturedIo(), PLANNED, () => undefined)).toThrow(/does not exist/);
    expect(() => importResultsSubcommand([], capturedIo(), PLANNED, () => undefined)).toThrow(/needs the result file/);
  });
});
