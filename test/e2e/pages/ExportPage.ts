// E2E page object: the Export screen — run the signed export and read its result.
import { expect, type Locator, type Page } from '@playwright/test';
import type { DomNode } from './dom';
import { Shell } from './Shell';

export interface ExportView {
  folderName: string;
  files: { name: string; sha256: string }[];
  signerFingerprint: string;
  custodyHead: string;
  verifyCommands: string[];
}

export class ExportPage {
  readonly shell: Shell;

  constructor(readonly page: Page) {
    this.shell = new Shell(page);
  }

  async open(): Promise<void> {
    await this.shell.go('export');
  }

  get error(): Locator {
    return this.page.getByTestId('export-error');
  }

  /** Clicks the export button, waits for the result and returns the export folder's name; `here` keeps the address (a scope) as it is. */
  async run(timeout = 120_000, { here = false } = {}): Promise<string> {
    if (!here) await this.open();
    const before = (await this.page.getByTestId('export-folder').isVisible()) ? await this.page.getByTestId('export-folder').innerText() : null;
    await this.page.getByTestId('export-run').click();
    // The confirmation names the signing key before anything is signed.
    await expect(this.page.getByTestId('export-confirm-signer')).toBeVisible();
    await this.page.getByTestId('export-confirm-run').click();
    await expect(this.page.getByTestId('export-run')).toBeEnabled({ timeout });
    await expect(this.page.getByTestId('export-result').or(this.error)).toBeVisible();
    if (await this.error.isVisible()) throw new Error(`export failed: ${await this.error.innerText()}`);
    const folder = (await this.page.getByTestId('export-folder').innerText()).trim();
    if (before !== null) expect(folder, 'a new export folder').not.toBe(before.trim());
    return folder;
  }

  /** Everything the result shows (after `run`). */
  async result(): Promise<ExportView> {
    const text = async (id: string) => (await this.page.getByTestId(id).innerText()).trim();
    const files = await this.page.getByTestId('export-file-row').evaluateAll((rows: DomNode[]) =>
      rows.map((r) => ({
        name: r.getAttribute('data-file') ?? '',
        sha256: (r.querySelector('[data-testid="export-file-sha256"]')?.textContent ?? '').trim(),
      })),
    );
    return {
      folderName: await text('export-folder'),
      files,
      signerFingerprint: await text('export-signer'),
      custodyHead: await text('export-custody-head'),
      verifyCommands: (await text('export-verify-commands')).split('\n').filter((l) => l.trim() !== ''),
    };
  }
}
