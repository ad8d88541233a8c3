// Settings and the export confirmation in the real renderer: the signing key's identity and fingerprint, shown before anything is signed.
import path from 'node:path';
import { test, expect } from './fixtures';
import { StartPage, ExportPage, Shell } from './pages';
import { verifyExport } from '../../main/case/verify';
import { parseSignerPin } from '../../main/sign/pin';

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
