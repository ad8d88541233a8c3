// E2E: Graph and Exchange Online sign-ins on the simulator (device code, and the browser with consent on first use), the preflight, a collection with Exchange and two days of logs, then its entry in Collections.
import type { Page } from '@playwright/test';
import { test, expect, type Harness } from './fixtures';
import { StartPage, CollectPage, type DeviceCodePrompt } from './pages';

/** The person at the keyboard opens the simulator's sign-in page, types the code and picks the account. */
async function approve(harness: Harness, prompt: DeviceCodePrompt, user: string, shotName?: string): Promise<void> {
  const signInPage: Page = await harness.page.context().newPage();
  await signInPage.goto(prompt.verificationUri);
  await signInPage.locator('#code').fill(prompt.userCode);
  await signInPage.locator('#user').selectOption(user);
  await signInPage.getByRole('button', { name: 'Sign in' }).click();
  await expect(signInPage.locator('body')).toContainText(/signed in|you can close|Permissions requested/i);
  // Nobody consented to Peregrine's permissions yet: the admin accepts them for the organisation.
  if (await signInPage.locator('#consent-accept').isVisible()) await acceptConsent(signInPage);
  await expect(signInPage.locator('body')).toContainText(/signed in|you can close/i);
  if (shotName) await harness.shot(shotName, signInPage);
  await signInPage.close();
}

async function acceptConsent(signInPage: Page): Promise<void> {
  await expect(signInPage.locator('#permissions')).toContainText('AuditLog.Read.All');
  await expect(signInPage.locator('#consent-org')).toBeChecked();
  await signInPage.locator('#consent-accept').click();
}

test('a consultant signs in with the browser, accepts the permissions for the organisation, and the preflight finds them', async ({ harness }) => {
  const { page, sim } = harness;
  const admin = sim.groundTruth.compromisedUser.userPrincipalName;
  await page.goto(harness.host.url);
  await new StartPage(page).createCase({ name: 'Contoso browser sign-in', examiner: 'A. Examiner' });
  const collect = new CollectPage(page);
  await collect.open();
  await expect(page.getByTestId('sign-in-browser')).toBeVisible();
  await expect(page.getByTestId('sign-in-start')).toContainText('device code');
  await page.getByTestId('sign-in-graph').scrollIntoViewIfNeeded();
  await harness.shot('01-sign-in-choices');

  await page.getByTestId('sign-in-browser').click();
  // The browser host cannot open a browser itself: it offers the page, to open in a new tab.
  const open = page.getByTestId('browser-sign-in-open');
  await expect(open).toBeVisible();
  expect(await open.getAttribute('href')).toMatch(new RegExp(`^${sim.url}/${sim.tenantId}/oauth2/v2\\.0/authorize\\?.*code_challenge_method=S256`));
  await expect(page.getByTestId('sign-in-graph')).toHaveAttribute('data-state', 'browser');
  await harness.shot('02-browser-sign-in-waiting');
  const [tab] = await Promise.all([page.waitForEvent('popup'), open.click()]);
  await tab.locator('#user').selectOption(admin);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await expect(tab.locator('h1')).toHaveText('Permissions requested');
  await harness.shot('03-consent', tab);
  await acceptConsent(tab);
  // The page posts the code to Peregrine's loopback listener, which answers with its own page.
  await expect(tab.locator('body')).toContainText('You can close this tab');
  await tab.close();

  expect(await collect.waitSignedIn()).toBe(admin);
  await expect(page.getByTestId('signed-in-scopes')).toContainText('scopes granted');
  const rows = await collect.preflightRows();
  expect(rows.filter((r) => r.service === 'graph' && r.status !== 'ok').map((r) => r.source)).toEqual([]);
  await page.getByTestId('sign-in-graph').scrollIntoViewIfNeeded();
  await harness.shot('04-signed-in-with-browser');
});

test('a consultant signs in to Graph and Exchange, reads the preflight and collects Exchange with two days of logs', async ({ harness }) => {
  const { page, sim } = harness;
  const truth = sim.groundTruth;
  const admin = truth.compromisedUser.userPrincipalName;
  await page.goto(harness.host.url);

  await new StartPage(page).createCase({ name: 'Contoso mail-flow incident', examiner: 'A. Examiner', client: 'Contoso Ltd' });
  const collect = new CollectPage(page);

  // Before any sign-in the preflight already lists the Graph sources, each waiting for a sign-in.
  const before = await collect.preflightRows();
  expect(before.length).toBeGreaterThan(0);
  expect(before.every((r) => r.status === 'not-signed-in' && r.statusText.includes('Sign in first'))).toBe(true);
  await expect(page.getByTestId('collect-exchange')).toBeDisabled();
  await expect(page.getByTestId('collect-start')).toBeDisabled();

  // Graph first, as in the main flow.
  const graphPrompt = await collect.signIn();
  expect(graphPrompt.verificationUri).toBe(`${sim.url}/devicelogin`);
  await approve(harness, graphPrompt, admin);
  expect(await collect.waitSignedIn()).toBe(admin);

  // Then Exchange Online: its own device code, presented the same way.
  const exoPrompt = await collect.signInExchange();
  expect(exoPrompt.verificationUri).toBe(`${sim.url}/devicelogin`);
  expect(exoPrompt.userCode).not.toBe(graphPrompt.userCode);
  await expect(page.getByTestId('exo-sign-in-waiting')).toContainText('every second');
  await harness.shot('01-exchange-device-code');
  await approve(harness, exoPrompt, admin);
  expect(await collect.waitExchangeSignedIn()).toBe(admin);
  // Both signed in: one sign-out, for both, and the reason the other method is unavailable said inline.
  await expect(page.getByTestId('sign-out')).toHaveCount(1);
  await expect(page.getByTestId('sign-out')).toHaveText('Sign out of both');
  await expect(page.getByTestId('sign-in-method-app-only')).toBeDisabled();
  await expect(page.getByTestId('sign-in-method-locked')).toContainText('sign out below first');

  // Signing in to Exchange ticks "Include Exchange Online"; two days of logs; the preflight follows the options.
  await expect(page.getByTestId('collect-exchange')).toBeEnabled();
  await collect.setOptions({ logDays: 2, exchange: true });
  const rows = await collect.preflightRows();
  const bySource = Object.fromEntries(rows.map((r) => [r.source, r]));
  expect(bySource['graph.applications']!.status).toBe('ok');
  expect(bySource['graph.applications']!.statusText).toContain('OK');
  expect(bySource['graph.signIns']).toBeDefined();
  expect(bySource['graph.directoryAudits']).toBeDefined();
  const exo = rows.filter((r) => r.service === 'exchange');
  expect(exo.map((r) => r.source)).toEqual(expect.arrayContaining(['exo.inboundConnectors', 'exo.outboundConnectors', 'exo.transportRules', 'exo.unifiedAuditLog']));
  // Exchange checks roles itself at call time: unknown, in words, never a bare colour.
  expect(exo.every((r) => r.status === 'unknown' && r.statusText.includes('Unknown'))).toBe(true);
  // First collection of the case: nothing to estimate from yet.
  expect(rows.every((r) => r.estimatedRecords === null)).toBe(true);
  await expect(page.getByTestId('plan-minimum')).toContainText('unknown');
  await page.getByTestId('collect-plan').scrollIntoViewIfNeeded();
  await page.getByTestId('collect-log-days').focus();
  await harness.shot('02-preflight');

  // Zero days drops the log sources from the plan; back to two.
  await collect.setOptions({ logDays: 0 });
  expect((await collect.preflightRows()).some((r) => r.source === 'graph.signIns')).toBe(false);
  await collect.setOptions({ logDays: 2 });

  // The consultant names two mailboxes whose inbox rules to read.
  const withRules = harness.sim.tenant.users.filter((u) => harness.sim.exchange.state.inboxRules(u).length > 0).slice(0, 2);
  await page.getByTestId('collect-inbox-rules').fill(withRules.map((u) => u.userPrincipalName).join(', '));
  // Exchange answers the first cmdlet (the inbound connectors) with a warning in its 200: the completeness table shows it.
  harness.sim.faults.set({ rules: [{ kind: 'adminapi-warning', path: '/adminapi', count: 1 }] });
  await collect.collect({ logDays: 2, exchange: true });
  await expect(page.getByTestId('collection-status')).toBeVisible();
  const counts = await collect.waitCollected();
  expect(counts.state).toBe('done');
  expect(counts.bySource['exo.inboxRules']!.records).toBe(withRules.reduce((n, u) => n + harness.sim.exchange.state.inboxRules(u).length, 0));
  for (const source of ['exo.inboundConnectors', 'exo.outboundConnectors', 'exo.transportRules', 'exo.unifiedAuditLog']) {
    expect(counts.bySource[source], source).toBeDefined();
    expect(counts.bySource[source]!.state, source).toBe('done');
  }
  const exoTruth = truth.exchange!;
  expect(counts.bySource['exo.inboundConnectors']!.records).toBe(exoTruth.counts.inboundConnectors);
  expect(counts.bySource['exo.transportRules']!.records).toBe(exoTruth.counts.transportRules);
  expect(counts.bySource['graph.applications']!.records).toBe(truth.counts.applications);
  await page.getByTestId('collection').scrollIntoViewIfNeeded();
  await harness.shot('03-collected');

  // The run in Collections: finished, by whom, every source complete with its window.
  const runs = await collect.runs();
  expect(runs).toHaveLength(1);
  const run = runs[0]!;
  expect(run.runId).toBe(await collect.collection.getAttribute('data-run-id'));
  expect(run.state).toBe('done');
  expect(run.stateText).toContain('Finished');
  expect(run.account).toBe(admin);
  expect(run.resumable).toBe(false);
  const runSources = Object.fromEntries(run.sources.map((s) => [s.source, s]));
  for (const s of Object.values(counts.bySource)) {
    expect(runSources[s.source], s.source).toBeDefined();
    expect(runSources[s.source]!.state, s.source).toBe('done');
    expect(runSources[s.source]!.records, s.source).toBe(s.records);
  }
  expect(runSources['exo.unifiedAuditLog']!.window).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} → \d{4}-\d{2}-\d{2}/);
  expect(runSources['graph.signIns']!.window).toMatch(/→/);
  expect(runSources['exo.inboundConnectors']!.notes).toContain('Exchange warned: There are more results available than are currently displayed');
  expect(runSources['exo.transportRules']!.notes).toBe('—');
  expect(run.noChanges).toContain('First clean collection');
  await page.getByTestId('runs').scrollIntoViewIfNeeded();
  await harness.shot('04-collections');

  // The next preflight estimates from this collection.
  const again = await collect.preflightRows();
  expect(again.find((r) => r.source === 'graph.applications')!.estimatedRecords).toBe(truth.counts.applications);
  await expect(page.getByTestId('plan-minimum')).toContainText('from the last clean collection');
});

test('a running collection shows rate and time left, cancels keeping what it read, and resumes to completion', async ({ harness }) => {
  const { page, sim } = harness;
  const truth = sim.groundTruth;
  const admin = truth.compromisedUser.userPrincipalName;
  await page.goto(harness.host.url);
  await new StartPage(page).createCase({ name: 'Contoso resume', examiner: 'A. Examiner' });
  const collect = new CollectPage(page);
  await approve(harness, await collect.signIn(), admin);
  await collect.waitSignedIn();

  // A short first collection gives the next one sizes to estimate against.
  await collect.collect({ logDays: 1 });
  await collect.waitCollected();

  // Thirty days of logs, and the simulator holds the second page of sign-ins: this collection cannot end before the
  // cancel reaches it, however slow or fast the machine (the cancel aborts the held request).
  sim.faults.add({ kind: 'hold', path: '/beta/auditLogs/signIns', after: 1 });
  await collect.collect({ logDays: 30 });
  await expect(collect.collection).toHaveAttribute('data-state', 'running');
  await expect(page.getByTestId('collection-rate')).toContainText('records/s', { timeout: 30_000 });
  await expect(page.getByTestId('collection-eta')).toBeVisible();
  await page.getByTestId('collection').scrollIntoViewIfNeeded();
  await harness.shot('01-running');
  await page.getByTestId('collect-cancel').click();
  await expect(page.getByTestId('collect-cancel-confirm')).toBeVisible();
  await harness.shot('02-cancel-confirm');
  await page.getByTestId('collect-cancel-no').click();
  const runId = (await collect.collection.getAttribute('data-run-id'))!;
  await expect.poll(() => sim.faults.heldCount(), { timeout: 60_000 }).toBeGreaterThan(0);
  await collect.cancel();
  await expect(collect.collection).toHaveAttribute('data-state', 'cancelled');
  expect(sim.faults.heldCount()).toBe(0);
  await expect(page.getByTestId('collection-outcome')).toContainText('Resume');

  let runs = await collect.runs();
  expect(runs.map((r) => r.state)).toEqual(['cancelled', 'done']);
  expect(runs[0]!.runId).toBe(runId);
  expect(runs[0]!.resumable).toBe(true);
  expect(runs[0]!.stateText).toContain('Cancelled');
  await page.getByTestId('runs').scrollIntoViewIfNeeded();
  await harness.shot('03-cancelled-in-collections');

  sim.faults.clear();
  await collect.resume(runId);
  const counts = await collect.waitCollected();
  expect(counts.bySource['graph.applications']!.records).toBe(truth.counts.applications);
  runs = await collect.runs();
  expect(runs.map((r) => r.state)).toEqual(['done', 'done']);
  expect(runs[0]!.runId).toBe(runId);
  expect(runs[0]!.resumable).toBe(false);
  expect(runs[0]!.sources.every((s) => s.state === 'done')).toBe(true);
  // Against the first clean collection: either the changes or a sentence saying there are none.
  expect(runs[0]!.changes.length > 0 || runs[0]!.noChanges.includes('No changes')).toBe(true);
  await page.getByTestId('runs').scrollIntoViewIfNeeded();
  await harness.shot('04-resumed');
});
