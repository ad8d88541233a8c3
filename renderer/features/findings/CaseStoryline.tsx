// Renderer: the open case at a glance on Start — the storyline and the findings by severity, each a link into the Findings screen.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type DetectionReport, type Severity } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatCount } from '../../lib/format';
import { findingsStageHref, navigate, routeHref } from '../../lib/route';
import { ErrorNotice } from '../../components/ErrorNotice';
import { severityLabel } from '../../components/Severity';
import { Time } from '../../components/Time';
import { SEVERITY_ORDER } from './findingText';
import { Storyline } from './Storyline';
import './findings.css';

export function CaseStoryline() {
  const { t } = useTranslation();
  const { openCase, collection } = useCase();
  const [report, setReport] = useState<DetectionReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const caseId = openCase?.caseId ?? null;
  const finishedAt = collection?.finishedAt ?? null;

  useEffect(() => {
    if (!caseId) return;
    let live = true;
    setError(null);
    api.findings.list().then(
      (r) => live && setReport(r),
      (err: unknown) => live && setError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, [caseId, finishedAt]);

  if (!openCase) return null;
  const counts = Object.fromEntries(SEVERITY_ORDER.map((l) => [l, report?.findings.filter((f) => f.severity === l).length ?? 0])) as Record<Severity, number>;
  return (
    <section className="panel case-storyline" aria-labelledby="case-storyline-heading" data-testid="case-storyline">
      <div className="panel-head">
        <h2 id="case-storyline-heading">{t('findings.caseStory.heading', { name: openCase.name })}</h2>
        {report?.runId ? (
          <span className="muted small">
            {t('findings.collectionOfCap')} <Time iso={report.collectedAt} /> · {t('findings.caseStory.collectionLine', { rules: t('findings.rules', { count: report.rules.length }), ms: Math.round(report.elapsedMs) })}
          </span>
        ) : null}
      </div>
      {error ? <ErrorNotice error={error} title={t('findings.runError')} testId="case-storyline-error" /> : null}
      {!report && !error ? <p className="muted">{t('findings.loadingShort')}</p> : null}
      {report && !report.runId ? (
        <p className="muted">
          {t('findings.caseStory.noCollectionBefore')}
          <a href={routeHref('collect')} onClick={() => navigate('collect')}>
            {t('findings.caseStory.collectFirst')}
          </a>
          {t('findings.caseStory.noCollectionAfter')}
        </p>
      ) : null}
      {report?.runId ? (
        <>
          <Storyline stages={report.storyline} selected={null} hrefFor={findingsStageHref} testId="case-storyline-chain" findings={report.findings} />
          <p className="case-findings">
            <a href={routeHref('findings')} data-testid="case-findings-link">
              {t('findings.count', { count: report.findings.length })}
            </a>
            {SEVERITY_ORDER.filter((l) => counts[l] > 0).map((l) => (
              <span key={l} className="severity-count">
                <span className={`severity-text severity-text-${l}`}>{severityLabel(l)}</span> <strong>{formatCount(counts[l])}</strong>
              </span>
            ))}
          </p>
        </>
      ) : null}
    </section>
  );
}
