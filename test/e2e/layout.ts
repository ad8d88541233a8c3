// E2E helper: what of the page is wider than the window, for the layout checks at 1440×900 and 1024×700.
import type { Page } from '@playwright/test';

/** Elements wider than the window, or reaching past its right edge unclipped, as `tag.class (width)`; and the page's own scroll width. */
export async function overflow(page: Page): Promise<{ scrollWidth: number; viewport: number; wide: string[] }> {
  return page.evaluate(() => {
    // The few DOM members used here (tsconfig.node.json has no DOM lib).
    interface El { tagName: string; className: unknown; parentElement: El | null; getBoundingClientRect(): { width: number; height: number; right: number } }
    const w = globalThis as unknown as {
      innerWidth: number;
      document: { documentElement: { scrollWidth: number }; body: { querySelectorAll(s: string): ArrayLike<El> } };
      getComputedStyle(e: El): { overflowX: string };
    };
    const viewport = w.innerWidth;
    const wide: string[] = [];
    for (const el of Array.from(w.document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      // Past the right edge inside a scrolling box that itself fits (a wide table in its scroller) is not overflow.
      let clipped = false;
      for (let a = el.parentElement; a && !clipped; a = a.parentElement) {
        const ox = w.getComputedStyle(a).overflowX;
        if (ox !== 'visible' && a.getBoundingClientRect().right <= viewport + 0.5) clipped = true;
      }
      if (r.width > viewport + 0.5 || (r.right > viewport + 0.5 && !clipped)) {
        wide.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} (${Math.round(r.width)} px, right ${Math.round(r.right)})`);
      }
    }
    return { scrollWidth: w.document.documentElement.scrollWidth, viewport, wide: wide.slice(0, 10) };
  });
}
