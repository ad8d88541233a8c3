// Vitest (plain Node): the steps for what Exchange grants beside the directory, through the CLI on a collected contoso
// case — the app's Exchange RBAC role assignment removed (eradicate) and the taken admin's mailbox-audit exemption
// lifted (recover): planned for the attacker's objects only, a dry run writing nothing, a write whose answer is lost
// and the re-run proving it by a live read without writing twice, custody entries with the object's hashes before and
// after, the PowerShell script, and the archiving service's assignment and exemption left byte for byte.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanForSecrets, simCli, type SimCli } from '../support/sim-cli';
import { DIRECTORY_ROLES } from '../sim/wellknown';

interface StepJson {
  id: string; action: string; phase: string; confirmSeparately?: boolean; destructive: boolean;
  needs: { exchangeRoles: string[]; directoryRoles: string[] };
  items: { key: string; target: { name: string | null }; powershell: string[]; undo: { powershell: string[] } | null }[];
}
interface ItemJson { key: string; outcome: string | null; note: string; beforeSha256: string | null; afterSha256: string | null }

let t: SimCli;
let steps: StepJson[];
let signIn: string[];

const stepOf = (action: string) => steps.filter((s) => s.action === action);
async function statusOf(stepId: string): Promise<{ state: string; items: ItemJson[] }> {
  const status = await t.run('remediate', t.file, 'status', '--json');
  return (JSON.parse(status.out) as { steps: { id: string; state: string; items: ItemJson[] }[] }).steps.find((s) => s.id === stepId)!;
}

/** The archiving service's role assignment and exemption, as the tenant holds them: never to change. */
function decoys(): string {
  const x = t.sim.exchange.state;
  const truth = x.groundTruth();
  const names = new Set(truth.appRbac.decoys.flatMap((d) => d.roleAssignmentNames));
  return JSON.stringify({
    assignments: x.appRoleAssignments.filter((a) => names.has(a.name)),
    principals: x.exchangeServicePrincipals,
    exemptions: x.serviceAccounts,
  });
}

beforeAll(async () => {
  t = await simCli('peregrine-remediate-exchange-access-', { scenario: 'contoso', seed: 1 });
  const taken = new Set(t.sim.groundTruth.compromisedAccounts.map((a) => a.id));
  const admin = t.sim.tenant.users.find((u) => !taken.has(u.id) && t.sim.tenant.directoryRoleAssignments.some((r) => r.principalId === u.id && r.roleDefinitionId === DIRECTORY_ROLES.globalAdministrator.templateId))!;
  signIn = ['--env', t.envFile, '--auto-approve-on-sim', '--login-hint', admin.userPrincipalName];
  expect((await t.run('case', 'create', t.file, '--name', 'Exchange access', '--examiner', 'A. Examiner')).code).toBe(0);
  expect((await t.run('collect', t.file, '--env', t.envFile, '--auto-approve-on-sim', '--exchange')).code).toBe(0);
  steps = (JSON.parse((await t.run('remediate', t.file, 'plan', '--json')).out) as { steps: StepJson[] }).steps;
}, 300_000);

afterAll(async () => {
  await t?.close();
});

describe('Exchange RBAC and mailbox-audit exemption steps', () => {
  it('plans one step for the attacker\'s role assignment (eradicate) and one for its exemption (recover), none for the archiving service', () => {
    const truth = t.sim.exchange.state.groundTruth();
    const roles = stepOf('exo.remove-app-role-assignments');
    expect(roles.map((s) => s.phase)).toEqual(['eradicate']);
    expect(roles[0]!.items.map((i) => i.target.name)).toEqual(truth.appRbac.malicious.roleAssignmentNames);
    expect(roles[0]!.items[0]!.powershell).toEqual([`Remove-ManagementRoleAssignment -Identity '${truth.appRbac.malicious.roleAssignmentNames[0]}' -Confirm:$false`]);
    expect(roles[0]!.items[0]!.undo?.powershell[0]).toMatch(/^New-ManagementRoleAssignment -App '[0-9a-f-]{36}' -Role 'Application Mail\.Send'$/);
    expect(roles[0]!.needs).toEqual({ graphScopes: [], exchangeRoles: ['Role Management'], directoryRoles: ['Exchange Administrator'] });
    expect(roles[0]!.destructive).toBe(true);

    const bypass = stepOf('exo.disable-audit-bypass');
    expect(bypass.map((s) => s.phase)).toEqual(['recover']);
    const admin = t.sim.tenant.users.find((u) => u.id === t.sim.tenant.attack.compromisedAdmins[0]!.userId)!;
    expect(truth.auditBypass.malicious).toEqual([t.sim.exchange.state.mailbox(admin).name]);
    expect(bypass[0]!.items.map((i) => i.target.name)).toEqual([admin.userPrincipalName]);
    expect(bypass[0]!.items[0]!.powershell).toEqual([`Set-MailboxAuditBypassAssociation -Identity '${admin.userPrincipalName}' -AuditBypassEnabled:$false -Confirm:$false`]);
    expect(bypass[0]!.needs.exchangeRoles).toEqual(['Audit Logs']);
    expect([...roles, ...bypass].some((s) => s.confirmSeparately)).toBe(false);

    // The decoys are named by no step.
    const named = JSON.stringify(steps);
    for (const d of truth.appRbac.decoys.flatMap((x) => x.roleAssignmentNames)) expect(named).not.toContain(d);
    for (const d of truth.auditBypass.decoys) expect(named).not.toContain(d.name);
  });

  it('names the Exchange role and its role group an account without Exchange administration lacks', async () => {
    const user = t.sim.tenant.users.find((u) => !t.sim.tenant.directoryRoleAssignments.some((r) => r.principalId === u.id))!;
    const [step] = stepOf('exo.remove-app-role-assignments');
    const r = await t.run('remediate', t.file, 'run', step!.id, '--env', t.envFile, '--auto-approve-on-sim', '--login-hint', user.userPrincipalName, '--dry-run');
    expect(r.err).toContain(`Preflight: ${step!.id} needs the role Exchange Administrator, the Exchange role Role Management (role group Organization Management)`);
  });

  it('a dry run reads and writes nothing to the tenant', async () => {
    const before = JSON.stringify({ a: t.sim.exchange.state.appRoleAssignments, b: t.sim.exchange.state.auditBypassRows() });
    for (const s of [...stepOf('exo.remove-app-role-assignments'), ...stepOf('exo.disable-audit-bypass')]) {
      const r = await t.run('remediate', t.file, 'run', s.id, ...signIn, '--dry-run');
      expect(r.code, r.out).toBe(0);
      expect((await statusOf(s.id)).items.map((i) => i.outcome)).toEqual(['dry-run']);
    }
    expect(JSON.stringify({ a: t.sim.exchange.state.appRoleAssignments, b: t.sim.exchange.state.auditBypassRows() })).toBe(before);
  });

  it.each([
    ['exo.remove-app-role-assignments', 'Remove-ManagementRoleAssignment', 'removeAppRoleAssignment'],
    ['exo.disable-audit-bypass', 'Set-MailboxAuditBypassAssociation', 'setAuditBypass'],
  ] as const)('%s: the write\'s answer is lost; the re-run proves it live and writes nothing more; the decoys stay as they were', async (action, cmdlet, method) => {
    const [step] = stepOf(action);
    const state = t.sim.exchange.state;
    const before = decoys();
    const calls: unknown[] = [];
    const original = state[method].bind(state) as (...args: unknown[]) => unknown;
    (state as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      calls.push(args[0]);
      return original(...args);
    };
    try {
      // The item is a read, the write and a read again, all POSTs to InvokeCommand: the write reaches the tenant, its answer does not.
      t.sim.faults.set({ rules: [{ kind: 'drop', method: 'POST', path: '/adminapi/', after: 1, count: 1 }] });
      const first = await t.run('remediate', t.file, 'run', step!.id, ...signIn, '--yes');
      t.sim.faults.clear();
      expect(first.code).toBe(1);
      const lost = await statusOf(step!.id);
      expect(lost.state).toBe('failed');
      expect(lost.items[0]!.note).toMatch(new RegExp(`connection was lost during ${cmdlet} .*Run the step again`));
      expect(calls).toHaveLength(1);

      const again = await t.run('remediate', t.file, 'run', step!.id, ...signIn, '--yes');
      expect(again.code, again.out).toBe(0);
      const done = await statusOf(step!.id);
      expect(done.state).toBe('verified');
      expect(done.items[0]!.note).toBe('The tenant shows the change an earlier run of this step sent; nothing more was written.');
      expect(calls).toHaveLength(1);
    } finally {
      t.sim.faults.clear();
      (state as unknown as Record<string, unknown>)[method] = original;
    }
    expect(decoys()).toBe(before);
  });

  it('records each outcome in custody with the live object\'s hash before and after, and proves it again on verify', async () => {
    const truth = t.sim.exchange.state.groundTruth();
    expect(t.sim.exchange.state.appRoleAssignments.map((a) => a.name)).toEqual(truth.appRbac.decoys.flatMap((d) => d.roleAssignmentNames));
    expect(truth.auditBypass.malicious).toEqual([]);
    expect(t.sim.exchange.state.auditBypassRows().filter((r) => r.enabled).map((r) => r.name)).toEqual(truth.auditBypass.decoys.map((d) => d.name));

    const ids = [...stepOf('exo.remove-app-role-assignments'), ...stepOf('exo.disable-audit-bypass')].map((s) => s.id);
    // Verify the checklist: each object read again live, still as the step left it.
    const verify = await t.run('remediate', t.file, 'run', '--phase', 'verify', ...signIn);
    for (const id of ids) expect(verify.out.split('\n').find((l) => l.endsWith(`(${id})`))).toMatch(/^verified /);
    const db = new BetterSqlite3(t.file, { readonly: true });
    try {
      const entries = (db.prepare(`SELECT details FROM custody WHERE action = 'remediation.action'`).pluck().all() as string[])
        .map((d) => JSON.parse(d) as { step: string; outcome: string; before: string | null; after: string | null })
        .filter((d) => ids.includes(d.step));
      const sha = /^[0-9a-f]{64}$/;
      for (const id of ids) {
        // (The role step's first entry is the read refused to the account without Exchange administration.)
        const outcomes = entries.filter((e) => e.step === id).slice(-4);
        expect(outcomes.map((e) => e.outcome)).toEqual(['dry-run', 'failed', 'verified', 'verified']);
        const [, lost, proved, again] = outcomes;
        // The object as read before the write whose answer was lost; the re-run's read showing the change: another object.
        expect(lost!.before).toMatch(sha);
        expect(proved!.before).toMatch(sha);
        expect(proved!.before).not.toBe(lost!.before);
        // Verify's live re-read: no before, the read's hash after, the same object the re-run proved.
        expect(again!.before).toBeNull();
        expect(again!.after).toMatch(sha);
      }
    } finally {
      db.close();
    }
    scanForSecrets(t.sim, [t.file], t.ios);
  });

  it('writes both steps into the PowerShell script of a fresh plan', async () => {
    const fresh = await simCli('peregrine-remediate-exchange-script-', { scenario: 'contoso', seed: 1 });
    try {
      expect((await fresh.run('case', 'create', fresh.file, '--name', 'Script', '--examiner', 'A. Examiner')).code).toBe(0);
      expect((await fresh.run('collect', fresh.file, '--env', fresh.envFile, '--auto-approve-on-sim', '--exchange')).code).toBe(0);
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-script-')), 'remediate.ps1');
      expect((await fresh.run('remediate', fresh.file, 'plan')).code).toBe(0);
      const r = await fresh.run('remediate', fresh.file, 'script', '--out', out);
      expect(r.code, r.err).toBe(0);
      const script = fs.readFileSync(out, 'utf8');
      const truth = fresh.sim.exchange.state.groundTruth();
      expect(script).toContain(`Remove-ManagementRoleAssignment -Identity '${truth.appRbac.malicious.roleAssignmentNames[0]}' -Confirm:$false`);
      expect(script).toContain('Get-ManagementRoleAssignment -Identity');
      const admin = fresh.sim.tenant.users.find((u) => u.id === fresh.sim.tenant.attack.compromisedAdmins[0]!.userId)!;
      const lift = script.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('Set-MailboxAuditBypassAssociation '));
      expect(lift).toHaveLength(1);
      expect(lift[0]!.split(' ').sort()).toEqual(['Set-MailboxAuditBypassAssociation', '-AuditBypassEnabled:$false', '-Identity', `'${admin.userPrincipalName}'`, '-Confirm:$false'].sort());
      for (const d of truth.appRbac.decoys.flatMap((x) => x.roleAssignmentNames)) expect(script).not.toContain(d);
    } finally {
      await fresh.close();
    }
  }, 300_000);
});
