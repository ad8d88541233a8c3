// E2E page object: the Collect screen — tenant, device-code sign-in and collection progress.
import { expect, type Locator, type Page } from '@playwright/test';
import type { DomNode } from './dom';
import { Shell } from './Shell';

export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
}

export interface SourceCount {
  source: string;
  label: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  pages: number;
  records: number;
}

export interface CollectedCounts {
  state: 'done' | 'failed' | 'cancelled';
  sources: SourceCount[];
  /** Keyed by source id (e.g. `applications`), for quick assertions. */
  bySource: Record<string, SourceCount>;
  totalRecords: number;
  totalPages: number;
}

export class CollectPage {
  readonly shell: Shell;

  constructor(readonly page: Page) {
    this.shell = new Shell(page);
  }

  async open(): Promise<void> {
    await this.shell.go('collect');
  }

  get collection(): Locator {
    return this.page.getByTestId('collection');
  }

  get simulatorBadge(): Locator {
    return this.page.getByTestId('simulator-badge');
  }

  async environment(): Promise<{ tenantId: string; authority: string; graphUrl: string; simulator: boolean }> {
    await this.open();
    const tenantId = (await this.page.getByTestId('env-tenant-id').innerText()).trim();
    return {
      tenantId,
      authority: (await this.page.getByTestId('env-authority').innerText()).trim(),
      graphUrl: (await this.page.getByTestId('env-graph-url').innerText()).trim(),
      simulator: await this.simulatorBadge.isVisible(),
    };
  }

  /** Clicks "Sign in" and returns the device code and verification URL shown. */
  async signIn(): Promise<DeviceCodePrompt> {
    await this.open();
    await this.page.getByTestId('sign-in-start').click();
    const code = this.page.getByTestId('device-code');
    await expect(code).toBeVisible();
    return {
      userCode: (await code.innerText()).trim(),
      verificationUri: (await this.page.getByTestId('verification-uri').innerText()).trim(),
    };
  }

  /** Waits until the screen (polling `auth.status` every second) shows the account; returns its username. */
  async waitSignedIn(timeout = 60_000): Promise<string> {
    const account = this.page.getByTestId('signed-in-account');
    await expect(account).toBeVisible({ timeout });
    return (await account.innerText()).trim();
  }

  /** Starts a collection (the button is enabled only when signed in) and waits until the run is known. */
  async collect(): Promise<void> {
    await this.open();
    const previous = await this.collection.getAttribute('data-run-id');
    const button = this.page.getByTestId('collect-start');
    await expect(button).toBeEnabled();
    await button.click();
    if (previous) await expect(this.collection).not.toHaveAttribute('data-run-id', previous);
    else await expect(this.collection).toHaveAttribute('data-run-id', /.+/);
  }

  /**
   * Waits for the run to end and returns the counts shown. Unless `allowFailure`, asserts it finished
   * with every source done.
   */
  async waitCollected(opts: { timeout?: number; allowFailure?: boolean } = {}): Promise<CollectedCounts> {
    const { timeout = 120_000, allowFailure = false } = opts;
    await expect(this.collection).toHaveAttribute('data-state', /^(done|failed|cancelled)$/, { timeout });
    const state = (await this.collection.getAttribute('data-state')) as CollectedCounts['state'];
    const sources = await this.sources();
    if (!allowFailure) {
      expect(state, 'collection state').toBe('done');
      expect(sources.filter((s) => s.state !== 'done').map((s) => `${s.label}: ${s.state}`), 'sources not done').toEqual([]);
    }
    const bySource = Object.fromEntries(sources.map((s) => [s.source, s]));
    return {
      state,
      sources,
      bySource,
      totalRecords: sources.reduce((n, s) => n + s.records, 0),
      totalPages: sources.reduce((n, s) => n + s.pages, 0),
    };
  }

  /** The per-source rows as shown right now. */
  async sources(): Promise<SourceCount[]> {
    return this.page.getByTestId('source-row').evaluateAll((rows: DomNode[]) =>
      rows.map((r) => {
        const num = (id: string) => Number((r.querySelector(`[data-testid="${id}"]`)?.textContent ?? '0').replace(/[^\d]/g, '') || '0');
        return {
          source: r.getAttribute('data-source') ?? '',
          label: r.querySelector('td')?.textContent?.trim() ?? '',
          state: (r.getAttribute('data-state') ?? 'pending') as 'pending' | 'running' | 'done' | 'failed',
          pages: num('source-pages'),
          records: num('source-records'),
        };
      }),
    );
  }

  /** The error notice (message in words) if collection could not start or failed. */
  get error(): Locator {
    return this.page.getByTestId('collect-error').or(this.page.locator('[data-testid="collection-outcome"][data-outcome]:not([data-outcome="done"])'));
  }
}
