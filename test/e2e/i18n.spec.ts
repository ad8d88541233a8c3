// Japanese in the real renderer: chosen on Settings, remembered, and every main screen shown in it without overflowing
// the window at 1440×900 and 1024×700 (screenshots under test-results/e2e/ to look at for clipping and line breaks).
import fs from 'node:fs';
import { test, expect, type Harness } from './fixtures';
import { FindingsPage, Shell, StartPage, type Screen } from './pages';
import { listInRecent, prepareCollectedCase, type PreparedCase } from './collected';
import { overflow } from './layout';

let prepared: PreparedCase | null = null;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  prepared = await prepareCollectedCase('peregrine-i18n-');
});

test.afterAll(() => {
  if (prepared) fs.rmSync(prepared.dir, { recursive: true, force: true });
});

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

/** Headings of each screen, as the catalogs write them. */
const HEADINGS: Record<'en' | 'ja', Partial<Record<Screen, string>>> = {
  ja: {
    start: 'スタート',
    collect: '収集',
    applications: 'アプリケーション',
    findings: '検出結果',
    export: 'エクスポート',
    custody: '保管記録',
    settings: '設定',
  },
  en: {
    start: 'Start',
    collect: 'Collect',
    applications: 'Applications',
    findings: 'Findings',
    export: 'Export',
    custody: 'Custody',
    settings: 'Settings',
  },
};

async function checkScreen(harness: Harness, screen: Screen, shot: string, lang: 'en' | 'ja' = 'ja'): Promise<void> {
  const { page } = harness;
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await expect(page.locator('main h1').first()).toContainText(HEADINGS[lang][screen]!);
    // Nothing wider than the window, nothing past its right edge; inside a scroller a table may scroll, but none needs to here.
    const found = await overflow(page);
    expect(found.wide, `${screen} at ${size.width}×${size.height}`).toEqual([]);
    expect(found.scrollWidth, `${screen} at ${size.width}×${size.height}: page scroll width`).toBeLessThanOrEqual(found.viewport);
    await harness.shot(`${shot}-${size.width}`);
  }
}

test('Japanese chosen on Settings is remembered and shown on every main screen without overflow', async ({ harness }) => {
  test.setTimeout(180_000);
  const { page } = harness;
  const name = listInRecent(harness, prepared);
  await page.goto(harness.host.url);
  const shell = new Shell(page);

  // English until chosen otherwise (Chromium here reports en-US).
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(shell.navLink('settings')).toHaveText('Settings');

  await shell.go('settings');
  await page.getByTestId('settings-language-select').selectOption('ja');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await expect(page.locator('main h1')).toHaveText('設定');
  await expect(shell.navLink('start')).toHaveText('スタート');
  await checkScreen(harness, 'settings', '01-settings');

  // Remembered across a reload.
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await expect(shell.navLink('settings')).toHaveText('設定');

  await shell.go('start');
  await expect(page.getByTestId('recent-cases')).toContainText('最後に開いた日時');
  await checkScreen(harness, 'start', '02-start');
  // At 1024 px the recent case's Open button is on screen, not scrolled away inside its table.
  await expect(page.getByTestId('recent-open')).toBeInViewport();
  await new StartPage(page).openRecent(name);
  await expect(shell.integrityStatus).toHaveAttribute('data-integrity', 'ok');
  await expect(shell.integrityStatus).toContainText('証拠に改ざんなし');

  await shell.go('collect');
  await expect(page.getByTestId('environment')).toContainText('テナント ID');
  await checkScreen(harness, 'collect', '03-collect');

  await shell.go('applications');
  await expect(page.getByTestId('applications-summary')).toContainText('フラグあり');
  await checkScreen(harness, 'applications', '04-applications');
  await page.getByTestId('app-row').first().click();
  await expect(page.getByTestId('app-panel')).toBeVisible();
  await checkScreen(harness, 'applications', '04-application');

  const findings = new FindingsPage(page);
  await findings.open();
  await expect(page.getByTestId('findings')).toContainText('重大');
  // The rules' own texts in Japanese, technical terms as written.
  await expect(page.getByTestId('findings')).toContainText('アプリが Exchange.ManageAsApp を保持');
  await checkScreen(harness, 'findings', '05-findings');
  // A finding opened: its panel, evidence and triage.
  await page.getByTestId('finding-row').first().click();
  await expect(findings.panel).toBeVisible();
  // Why it matched, and what each indicator is, in Japanese too: the evidence's values and technical terms as written.
  const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;
  const english = /\b(signed in|sign-ins?|accounts?|failed|between|holds|registered|created|was|were|after|from|the)\b/;
  const reason = findings.panel.getByTestId('finding-reason');
  await expect(reason).toContainText(japanese);
  await expect(reason).not.toContainText(english);
  const context = findings.panel.getByTestId('finding-ioc').first().locator('.ioc-context');
  await expect(context).toContainText(japanese);
  await expect(context).not.toContainText(english);
  await checkScreen(harness, 'findings', '05-finding-open');
  // The storyline's links in Japanese, still one numbered step each.
  await findings.select(await findings.keyOf('storyline.oauth-mail-abuse:'));
  const steps = await findings.panel.getByTestId('finding-step').allInnerTexts();
  expect(steps.length).toBeGreaterThanOrEqual(6);
  for (const step of steps) {
    expect(step).toMatch(japanese);
    expect(step).not.toMatch(english);
  }
  expect(steps.some((s) => /^\d{4}-\d\d-\d\d \d\d:\d\d UTC: アプリはこれらを削除しては再作成しています/.test(s))).toBe(true);
  await checkScreen(harness, 'findings', '05-storyline-open');
  // The raw evidence behind an event, in its dialog.
  await findings.panel.getByTestId('finding-event-open').first().click();
  await expect(findings.evidenceDialog).toContainText('収集したままのレコード');
  await checkScreen(harness, 'findings', '05-evidence-dialog');
  await page.keyboard.press('Escape');
  await expect(findings.evidenceDialog).toHaveCount(0);

  await shell.go('export');
  await checkScreen(harness, 'export', '06-export');

  await shell.go('custody');
  await expect(page.getByTestId('custody-chain-status')).toContainText('保管チェーン正常');
  await checkScreen(harness, 'custody', '07-custody');

  // Back to English, and the choice sticks the other way too.
  await shell.go('settings');
  await page.getByTestId('settings-language-select').selectOption('en');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('main h1')).toHaveText('Settings');
});

test('every main screen in English fits 1440×900 and 1024×700, tables included', async ({ harness }) => {
  test.setTimeout(180_000);
  const { page } = harness;
  const name = listInRecent(harness, prepared);
  await page.goto(harness.host.url);
  const shell = new Shell(page);
  await checkScreen(harness, 'start', '01-start', 'en');
  await new StartPage(page).openRecent(name);
  await expect(shell.integrityStatus).toHaveAttribute('data-integrity', 'ok');
  // The open case's row says so instead of offering to open it again.
  await shell.go('start');
  await expect(page.getByTestId('recent-current')).toHaveText('● Open now');
  await checkScreen(harness, 'start', '01-start-open', 'en');
  await page.getByTestId('recent-current').scrollIntoViewIfNeeded();
  // Whole, to the pixel's rounding.
  await expect(page.getByTestId('recent-current')).toBeInViewport({ ratio: 0.99 });
  // The header's status and Re-verify stay on one line each at 1024 px.
  for (const id of ['integrity-status', 'integrity-reverify']) {
    const box = await page.getByTestId(id).boundingBox();
    expect(box!.height, id).toBeLessThan(30);
  }
  await shell.go('collect');
  await checkScreen(harness, 'collect', '02-collect', 'en');
  await shell.go('applications');
  await checkScreen(harness, 'applications', '03-applications', 'en');
  // Every column, Created included, is on screen at 1024 px without scrolling the table sideways.
  // (Measured across, not by visibility: the overflow check may leave the page scrolled down past the header.)
  const lastHeader = await page.locator('[data-testid="applications"] th').last().boundingBox();
  expect(lastHeader).not.toBeNull();
  expect(lastHeader!.x).toBeGreaterThanOrEqual(0);
  expect(lastHeader!.x + lastHeader!.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  await page.getByTestId('app-row').first().click();
  await checkScreen(harness, 'applications', '03-application', 'en');
  const findings = new FindingsPage(page);
  await findings.open();
  await checkScreen(harness, 'findings', '04-findings', 'en');
  await page.getByTestId('finding-row').first().click();
  await checkScreen(harness, 'findings', '04-finding-open', 'en');
  await shell.go('export');
  await checkScreen(harness, 'export', '05-export', 'en');
  await shell.go('custody');
  await checkScreen(harness, 'custody', '06-custody', 'en');
  // The hash column is whole: its copy button inside the table's scroller, which does not scroll.
  await expect(page.locator('[data-testid="custody-hash-copy"]').first()).toBeInViewport({ ratio: 1 });
  const custodyTable = await page.getByTestId('custody').evaluate((t: { scrollWidth: number; parentElement: { clientWidth: number } | null }) => ({ table: t.scrollWidth, scroller: t.parentElement?.clientWidth ?? 0 }));
  expect(custodyTable.table).toBeLessThanOrEqual(custodyTable.scroller);
  await shell.go('settings');
  await checkScreen(harness, 'settings', '07-settings', 'en');
});

test('the first visit follows a Japanese browser language', async ({ harness }) => {
  const context = await harness.browser.newContext({ locale: 'ja-JP', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await page.goto(harness.host.url);
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await expect(page.locator('main h1')).toHaveText('スタート');
  await expect(page.getByTestId('new-case-submit')).toHaveText('ケースを作成');
  // Dates in the Japanese order; counts and the rest from the same catalogs.
  await harness.shot('01-start-first-visit', page);
  await context.close();
});
