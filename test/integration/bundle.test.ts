// What ships, checked without the Electron binary: every esbuild bundle (scripts/bundle.js) carries nothing only a
// development install has (tsx, the simulator, test code); the Electron main bundle loads in plain Node with the
// electron module stubbed (a top-level mistake would stop the installed app before its window opens); the command
// line bundle collects from the simulator through its bundled worker threads, detects and verifies with no TypeScript
// loader; and every file electron-builder.yml names exists.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { writeEnvironmentFiles } from '../sim/environment';
// @ts-expect-error: a plain JavaScript build script without type declarations.
import { buildBundles } from '../../scripts/bundle.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const devDependencies = Object.keys((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);

let dir: string;
let sim: SimHandle;
let envFile: string;
let bundles: { name: string; outfile: string; inputs: string[] }[];

/** Runs the bundled CLI in a child Node (the one running the tests, Node 24) with no loader flags. */
function peregrine(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(dir, 'run.mjs'), ...args], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  // Inside node_modules/.cache so the bundle finds better-sqlite3, its one external module, as an installed copy does.
  const cache = path.join(root, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  dir = fs.mkdtempSync(path.join(cache, 'peregrine-bundle-'));
  bundles = await buildBundles({ distDir: dir, sourcemap: false });
  fs.writeFileSync(path.join(dir, 'run.mjs'), "const { main } = await import('./cli/peregrine.mjs');\nprocess.exitCode = await main(process.argv.slice(2));\n");
  sim = await startSimulator({ scenario: 'contoso', seed: 3, users: 40, days: 3, reportsThrottle: { limit: 1_000_000 } });
  envFile = (await writeEnvironmentFiles(path.join(dir, 'sim'), sim)).environmentFile;
}, 120_000);

afterAll(async () => {
  await sim?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the shipped bundles', () => {
  it('carry no development-only package and no test code', () => {
    expect(bundles.map((b) => b.name)).toEqual(['main', 'collect-worker', 'case-writer', 'import-worker', 'reader-worker', 'preload', 'cli']);
    for (const b of bundles) {
      const packages = new Set(b.inputs.filter((i) => i.includes('node_modules/')).map((i) => i.split('node_modules/').at(-1)!.split('/').slice(0, i.split('node_modules/').at(-1)!.startsWith('@') ? 2 : 1).join('/')));
      expect([...packages].filter((p) => devDependencies.includes(p)), b.name).toEqual([]);
      expect(b.inputs.filter((i) => i.startsWith('test/')), b.name).toEqual([]);
    }
    // The app's main process carries its own code, not the command line's (which resolves tsx for development runs).
    expect(bundles.find((b) => b.name === 'main')!.inputs).not.toContain('main/cli.ts');
  });

  it('collects from the simulator through its bundled workers, then detects and verifies, in plain Node', async () => {
    const file = path.join(dir, 'case.peregrine');
    const created = await peregrine(['case', 'create', file, '--name', 'Bundle check', '--examiner', 'A. Examiner']);
    expect(created.code, created.stderr).toBe(0);
    const collected = await peregrine(['collect', file, '--env', envFile, '--auto-approve-on-sim', '--days', '2']);
    expect(collected.code, collected.stderr + collected.stdout).toBe(0);
    expect(collected.stdout + collected.stderr).not.toMatch(/tsx|Cannot find module/i);

    const detected = await peregrine(['detect', file, '--json']);
    expect(detected.code, detected.stderr).toBe(0);
    const report = JSON.parse(detected.stdout) as { findings: { ruleId: string; objects: { id: string }[] }[] };
    const appFinding = report.findings.find((f) => f.objects.some((o) => o.id === sim.groundTruth.maliciousApp.applicationObjectId));
    expect(appFinding, 'a finding names the malicious app').toBeDefined();

    const verified = await peregrine(['verify', file]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^OK: /m);
  }, 300_000);

  it('answers --help', async () => {
    const help = await peregrine(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: peregrine <command>/m);
  });
});

/** A stand-in for the electron module: every member is callable and chainable, and no promise it returns settles. */
const ELECTRON_STUB = `
const Module = require('node:module');
const stub = () => new Proxy(function () {}, { get: (_t, key) => key === Symbol.toPrimitive ? () => 'stub' : stub(), apply: () => stub(), construct: () => stub() });
const load = Module._load;
Module._load = function (request, ...rest) { return request === 'electron' ? stub() : load.call(this, request, ...rest); };
`;

describe('the Electron main bundle', () => {
  it('loads in plain Node with the electron module stubbed: nothing at its top level throws', async () => {
    fs.writeFileSync(path.join(dir, 'electron-stub.cjs'), ELECTRON_STUB);
    const script = "require(process.argv[1]); process.stdout.write('loaded'); process.exit(0);";
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--require', path.join(dir, 'electron-stub.cjs'), '-e', script, path.join(dir, 'electron', 'main.cjs')], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });
    expect(run.stderr).toBe('');
    expect(run).toMatchObject({ code: 0, stdout: 'loaded' });
  });
});

/** The list under a top-level key of electron-builder.yml (`files:`, `asarUnpack:`): its `  - item` lines. */
function yamlList(text: string, key: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${key}:`));
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const m = /^\s+-\s+"?([^"#]+?)"?\s*$/.exec(line);
    if (m) items.push(m[1]!);
  }
  return items;
}

describe('electron-builder.yml', () => {
  const config = fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');

  it('names files that the build makes or the project holds', () => {
    const files = yamlList(config, 'files');
    expect(files).toEqual(expect.arrayContaining(['dist/electron/**', 'dist/renderer/**', 'package.json']));
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
    // The app's entry is the bundle this test built (dist/electron/main.cjs in a real build).
    expect(pkg.main).toBe('dist/electron/main.cjs');
    expect(bundles.map((b) => path.relative(dir, b.outfile))).toEqual(expect.arrayContaining(['electron/main.cjs', 'electron/preload.cjs', 'electron/collect-worker.cjs', 'electron/case-writer.cjs', 'electron/import-worker.cjs', 'electron/reader-worker.cjs']));
    // The main process finds its preload and workers beside main.cjs under these names.
    const mainSource = fs.readFileSync(path.join(root, 'main', 'electron', 'main.ts'), 'utf8');
    for (const name of ['preload.cjs', 'collect-worker.cjs', 'case-writer.cjs']) expect(mainSource).toContain(`'${name}'`);
    // The one native module is unpacked from the asar, with its N-API binaries for every target electron-builder.yml
    // names (better-sqlite3 13 ships them in prebuilds/: no rebuild, no network at packaging time).
    expect(yamlList(config, 'asarUnpack')).toEqual(['**/node_modules/better-sqlite3/**']);
    expect(config).toMatch(/^npmRebuild: false$/m);
    for (const target of ['linux-x64', 'win32-x64', 'darwin-x64', 'darwin-arm64']) {
      expect(fs.existsSync(path.join(root, 'node_modules', 'better-sqlite3', 'prebuilds', `${target}.node`)), target).toBe(true);
    }
  });

  it('has the icon every target is made from: a square PNG of at least 512 pixels in buildResources', () => {
    const buildResources = /^\s+buildResources:\s*(\S+)\s*$/m.exec(config)?.[1];
    expect(buildResources).toBe('resources/build');
    const png = fs.readFileSync(path.join(root, buildResources!, 'icon.png'));
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    expect(width).toBe(height);
    expect(width).toBeGreaterThanOrEqual(512);
  });
});
