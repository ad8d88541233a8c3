// Vitest (plain Node): the mail-flow steps through the CLI on a collected contoso case — the 12-rule bulk step losing
// its connection in the middle (the re-run finishes only what is left, one result per rule, each rule removed once),
// the forwarding steps only medium findings call for (held back from the phase run and from a bare --yes, written only
// with their own confirmation), the preflight naming the Exchange roles an account without them lacks, and the
// attacker putting a removed rule back after the step (the next collection shows it standing; the re-plan removes it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanForSecrets, simCli, type SimCli } from '../support/sim-cli';
import { DIRECTORY_ROLES } from '../sim/wellknown';
import type { TransportRuleSpec } from '../sim/exchange/objects';
import { randomUUID } from 'node:crypto';

let t: SimCli;
/** The campaign's rules as the bulk step removed them: the attacker's script can put one back. */
const removedRules: TransportRuleSpec[] = [];
let steps: { id: string; action: string; confirmSeparately?: boolean; items: { key: string; target: { name: string | null } }[] }[];
let signIn: string[];

const stepOf = (action: string) => steps.find((s) => s.action === action)!;
async function itemsOf(stepId: string): Promise<{ state: string; items: { key: string; outcome: string | null; note: string }[] }> {
  const status = await t.run('remediate', t.file, 'status', '--json');
  return (JSON.parse(status.out) as { steps: { id: string; state: string; items: { key: string; outcome: string | null; note: string }[] }[] }).steps.find((s) => s.id === stepId)!;
}

beforeAll(async () => {
  t = await simCli('peregrine-remediate-mail-', { scenario: 'contoso', seed: 1 });
  const taken = new Set(t.sim.groundTruth.compromisedAccounts.map((a) => a.id));
  const admin = t.sim.tenant.users.find((u) => !taken.has(u.id) && t.sim.tenant.directoryRoleAssignments.some((r) => r.principalId === u.id && r.roleDefinitionId === DIRECTORY_ROLES.globalAdministrator.templateId))!;
  signIn = ['--env', t.envFile, '--auto-approve-on-sim', '--login-hint', admin.userPrincipalName];
  expect((await t.run('case', 'create', t.file, '--name', 'Mail faults', '--examiner', 'A. Examiner')).code).toBe(0);
  expect((await t.run('collect', t.file, '--env', t.envFile, '--auto-approve-on-sim', '--exchange')).code).toBe(0);
  steps = (JSON.parse((await t.run('remediate', t.file, 'plan', '--json')).out) as { steps: typeof steps }).steps;
}, 300_000);

afterAll(async () => {
  await t?.close();
});

describe('mail-flow remediation faults', () => {
  it('names the Exchange role and its role groups an account without Exchange administration lacks', async () => {
    const user = t.sim.tenant.users.find((u) => !t.sim.tenant.directoryRoleAssignments.some((r) => r.principalId === u.id))!;
    const r = await t.run('remediate', t.file, 'run', stepOf('exo.remove-transport-rules').id, '--env', t.envFile, '--auto-approve-on-sim', '--login-hint', user.userPrincipalName, '--dry-run');
    expect(r.err).toContain(`Signed in for remediation as ${user.userPrincipalName}`);
    expect(r.err).toContain(`Preflight: ${stepOf('exo.remove-transport-rules').id} needs the role Exchange Administrator, the Exchange role Transport Rules (role group Organization Management or Records Management)`);
  });

  it('a connection lost in the middle of the 12-rule step: the re-run finishes only what is left, one result per rule', async () => {
    const step = stepOf('exo.remove-transport-rules');
    expect(step.items).toHaveLength(12);
    const state = t.sim.exchange.state;
    const removals: string[] = [];
    const remove = state.removeTransportRule.bind(state);
    state.removeTransportRule = (identity: string) => {
      removals.push(identity);
      const removed = remove(identity);
      if (removed) removedRules.push(structuredClone(removed));
      return removed;
    };
    // Each rule is a read, the removal and a read again, all POSTs to InvokeCommand: the sixth rule's removal reaches
    // the tenant but its answer is lost, and the connection stays down for the six rules after it.
    t.sim.faults.set({ rules: [{ kind: 'drop', method: 'POST', path: '/adminapi/', after: 3 * 5 + 1, count: 7 }] });
    const first = await t.run('remediate', t.file, 'run', step.id, ...signIn, '--yes');
    t.sim.faults.clear();
    expect(first.code).toBe(1);
    const partial = await itemsOf(step.id);
    expect(partial.state).toBe('failed');
    expect(partial.items.map((i) => i.outcome)).toEqual([...Array(5).fill('verified'), ...Array(7).fill('failed')]);
    expect(partial.items[5]!.note).toMatch(/connection was lost during Remove-TransportRule .*Run the step again/);
    expect(partial.items[6]!.note).toMatch(/connection was lost during Get-TransportRule/);
    expect(removals).toHaveLength(6);

    const again = await t.run('remediate', t.file, 'run', step.id, ...signIn, '--yes');
    expect(again.code, again.out).toBe(0);
    const done = await itemsOf(step.id);
    expect(done.state).toBe('verified');
    expect(done.items).toHaveLength(12);
    expect(done.items.map((i) => i.outcome)).toEqual(Array(12).fill('verified'));
    // The first five were left alone; the sixth proved by a read alone; the last six removed now: each rule once.
    expect(again.out.split('\n').filter((l) => l.includes('(earlier)'))).toHaveLength(5);
    expect(done.items[5]!.note).toBe('The tenant shows the change an earlier run of this step sent; nothing more was written.');
    expect(removals.map((r) => r.toLowerCase()).sort()).toEqual(step.items.map((i) => i.key.toLowerCase()).sort());
    const campaign = new Set(state.groundTruth().maliciousTransportRules.map((r) => r.guid));
    expect(state.transportRules.filter((r) => campaign.has(r.guid))).toEqual([]);
  });

  it('holds the forwarding steps back from the phase run and from a bare --yes; writes one only with its own confirmation', async () => {
    const forwarding = steps.filter((s) => s.action === 'exo.remove-mailbox-forwarding');
    expect(forwarding.length).toBeGreaterThan(1);
    expect(forwarding.every((s) => s.confirmSeparately === true)).toBe(true);
    const state = t.sim.exchange.state;
    const mailboxes = () => JSON.stringify(state.mailboxUsers().map((u) => state.mailbox(u)));
    const before = mailboxes();

    const phase = await t.run('remediate', t.file, 'run', '--phase', 'eradicate', ...signIn, '--yes');
    expect(phase.code, phase.out).toBe(0);
    for (const s of forwarding) expect(phase.out.split('\n').find((l) => l.endsWith(`(${s.id})`))).toMatch(/^held +Stop /);
    expect(phase.out).toContain(`${forwarding.length} steps held back for a separate confirmation`);
    expect(mailboxes()).toBe(before);

    const [one] = forwarding;
    const bare = await t.run('remediate', t.file, 'run', one!.id, ...signIn, '--yes');
    expect(bare.out).toMatch(/^held +Stop .* forwarding mail outside the organisation/m);
    expect(bare.out).toContain(`peregrine remediate ${t.file} run ${one!.id} --yes --confirm-separately`);
    expect(mailboxes()).toBe(before);
    expect((await itemsOf(one!.id)).state).toBe('planned');

    const refused = await t.run('remediate', t.file, 'run', '--phase', 'eradicate', ...signIn, '--yes', '--confirm-separately');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--confirm-separately confirms one step, named by its id/);

    const confirmed = await t.run('remediate', t.file, 'run', one!.id, ...signIn, '--yes', '--confirm-separately');
    expect(confirmed.code, confirmed.out).toBe(0);
    expect((await itemsOf(one!.id)).state).toBe('verified');
    const user = state.mailboxUsers().find((u) => state.mailbox(u).name && one!.items[0]!.target.name === u.userPrincipalName)!;
    expect(state.mailbox(user).forwardingSmtpAddress).toBeNull();
    // Only that mailbox changed.
    const after = JSON.parse(mailboxes()) as unknown[];
    const was = JSON.parse(before) as unknown[];
    expect(after.filter((m, i) => JSON.stringify(m) !== JSON.stringify(was[i]))).toHaveLength(1);

    // The verify phase writes nothing: it reads every changed object again, and asks for a collection made since.
    const verify = await t.run('remediate', t.file, 'run', '--phase', 'verify', ...signIn);
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(/^verified +Remove 12 transport rules/m);
    expect(verify.out.match(/Verified again live/g)?.length).toBeGreaterThanOrEqual(13);
    expect(verify.out).toMatch(/^Collect again .*started before the last change/m);
    expect(mailboxes()).toBe(JSON.stringify(after));
    scanForSecrets(t.sim, [t.file], t.ios);
  });

  it('the attacker re-creates a removed rule after the step: the next collection shows it standing, and the re-planned step removes it', async () => {
    const state = t.sim.exchange.state;
    const step = stepOf('exo.remove-transport-rules');
    expect((await itemsOf(step.id)).state).toBe('verified');
    // The campaign's script puts one rule back under its old name: a new object, a new GUID.
    const again: TransportRuleSpec = { ...structuredClone(removedRules[0]!), guid: randomUUID(), priority: state.transportRules.length };
    state.transportRules.push(again);

    // The step's own objects stay removed (read live again), but a collection made after shows the new one.
    const recollected = await t.run('collect', t.file, '--env', t.envFile, '--auto-approve-on-sim', '--exchange');
    expect(recollected.code, recollected.err).toBe(0);
    const verify = await t.run('remediate', t.file, 'verify', ...signIn);
    expect(verify.code, verify.out).toBe(1);
    expect(verify.out).toMatch(/^ {2}stands: high Transport rules strip authentication and anti-spam headers — .*\(exo\.remove-transport-rules:.* is planned\)$/m);

    // Planned again from the new collection: one item, the re-created rule, removed and verified.
    const replanned = (JSON.parse((await t.run('remediate', t.file, 'plan', '--json')).out) as { steps: typeof steps }).steps.find((s) => s.action === 'exo.remove-transport-rules')!;
    expect(replanned.items.map((i) => i.key.toLowerCase())).toEqual([again.guid.toLowerCase()]);
    const removed = await t.run('remediate', t.file, 'run', replanned.id, ...signIn, '--yes');
    expect(removed.code, removed.out).toBe(0);
    expect(state.findTransportRule(again.guid)).toBeUndefined();
    scanForSecrets(t.sim, [t.file], t.ios);
  });

});
