// The Collect screen's tenant picker in the real renderer: a real tenant and its cloud named (DoD here), its documented
// endpoints and the client Settings names shown; a bad tenant refused at the field; then back to the simulator's
// environment file, where signing in still works. Screens at 1440×900 and 1024×700 in English and Japanese.
import path from 'node:path';
import { test, expect, type Harness } from './fixtures';
import { CollectPage, Shell, StartPage } from './pages';
import { overflow } from './layout';
import { saveSettings, SettingsSchema } from '../../main/settings/store';

const OUR_CLIENT = '6e053d8a-3378-460f-bfaa-3eb49f6b16de';

async function fits(harness: Harness, shot: string): Promise<void> {
  for (const size of [{ width: 1440, height: 900 }, { width: 1024, height: 700 }]) {
    await harness.page.setViewportSize(size);
    await harness.page.getByTestId('environment').scrollIntoViewIfNeeded();
    const found = await overflow(harness.page);
    expect(found.wide, `${shot} at ${size.width}×${size.height}`).toEqual([]);
    expect(found.scrollWidth, `${shot} at ${size.width}: page scroll width`).toBeLessThanOrEqual(found.viewport);
    await harness.shot(`${shot}-${size.width}`);
  }
  await harness.page.setViewportSize({ width: 1440, height: 900 });
}

test('a consultant names a DoD tenant on the Collect screen, sees its endpoints and client, then goes back to the simulator', async ({ harness }) => {
  test.setTimeout(120_000);
  const { page, sim } = harness;
  saveSettings(path.join(harness.dir, 'home'), SettingsSchema.parse({ collectionClientId: OUR_CLIENT }));
  await page.goto(harness.host.url);
  await new StartPage(page).createCase({ name: 'Contoso DoD', examiner: 'A. Examiner' });
  const collect = new CollectPage(page);
  await collect.open();
  // Started with the simulator's environment file: that is the tenant until another is named.
  await expect(page.getByTestId('env-client-from')).toContainText('from the environment file');
  await expect(page.getByTestId('simulator-badge')).toBeVisible();

  await page.getByTestId('tenant-input').fill('contoso');
  await page.getByTestId('tenant-use').click();
  await expect(page.getByTestId('tenant-input-error')).toContainText('Give the tenant’s id (a GUID) or a verified domain');
  await fits(harness, '01-tenant-invalid');

  await page.getByTestId('tenant-input').fill('contoso.onmicrosoft.us');
  await page.getByTestId('tenant-cloud').selectOption('dod');
  await page.getByTestId('tenant-use').click();
  await expect(page.getByTestId('env-authority')).toHaveText('https://login.microsoftonline.us/contoso.onmicrosoft.us');
  await expect(page.getByTestId('env-graph-url')).toHaveText('https://dod-graph.microsoft.us');
  await expect(page.getByTestId('env-exchange-url')).toHaveText('https://outlook-dod.office365.us');
  await expect(page.getByTestId('env-client-id')).toContainText(OUR_CLIENT);
  await expect(page.getByTestId('env-client-from')).toContainText('from Settings');
  await expect(page.getByTestId('simulator-badge')).toHaveCount(0);
  await expect(page.getByTestId('header-simulator')).toHaveCount(0);
  await expect(page.getByTestId('sign-in-start')).toBeVisible();
  await fits(harness, '02-tenant-dod');

  // In Japanese too.
  await new Shell(page).go('settings');
  await page.getByTestId('settings-language-select').selectOption('ja');
  await collect.open();
  await expect(page.getByTestId('env-client-from')).toContainText('設定から');
  await fits(harness, '03-tenant-dod-ja');
  await new Shell(page).go('settings');
  await page.getByTestId('settings-language-select').selectOption('en');
  await collect.open();

  // Back to the simulator: its tenant again, and a sign-in there works as before.
  await page.getByTestId('tenant-use-file').click();
  await expect(page.getByTestId('simulator-badge')).toBeVisible();
  await expect(page.getByTestId('env-tenant-id')).toContainText(sim.tenantId);
  const prompt = await collect.signIn();
  await sim.approve(prompt.userCode, sim.groundTruth.compromisedUser.userPrincipalName);
  expect(await collect.waitSignedIn()).toContain(sim.groundTruth.compromisedUser.userPrincipalName);
});
