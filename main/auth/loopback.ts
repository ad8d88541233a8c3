// Main process / CLI: where a browser sign-in's answer may be sent — the app's own listener on this machine, nothing else.

/** A plain-HTTP address on this machine's loopback (localhost or 127.0.0.1, any port), with no user info. */
export function isLoopbackListener(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1') && url.username === '' && url.password === '';
}

/** Throws unless `url` is a page of the tenant's own authority: the only page a sign-in opens outside the app. */
export function assertAuthorityPage(url: string, authorityHost: string): void {
  const origin = URL.canParse(url) ? new URL(url).origin : url;
  if (origin !== new URL(authorityHost).origin) {
    throw new Error(`the sign-in page ${origin} is not on the tenant's authority ${authorityHost}; nothing was opened.`);
  }
}
