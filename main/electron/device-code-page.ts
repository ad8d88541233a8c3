// Electron main process: which addresses a link in the app may open in the system browser — the device-code page only.

/**
 * Microsoft's device-code pages, per cloud: the `verification_uri` the device authorization endpoint returns
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code#device-authorization-response:
 * "https://microsoft.com/devicelogin"; the US Government and 21Vianet clouds answer with their own suffixed page).
 */
const MICROSOFT_DEVICE_PAGES = new Set(['https://microsoft.com/devicelogin', 'https://microsoft.com/deviceloginus', 'https://microsoft.com/deviceloginchina']);

/** True for the device-code page of Microsoft's clouds, or the simulator's own (named by its environment file); nothing else. */
export function isDeviceCodePage(url: string, simulatorDeviceLoginUrl: string | null): boolean {
  if (!URL.canParse(url)) return false;
  const u = new URL(url);
  if (u.protocol !== 'https:' || u.username || u.password) return false;
  const page = `${u.origin}${u.pathname.replace(/\/+$/, '')}`.toLowerCase();
  if (MICROSOFT_DEVICE_PAGES.has(page.replace('://www.', '://'))) return true;
  return simulatorDeviceLoginUrl !== null && URL.canParse(simulatorDeviceLoginUrl) && page === `${new URL(simulatorDeviceLoginUrl).origin}${new URL(simulatorDeviceLoginUrl).pathname.replace(/\/+$/, '')}`.toLowerCase();
}
