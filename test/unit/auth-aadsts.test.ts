// Each AADSTS refusal of a delegated sign-in becomes a message that says what to do, with the service's own words kept.
import { describe, expect, it } from 'vitest';
import { aadstsCode, explainSignInError } from '../../main/auth/aadsts';

const refusal = (code: number, text: string) => Object.assign(new Error(`invalid_grant: Error(s): ${code} - Timestamp: 2026-12-07 - Description: AADSTS${code}: ${text} Trace ID: 1 Correlation ID: 2 Timestamp: 3`), { errorCodes: [String(code)] });

describe('explainSignInError', () => {
  it.each([
    [53003, 'Access has been blocked by Conditional Access policies.', /Conditional Access blocked this sign-in.*sign in with the browser/],
    [65001, "The user or administrator has not consented to use the application with ID '14d82eec'.", /Nobody has consented.*accept them.*consent on behalf of the organisation/],
    [65004, 'User declined to consent to access the app.', /declined.*Sign in again and accept/],
    [90094, 'The grant requires admin permission.', /need an administrator's consent.*Privileged Role Administrator, Cloud Application Administrator or Application Administrator/],
    [50076, 'Due to a configuration change made by your administrator, you must use multi-factor authentication.', /multi-factor authentication.*Sign in with the browser/],
    [50079, 'The user is required to use multi-factor authentication.', /register for multi-factor authentication first.*aka\.ms\/mfasetup/],
    [90002, "Tenant 'contoso.us' not found.", /does not exist in this cloud.*--cloud/],
    [900023, 'Specified tenant identifier is neither a valid DNS name, nor a valid external domain.', /not a valid tenant id or domain/],
    [700016, "Application with identifier '14d82eec' was not found in the directory.", /tenant or the cloud .* is probably wrong/],
    [70020, 'The provided value for the input parameter device_code is not valid. This device code has expired.', /code expired.*Start again/],
    [50173, 'The provided grant has expired due to it being revoked.', /revoked.*Sign in again/],
  ])('AADSTS%i', (code, text, advice) => {
    const explained = explainSignInError(refusal(code, text));
    expect(explained.message).toMatch(advice);
    // The service's words stay, without its trace ids.
    expect(explained.message).toContain(`(AADSTS${code}: ${text.slice(0, 20)}`);
    expect(explained.message).not.toMatch(/Trace ID/);
    expect(explained.cause).toBeInstanceOf(Error);
  });

  it('reads the code from the message when MSAL gives no error codes, and leaves other errors as they are', () => {
    expect(aadstsCode(new Error('AADSTS50076: MFA required'))).toBe(50076);
    expect(aadstsCode(new Error('socket hang up'))).toBeNull();
    const other = new Error('socket hang up');
    expect(explainSignInError(other)).toBe(other);
    const unknown = new Error('AADSTS12345: something new');
    expect(explainSignInError(unknown)).toBe(unknown);
  });
});
