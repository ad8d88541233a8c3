// Settings and the export confirmation in the real renderer: the signing key's identity and fingerprint, shown before anything is signed.
import path from 'node:path';
import { test, expect } from './fixtures';
import { StartPage, ExportPage, Shell } from './pages';
import { verifyExport } from '../../main/case/verify';
import { parseSignerPin } from '../../main/sign/pin';
import { startBrowserHost } from '../../main/host/browser';
import { createWorkbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';

test('the signing key is named on Settings and on the export confirmation', async ({ harness }) => {
  const { page } = harness;
  await page.goto(harness.host.url);
  const shell = new Shell(page);

  // Settings needs no open case; before the first export there is no key yet.
  await shell.go('settings');
  await expect(page.getByTestId('settings-signer-fingerprint')).toHaveText(/No key yet/);
  // The browser host has no file dialogs of main's choosing: moving the key is not offered here.
  await expect(page.getByTestId('settings-transfer-unavailable')).toContainText('peregrine key export');
  await expect(page.getByTestId('settings-export-key')).toHaveCount(0);
  await harness.shot('01-settings-no-key');

  await new StartPage(page).createCase({ name: 'Contoso OAuth incident', examiner: 'A. Examiner', client: 'Contoso Ltd' });
  const exportPage = new ExportPage(page);
  await exportPage.open();
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('export-confirm-signer-identity')).toHaveText('A. Examiner');
  await expect(page.getByTestId('export-confirm-signer-fingerprint')).toHaveText(/No key yet/);
  await page.getByTestId('export-confirm-cancel').click();
  await expect(page.getByTestId('export-confirm')).toHaveCount(0);

  const folder = await exportPage.run();
  const { signerFingerprint } = await exportPage.result();
  expect(signerFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);

  // The next export's confirmation names the key that now exists, before signing.
  await page.getByTestId('export-run').click();
  await expect(page.getByTestId('export-confirm-signer-fingerprint')).toContainText(signerFingerprint);
  await expect(page.getByTestId('export-confirm-signer-protection')).toHaveText('Encrypted under a passphrase');
  await harness.shot('02-export-confirmation');
  await page.getByTestId('export-confirm-cancel').click();

  await shell.go('settings');
  await expect(page.getByTestId('settings-signer-identity')).toHaveText('A. Examiner');
  await expect(page.getByTestId('settings-signer-fingerprint')).toContainText(signerFingerprint);
  await harness.shot('03-settings-key');

  const report = verifyExport(path.join(harness.casesDir, 'exports', folder), { signer: parseSignerPin(signerFingerprint) });
  expect(report.problems).toEqual([]);
  expect(report.signer).toEqual({ identity: 'A. Examiner', fingerprint: signerFingerprint });
});

test('without a keychain or a passphrase given to the host, the export confirmation asks for it', async ({ harness }) => {
  // A host started without PEREGRINE_SIGNING_PASSPHRASE: the same as the desktop app on Linux without a keyring.
  const workbench = createWorkbench({
    host: 'browser', toolVersion: 'e2e', casesDir: path.join(harness.dir, 'bare', 'cases'), homeDir: path.join(harness.dir, 'bare', 'home'),
    keyDir: path.join(harness.dir, 'bare', 'keys'), environment: null, collectionWorker: tsxWorkerEntry(),
  });
  const host = await startBrowserHost({ handlers: workbench.handlers, rendererDir: path.resolve('dist', 'renderer') });
  try {
    const { page } = harness;
    await page.goto(host.url);
    await new StartPage(page).createCase({ name: 'Fabrikam', examiner: 'B. Examiner' });
    const exportPage = new ExportPage(page);
    await exportPage.open();
    await page.getByTestId('export-run').click();
    await page.getByTestId('export-passphrase').fill('first passphrase');
    await page.getByTestId('export-passphrase-repeat').fill('first passphrasf');
    await expect(page.getByTestId('export-passphrase-mismatch')).toBeVisible();
    await expect(page.getByTestId('export-confirm-run')).toBeDisabled();
    await harness.shot('01-passphrase-mismatch');
    await page.getByTestId('export-passphrase-repeat').fill('first passphrase');
    await page.getByTestId('export-confirm-run').click();
    await expect(page.getByTestId('export-result')).toBeVisible({ timeout: 60_000 });
    const { signerFingerprint } = await exportPage.result();

    // The key exists now: one field, and a wrong passphrase is refused in words.
    await page.getByTestId('export-run').click();
    await expect(page.getByTestId('export-passphrase-repeat')).toHaveCount(0);
    await expect(page.getByTestId('export-confirm-signer-fingerprint')).toContainText(signerFingerprint);
    await page.getByTestId('export-passphrase').fill('not the passphrase');
    await page.getByTestId('export-confirm-run').click();
    await expect(page.getByTestId('export-error')).toContainText('The passphrase does not open the examiner key examiner-ed25519.pem.');
    await expect(page.getByTestId('export-error')).not.toContainText(harness.dir);
    await harness.shot('02-wrong-passphrase');
  } finally {
    await host.close();
    await workbench.close();
  }
});

test('where the host chooses key files (the desktop app), Settings exports and imports the key', async ({ harness }) => {
  // The desktop app's dialogs stand in as a function main calls: the renderer never names a path.
  const chosen = path.join(harness.dir, 'consultancy.pem');
  const make = (name: string) =>
    createWorkbench({
      host: 'browser', toolVersion: 'e2e', casesDir: path.join(harness.dir, name, 'cases'), homeDir: path.join(harness.dir, name, 'home'),
      keyDir: path.join(harness.dir, name, 'keys'), environment: null, collectionWorker: tsxWorkerEntry(),
      keyAccess: { passphrase: () => 'desktop passphrase' }, chooseKeyFile: async () => chosen,
    });
  const source = make('source');
  const target = make('target');
  const hosts = [await startBrowserHost({ handlers: source.handlers, rendererDir: path.resolve('dist', 'renderer') }), await startBrowserHost({ handlers: target.handlers, rendererDir: path.resolve('dist', 'renderer') })];
  try {
    const { page } = harness;
    const shell = new Shell(page);
    await page.goto(hosts[0]!.url);
    await new StartPage(page).createCase({ name: 'Contoso', examiner: 'A. Examiner' });
    const folder = await new ExportPage(page).run();
    expect(folder).toBeTruthy();
    await shell.go('settings');
    const fingerprint = (await page.getByTestId('settings-signer-fingerprint').innerText()).trim();
    await page.getByTestId('settings-export-passphrase').fill('transfer passphrase');
    await page.getByTestId('settings-export-key').click();
    await expect(page.getByTestId('settings-export-done')).toHaveText('Written to consultancy.pem, encrypted under the passphrase you chose.');
    await harness.shot('01-key-exported');

    await page.goto(hosts[1]!.url);
    await shell.go('settings');
    await expect(page.getByTestId('settings-signer-fingerprint')).toHaveText(/No key yet/);
    await page.getByTestId('settings-import-identity').fill('DFIR Partners LLP');
    await page.getByTestId('settings-import-passphrase').fill('transfer passphrase');
    await page.getByTestId('settings-import-key').click();
    await expect(page.getByTestId('settings-import-done')).toHaveText(`Imported from consultancy.pem: exports are now signed with ${fingerprint}.`);
    await expect(page.getByTestId('settings-signer-fingerprint')).toContainText(fingerprint);
    await expect(page.getByTestId('settings-signer-identity')).toHaveText('DFIR Partners LLP');
    await harness.shot('02-key-imported');
  } finally {
    for (const h of hosts) await h.close();
    await source.close();
    await target.close();
  }
});

test('the engagement settings are checked, saved outside the case and recorded in the open case', async ({ harness }) => {
  const { page } = harness;
  await page.goto(harness.host.url);
  const shell = new Shell(page);
  await new StartPage(page).createCase({ name: 'Engagement settings', examiner: 'A. Examiner' });
  await shell.go('settings');
  const panel = page.getByTestId('settings-engagement');
  await expect(panel.getByTestId('settings-engagementAppIds')).toHaveValue('');

  // A wrong value is refused by main, naming the field; nothing is saved.
  await panel.getByTestId('settings-breakGlass').fill('not an account');
  await panel.getByTestId('settings-engagement-save').click();
  await expect(panel.getByTestId('settings-engagement-error')).toContainText('breakGlass.0: must be a user principal name');

  await panel.getByTestId('settings-engagementAppIds').fill('6E053D8A-3378-460F-BFAA-3EB49F6B16DE');
  await panel.getByTestId('settings-breakGlass').fill('breakglass@contoso.onmicrosoft.com\n');
  await panel.getByTestId('settings-defaultTimeZone').fill('Asia/Tokyo');
  await panel.getByTestId('settings-engagement-save').click();
  await expect(panel.getByTestId('settings-engagement-saved')).toHaveText("Saved, and recorded in the open case's custody.");
  await expect(panel.getByTestId('settings-engagementAppIds')).toHaveValue('6e053d8a-3378-460f-bfaa-3eb49f6b16de');
  await harness.shot('04-settings-engagement');

  // The custody screen says what the entry the change made records.
  await shell.go('custody');
  await expect(page.getByText('Engagement settings recorded: own apps 6e053d8a-3378-460f-bfaa-3eb49f6b16de; accounts never to touch breakglass@contoso.onmicrosoft.com.')).toBeVisible();
});
