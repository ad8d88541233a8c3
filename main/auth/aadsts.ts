// Main process / CLI: what to do about each refusal Entra ID gives a delegated sign-in, read from its AADSTS code.
// Codes and meanings: https://learn.microsoft.com/entra/identity-platform/reference-error-codes

const ADMIN_CONSENT_ROLES = 'Privileged Role Administrator, Cloud Application Administrator or Application Administrator';

/** Advice per AADSTS code: what happened, in words, and what to do next. */
export const AADSTS_ADVICE: Record<number, string> = {
  53003: 'The tenant\'s Conditional Access blocked this sign-in. Many tenants block sign-in with a device code: sign in with the browser instead (`--sign-in browser`, or "Sign in with browser"). If the browser is blocked too, ask an administrator which policy applies (the sign-in log names it).',
  53000: 'The tenant\'s Conditional Access only allows compliant devices. Sign in from a device the organisation manages, or ask an administrator to exclude this engagement\'s account from the policy.',
  53001: 'The tenant\'s Conditional Access only allows domain-joined devices. Sign in from such a device, or ask an administrator to exclude this engagement\'s account from the policy.',
  65001: `Nobody has consented to the permissions Peregrine asks for. Sign in again and accept them; if your account may not consent, have an administrator (${ADMIN_CONSENT_ROLES}) sign in to Peregrine once and consent on behalf of the organisation.`,
  65004: 'The permissions Peregrine asks for were declined on the consent page. Sign in again and accept them: Peregrine only reads.',
  90094: `These permissions need an administrator's consent, and this account cannot give it. Have an administrator (${ADMIN_CONSENT_ROLES}) sign in to Peregrine once and consent on behalf of the organisation, or grant admin consent to Microsoft Graph Command Line Tools in the Entra admin center.`,
  90095: `These permissions need an administrator's consent; an approval request can be sent from the sign-in page. Have an administrator (${ADMIN_CONSENT_ROLES}) approve it, or sign in once themselves and consent on behalf of the organisation.`,
  50076: 'The tenant requires multi-factor authentication for this sign-in. Sign in with the browser and complete the second factor there.',
  50079: 'The tenant requires this account to register for multi-factor authentication first. Register at https://aka.ms/mfasetup, then sign in again.',
  50074: 'Strong authentication is required for this sign-in. Sign in with the browser and complete the second factor there.',
  90002: 'That tenant does not exist in this cloud. Check the tenant id or domain, and the cloud (`--cloud` commercial, gcc, gcchigh, dod or china; on the Collect screen, Cloud): a government or China tenant exists only in its own cloud.',
  900023: 'That is not a valid tenant id or domain. Give the tenant\'s GUID or a verified domain such as contoso.onmicrosoft.com, and the right cloud (`--cloud`).',
  90072: 'This account belongs to another tenant and is not a guest in this one. Sign in with an account of the tenant under investigation.',
  700016: 'The sign-in client is not known in that directory: the tenant or the cloud (`--cloud`) is probably wrong.',
  50105: 'The tenant requires users to be assigned to Microsoft Graph Command Line Tools, and this account is not. Ask an administrator to assign it (Enterprise applications) or to sign in instead.',
  70020: 'The sign-in code expired before sign-in finished. Start again and enter the new code within 15 minutes.',
  50173: 'The saved sign-in was revoked (a password change or a session revocation). Sign in again.',
  700082: 'The saved sign-in expired after a long time unused. Sign in again.',
  50126: 'The user name or password is wrong. Check them and sign in again.',
  50053: 'The account is locked after too many attempts, or the sign-in came from a blocked address. Wait, or ask an administrator to unlock it.',
  50057: 'The account is disabled. Sign in with an enabled account.',
};

/** The AADSTS code in an error from MSAL or the token service, when there is one. */
export function aadstsCode(err: unknown): number | null {
  const e = err as { errorCodes?: unknown; message?: unknown; errorMessage?: unknown } | null;
  if (e && Array.isArray(e.errorCodes)) {
    const first = Number(e.errorCodes[0]);
    if (Number.isInteger(first) && first > 0) return first;
  }
  const text = `${typeof e?.message === 'string' ? e.message : ''} ${typeof e?.errorMessage === 'string' ? e.errorMessage : ''}`;
  const m = /AADSTS(\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The error a person reads: what to do, then the service's own words (first line, without trace ids). */
export function explainSignInError(err: unknown): Error {
  const code = aadstsCode(err);
  const advice = code !== null ? AADSTS_ADVICE[code] : undefined;
  const original = err instanceof Error ? err.message : String(err);
  if (!advice) return err instanceof Error ? err : new Error(original);
  const said = original.split(/\r?\n/)[0]!.replace(/\s*Trace ID:.*$/, '').trim();
  return new Error(`${advice} (AADSTS${code}: ${said.replace(/^.*?AADSTS\d+:\s*/, '')})`, { cause: err });
}
