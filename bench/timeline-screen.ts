// Benchmark (Node, tsx, Chromium): the Timeline screen over a large case — time to first rows, to rows after a jump, a filter and a search, and frame times while scrolling — as JSON.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { openCase } from '../main/case/case';
import { closeDatabase } from '../db/connection';
import { createWorkbench } from '../main/host/workbench';
import { startBrowserHost } from '../main/host/browser';
import { dispatch, type DispatchLog } from '../main/host/dispatch';
import { tsxWorkerEntry } from '../main/jobs/tsx-entry';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '6' },
  },
});
const events = values.quick ? 200_000 : Number(values.events);
const CHROMIUM = process.env.PEREGRINE_CHROMIUM ?? '/usr/bin/chromium';

/** The case bench/timeline.ts builds (and caches) for the same number of events: built through it when missing. */
function ensureCase(): string {
  const dir = path.join(os.tmpdir(), `peregrine-bench-timeline-b1-${events}`);
  const file = path.join(dir, 'case.peregrine');
  if (fs.existsSync(file) && fs.existsSync(path.join(dir, 'build.json'))) return file;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/timeline.ts', '--build-only', '--events', String(events)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the ${events}-event case failed (exit ${r.status})`);
  fs.writeFileSync(path.join(dir, 'build.json'), r.stdout);
  return file;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
  return { frames: s.length, p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: Math.round((s.at(-1) ?? 0) * 10) / 10, over50Ms: s.filter((x) => x > 50).length };
};

/** Milliseconds from `act` until a row matching `selector` is in the table (measured on the page's own clock). */
async function timeToRows(page: Page, act: () => Promise<void>, selector = '[data-testid="timeline-row"]'): Promise<number> {
  await page.evaluate('window.__t0 = performance.now()');
  await act();
  try {
    await page.locator(`[data-testid="timeline-table"][data-state="ready"] ${selector}`).first().waitFor({ timeout: 120_000 });
  } catch (err) {
    await page.screenshot({ path: path.join(os.tmpdir(), 'peregrine-bench-screen-timeout.png') });
    throw err;
  }
  return page.evaluate('Math.round(performance.now() - window.__t0)') as Promise<number>;
}

/**
 * In the page: scrolls the table by `step` px every animation frame for `seconds` and answers the frame intervals,
 * the pixels actually scrolled and the rows the window holds at the end. Plain JavaScript text, so the page runs it
 * as written (tsx would name inner functions with a helper the page does not have).
 */
const SCROLL_SOURCE = `async (step, seconds) => {
  const el = document.querySelector('[data-testid="timeline-scroller"]');
  const intervals = [];
  let scrolled = 0;
  await new Promise((done) => {
    let last = -1;
    let t0 = -1;
    const frame = (t) => {
      if (last >= 0) intervals.push(t - last);
      if (t0 < 0) t0 = t;
      last = t;
      const before = el.scrollTop;
      el.scrollTop += step;
      scrolled += Math.abs(el.scrollTop - before);
      if (t - t0 < seconds * 1000) requestAnimationFrame(frame);
      else done();
    };
    requestAnimationFrame(frame);
  });
  const table = document.querySelector('[data-testid="timeline-table"]');
  return { intervals, scrolledPx: Math.round(scrolled), rowsAtEnd: Number(table.getAttribute('data-rows')) };
}`;

async function scrollFrames(page: Page, step: number, seconds: number): Promise<{ intervals: number[]; scrolledPx: number; rowsAtEnd: number }> {
  return page.evaluate(`(${SCROLL_SOURCE})(${step}, ${seconds})`) as Promise<{ intervals: number[]; scrolledPx: number; rowsAtEnd: number }>;
}

async function main() {
  const file = ensureCase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-bench-screen-'));
  const handlerMs: Record<string, number[]> = {};
  const log: DispatchLog = (e) => (handlerMs[e.channel] ??= []).push(e.ms);
  const home = path.join(dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const { db, summary } = openCase(file);
  closeDatabase(db);
  fs.writeFileSync(path.join(home, 'recent-cases.json'), JSON.stringify([{ caseId: summary.caseId, name: summary.name, fileName: summary.fileName, lastOpenedAt: new Date().toISOString(), file }]));
  const workbench = createWorkbench({ host: 'browser', toolVersion: 'bench', casesDir: path.dirname(file), homeDir: home, keyDir: path.join(dir, 'keys'), environment: null, collectionWorker: tsxWorkerEntry() });
  const opened = await dispatch(workbench.handlers, 'case.open', { caseId: summary.caseId });
  if (!opened.ok) throw new Error(opened.error.message);
  // Start (where the app lands) runs the rules over the case; run them first, outside the measurement (they are cached
  // until the custody log moves), so what is timed is the Timeline alone.
  const detectStarted = performance.now();
  const detected = await dispatch(workbench.handlers, 'findings.list', {});
  if (!detected.ok) throw new Error(detected.error.message);
  const detectMs = Math.round(performance.now() - detectStarted);
  const host = await startBrowserHost({ handlers: workbench.handlers, rendererDir: path.resolve('dist', 'renderer'), log });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const seconds = Number(values.seconds);
  try {
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
    await page.goto(host.url);
    await page.getByTestId('nav-timeline').waitFor();
    // The header checks the case's integrity when it opens (every evidence hash): let it finish, so the Timeline is timed alone.
    const integrityStarted = Date.now();
    await page.locator('[data-testid="integrity-status"]:not([data-integrity="unknown"])').waitFor({ timeout: 300_000 });
    const integrityMs = Date.now() - integrityStarted;
    const firstRows = await timeToRows(page, () => page.getByTestId('nav-timeline').click());
    await page.getByTestId('timeline-histogram').waitFor({ timeout: 120_000 });
    const total = Number(await page.getByTestId('timeline-count').getAttribute('data-count'));
    // Scrolling: a reader's pace (30 px a frame, a row a frame) and a fling (3,000 px a frame, a hundred rows a frame).
    const reading = await scrollFrames(page, 30, seconds);
    const fling = await scrollFrames(page, 3000, seconds);
    const flingBack = await scrollFrames(page, -3000, seconds);
    // Jumps: the last events, and a time in the middle of the range.
    const lastRows = await timeToRows(page, () => page.getByTestId('timeline-last').click());
    const first = (await page.getByTestId('timeline-row').first().getAttribute('data-at'))!;
    const middle = new Date(Date.parse('2024-10-15T00:00:00Z') - 45 * 86_400_000).toISOString();
    const middleRows = await timeToRows(page, async () => {
      await page.getByTestId('timeline-jump-input').fill(`${middle.slice(0, 16).replace('T', ' ')}Z`);
      await page.getByTestId('timeline-jump-input').press('Enter');
    }, `[data-testid="timeline-row"][data-at^="${middle.slice(0, 13)}"]`);
    // A filter and a search, each from the form to its first rows.
    const ip = (await page.locator('[data-testid="timeline-row"]:not([data-ip=""])').first().getAttribute('data-ip'))!;
    if ((await page.locator('details.timeline-more[open]').count()) === 0) await page.getByTestId('timeline-more-filters').click();
    const ipRows = await timeToRows(page, async () => {
      await page.getByTestId('timeline-filter-ip').fill(ip);
      await page.getByTestId('timeline-apply').click();
    }, `[data-testid="timeline-row"][data-ip="${ip}"]`);
    await page.getByTestId('timeline-clear').click();
    await page.locator('[data-testid="timeline-table"][data-state="ready"]').waitFor();
    const user = 'user42@contoso.example';
    const searchRows = await timeToRows(page, async () => {
      await page.getByTestId('timeline-search').fill(user);
      await page.getByTestId('timeline-apply').click();
    });
    const handlers = Object.fromEntries(Object.entries(handlerMs).map(([k, v]) => [k, { calls: v.length, ...stats(v) }]));
    for (const h of Object.values(handlers)) delete (h as Record<string, unknown>).frames;
    process.stdout.write(`${JSON.stringify({
      bench: 'timeline-screen',
      events, timelineRows: total, viewport: '1440x900', firstEventAt: first, detectBeforehandMs: detectMs, integrityCheckOnOpenMs: integrityMs,
      timeToFirstRowsMs: firstRows,
      timeToRowsMs: { lastEvents: lastRows, jumpToMiddle: middleRows, ipFilter: ipRows, search: searchRows },
      scroll: {
        reading30PxPerFrame: { ...stats(reading.intervals), scrolledPx: reading.scrolledPx, rowsHeld: reading.rowsAtEnd },
        fling3000PxPerFrame: { ...stats(fling.intervals), scrolledPx: fling.scrolledPx, rowsHeld: fling.rowsAtEnd },
        flingBack: { ...stats(flingBack.intervals), scrolledPx: flingBack.scrolledPx, rowsHeld: flingBack.rowsAtEnd },
      },
      handlersMs: handlers,
      loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
    }, null, 2)}\n`);
  } finally {
    await browser.close();
    await host.close();
    await workbench.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
