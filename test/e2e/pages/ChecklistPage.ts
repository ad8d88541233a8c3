// E2E page object: the Checklist screen — progress, the remediation sign-in, and the step cards with their actions.
import { expect, type Locator, type Page } from '@playwright/test';
import type { DomNode } from './dom';
import { Shell } from './Shell';

export interface StepCardView {
  id: string;
  action: string;
  phase: string;
  state: string;
  title: string;
}

export class ChecklistPage {
  readonly shell: Shell;

  constructor(readonly page: Page) {
    this.shell = new Shell(page);
  }

  async open(): Promise<void> {
    await this.shell.go('checklist');
    await expect(this.page.getByTestId('checklist-progress').or(this.page.getByTestId('checklist-empty'))).toBeVisible();
  }

  card(stepId: string): Locator {
    return this.page.locator(`[data-testid="step-card"][data-step-id="${stepId}"]`);
  }

  async steps(): Promise<StepCardView[]> {
    return this.page.getByTestId('checklist-phase').evaluateAll((phases: DomNode[]) =>
      phases.flatMap((p) =>
        Array.from(p.querySelectorAll('[data-testid="step-card"]')).map((c) => ({
          id: c.getAttribute('data-step-id') ?? '',
          action: c.getAttribute('data-action') ?? '',
          phase: p.getAttribute('data-phase') ?? '',
          state: c.getAttribute('data-state') ?? '',
          title: c.querySelector('.step-title')?.textContent ?? '',
        })),
      ),
    );
  }

  /** "n of m verified" as numbers, from the progress panel. */
  async progress(): Promise<{ verified: number; total: number }> {
    const el = this.page.getByTestId('checklist-progress');
    return { verified: Number(await el.getAttribute('data-verified')), total: Number(await el.getAttribute('data-total')) };
  }

  /** Starts the device-code remediation sign-in and returns the code and where to enter it. */
  async startSignIn(): Promise<{ userCode: string; verificationUri: string }> {
    await this.page.getByTestId('remediate-sign-in-code').click();
    const code = this.page.getByTestId('remediate-device-code');
    await expect(code).toBeVisible();
    return { userCode: (await code.textContent())!.trim(), verificationUri: (await this.page.getByTestId('remediate-verification-uri').textContent())!.trim() };
  }

  /** Starts the Exchange Online remediation sign-in (device code) and returns the code and where to enter it. */
  async startExchangeSignIn(): Promise<{ userCode: string; verificationUri: string }> {
    await this.page.getByTestId('remediate-exo-sign-in-code').click();
    const code = this.page.getByTestId('remediate-exo-device-code');
    await expect(code).toBeVisible();
    return { userCode: (await code.textContent())!.trim(), verificationUri: (await this.page.getByTestId('remediate-exo-verification-uri').textContent())!.trim() };
  }

  async waitExchangeSignedIn(): Promise<string> {
    const account = this.page.getByTestId('remediate-exo-account');
    await expect(account).toBeVisible({ timeout: 30_000 });
    return (await account.textContent())!.trim();
  }

  /** Runs "Verify the checklist" and waits for its result. */
  async verify(): Promise<Locator> {
    await this.page.getByTestId('checklist-verify-run').click();
    const result = this.page.getByTestId('checklist-verify-result');
    await expect(result).toBeVisible({ timeout: 120_000 });
    return result;
  }

  async waitSignedIn(): Promise<string> {
    const account = this.page.getByTestId('remediate-account');
    await expect(account).toBeVisible({ timeout: 30_000 });
    return (await account.textContent())!.trim();
  }

  /** Runs a step's dry run and waits for its result. */
  async dryRun(stepId: string): Promise<Locator> {
    const card = this.card(stepId);
    await card.getByTestId('step-dry-run').click();
    const result = card.locator('[data-testid="step-run-result"][data-mode="dry-run"]');
    await expect(result).toBeVisible({ timeout: 60_000 });
    return result;
  }

  /**
   * Executes a step: for a destructive one, types the name the form asks for (as the consultant reads it from the
   * label), after first checking a wrong name cannot be submitted. Waits until the run has ended.
   */
  async execute(stepId: string, typeName: (label: string) => string): Promise<void> {
    const card = this.card(stepId);
    await card.getByTestId('step-execute').click();
    const confirm = card.getByTestId('step-confirm');
    if (await confirm.isVisible()) {
      const input = confirm.getByTestId('step-confirm-name');
      await input.fill('not the name');
      await expect(confirm.getByTestId('step-confirm-run')).toBeDisabled();
      const label = (await confirm.locator(`label[for="${await input.getAttribute('id')}"]`).textContent())!.trim();
      await input.fill(typeName(label));
      await confirm.getByTestId('step-confirm-run').click();
    }
    await expect(card.locator('[data-testid="step-run-result"][data-mode="write"][data-run-state="finished"]')).toBeVisible({ timeout: 120_000 });
  }

  async skip(stepId: string, reason: string): Promise<void> {
    const card = this.card(stepId);
    await card.getByTestId('step-skip').click();
    const form = card.getByTestId('step-skip-form');
    await expect(form.getByTestId('step-note-save')).toBeDisabled();
    await form.getByTestId('step-note').fill(reason);
    await form.getByTestId('step-note-save').click();
    await expect(card).toHaveAttribute('data-state', 'skipped');
  }
}
