// Renderer: device-code sign-in — shows the code and where to enter it, and polls `auth.status` every second until done.
import { useEffect, useState } from 'react';
import { api, toApiError, type ApiError, type SignInState } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatDuration, plural } from '../../lib/format';
import { usePoll } from '../../lib/usePoll';
import { CopyButton } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';

const AUTH_POLL_MS = 1000;

export interface SignIn {
  auth: SignInState | null;
  error: ApiError | null;
  busy: boolean;
  checks: number;
  start: () => void;
  signOut: () => void;
}

/** Sign-in state for the Collect screen: read once, then polled every second while a code is waiting. */
export function useSignIn(): SignIn {
  const [auth, setAuth] = useState<SignInState | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [checks, setChecks] = useState(0);

  useEffect(() => {
    let live = true;
    api.auth.status().then(
      (s) => live && setAuth(s),
      (err: unknown) => live && setError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, []);

  usePoll(
    async () => {
      try {
        const s = await api.auth.status();
        setAuth(s);
        setError(null);
        setChecks((n) => n + 1);
        return s.state === 'waiting';
      } catch (err) {
        setError(toApiError(err));
        return true;
      }
    },
    AUTH_POLL_MS,
    auth?.state === 'waiting',
  );

  const act = async (fn: () => Promise<SignInState>) => {
    setBusy(true);
    setError(null);
    setChecks(0);
    try {
      setAuth(await fn());
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return { auth, error, busy, checks, start: () => void act(api.auth.start), signOut: () => void act(api.auth.signOut) };
}

export function SignInPanel({ signIn }: { signIn: SignIn }) {
  const { auth, error, busy, checks, start, signOut } = signIn;
  return (
    <section className="panel" aria-labelledby="signin-heading" data-testid="sign-in" data-state={auth?.state ?? 'unknown'}>
      <h2 id="signin-heading">Sign-in</h2>
      {error ? <ErrorNotice error={error} title="Sign-in did not go through" testId="sign-in-error" /> : null}
      {auth === null && !error ? <p className="muted">Checking sign-in…</p> : null}
      {auth?.state === 'signed-out' || (auth === null && error) ? (
        <>
          <p>Sign in with an account that can read the tenant. You will enter a one-time code in a browser on any device.</p>
          <button type="button" className="button button-primary" onClick={start} disabled={busy} data-testid="sign-in-start">
            {busy ? 'Requesting a code…' : 'Sign in'}
          </button>
        </>
      ) : null}
      {auth?.state === 'waiting' ? <DeviceCode auth={auth} checks={checks} onCancel={signOut} busy={busy} /> : null}
      {auth?.state === 'signed-in' ? (
        <>
          <p className="signed-in" data-testid="signed-in">
            <span aria-hidden="true" className="ok-icon">✓</span> Signed in as{' '}
            <strong className="mono" data-testid="signed-in-account">{auth.username}</strong>
          </p>
          <dl className="facts">
            <dt>Tenant id</dt>
            <dd>
              <Identifier value={auth.tenantId} label="signed-in tenant id" testId="signed-in-tenant" />
            </dd>
            <dt>Permissions</dt>
            <dd>
              <details>
                <summary data-testid="signed-in-scopes">{plural(auth.scopes.length, 'scope')} granted</summary>
                <ul className="plain-list mono small">
                  {auth.scopes.map((s) => (
                    <li key={s}>{s}</li>
                  ))}
                </ul>
              </details>
            </dd>
          </dl>
          <button type="button" className="button button-quiet" onClick={signOut} disabled={busy} data-testid="sign-out">
            Sign out
          </button>
        </>
      ) : null}
      {auth?.state === 'error' ? (
        <>
          <div className="notice notice-error" role="alert" data-testid="sign-in-failed">
            <p className="notice-title">
              <span aria-hidden="true" className="notice-icon">✕</span>Sign-in failed
            </p>
            <p className="notice-message">{auth.message}</p>
          </div>
          <button type="button" className="button button-primary" onClick={start} disabled={busy} data-testid="sign-in-start">
            Try again
          </button>
        </>
      ) : null}
    </section>
  );
}

function DeviceCode({ auth, checks, onCancel, busy }: { auth: Extract<SignInState, { state: 'waiting' }>; checks: number; onCancel: () => void; busy: boolean }) {
  const { formatTime } = useCase();
  const remaining = new Date(auth.expiresAt).getTime() - Date.now();
  return (
    <div className="device-code" data-testid="device-code-block">
      <p>
        On any device, open <strong>{auth.verificationUri}</strong> and enter this code:
      </p>
      <div className="device-code-row">
        <span className="device-code-value mono" data-testid="device-code" aria-label={`Sign-in code ${auth.userCode.split('').join(' ')}`}>
          {auth.userCode}
        </span>
        <CopyButton value={auth.userCode} label="sign-in code" testId="device-code-copy" />
      </div>
      <div className="device-code-url">
        <span className="mono small" data-testid="verification-uri">
          {auth.verificationUri}
        </span>
        <CopyButton value={auth.verificationUri} label="verification address" compact testId="verification-uri-copy" />
      </div>
      <p className="muted small" data-testid="sign-in-waiting" role="status">
        Waiting for you to finish signing in · checked {plural(checks, 'time')}, every second · code expires {formatTime(auth.expiresAt)}
        {remaining > 0 ? ` (in ${formatDuration(remaining)})` : ' (expired: cancel and sign in again)'}
      </p>
      <button type="button" className="button button-quiet" onClick={onCancel} disabled={busy} data-testid="sign-in-cancel">
        Cancel sign-in
      </button>
    </div>
  );
}
