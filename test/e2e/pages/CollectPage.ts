// E2E page object: the Collect screen — tenant, device-code sign-ins (Graph, Exchange) or app-only with a certificate, options and preflight, progress, cancel/resume and the Collections list.
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

export interface CollectOptionsInput {
  /** Days of sign-ins and audits (0 skips them); left as shown when absent. */
  logDays?: number;
  /** Tick or untick "Include Exchange Online"; left as shown when absent. */
  exchange?: boolean;
}

export interface AppOnlyInput {
  appId: string;
  /** Paths of the PEM files the examiner picks in the file dialogs. */
  certificateFile: string;
  privateKeyFile: string;
}

export interface PreflightRowView {
  source: string;
  label: string;
  service: 'graph' | 'exchange';
  needs: string;
  status: 'ok' | 'missing' | 'unknown' | 'not-signed-in';
  /** The status as shown (icon + word), e.g. `✓ OK`. */
  statusText: string;
  note: string;
  /** Null when shown as unknown. */
  estimatedRecords: number | null;
}

export interface RunSourceView {
  source: string;
  label: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
  stateText: string;
  pages: number;
  records: number;
  window: string;
  retries: number;
  truncated: boolean;
  notes: string;
}

export interface RunView {
  runId: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  stateText: string;
  account: string;
  resumable: boolean;
  totals: string;
  sources: RunSourceView[];
  /** Change entries listed (appeared / disappeared / modified), 0 when none. */
  changes: { entity: string; change: string; objectId: string }[];
  /** The line shown when there are no changes, or ''. */
  noChanges: string;
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

  /** Clicks "Sign in to Exchange Online" (the second device code) and returns the code and verification URL shown. */
  async signInExchange(): Promise<DeviceCodePrompt> {
    await this.open();
    await this.page.getByTestId('exo-sign-in-start').click();
    const code = this.page.getByTestId('exo-device-code');
    await expect(code).toBeVisible();
    return {
      userCode: (await code.innerText()).trim(),
      verificationUri: (await this.page.getByTestId('exo-verification-uri').innerText()).trim(),
    };
  }

  /** Waits until the Exchange Online section shows its account; returns the username. */
  async waitExchangeSignedIn(timeout = 60_000): Promise<string> {
    const account = this.page.getByTestId('exo-signed-in-account');
    await expect(account).toBeVisible({ timeout });
    return (await account.innerText()).trim();
  }

  /** Chooses app-only, types the app id, picks the certificate and key files as the examiner would and signs in; returns the outcome. */
  async signInAppOnly(input: AppOnlyInput): Promise<'signed-in' | 'refused'> {
    await this.open();
    await this.page.getByTestId('sign-in-method-app-only').click();
    await expect(this.page.getByTestId('sign-in')).toHaveAttribute('data-method', 'app-only');
    await this.page.getByTestId('app-only-app-id').fill(input.appId);
    await this.page.getByTestId('app-only-certificate').setInputFiles(input.certificateFile);
    await this.page.getByTestId('app-only-key').setInputFiles(input.privateKeyFile);
    const form = this.page.getByTestId('app-only-form');
    const attempts = Number(await form.getAttribute('data-attempts'));
    await this.page.getByTestId('app-only-submit').click();
    const signedIn = this.page.getByTestId('app-only-signed-in');
    // The form counts its finished attempts: this answer, not the last one's errors.
    const answered = this.page.locator(`[data-testid="app-only-form"][data-attempts="${attempts + 1}"]`);
    await expect(signedIn.or(answered)).toBeVisible({ timeout: 30_000 });
    if (await signedIn.isVisible()) return 'signed-in';
    // A finished attempt with no error anywhere was accepted: the signed-in view follows the status poll.
    const errors = await this.appOnlyErrors();
    if (Object.values(errors).every((e) => e === '')) {
      await expect(signedIn).toBeVisible({ timeout: 30_000 });
      return 'signed-in';
    }
    return 'refused';
  }

  /** The app-only form's errors: the notice and each field's, by field. */
  async appOnlyErrors(): Promise<{ notice: string; appId: string; certificate: string; key: string }> {
    const text = async (id: string) => ((await this.page.getByTestId(id).count()) ? (await this.page.getByTestId(id).innerText()).replace(/\s+/g, ' ').trim() : '');
    return {
      notice: await text('app-only-error-message'),
      appId: await text('app-only-app-id-error'),
      certificate: await text('app-only-certificate-error'),
      key: await text('app-only-key-error'),
    };
  }

  /** Sets the collection options; waits for the preflight to reflect them. */
  async setOptions(opts: CollectOptionsInput): Promise<void> {
    await this.open();
    if (opts.logDays !== undefined) await this.page.getByTestId('collect-log-days').fill(String(opts.logDays));
    if (opts.exchange !== undefined) {
      const box = this.page.getByTestId('collect-exchange');
      await expect(box).toBeEnabled();
      await box.setChecked(opts.exchange);
    }
    const rows = this.page.getByTestId('preflight-row');
    if (opts.exchange !== undefined) {
      const exo = rows.and(this.page.locator('[data-service="exchange"]'));
      if (opts.exchange) await expect(exo.first()).toBeAttached();
      else await expect(exo).toHaveCount(0);
    }
    if (opts.logDays !== undefined) {
      const logs = rows.and(this.page.locator('[data-source="graph.signIns"]'));
      if (opts.logDays > 0) await expect(logs).toHaveCount(1);
      else await expect(logs).toHaveCount(0);
    }
  }

  /** The preflight table as shown (opened if folded), once it has answered. */
  async preflightRows(): Promise<PreflightRowView[]> {
    await this.open();
    const block = this.page.getByTestId('preflight');
    if ((await block.getAttribute('open')) === null) await this.page.getByTestId('preflight-summary').click();
    await expect(this.page.getByTestId('preflight-row').first()).toBeVisible();
    // Rows of a preflight that does not yet answer the current sign-ins and options are marked busy.
    await expect(this.page.getByTestId('preflight-table')).toHaveAttribute('aria-busy', 'false', { timeout: 30_000 });
    return this.page.getByTestId('preflight-row').evaluateAll((rows: DomNode[]) =>
      rows.map((r) => {
        const text = (id: string) => (r.querySelector(`[data-testid="${id}"]`)?.textContent ?? '').replace(/\s+/g, ' ').trim();
        const estimate = text('preflight-estimate');
        return {
          source: r.getAttribute('data-source') ?? '',
          label: (r.querySelector('[data-testid="preflight-label"]')?.textContent ?? '').replace(/\s*(Graph|Exchange)\s*$/, '').trim(),
          service: (r.getAttribute('data-service') ?? 'graph') as 'graph' | 'exchange',
          needs: text('preflight-needs'),
          status: (r.getAttribute('data-status') ?? 'unknown') as PreflightRowView['status'],
          statusText: text('preflight-status'),
          note: text('preflight-note').replace(/^—$/, ''),
          estimatedRecords: /^[\d,]+$/.test(estimate) ? Number(estimate.replace(/,/g, '')) : null,
        };
      }),
    );
  }

  /** Starts a collection (the button is enabled only when signed in) and waits until the run is known. */
  async collect(opts: CollectOptionsInput = {}): Promise<void> {
    await this.open();
    if (opts.logDays !== undefined || opts.exchange !== undefined) await this.setOptions(opts);
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

  /** Cancels the running collection through its confirmation ("what was collected is kept") and waits until it has stopped. */
  async cancel(timeout = 60_000): Promise<void> {
    await this.page.getByTestId('collect-cancel').click();
    const confirm = this.page.getByTestId('collect-cancel-confirm');
    await expect(confirm).toContainText('stays in the case file');
    await expect(confirm).toContainText('Resume');
    await this.page.getByTestId('collect-cancel-yes').click();
    await expect(this.collection).toHaveAttribute('data-state', /^(cancelled|done|failed)$/, { timeout });
  }

  /** Clicks Resume on that run in the Collections list; the run becomes the followed collection again. */
  async resume(runId: string): Promise<void> {
    await this.open();
    const run = this.page.locator(`[data-testid="run"][data-run-id="${runId}"]`);
    // A resumed run keeps its id: what shows it was taken up is its state leaving the one it stopped in (cancelled or
    // failed), to running or, on a fast machine, straight to its end.
    const stoppedIn = (await this.collection.getAttribute('data-run-id')) === runId ? await this.collection.getAttribute('data-state') : null;
    await run.getByTestId('run-resume').click();
    await expect(this.collection).toHaveAttribute('data-run-id', runId);
    if (stoppedIn) await expect(this.collection).not.toHaveAttribute('data-state', stoppedIn);
  }

  /** The Collections list, newest first, as shown (each run's completeness table is read even when folded). */
  async runs(): Promise<RunView[]> {
    await this.open();
    await expect(this.page.getByTestId('runs').getByTestId('run').first().or(this.page.getByTestId('runs-empty'))).toBeAttached();
    return this.page.getByTestId('run').evaluateAll((runs: DomNode[]) =>
      runs.map((r) => {
        const text = (n: DomNode | null) => (n?.textContent ?? '').replace(/\s+/g, ' ').trim();
        const num = (n: DomNode | null) => Number(text(n).replace(/[^\d]/g, '') || '0');
        const sources = Array.from(r.querySelectorAll('[data-testid="run-source"]')).map((s) => ({
          source: s.getAttribute('data-source') ?? '',
          label: text(s.querySelector('[data-testid="run-source-label"]')),
          state: (s.getAttribute('data-state') ?? 'pending') as RunSourceView['state'],
          stateText: text(s.querySelector('[data-testid="run-source-state"]')),
          pages: num(s.querySelector('[data-testid="run-source-pages"]')),
          records: num(s.querySelector('[data-testid="run-source-records"]')),
          window: text(s.querySelector('[data-testid="run-source-window"]')),
          retries: num(s.querySelector('[data-testid="run-source-retries"]')),
          truncated: s.getAttribute('data-truncated') === 'true',
          notes: text(s.querySelector('[data-testid="run-source-notes"]')),
        }));
        const changes = Array.from(r.querySelectorAll('[data-testid="run-change"]')).map((c) => ({
          entity: c.getAttribute('data-entity') ?? '',
          change: c.getAttribute('data-change') ?? '',
          objectId: c.getAttribute('data-object-id') ?? '',
        }));
        return {
          runId: r.getAttribute('data-run-id') ?? '',
          state: (r.getAttribute('data-state') ?? 'running') as RunView['state'],
          stateText: text(r.querySelector('[data-testid="run-state"]')),
          account: text(r.querySelector('[data-testid="run-account"]')),
          resumable: r.getAttribute('data-resumable') === 'true',
          totals: text(r.querySelector('[data-testid="run-totals"]')),
          sources,
          changes,
          noChanges: text(r.querySelector('[data-testid="run-changes-none"]')),
        };
      }),
    );
  }

  /** The error notice (message in words) if collection could not start or failed. */
  get error(): Locator {
    return this.page.getByTestId('collect-error').or(this.page.locator('[data-testid="collection-outcome"][data-outcome]:not([data-outcome="done"])'));
  }
}
