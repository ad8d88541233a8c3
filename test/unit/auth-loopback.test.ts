// Vitest (plain Node): where a browser sign-in may send its answer, and which page it may open.
import { describe, expect, it } from 'vitest';
import { assertAuthorityPage, isLoopbackListener } from '../../main/auth/loopback';

describe('isLoopbackListener', () => {
  it.each([
    ['http://localhost:53117/', true],
    ['http://127.0.0.1:8400/redirect', true],
    ['https://localhost:53117/', false],
    ['http://localhost:1@evil.example/', false],
    ['http://localhost.evil.example:80/', false],
    ['http://user@localhost:53117/', false],
    ['http://10.0.0.5:53117/', false],
  ])('%s → %s', (url, expected) => {
    expect(isLoopbackListener(new URL(url))).toBe(expected);
  });
});

describe('assertAuthorityPage', () => {
  it("accepts the authority's own pages and names any other origin", () => {
    expect(() => assertAuthorityPage('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?x=1', 'https://login.microsoftonline.com')).not.toThrow();
    expect(() => assertAuthorityPage('https://login.microsoftonline.com.evil.example/authorize', 'https://login.microsoftonline.com'))
      .toThrow("the sign-in page https://login.microsoftonline.com.evil.example is not on the tenant's authority https://login.microsoftonline.com; nothing was opened.");
    expect(() => assertAuthorityPage('http://login.microsoftonline.com/authorize', 'https://login.microsoftonline.com')).toThrow(/is not on the tenant's authority/);
  });
});
