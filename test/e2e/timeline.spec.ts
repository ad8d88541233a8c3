// Timeline in the real renderer: a collected contoso case → the histogram's bursts, the virtualized table read by key while scrolling, filters, full-text search, zoom by dragging, raw records, pins into custody, and the jump from a finding to its events.
import fs from 'node:fs';
import { test, expect, type Harness } from './fixtures';
import path from 'node:path';
import { CustodyPage, ExportPage, FindingsPage, StartPage, TimelinePage } from './pages';
import { overflow } from './layout';
import type { DomNode } from './pages/dom';
import { listInRecent, prepareCollectedCase, type PreparedCase } from './collected';

const SHOTS = '/tmp/shots';
let prepared: PreparedCase | null = null;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  prepared = await prepareCollectedCase('peregrine-timeline-');
  fs.mkdirSync(SHOTS, { recursive: true });
});

test.afterAll(() => {
  if (prepared) fs.rmSync(prepared.dir, { recursive: true, force: true });
});

async function openCollectedCase(harness: Harness): Promise<void> {
  const name = listInRecent(harness, prepared);
  await harness.page.goto(harness.host.url);
  await new StartPage(harness.page).openRecent(name);
}

const sorted = (xs: string[]) => [...xs].sort();

test('timeline: bursts in the histogram, key-paged scrolling, filters, search, zoom, raw record, pin', async ({ harness }) => {
  test.setTimeout(240_000);
  const { page } = harness;
  await openCollectedCase(harness);
  const timeline = new TimelinePage(page);
  await timeline.open();

  const total = await timeline.count();
  expect(total).toBeGreaterThan(30_000);
  // The attack's bursts stand out: the busiest bar holds many times what a typical (median) bar does.
  const bars = await timeline.bars();
  expect(bars.length).toBeGreaterThan(10);
  const totals = bars.map((b) => b.total).sort((a, b) => a - b);
  const median = totals[Math.floor(totals.length / 2)]!;
  expect(totals.at(-1)!).toBeGreaterThan(5 * Math.max(1, median));
  await expect(page.getByTestId('timeline-histogram')).toHaveAttribute('data-bucket', 'hour');
  await page.screenshot({ path: `${SHOTS}/timeline-1440.png` });
  // Split by result, the credential stuffing is the hour of most failures, many times a typical hour's.
  await page.getByTestId('histogram-split-result').click();
  await expect(page.getByTestId('timeline-histogram')).toHaveAttribute('data-split', 'result');
  const failures = await page.getByTestId('histogram-bar').evaluateAll((bars: DomNode[]) =>
    bars.map((b) => ({ start: b.getAttribute('data-start') ?? '', failed: Number(b.getAttribute('data-failure') ?? 0) })));
  const worst = [...failures].sort((a, b) => b.failed - a.failed)[0]!;
  const typical = failures.map((f) => f.failed).sort((a, b) => a - b)[Math.floor(failures.length / 2)]!;
  expect(worst.failed).toBeGreaterThan(10 * Math.max(1, typical));
  await page.screenshot({ path: `${SHOTS}/timeline-failures-1440.png` });
  await page.getByTestId('histogram-split-source').click();

  // Only the rows near the viewport are in the DOM, in time order.
  let rows = await timeline.rows();
  expect(rows.length).toBeGreaterThan(10);
  expect(rows.length).toBeLessThan(80);
  expect(rows.map((r) => r.at)).toEqual(sorted(rows.map((r) => r.at)));
  const firstId = rows[0]!.id;
  // Scrolling on reads the next pages by key: later rows arrive, the DOM stays small, the window is bounded.
  for (let i = 0; i < 12; i++) await timeline.scrollBy(3000);
  rows = await timeline.rows();
  expect(rows.length).toBeLessThan(80);
  expect(rows.some((r) => r.id === firstId)).toBe(false);
  expect(Number(await timeline.table.getAttribute('data-rows'))).toBeLessThanOrEqual(1200);
  const later = rows[0]!.at;
  // …and back up again: the rows before the window are read again by key.
  for (let i = 0; i < 14; i++) await timeline.scrollBy(-3000);
  rows = await timeline.rows();
  expect(rows[0]!.at <= later).toBe(true);
  // The last events, and the first again.
  await page.getByTestId('timeline-last').click();
  await expect(timeline.table).toHaveAttribute('data-state', 'ready');
  await expect.poll(async () => (await timeline.rows()).length).toBeGreaterThan(5);
  const lastRows = await timeline.rows();
  expect(lastRows.at(-1)!.at >= later).toBe(true);

  // Filters: failed sign-ins only.
  await page.getByTestId('timeline-source-signin').check();
  await page.getByTestId('timeline-filter-result').selectOption('failure');
  await page.getByTestId('timeline-apply').click();
  await timeline.settled();
  const failedSignIns = await timeline.count();
  expect(failedSignIns).toBeGreaterThan(100);
  expect(failedSignIns).toBeLessThan(total);
  rows = await timeline.rows();
  expect(new Set(rows.map((r) => r.source))).toEqual(new Set(['signin']));
  expect(rows.every((r) => /Failure|failure/.test(r.text))).toBe(true);
  await expect(page).toHaveURL(/sources=signin/);

  // The address most failures come from (the stuffing source), then a full-text search for it combined with the filters.
  const byIp = new Map<string, number>();
  for (const r of rows) byIp.set(r.ip, (byIp.get(r.ip) ?? 0) + 1);
  const ip = [...byIp].sort((a, b) => b[1] - a[1])[0]![0];
  expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  await timeline.search(ip);
  const searched = await timeline.count();
  expect(searched).toBeGreaterThan(0);
  expect(searched).toBeLessThanOrEqual(failedSignIns);
  rows = await timeline.rows();
  expect(rows.every((r) => r.ip === ip && r.source === 'signin')).toBe(true);

  // Zoom: drag across the middle half of the histogram; the range lands in the address and every row is inside it.
  await page.getByTestId('timeline-clear').click();
  await timeline.settled();
  await timeline.dragHistogram(0.3, 0.7);
  await expect(page).toHaveURL(/from=.*to=/);
  await timeline.settled();
  const url = new URL(page.url().replace('#/timeline?', 'http://x/?'));
  const from = url.searchParams.get('from')!;
  const to = url.searchParams.get('to')!;
  expect(Date.parse(from)).toBeLessThan(Date.parse(to));
  const zoomed = await timeline.count();
  expect(zoomed).toBeLessThan(total);
  rows = await timeline.rows();
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((r) => r.at >= from && r.at < to)).toBe(true);
  // The form shows the range in the display zone.
  await expect(page.getByTestId('timeline-filter-from')).not.toHaveValue('');
  await page.screenshot({ path: `${SHOTS}/timeline-zoomed-1440.png` });
  await page.getByTestId('histogram-reset').click();
  await timeline.settled();
  expect(await timeline.count()).toBe(total);

  // A Unified Audit Log record opens as a tree: its AuditData-style nested JSON parsed, with the evidence hash.
  await page.getByTestId('timeline-source-ual').check();
  await page.getByTestId('timeline-apply').click();
  await timeline.settled();
  await page.getByTestId('timeline-row').first().click();
  await expect(timeline.record).toBeVisible();
  await expect(page.getByTestId('timeline-record-sha256')).toHaveText(/^[0-9a-f]{64}$/);
  await expect(page.getByTestId('timeline-record-tree')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/timeline-record.png` });
  await page.getByTestId('timeline-record-raw-toggle').click();
  const json = await page.getByTestId('timeline-record-json').innerText();
  expect(() => JSON.parse(json) as unknown).not.toThrow();

  // Pin it with a note: the pin list shows it, the row is marked, custody has the entry.
  await page.getByTestId('timeline-pin-input').fill('First mailbox activity by the attacker');
  await page.getByTestId('timeline-pin').click();
  await expect(page.getByTestId('timeline-pin-form')).toHaveAttribute('data-pinned', 'true');
  await page.getByTestId('timeline-record-close').click();
  await expect(page.getByTestId('timeline-pin-item')).toHaveCount(1);
  await expect(page.getByTestId('timeline-pin-item-note')).toHaveText('First mailbox activity by the attacker');
  await expect(page.locator('[data-testid="timeline-row"].pinned')).toHaveCount(1);
  const custody = new CustodyPage(page);
  await custody.open();
  expect((await page.getByTestId('custody-action').allInnerTexts()).filter((a) => a === 'timeline.pin')).toHaveLength(1);

  // At 1024×700 the screen still reads: the table keeps its columns inside the window.
  await page.setViewportSize({ width: 1024, height: 700 });
  await timeline.open();
  await page.screenshot({ path: `${SHOTS}/timeline-1024.png` });
  await timeline.table.scrollIntoViewIfNeeded();
  await expect(page.getByTestId('timeline-row').first()).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/timeline-1024-table.png` });
  const found = await overflow(page);
  expect(found.wide, 'elements wider than the window at 1024 px').toEqual([]);
  expect(found.scrollWidth).toBeLessThanOrEqual(found.viewport);
});

test('timeline: a finding, its indicators and a storyline stage open the timeline filtered to their events', async ({ harness }) => {
  test.setTimeout(240_000);
  const { page } = harness;
  await openCollectedCase(harness);
  const findings = new FindingsPage(page);
  await findings.open();

  // Each lit stage links to its events with a count.
  const stageLink = page.locator('[data-testid="stage-events-link"][data-stage="initial-access"]');
  await expect(stageLink).not.toHaveAttribute('data-count', '');
  const stageCount = Number(await stageLink.getAttribute('data-count'));
  expect(stageCount).toBeGreaterThan(0);

  const key = await findings.keyOf('signin.credential-stuffing');
  const detail = await findings.select(key);
  const link = page.getByTestId('finding-timeline-link');
  await expect(link).not.toHaveAttribute('data-count', '');
  const linked = Number(await link.getAttribute('data-count'));
  // Every event the finding rests on is in it, and the finding's own row.
  expect(linked).toBeGreaterThanOrEqual(detail.eventsTotal + 1);
  const iocLink = page.getByTestId('finding-ioc-events').first();
  await expect(iocLink).not.toHaveAttribute('data-count', '');
  await page.screenshot({ path: `${SHOTS}/finding-timeline-links.png` });

  await link.click();
  const timeline = new TimelinePage(page);
  await timeline.settled();
  await expect(page).toHaveURL(/#\/timeline\?finding=/);
  expect(await timeline.count()).toBe(linked);
  await expect(page.getByTestId('timeline-active')).toContainText(/Events of the finding/);
  const rows = await timeline.rows();
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.every((r) => r.findings >= 1)).toBe(true);
  await page.screenshot({ path: `${SHOTS}/timeline-from-finding.png` });
  // Combined with a source filter: exactly one row is the finding's own.
  await page.getByTestId('timeline-source-finding').check();
  await page.getByTestId('timeline-apply').click();
  await timeline.settled();
  expect(await timeline.count()).toBe(1);
  expect((await timeline.rows()).map((r) => r.source)).toEqual(['finding']);

  // Back to Findings, then the stage's link: the stage's events.
  await page.goBack();
  await findings.open();
  await page.locator('[data-testid="stage-events-link"][data-stage="initial-access"]').click();
  await timeline.settled();
  expect(await timeline.count()).toBe(stageCount);
  await expect(page.getByTestId('timeline-active')).toContainText(/storyline stage/);
});

test('timeline: "Export these events" exports only the filtered events, and the export says so', async ({ harness }) => {
  test.setTimeout(240_000);
  const { page } = harness;
  await openCollectedCase(harness);
  const timeline = new TimelinePage(page);
  await timeline.open();
  const total = await timeline.count();
  await expect(page.getByTestId('timeline-export-these')).toHaveCount(0);
  await page.getByTestId('timeline-source-signin').check();
  await page.getByTestId('timeline-apply').click();
  await timeline.settled();
  const signins = await timeline.count();
  expect(signins).toBeGreaterThan(100);
  expect(signins).toBeLessThan(total);

  await page.getByTestId('timeline-export-these').click();
  await expect(page).toHaveURL(/#\/export\?sources=signin/);
  const scope = page.getByTestId('export-scope');
  await expect(scope).toHaveAttribute('data-events', String(signins));
  await expect(page.getByTestId('export-scope-words')).toHaveText('sources: Sign-in');
  await expect(page.getByTestId('export-scope-count')).toContainText(`of the case’s`);
  await harness.shot('export-scoped-1440');

  const exporter = new ExportPage(page);
  const folder = await exporter.run(120_000, { here: true });
  await expect(page.getByTestId('export-result-scope')).toContainText(`Timeline: ${signins.toLocaleString('en')} of the case’s`);
  await harness.shot('export-scoped-done-1440');
  const dir = path.join(path.dirname(harness.workbench.currentCaseFile()!), 'exports', folder);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { scope?: { filter: unknown; events: number } };
  expect(manifest.scope).toMatchObject({ filter: { sources: ['signin'] }, events: signins });
  const sources = new Set(fs.readFileSync(path.join(dir, 'timeline.jsonl'), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { source: string }).source));
  expect([...sources]).toEqual(['signin']);

  // The export is in the case's history with its part of the timeline, and checks out again as the client would.
  const row = page.locator(`[data-testid="export-history-row"][data-folder="${folder}"]`);
  await expect(row).toContainText(`${signins.toLocaleString('en')} of`);
  await row.getByTestId('export-history-verify').click();
  await expect(row.getByTestId('export-history-check')).toHaveAttribute('data-ok', 'yes');
  await expect(page.getByTestId('export-folder-path')).toHaveText(dir);
  await row.scrollIntoViewIfNeeded();
  await harness.shot('export-history-1440');

  // Back to every event: the notice goes, and the next export is whole.
  await page.getByTestId('export-scope-clear').click();
  await expect(page).toHaveURL(/#\/export$/);
  await expect(scope).toHaveCount(0);
});
