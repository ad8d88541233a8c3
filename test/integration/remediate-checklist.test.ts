// Vitest (plain Node): the whole checklist — contain, eradicate, recover, verify and harden — through the CLI against
// the simulator on both scenarios, signed in as a clean administrator: the phases run with --yes, the steps only medium
// findings call for (forwarding people set up themselves) held back for their own confirmation, the checklist verified
// live, a re-collection, and then no high or critical finding the checklist has not closed; the decoys and every
// object the attack did not make byte for byte as they were; no token, password or secret in the case file, its -wal
// or the CLI's output.
import fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimHandle } from '../sim/server';
import type { ScenarioName } from '../sim/scenario';
import { DIRECTORY_ROLES } from '../sim/wellknown';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { detect } from '../../main/detect/engine';
import { scanForSecrets, simCli } from '../support/sim-cli';

interface StepJson { id: string; action: string; phase: string; state: string; confirmSeparately?: boolean; target: { id: string; name: string | null } }

/** What the attack did not make and no step may change: the decoys, partner mail flow, every mailbox, other users. */
function untouched(sim: SimHandle): Record<string, string> {
  const t = sim.tenant;
  const truth = sim.groundTruth;
  const m = truth.maliciousObjects;
  const apps = new Set(m.applicationObjectIds);
  const sps = new Set(m.servicePrincipalIds);
  const taken = new Set(truth.compromisedAccounts.map((a) => a.id));
  const x = sim.exchange.state;
  const maliciousRbac = new Set(x.groundTruth().appRbac.malicious.roleAssignmentNames);
  // The attack exempts a taken admin from mailbox auditing (where it did not lift the exemption itself).
  const bypassed = new Set(t.attack.compromisedAdmins.map((a) => a.userId));
  const campaign = new Set([...x.groundTruth().maliciousInboundConnectors.map((c) => c.guid), ...x.groundTruth().maliciousTransportRules.map((r) => r.guid)]);
  return {
    decoys: JSON.stringify(truth.decoys.map((d) => ({
      application: t.applications.find((a) => a.id === d.applicationObjectId) ?? null,
      servicePrincipal: t.servicePrincipals.find((s) => s.id === d.servicePrincipalId) ?? null,
      appRoles: t.appRoleAssignments.filter((a) => a.principalId === d.servicePrincipalId),
      roles: t.directoryRoleAssignments.filter((r) => r.principalId === d.servicePrincipalId),
      grants: t.oauth2PermissionGrants.filter((g) => g.clientId === d.servicePrincipalId),
    }))),
    applications: JSON.stringify(t.applications.filter((a) => !apps.has(a.id))),
    servicePrincipals: JSON.stringify(t.servicePrincipals.filter((s) => !sps.has(s.id))),
    appRoleAssignments: JSON.stringify(t.appRoleAssignments.filter((a) => !sps.has(a.principalId))),
    grants: JSON.stringify(t.oauth2PermissionGrants.filter((g) => !sps.has(g.clientId))),
    roleAssignments: JSON.stringify(t.directoryRoleAssignments.filter((r) => !sps.has(r.principalId))),
    otherUsers: JSON.stringify(t.users.filter((u) => !taken.has(u.id))),
    existingPolicies: JSON.stringify(t.conditionalAccessPolicies.filter((p) => !p.displayName.startsWith('Peregrine:'))),
    connectors: JSON.stringify(x.inboundConnectors.filter((c) => !campaign.has(c.guid))),
    outboundConnectors: JSON.stringify(x.outboundConnectors),
    transportRules: JSON.stringify(x.transportRules.filter((r) => !campaign.has(r.guid))),
    mailboxes: JSON.stringify(x.mailboxUsers().map((u) => ({ mailbox: x.mailbox(u), rules: x.inboxRules(u) }))),
    // Exchange's own grants: every app role assignment but the campaign's, every mailbox-audit exemption but the one it set.
    appRbac: JSON.stringify({ principals: x.exchangeServicePrincipals, assignments: x.appRoleAssignments.filter((a) => !maliciousRbac.has(a.name)) }),
    auditBypass: JSON.stringify([...x.auditBypass.entries()].filter(([key]) => !bypassed.has(key))),
  };
}

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('the whole checklist through the CLI', () => {
  it.each([['contoso', 1], ['fabrikam', 11]] as [ScenarioName, number][])('%s (seed %i): contain → harden, verified live, re-collected, nothing standing, decoys untouched', async (scenario, seed) => {
    const { sim, envFile, file, ios, run, close } = await simCli(`peregrine-checklist-${scenario}-`, { scenario, seed });
    cleanup = close;
    const truth = sim.groundTruth;
    // The consultant remediates as a Global Administrator the attack did not take (never as an account it did).
    const globalAdmin = DIRECTORY_ROLES.globalAdministrator.templateId;
    const takenIds = new Set(truth.compromisedAccounts.map((a) => a.id));
    const clean = sim.tenant.users.find((u) => !takenIds.has(u.id) && sim.tenant.directoryRoleAssignments.some((r) => r.principalId === u.id && r.roleDefinitionId === globalAdmin))!;
    expect(clean, 'a Global Administrator the attack did not take').toBeDefined();
    const signIn = ['--env', envFile, '--auto-approve-on-sim', '--login-hint', clean.userPrincipalName];

    expect((await run('case', 'create', file, '--name', scenario, '--examiner', 'A. Examiner')).code).toBe(0);
    expect((await run('collect', file, '--env', envFile, '--auto-approve-on-sim', '--exchange')).code).toBe(0);
    const plan = await run('remediate', file, 'plan', '--json');
    const steps = (JSON.parse(plan.out) as { steps: StepJson[] }).steps;
    expect([...new Set(steps.map((s) => s.phase))]).toEqual(['contain', 'eradicate', 'recover', 'verify', 'harden']);
    // Forwarding people set up themselves is a lead (medium): held back for its own confirmation, nothing else is.
    const separate = steps.filter((s) => s.confirmSeparately);
    expect(separate.length).toBeGreaterThan(0);
    expect(separate.map((s) => s.action)).toEqual(separate.map(() => 'exo.remove-mailbox-forwarding'));
    const before = untouched(sim);

    // A read transaction held open keeps the -wal beside the case, to be scanned too.
    const holder = new BetterSqlite3(file);
    try {
      holder.pragma('journal_mode = WAL');
      holder.exec('BEGIN');
      holder.prepare('SELECT count(*) FROM custody').get();
      for (const phase of ['contain', 'eradicate', 'recover', 'harden']) {
        const r = await run('remediate', file, 'run', '--phase', phase, ...signIn, '--yes');
        expect(r.err).toContain(`Signed in for remediation as ${clean.userPrincipalName}`);
        expect(r.err.split('\n').filter((l) => l.startsWith('Preflight'))).toEqual([]);
        expect(r.code, `${phase}\n${r.out}`).toBe(0);
        for (const s of steps.filter((x) => x.phase === phase)) {
          expect(r.out, s.id).toContain(`${s.confirmSeparately ? 'held' : 'verified'}`.padEnd(10) + ' ');
          if (s.confirmSeparately) expect(r.out).toContain(`peregrine remediate ${file} run ${s.id} --yes --confirm-separately`);
        }
      }
      // Before a new collection the loop cannot close: every change is verified live, and the verify says to collect.
      const early = await run('remediate', file, 'verify', ...signIn);
      expect(early.code, early.out).toBe(1);
      expect(early.out).toMatch(/Collect again .*started before the last change/);
      expect(early.out).not.toMatch(/^failed /m);
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
      scanForSecrets(sim, [file, `${file}-wal`], ios);
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }

    // Nothing the attack did not make was changed, the held-back forwarding included.
    expect(untouched(sim)).toEqual(before);
    // The tenant shows it: the apps deleted, the campaign's connector and rules gone, the taken accounts reset.
    expect(sim.tenant.applications.filter((a) => truth.maliciousObjects.applicationObjectIds.includes(a.id))).toEqual([]);
    const exo = sim.exchange.state.groundTruth();
    expect(sim.exchange.state.inboundConnectors.filter((c) => exo.maliciousInboundConnectors.some((m) => m.guid === c.guid))).toEqual([]);
    expect(sim.exchange.state.transportRules.filter((r) => exo.maliciousTransportRules.some((m) => m.guid === r.guid))).toEqual([]);
    expect(sim.tenant.conditionalAccessPolicies.filter((p) => p.displayName.startsWith('Peregrine:')).map((p) => p.state)).toEqual(['enabled', 'enabled']);
    // The app's Exchange role assignment is gone and the taken admin's mailbox access is audited again.
    expect(sim.exchange.state.appRoleAssignments.filter((a) => exo.appRbac.malicious.roleAssignmentNames.includes(a.name))).toEqual([]);
    expect(exo.auditBypass.malicious).toEqual([]);
    expect(sim.exchange.state.auditBypassRows().filter((r) => r.enabled).map((r) => r.name)).toEqual(exo.auditBypass.decoys.map((d) => d.name));

    // Closing the loop: a new collection, then verify the checklist — live re-reads and nothing left standing.
    expect((await run('collect', file, '--env', envFile, '--auto-approve-on-sim', '--exchange')).code).toBe(0);
    const verified = await run('remediate', file, 'verify', ...signIn, '--json');
    const result = JSON.parse(verified.out) as { steps: { id: string; state: string }[]; standing: { key: string; reason: string }[]; recollection: string };
    expect(result.standing).toEqual([]);
    expect(verified.code, verified.out).toBe(0);
    expect(result.recollection).toMatch(/shows no high or critical finding the checklist has not closed/);
    expect(result.steps.length).toBeGreaterThan(10);
    expect(result.steps.filter((s) => s.state !== 'verified')).toEqual([]);

    // Every step but the held-back ones is verified, the re-collection included; those stay planned.
    const status = JSON.parse((await run('remediate', file, 'status', '--json')).out) as { steps: { id: string; state: string }[] };
    const heldIds = new Set(separate.map((s) => s.id));
    // The re-collection step is recorded verified, as nothing stands after it.
    expect(status.steps.filter((s) => !heldIds.has(s.id) && s.state !== 'verified').map((s) => s.id)).toEqual([]);
    expect(status.steps.filter((s) => heldIds.has(s.id)).map((s) => s.state)).toEqual(separate.map(() => 'planned'));
    expect(status.steps.find((s) => s.id.startsWith('case.recollect:'))?.state).toBe('verified');

    // And the new collection itself: no high or critical finding on anything the attack made that is still there.
    const maliciousIds = new Set([...truth.maliciousObjects.applicationObjectIds, ...truth.maliciousObjects.servicePrincipalIds, ...truth.maliciousObjects.appRoleAssignmentIds, ...truth.maliciousObjects.roleAssignmentIds].map((id) => id.toLowerCase()));
    const { db } = openCase(file, { readonly: true });
    try {
      const left = detect(db).findings.filter((f) => (f.severity === 'high' || f.severity === 'critical') && f.objects.some((o) => maliciousIds.has(o.id.toLowerCase())));
      expect(left.map((f) => f.key)).toEqual([]);
    } finally {
      closeDatabase(db);
    }
    expect(untouched(sim)).toEqual(before);
    expect((await run('verify', file)).code).toBe(0);
    scanForSecrets(sim, [file], ios);
  }, 900_000);
});
