// Renderer: "Verify the checklist" — every object a step changed read again live (each result a custody entry), then
// the newest collection against the checklist: made after the last change, and no high or critical finding standing.
import { useTranslation } from 'react-i18next';
import type { RemediationRunView } from '../../lib/api';
import { SeverityBadge } from '../../components/Severity';
import { findingHref, routeHref } from '../../lib/route';
import { useRuleText } from '../../i18n/rules';

interface Props {
  run: RemediationRunView | null;
  signedIn: boolean;
  locked: boolean;
  onVerify: () => void;
}

export function VerifyChecklist({ run, signedIn, locked, onVerify }: Props) {
  const { t } = useTranslation();
  const { rule } = useRuleText();
  const running = run?.state === 'running';
  const closing = run?.closing;
  const regressed = run ? run.items.filter((i) => i.outcome === 'failed').length : 0;
  const verified = run ? run.items.filter((i) => i.outcome === 'verified' || i.outcome === 'already-absent').length : 0;
  const ok = run?.state === 'finished' && regressed === 0 && closing?.recollection === 'after-changes' && closing.standing.length === 0;
  return (
    <section className="panel checklist-verify" aria-labelledby="checklist-verify-heading" data-testid="checklist-verify">
      <div className="panel-head">
        <h2 id="checklist-verify-heading">{t('checklist.verify.heading')}</h2>
        <button type="button" className="button" onClick={onVerify} disabled={!signedIn || locked || running} data-testid="checklist-verify-run">
          {t('checklist.verify.run')}
        </button>
      </div>
      <p className="muted small">{t('checklist.verify.hint')}</p>
      {!signedIn ? <p className="muted small">{t('checklist.signInFirst')}</p> : null}
      {running ? (
        <p className="state state-running small" role="status" data-testid="checklist-verify-running">
          <span aria-hidden="true">◐ </span>
          {t('checklist.verify.running')}
        </p>
      ) : null}
      {run && !running ? (
        <div className={`notice ${ok ? 'notice-ok' : 'notice-warn'}`} role="status" data-testid="checklist-verify-result" data-ok={ok ? 'true' : 'false'} data-regressed={regressed} data-recollection={closing?.recollection ?? 'none'} data-standing={closing?.standing.length ?? 0}>
          {run.state !== 'finished' ? <p>{run.message}</p> : null}
          {run.state === 'finished' ? (
            <>
              <p className="notice-title">{run.items.length ? t('checklist.verify.items', { verified, count: run.items.length }) : t('checklist.verify.nothing')}</p>
              {regressed ? <p className="state state-failed">{t('checklist.verify.regressed', { count: regressed })}</p> : null}
              {closing?.recollection === 'after-changes' && closing.standing.length === 0 ? <p data-testid="checklist-verify-closed">{t('checklist.verify.after')}</p> : null}
              {closing?.recollection === 'before-changes' ? (
                <p>
                  {t('checklist.verify.before')} <a href={routeHref('collect')}>{t('checklist.verify.toCollect')}</a>
                </p>
              ) : null}
              {closing?.recollection === 'none' ? <p>{t('checklist.verify.none')}</p> : null}
              {closing?.recollection === 'after-changes' && closing.standing.length ? (
                <>
                  <p>{t('checklist.verify.standing', { count: closing.standing.length })}</p>
                  <ul className="step-findings" data-testid="checklist-verify-standing">
                    {closing.standing.map((f) => (
                      <li key={f.key}>
                        <SeverityBadge level={f.severity} />
                        <a href={findingHref(f.key)}>{rule({ ruleId: f.ruleId, title: f.title }).title}</a> <span className="muted small mono">{f.reason}</span>
                      </li>
                    ))}
                  </ul>
                </>
              ) : null}
            </>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
