// Vitest (plain Node): the desktop app opens a link in the system browser only when it is a device-code page.
import { describe, expect, it } from 'vitest';
import { isDeviceCodePage } from '../../main/electron/device-code-page';

describe('links the desktop app hands to the system browser', () => {
  const sim = 'https://127.0.0.1:43101/devicelogin';

  it('opens Microsoft\'s device-code pages and the simulator\'s own', () => {
    for (const url of ['https://microsoft.com/devicelogin', 'https://www.microsoft.com/devicelogin', 'https://microsoft.com/deviceloginus', 'https://microsoft.com/deviceloginchina', 'https://microsoft.com/devicelogin/']) {
      expect(isDeviceCodePage(url, null), url).toBe(true);
    }
    expect(isDeviceCodePage(sim, sim)).toBe(true);
  });

  it('opens nothing else: another page, another scheme, credentials in the address, or a simulator page without a simulator', () => {
    for (const url of ['https://microsoft.com/', 'https://evil.example/devicelogin', 'http://microsoft.com/devicelogin', 'https://user:pw@microsoft.com/devicelogin', 'https://microsoft.com.evil.example/devicelogin', 'file:///etc/passwd', 'not a url']) {
      expect(isDeviceCodePage(url, sim), url).toBe(false);
    }
    expect(isDeviceCodePage(sim, null)).toBe(false);
    expect(isDeviceCodePage('https://127.0.0.1:43102/devicelogin', sim)).toBe(false);
  });
});
