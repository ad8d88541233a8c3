// Vitest (plain Node): the engine's Exchange path against the simulator — the remediation sign-in to Graph and Exchange
// Online, Remove-TransportRule through InvokeCommand and the guard — and the attacker's app putting the rule back between
// the removal and the read that proves it: `done`, not verified, until the app is contained and the step runs again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { loadEnvironmentFile, type TenantEnvironment } from '../../main/auth/environment';
import { createHttpTransport } from '../../main/http/https';
import { createCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { listActions } from '../../db/queries/remediation';
import { createWriteGuard } from '../../main/remediate/guard';
import { createTenantClient } from '../../main/remediate/tenant';
import { createEngine } from '../../main/remediate/engine';
import { remediationSignIn, type RemediationSession } from '../../main/remediate/sign-in';
import type { PlannedStep, StepItem } from '../../main/remediate/model';

let dir: string;
let sim: SimHandle;
let env: TenantEnvironment;
let db: Database;
let session: RemediationSession;

const RULE = 'Test01';

const ruleItem: StepItem = {
  key: RULE, target: { kind: 'transportRule', id: RULE, name: RULE },
  read: { api: 'exchange', cmdlet: 'Get-TransportRule', parameters: { Identity: RULE } },
  plannedOn: { Name: RULE },
  writes: [{ api: 'exchange', cmdlet: 'Remove-TransportRule', parameters: { Identity: RULE, Confirm: false } }],
  expect: { absent: true },
  powershell: [`Remove-TransportRule -Identity '${RULE}' -Confirm:$false`], undo: null,
};

const step: PlannedStep = {
  id: 'exo.remove-transport-rules:tenant', phase: 'eradicate', order: 1, action: 'exo.remove-transport-rules', title: 'Remove the header-stripping rules', why: 'test',
  findingKeys: [], target: { kind: 'tenant', id: 'tenant', name: null }, items: [ruleItem],
  needs: { graphScopes: [], exchangeRoles: ['Transport Rules'], directoryRoles: ['Exchange Administrator'] }, risk: 'medium', destructive: true, after: [],
  source: { runId: 'r', evidenceId: null, evidenceSha256: null },
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-remediate-exo-'));
  sim = await startSimulator({ scenario: 'contoso', seed: 1, users: 60, exchange: { attackerRecreatesRules: true } });
  env = loadEnvironmentFile((await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile);
  ({ db } = createCase(path.join(dir, 'case.peregrine'), { name: 'Exchange', examiner: 'Examiner' }, { clock: () => new Date(), toolVersion: 'test' }));
  const transport = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' });
  const admin = sim.groundTruth.compromisedUser.userPrincipalName;
  session = await remediationSignIn({
    env, transport, clock: () => new Date(), steps: [step], method: 'device-code', openBrowser: null,
    onPrompt: () => (p) => void sim.approve(p.userCode, admin), onFallback: () => undefined,
  });
}, 120_000);

afterAll(async () => {
  if (db) closeDatabase(db);
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function engine() {
  const transport = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' });
  const guard = createWriteGuard(transport, [new URL(env.graphBaseUrl).hostname, ...env.exchangeHosts]);
  const client = createTenantClient({
    transport: guard.transport, graphBaseUrl: env.graphBaseUrl, graphToken: session.graphToken,
    exchange: { ...session.exchange!, invokeUrl: `${env.exchangeBaseUrl}/adminapi/beta/${session.account.tenantId}/InvokeCommand` },
  });
  return createEngine({ db, client, guard, account: session.account.username, actor: 'Examiner', clock: () => new Date(), protectedIds: new Set(), standingIds: new Set(['tenant']) });
}

const rules = () => sim.exchange.state.transportRules.filter((r) => r.name === RULE);

describe('Remove-TransportRule through the engine', () => {
  it('signs in to Exchange Online as the same account as Graph, for a step that sends cmdlets', () => {
    expect(session.exchange?.anchorMailbox).toBe(`UPN:${session.account.username}`);
  });

  it('records done, not verified, when the attacker app puts the rule back before the proof is read', async () => {
    const before = rules()[0]!;
    const [r] = await engine().runStep(step, 'write');
    expect(r!.outcome, r!.note).toBe('done');
    const again = rules();
    expect(again).toHaveLength(1);
    expect(again[0]!.guid).not.toBe(before.guid);
    const maliciousSp = sim.tenant.servicePrincipals.find((s) => s.appId === sim.tenant.attack.maliciousAppId)!;
    expect(again[0]!.createdBy).toBe(maliciousSp.displayName);
  });

  it('verifies the removal once the app is contained, on a re-run that sends it again', async () => {
    sim.tenant.servicePrincipals.find((s) => s.appId === sim.tenant.attack.maliciousAppId)!.accountEnabled = false;
    const [r] = await engine().runStep(step, 'write');
    expect([r!.outcome, r!.unchanged]).toEqual(['verified', false]);
    expect(rules()).toEqual([]);
    expect(listActions(db, step.id).map((a) => a.outcome)).toEqual(['done', 'verified']);
  });
});
