// E2E fixtures: per test a fresh simulator, a fresh workbench (cases, keys, home in a temp folder) behind the browser host, and Debian Chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, X509Certificate } from 'node:crypto';
import { test as base, chromium, type Browser, type Page } from '@playwright/test';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
import { generateSimulatorTls } from '../sim/ca';
import { loadEnvironmentFile } from '../../main/auth/environment';
import { startBrowserHost, type BrowserHost } from '../../main/host/browser';
import { createWorkbench, type Workbench } from '../../main/host/workbench';
import { tsxWorkerEntry } from '../../main/jobs/tsx-entry';

const UNTHROTTLED = { requests: 1_000_000, perMs: 10_000 };

export const CHROMIUM = process.env.PEREGRINE_CHROMIUM ?? '/usr/bin/chromium';

export interface Harness {
  dir: string;
  casesDir: string;
  sim: SimHandle;
  host: BrowserHost;
  workbench: Workbench;
  browser: Browser;
  page: Page;
  /** Saves a screenshot under test-results/e2e/ for a person to look at. */
  shot(name: string, target?: Page): Promise<string>;
}

/** Chromium accepts exactly the simulator's throwaway keys, by SPKI pin; certificate checks stay on for everything else. */
function spkiPin(pem: string): string {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

export const test = base.extend<{ harness: Harness }>({
  // eslint-disable-next-line no-empty-pattern
  harness: async ({}, use, testInfo) => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set PEREGRINE_CHROMIUM).`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-e2e-'));
    const tls = await generateSimulatorTls();
    // No spec here is about throttling: the report limit is lifted on both sides (the simulator's 5 per 10 s and the
    // pacer that keeps under it), so no test sleeps on the real clock for it.
    const sim = await startSimulator({ scenario: 'contoso', seed: 1, tls, reportsThrottle: { limit: UNTHROTTLED.requests, windowMs: UNTHROTTLED.perMs } });
    const { environmentFile } = await writeEnvironmentFiles(path.join(dir, 'sim'), sim);
    const casesDir = path.join(dir, 'cases');
    const workbench = createWorkbench({
      host: 'browser',
      toolVersion: 'e2e',
      casesDir,
      homeDir: path.join(dir, 'home'),
      keyDir: path.join(dir, 'keys'),
      keyAccess: { passphrase: () => 'e2e examiner passphrase' },
      environment: loadEnvironmentFile(environmentFile),
      collectionWorker: tsxWorkerEntry(),
      reportsLimit: UNTHROTTLED,
    });
    const host = await startBrowserHost({ handlers: workbench.handlers, rendererDir: path.resolve('dist', 'renderer') });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--ignore-certificate-errors-spki-list=${spkiPin(tls.certPem)},${spkiPin(tls.caPem)}`,
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const shotsDir = path.resolve('test-results', 'e2e');
    fs.mkdirSync(shotsDir, { recursive: true });
    const harness: Harness = {
      dir,
      casesDir,
      sim,
      host,
      workbench,
      browser,
      page,
      async shot(name, target = page) {
        const file = path.join(shotsDir, `${testInfo.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${name}.png`);
        await target.screenshot({ path: file, fullPage: false });
        return file;
      },
    };
    try {
      await use(harness);
      // CSP violations and uncaught errors are defects even when the flow works.
      if (consoleErrors.length) throw new Error(`The page logged errors:\n${consoleErrors.join('\n')}`);
    } finally {
      await browser.close();
      await host.close();
      await workbench.close();
      await sim.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';
