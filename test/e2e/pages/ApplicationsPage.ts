// E2E page object: Evidence → Applications — the table, its flags, and the side panel.
import { expect, type Locator, type Page } from '@playwright/test';
import type { DomNode } from './dom';
import { Shell } from './Shell';

export interface FlagView {
  severity: string;
  title: string;
  reason: string;
}

export interface AppRowView {
  displayName: string;
  appId: string;
  flagged: boolean;
  /** Highest severity shown (`high`, …) or null. */
  severity: string | null;
  flags: FlagView[];
  /** Cell text as shown; null when the column is hidden. */
  audience: string | null;
  created: string | null;
  credentials: string | null;
  permissions: string | null;
}

export interface AppDetails {
  displayName: string;
  appId: string;
  objectId: string;
  evidenceId: string;
  sha256: string;
  reasons: string[];
}

export class ApplicationsPage {
  readonly shell: Shell;

  constructor(readonly page: Page) {
    this.shell = new Shell(page);
  }

  async open(): Promise<void> {
    await this.shell.go('applications');
    await expect(this.page.getByTestId('applications').or(this.page.getByTestId('applications-empty')).or(this.page.getByTestId('applications-error'))).toBeVisible();
  }

  get table(): Locator {
    return this.page.getByTestId('applications');
  }

  row(displayName: string): Locator {
    return this.page.locator(`[data-testid="app-row"][data-app-name="${displayName.replace(/["\\]/g, '\\$&')}"]`);
  }

  /** All rows in display order (flagged first by default). Closes the side panel so every column shows. */
  async rows(): Promise<AppRowView[]> {
    await this.open();
    await this.closeDetails();
    return this.page.getByTestId('app-row').evaluateAll((rows: DomNode[]) =>
      rows.map((r) => {
        const cell = (id: string) => {
          const td = r.querySelector(`td[data-column="${id}"]`);
          return td ? (td.textContent ?? '').trim() : null;
        };
        const detail = r.nextElementSibling?.getAttribute('data-testid') === 'app-flag-detail' ? r.nextElementSibling : null;
        const flags = detail
          ? Array.from(detail.querySelectorAll('.flag-line')).map((li: DomNode) => ({
              severity: li.querySelector('[data-severity]')?.getAttribute('data-severity') ?? '',
              title: (li.querySelector('[data-testid="flag-title"]')?.textContent ?? '').trim(),
              reason: (li.querySelector('[data-testid="flag-reason"]')?.textContent ?? '').trim(),
            }))
          : [];
        return {
          displayName: r.getAttribute('data-app-name') ?? '',
          appId: r.getAttribute('data-app-id') ?? '',
          flagged: r.getAttribute('data-flagged') === 'true',
          severity: r.querySelector('[data-testid="app-flags"] [data-severity]')?.getAttribute('data-severity') ?? null,
          flags,
          audience: cell('audience'),
          created: cell('created'),
          credentials: cell('credentials'),
          permissions: r.querySelector('[data-testid="app-permissions"]')?.getAttribute('title') ?? cell('permissions'),
        };
      }),
    );
  }

  async flaggedRows(): Promise<AppRowView[]> {
    return (await this.rows()).filter((r) => r.flagged);
  }

  /** The reason(s) shown for a flagged app, most severe first; [] when not flagged. */
  async reasonsFor(displayName: string): Promise<string[]> {
    await this.open();
    const row = this.row(displayName);
    await expect(row, `no application named ${displayName}`).toHaveCount(1);
    return row.evaluate((r: DomNode) => {
      const detail = r.nextElementSibling?.getAttribute('data-testid') === 'app-flag-detail' ? r.nextElementSibling : null;
      return detail ? Array.from(detail.querySelectorAll('[data-testid="flag-reason"]')).map((e: DomNode) => (e.textContent ?? '').trim()) : [];
    });
  }

  /** The first (most severe) reason for a flagged app; throws when the app is not flagged. */
  async reasonFor(displayName: string): Promise<string> {
    const reasons = await this.reasonsFor(displayName);
    if (!reasons[0]) throw new Error(`${displayName} is not flagged`);
    return reasons[0];
  }

  async filter(text: string): Promise<void> {
    await this.page.getByTestId('applications-filter').fill(text);
  }

  async sortBy(column: 'flags' | 'name' | 'appId' | 'audience' | 'created' | 'credentials' | 'permissions'): Promise<void> {
    await this.page.getByTestId(`applications-sort-${column}`).click();
  }

  /** Opens the side panel for an app and reads its identifiers and evidence hash. */
  async openDetails(displayName: string): Promise<AppDetails> {
    await this.open();
    await this.row(displayName).getByTestId('app-name').click();
    const panel = this.page.getByTestId('app-panel');
    await expect(panel).toHaveAttribute('data-app-name', displayName);
    const text = async (id: string) => (await panel.getByTestId(id).innerText()).trim();
    return {
      displayName,
      appId: await text('app-panel-app-id'),
      objectId: await text('app-panel-object-id'),
      evidenceId: await text('app-panel-evidence-id'),
      sha256: await text('app-panel-sha256'),
      reasons: (await panel.getByTestId('app-panel-reason').allInnerTexts()).map((s) => s.trim()),
    };
  }

  async closeDetails(): Promise<void> {
    const close = this.page.getByTestId('app-panel-close');
    if (await close.isVisible()) {
      await close.click();
      await expect(this.page.getByTestId('app-panel')).toHaveCount(0);
    }
  }
}
