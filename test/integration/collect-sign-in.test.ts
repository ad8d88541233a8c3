// The CLI's delegated sign-in against the simulator with nothing consented beforehand: the browser (authorization code
// with PKCE) by default, device code as the fallback, and each refusal told as what to do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../sim/server';
import { generateSimulatorTls, type SimulatorTls } from '../sim/ca';
import { writeEnvironmentFiles } from '../sim/environment';
import { loadEnvironmentFile } from '../../main/auth/environment';
import { createHttpTransport } from '../../main/http/https';
import { simulatorBrowser } from '../../main/auth/simulator-pages';
import { BrowserUnavailableError } from '../../main/auth/sign-in';
import { createTenantSession } from '../../main/auth/device-code';
import { main as cli, type CliIo } from '../../main/cli';

let dir: string;
let tls: SimulatorTls;
let blocked: SimHandle;
let blockedEnv: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-sign-in-'));
  process.env.PEREGRINE_HOME = path.join(dir, 'home');
  tls = await generateSimulatorTls();
  // A tenant that blocks device code with Conditional Access, and where nobody consented to Peregrine's permissions.
  blocked = await startSimulator({ scenario: 'contoso', seed: 5, tls, blockDeviceCode: true, users: 60, days: 2 });
  blockedEnv = (await writeEnvironmentFiles(path.join(dir, 'blocked'), blocked)).environmentFile;
}, 60_000);

afterAll(async () => {
  delete process.env.PEREGRINE_HOME;
  await blocked?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function io(openBrowser?: CliIo['openBrowser']): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l), isTTY: false, clock: () => new Date(), ...(openBrowser !== undefined ? { openBrowser } : {}) };
}

async function newCase(name: string): Promise<string> {
  const file = path.join(dir, `${name}.peregrine`);
  expect(await cli(['case', 'create', file, '--name', name, '--examiner', 'B. Examiner'], io())).toBe(0);
  return file;
}

describe('collect: sign-in methods', () => {
  it('refuses device code where Conditional Access blocks it, saying to sign in with the browser', async () => {
    const out = io(null);
    const code = await cli(['collect', await newCase('blocked-device-code'), '--env', blockedEnv, '--auto-approve-on-sim', '--sign-in', 'device-code', '--no-logs'], out);
    expect(code, out.lines.join('\n')).toBe(1);
    expect(out.lines.join('\n')).toMatch(/Conditional Access blocked this sign-in.*--sign-in browser.*AADSTS53003/s);
  });

  it('signs in through the browser by default, consents for the organisation on first use, and collects', async () => {
    const env = loadEnvironmentFile(blockedEnv);
    const transport = createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' });
    const opened: string[] = [];
    // The injected browser: the simulator's authorize page, answered over HTTP as a person would.
    const browser = simulatorBrowser(transport);
    const out = io(async (url) => {
      opened.push(url);
      await browser(url);
    });
    const before = blocked.requests.length;
    const code = await cli(['collect', await newCase('browser'), '--env', blockedEnv, '--no-logs'], out);
    expect(code, out.lines.join('\n')).toBe(0);
    const authorize = new URL(opened[0]!);
    expect(authorize.pathname).toBe(`/${env.tenant}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+$/);
    expect(authorize.searchParams.get('scope')!.split(' ')).toEqual(expect.arrayContaining(env.graphScopes));
    expect(blocked.requests.slice(before).some((r) => r.path.includes('/oauth2/v2.0/devicecode'))).toBe(false);
    expect(out.lines.join('\n')).not.toMatch(/Preflight: /);
    const cli14 = blocked.tenant.servicePrincipals.find((sp) => sp.appId === env.clientId)!;
    expect(blocked.tenant.oauth2PermissionGrants.some((g) => g.clientId === cli14.id && g.consentType === 'AllPrincipals')).toBe(true);
  }, 60_000);

  it('falls back to a device code when the browser cannot be opened', async () => {
    const sim = await startSimulator({ scenario: 'contoso', seed: 5, tls, users: 60, days: 2 });
    try {
      const envFile = (await writeEnvironmentFiles(path.join(dir, 'open'), sim)).environmentFile;
      const out = io(() => Promise.reject(new BrowserUnavailableError('Could not open a browser (xdg-open: not found).')));
      // The device code is approved as soon as it is shown, as a person on the sign-in page would.
      const approvals: string[] = [];
      const show = out.err;
      out.err = (line) => {
        show(line);
        const shown = /enter the code ([A-Z0-9]{9})/.exec(line);
        if (shown) approvals.push(sim.approve(shown[1]!, sim.groundTruth.compromisedUser.userPrincipalName));
      };
      const code = await cli(['collect', await newCase('fallback'), '--env', envFile, '--no-logs'], out);
      expect(approvals).toEqual(['approved']);
      expect(code, out.lines.join('\n')).toBe(0);
      expect(out.lines.join('\n')).toMatch(/Could not open a browser .* Signing in with a device code instead/);
    } finally {
      await sim.close();
    }
  }, 60_000);

  it('rejects an unknown --sign-in method', async () => {
    const out = io(null);
    expect(await cli(['collect', path.join(dir, 'none.peregrine'), '--env', blockedEnv, '--sign-in', 'password'], out)).toBe(2);
    expect(out.lines.join('\n')).toMatch(/--sign-in takes browser or device-code, not "password"/);
  });
});

describe('browser sign-in session', () => {
  it('ends a browser sign-in left open when it is cancelled, closing its loopback listener', async () => {
    const env = loadEnvironmentFile(blockedEnv);
    const session = createTenantSession(env, createHttpTransport({ ca: env.caPem, userAgent: 'Peregrine-test' }));
    let shown: (url: string) => void = () => undefined;
    const page = new Promise<string>((resolve) => {
      shown = resolve;
    });
    // The page is "shown" but nobody signs in.
    const attempt = session.signInWithBrowser(async (url) => shown(url));
    const opened = await page;
    expect(opened).toMatch(/\/oauth2\/v2\.0\/authorize\?/);
    session.cancelSignIn();
    await expect(attempt).rejects.toThrow(/access_denied|cancelled/i);
    // The listener is gone: nothing answers on the redirect URI any more.
    await expect(fetch(new URL(opened).searchParams.get('redirect_uri')!, { method: 'POST' })).rejects.toThrow();
  });
});
