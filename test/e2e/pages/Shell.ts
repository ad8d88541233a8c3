// E2E page object: the workbench shell — header (open case, integrity) and the left nav.
import { expect, type Locator, type Page } from '@playwright/test';

export type Screen = 'start' | 'overview' | 'collect' | 'import' | 'applications' | 'objects' | 'findings' | 'timeline' | 'checklist' | 'export' | 'custody' | 'settings';

const SCREEN_TESTID: Record<Screen, string> = {
  start: 'screen-start',
  overview: 'screen-overview',
  objects: 'screen-evidence-servicePrincipal',
  collect: 'screen-collect',
  import: 'screen-import',
  applications: 'screen-evidence-applications',
  findings: 'screen-findings',
  timeline: 'screen-timeline',
  checklist: 'screen-checklist',
  export: 'screen-export',
  custody: 'screen-custody',
  settings: 'screen-settings',
};

export interface IntegrityView {
  state: 'ok' | 'problem' | 'unknown';
  text: string;
}

export class Shell {
  constructor(readonly page: Page) {}

  /** The open case's name in the header. */
  get caseName(): Locator {
    return this.page.getByTestId('case-name');
  }

  get integrityStatus(): Locator {
    return this.page.getByTestId('integrity-status');
  }

  navLink(screen: Screen): Locator {
    return this.page.getByTestId(`nav-${screen}`);
  }

  /** Clicks the nav entry and waits for the screen; fails if the entry is disabled (no case open). */
  async go(screen: Screen): Promise<void> {
    const link = this.navLink(screen);
    await expect(link, `nav entry ${screen} is disabled: is a case open?`).not.toHaveAttribute('aria-disabled', 'true');
    await link.click();
    await expect(this.page.getByTestId(SCREEN_TESTID[screen])).toBeVisible();
  }

  async isNavEnabled(screen: Screen): Promise<boolean> {
    return (await this.navLink(screen).getAttribute('aria-disabled')) !== 'true';
  }

  /** The header's integrity line, once `case.verify` has answered. */
  async integrity(): Promise<IntegrityView> {
    await expect(this.integrityStatus).not.toHaveAttribute('data-integrity', 'unknown');
    const state = (await this.integrityStatus.getAttribute('data-integrity')) as IntegrityView['state'];
    return { state, text: (await this.integrityStatus.innerText()).trim() };
  }

  /** Waits for "Evidence intact · R records in N pages of evidence · custody chain OK" and returns N. */
  async waitIntegrityOk(): Promise<number> {
    await expect(this.integrityStatus).toHaveAttribute('data-integrity', 'ok');
    const text = await this.integrityStatus.innerText();
    const m = /([\d,]+) pages? of evidence/.exec(text);
    return m?.[1] ? Number(m[1].replace(/,/g, '')) : 0;
  }

  async reverify(): Promise<void> {
    await this.page.getByTestId('integrity-reverify').click();
    await expect(this.page.getByTestId('integrity-reverify')).toBeEnabled();
  }

  async closeCase(): Promise<void> {
    await this.page.getByTestId('close-case').click();
    await expect(this.page.getByTestId('case-name-none')).toBeVisible();
  }
}
