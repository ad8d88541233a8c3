// Vitest (plain Node): `peregrine remediate` in-process — help for every form, usage errors before anything is opened or
// sent, and plan/status on a case with no collection yet.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../main/cli';
import { listCustody } from '../../db/queries/custody';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { capturedIo } from '../support/cli-io';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-remediate-cli-'));
  file = path.join(dir, 'case.peregrine');
  expect(await main(['case', 'create', file, '--name', 'R', '--examiner', 'E'], capturedIo())).toBe(0);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('peregrine remediate', () => {
  it('answers --help in every form, and is listed in the main help', async () => {
    for (const args of [['remediate', '--help'], ['remediate', file, 'plan', '--help'], ['remediate', file, 'run', '--help'], ['remediate', file, 'status', '-h']]) {
      const io = capturedIo();
      expect(await main(args, io)).toBe(0);
      expect(io.stdout.join('\n')).toMatch(/^Usage: peregrine remediate <case> <command>/);
      expect(io.stdout.join('\n')).toContain('--phase contain|eradicate|recover|harden');
    }
    const io = capturedIo();
    expect(await main(['remediate'], io)).toBe(2);
    const help = capturedIo();
    await main(['--help'], help);
    expect(help.stdout.join('\n')).toContain('  remediate <case> plan');
  });

  it.each([
    [['run', '--phase', 'contain', '--dry-run', '--yes', '--env', 'x.json'], /--dry-run and --yes contradict/],
    [['run', '--phase', 'cleanup', '--env', 'x.json'], /--phase takes contain, eradicate, recover, verify, harden, not "cleanup"/],
    [['run', '--env', 'x.json'], /Expected <step id>/],
    [['run', 'sp.disable:1', '--sign-in', 'magic', '--env', 'x.json'], /--sign-in takes browser or device-code, not "magic"/],
    [['run', 'sp.disable:1'], /Name the tenant: --env <environment file> \| --tenant <domain\|id> \[--cloud commercial\|gcc\|gcchigh\|dod\|china\]/],
    [['run', 'sp.disable:1', '--tenant', 'contoso.onmicrosoft.com', '--cloud', 'mars'], /--cloud must be one of commercial, gcc, gcchigh, dod, china, not "mars"/],
    [['run', 'sp.disable:1', '--env', 'x.json', '--cloud', 'dod'], /--cloud goes with --tenant: an environment file names its own cloud/],
    [['run', 'sp.disable:1', '--env', 'x.json', '--tenant', 'contoso.onmicrosoft.com'], /not both/],
    [['undo'], /Unknown remediate command "undo" \(plan, run, verify, status, script, import-results\)/],
  ])('refuses %j with a usage error (exit 2) and records nothing', async (args, message) => {
    const io = capturedIo();
    expect(await main(['remediate', file, ...args], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
    const { db } = openCase(file, { readonly: true });
    try {
      expect(listCustody(db).map((e) => e.action)).toEqual(['case.created']);
    } finally {
      closeDatabase(db);
    }
  });

  it('says there is nothing to plan or report before a collection', async () => {
    const plan = capturedIo();
    expect(await main(['remediate', file, 'plan'], plan)).toBe(0);
    expect(plan.stdout.join('\n')).toMatch(/No remediation steps/);
    const json = capturedIo();
    expect(await main(['remediate', file, 'plan', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout.join('\n'))).toEqual({ steps: [] });
    const status = capturedIo();
    expect(await main(['remediate', file, 'status'], status)).toBe(0);
    expect(status.stdout.join('\n')).toMatch(/No remediation plan recorded yet/);
  });

  it('names the case file it cannot open', async () => {
    const io = capturedIo();
    expect(await main(['remediate', path.join(dir, 'missing.peregrine'), 'status'], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('missing.peregrine');
  });
});
