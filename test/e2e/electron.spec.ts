// Electron e2e: the packaged shape (hardened window, preload bridge, custom protocol); runs only where the Electron binary exists.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, _electron as electron } from '@playwright/test';
import { prerequisite } from '../support/prerequisites';

/** Resolved without requiring the `electron` package, whose entry tries to download the binary when it is missing. */
function electronBinary(): string | null {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron');
    return fs.existsSync(p) ? p : null;
  }
  const pkg = path.resolve('node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!fs.existsSync(pathFile)) return null;
  const bin = path.join(pkg, 'dist', fs.readFileSync(pathFile, 'utf8').trim());
  return fs.existsSync(bin) ? bin : null;
}

const binary = electronBinary();
// The one prerequisite allowed to be absent even in CI: the binary's download needs GitHub. The same renderer and
// handlers are covered by the browser-host specs.
const electronApp = prerequisite([{ what: 'the Electron binary (node_modules/electron/dist)', present: binary !== null }], { optional: 'its download needs GitHub; the browser-host specs cover the same renderer and handlers' });
if (electronApp.skip) console.log(`[electron.spec] ${electronApp.title('SKIPPED')}`);

test.describe('Electron app', () => {
  test.skip(electronApp.skip, electronApp.title('Electron app'));

  test('opens a hardened window whose page reaches main only through the contract', async () => {
    const app = await electron.launch({ executablePath: binary!, args: [path.resolve('dist', 'electron', 'main.cjs')] });
    try {
      const page = await app.firstWindow();
      await expect(page).toHaveTitle(/Peregrine/);
      expect(page.url()).toMatch(/^peregrine:\/\/app\//);
      const probe = await page.evaluate(() => ({
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
        bridge: Object.keys((globalThis as unknown as { peregrine: Record<string, unknown> }).peregrine).sort(),
      }));
      expect(probe.require).toBe('undefined');
      expect(probe.process).toBe('undefined');
      expect(probe.bridge).toEqual(['app', 'auth', 'case', 'collect', 'evidence', 'export']);
      const info = await page.evaluate(() => (globalThis as unknown as { peregrine: { app: { info: (i: object) => Promise<unknown> } } }).peregrine.app.info({}));
      expect(info).toMatchObject({ ok: true, value: { host: 'electron' } });
      // New windows are denied: wait for the window an allowed open() would make, rather than count before it could appear.
      const opened = app.waitForEvent('window', { timeout: 3000 }).then(() => 'opened', () => 'none');
      await page.evaluate(() => (globalThis as unknown as { open: (u: string) => unknown }).open('peregrine://app/index.html'));
      expect(await opened).toBe('none');
      expect(app.windows()).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
