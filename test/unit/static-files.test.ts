// The one static-file guard behind both transports: the browser host's raw request path and Electron's peregrine:// URLs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appSchemePath, lookupStatic, withoutPaths } from '../../main/host/static-files';

let dir: string;
let root: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-static-'));
  root = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), '');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('lookupStatic', () => {
  it('finds files inside the renderer folder, index for /', () => {
    expect(lookupStatic(root, '/')).toEqual({ status: 200, file: path.join(root, 'index.html') });
    expect(lookupStatic(root, '/assets/app.js?v=1#x')).toEqual({ status: 200, file: path.join(root, 'assets', 'app.js') });
    expect(lookupStatic(root, '/assets%2Fapp.js')).toEqual({ status: 200, file: path.join(root, 'assets', 'app.js') });
  });

  it('finds nothing outside it, whatever the encoding', () => {
    for (const raw of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/%2E%2E/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00', '/assets', `/${dir}/secret.txt`, `/%2f${dir.slice(1)}/secret.txt`]) {
      expect(lookupStatic(root, raw), raw).toEqual({ status: 404 });
    }
  });

  it('calls a malformed escape or a path that is not one a bad request', () => {
    for (const raw of ['/%zz', '/%', '/%c0%af', '*', 'http://x/']) expect(lookupStatic(root, raw), raw).toEqual({ status: 400 });
  });
});

describe('appSchemePath', () => {
  it('keeps the path of a peregrine://app URL exactly as sent', () => {
    expect(appSchemePath('peregrine://app/..%2fsecret.txt')).toBe('/..%2fsecret.txt');
    expect(appSchemePath('peregrine://APP')).toBe('/');
    expect(appSchemePath('peregrine://app/index.html?x#y')).toBe('/index.html?x#y');
    expect(appSchemePath('peregrine://evil/index.html')).toBeNull();
    expect(appSchemePath('https://app/index.html')).toBeNull();
  });
});

describe('withoutPaths', () => {
  it('cuts absolute paths to their file name and leaves URLs alone', () => {
    expect(withoutPaths("ENOENT: no such file or directory, open '/home/ann/.config/peregrine/x.json'")).toBe("ENOENT: no such file or directory, open 'x.json'");
    expect(withoutPaths('EACCES C:\\Users\\ann\\case.peregrine')).toBe('EACCES case.peregrine');
    expect(withoutPaths('GET https://graph.microsoft.com/v1.0/users failed')).toBe('GET https://graph.microsoft.com/v1.0/users failed');
  });
});
