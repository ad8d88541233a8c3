// Renderer: the Checklist screen — the remediation plan of the newest collection in phases (contain → eradicate →
// recover → verify → harden) with progress, the remediation sign-in, and one card per step; a run is polled until it ends.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type ChecklistView, type RemediationPhase, type RemediationRunView } from '../../lib/api';
import { usePoll } from '../../lib/usePoll';
import { routeHref, routeQuery } from '../../lib/route';
import { ErrorNotice } from '../../components/ErrorNotice';
import { CopyButton } from '../../components/CopyButton';
import { phaseWord } from '../findings/findingText';
import { RemediationSignIn } from './RemediationSignIn';
import { StepCard } from './StepCard';
import { VerifyChecklist } from './VerifyChecklist';
import './checklist.css';

const POLL_MS = 700;

interface Secret {
  itemKey: string;
  target: string;
  password: string;
}

export function ChecklistScreen() {
  const { t } = useTranslation();
  const [view, setView] = useState<ChecklistView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [runs, setRuns] = useState<Record<string, RemediationRunView>>({});
  const [activeRun, setActiveRun] = useState<string | null>(null);
  const [secrets, setSecrets] = useState<Secret[]>([]);
  const [checks, setChecks] = useState(0);
  const focused = useRef(false);

  const reload = useCallback(async () => {
    try {
      const v = await api.remediate.checklist();
      setView(v);
      setError(null);
      return v;
    } catch (err) {
      setError(toApiError(err));
      return null;
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  // Opened at a step (from Findings): bring its card into view once.
  useEffect(() => {
    if (!view || focused.current) return;
    const wanted = routeQuery().get('step');
    if (!wanted) return;
    focused.current = true;
    const card = document.getElementById(`step-${wanted}`);
    card?.scrollIntoView({ block: 'start' });
    card?.focus();
  }, [view]);

  const waiting = view ? [view.signIn.graph.state, view.signIn.exchange.state].some((s) => s === 'waiting' || s === 'browser') : false;
  usePoll(
    async () => {
      const s = await api.remediate.signInStatus();
      setChecks((n) => n + 1);
      setView((v) => (v ? { ...v, signIn: s } : v));
      const still = [s.graph.state, s.exchange.state].some((x) => x === 'waiting' || x === 'browser');
      if (!still) await reload();
      return still;
    },
    1000,
    waiting,
  );

  usePoll(
    async () => {
      if (!activeRun) return false;
      const r = await api.remediate.runStatus(activeRun);
      if (r.secrets.length) setSecrets((s) => [...s, ...r.secrets]);
      setRuns((m) => ({ ...m, [r.stepId]: r }));
      await reload();
      if (r.state !== 'running') {
        setActiveRun(null);
        return false;
      }
      return true;
    },
    POLL_MS,
    activeRun !== null,
  );

  const onVerify = async () => {
    try {
      const r = await api.remediate.verify();
      setRuns((m) => ({ ...m, [r.stepId]: r }));
      setActiveRun(r.runId);
    } catch (err) {
      setError(toApiError(err));
    }
  };

  const onRun = async (input: { stepId: string; mode: 'dry-run' | 'write'; confirmName?: string; confirmSeparately?: boolean }) => {
    const r = await api.remediate.run(input);
    setRuns((m) => ({ ...m, [r.stepId]: r }));
    setActiveRun(r.runId);
  };

  const signedIn = view?.signIn.graph.state === 'signed-in';
  const lacking = view?.steps.filter((s) => s.preflight && (s.preflight.missingScopes.length || s.preflight.missingRoles.length || s.preflight.missingExchangeRoles.length)).length ?? 0;
  const verifyPanel = <VerifyChecklist run={runs.checklist ?? null} signedIn={signedIn} locked={activeRun !== null} onVerify={() => void onVerify()} />;

  return (
    <div className="screen checklist-screen">
      <div className="screen-head">
        <h1>{t('checklist.title')}</h1>
        <p className="screen-lede">{t('checklist.lede')}</p>
      </div>
      {error ? <ErrorNotice error={error} title={t('checklist.loadError')} testId="checklist-error" /> : null}
      {secrets.map((s) => (
        <div key={`${s.itemKey}-${s.password.length}`} className="notice notice-warn password-notice" role="alert" data-testid="password-once">
          <p className="notice-title">{t('checklist.password.title', { name: s.target })}</p>
          <p className="password-row">
            <span className="mono password-value" data-testid="password-value">{s.password}</span>
            <CopyButton value={s.password} label={t('checklist.password.label')} />
          </p>
          <p className="small">{t('checklist.password.hint')}</p>
          <button type="button" className="button button-small" onClick={() => setSecrets((all) => all.filter((x) => x !== s))} data-testid="password-dismiss">
            {t('checklist.password.dismiss')}
          </button>
        </div>
      ))}
      {view === null && !error ? <p className="muted">{t('checklist.loading')}</p> : null}
      {view ? (
        view.runId === null || view.steps.length === 0 ? (
          <section className="panel" data-testid="checklist-empty">
            <p>{view.runId === null ? t('checklist.noCollection') : t('checklist.noSteps')}</p>
            <a href={routeHref(view.runId === null ? 'collect' : 'findings')}>{view.runId === null ? t('checklist.toCollect') : t('checklist.toFindings')}</a>
          </section>
        ) : (
          <>
            <Progress view={view} />
            <RemediationSignIn view={view.signIn} lacking={lacking} checks={checks} onChange={(s) => { setChecks(0); setView((v) => (v ? { ...v, signIn: s } : v)); void reload(); }} />
            {(['contain', 'eradicate', 'recover', 'verify', 'harden'] as RemediationPhase[]).map((phase) => {
              const steps = view.steps.filter((s) => s.phase === phase);
              if (!steps.length) return null;
              const p = view.progress.phases.find((x) => x.phase === phase)!;
              return (
                <section key={phase} className="panel checklist-phase" aria-labelledby={`phase-${phase}`} data-testid="checklist-phase" data-phase={phase}>
                  <div className="panel-head">
                    <h2 id={`phase-${phase}`}>
                      <span className={`phase phase-${phase}`}>{phaseWord(phase)}</span>
                    </h2>
                    <span className="small" data-testid="phase-progress">{t('checklist.verifiedOf', { verified: p.verified, total: p.total })}</span>
                  </div>
                  <p className="muted small">{t(`checklist.phaseHint.${phase}`)}</p>
                  <div className="step-list">
                    {steps.map((s) => (
                      <StepCard
                        key={s.id}
                        step={s}
                        run={runs[s.id] ?? null}
                        locked={activeRun !== null}
                        signedIn={signedIn}
                        onRun={onRun}
                        onChanged={() => void reload()}
                      />
                    ))}
                  </div>
                  {phase === 'verify' ? verifyPanel : null}
                </section>
              );
            })}
            {view.steps.some((s) => s.phase === 'verify') ? null : verifyPanel}
          </>
        )
      ) : null}
    </div>
  );
}

function Progress({ view }: { view: ChecklistView }) {
  const { t } = useTranslation();
  const { progress } = view;
  return (
    <section className="panel checklist-progress" aria-labelledby="checklist-progress-heading" data-testid="checklist-progress" data-verified={progress.verified} data-total={progress.total}>
      <div className="panel-head">
        <h2 id="checklist-progress-heading">{t('checklist.progress')}</h2>
        <span data-testid="checklist-progress-text">{t('checklist.verifiedOf', { verified: progress.verified, total: progress.total })}</span>
      </div>
      <ol className="phase-progress">
        {progress.phases.filter((p) => p.total > 0).map((p) => (
          <li key={p.phase} data-phase={p.phase}>
            <a href={`#phase-${p.phase}`} onClick={(e) => { e.preventDefault(); document.getElementById(`phase-${p.phase}`)?.scrollIntoView({ block: 'start' }); }}>
              {phaseWord(p.phase)}
            </a>
            <meter min={0} max={p.total} value={p.verified} aria-label={t('checklist.phaseMeter', { phase: phaseWord(p.phase) })} />
            <span className="small">
              {t('checklist.verifiedOf', { verified: p.verified, total: p.total })}
              {p.settled ? ` · ${t('checklist.settled', { count: p.settled })}` : ''}
              {p.failed ? ` · ${t('checklist.failedCount', { count: p.failed })}` : ''}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
