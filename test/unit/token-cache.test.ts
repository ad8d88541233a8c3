// The token cache: only ever on disk encrypted, unreadable with another passphrase, owner-only file.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TokenCacheContext } from '@azure/msal-node';
import { cacheFile, encryptedCachePlugin, passphraseCipher } from '../../main/auth/token-cache';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-cache-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const SECRET = '{"RefreshToken":{"x":{"secret":"0.AAAA-refresh-token-value"}}}';

function context(initial: string, changed: boolean) {
  let state = initial;
  const ctx = { cacheHasChanged: changed, tokenCache: { serialize: () => state, deserialize: (s: string) => void (state = s) } } as unknown as TokenCacheContext;
  return { ctx, state: () => state };
}

describe('token cache', () => {
  it('round-trips under the same passphrase and never writes the token in clear', async () => {
    const file = path.join(dir, 'tokens.bin');
    const plugin = encryptedCachePlugin(cacheFile(file), passphraseCipher('correct horse battery staple'));
    await plugin.afterCacheAccess(context(SECRET, true).ctx);
    const raw = fs.readFileSync(file);
    expect(raw.includes(Buffer.from('refresh-token-value'))).toBe(false);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const reader = context('', false);
    await encryptedCachePlugin(cacheFile(file), passphraseCipher('correct horse battery staple')).beforeCacheAccess(reader.ctx);
    expect(reader.state()).toBe(SECRET);
  });

  it('treats a cache it cannot decrypt as empty and says why', async () => {
    const file = path.join(dir, 'tokens.bin');
    await encryptedCachePlugin(cacheFile(file), passphraseCipher('correct horse battery staple')).afterCacheAccess(context(SECRET, true).ctx);
    const reasons: string[] = [];
    const reader = context('', false);
    await encryptedCachePlugin(cacheFile(file), passphraseCipher('wrong passphrase here'), (r) => reasons.push(r)).beforeCacheAccess(reader.ctx);
    expect(reader.state()).toBe('');
    expect(reasons[0]).toMatch(/cannot be opened with this passphrase/);
  });

  it('does not write when nothing changed, and refuses a short passphrase', async () => {
    const file = path.join(dir, 'tokens.bin');
    await encryptedCachePlugin(cacheFile(file), passphraseCipher('correct horse battery staple')).afterCacheAccess(context(SECRET, false).ctx);
    expect(fs.existsSync(file)).toBe(false);
    expect(() => passphraseCipher('short')).toThrow(/at least 12 characters/);
  });

  it('detects a tampered cache', () => {
    const cipher = passphraseCipher('correct horse battery staple');
    const data = cipher.encrypt(SECRET);
    data[data.length - 1] = data[data.length - 1]! ^ 1;
    expect(() => cipher.decrypt(data)).toThrow(/altered/);
  });
});
