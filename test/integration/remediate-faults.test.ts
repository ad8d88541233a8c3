// Vitest (plain Node): the malicious app's steps through the CLI against a simulator that fails them — 403, throttling,
// a connection dropped in the middle of a bulk step, an object already removed, an object changed since the
// collection — each ending in a clear state, a recorded partial result and a safe re-run; the case still verifies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { main as cli } from '../../main/cli';
import { capturedIo } from '../support/cli-io';
import { directoryAuditId, directoryAuditRecord } from '../sim/logs/records';
import { createPrng } from '../sim/prng';

let dir: string;
let sim: SimHandle;
let envFile: string;
let file: string;
let stepOf: (action: string) => string;

async function run(...args: string[]) {
  const io = capturedIo();
  io.clock = () => new Date();
  const code = await cli(args, io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

const runStep = (action: string, ...extra: string[]) => run('remediate', file, 'run', stepOf(action), '--env', envFile, '--auto-approve-on-sim', '--yes', ...extra);

async function itemsOf(action: string): Promise<{ state: string; items: { key: string; outcome: string | null; note: string }[] }> {
  const status = await run('remediate', file, 'status', '--json');
  return (JSON.parse(status.out) as { steps: { id: string; state: string; items: { key: string; outcome: string | null; note: string }[] }[] }).steps.find((s) => s.id === stepOf(action))!;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-remediate-faults-'));
  sim = await startSimulator({ scenario: 'contoso', seed: 1, users: 120, reportsThrottle: { limit: 1_000_000 } });
  envFile = (await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile;
  file = path.join(dir, 'case.peregrine');
  addAttackerOwner();
  expect((await run('case', 'create', file, '--name', 'Faults', '--examiner', 'A. Examiner')).code).toBe(0);
  expect((await run('collect', file, '--env', envFile, '--auto-approve-on-sim')).code).toBe(0);
  const plan = await run('remediate', file, 'plan', '--json');
  const steps = (JSON.parse(plan.out) as { steps: { id: string; action: string }[] }).steps;
  stepOf = (action) => steps.find((s) => s.action === action)!.id;
}, 300_000);

afterAll(async () => {
  await sim?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const malicious = () => sim.groundTruth.maliciousObjects;

/** A user the attacker made owner of the app, and the "Add owner to application" audit Entra would have written. */
function addAttackerOwner(): void {
  const app = sim.groundTruth.maliciousApps[0]!;
  const owner = sim.tenant.users.find((u) => u.id !== sim.groundTruth.compromisedUser.id && !sim.groundTruth.compromisedAccounts.some((c) => c.id === u.id))!;
  sim.tenant.owners = { [app.applicationObjectId]: [owner.id] };
  const actor = sim.tenant.users.find((u) => u.id === sim.groundTruth.compromisedUser.id)!;
  const correlationId = '0f0e0d0c-0b0a-4908-8706-050403020100';
  sim.logs.directoryAudits.append(directoryAuditRecord({
    id: directoryAuditId(createPrng('remediate-faults/owner'), correlationId), ms: Date.parse(sim.groundTruth.referenceTime) - 3_600_000, correlationId,
    activityDisplayName: 'Add owner to application', category: 'ApplicationManagement', operationType: 'Assign',
    initiatedBy: { user: { id: actor.id, displayName: actor.displayName, userPrincipalName: actor.userPrincipalName, ipAddress: sim.groundTruth.attackerIp } },
    targetResources: [
      { id: owner.id, displayName: owner.displayName, type: 'User', userPrincipalName: owner.userPrincipalName, groupType: null, modifiedProperties: [] },
      { id: app.applicationObjectId, displayName: app.displayName, type: 'Application', userPrincipalName: null, groupType: null, modifiedProperties: [] },
    ],
  }));
}

describe('remediation faults against the simulator', () => {
  it('signed in app-only as the engagement app, which may only read, the tenant itself answers 403 and nothing changes', async () => {
    const sp = () => sim.tenant.servicePrincipals.find((s) => s.id === malicious().servicePrincipalId)!;
    const r = await run('remediate', file, 'run', stepOf('sp.disable'), '--env', envFile, '--app-only', '--yes');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Preflight: sp\.disable:\S+ needs Application\.ReadWrite\.All/);
    expect(r.out).toMatch(/failed .*HTTP 403 Authorization_RequestDenied/);
    expect(sp().accountEnabled).toBe(true);
  });

  it('a 403 fails the item, says which permission and role the step needs, and the re-run writes once allowed', async () => {
    const sp = () => sim.tenant.servicePrincipals.find((s) => s.id === malicious().servicePrincipalId)!;
    sim.faults.set({ rules: [{ kind: 'forbidden', method: 'PATCH', path: '/v1.0/servicePrincipals/' }] });
    const refused = await runStep('sp.disable');
    sim.faults.clear();
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/failed .*HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation\..*Application\.ReadWrite\.All.*Cloud Application Administrator/);
    expect(sp().accountEnabled).toBe(true);
    expect((await itemsOf('sp.disable')).state).toBe('failed');

    const allowed = await runStep('sp.disable');
    expect(allowed.code).toBe(0);
    expect(sp().accountEnabled).toBe(false);
    expect((await itemsOf('sp.disable')).state).toBe('verified');
  });

  it('waits as Retry-After asks when throttled, then writes', async () => {
    sim.faults.set({ rules: [{ kind: 'throttle', method: 'POST', path: '/v1.0/applications/', count: 1, retryAfterSeconds: 1 }] });
    const r = await runStep('app.remove-passwords');
    const hits = [...sim.faults.hits];
    sim.faults.clear();
    expect(r.code, r.out).toBe(0);
    expect(r.err).toContain('Throttled (HTTP 429); waiting 1 s as the service asked.');
    expect(hits.filter((h) => h.kind === 'throttle').map((h) => h.method)).toEqual(['POST']);
    const app = sim.tenant.applications.find((a) => a.id === malicious().applicationObjectId)!;
    expect(app.passwordCredentials.map((p) => p.keyId)).not.toEqual(expect.arrayContaining(malicious().credentialKeyIds));
  });

  it('an object someone already removed is recorded as already absent, not as a failure', async () => {
    const t = sim.tenant;
    const [assignment] = malicious().appRoleAssignmentIds;
    t.appRoleAssignments.splice(t.appRoleAssignments.findIndex((a) => a.id === assignment), 1);
    const before = sim.requests.length;
    const r = await runStep('sp.remove-app-roles');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/already-absent +appRoleAssignment Exchange\.ManageAsApp/);
    expect(sim.requests.slice(before).filter((q) => q.method === 'DELETE')).toEqual([]);
    expect((await itemsOf('sp.remove-app-roles')).state).toBe('verified');
  });

  it('a connection dropped in the middle of the bulk step fails that item only; the re-run proves it without sending it again', async () => {
    const roles = malicious().roleAssignmentIds;
    expect(roles.length).toBeGreaterThan(1);
    sim.faults.set({ rules: [{ kind: 'drop', method: 'DELETE', path: '/v1.0/roleManagement/directory/roleAssignments/', after: 1, count: 1 }] });
    const first = await runStep('sp.remove-directory-roles');
    sim.faults.clear();
    expect(first.code).toBe(1);
    const partial = await itemsOf('sp.remove-directory-roles');
    expect(partial.state).toBe('failed');
    expect(partial.items.map((i) => i.outcome)).toEqual(['verified', 'failed']);
    expect(partial.items[1]!.note).toMatch(/connection was lost during DELETE .*Run the step again/);

    const before = sim.requests.length;
    const again = await runStep('sp.remove-directory-roles');
    expect(again.code, again.out).toBe(0);
    // Only the failed item is read again; the dropped DELETE had reached the tenant, so nothing is sent twice.
    expect(sim.requests.slice(before).filter((q) => q.path.includes('/roleAssignments/')).map((q) => q.method)).toEqual(['GET']);
    const done = await itemsOf('sp.remove-directory-roles');
    expect([done.state, done.items[1]!.note]).toEqual(['verified', 'The tenant shows the change an earlier run of this step sent; nothing more was written.']);
    expect(sim.tenant.directoryRoleAssignments.filter((a) => roles.includes(a.id))).toEqual([]);
  });

  it('removes the owner the attacker added, and only that owner', async () => {
    const app = sim.groundTruth.maliciousApps[0]!;
    const owner = sim.tenant.owners![app.applicationObjectId]![0]!;
    const r = await runStep('app.remove-owners');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/verified +owner /);
    expect(sim.tenant.owners![app.applicationObjectId]).toEqual([]);
    expect((await itemsOf('app.remove-owners')).items.map((i) => [i.key, i.outcome])).toEqual([[owner, 'verified']]);
  });

  it('stops, writing nothing, when the object changed since the collection, and says what changed', async () => {
    const app = sim.tenant.applications.find((a) => a.id === malicious().applicationObjectId)!;
    const planned = app.displayName;
    app.displayName = 'Contoso Mail Sync';
    const r = await runStep('app.delete');
    expect(r.code).toBe(1);
    expect(r.out).toContain(`changed        application ${planned} — The object changed since the collection the step was planned on: displayName: planned "${planned}", now "Contoso Mail Sync".`);
    expect(sim.tenant.applications).toContain(app);

    const verified = await run('verify', file);
    expect(verified.code, verified.out).toBe(0);
  });
});
