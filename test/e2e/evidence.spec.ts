// The case overview and every evidence kind in the real renderer, in English and in Japanese, on a case collected twice
// (the attacker's connector re-created under its name, one malicious transport rule removed in between): the overview
// lands first and tells live from removed; each kind's table opens, sorts and filters in main; a detail shows the raw
// record as a tree, its evidence hash and its history; AuditData held in a string is a tree too. Screenshots at
// 1440×900 and 1024×700 under test-results/e2e/, with nothing wider than the window.
import fs from 'node:fs';
import { test, expect, type Harness } from './fixtures';
import { FindingsPage, Shell, StartPage } from './pages';
import { listInRecent, prepareRecollectedCase, type Recollected } from './collected';
import { overflow } from './layout';
import { EVIDENCE_KINDS } from '../../preload/evidenceKinds';
import type { Locator } from '@playwright/test';

let prepared: Recollected | null = null;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  prepared = await prepareRecollectedCase('peregrine-evidence-');
});

test.afterAll(() => {
  if (prepared) fs.rmSync(prepared.dir, { recursive: true, force: true });
});

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];

/** At both sizes: nothing wider than the window, nothing past its right edge; a screenshot of each. */
async function fits(harness: Harness, shot: string): Promise<void> {
  const { page } = harness;
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const found = await overflow(page);
    expect(found.wide, `${shot} at ${size.width}×${size.height}`).toEqual([]);
    expect(found.scrollWidth, `${shot} at ${size.width}×${size.height}: page scroll width`).toBeLessThanOrEqual(found.viewport);
    await harness.shot(`${shot}-${size.width}`);
  }
  await page.setViewportSize(SIZES[0]!);
}

/** One attribute of every element a locator finds, in order. */
async function attrs(found: Locator, name: string): Promise<(string | null)[]> {
  const n = await found.count();
  return Promise.all(Array.from({ length: n }, (_, i) => found.nth(i).getAttribute(name)));
}

/** The words broken across lines inside each element: a word is what lies between spaces (English may also break after a hyphen). */
async function brokenWords(found: Locator): Promise<string[]> {
  return found.evaluateAll((els) => {
    // The few DOM members used here (tsconfig.node.json has no DOM lib).
    interface TextNode { nodeType: number; textContent: string | null }
    interface Range { setStart(n: TextNode, o: number): void; setEnd(n: TextNode, o: number): void; getClientRects(): { length: number } }
    const doc = (globalThis as unknown as { document: { createRange(): Range } }).document;
    const broken: string[] = [];
    for (const el of els as unknown as { childNodes: ArrayLike<TextNode> }[]) {
      for (const node of Array.from(el.childNodes)) {
        if (node.nodeType !== 3) continue;
        for (const m of (node.textContent ?? '').matchAll(/[^\s-]+-?/g)) {
          const range = doc.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          if (range.getClientRects().length > 1) broken.push(m[0]);
        }
      }
    }
    return broken;
  });
}

const WORDS = {
  en: { overview: 'Overview', live: 'Still live', removed: 'Removed', users: 'Users', recreated: 'Re-created', firstSeen: 'Present at the first collection', embedded: 'JSON in a string', yes: 'Yes' },
  ja: { overview: '概要', live: 'まだ残っているもの', removed: '削除済み', users: 'ユーザー', recreated: '再作成', firstSeen: '最初の収集の時点で存在', embedded: '文字列内の JSON', yes: 'はい' },
} as const;

for (const lang of ['en', 'ja'] as const) {
  test(`${lang}: the overview lands first, and every evidence kind opens, sorts, filters and shows a record with its history`, async ({ harness }) => {
    test.setTimeout(300_000);
    const { page } = harness;
    const words = WORDS[lang];
    const p = prepared!;
    const name = listInRecent(harness, p);
    // The language as Settings stores it, before the page loads.
    await page.addInitScript((l) => globalThis.localStorage.setItem('peregrine.language', l), lang);
    await page.goto(harness.host.url);
    await expect(page.locator('html')).toHaveAttribute('lang', lang);
    const shell = new Shell(page);
    await new StartPage(page).openRecent(name);

    // ---- the overview is where an opened case lands
    await expect(page.getByTestId('screen-overview')).toBeVisible();
    await expect(page.locator('main h1')).toContainText(words.overview);
    await expect(page.getByTestId('overview-next')).toBeVisible();
    await expect(page.getByTestId('overview-next-go')).toHaveAttribute('href', /^#\/(findings|checklist|collect|custody|export)$/);
    await expect(page.getByTestId('overview-live-row').first()).toBeVisible();
    const liveIds = await attrs(page.getByTestId('overview-live-row'), 'data-object-id');
    const removedIds = await attrs(page.getByTestId('overview-removed-row'), 'data-object-id');
    expect(liveIds).toContain(p.connector.newGuid);
    expect(removedIds).toEqual(expect.arrayContaining([p.connector.oldGuid, p.removedRule.guid]));
    expect(liveIds).not.toContain(p.connector.oldGuid);
    await expect(page.getByTestId('overview-live-panel')).toContainText(words.live);
    await expect(page.getByTestId('overview-removed-panel')).toContainText(words.removed);
    // Custody with the time of the verification the header ran on opening.
    await expect(shell.integrityStatus).toHaveAttribute('data-integrity', 'ok');
    await expect(page.getByTestId('overview-custody-state')).toHaveAttribute('data-ok', 'true');
    await expect(page.getByTestId('overview-verified-at').locator('time')).toHaveAttribute('datetime', /^\d{4}-\d\d-\d\dT/);
    expect(await page.getByTestId('overview-source-row').count()).toBeGreaterThan(8);
    await expect(page.getByTestId('case-storyline')).toBeVisible();
    await fits(harness, `evidence-${lang}-01-overview`);

    // ---- a removed object's link opens its kind with its history: deleted and made again under its name
    await page.locator(`[data-testid="overview-removed-row"][data-object-id="${p.connector.oldGuid}"]`).getByTestId('overview-object-link').click();
    await expect(page.getByTestId('screen-evidence-inboundConnector')).toBeVisible();
    const panel = page.getByTestId('object-panel');
    await expect(panel).toHaveAttribute('data-object-id', p.connector.oldGuid);
    const history = panel.getByTestId('object-history-entry');
    await expect(history).toHaveCount(2);
    expect(await attrs(history, 'data-event')).toEqual(['first-seen', 're-created']);
    await expect(history.nth(0)).toContainText(words.firstSeen);
    await expect(history.nth(1)).toContainText(words.recreated);
    await expect(history.nth(1)).toContainText(p.connector.newGuid);
    await expect(panel.getByTestId('object-sha256')).toHaveText(/^[0-9a-f]{64}$/);
    await expect(panel.getByTestId('object-raw')).toContainText(p.connector.oldGuid);
    await fits(harness, `evidence-${lang}-02-connector-history`);

    // ---- every kind opens from the switcher, its table within the window
    for (const kind of EVIDENCE_KINDS) {
      await page.getByTestId(`kind-tab-${kind}`).click();
      await expect(page.getByTestId(`screen-evidence-${kind}`)).toBeVisible();
      await expect(page.getByTestId(`kind-tab-${kind}`)).toHaveAttribute('aria-current', 'page');
      await expect(page.getByTestId('evidence-table').or(page.getByTestId('evidence-kind-empty'))).toBeVisible();
      await fits(harness, `evidence-${lang}-10-${kind}`);
    }

    // ---- users: sorted in main both ways, filtered to one, its detail
    await page.getByTestId('kind-tab-user').click();
    await expect(page.locator('main h1')).toContainText(words.users);
    const upns = () => page.locator('[data-testid="object-row"] td[data-column="upn"]').allInnerTexts();
    await page.getByTestId('evidence-table-sort-upn').click();
    await expect(page.locator('th[aria-sort="ascending"]')).toHaveCount(1);
    await expect.poll(async () => { const u = await upns(); return u.length > 1 && u.join() === [...u].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)).join(); }).toBe(true);
    const ascendingFirst = (await upns())[0];
    await page.getByTestId('evidence-table-sort-upn').click();
    await expect(page.locator('th[aria-sort="descending"]')).toHaveCount(1);
    await expect.poll(async () => (await upns())[0]).not.toBe(ascendingFirst);
    const descending = await upns();
    expect(descending.join()).toBe([...descending].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? 1 : -1)).join());

    await page.getByTestId('evidence-filter').fill(p.admin);
    await expect.poll(upns).toContain(p.admin);
    await expect(page.getByTestId('object-row')).toHaveCount(1);
    const adminRow = page.getByTestId('object-row').first();
    // MFA registration and directory roles on the user's row.
    await expect(adminRow.locator('td[data-column="roles"]')).toContainText('Administrator');
    await adminRow.getByTestId('object-open').click();
    await expect(panel).toBeVisible();
    await expect(panel.getByTestId('object-panel-title')).toHaveText(p.admin);
    await expect(panel.getByTestId('object-history-entry')).toHaveCount(2);
    await panel.getByTestId('object-raw-expand').click();
    await expect(panel.getByTestId('object-raw')).toContainText('userPrincipalName:');
    await fits(harness, `evidence-${lang}-20-user-detail`);
    await page.keyboard.press('Escape');
    await expect(panel).toHaveCount(0);

    // ---- mailboxes narrowed to those that forward
    await page.getByTestId('kind-tab-mailbox').click();
    await page.getByTestId('evidence-toggle').check();
    await expect.poll(async () => page.getByTestId('object-row').count()).toBeGreaterThan(0);
    // Every row forwards somewhere: one of its two forwarding cells has an address (an empty one shows "—").
    const smtp = await page.locator('[data-testid="object-row"] td[data-column="forwardingSmtp"]').allInnerTexts();
    const recipient = await page.locator('[data-testid="object-row"] td[data-column="forwardingAddress"]').allInnerTexts();
    expect(smtp.length).toBe(recipient.length);
    expect(smtp.filter((s, i) => s.trim() === '—' && recipient[i]!.trim() === '—')).toEqual([]);
    await fits(harness, `evidence-${lang}-21-mailboxes-forwarding`);

    // ---- Applications: the raw record as a tree and the history in its panel too; Japanese words stay whole
    await page.getByTestId('kind-tab-application').click();
    await expect(page.getByTestId('screen-evidence-applications')).toBeVisible();
    await page.getByTestId('app-row').first().click();
    const appPanel = page.getByTestId('app-panel');
    await expect(appPanel.getByTestId('object-history-entry')).toHaveCount(2);
    await expect(appPanel.getByTestId('object-raw')).toBeVisible();
    await fits(harness, `evidence-${lang}-30-application`);
    await appPanel.getByTestId('app-panel-close').click();
    await page.setViewportSize(SIZES[1]!);
    // The audience ("シングルテナント", "Single tenant") may wrap between words, never inside one.
    const audience = page.locator('[data-testid="app-row"] td[data-column="audience"] span');
    expect(await audience.count()).toBeGreaterThan(0);
    expect(await brokenWords(audience)).toEqual([]);
    await page.setViewportSize(SIZES[0]!);

    // ---- a Unified Audit Log record: AuditData, a string holding JSON, is a tree of its own
    const findings = new FindingsPage(page);
    await findings.open();
    await findings.select(await findings.keyOf('exchange.suspicious-inbound-connector:'));
    await findings.panel.locator('[data-source="ual"]').first().getByTestId('finding-event-open').click();
    const dialog = findings.evidenceDialog;
    await expect(dialog.getByTestId('evidence-json')).toBeVisible();
    await dialog.getByTestId('evidence-json-expand').click();
    await expect(dialog.locator('.json-embedded').first()).toHaveText(words.embedded);
    await expect(dialog.getByTestId('evidence-json')).toContainText('New-InboundConnector');
    await fits(harness, `evidence-${lang}-40-auditdata-tree`);
  });
}
