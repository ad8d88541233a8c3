// The one static-file guard behind both transports: the browser host's raw request path and Electron's peregrine:// URLs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appSchemePath, lookupStatic, STATIC_TYPES, withoutPaths } from '../../main/host/static-files';

let dir: string;
let root: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-static-'));
  root = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), '');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
  // A POSIX file name may hold a backslash; a request naming it is refused all the same (Windows reads it as a step).
  if (process.platform !== 'win32') fs.writeFileSync(path.join(root, 'assets\\app.js'), '');
  fs.symlinkSync(root, path.join(dir, 'linked'), 'dir');
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

  it('finds nothing for a parent step, a backslash or a NUL even when the path stays inside the folder', () => {
    const raws = ['/assets/../index.html', '/assets/..%2findex.html', '/assets%2f..%2findex.html', '/index.html%00', '/index.html%00.js'];
    if (process.platform !== 'win32') raws.push('/assets%5capp.js', '/assets\\app.js');
    for (const raw of raws) expect(lookupStatic(root, raw), raw).toEqual({ status: 404 });
  });

  it('finds nothing that is not there', () => {
    for (const raw of ['/missing.js', '/assets/missing.js', '/assets/app.js/x']) expect(lookupStatic(root, raw), raw).toEqual({ status: 404 });
  });

  it('serves through a linked folder, but not an absolute path that leaves it by name', () => {
    const linked = path.join(dir, 'linked');
    expect(lookupStatic(linked, '/assets/app.js')).toEqual({ status: 200, file: path.join(linked, 'assets', 'app.js') });
    // The link's target is the same folder, but the request names it, not the folder being served.
    expect(lookupStatic(linked, `/%2f${root.slice(1)}/index.html`)).toEqual({ status: 404 });
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
    expect(appSchemePath('javascript:peregrine://app/x')).toBeNull();
    expect(appSchemePath('x peregrine://app/x')).toBeNull();
  });
});

describe('withoutPaths', () => {
  it('cuts absolute paths to their file name and leaves URLs alone', () => {
    expect(withoutPaths("ENOENT: no such file or directory, open '/home/ann/.config/peregrine/x.json'")).toBe("ENOENT: no such file or directory, open 'x.json'");
    expect(withoutPaths('EACCES C:\\Users\\ann\\case.peregrine')).toBe('EACCES case.peregrine');
    expect(withoutPaths('GET https://graph.microsoft.com/v1.0/users failed')).toBe('GET https://graph.microsoft.com/v1.0/users failed');
    expect(withoutPaths('/home/ann/case.peregrine is locked')).toBe('case.peregrine is locked');
    expect(withoutPaths('cannot write to /home/ann/ now')).toBe('cannot write to (folder) now');
  });
});

describe('STATIC_TYPES', () => {
  // The host sends nosniff: a script or style served under another type is not run, so each must be its own.
  it.each([
    ['.html', /^text\/html; charset=utf-8$/], ['.js', /^text\/javascript; charset=utf-8$/], ['.css', /^text\/css; charset=utf-8$/],
    ['.svg', /^image\/svg\+xml$/], ['.png', /^image\/png$/], ['.ico', /^image\/x-icon$/], ['.json', /^application\/json$/], ['.woff2', /^font\/woff2$/],
  ])('types %s files as the browser must read them', (ext, type) => {
    expect(STATIC_TYPES[ext]).toMatch(type);
  });
});
