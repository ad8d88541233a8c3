// Vitest (plain Node): the workbench's remediate channels through dispatch on a collected contoso case and its live
// simulator — malformed and unknown step ids, running without the remediation sign-in, a destructive write with the
// wrong name typed (refused in main, nothing sent or recorded), a dry run, and mark done / skip into custody.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../main/host/dispatch';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';
import { loadEnvironmentFile } from '../../main/auth/environment';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { listCustody } from '../../db/queries/custody';
import { writeEnvironmentFiles } from '../sim/environment';
import { collectedCase, type CollectedCase } from '../support/collected-case';
import type { CaseSummary, ChecklistStepView, ChecklistView, RemediationRunView, RemediationSignInView, Result } from '../../preload/contract';

let collected: CollectedCase;
let dir: string;
let file: string;
let workbench: Workbench;

const call = async <T>(channel: string, input: unknown = {}) => (await dispatch(workbench.handlers, channel, input)) as Result<T>;
const ok = async <T>(channel: string, input: unknown = {}): Promise<T> => {
  const r = await call<T>(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
  return r.value;
};
function countActions(): number {
  const { db } = openCase(file, { readonly: true });
  try {
    return listCustody(db).filter((e) => e.action === 'remediation.action').length;
  } finally {
    closeDatabase(db);
  }
}

beforeAll(async () => {
  collected = await collectedCase({ scenario: 'contoso', seed: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-remediate-wb-'));
  file = path.join(dir, 'cases', 'contoso.peregrine');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  collected.db.prepare('VACUUM INTO ?').run(file);
  const { db, summary } = openCase(file);
  closeDatabase(db);
  fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'home', 'recent-cases.json'), JSON.stringify([{ caseId: summary.caseId, name: summary.name, fileName: summary.fileName, lastOpenedAt: new Date().toISOString(), file }]));
  const { environmentFile } = await writeEnvironmentFiles(path.join(dir, 'sim'), collected.sim);
  workbench = createWorkbench({
    host: 'browser', toolVersion: '0.0.0-test', casesDir: path.join(dir, 'cases'), homeDir: path.join(dir, 'home'), keyDir: path.join(dir, 'keys'),
    environment: loadEnvironmentFile(environmentFile), collectionWorker: tsxWorkerEntry(),
  });
  await ok<CaseSummary>('case.open', { caseId: summary.caseId });
}, 240_000);

afterAll(async () => {
  await workbench?.close();
  await collected?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('remediate channels', () => {
  let steps: ChecklistStepView[];

  it('lists the checklist and records it in custody once', async () => {
    const view = await ok<ChecklistView>('remediate.checklist');
    steps = view.steps;
    expect(steps.map((s) => s.action)).toEqual(expect.arrayContaining(['sp.disable', 'app.delete']));
    expect(view.progress).toMatchObject({ total: steps.length, verified: 0 });
    expect(view.signIn.graph.state).toBe('signed-out');
    const planned = () => {
      const { db } = openCase(file, { readonly: true });
      try {
        return listCustody(db).filter((e) => e.action === 'remediation.planned').length;
      } finally {
        closeDatabase(db);
      }
    };
    const first = planned();
    expect(first).toBe(steps.length);
    await ok('remediate.checklist');
    expect(planned()).toBe(first);
  });

  it('refuses a malformed step id, naming the field, and an unknown one, naming the step', async () => {
    const bad = await call('remediate.run', { stepId: 'DROP TABLE; --', mode: 'write' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    if (!bad.ok) expect(bad.error.message).toMatch(/^stepId: must be a checklist step id/);
    const extra = await call('remediate.run', { stepId: steps[0]!.id, path: '/etc/passwd' });
    expect(extra).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const unknown = await call('remediate.skip', { stepId: 'sp.disable:00000000-0000-0000-0000-000000000000', note: 'not ours' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown_step' } });
    if (!unknown.ok) expect(unknown.error.message).toContain('sp.disable:00000000-0000-0000-0000-000000000000');
    const noNote = await call('remediate.skip', { stepId: steps[0]!.id, note: '   ' });
    expect(noNote).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    if (!noNote.ok) expect(noNote.error.message).toMatch(/^note: /);
    expect(countActions()).toBe(0);
  });

  it('will not run a step without the remediation sign-in, even a dry run', async () => {
    const before = countActions();
    const r = await call('remediate.run', { stepId: steps.find((s) => s.action === 'sp.disable')!.id, mode: 'dry-run' });
    expect(r).toMatchObject({ ok: false, error: { code: 'auth_required' } });
    if (!r.ok) expect(r.error.message).toMatch(/Sign in for remediation first/);
    expect(countActions()).toBe(before);
  });

  it('signs in with the remediation client, then refuses a destructive write whose typed name is wrong', async () => {
    const started = await ok<RemediationSignInView>('remediate.signIn', { service: 'graph' });
    expect(started.graph.state).toBe('waiting');
    if (started.graph.state !== 'waiting') return;
    const admin = collected.sim.groundTruth.compromisedUser.userPrincipalName;
    await collected.sim.approve(started.graph.userCode, admin);
    let view = started;
    for (let i = 0; i < 200 && view.graph.state === 'waiting'; i++) {
      await new Promise((r) => setImmediate(r));
      view = await ok<RemediationSignInView>('remediate.signInStatus');
      if (view.graph.state === 'waiting') await new Promise((r) => setTimeout(r, 50));
    }
    expect(view.graph).toMatchObject({ state: 'signed-in', username: admin });
    // The remediation client, not the collection client: its token carries write scopes.
    if (view.graph.state === 'signed-in') expect(view.graph.scopes.join(' ')).toMatch(/Application\.ReadWrite\.All/);

    const del = steps.find((s) => s.action === 'app.delete')!;
    expect(del.destructive).toBe(true);
    const appsBefore = JSON.stringify(collected.sim.tenant.applications);
    const before = countActions();
    for (const confirmName of [undefined, '', 'contoso', `${del.confirmName} `.repeat(2)]) {
      const r = await call('remediate.run', { stepId: del.id, mode: 'write', ...(confirmName === undefined ? {} : { confirmName }) });
      expect(r).toMatchObject({ ok: false, error: { code: 'confirmation_mismatch' } });
      if (!r.ok) expect(r.error.message).toContain(del.confirmName);
    }
    expect(JSON.stringify(collected.sim.tenant.applications)).toBe(appsBefore);
    expect(countActions()).toBe(before);
  });

  it('refuses to write a step only medium findings call for without its own confirmation, even with the name typed', async () => {
    const forwarding = steps.find((s) => s.confirmSeparately)!;
    expect(forwarding.action).toBe('exo.remove-mailbox-forwarding');
    expect(steps.filter((s) => s.confirmSeparately).every((s) => s.findings.every((f) => f.severity !== 'high' && f.severity !== 'critical'))).toBe(true);
    expect(steps.filter((s) => !s.confirmSeparately && s.findings.length > 0).every((s) => s.findings.some((f) => f.severity === 'high' || f.severity === 'critical'))).toBe(true);
    const state = collected.sim.exchange.state;
    const mailboxes = JSON.stringify(state.mailboxUsers().map((u) => state.mailbox(u)));
    const before = countActions();
    for (const confirmSeparately of [undefined, false]) {
      const r = await call('remediate.run', { stepId: forwarding.id, mode: 'write', confirmName: forwarding.confirmName, ...(confirmSeparately === undefined ? {} : { confirmSeparately }) });
      expect(r).toMatchObject({ ok: false, error: { code: 'confirmation_required' } });
      if (!r.ok) expect(r.error.message).toMatch(/medium or lower.*Nothing was sent\.$/);
    }
    expect(JSON.stringify(state.mailboxUsers().map((u) => state.mailbox(u)))).toBe(mailboxes);
    expect(countActions()).toBe(before);
  });

  it('dry-runs a destructive step without a name and writes nothing; mark done and skip are custody entries', async () => {
    const del = steps.find((s) => s.action === 'app.delete')!;
    const appsBefore = JSON.stringify(collected.sim.tenant.applications);
    let run = await ok<RemediationRunView>('remediate.run', { stepId: del.id });
    expect(run).toMatchObject({ mode: 'dry-run', state: 'running' });
    for (let i = 0; i < 400 && run.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      run = await ok<RemediationRunView>('remediate.runStatus', { runId: run.runId });
    }
    expect(run.state).toBe('finished');
    expect(run.items.map((i) => i.outcome)).toEqual(del.items.map(() => 'dry-run'));
    expect(JSON.stringify(collected.sim.tenant.applications)).toBe(appsBefore);
    expect((await call('remediate.runStatus', { runId: '00000000-0000-4000-8000-000000000000' }))).toMatchObject({ ok: false, error: { code: 'unknown_run' } });

    const harden = steps.find((s) => s.phase === 'harden')!;
    const skipped = await ok<ChecklistStepView>('remediate.skip', { stepId: harden.id, note: 'Change board owns CA' });
    expect(skipped.state).toBe('skipped');
    expect(await call('remediate.skip', { stepId: harden.id, note: 'again' })).toMatchObject({ ok: false, error: { code: 'nothing_left' } });
    // Signed in, the plan leaves the remediating account out: its own recovery steps are gone from the checklist.
    const admin = collected.sim.groundTruth.compromisedUser;
    const now = (await ok<ChecklistView>('remediate.checklist')).steps;
    expect(steps.some((s) => s.target.id === admin.id)).toBe(true);
    expect(now.some((s) => s.target.id === admin.id || s.items.some((i) => i.target.id === admin.id))).toBe(false);
    const recover = now.find((s) => s.phase === 'recover')!;
    const done = await ok<ChecklistStepView>('remediate.markDone', { stepId: recover.id, note: 'Reset by the client helpdesk, ticket 88' });
    expect(done.state).toBe('done-outside');
    const { db } = openCase(file, { readonly: true });
    try {
      const details = listCustody(db).filter((e) => e.action === 'remediation.action').map((e) => e.details as { step: string; outcome: string; note: string });
      expect(details.filter((d) => d.step === harden.id).map((d) => [d.outcome, d.note])).toEqual(harden.items.map(() => ['skipped', 'Change board owns CA']));
      expect(details.filter((d) => d.step === recover.id).every((d) => d.outcome === 'done-outside')).toBe(true);
      expect(details.filter((d) => d.step === del.id).map((d) => d.outcome)).toEqual(del.items.map(() => 'dry-run'));
    } finally {
      closeDatabase(db);
    }
    const progress = await ok<{ verified: number; links: { findingKey: string; stepId: string }[] }>('remediate.progress');
    expect(progress.verified).toBe(0);
    expect(progress.links.some((l) => l.stepId === del.id)).toBe(true);
  });

  it('verifies the checklist live: a step marked done outside Peregrine that the tenant does not show fails, into custody', async () => {
    const recover = (await ok<ChecklistView>('remediate.checklist')).steps.find((s) => s.state === 'done-outside')!;
    const before = countActions();
    let run = await ok<RemediationRunView>('remediate.verify');
    expect(run).toMatchObject({ mode: 'verify', state: 'running' });
    for (let i = 0; i < 400 && run.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      run = await ok<RemediationRunView>('remediate.runStatus', { runId: run.runId });
    }
    expect(run.state).toBe('finished');
    // Nothing was written by Peregrine; the helpdesk's reset is not in the tenant, so it is not verified.
    expect(run.items.map((i) => [i.stepId, i.outcome])).toEqual(recover.items.map(() => [recover.id, 'failed']));
    expect(run.items[0]!.note).toMatch(/does not show the change recorded as done outside Peregrine/);
    // The newest collection predates the step marked done, so it cannot close the loop; the findings it shows stand,
    // each saying which steps are not verified.
    expect(run.closing?.recollection).toBe('before-changes');
    expect(run.message).toMatch(/^Collect again/);
    expect(run.closing!.standing.length).toBeGreaterThan(0);
    expect(run.closing!.standing.every((f) => f.severity === 'high' || f.severity === 'critical')).toBe(true);
    expect(run.closing!.standing.some((f) => /sp\.disable:\S+ is planned/.test(f.reason))).toBe(true);
    const { db } = openCase(file, { readonly: true });
    try {
      const details = listCustody(db).filter((e) => e.action === 'remediation.action').slice(before).map((e) => e.details as { step: string; outcome: string });
      expect(details.map((d) => `${d.step.split(':')[0]} ${d.outcome}`)).toEqual(recover.items.map(() => `${recover.action} failed`));
    } finally {
      closeDatabase(db);
    }
    expect((await ok<ChecklistView>('remediate.checklist')).steps.find((s) => s.id === recover.id)?.state).toBe('failed');
  });
});
