// E2E: the Checklist on a collected contoso case — Start shows its progress; the remediation sign-ins to Graph and
// Exchange Online as a clean administrator (device code, its own write-scoped client); a dry run that writes nothing;
// every step from contain to harden executed (names typed where asked) and verified against the simulator, the
// forwarding lead held back for its own tick and skipped with a reason; the checklist verified live; custody records
// it all; findings and steps link to each other; English and Japanese at 1440×900 and 1024×700 without overflow.
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, type Harness } from './fixtures';
import { ChecklistPage, CustodyPage, FindingsPage, StartPage } from './pages';
import { listInRecent, prepareCollectedCase, type PreparedCase } from './collected';
import { overflow } from './layout';
import type { DomNode } from './pages/dom';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';
import { listCustody } from '../../db/queries/custody';
import { DIRECTORY_ROLES } from '../sim/wellknown';

let prepared: PreparedCase | null = null;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  prepared = await prepareCollectedCase('peregrine-checklist-');
});

test.afterAll(() => {
  if (prepared) fs.rmSync(prepared.dir, { recursive: true, force: true });
});

/**
 * The person at the keyboard enters the code on the simulator's page, picks the account (their own administrator
 * account, not one the attacker took), and consents if asked.
 */
async function approve(harness: Harness, prompt: { userCode: string; verificationUri: string }, account?: string): Promise<string> {
  const signInPage: Page = await harness.page.context().newPage();
  await signInPage.goto(prompt.verificationUri);
  await signInPage.locator('#code').fill(prompt.userCode);
  if (account) await signInPage.locator('#user').selectOption(account);
  const user = await signInPage.locator('#user').inputValue();
  await signInPage.getByRole('button', { name: 'Sign in' }).click();
  await expect(signInPage.locator('body')).toContainText(/signed in|you can close|Permissions requested/i);
  if (await signInPage.locator('#consent-accept').isVisible()) await signInPage.locator('#consent-accept').click();
  await expect(signInPage.locator('body')).toContainText(/signed in|you can close/i);
  await signInPage.close();
  return user;
}

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

async function shots(harness: Harness, name: string): Promise<void> {
  const { page } = harness;
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const found = await overflow(page);
    expect(found.wide, `${name} at ${size.width}×${size.height}`).toEqual([]);
    expect(found.scrollWidth, `${name} at ${size.width}×${size.height}: page scroll width`).toBeLessThanOrEqual(found.viewport);
    await harness.shot(`${name}-${size.width}`);
  }
  await page.setViewportSize(SIZES[0]!);
}

const APP_STEP = /^(sp|app)\./;
const typed = (label: string) => /^Type (.+) to confirm$/.exec(label)![1]!;

test('checklist: remediation sign-in, a dry run, contain → harden executed and verified, a lead held back and skipped, verify the checklist', async ({ harness }) => {
  test.setTimeout(900_000);
  const { page, sim } = harness;
  const truth = sim.groundTruth;
  const maliciousIds = new Set(truth.maliciousObjects.applicationObjectIds);
  const maliciousSps = new Set(truth.maliciousObjects.servicePrincipalIds);
  // The consultant's own Global Administrator account: not one the attacker took.
  const taken = new Set(truth.compromisedAccounts.map((a) => a.id));
  const clean = sim.tenant.users.find((u) => !taken.has(u.id) && sim.tenant.directoryRoleAssignments.some((r) => r.principalId === u.id && r.roleDefinitionId === DIRECTORY_ROLES.globalAdministrator.templateId))!;
  const x = sim.exchange.state;
  const mailboxes = () => JSON.stringify(x.mailboxUsers().map((u) => ({ mailbox: x.mailbox(u), rules: x.inboxRules(u) })));
  const decoys = () => JSON.stringify(truth.decoys.map((d) => [sim.tenant.applications.find((a) => a.id === d.applicationObjectId) ?? null, sim.tenant.servicePrincipals.find((sp) => sp.id === d.servicePrincipalId) ?? null]));
  const mailboxesBefore = mailboxes();
  const decoysBefore = decoys();
  const name = listInRecent(harness, prepared);
  await page.goto(harness.host.url);
  await new StartPage(page).openRecent(name);

  // Start shows the checklist's progress for the open case: nothing verified yet.
  await new StartPage(page).shell.go('start');
  await expect(page.getByTestId('start-checklist')).toHaveAttribute('data-verified', '0');
  const planned = Number(await page.getByTestId('start-checklist').getAttribute('data-total'));
  expect(planned).toBeGreaterThan(5);

  const checklist = new ChecklistPage(page);
  await checklist.open();
  const steps = await checklist.steps();
  expect(steps.length).toBe(planned);
  expect([...new Set(steps.map((s) => s.phase))]).toEqual(['contain', 'eradicate', 'recover', 'verify', 'harden']);
  const appSteps = steps.filter((s) => APP_STEP.test(s.action) && (s.phase === 'contain' || s.phase === 'eradicate'));
  expect(appSteps.map((s) => s.action)).toEqual(expect.arrayContaining(['sp.disable', 'app.remove-passwords', 'sp.remove-app-roles', 'sp.remove-directory-roles', 'app.delete']));
  expect(steps.every((s) => s.state === 'planned')).toBe(true);
  // Forwarding people may have set up themselves (medium findings): each step says it is confirmed on its own.
  const leads = steps.filter((s) => s.action === 'exo.remove-mailbox-forwarding');
  expect(leads.length).toBeGreaterThan(0);
  for (const s of leads) await expect(checklist.card(s.id).getByTestId('step-separate')).toBeVisible();
  for (const s of steps.filter((x) => x.action !== 'exo.remove-mailbox-forwarding')) await expect(checklist.card(s.id).getByTestId('step-separate')).toHaveCount(0);

  // Nothing runs before the remediation sign-in: the buttons wait for it.
  const disable = appSteps.find((s) => s.action === 'sp.disable')!;
  await expect(checklist.card(disable.id).getByTestId('step-dry-run')).toBeDisabled();
  await expect(page.getByTestId('checklist-verify-run')).toBeDisabled();
  await shots(harness, '01-checklist-signed-out');

  // The remediation sign-in: a device code of its own (the collection sign-in is never used to write).
  const prompt = await checklist.startSignIn();
  await shots(harness, '02-checklist-code');
  const user = await approve(harness, prompt, clean.userPrincipalName);
  expect(user).toBe(clean.userPrincipalName);
  expect(await checklist.waitSignedIn()).toBe(user);
  await expect(page.getByTestId('remediation-memory-only')).toBeVisible();
  await expect(page.getByTestId('remediation-preflight')).toHaveAttribute('data-lacking', '0');
  // Exchange Online, as the same account, for the mail-flow steps.
  expect(await approve(harness, await checklist.startExchangeSignIn(), clean.userPrincipalName)).toBe(user);
  expect(await checklist.waitExchangeSignedIn()).toBe(user);

  // A dry run reads and compares, and writes nothing.
  const before = JSON.stringify(sim.tenant.servicePrincipals.filter((s) => maliciousSps.has(s.id)));
  const dry = await checklist.dryRun(disable.id);
  await expect(dry.getByTestId('run-item')).not.toHaveCount(0);
  for (const outcome of await dry.getByTestId('run-item').evaluateAll((rows: DomNode[]) => rows.map((r) => r.getAttribute('data-outcome')))) expect(outcome).toBe('dry-run');
  expect(JSON.stringify(sim.tenant.servicePrincipals.filter((s) => maliciousSps.has(s.id)))).toBe(before);
  await expect(checklist.card(disable.id)).toHaveAttribute('data-state', 'planned');
  // The object as collected, the exact request and its PowerShell, one click (or Enter) away.
  const item = checklist.card(disable.id).getByTestId('step-item').first();
  await item.locator('summary').focus();
  await page.keyboard.press('Enter');
  await expect(item.getByTestId('item-requests')).toContainText(`PATCH /v1.0/servicePrincipals/${disable.id.split(':')[1]}`);
  await expect(item.getByTestId('item-powershell')).toContainText(`Invoke-MgGraphRequest -Method PATCH -Uri '/v1.0/servicePrincipals/${disable.id.split(':')[1]}' -Body ([ordered]@{ 'accountEnabled' = $false }`);
  await expect(item.getByTestId('item-snapshot')).toContainText('"accountEnabled": true');
  await item.scrollIntoViewIfNeeded();
  await shots(harness, '03-checklist-dry-run');

  // A lead is not executed with a name alone: its own tick is asked for. The consultant checks with the owner and skips it.
  const lead = leads[0]!;
  await checklist.card(lead.id).getByTestId('step-execute').click();
  const confirm = checklist.card(lead.id).getByTestId('step-confirm');
  const nameInput = confirm.getByTestId('step-confirm-name');
  await nameInput.fill(typed((await confirm.locator(`label[for="${await nameInput.getAttribute('id')}"]`).textContent())!.trim()));
  await expect(confirm.getByTestId('step-confirm-run')).toBeDisabled();
  await confirm.getByTestId('step-confirm-separately').check();
  await expect(confirm.getByTestId('step-confirm-run')).toBeEnabled();
  await checklist.card(lead.id).scrollIntoViewIfNeeded();
  await shots(harness, '04-checklist-lead-confirm');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  const reason = 'Owner confirmed: forwarding to a personal address is sanctioned; ticket CHG-4471';
  await checklist.skip(lead.id, reason);

  // Contain → eradicate → recover → harden: every other step executed in checklist order, names typed where asked.
  const toRun = steps.filter((s) => s.phase !== 'verify' && s.action !== 'exo.remove-mailbox-forwarding');
  for (const step of toRun) {
    await checklist.execute(step.id, typed);
    await expect(checklist.card(step.id), `${step.title}`).toHaveAttribute('data-state', 'verified');
    if (step.action === 'user.reset-password') {
      // The temporary password, shown once.
      await expect(page.getByTestId('password-once')).toHaveCount(1);
      await page.getByTestId('password-dismiss').click();
      await expect(page.getByTestId('password-once')).toHaveCount(0);
    }
  }
  // The tenant shows it: the app gone (soft-deleted, restorable), the campaign's mail flow gone, the policies enforced.
  expect(sim.tenant.applications.some((a) => maliciousIds.has(a.id))).toBe(false);
  expect(sim.tenant.deletedApplications.map((a) => a.id)).toEqual(expect.arrayContaining([truth.maliciousObjects.applicationObjectId]));
  expect(x.transportRules.filter((r) => x.groundTruth().maliciousTransportRules.some((m) => m.guid === r.guid))).toEqual([]);
  expect(sim.tenant.conditionalAccessPolicies.filter((p) => p.displayName.startsWith('Peregrine:')).map((p) => p.state)).toEqual(['enabled', 'enabled']);
  // Nothing else: the mailboxes (the lead's forwarding included) and the decoys as they were.
  expect(mailboxes()).toBe(mailboxesBefore);
  expect(decoys()).toBe(decoysBefore);
  expect((await checklist.progress()).verified).toBe(toRun.length);

  // Verify the checklist: every changed object read again live, still as the steps left it; the newest collection
  // predates the changes, so the screen asks for a new one.
  const verified = await checklist.verify();
  await expect(verified).toHaveAttribute('data-regressed', '0');
  await expect(verified).toHaveAttribute('data-recollection', 'before-changes');
  await verified.scrollIntoViewIfNeeded();
  await shots(harness, '05-checklist-verified');

  // Custody holds every action: the skip with its reason, the verified writes, the live re-reads.
  const custody = new CustodyPage(page);
  const entries = (await custody.entries()).filter((e) => e.action === 'remediation.action');
  // As recorded (step and outcome facts), and as the screen says it: the step's skip and the reason in words.
  const skip = entries.find((e) => e.recorded.includes(`step: ${lead.id}`) && e.recorded.includes('outcome: skipped'));
  expect(skip?.recorded).toContain(reason);
  expect(skip?.summary).toContain(lead.id);
  expect(skip?.summary).toContain('Skipped');
  expect(skip?.summary).toContain(reason);
  expect((await custody.verify()).ok).toBe(true);
  const { db } = openCase(harness.workbench.currentCaseFile()!, { readonly: true });
  try {
    const actions = listCustody(db).filter((e) => e.action === 'remediation.action').map((e) => e.details as { step: string; outcome: string; account: string | null; before: string | null; after: string | null; note: string });
    for (const step of toRun) {
      // The report-only policy's state was carried on by its enforce step, which is the one read again.
      if (step.action === 'ca.admin-mfa-report-only') continue;
      const done = actions.filter((a) => a.step === step.id && (a.outcome === 'verified' || a.outcome === 'already-absent'));
      expect(done.length, step.id).toBeGreaterThan(0);
      expect(done.every((a) => a.account === user)).toBe(true);
      expect(done.some((a) => /^[0-9a-f]{64}$/.test(a.before ?? ''))).toBe(true);
      // Verify the checklist read it again: an entry with the live read's hash and no before.
      expect(done.some((a) => a.before === null && /^[0-9a-f]{64}$/.test(a.after ?? '')), step.id).toBe(true);
    }
    expect(actions.filter((a) => a.step === disable.id && a.outcome === 'dry-run').length).toBeGreaterThan(0);
    expect(actions.find((a) => a.step === lead.id && a.outcome === 'skipped')?.note).toBe(reason);
  } finally {
    closeDatabase(db);
  }

  // Findings link to their step and the step back to its findings.
  const findings = new FindingsPage(page);
  await checklist.shell.go('checklist');
  const link = checklist.card(disable.id).getByTestId('step-finding-link').first();
  const findingKey = (await link.getAttribute('data-finding-key'))!;
  await link.click();
  await expect(findings.panel).toHaveAttribute('data-key', findingKey);
  const stepLink = `[data-testid="finding-step-link"][data-step-id="${disable.id}"]`;
  const back = findings.panel.locator(stepLink);
  await expect(findings.panel.getByTestId('finding-steps').locator('li', { has: page.locator(stepLink) })).toContainText('Verified');
  await back.click();
  await expect(checklist.card(disable.id)).toBeFocused();

  // Start follows.
  await checklist.shell.go('start');
  await expect(page.getByTestId('start-checklist')).toHaveAttribute('data-verified', String(toRun.length));

  // Japanese, both sizes: the steps' titles and notes worded in Japanese from their kind and values.
  await checklist.shell.go('settings');
  await page.getByTestId('settings-language-select').selectOption('ja');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await checklist.shell.go('checklist');
  await expect(page.locator('main h1')).toHaveText('チェックリスト');
  await expect(checklist.card(disable.id).getByTestId('step-state')).toContainText('検証済み');
  const appName = truth.maliciousApp.displayName;
  await expect(checklist.card(disable.id).getByTestId('step-title')).toHaveText(`${appName} のサービス プリンシパルを無効化`);
  await expect(checklist.card(disable.id).getByTestId('step-note-text')).toHaveText(`何かを削除する前に、${appName} のすべてのトークンを一度に止めます。`);
  const rules = steps.find((s) => s.action === 'exo.remove-transport-rules')!;
  await expect(checklist.card(rules.id).getByTestId('step-title')).toContainText('保護ヘッダーを削除するトランスポート ルール 12 件を削除');
  await expect(checklist.card(lead.id).getByTestId('step-separate')).toContainText('個別に確認');
  await shots(harness, '06-checklist-ja');
  await checklist.card(appSteps.at(-1)!.id).getByTestId('step-trail-toggle').click();
  await checklist.card(appSteps.at(-1)!.id).scrollIntoViewIfNeeded();
  await shots(harness, '07-checklist-ja-trail');
  await page.getByTestId('checklist-verify').scrollIntoViewIfNeeded();
  await shots(harness, '08-checklist-ja-verify');
  await checklist.shell.go('start');
  await expect(page.getByTestId('start-checklist')).toContainText('検証済み');
  await shots(harness, '09-start-ja');
});
