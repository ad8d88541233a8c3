// `peregrine serve` as a process: the requests that used to end it (a malformed escape, a raw `..`) are answered, and
// the process is still there to serve the next one and to stop cleanly when asked.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-http';

let dir: string;
let child: ChildProcess;
let origin: string;
let token: string;
let exited: Promise<number | null>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-serve-'));
  fs.mkdirSync(path.join(dir, 'renderer'));
  fs.writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html><html><head><script type="module" src="./app.js"></script></head><body></body></html>');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the renderer');
  child = spawn(process.execPath, ['bin/peregrine.js', 'serve', '--cases', path.join(dir, 'cases'), '--renderer', path.join(dir, 'renderer')], {
    env: { ...process.env, PEREGRINE_HOME: path.join(dir, 'home') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([\w-]+)/.exec(out);
      if (m) resolve(m[0]);
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before printing its URL: ${out}`)));
  });
  const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([\w-]+)/.exec(url)!;
  origin = m[1]!;
  token = m[2]!;
}, 60_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('peregrine serve', () => {
  it('answers what used to crash it, and keeps serving', async () => {
    expect((await rawRequest(origin, { path: '/%zz' })).status).toBe(400);
    const escape = await rawRequest(origin, { path: '/..%2fsecret.txt' });
    expect(escape.status).toBe(404);
    expect(escape.text).not.toContain('outside the renderer');
    expect((await rawRequest(origin, { path: '//..%2f..%2fsecret.txt' })).status).toBe(404);
    expect(child.exitCode).toBeNull();
    const info = await rawRequest(origin, { method: 'POST', path: '/api/app.info', headers: { 'content-type': 'application/json', 'x-peregrine-token': token }, body: '{}' });
    expect(JSON.parse(info.body.toString())).toMatchObject({ ok: true, value: { host: 'browser' } });
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
