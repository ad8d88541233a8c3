// CLI (export): report.pdf printed from report.html by the Chromium installed on this machine, headless; none found, none made (and the caller says so).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PDF_FILE = 'report.pdf';
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** PEREGRINE_CHROMIUM if set, else the first Chromium or Chrome on PATH; null when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PEREGRINE_CHROMIUM) return fs.existsSync(env.PEREGRINE_CHROMIUM) ? env.PEREGRINE_CHROMIUM : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export class PdfError extends Error {
  override readonly name = 'PdfError';
}

/**
 * Prints `html` to PDF with headless Chromium (a fresh profile in a temporary folder, no network: the report fetches
 * nothing). Throws PdfError with Chromium's own words when it fails.
 */
export function htmlToPdf(chromium: string, html: string, timeoutMs = 120_000): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-pdf-'));
  try {
    const input = path.join(dir, 'report.html');
    const output = path.join(dir, PDF_FILE);
    fs.writeFileSync(input, html);
    const run = spawnSync(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions', '--disable-background-networking', '--disable-sync',
      `--user-data-dir=${path.join(dir, 'profile')}`, '--no-pdf-header-footer', `--print-to-pdf=${output}`, `file://${input}`,
    ], { encoding: 'utf8', timeout: timeoutMs });
    if (!fs.existsSync(output) || fs.statSync(output).size === 0) {
      const said = `${run.stderr ?? ''}`.trim().split('\n').slice(-3).join(' ');
      throw new PdfError(`${path.basename(chromium)} did not print the report${run.error ? ` (${run.error.message})` : run.status ? ` (exit ${run.status})` : ''}${said ? `: ${said}` : ''}`);
    }
    return fs.readFileSync(output);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
