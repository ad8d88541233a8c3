// Renderer: the open case's checklist at a glance (Start): steps verified overall and per phase, one click from the Checklist.
import { useEffect, useState } from 'react';
import './checklist.css';
import { useTranslation } from 'react-i18next';
import { api, type ChecklistOverview } from '../../lib/api';
import { routeHref } from '../../lib/route';
import { phaseWord } from '../findings/findingText';

export function ChecklistSummary() {
  const { t } = useTranslation();
  const [overview, setOverview] = useState<ChecklistOverview | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    api.remediate.progress().then(
      (o) => live && setOverview(o),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, []);
  if (failed || !overview) return null;
  return (
    <section className="panel checklist-summary" aria-labelledby="checklist-summary-heading" data-testid="start-checklist" data-verified={overview.verified} data-total={overview.total}>
      <div className="panel-head">
        <h2 id="checklist-summary-heading">{t('checklist.summary.heading')}</h2>
        <a href={routeHref('checklist')} data-testid="start-checklist-open">{t('checklist.summary.open')}</a>
      </div>
      {overview.total === 0 ? (
        <p className="muted">{t('checklist.summary.none')}</p>
      ) : (
        <>
          <p data-testid="start-checklist-text">{t('checklist.verifiedOf', { verified: overview.verified, total: overview.total })}</p>
          <ol className="phase-progress">
            {overview.phases.filter((p) => p.total > 0).map((p) => (
              <li key={p.phase} data-phase={p.phase}>
                <span className="small">{phaseWord(p.phase)}</span>
                <meter min={0} max={p.total} value={p.verified} aria-label={t('checklist.phaseMeter', { phase: phaseWord(p.phase) })} />
                <span className="small">{t('checklist.verifiedOf', { verified: p.verified, total: p.total })}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
