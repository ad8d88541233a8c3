// E2E page object: the Custody screen — the hash-chained log and the chain's status.
import { expect, type Locator, type Page } from '@playwright/test';
import type { DomNode } from './dom';
import { Shell } from './Shell';

export interface CustodyEntryRow {
  seq: number;
  /** ISO timestamp (from the `<time datetime>`), independent of the display zone. */
  at: string;
  action: string;
  actor: string;
  /** What happened, in words: the sentence the screen shows in the interface language. */
  summary: string;
  /** The summary as main recorded it (`key: value` facts), which the sentence is made from. */
  recorded: string;
  /** The entry's link to the one before it, as the last verification saw it (start, linked, broken…). */
  link: string;
  /** The full hash (the cell shows it shortened). */
  hash: string;
}

export class CustodyPage {
  readonly shell: Shell;

  constructor(readonly page: Page) {
    this.shell = new Shell(page);
  }

  async open(): Promise<void> {
    await this.shell.go('custody');
    await expect(this.page.getByTestId('custody').or(this.page.getByTestId('custody-error'))).toBeVisible();
  }

  get chainStatus(): Locator {
    return this.page.getByTestId('custody-chain-status');
  }

  /** Entries in seq order. */
  async entries(): Promise<CustodyEntryRow[]> {
    await this.open();
    return this.page.getByTestId('custody-row').evaluateAll((rows: DomNode[]) =>
      rows.map((r) => {
        const cell = (id: string) => (r.querySelector(`td[data-column="${id}"]`)?.textContent ?? '').trim();
        return {
          seq: Number(r.getAttribute('data-seq')),
          at: r.querySelector('time')?.getAttribute('datetime') ?? '',
          action: r.getAttribute('data-action') ?? '',
          actor: cell('actor'),
          summary: cell('summary'),
          recorded: r.querySelector('[data-testid="custody-summary"]')?.getAttribute('title') ?? '',
          link: r.querySelector('[data-testid="custody-link"]')?.getAttribute('data-link') ?? '',
          hash: r.querySelector('[data-testid="custody-hash"]')?.getAttribute('title') ?? cell('hash'),
        };
      }),
    );
  }

  async actions(): Promise<string[]> {
    return (await this.entries()).map((e) => e.action);
  }

  /** Runs "Verify now" and returns whether the chain is OK, with the status line. */
  async verify(): Promise<{ ok: boolean; text: string }> {
    await this.open();
    await this.page.getByTestId('custody-verify').click();
    await expect(this.page.getByTestId('custody-verify')).toBeEnabled();
    await expect(this.chainStatus).toBeVisible();
    return { ok: (await this.chainStatus.getAttribute('data-integrity')) === 'ok', text: (await this.chainStatus.innerText()).trim() };
  }
}
