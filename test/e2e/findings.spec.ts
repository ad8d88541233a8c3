// Findings in the real renderer: a collected contoso case opened from the recent list → storyline, severity groups, raw evidence with its sha256, triage into custody, STIX export.
import fs from 'node:fs';
import { test, expect, type Harness } from './fixtures';
import { CustodyPage, FindingsPage, StartPage } from './pages';
import { listInRecent, prepareCollectedCase, type PreparedCase } from './collected';
import type { DomNode } from './pages/dom';

const SHOTS = '/tmp/shots';

/** One full collection of the contoso scenario, made once for the file: the UI path is covered by flow.spec and collect.spec. */
let prepared: PreparedCase | null = null;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  prepared = await prepareCollectedCase('peregrine-findings-');
  fs.mkdirSync(SHOTS, { recursive: true });
});

test.afterAll(() => {
  if (prepared) fs.rmSync(prepared.dir, { recursive: true, force: true });
});

/** Puts a copy of the collected case in this test's recent list, then opens it from Start like a consultant would. */
async function openCollectedCase(harness: Harness): Promise<string> {
  const name = listInRecent(harness, prepared);
  await harness.page.goto(harness.host.url);
  await new StartPage(harness.page).openRecent(name);
  return name;
}

test('findings: storyline lit, critical findings, raw evidence with sha256, triage into custody, STIX export', async ({ harness }) => {
  test.setTimeout(180_000);
  const { page } = harness;
  await openCollectedCase(harness);

  const findings = new FindingsPage(page);
  await findings.open();
  expect(await findings.elapsedText()).toMatch(/^\d+ rules in [\d,]+ ms$/);

  // The storyline: all six stages of the contoso attack are supported by evidence.
  const stages = await findings.storyline();
  expect(stages.map((s) => s.id)).toEqual(['initial-access', 'persistence', 'privilege', 'credentials', 'mail-flow', 'cleanup-cycles']);
  expect(stages.filter((s) => !s.lit).map((s) => s.id)).toEqual([]);

  // Grouped by severity, most severe first; the end-to-end storyline finding and the stuffing finding are critical.
  const groups = await findings.groups();
  expect(groups[0]!.severity).toBe('critical');
  const order = ['critical', 'high', 'medium', 'low', 'info'];
  expect(groups.map((g) => order.indexOf(g.severity))).toEqual([...groups.map((g) => order.indexOf(g.severity))].sort((a, b) => a - b));
  const critical = groups[0]!.keys;
  expect(critical.some((k) => k.startsWith('storyline.oauth-mail-abuse:'))).toBe(true);
  expect(critical.some((k) => k.startsWith('signin.credential-stuffing:'))).toBe(true);
  const rows = await findings.rows();
  const stuffingRow = rows.find((r) => r.ruleId === 'signin.credential-stuffing')!;
  expect(stuffingRow.attack).toContain('T1110.004');
  expect(stuffingRow.subject).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  await page.screenshot({ path: `${SHOTS}/findings-list.png` });
  await page.getByTestId('storyline').screenshot({ path: `${SHOTS}/findings-storyline.png` });

  // Nothing is triaged yet: every row says so, in words of its own (not "Open", a state a consultant chooses).
  expect(new Set(rows.map((r) => r.triage))).toEqual(new Set(['untriaged']));
  await expect(findings.row(stuffingRow.key).getByTestId('finding-triage')).toHaveText('◌ Not triaged');

  // Columns sort inside each severity group: First ascending, then descending.
  await page.getByTestId('findings-sort-first').click();
  await expect(page.getByTestId('findings-sort-first').locator('..')).toHaveAttribute('aria-sort', 'ascending');
  // The First column of the biggest group, as ISO times (a finding without one sorts last either way).
  const firstTimes = async () => {
    const group = page.locator('[data-testid="finding-group"][data-severity="high"]');
    const all = await group.locator('[data-testid="finding-row"]').evaluateAll((rs: DomNode[]) => rs.map((r) => r.querySelector('td:nth-child(4) time')?.getAttribute('datetime') ?? ''));
    return all.filter((x) => x !== '');
  };
  const ascending = await firstTimes();
  expect(ascending.length).toBeGreaterThan(2);
  expect(ascending).toEqual([...ascending].sort());
  await page.getByTestId('findings-sort-first').click();
  expect(await firstTimes()).toEqual([...ascending].reverse());
  expect((await findings.groups()).map((g) => g.severity)).toEqual(groups.map((g) => g.severity));
  // Severity: most severe first when chosen, least severe first on a second click, and back.
  await page.getByTestId('findings-sort-severity').click();
  expect((await findings.groups()).map((g) => g.severity)).toEqual(groups.map((g) => g.severity));
  await page.getByTestId('findings-sort-severity').click();
  expect((await findings.groups()).map((g) => g.severity)).toEqual(groups.map((g) => g.severity).reverse());
  await page.getByTestId('findings-sort-severity').click();
  expect((await findings.groups()).map((g) => g.severity)).toEqual(groups.map((g) => g.severity));

  // A stage filters the list to its findings, and the address keeps it across a reload.
  await findings.toggleStage('mail-flow');
  const mailFlow = await findings.rows();
  expect(mailFlow.length).toBeGreaterThan(0);
  expect(mailFlow.every((r) => r.ruleId.startsWith('exchange.'))).toBe(true);
  await expect(page).toHaveURL(/#\/findings\?stage=mail-flow$/);
  await page.reload();
  // The rules run again after a reload: seconds on a busy machine.
  await expect(page.getByTestId('findings')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('findings-stage-filter')).toHaveAttribute('data-stage', 'mail-flow');
  expect((await findings.rows()).length).toBe(mailFlow.length);
  await findings.toggleStage('mail-flow');
  await expect(page).toHaveURL(/#\/findings$/);
  expect((await findings.rows()).length).toBe(rows.length);

  // The stuffing finding: hundreds of sign-ins, the first 200 rendered until asked.
  const stuffing = await findings.select(stuffingRow.key);
  expect(stuffing.attack).toContain('T1110.004');
  expect(stuffing.eventsTotal).toBeGreaterThan(200);
  expect(stuffing.eventRowsShown).toBe(200);
  expect(stuffing.iocs).toContain(stuffingRow.subject);
  expect(stuffing.phase.length).toBeGreaterThan(0);
  await page.screenshot({ path: `${SHOTS}/finding-detail.png` });
  await findings.panel.getByTestId('finding-events-summary').evaluate((el: { scrollIntoView(o: object): void }) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: `${SHOTS}/finding-detail-events.png` });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: `${SHOTS}/finding-detail-events-dark.png` });
  await page.emulateMedia({ colorScheme: 'light' });
  await findings.showAllEvents();
  expect((await findings.details()).eventRowsShown).toBe(stuffing.eventsTotal);

  // The raw record behind an event: its JSON, and the evidence page's full sha256.
  const raw = await findings.openEvent(0);
  expect(raw.sha256).toMatch(/^[0-9a-f]{64}$/);
  // Shown as a tree of the sign-in's fields, values as JSON writes them: a Graph sign-in (userPrincipalName) or the
  // Unified Audit Log's record of the same logon (UserId, inside AuditData parsed from its string).
  expect(raw.json).toMatch(/(userPrincipalName|UserId):\s*"/);
  expect(raw.json).toContain(stuffingRow.subject);
  expect(Number(raw.evidenceId)).toBeGreaterThan(0);
  await page.screenshot({ path: `${SHOTS}/finding-raw-evidence.png` });
  await findings.closeEvidence();
  // The focus is back on the row's button that opened it, not on <main>.
  await expect(findings.panel.getByTestId('finding-event-open').first()).toBeFocused();
  // From the keyboard too: Enter opens the dialog, Escape closes it, the focus returns.
  await page.keyboard.press('Enter');
  await expect(findings.evidenceDialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(findings.evidenceDialog).toHaveCount(0);
  await expect(findings.panel.getByTestId('finding-event-open').first()).toBeFocused();

  // Triage the storyline finding: the list shows it, and custody has a new entry.
  const storylineKey = critical.find((k) => k.startsWith('storyline.oauth-mail-abuse:'))!;
  await findings.select(storylineKey);
  // Its links, one numbered step each, the cleanup step dated at the re-creation (after the first removal).
  const steps = await findings.panel.getByTestId('finding-step').allInnerTexts();
  expect(steps.length).toBeGreaterThanOrEqual(6);
  expect(steps.some((s) => /^\d{4}-\d\d-\d\d \d\d:\d\d UTC: it removed and re-created them/.test(s))).toBe(true);
  // Operations as the source wrote them (New-InboundConnector), not lower-cased.
  const operations = await findings.panel.locator('[data-testid="finding-event"] td.col-operation').allInnerTexts();
  expect(operations).toContain('New-InboundConnector');
  // At 1440 px every event's Result is shown whole, inside the table's scroller.
  const clipped = await findings.panel.getByTestId('finding-event').evaluateAll((rows: DomNode[]) =>
    rows.flatMap((r) => {
      const cell = r.querySelector('td:last-child') as unknown as { scrollWidth: number; clientWidth: number; getBoundingClientRect(): { right: number }; closest(s: string): { getBoundingClientRect(): { right: number } } | null } | null;
      const scroller = cell?.closest('.table-scroll');
      return cell && scroller && (cell.scrollWidth > cell.clientWidth || cell.getBoundingClientRect().right > scroller.getBoundingClientRect().right + 0.5) ? [r.getAttribute('data-event-id') ?? ''] : [];
    }),
  );
  expect(clipped).toEqual([]);
  const note = 'Confirmed with the client: contoso_khz is not theirs.';
  await findings.triage('confirmed', note);
  const triaged = (await findings.rows()).find((r) => r.key === storylineKey)!;
  expect(triaged.triage).toBe('confirmed');
  expect(triaged.note).toBe(note);
  expect(await findings.triageLast()).toContain('Examiner');
  await page.screenshot({ path: `${SHOTS}/finding-triaged.png` });

  // IOC export: a STIX 2.1 bundle as a download.
  const stix = await findings.saveStix();
  expect(stix.fileName).toMatch(/\.json$/);
  const bundle = JSON.parse(stix.content) as { type: string; objects: { type: string }[] };
  expect(bundle.type).toBe('bundle');
  expect(bundle.objects.some((o) => o.type === 'indicator')).toBe(true);
  const csv = await findings.saveCsv();
  expect(csv.content).toContain(stuffingRow.subject);

  const custody = new CustodyPage(page);
  const entries = await custody.entries();
  const last = entries.at(-1)!;
  expect(last.action).toBe('finding.triaged');
  // Said in words, with its link in the chain.
  expect(last.summary).toBe(`Finding ${storylineKey} triaged: Open → Confirmed. Note: ${note}`);
  expect(entries.map((e) => e.link)).toEqual(['start', ...entries.slice(1).map(() => 'linked')]);
  expect(entries[0]!.summary).toMatch(/^Case “.+” created as .+\.peregrine, display zone /);
  expect(entries.filter((e) => e.action === 'finding.triaged')).toHaveLength(1);
  expect((await custody.verify()).ok).toBe(true);

  // Start shows the open case's storyline; a stage there opens Findings filtered to it.
  await new StartPage(page).open();
  const overview = page.getByTestId('case-storyline-chain');
  await expect(overview).toBeVisible({ timeout: 30_000 });
  await expect(overview.locator('[data-testid="storyline-stage"][data-lit="true"]')).toHaveCount(6);
  await page.screenshot({ path: `${SHOTS}/start-overview.png` });
  await overview.locator('[data-stage="mail-flow"]').click();
  await expect(page.getByTestId('findings-stage-filter')).toHaveAttribute('data-stage', 'mail-flow');
  expect((await findings.rows()).every((r) => r.ruleId.startsWith('exchange.'))).toBe(true);
});

test('findings before any collection say to collect first', async ({ harness }) => {
  const { page } = harness;
  await page.goto(harness.host.url);
  await new StartPage(page).createCase({ name: 'Empty case', examiner: 'A. Examiner' });
  const findings = new FindingsPage(page);
  await findings.open();
  await expect(findings.emptyNotice).toContainText('collect first');
  await findings.emptyNotice.getByTestId('findings-go-collect').click();
  await expect(page.getByTestId('screen-collect')).toBeVisible();
});
