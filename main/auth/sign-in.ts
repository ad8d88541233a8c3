// Main process / CLI: delegated sign-in by the method the person chose — the system browser (authorization code with
// PKCE) first, device code as the fallback when no browser can be opened — and how to open the system browser.
import { spawn } from 'node:child_process';
import type { DeviceCodePrompt, SignedInAccount, TenantSession } from './device-code';

export type SignInMethod = 'browser' | 'device-code';
export const SIGN_IN_METHODS: readonly SignInMethod[] = ['browser', 'device-code'];

/** Thrown by an opener that could not show the page: the sign-in falls back to a device code. */
export class BrowserUnavailableError extends Error {}

/**
 * Opens a URL in the desktop's default browser, or null when there is none to open (a Linux session without a display,
 * or a remote shell): then device code is the way to sign in.
 */
export function systemBrowser(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): ((url: string) => Promise<void>) | null {
  const command: [string, string[]] | null = platform === 'darwin'
    ? ['open', []]
    : platform === 'win32'
      ? ['rundll32', ['url.dll,FileProtocolHandler']]
      : (env.DISPLAY || env.WAYLAND_DISPLAY) ? ['xdg-open', []] : null;
  if (!command || (env.SSH_CONNECTION && platform !== 'win32' && !env.DISPLAY)) return null;
  return (url) => new Promise<void>((resolve, reject) => {
    const child = spawn(command[0], [...command[1], url], { stdio: 'ignore', detached: true });
    child.once('error', (err) => reject(new BrowserUnavailableError(`Could not open a browser (${command[0]}: ${err.message}).`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

export interface SignInChoice {
  method: SignInMethod;
  /** How to show the browser sign-in page; null when none can be opened. */
  openBrowser: ((url: string) => Promise<void>) | null;
  onPrompt: (prompt: DeviceCodePrompt) => void;
  /** Told why the browser was not used, before the device code is asked for. */
  onFallback: (reason: string) => void;
  /** The account to offer on the browser sign-in page (login_hint); the person can still pick another. */
  loginHint?: string;
}

/** Signs in by the chosen method; a browser that cannot be opened falls back to a device code, a refusal does not. */
export async function signIn(session: TenantSession, choice: SignInChoice): Promise<SignedInAccount> {
  if (choice.method === 'browser') {
    if (!choice.openBrowser) {
      choice.onFallback('No browser can be opened here; signing in with a device code instead.');
    } else {
      try {
        return await session.signInWithBrowser(choice.openBrowser, choice.loginHint ? { loginHint: choice.loginHint } : undefined);
      } catch (err) {
        if (!(err instanceof BrowserUnavailableError)) throw err;
        choice.onFallback(`${err.message} Signing in with a device code instead.`);
      }
    }
  }
  return session.signInWithDeviceCode(choice.onPrompt);
}
