// Renderer: sign-in — through the browser or with a device code (Microsoft Graph, then Exchange Online), polled every second while pending, or app-only with the engagement app's certificate.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { AppOnlyForm, AppOnlySignedIn } from './AppOnlySignIn';
import { GrantedPermissions } from './GrantedPermissions';
import { api, toApiError, type ApiError, type SignInState } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatDuration } from '../../lib/format';
import { usePoll } from '../../lib/usePoll';
import { CopyButton } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';

const AUTH_POLL_MS = 1000;

export type SignInService = 'graph' | 'exchange';

export interface SignIn {
  auth: SignInState | null;
  error: ApiError | null;
  busy: boolean;
  checks: number;
  start: () => void;
  /** Browser sign-in: the system browser (the app) or a new tab (the browser host). */
  startBrowser: () => void;
  signOut: () => void;
  /** Reads the state again (e.g. after the other sign-in signed both out). */
  refresh: () => void;
}

const CALLS: Record<SignInService, { status: () => Promise<SignInState>; start: (method?: 'browser' | 'device-code') => Promise<SignInState> }> = {
  graph: { status: api.auth.status, start: api.auth.start },
  exchange: { status: api.auth.exchangeStatus, start: api.auth.startExchange },
};

/** One sign-in's state: read once, then polled every second while a code is waiting. `onSignOut` runs after any sign-out. */
export function useSignIn(service: SignInService = 'graph', onSignOut?: () => void): SignIn {
  const [auth, setAuth] = useState<SignInState | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [checks, setChecks] = useState(0);
  const calls = CALLS[service];

  const refresh = useCallback(() => {
    calls.status().then(
      (s) => {
        setAuth(s);
        setError(null);
      },
      (err: unknown) => setError(toApiError(err)),
    );
  }, [calls]);

  useEffect(() => {
    let live = true;
    calls.status().then(
      (s) => live && setAuth(s),
      (err: unknown) => live && setError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, [calls]);

  usePoll(
    async () => {
      try {
        const s = await calls.status();
        setAuth(s);
        setError(null);
        setChecks((n) => n + 1);
        return s.state === 'waiting' || s.state === 'browser';
      } catch (err) {
        setError(toApiError(err));
        return true;
      }
    },
    AUTH_POLL_MS,
    auth?.state === 'waiting' || auth?.state === 'browser',
  );

  const act = async (fn: () => Promise<SignInState>, after?: () => void) => {
    setBusy(true);
    setError(null);
    setChecks(0);
    try {
      setAuth(await fn());
      after?.();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return {
    auth, error, busy, checks, refresh,
    start: () => void act(() => calls.start('device-code')),
    startBrowser: () => void act(() => calls.start('browser')),
    signOut: () => void act(api.auth.signOut, onSignOut),
  };
}

/** Test ids: Graph keeps the original ones (`sign-in-start`, `device-code`, …); Exchange prefixes them with `exo-`. */
function ids(service: SignInService) {
  const p = service === 'graph' ? '' : 'exo-';
  return {
    section: service === 'graph' ? 'sign-in-graph' : 'exo-sign-in',
    start: `${p}sign-in-start`,
    browser: `${p}sign-in-browser`,
    error: `${p}sign-in-error`,
    failed: `${p}sign-in-failed`,
    signedIn: `${p}signed-in`,
    account: `${p}signed-in-account`,
    tenant: `${p}signed-in-tenant`,
    scopes: `${p}signed-in-scopes`,
    code: `${p}device-code`,
  };
}

type SignInMethod = 'device-code' | 'app-only';
const METHODS: { method: SignInMethod; label: 'delegated' | 'appOnly' }[] = [
  { method: 'device-code', label: 'delegated' },
  { method: 'app-only', label: 'appOnly' },
];

export function SignInPanel({ graph, exchange }: { graph: SignIn; exchange: SignIn }) {
  const { t } = useTranslation();
  const exoSignedIn = exchange.auth?.state === 'signed-in';
  const [chosen, setChosen] = useState<SignInMethod>('device-code');
  // What main holds wins over the last choice: a live sign-in shows its own method, and the choice waits for sign-out.
  const live = [graph.auth, exchange.auth].find((a) => a?.state === 'signed-in' || a?.state === 'waiting' || a?.state === 'browser') ?? null;
  const method: SignInMethod = live ? (live.state === 'signed-in' && live.method === 'app-only' ? 'app-only' : 'device-code') : chosen;
  const refreshBoth = () => {
    graph.refresh();
    exchange.refresh();
  };
  return (
    <section className="panel" aria-labelledby="signin-heading" data-testid="sign-in" data-method={method} data-state={graph.auth?.state ?? 'unknown'} data-exchange-state={exchange.auth?.state ?? 'unknown'}>
      <div className="panel-head">
        <h2 id="signin-heading">{t('signin.heading')}</h2>
        <div className="segmented" role="group" aria-label={t('signin.method')} data-testid="sign-in-method">
          {METHODS.map((m) => (
            <button
              key={m.method}
              type="button"
              aria-pressed={method === m.method}
              disabled={live !== null && method !== m.method}
              title={live !== null && method !== m.method ? t('signin.signOutFirst') : undefined}
              onClick={() => setChosen(m.method)}
              data-testid={`sign-in-method-${m.method}`}
            >
              {t(`signin.${m.label}`)}
            </button>
          ))}
        </div>
      </div>
      {live !== null ? (
        <p className="muted small method-locked" data-testid="sign-in-method-locked">
          {t(method === 'app-only' ? 'signin.lockedAppOnly' : 'signin.lockedDelegated')}
        </p>
      ) : null}
      {method === 'app-only' ? (
        graph.auth?.state === 'signed-in' ? (
          <AppOnlySignedIn auth={graph.auth} busy={graph.busy} onSignOut={graph.signOut} />
        ) : (
          <AppOnlyForm onSignedIn={refreshBoth} />
        )
      ) : (
        <DeviceCodeSections graph={graph} exchange={exchange} exoSignedIn={exoSignedIn} />
      )}
    </section>
  );
}

function DeviceCodeSections({ graph, exchange, exoSignedIn }: { graph: SignIn; exchange: SignIn; exoSignedIn: boolean }) {
  const { t } = useTranslation();
  return (
    <>
      <SignInSection service="graph" title="Microsoft Graph" purpose={t('signin.graphPurpose')} signIn={graph} />
      <SignInSection service="exchange" title="Exchange Online" purpose={t('signin.exchangePurpose')} signIn={exchange} />
      {/* Main has one sign-out for both services: one button, under both, says so. */}
      {graph.auth?.state === 'signed-in' || exoSignedIn ? (
        <div className="signin-footer">
          <button type="button" className="button button-quiet button-small" onClick={graph.signOut} disabled={graph.busy || exchange.busy} data-testid="sign-out">
            {graph.auth?.state === 'signed-in' && exoSignedIn ? t('signin.signOutBoth') : t('signin.signOut')}
          </button>
        </div>
      ) : null}
    </>
  );
}

function SignInSection({ service, title, purpose, signIn }: { service: SignInService; title: string; purpose: string; signIn: SignIn }) {
  const { auth, error, busy, checks, start, startBrowser, signOut } = signIn;
  const { t } = useTranslation();
  const tid = ids(service);
  const headingId = `signin-${service}-heading`;
  return (
    <div className="signin-section" aria-labelledby={headingId} role="group" data-testid={tid.section} data-state={auth?.state ?? 'unknown'}>
      <div className="signin-section-head">
        <h3 id={headingId}>{title}</h3>
        <SignInWord auth={auth} />
      </div>
      {error ? <ErrorNotice error={error} title={t('signin.didNotGoThrough', { service: title })} testId={tid.error} /> : null}
      {auth === null && !error ? <p className="muted small">{t('signin.checking')}</p> : null}
      {auth?.state === 'signed-out' || (auth === null && error) ? (
        <div className="signin-idle">
          <p className="muted small">{purpose}</p>
          <div className="button-row">
            <button type="button" className={`button ${service === 'graph' ? 'button-primary' : ''}`} onClick={startBrowser} disabled={busy} data-testid={tid.browser}>
              {busy ? t('signin.starting') : t('signin.withBrowser')}
            </button>
            <button type="button" className="button button-quiet" onClick={start} disabled={busy} data-testid={tid.start}>
              {service === 'graph' ? t('signin.withCode') : t('signin.useCode')}
            </button>
          </div>
        </div>
      ) : null}
      {auth?.state === 'browser' ? <BrowserSignIn auth={auth} checks={checks} busy={busy} prefix={service === 'graph' ? '' : 'exo-'} onCancel={service === 'graph' ? signOut : startBrowser} cancelLabel={service === 'graph' ? t('signin.cancel') : t('signin.startAgain')} /> : null}
      {auth?.state === 'waiting' ? (
        <DeviceCode
          auth={auth}
          checks={checks}
          busy={busy}
          prefix={service === 'graph' ? '' : 'exo-'}
          // Main has one sign-out for both services: an Exchange code is replaced by asking for a new one instead.
          action={
            service === 'graph' ? (
              <button type="button" className="button button-quiet" onClick={signOut} disabled={busy} data-testid="sign-in-cancel">
                {t('signin.cancel')}
              </button>
            ) : (
              <button type="button" className="button button-quiet" onClick={start} disabled={busy} data-testid="exo-sign-in-restart">
                {t('signin.newCode')}
              </button>
            )
          }
        />
      ) : null}
      {auth?.state === 'signed-in' ? (
        <>
          <p className="signed-in" data-testid={tid.signedIn}>
            <span aria-hidden="true" className="ok-icon">✓</span> {t('signin.signedInAs')}
            <strong className="mono" data-testid={tid.account}>
              {auth.username}
            </strong>
          </p>
          <dl className="facts facts-tight">
            <dt>{t('signin.tenantId')}</dt>
            <dd>
              <Identifier value={auth.tenantId} label={t('signin.tenantIdLabel', { service: title })} testId={tid.tenant} />
            </dd>
            <dt>{t('signin.permissions')}</dt>
            <dd>
              <GrantedPermissions scopes={auth.scopes} noun="scope" testId={tid.scopes} />
            </dd>
          </dl>
        </>
      ) : null}
      {auth?.state === 'error' ? (
        <>
          <div className="notice notice-error" role="alert" data-testid={tid.failed}>
            <p className="notice-title">
              <span aria-hidden="true" className="notice-icon">✕</span>
              {t('signin.failed', { service: title })}
            </p>
            <p className="notice-message">{auth.message}</p>
          </div>
          <button type="button" className="button button-primary" onClick={start} disabled={busy} data-testid={tid.start}>
            {t('signin.tryAgain')}
          </button>
        </>
      ) : null}
    </div>
  );
}

/** The section's state at a glance; signed-in says so in its own line below. */
function SignInWord({ auth }: { auth: SignInState | null }) {
  const { t } = useTranslation();
  if (!auth || auth.state === 'signed-in') return null;
  const look = {
    'signed-out': { icon: '○', cls: 'state-pending' },
    waiting: { icon: '◐', cls: 'state-running' },
    browser: { icon: '◐', cls: 'state-running' },
    'signed-in': { icon: '✓', cls: 'state-done' },
    error: { icon: '✕', cls: 'state-failed' },
  }[auth.state];
  return (
    <span className={`state small ${look.cls}`}>
      <span aria-hidden="true">{look.icon}</span> {t(`signin.word.${auth.state}`)}
    </span>
  );
}

/** Browser sign-in under way: where the page is (opened by the app, or a link to open it in a new tab) and how long it has waited. */
export function BrowserSignIn({ auth, checks, busy, prefix, onCancel, cancelLabel }: { auth: Extract<SignInState, { state: 'browser' }>; checks: number; busy: boolean; prefix: string; onCancel: () => void; cancelLabel: string }) {
  const { t } = useTranslation();
  return (
    <div className="device-code" data-testid={`${prefix}browser-sign-in`} aria-busy={busy}>
      {auth.opened ? (
        <p>{t('signin.browserOpened')}</p>
      ) : (
        <p>
          <a className="button button-primary" href={auth.url} target="_blank" rel="noopener noreferrer" data-testid={`${prefix}browser-sign-in-open`}>
            {t('signin.openPage')}
          </a>
          {t('signin.openPageAfter')}
        </p>
      )}
      <div className="device-code-url">
        <span className="mono small truncate" data-testid={`${prefix}browser-sign-in-url`} title={auth.url}>
          {auth.url.split('?')[0]}
        </span>
        <CopyButton value={auth.url} label={t('signin.addressLabel')} compact testId={`${prefix}browser-sign-in-copy`} />
      </div>
      <p className="muted small" data-testid={`${prefix}browser-sign-in-waiting`} role="status">
        {t('signin.waitingBrowser', { count: checks })}
      </p>
      <button type="button" className="button button-quiet" onClick={onCancel} disabled={busy} data-testid={`${prefix}browser-sign-in-cancel`}>
        {cancelLabel}
      </button>
    </div>
  );
}

export function DeviceCode({
  auth,
  checks,
  busy,
  prefix,
  action,
}: {
  auth: Extract<SignInState, { state: 'waiting' }>;
  checks: number;
  busy: boolean;
  prefix: string;
  action: ReactNode;
}) {
  const { t } = useTranslation();
  const { formatTime } = useCase();
  const remaining = new Date(auth.expiresAt).getTime() - Date.now();
  return (
    <div className="device-code" data-testid={`${prefix}device-code-block`} aria-busy={busy}>
      <p>
        {t('signin.codeIntroBefore')}
        <a href={auth.verificationUri} target="_blank" rel="noopener noreferrer" data-testid={`${prefix}verification-uri-open`}>
          {auth.verificationUri}
        </a>
        {t('signin.codeIntroAfter')}
      </p>
      <div className="device-code-row">
        <span className="device-code-value mono" data-testid={`${prefix}device-code`} aria-label={t('signin.codeAria', { code: auth.userCode.split('').join(' ') })}>
          {auth.userCode}
        </span>
        <CopyButton value={auth.userCode} label={t('signin.codeLabel')} testId={`${prefix}device-code-copy`} />
      </div>
      <div className="device-code-url">
        <span className="mono small" data-testid={`${prefix}verification-uri`}>
          {auth.verificationUri}
        </span>
        <CopyButton value={auth.verificationUri} label={t('signin.verificationLabel')} compact testId={`${prefix}verification-uri-copy`} />
      </div>
      <p className="muted small" data-testid={`${prefix}sign-in-waiting`} role="status">
        {t('signin.waitingCode', { count: checks, time: formatTime(auth.expiresAt) })}
        {remaining > 0 ? t('signin.expiresIn', { duration: formatDuration(remaining) }) : t('signin.expired')}
      </p>
      {action}
    </div>
  );
}
