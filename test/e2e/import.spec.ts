// The Import screen in the real renderer against the browser host: files read and counted before anything is written,
// a refusal naming the file, line and field, the import with its note, and the case verified after it.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures';
import { StartPage, Shell } from './pages';
import { verifyCaseFile } from '../../main/case/verify';
import { overflow } from './layout';
import type { DomNode } from './pages/dom';
import { folderEntries, writeSmallCollectionFolder } from '../support/collection-folder';
import { writeZip } from '../support/zip-writer';
import { openCase } from '../../main/case/case';
import { closeDatabase } from '../../db/connection';

const FIXTURES = path.resolve('test/fixtures/import');

test('files handed over are read, counted, refused where they must be, and imported with a note', async ({ harness }) => {
  const { page } = harness;
  const handover = path.join(harness.dir, 'handover');
  fs.mkdirSync(handover);
  for (const f of ['purview-current.csv', 'purview-ambiguous-dates.csv', 'ual-convertto-utf16.json', 'graph-signins-page.json', 'graph-audits-portal.json']) {
    fs.copyFileSync(path.join(FIXTURES, f), path.join(handover, f));
  }
  await page.goto(harness.host.url);
  const shell = new Shell(page);
  await new StartPage(page).createCase({ name: 'Contoso handover', examiner: 'A. Examiner' });
  await shell.go('import');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Import');
  await harness.shot('01-empty');

  // A folder whose audit search CSV has dates that read both ways: refused, naming where, nothing written.
  await page.getByTestId('import-paths').fill(handover);
  await page.getByTestId('import-plan').click();
  await expect(page.getByTestId('import-job')).toHaveAttribute('data-phase', 'failed');
  await expect(page.getByTestId('import-failure-file')).toHaveText('purview-ambiguous-dates.csv');
  await expect(page.getByTestId('import-failure-line')).toHaveText('2');
  await expect(page.getByTestId('import-failure-field')).toHaveText('CreationDate');
  await expect(page.getByTestId('import-failure-message')).toContainText('--date-format');
  await harness.shot('02-refused');

  // Told how the dates are written: every file's format, from its content, and its count, before anything is written.
  await page.getByTestId('import-date-format').selectOption('d/M/yyyy');
  await page.getByTestId('import-plan').click();
  await expect(page.getByTestId('import-job')).toHaveAttribute('data-phase', 'planned');
  const rows = page.getByTestId('import-file');
  await expect(rows).toHaveCount(5);
  const formats = await page.getByTestId('import-file-format').evaluateAll((els: DomNode[]) => els.map((e) => e.getAttribute('data-format')));
  expect(formats).toEqual(['graph-audits', 'graph-signins', 'purview-csv', 'purview-csv', 'ual-json']);
  await expect(page.getByTestId('import-file-records')).toHaveText(['2', '3', '3', '5', '3']);
  await expect(page.getByTestId('import-planned-summary')).toContainText('16 records in 5 file(s)');
  expect(verifyCaseFile(harness.workbench.currentCaseFile()!).checked.evidence).toBe(0);
  await expect(page.getByTestId('import-start')).toBeDisabled();
  await harness.shot('03-planned');

  await page.getByTestId('import-note').fill('Exported by J. Doe (client IT), received on USB on 24 May');
  await page.getByTestId('import-start').click();
  await expect(page.getByTestId('import-job')).toHaveAttribute('data-phase', 'done');
  await expect(page.getByTestId('import-result')).toContainText('16 records imported');
  await expect(page.getByTestId('integrity-status')).toHaveAttribute('data-integrity', 'ok');
  const layout = await overflow(page);
  expect(layout.wide).toEqual([]);
  await harness.shot('04-imported');

  const file = harness.workbench.currentCaseFile()!;
  const report = verifyCaseFile(file, { deep: true });
  expect(report.problems).toEqual([]);
  expect(report.checked.evidence).toBe(5);

  // In Japanese, a second read of the same files: the counts again, and nothing new to store.
  await shell.go('settings');
  await page.getByTestId('settings-language-select').selectOption('ja');
  await shell.go('import');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('インポート');
  await page.getByTestId('import-paths').fill(handover);
  await page.getByTestId('import-date-format').selectOption('d/M/yyyy');
  await page.getByTestId('import-plan').click();
  await expect(page.getByTestId('import-job')).toHaveAttribute('data-phase', 'planned');
  await expect(page.getByTestId('import-planned-summary')).toContainText('16 レコード');
  await harness.shot('05-ja-planned');
  await page.getByTestId('import-note').fill('同じファイルをもう一度');
  await page.getByTestId('import-start').click();
  await expect(page.getByTestId('import-job')).toHaveAttribute('data-phase', 'done');
  await expect(page.getByTestId('import-result')).toContainText('すべてのファイルはすでにケースにあります');
  await expect(page.getByTestId('import-file-records').first()).toHaveText('ケースに既にあります');
  await harness.shot('06-ja-nothing-new');
  await shell.go('settings');
  await page.getByTestId('settings-language-select').selectOption('en');
});

test('the collection script\'s folder, zipped, is checked against its manifest and imported as a collection', async ({ harness }) => {
  const { page } = harness;
  const folder = writeSmallCollectionFolder(path.join(harness.dir, 'peregrine-collection-20261207T100000Z'), fs.readFileSync(path.join(FIXTURES, 'graph-signins-page.json')));
  const zip = path.join(harness.dir, 'handover.zip');
  fs.writeFileSync(zip, writeZip(folderEntries(folder.dir, 'peregrine-collection-20261207T100000Z/')));
  // A copy whose connector file was changed after the script wrote it.
  const tampered = path.join(harness.dir, 'tampered.zip');
  fs.writeFileSync(tampered, writeZip(folderEntries(folder.dir, 'x/').map((e) => (e.name === 'x/exo.inboundConnectors.json' ? { ...e, data: Buffer.concat([e.data, Buffer.from([0x20, 0x00])]) } : e))));
  await page.goto(harness.host.url);
  const shell = new Shell(page);
  await new StartPage(page).createCase({ name: 'Contoso script folder', examiner: 'A. Examiner' });
  await shell.go('import');

  await page.getByTestId('import-paths').fill(tampered);
  await page.getByTestId('import-plan').click();
  await expect(page.getByTestId('import-job')).toHaveAttribute('data-phase', 'failed');
  await expect(page.getByTestId('import-failure-file')).toHaveText('tampered.zip:exo.inboundConnectors.json');
  await expect(page.getByTestId('import-failure-message')).toContainText('SHA-256');

  await page.getByTestId('import-paths').fill(zip);
  await page.getByTestId('import-plan').click();
  await expect(page.getByTestId('import-job')).toHaveAttribute('data-phase', 'planned');
  await expect(page.getByTestId('import-file')).toHaveCount(3);
  const formats = await page.getByTestId('import-file-format').evaluateAll((els: DomNode[]) => els.map((e) => e.getAttribute('data-format')));
  expect(formats).toEqual(['collection', 'collection', 'collection']);
  await expect(page.getByTestId('import-file-format').first()).toHaveText('Collection script folder (hashes checked against its manifest)');
  await harness.shot('07-collection-planned');
  await page.getByTestId('import-note').fill('Zip from the client admin, by mail');
  await page.getByTestId('import-own-apps').fill('7d1e3a5c-0000-4000-8000-000000000002');
  await page.getByTestId('import-start').click();
  await expect(page.getByTestId('import-job')).toHaveAttribute('data-phase', 'done');
  await expect(page.getByTestId('import-result')).toContainText('5 records imported');
  await expect(page.getByTestId('integrity-status')).toHaveAttribute('data-integrity', 'ok');
  expect(verifyCaseFile(harness.workbench.currentCaseFile()!, { deep: true }).problems).toEqual([]);
  const { db } = openCase(harness.workbench.currentCaseFile()!, { readonly: true });
  try {
    const started = JSON.parse(db.prepare(`SELECT details FROM custody WHERE action = 'collection.started'`).pluck().get() as string) as { engagementApps?: string[] };
    expect(started.engagementApps).toEqual(['7d1e3a5c-0000-4000-8000-000000000002']);
  } finally {
    closeDatabase(db);
  }
});
