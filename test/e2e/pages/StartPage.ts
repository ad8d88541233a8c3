// E2E page object: the Start screen — new-case form and recent cases.
import { expect, type Locator, type Page } from '@playwright/test';
import type { DomNode } from './dom';
import { Shell } from './Shell';

export interface NewCase {
  name: string;
  examiner: string;
  client?: string;
  reference?: string;
  /** IANA zone shown in the select, e.g. `Europe/Amsterdam`; default UTC. */
  timeZone?: string;
}

export type NewCaseField = 'name' | 'examiner' | 'client' | 'reference' | 'timeZone';

export class StartPage {
  readonly shell: Shell;

  constructor(readonly page: Page) {
    this.shell = new Shell(page);
  }

  async open(): Promise<void> {
    await this.shell.go('start');
  }

  field(field: NewCaseField): Locator {
    return this.page.getByTestId(`new-case-${field}`);
  }

  /** The field-level validation message under a field (absent when the field is valid). */
  fieldError(field: NewCaseField): Locator {
    return this.page.getByTestId(`new-case-${field}-error`);
  }

  /** The form-level error when main refused `case.create`. */
  get submitError(): Locator {
    return this.page.getByTestId('new-case-error');
  }

  /** Fills the form and submits it, without waiting for the outcome (for validation tests). */
  async submitCase(c: Partial<NewCase>): Promise<void> {
    await this.open();
    await this.field('name').fill(c.name ?? '');
    await this.field('examiner').fill(c.examiner ?? '');
    await this.field('client').fill(c.client ?? '');
    await this.field('reference').fill(c.reference ?? '');
    if (c.timeZone) await this.field('timeZone').selectOption(c.timeZone);
    await this.page.getByTestId('new-case-submit').click();
  }

  /** Creates a case and waits until the header shows it open (the app then moves to Collect). */
  async createCase(c: NewCase): Promise<void> {
    await this.submitCase(c);
    await expect(this.shell.caseName).toHaveText(c.name);
    await expect(this.page.getByTestId('screen-collect')).toBeVisible();
  }

  recentRow(name: string): Locator {
    return this.page.getByTestId('recent-case-row').and(this.page.locator(`[data-case-name="${cssEscape(name)}"]`));
  }

  async recentNames(): Promise<string[]> {
    await this.open();
    await expect(this.page.getByTestId('recent-cases')).toBeVisible();
    return this.page.getByTestId('recent-case-row').evaluateAll((rows: DomNode[]) => rows.map((r) => r.getAttribute('data-case-name') ?? ''));
  }

  /** Opens a recent case by name and waits until the header shows it. */
  async openRecent(name: string): Promise<void> {
    await this.open();
    const row = this.recentRow(name);
    await expect(row, `no recent case named ${name}`).toBeVisible();
    await row.getByTestId('recent-open').click();
    // Opening reads the case file and verifies it: seconds on a busy machine.
    await expect(this.shell.caseName).toHaveText(name, { timeout: 30_000 });
  }
}

function cssEscape(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}
