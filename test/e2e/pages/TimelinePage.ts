// E2E page object: Timeline — filters and search, the histogram (zoom by dragging), the virtualized table, raw records and pins.
import { expect, type Locator, type Page } from '@playwright/test';
import type { DomNode } from './dom';
import { Shell } from './Shell';

export interface TimelineRowDom {
  id: number;
  at: string;
  source: string;
  ip: string;
  findings: number;
  text: string;
}

export class TimelinePage {
  readonly shell: Shell;

  constructor(readonly page: Page) {
    this.shell = new Shell(page);
  }

  async open(): Promise<void> {
    await this.shell.go('timeline');
    await this.settled();
  }

  get table(): Locator {
    return this.page.getByTestId('timeline-table');
  }

  get scroller(): Locator {
    return this.page.getByTestId('timeline-scroller');
  }

  get record(): Locator {
    return this.page.getByTestId('timeline-record');
  }

  /** The count, the histogram and the first rows have arrived. */
  async settled(): Promise<void> {
    await expect(this.page.getByTestId('timeline-count')).not.toHaveAttribute('data-count', '', { timeout: 30_000 });
    await expect(this.table).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    await expect(this.page.getByTestId('timeline-histogram')).toBeVisible({ timeout: 30_000 });
  }

  async count(): Promise<number> {
    return Number(await this.page.getByTestId('timeline-count').getAttribute('data-count'));
  }

  /** The rows in the DOM (only those near the viewport are). */
  async rows(): Promise<TimelineRowDom[]> {
    return this.page.getByTestId('timeline-row').evaluateAll((rows: DomNode[]) =>
      rows.map((r) => ({
        id: Number(r.getAttribute('data-id')),
        at: r.getAttribute('data-at') ?? '',
        source: r.getAttribute('data-source') ?? '',
        ip: r.getAttribute('data-ip') ?? '',
        findings: Number(r.getAttribute('data-findings')),
        text: `${r.getAttribute('title') ?? ''} ${r.textContent ?? ''}`,
      })),
    );
  }

  /** Histogram bars as drawn: start time and total. */
  async bars(): Promise<{ start: string; total: number }[]> {
    return this.page.getByTestId('histogram-bar').evaluateAll((bars: DomNode[]) => bars.map((b) => ({ start: b.getAttribute('data-start') ?? '', total: Number(b.getAttribute('data-total')) })));
  }

  async search(text: string): Promise<void> {
    await this.page.getByTestId('timeline-search').fill(text);
    await this.page.getByTestId('timeline-apply').click();
    await this.settled();
  }

  /** Drags across the histogram between two fractions of its width. */
  async dragHistogram(fromFraction: number, toFraction: number): Promise<void> {
    const plot = this.page.getByTestId('histogram-plot');
    const box = (await plot.boundingBox())!;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width * fromFraction, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + box.width * ((fromFraction + toFraction) / 2), y, { steps: 4 });
    await this.page.mouse.move(box.x + box.width * toFraction, y, { steps: 4 });
    await this.page.mouse.up();
  }

  /** Scrolls the table's own scroller by `px` and waits for any page it reads. */
  async scrollBy(px: number): Promise<void> {
    await this.scroller.evaluate((el: DomNode, by: number) => {
      (el as unknown as { scrollTop: number }).scrollTop += by;
    }, px);
    await expect(this.table).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  }
}
