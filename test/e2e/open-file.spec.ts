// "Open a case file…" in the real renderer (browser host: a typed path): a case a colleague made is verified as it
// opens and who made it with which Peregrine is shown; a changed one lists its problems; a bad path or a file that is
// not a case is refused naming it. Screens at 1440×900 and 1024×700, in English and Japanese, for a person to look at.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, type Harness } from './fixtures';
import { Shell } from './pages';
import { prepareCollectedCase, type PreparedCase } from './collected';
import { overflow } from './layout';
import { saveSettings, SettingsSchema } from '../../main/settings/store';
import { withGuardsDropped } from '../support/tamper';

let prepared: PreparedCase | null = null;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  prepared = await prepareCollectedCase('peregrine-open-file-');
});

test.afterAll(() => {
  if (prepared) fs.rmSync(prepared.dir, { recursive: true, force: true });
});

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

/** A copy of the colleague's case somewhere on this computer, outside Peregrine's own cases folder. */
function handedOver(harness: Harness, name: string): string {
  if (!prepared) throw new Error('the collected case was not prepared');
  const folder = path.join(harness.dir, 'handover');
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, name);
  fs.copyFileSync(prepared.file, file);
  return file;
}

/** This examiner's Settings (fixtures.ts: the workbench's home is <dir>/home). */
function settings(harness: Harness): void {
  saveSettings(path.join(harness.dir, 'home'), SettingsSchema.parse({ examiner: 'Kenji Sato', defaultTimeZone: 'Asia/Tokyo' }));
}

async function fits(harness: Harness, shot: string): Promise<void> {
  for (const size of SIZES) {
    await harness.page.setViewportSize(size);
    const found = await overflow(harness.page);
    expect(found.wide, `${shot} at ${size.width}×${size.height}`).toEqual([]);
    expect(found.scrollWidth, `${shot} at ${size.width}: page scroll width`).toBeLessThanOrEqual(found.viewport);
    await harness.shot(`${shot}-${size.width}`);
  }
  await harness.page.setViewportSize(SIZES[0]!);
}

test('a case file handed over by a colleague opens from its path, verified, with who made it', async ({ harness }) => {
  test.setTimeout(120_000);
  const { page } = harness;
  settings(harness);
  const good = handedOver(harness, 'contoso-from-aiko.peregrine');
  const notes = path.join(harness.dir, 'handover', 'notes.peregrine');
  fs.writeFileSync(notes, 'meeting notes, not a case');
  await page.goto(harness.host.url);

  // Start: the path field beside the recent list; the new-case form takes the examiner and zone from Settings.
  await expect(page.getByTestId('open-file-path')).toBeVisible();
  await expect(page.getByTestId('new-case-timeZone')).toHaveValue('Asia/Tokyo');
  await expect(page.getByTestId('new-case-examiner')).toHaveValue('Kenji Sato');
  await fits(harness, '01-start');

  // A relative path and a file that is not a case: refused, each naming what was typed.
  await page.getByTestId('open-file-path').fill('handover/contoso.peregrine');
  await page.getByTestId('open-file-button').click();
  await expect(page.getByTestId('open-file-error-message')).toContainText('"handover/contoso.peregrine" is not a full path');
  await page.getByTestId('open-file-path').fill(notes);
  await page.getByTestId('open-file-button').click();
  await expect(page.getByTestId('open-file-error-message')).toHaveText(/^notes\.peregrine is not a Peregrine case file/);
  await fits(harness, '02-not-a-case');

  await page.getByTestId('open-file-path').fill(good);
  await page.getByTestId('open-file-button').click();
  const received = page.getByTestId('received-case');
  // Verifying a whole collection on opening takes a few seconds on a busy machine.
  await expect(received).toHaveAttribute('data-verified', 'ok', { timeout: 30_000 });
  await expect(page.getByTestId('received-made-by')).toHaveText('Made by Examiner with Peregrine test.');
  await expect(page.getByTestId('received-reasons')).toContainText('Settings names you as Kenji Sato');
  await expect(page.getByTestId('received-reasons')).toContainText('This is Peregrine e2e');
  await expect(page.getByTestId('received-status')).toHaveText(/Verified on opening: \d+ evidence rows and \d+ custody entries intact\./);
  await expect(page.getByTestId('open-file-error')).toHaveCount(0);
  await expect(new Shell(page).integrityStatus).toHaveAttribute('data-integrity', 'ok');
  await fits(harness, '03-received-verified');

  // In the recent list now, marked as the one open; Continue goes to its evidence.
  await expect(page.getByTestId('recent-current')).toBeVisible();
  await page.getByTestId('received-continue').click();
  await expect(page.getByTestId('screen-evidence-applications')).toBeVisible();
});

test('a handed-over case changed after it was made lists what verification found', async ({ harness }) => {
  test.setTimeout(120_000);
  const { page } = harness;
  settings(harness);
  const changed = handedOver(harness, 'contoso-changed.peregrine');
  withGuardsDropped(changed, (db) => {
    db.prepare(`UPDATE evidence SET body_gz = zeroblob(length(body_gz)) WHERE id = (SELECT min(id) FROM evidence)`).run();
  });
  await page.goto(harness.host.url);
  await page.getByTestId('open-file-path').fill(changed);
  await page.getByTestId('open-file-button').click();
  await expect(page.getByTestId('received-case')).toHaveAttribute('data-verified', 'problems', { timeout: 30_000 });
  await expect(page.getByTestId('received-status')).toContainText(/Verification on opening found \d+ problems?:/);
  await expect(page.getByTestId('received-problems').locator('li').first()).toContainText(/^evidence row \d+/);
  await fits(harness, '01-received-problems');

  // The same screen in Japanese.
  await new Shell(page).go('settings');
  await page.getByTestId('settings-language-select').selectOption('ja');
  await new Shell(page).go('start');
  await expect(page.getByTestId('received-made-by')).toHaveText('作成者: Examiner（Peregrine test）');
  await expect(page.getByTestId('received-status')).toContainText('開くときの検証で');
  await fits(harness, '02-received-problems-ja');
});
