// `bin/peregrine.js` into a real pipe: everything a command prints reaches the reader, however large (it was cut at 64 KiB).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase } from '../../db/connection';
import { finishRun, startRun } from '../../db/queries/runs';
import { initSources } from '../../db/queries/sources';
import { createCase } from '../../main/case/case';

const RUNS = 600;
let dir: string;
let file: string;

function peregrine(args: string[], opts: { closeAfterFirstChunk?: boolean } = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/peregrine.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      // A reader that has seen enough, like `| head -c 100`.
      if (opts.closeAfterFirstChunk) child.stdout.destroy();
    });
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-pipe-'));
  file = path.join(dir, 'many runs.peregrine');
  const { db } = createCase(file, { name: 'Many runs', examiner: 'A. Examiner' }, { clock: () => new Date('2026-11-01T00:00:00Z'), toolVersion: 'test' });
  db.transaction(() => {
    for (let i = 0; i < RUNS; i++) {
      const runId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      startRun(db, { runId, startedAt: '2026-11-01T00:00:00.000Z', environment: 'contoso-sim', tenantId: '11111111-2222-4333-8444-555555555555', account: 'admin@contoso.example' });
      initSources(db, runId, Array.from({ length: 10 }, (_, s) => ({ source: `source-${s}`, label: `Source number ${s}`, windowFrom: '2026-10-01T00:00:00.000Z', windowTo: '2026-11-01T00:00:00.000Z' })));
      finishRun(db, runId, { state: 'failed', finishedAt: '2026-11-01T00:01:00.000Z', error: 'The tenant stopped answering. '.repeat(3) });
    }
  })();
  closeDatabase(db);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('peregrine into a pipe', () => {
  it('prints all of a JSON answer over 1 MB, then exits 0', async () => {
    const { code, stdout, stderr } = await peregrine(['case', 'info', file, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.length).toBeGreaterThan(1024 * 1024);
    const info = JSON.parse(stdout.toString('utf8')) as { runs: unknown[] };
    expect(info.runs).toHaveLength(RUNS);
  });

  it('ends quietly when the reader stops early', async () => {
    const { code, stderr } = await peregrine(['case', 'info', file, '--json'], { closeAfterFirstChunk: true });
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
  });
});
