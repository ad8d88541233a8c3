// Main process: a sign-in slot shared by the tenant (collection) and remediation areas — start a device-code or
// browser sign-in on a session, follow its outcome into the slot's state, and sign every slot out.
import type { SignInState } from '../../../preload/contract';
import type { TenantSession } from '../../auth/device-code';
import { startBrowserSignIn } from '../browser-sign-in';

export interface SignInSlot {
  session: TenantSession | null;
  state: SignInState;
}

export const signedOutSlot = (): SignInSlot => ({ session: null, state: { state: 'signed-out' } });

/**
 * Starts `session`'s sign-in in `slot` (device code unless the browser is asked for). Answers as soon as the code or
 * the page is known; the slot then follows the outcome — signed in, or an error starting with `failure` — as long as
 * the slot still holds this session.
 */
export function followSignIn(
  slot: SignInSlot,
  session: TenantSession,
  method: 'browser' | 'device-code',
  openBrowser: ((url: string) => Promise<void>) | undefined,
  failure = 'Sign-in failed',
): Promise<SignInState> {
  slot.session = session;
  slot.state = { state: 'signed-out' };
  if (method === 'browser') return startBrowserSignIn(slot, session, openBrowser, failure);
  return new Promise<SignInState>((resolve) => {
    session
      .signInWithDeviceCode((p) => {
        slot.state = { state: 'waiting', userCode: p.userCode, verificationUri: p.verificationUri, message: p.message, expiresAt: p.expiresAt.toISOString() };
        resolve(slot.state);
      })
      .then((account) => {
        if (slot.session !== session) return;
        slot.state = { state: 'signed-in', method: 'device-code', username: account.username, tenantId: account.tenantId, scopes: account.scopes };
        resolve(slot.state);
      })
      .catch((err: Error) => {
        if (slot.session !== session) return;
        slot.state = { state: 'error', message: `${failure}: ${err.message}` };
        resolve(slot.state);
      });
  });
}

/** Cancels any sign-in under way and signs every slot out (its tokens go with its session). */
export async function signOutSlots(slots: readonly SignInSlot[]): Promise<void> {
  for (const slot of slots) {
    slot.session?.cancelSignIn();
    await slot.session?.signOut();
    slot.session = null;
    slot.state = { state: 'signed-out' };
  }
}
