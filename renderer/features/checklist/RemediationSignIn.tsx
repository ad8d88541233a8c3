// Renderer: the remediation sign-in — separate from collection's, with the write scopes the checklist needs, asked
// for only here; shows the device code or browser page, who is signed in, their roles, and what the preflight lacks.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type RemediationSignInView, type SignInState } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { BrowserSignIn, DeviceCode } from '../collect/SignInPanel';

interface Props {
  view: RemediationSignInView;
  /** Steps whose needs the sign-in lacks (preflight), counted. */
  lacking: number;
  checks: number;
  onChange: (view: RemediationSignInView) => void;
}

export function RemediationSignIn({ view, lacking, checks, onChange }: Props) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const act = async (fn: () => Promise<RemediationSignInView>) => {
    setBusy(true);
    setError(null);
    try {
      onChange(await fn());
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const graphIn = view.graph.state === 'signed-in';
  return (
    <section className="panel remediation-sign-in" aria-labelledby="remediation-sign-in-heading" data-testid="remediation-sign-in">
      <div className="panel-head">
        <h2 id="remediation-sign-in-heading">{t('checklist.signIn.heading')}</h2>
        {graphIn ? (
          <button type="button" className="button button-quiet" onClick={() => void act(api.remediate.signOut)} disabled={busy} data-testid="remediation-sign-out">
            {t('checklist.signIn.signOut')}
          </button>
        ) : null}
      </div>
      <p className="muted small">{t('checklist.signIn.purpose')}</p>
      {error ? <ErrorNotice error={error} title={t('checklist.signIn.failed')} testId="remediation-sign-in-error" /> : null}
      <ServiceSignIn
        label={t('checklist.signIn.graph')}
        state={view.graph}
        prefix="remediate-"
        busy={busy}
        checks={checks}
        onStart={(method) => void act(() => api.remediate.signIn('graph', method))}
      />
      {graphIn ? (
        <p className="small muted" data-testid="remediation-memory-only">
          {t('checklist.signIn.memoryOnly')}
        </p>
      ) : null}
      {graphIn ? (
        <dl className="facts facts-tight" data-testid="remediation-roles">
          <dt>{t('checklist.signIn.roles')}</dt>
          <dd>{view.roles === null ? <span className="muted">{t('checklist.signIn.rolesUnknown')}</span> : view.roles.length ? view.roles.join(', ') : <span className="muted">{t('common.none')}</span>}</dd>
          <dt>{t('checklist.signIn.preflight')}</dt>
          <dd data-testid="remediation-preflight" data-lacking={lacking}>
            {lacking === 0 ? (
              <span className="state state-done">
                <span aria-hidden="true">✓ </span>
                {t('checklist.signIn.preflightOk')}
              </span>
            ) : (
              <span className="state state-failed">
                <span aria-hidden="true">! </span>
                {t('checklist.signIn.preflightLacks', { count: lacking })}
              </span>
            )}
          </dd>
        </dl>
      ) : null}
      {graphIn && view.needsExchange ? (
        <ServiceSignIn
          label={t('checklist.signIn.exchange')}
          state={view.exchange}
          prefix="remediate-exo-"
          busy={busy}
          checks={checks}
          onStart={(method) => void act(() => api.remediate.signIn('exchange', method))}
        />
      ) : null}
    </section>
  );
}

function ServiceSignIn({ label, state, prefix, busy, checks, onStart }: { label: string; state: SignInState; prefix: string; busy: boolean; checks: number; onStart: (method: 'browser' | 'device-code') => void }) {
  const { t } = useTranslation();
  return (
    <div className="remediation-service" data-testid={`${prefix}service`} data-state={state.state}>
      <h3>{label}</h3>
      {state.state === 'signed-in' ? (
        <p data-testid={`${prefix}signed-in`}>
          <span className="state state-done">
            <span aria-hidden="true">✓ </span>
            {t('checklist.signIn.signedInAs')}
          </span>{' '}
          <strong data-testid={`${prefix}account`}>{state.username}</strong>
        </p>
      ) : state.state === 'waiting' ? (
        <DeviceCode auth={state} checks={checks} busy={busy} prefix={prefix} action={null} />
      ) : state.state === 'browser' ? (
        <BrowserSignIn auth={state} checks={checks} busy={busy} prefix={prefix} onCancel={() => onStart('device-code')} cancelLabel={t('signin.useCode')} />
      ) : (
        <>
          {state.state === 'error' ? (
            <p className="state state-failed" role="alert" data-testid={`${prefix}sign-in-failed`}>
              <span aria-hidden="true">✕ </span>
              {state.message}
            </p>
          ) : null}
          <div className="form-actions">
            <button type="button" className="button button-primary" onClick={() => onStart('device-code')} disabled={busy} data-testid={`${prefix}sign-in-code`}>
              {t('signin.withCode')}
            </button>
            <button type="button" className="button" onClick={() => onStart('browser')} disabled={busy} data-testid={`${prefix}sign-in-browser`}>
              {t('signin.withBrowser')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}
