// Development tool: renders resources/icon.svg into resources/build/icon.png (1024 × 1024), the one image
// electron-builder makes every target's icons from (Linux sizes, Windows .ico, macOS .icns). Run after changing the
// SVG: `npx node scripts/icons.js` (uses the installed Chromium; the PNG is committed).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(new URL('..', import.meta.url).pathname);
const svg = fs.readFileSync(path.join(root, 'resources', 'icon.svg'), 'utf8');
const executablePath = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 1024 }, deviceScaleFactor: 1 });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  const out = path.join(root, 'resources', 'build', 'icon.png');
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
  console.log(`Wrote ${path.relative(root, out)}.`);
} finally {
  await browser.close();
}
