// The client-runs-it path through the CLI on a collected case: `remediate plan`, then `script --out` writes one
// PowerShell script of the pending steps, and `import-results` records what its result file says — each item done
// outside Peregrine (never shown as verified), every result a custody entry, the case still verifying.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import { main as cli } from '../../main/cli';
import { closeDatabase } from '../../db/connection';
import { verifyCaseFile } from '../../main/case/verify';
import { RESULTS_FORMAT } from '../../main/remediate/powershell';
import type { PlannedStep } from '../../main/remediate/model';
import { capturedIo } from '../support/cli-io';

describe('remediate script and import-results', () => {
  let c: CollectedCase;
  let steps: PlannedStep[];
  let planSha256 = '';
  beforeAll(async () => {
    c = await collectedCase({ scenario: 'contoso' });
    closeDatabase(c.db);
    const io = capturedIo();
    expect(await cli(['remediate', c.file, 'plan', '--json'], io), io.stderr.join('\n')).toBe(0);
    // `plan --json` adds each step's state; the plan itself is the steps without it.
    steps = (JSON.parse(io.stdout.join('\n')) as { steps: (PlannedStep & { state?: string })[] }).steps.map(({ state: _state, ...step }) => step);
  }, 300_000);
  afterAll(async () => c?.dispose());

  it('writes the script of the pending steps, never over a file', async () => {
    const out = path.join(path.dirname(c.file), 'fix.ps1');
    const io = capturedIo();
    expect(await cli(['remediate', c.file, 'script', '--out', out], io), io.stderr.join('\n')).toBe(0);
    const script = fs.readFileSync(out, 'utf8');
    // The plan's fingerprint, as recorded in the case, goes into the script and back in its result file.
    planSha256 = /^\$PlanSha256 = '([0-9a-f]{64})'$/m.exec(script)?.[1] ?? '';
    expect(planSha256).toMatch(/^[0-9a-f]{64}$/);
    const truth = c.sim.groundTruth;
    expect(script).toContain(truth.maliciousApp.servicePrincipalId);
    // Every step with something to change is pending; the verify phase's re-collection has no request to script.
    const scripted = steps.filter((s) => s.items.length > 0);
    expect(steps.length - scripted.length).toBe(1);
    expect(io.stdout[0]).toMatch(new RegExp(`^Wrote .*fix\\.ps1: ${scripted.length} steps, ${scripted.reduce((n, s) => n + s.items.length, 0)} items\\.$`));
    const again = capturedIo();
    expect(await cli(['remediate', c.file, 'script', '--out', out], again)).toBe(2);
    expect(again.stderr.join('\n')).toMatch(/exists: choose another --out/);
    const help = capturedIo();
    expect(await cli(['remediate', c.file, 'script', '--help'], help)).toBe(0);
    expect(help.stdout.join('\n')).toMatch(/^Usage: peregrine remediate <case> script --out <file\.ps1>/);
  });

  it('records the results the script wrote as done outside Peregrine, each a custody entry, and the case verifies', async () => {
    const disable = steps.find((s) => s.action === 'sp.disable')!;
    const results = path.join(path.dirname(c.file), 'results.json');
    fs.writeFileSync(results, JSON.stringify({
      format: RESULTS_FORMAT, tenantId: c.sim.groundTruth.tenantId, planSha256,
      results: disable.items.map((i) => ({ stepId: disable.id, itemKey: i.key, outcome: 'done', at: '2026-12-07T21:05:00Z', account: 'admin@contoso.onmicrosoft.com', note: 'run by the client' })),
    }, null, 2));
    const io = capturedIo();
    expect(await cli(['remediate', c.file, 'import-results', results], io), io.stderr.join('\n')).toBe(0);
    expect(io.stderr.join('\n')).not.toMatch(/plan changed/);
    expect(io.stdout[0]).toMatch(new RegExp(`^Recorded ${disable.items.length} results? from .*results\\.json: ${disable.items.length} done outside Peregrine, 0 failed, 0 skipped\\.$`));
    const status = capturedIo();
    expect(await cli(['remediate', c.file, 'status', '--json'], status)).toBe(0);
    const row = (JSON.parse(status.stdout.join('\n')) as { steps: { id: string; state: string }[] }).steps.find((s) => s.id === disable.id);
    expect(row?.state).toBe('done-outside');
    expect(verifyCaseFile(c.file, { deep: true })).toMatchObject({ ok: true, problems: [] });

    // A result file naming a step the plan does not have records nothing and says where.
    fs.writeFileSync(results, JSON.stringify({ format: RESULTS_FORMAT, tenantId: c.sim.groundTruth.tenantId, planSha256, results: [{ stepId: 'no.such:step', itemKey: 'x', outcome: 'done', at: '2026-12-07T21:05:00Z', account: null, note: '' }] }, null, 2));
    const bad = capturedIo();
    expect(await cli(['remediate', c.file, 'import-results', results], bad)).not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/results\.json.*no\.such:step/);
  });
});
