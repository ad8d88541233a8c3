// Main process: the workbench's browser sign-in — starts it, and answers as soon as the sign-in page's address is
// known, opened by the app itself (Electron: the system browser) or handed to the renderer to open in a new tab.
import type { SignInState } from '../../preload/contract';
import type { TenantSession } from '../auth/device-code';
import { assertAuthorityPage } from '../auth/loopback';

export interface SignInTarget {
  session: TenantSession | null;
  state: SignInState;
}

/**
 * Signs `session` in through a browser and keeps `slot.state` current: 'browser' while the page is open, then
 * 'signed-in' or 'error' (its message starting with `failure`). Resolves with the first state the renderer should show.
 */
export function startBrowserSignIn(
  slot: SignInTarget,
  session: TenantSession,
  openBrowser: ((url: string) => Promise<void>) | undefined,
  failure = 'Sign-in failed',
): Promise<SignInState> {
  return new Promise<SignInState>((resolve) => {
    const current = () => slot.session === session;
    session
      .signInWithBrowser(async (url) => {
        let opened = false;
        // Only the sign-in page of the tenant's own authority is ever opened outside the app.
        assertAuthorityPage(url, session.environment.authorityHost);
        if (openBrowser) {
          try {
            await openBrowser(url);
            opened = true;
          } catch {
            // The address is still shown: the person can open it themselves.
          }
        }
        if (!current()) return;
        slot.state = { state: 'browser', url, opened };
        resolve(slot.state);
      })
      .then((account) => {
        if (!current()) return;
        slot.state = { state: 'signed-in', method: 'browser', username: account.username, tenantId: account.tenantId, scopes: account.scopes };
        resolve(slot.state);
      })
      .catch((err: Error) => {
        if (!current()) return;
        slot.state = { state: 'error', message: `${failure}: ${err.message}` };
        resolve(slot.state);
      });
  });
}
