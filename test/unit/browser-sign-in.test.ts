// Vitest (plain Node): the workbench opens only the tenant's own sign-in page outside the app.
import { describe, expect, it } from 'vitest';
import type { SignedInAccount, TenantSession } from '../../main/auth/device-code';
import type { TenantEnvironment } from '../../main/auth/environment';
import { startBrowserSignIn, type SignInTarget } from '../../main/host/browser-sign-in';

const environment = { authorityHost: 'https://login.microsoftonline.com' } as TenantEnvironment;

/** A session whose browser sign-in hands `url` to the page opener, then signs in once the page was shown. */
function sessionOpening(url: string): TenantSession {
  return {
    environment,
    signInWithBrowser: async (open: (u: string) => Promise<void>) => {
      await open(url);
      return { username: 'ir@contoso.example', tenantId: 'tid', objectId: null, scopes: [] } satisfies SignedInAccount;
    },
  } as unknown as TenantSession;
}

describe('startBrowserSignIn', () => {
  it("opens the sign-in page on the tenant's authority", async () => {
    const opened: string[] = [];
    const url = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?client_id=x';
    const session = sessionOpening(url);
    const slot: SignInTarget = { session, state: { state: 'signed-out' } as SignInTarget['state'] };
    const first = await startBrowserSignIn(slot, session, async (u) => void opened.push(u));
    expect(first).toEqual({ state: 'browser', url, opened: true });
    expect(opened).toEqual([url]);
  });

  it('refuses to open any other origin, saying so', async () => {
    const opened: string[] = [];
    const session = sessionOpening('https://login.example.net/phish');
    const slot: SignInTarget = { session, state: { state: 'signed-out' } as SignInTarget['state'] };
    const first = await startBrowserSignIn(slot, session, async (u) => void opened.push(u));
    expect(opened).toEqual([]);
    expect(first).toEqual({ state: 'error', message: expect.stringMatching(/^Sign-in failed: the sign-in page https:\/\/login\.example\.net is not on the tenant's authority https:\/\/login\.microsoftonline\.com; nothing was opened\.$/) });
  });
});
