// E2E: the Checklist on a collected contoso case — Start shows its progress; the remediation sign-in (device code, its
// own write-scoped client); a dry run that writes nothing; the malicious app's contain and eradicate steps executed
// (names typed where asked) and verified against the simulator; a step skipped with a reason; custody records both;
// findings and steps link to each other; English and Japanese at 1440×900 and 1024×700 without overflow.
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

let prepared: PreparedCase | null = null;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  prepared = await prepareCollectedCase('peregrine-checklist-');
});

test.afterAll(() => {
  if (prepared) fs.rmSync(prepared.dir, { recursive: true, force: true });
});

/** The person at the keyboard enters the code on the simulator's page, keeps the account it offers, and consents if asked. */
async function approve(harness: Harness, prompt: { userCode: string; verificationUri: string }): Promise<string> {
  const signInPage: Page = await harness.page.context().newPage();
  await signInPage.goto(prompt.verificationUri);
  await signInPage.locator('#code').fill(prompt.userCode);
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

test('checklist: remediation sign-in, a dry run, the malicious app contained and eradicated, a step skipped into custody', async ({ harness }) => {
  test.setTimeout(300_000);
  const { page, sim } = harness;
  const truth = sim.groundTruth;
  const maliciousIds = new Set(truth.maliciousObjects.applicationObjectIds);
  const maliciousSps = new Set(truth.maliciousObjects.servicePrincipalIds);
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
  expect([...new Set(steps.map((s) => s.phase))]).toEqual(['contain', 'eradicate', 'recover', 'verify', 'harden'].filter((p) => steps.some((s) => s.phase === p)));
  const appSteps = steps.filter((s) => APP_STEP.test(s.action) && (s.phase === 'contain' || s.phase === 'eradicate'));
  expect(appSteps.map((s) => s.action)).toEqual(expect.arrayContaining(['sp.disable', 'app.remove-passwords', 'sp.remove-app-roles', 'sp.remove-directory-roles', 'app.delete']));
  expect(steps.every((s) => s.state === 'planned')).toBe(true);

  // Nothing runs before the remediation sign-in: the buttons wait for it.
  const disable = appSteps.find((s) => s.action === 'sp.disable')!;
  await expect(checklist.card(disable.id).getByTestId('step-dry-run')).toBeDisabled();
  await shots(harness, '01-checklist-signed-out');

  // The remediation sign-in: a device code of its own (the collection sign-in is never used to write).
  const prompt = await checklist.startSignIn();
  await shots(harness, '02-checklist-code');
  const user = await approve(harness, prompt);
  expect(await checklist.waitSignedIn()).toBe(user);
  await expect(page.getByTestId('remediation-preflight')).toHaveAttribute('data-lacking', '0');

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

  // Contain, then eradicate: each of the app's steps executed in checklist order, the name typed where asked.
  const typed = (label: string) => /^Type (.+) to confirm$/.exec(label)![1]!;
  for (const step of appSteps) {
    await checklist.execute(step.id, typed);
    await expect(checklist.card(step.id), `${step.title}`).toHaveAttribute('data-state', 'verified');
  }
  // The tenant shows it: the app is gone (soft-deleted, restorable) and its service principal was disabled first.
  expect(sim.tenant.applications.some((a) => maliciousIds.has(a.id))).toBe(false);
  expect(sim.tenant.deletedApplications.map((a) => a.id)).toEqual(expect.arrayContaining([truth.maliciousObjects.applicationObjectId]));
  expect((await checklist.progress()).verified).toBe(appSteps.length);

  // A step skipped, with a reason.
  const toSkip = (await checklist.steps()).find((s) => s.phase === 'harden') ?? (await checklist.steps()).find((s) => s.state === 'planned')!;
  const reason = 'Client change board owns conditional access; ticket CHG-4471';
  await checklist.skip(toSkip.id, reason);
  await checklist.card(toSkip.id).scrollIntoViewIfNeeded();
  await shots(harness, '04-checklist-skipped');

  // Custody holds every action: the skip with its reason, and the verified writes.
  const custody = new CustodyPage(page);
  const entries = (await custody.entries()).filter((e) => e.action === 'remediation.action');
  expect(entries.some((e) => e.summary.includes(`step: ${toSkip.id}`) && e.summary.includes('outcome: skipped') && e.summary.includes(reason))).toBe(true);
  expect((await custody.verify()).ok).toBe(true);
  // The case file itself: each write is a custody entry naming the step, the remediating account and the hashes of
  // the object before and after; the dry run is one too.
  const { db } = openCase(harness.workbench.currentCaseFile()!, { readonly: true });
  try {
    const actions = listCustody(db).filter((e) => e.action === 'remediation.action').map((e) => e.details as { step: string; outcome: string; account: string | null; before: string | null; after: string | null; note: string });
    for (const step of appSteps) {
      const done = actions.filter((a) => a.step === step.id && (a.outcome === 'verified' || a.outcome === 'already-absent'));
      expect(done.length, step.id).toBeGreaterThan(0);
      expect(done.every((a) => a.account === user && /^[0-9a-f]{64}$/.test(a.before ?? ''))).toBe(true);
    }
    expect(actions.filter((a) => a.step === disable.id && a.outcome === 'dry-run').length).toBeGreaterThan(0);
    expect(actions.find((a) => a.step === toSkip.id && a.outcome === 'skipped')?.note).toBe(reason);
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
  await expect(page.getByTestId('start-checklist')).toHaveAttribute('data-verified', String(appSteps.length));

  // Japanese, both sizes.
  await checklist.shell.go('settings');
  await page.getByTestId('settings-language-select').selectOption('ja');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await checklist.shell.go('checklist');
  await expect(page.locator('main h1')).toHaveText('チェックリスト');
  await expect(checklist.card(disable.id).getByTestId('step-state')).toContainText('検証済み');
  await shots(harness, '05-checklist-ja');
  await checklist.card(appSteps.at(-1)!.id).getByTestId('step-trail-toggle').click();
  await checklist.card(appSteps.at(-1)!.id).scrollIntoViewIfNeeded();
  await shots(harness, '06-checklist-ja-trail');
  await checklist.shell.go('start');
  await expect(page.getByTestId('start-checklist')).toContainText('検証済み');
  await shots(harness, '07-start-ja');
});
