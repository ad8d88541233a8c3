// E2E page object: Findings — the storyline, findings grouped by severity, the finding panel, raw evidence, triage and IOC export.
import fs from 'node:fs';
import { expect, type Download, type Locator, type Page } from '@playwright/test';
import type { DomNode } from './dom';
import { Shell } from './Shell';

export interface StageView {
  id: string;
  lit: boolean;
  title: string;
}

export interface FindingRowView {
  key: string;
  ruleId: string;
  severity: string;
  title: string;
  subject: string;
  /** ATT&CK ids; [] when the column is hidden (panel open) or empty. */
  attack: string[];
  triage: string;
  note: string;
}

export interface FindingGroupView {
  severity: string;
  count: number;
  keys: string[];
}

export interface FindingDetails {
  key: string;
  title: string;
  reason: string;
  explanation: string;
  attack: string;
  stage: string;
  phase: string;
  remediation: string;
  iocs: string[];
  objects: number;
  /** Event rows rendered (the first 200 until "Show all"). */
  eventRowsShown: number;
  /** From the events table summary ("230 events"). */
  eventsTotal: number;
}

export interface EvidenceView {
  title: string;
  json: string;
  evidenceId: string;
  sha256: string;
  source: string;
  url: string | null;
}

export class FindingsPage {
  readonly shell: Shell;

  constructor(readonly page: Page) {
    this.shell = new Shell(page);
  }

  /** Opens the screen and waits for the rules' answer (list, "collect first", or an error). */
  async open(): Promise<void> {
    await this.shell.go('findings');
    await expect(this.page.getByTestId('findings').or(this.page.getByTestId('findings-empty')).or(this.page.getByTestId('findings-error'))).toBeVisible({ timeout: 30_000 });
  }

  get emptyNotice(): Locator {
    return this.page.getByTestId('findings-empty');
  }

  get panel(): Locator {
    return this.page.getByTestId('finding-panel');
  }

  get evidenceDialog(): Locator {
    return this.page.getByTestId('evidence-dialog');
  }

  row(key: string): Locator {
    return this.page.locator(`[data-testid="finding-row"][data-key="${key.replace(/["\\]/g, '\\$&')}"]`);
  }

  /** "15 rules in 312 ms". */
  async elapsedText(): Promise<string> {
    return (await this.page.getByTestId('findings-elapsed').innerText()).trim();
  }

  async storyline(): Promise<StageView[]> {
    return this.page.getByTestId('storyline-stage').evaluateAll((stages: DomNode[]) =>
      stages.map((s) => ({
        id: s.getAttribute('data-stage') ?? '',
        lit: s.getAttribute('data-lit') === 'true',
        title: (s.querySelector('.stage-title')?.textContent ?? '').trim(),
      })),
    );
  }

  /** Clicks a stage (filters the list to its findings); clicking it again clears the filter. */
  async toggleStage(id: string): Promise<void> {
    await this.page.locator(`[data-testid="storyline-stage"][data-stage="${id}"]`).click();
  }

  async groups(): Promise<FindingGroupView[]> {
    return this.page.getByTestId('finding-group').evaluateAll((groups: DomNode[]) =>
      groups.map((g) => ({
        severity: g.getAttribute('data-severity') ?? '',
        count: Number(g.getAttribute('data-count') ?? '0'),
        keys: Array.from(g.querySelectorAll('[data-testid="finding-row"]')).map((r: DomNode) => r.getAttribute('data-key') ?? ''),
      })),
    );
  }

  async rows(): Promise<FindingRowView[]> {
    return this.page.getByTestId('finding-row').evaluateAll((rows: DomNode[]) =>
      rows.map((r) => {
        const text = (id: string) => (r.querySelector(`[data-testid="${id}"]`)?.textContent ?? '').trim();
        return {
          key: r.getAttribute('data-key') ?? '',
          ruleId: r.getAttribute('data-rule') ?? '',
          severity: r.getAttribute('data-severity') ?? '',
          title: text('finding-title'),
          subject: text('finding-subject'),
          attack: Array.from(r.querySelectorAll('[data-testid="finding-attack-ids"] .attack-id')).map((a: DomNode) => (a.textContent ?? '').trim()),
          triage: r.getAttribute('data-triage') ?? '',
          note: text('finding-triage-note'),
        };
      }),
    );
  }

  /** The first row whose key starts with `prefix` (rule id + ':'), e.g. the stuffing finding. */
  async keyOf(rulePrefix: string): Promise<string> {
    const key = (await this.rows()).find((r) => r.key.startsWith(rulePrefix))?.key;
    if (!key) throw new Error(`no finding of ${rulePrefix}`);
    return key;
  }

  async select(key: string): Promise<FindingDetails> {
    await this.row(key).getByTestId('finding-title').click();
    await expect(this.panel).toHaveAttribute('data-key', key);
    return this.details();
  }

  async details(): Promise<FindingDetails> {
    const p = this.panel;
    const text = async (id: string) => (await p.getByTestId(id).innerText()).trim();
    const summary = await p.getByTestId('finding-events-summary').innerText();
    return {
      key: (await p.getAttribute('data-key')) ?? '',
      title: await text('finding-panel-title'),
      reason: await text('finding-reason'),
      explanation: await text('finding-explanation'),
      attack: await text('finding-attack'),
      stage: await text('finding-stage'),
      phase: await text('finding-phase'),
      remediation: await text('finding-remediation'),
      iocs: (await p.getByTestId('finding-ioc').locator('.ioc-value').allInnerTexts()).map((s) => s.trim()),
      objects: await p.getByTestId('finding-object').count(),
      eventRowsShown: await p.getByTestId('finding-event').count(),
      eventsTotal: Number(summary.replace(/[^\d]/g, '') || '0'),
    };
  }

  async showAllEvents(): Promise<void> {
    await this.panel.getByTestId('finding-events-show-all').click();
    await expect(this.panel.getByTestId('finding-events-more')).toHaveCount(0);
  }

  async closeFinding(): Promise<void> {
    await this.page.getByTestId('finding-panel-close').click();
    await expect(this.panel).toHaveCount(0);
  }

  /** Opens the raw record of the n-th event row of the open finding. */
  async openEvent(index = 0): Promise<EvidenceView> {
    await this.panel.getByTestId('finding-event-open').nth(index).click();
    return this.readEvidence();
  }

  async openObject(index = 0): Promise<EvidenceView> {
    await this.panel.getByTestId('finding-object-open').nth(index).click();
    return this.readEvidence();
  }

  private async readEvidence(): Promise<EvidenceView> {
    const d = this.evidenceDialog;
    await expect(d.getByTestId('evidence-json')).toBeVisible();
    // The record is a tree: every level opened, its text reads as `key: value` lines.
    await d.getByTestId('evidence-json-expand').click();
    const url = d.getByTestId('evidence-url');
    return {
      title: (await d.getByTestId('evidence-title').innerText()).trim(),
      json: await d.getByTestId('evidence-json').innerText(),
      evidenceId: (await d.getByTestId('evidence-id').innerText()).trim(),
      sha256: (await d.getByTestId('evidence-sha256').innerText()).trim(),
      source: (await d.getByTestId('evidence-source').innerText()).trim(),
      url: (await url.count()) ? (await url.innerText()).trim() : null,
    };
  }

  async closeEvidence(): Promise<void> {
    await this.evidenceDialog.getByTestId('evidence-close').click();
    await expect(this.evidenceDialog).toHaveCount(0);
  }

  /** Sets the open finding's triage and saves it; waits until the list shows the new state. */
  async triage(state: 'open' | 'confirmed' | 'false_positive' | 'needs_info', note: string): Promise<void> {
    const key = (await this.panel.getAttribute('data-key')) ?? '';
    await this.panel.getByTestId('triage-state').selectOption(state);
    await this.panel.getByTestId('triage-note').fill(note);
    await this.panel.getByTestId('triage-save').click();
    await expect(this.panel.getByTestId('triage-saved')).toBeVisible();
    await expect(this.row(key)).toHaveAttribute('data-triage', state);
  }

  async triageLast(): Promise<string> {
    return (await this.panel.getByTestId('triage-last').innerText()).trim();
  }

  private async download(button: string): Promise<{ download: Download; content: string }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId(button).click()]);
    const file = await download.path();
    return { download, content: fs.readFileSync(file, 'utf8') };
  }

  async saveStix(): Promise<{ fileName: string; content: string }> {
    const { download, content } = await this.download('ioc-save-stix');
    return { fileName: download.suggestedFilename(), content };
  }

  async saveCsv(): Promise<{ fileName: string; content: string }> {
    const { download, content } = await this.download('ioc-save-csv');
    return { fileName: download.suggestedFilename(), content };
  }
}
