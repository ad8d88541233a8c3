// Test (Vitest, Node): `npm run sim` as a function: flags, the three files it writes, and that they are enough to reach the simulator.
import { mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main, UsageError, type CliRun } from './cli';
import { environmentSchema } from './environment';
import { simRequest } from './https-client';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peregrine-sim-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function run(argv: string[]): Promise<{ run: CliRun; lines: string[] }> {
  const lines: string[] = [];
  const started = await main(argv, { out: (line) => lines.push(line) });
  if (!started) throw new Error('main printed help instead of starting');
  cleanups.push(() => started.stop());
  return { run: started, lines };
}

describe('sim command line', () => {
  it('starts the simulator and writes environment.json, ca.pem and ground-truth.json', async () => {
    const dir = join(await tempDir(), 'nested', '.sim');
    const { run: started, lines } = await run(['--scenario', 'fabrikam', '--seed', '3', '--dir', dir]);
    const envText = await readFile(join(dir, 'environment.json'), 'utf8');
    const env = environmentSchema.parse(JSON.parse(envText));
    expect(env).toEqual(started.sim.environment);
    expect(env.name).toBe('Simulated tenant (fabrikam, seed 3)');
    expect(env.tenantDomain).toBe('fabrikam.onmicrosoft.com');
    expect(env.authorityHost).toBe(started.sim.url);
    expect(env.simulator.deviceLoginUrl).toBe(`${started.sim.url}/devicelogin`);
    expect((await stat(join(dir, 'environment.json'))).mode & 0o777).toBe(0o600);

    const truth = JSON.parse(await readFile(join(dir, env.simulator.groundTruthFile), 'utf8')) as { tenantId: string; maliciousApp: { displayName: string } };
    expect(truth.tenantId).toBe(env.tenantId);
    expect(truth.maliciousApp.displayName).toMatch(/^fabrikam_[a-z]{3}$/);

    expect(lines.join('\n')).toContain(`${started.sim.url}/${env.tenantId}`);
    expect(lines.join('\n')).toContain(`${started.sim.url}/v1.0`);
    expect(lines.join('\n')).toContain(`${started.sim.url}/devicelogin`);
    expect(lines.join('\n')).toContain(started.files.environmentFile);
    expect(lines.join('\n')).toContain(started.files.groundTruthFile);
  });

  it('writes files that alone let a client reach the simulator (paths relative to the environment file)', async () => {
    const dir = await tempDir();
    const { run: started } = await run(['--dir', dir, '--auto-approve', 'admin@contoso.onmicrosoft.com']);
    const envPath = started.files.environmentFile;
    const env = environmentSchema.parse(JSON.parse(await readFile(envPath, 'utf8')));
    const ca = await readFile(resolve(dirname(envPath), env.caCertFile), 'utf8');
    const response = await simRequest(`${env.authorityHost}/${env.tenantDomain}/v2.0/.well-known/openid-configuration`, { ca });
    expect(response.status).toBe(200);
  });

  it('--busy-exchange redirects the tenant to a host of its own and says so', async () => {
    const dir = await tempDir();
    const { run: started, lines } = await run(['--dir', dir, '--busy-exchange']);
    expect(started.sim.exchange.tenantHostUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(started.sim.exchange.tenantHostUrl).not.toBe(started.sim.url);
    expect(lines.join('\n')).toContain(`redirected to ${started.sim.exchange.tenantHostUrl}`);
    const response = await simRequest(`${started.sim.url}/adminapi/beta/${started.sim.tenantId}/InvokeCommand`, { method: 'POST', ca: started.sim.caPem, body: '{}' });
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`${started.sim.exchange.tenantHostUrl}/adminapi/beta/${started.sim.tenantId}/InvokeCommand`);
  });

  it('uses the default folder .sim under the working directory', async () => {
    const dir = await tempDir();
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const { run: started } = await run([]);
      expect(started.files.dir).toBe(join(await realpath(dir), '.sim'));
    } finally {
      process.chdir(previous);
    }
  });

  it('passes --users and --days to the simulator and records them in the environment file', async () => {
    const dir = await tempDir();
    const { run: started, lines } = await run(['--scenario', 'fabrikam', '--seed', '7', '--users', '500', '--days', '7', '--dir', dir]);
    expect(started.sim.groundTruth.counts.users).toBe(500);
    const env = environmentSchema.parse(JSON.parse(await readFile(started.files.environmentFile, 'utf8')));
    expect(env.simulator).toMatchObject({ users: 500, days: 7, remediationClientId: started.sim.groundTruth.remediationClient.appId });
    expect(lines[0]).toContain('500 users, 7 days');
  });

  it('passes --events-per-user-per-day to the log store', async () => {
    const { run: started } = await run(['--users', '100', '--days', '2', '--events-per-user-per-day', '0.5', '--dir', await tempDir()]);
    expect(started.sim.logs.ctx.eventsPerUserPerDay).toBe(0.5);
  });

  it('prints help for --help without starting anything', async () => {
    const lines: string[] = [];
    expect(await main(['--help'], { out: (line) => lines.push(line) })).toBeUndefined();
    expect(lines.join('\n')).toContain('--scenario');
  });

  it.each([
    [['--bogus'], /'--bogus'/],
    [['--scenario', 'northwind'], /--scenario must be one of contoso, fabrikam/],
    [['--seed', '1.5'], /--seed must be an integer/],
    [['--port', '70000'], /--port must be an integer from 0 to 65535/],
    [['--users', '5'], /--users must be an integer from 16 to 100000/],
    [['--users', '100001'], /--users must be an integer from 16 to 100000/],
    [['--days', '181'], /--days must be an integer from 1 to 180/],
    [['--events-per-user-per-day', 'many'], /--events-per-user-per-day must be a number from 0 to 100/],
    [['--events-per-user-per-day', '101'], /--events-per-user-per-day must be a number from 0 to 100/],
    [['--attack-shape', 'random'], /--attack-shape must be canonical or varied, got 'random'/],
    [['stray'], /positional/i],
    [['--auto-approve', 'nobody@contoso.onmicrosoft.com'], /no user nobody@contoso\.onmicrosoft\.com/],
    [['--scenario', 'fabrikam', '--auto-approve', 'admin@contoso.onmicrosoft.com'], /no user admin@contoso\.onmicrosoft\.com in the fabrikam tenant/],
  ])('refuses %j with a clear message', async (argv, message) => {
    const attempt = main(argv, { out: () => undefined });
    await expect(attempt).rejects.toThrow(message);
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
  });
});
