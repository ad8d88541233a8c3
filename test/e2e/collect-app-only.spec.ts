// E2E: app-only sign-in on the simulator — the examiner picks the engagement app's certificate and key files, a wrong key is refused in words, then one sign-in collects Graph and Exchange.
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { StartPage, CollectPage } from './pages';
import { ENGAGEMENT_CERT_FILE, ENGAGEMENT_KEY_FILE } from '../sim/environment';

/** Screenshots for a person to look at, outside the repository. */
const SHOTS = process.env.PEREGRINE_SHOTS ?? '/tmp/shots';
async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `app-only-${name}.png`) });
}

test('a consultant signs in app-only with the engagement app certificate and collects Graph and Exchange without a device code', async ({ harness }) => {
  const { page, sim } = harness;
  const truth = sim.groundTruth;
  const appId = sim.environment.engagementApp.clientId;
  const certificateFile = path.join(harness.dir, 'sim', ENGAGEMENT_CERT_FILE);
  const privateKeyFile = path.join(harness.dir, 'sim', ENGAGEMENT_KEY_FILE);
  const wrongKeyFile = path.join(harness.dir, 'another.key.pem');
  fs.writeFileSync(wrongKeyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

  await page.goto(harness.host.url);
  await new StartPage(page).createCase({ name: 'Contoso app-only collection', examiner: 'A. Examiner', client: 'Contoso Ltd' });
  const collect = new CollectPage(page);
  await collect.open();

  // Device code stays the default; app-only is one click away, with the key's handling said up front.
  await expect(page.getByTestId('sign-in-method-device-code')).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('sign-in-method-app-only').click();
  await expect(page.getByTestId('app-only-key-note')).toContainText('never leaves this computer');
  await expect(page.getByTestId('app-only-key-note')).toContainText('memory only');
  // Where the app's id comes from is said beside the field.
  await expect(page.getByTestId('app-only-app-id-hint')).toContainText('Application (client) ID');

  // Nothing picked: each field says what it needs, and nothing is sent.
  await page.getByTestId('app-only-submit').click();
  await expect(page.getByTestId('app-only-form')).toHaveAttribute('data-attempts', '1');
  expect(await collect.appOnlyErrors()).toMatchObject({ appId: expect.stringContaining('application (client) id'), certificate: expect.stringContaining('Choose the certificate file'), key: expect.stringContaining('Choose the private key file') });

  // The certificate picked as the key: named before anything leaves the page.
  expect(await collect.signInAppOnly({ appId, certificateFile, privateKeyFile: certificateFile })).toBe('refused');
  expect((await collect.appOnlyErrors()).key).toContain('is not a PEM private key');

  // A key from another key pair: main refuses it before asking the tenant, and says which file is wrong.
  const tokenPosts = () => sim.requests.filter((r) => r.path.includes('/oauth2/v2.0/token')).length;
  const before = tokenPosts();
  expect(await collect.signInAppOnly({ appId, certificateFile, privateKeyFile: wrongKeyFile })).toBe('refused');
  const refused = await collect.appOnlyErrors();
  expect(refused.key).toMatch(/^✕ The private key does not match the certificate CN=Peregrine IR collection \(SHA-1 thumbprint [0-9A-F]{40}\)/);
  expect(refused.notice).toBe('');
  expect(tokenPosts()).toBe(before);
  await expect(page.getByTestId('sign-in')).toHaveAttribute('data-state', 'signed-out');
  await page.getByTestId('sign-in').scrollIntoViewIfNeeded();
  await shot(page, '01-wrong-key');

  // Another app's id with this certificate: the tenant refuses the assertion, and the notice keeps its AADSTS code.
  expect(await collect.signInAppOnly({ appId: sim.tenant.remediationClient.appId, certificateFile, privateKeyFile })).toBe('refused');
  expect((await collect.appOnlyErrors()).notice).toMatch(/^The tenant refused the app-only sign-in \(AADSTS700027\)/);
  await shot(page, '02-tenant-refused');

  // The right files: signed in as the app; Exchange needs nothing more.
  expect(await collect.signInAppOnly({ appId, certificateFile, privateKeyFile })).toBe('signed-in');
  expect(await collect.waitSignedIn()).toBe(`app:${appId}`);
  await expect(page.getByTestId('app-only-thumbprint')).toContainText(sim.tenant.engagementApp.certificate.thumbprintSha1);
  await expect(page.getByTestId('exo-app-only')).toContainText('No separate sign-in needed');
  await expect(page.getByTestId('exo-sign-in-start')).toHaveCount(0);
  await expect(page.getByTestId('sign-in-method-device-code')).toBeDisabled();
  // Why it is disabled is said on the screen, not only in a tooltip.
  await expect(page.getByTestId('sign-in-method-locked')).toContainText('Signed in app-only');
  await expect(page.getByTestId('collect-exchange')).toBeEnabled();
  await expect(page.getByTestId('collect-exchange')).toBeChecked();
  await shot(page, '03-signed-in');

  // Preflight: the app's roles cover the Graph sources; Exchange is planned.
  await collect.setOptions({ logDays: 2, exchange: true });
  const rows = await collect.preflightRows();
  expect(rows.find((r) => r.source === 'graph.applications')!.status).toBe('ok');
  expect(rows.filter((r) => r.service === 'exchange').length).toBeGreaterThan(0);
  expect(rows.every((r) => r.status !== 'not-signed-in')).toBe(true);

  const codes = sim.requests.filter((r) => r.path.includes('/devicecode')).length;
  await collect.collect({ logDays: 2, exchange: true });
  const counts = await collect.waitCollected();
  expect(counts.bySource['graph.applications']!.records).toBe(truth.counts.applications);
  expect(counts.bySource['exo.transportRules']!.records).toBe(truth.exchange!.counts.transportRules);
  expect(counts.bySource['exo.inboundConnectors']!.records).toBe(truth.exchange!.counts.inboundConnectors);
  expect(sim.requests.filter((r) => r.path.includes('/devicecode')).length).toBe(codes);
  await page.getByTestId('collection').scrollIntoViewIfNeeded();
  await shot(page, '04-collected');

  const [run] = await collect.runs();
  expect(run!.state).toBe('done');
  expect(run!.account).toBe(`app:${appId}`);

  // Signing out forgets the app; the form is back, the device-code choice free again.
  await page.getByTestId('sign-in').scrollIntoViewIfNeeded();
  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('app-only-form')).toBeVisible();
  await expect(page.getByTestId('sign-in-method-device-code')).toBeEnabled();
  await expect(page.getByTestId('collect-exchange')).toBeDisabled();
});
