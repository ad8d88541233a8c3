// Renderer: on Start, for a case opened from disk that someone else made — who made it, with which Peregrine, and what
// the verification run on opening found (verified, or each problem listed).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type ReceivedCaseView } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { navigate } from '../../lib/route';
import { Time } from '../../components/Time';

export function ReceivedCase() {
  const { t } = useTranslation();
  const { openCase, integrity } = useCase();
  const [view, setView] = useState<ReceivedCaseView | null>(null);
  const caseId = openCase?.caseId;

  useEffect(() => {
    let live = true;
    if (!caseId) return;
    api.case.received().then(
      (v) => live && setView(v),
      () => live && setView(null),
    );
    return () => {
      live = false;
    };
  }, [caseId]);

  if (!view || !caseId) return null;
  const v = view.verification;
  return (
    <section className={`panel received received-${v.ok ? 'ok' : 'bad'}`} aria-labelledby="received-heading" data-testid="received-case" data-verified={v.ok ? 'ok' : 'problems'}>
      <h2 id="received-heading">{t('openFile.received.title', { file: view.fileName })}</h2>
      <p data-testid="received-made-by">{t('openFile.received.madeBy', { examiner: view.examiner, version: view.toolVersion })}</p>
      {view.schemaWrittenBy ? <p className="small muted">{t('openFile.received.upgradedBy', { version: view.schemaWrittenBy })}</p> : null}
      <ul className="received-reasons small" data-testid="received-reasons">
        {view.reasons.includes('examiner') ? (
          <li>{view.here.examiner ? t('openFile.received.otherExaminer', { examiner: view.here.examiner }) : t('openFile.received.noExaminer')}</li>
        ) : null}
        {view.reasons.includes('version') ? <li>{t('openFile.received.otherVersion', { version: view.here.toolVersion })}</li> : null}
      </ul>
      {v.ok ? (
        <p className="received-status" data-testid="received-status" role="status">
          <span aria-hidden="true" className="received-icon">✓ </span>
          {t('openFile.received.verified', { evidence: v.evidenceRows, custody: v.custodyEntries })}{' '}
          <span className="muted small">
            (<Time iso={v.checkedAt} />)
          </span>
        </p>
      ) : (
        <div data-testid="received-status" role="status">
          <p className="received-status">
            <span aria-hidden="true" className="received-icon">✕ </span>
            {t('openFile.received.problems', { count: v.problems.length })}
          </p>
          <ul className="received-problems" data-testid="received-problems">
            {v.problems.map((p, i) => (
              <li key={i}>
                <span className="mono small">{p.where}</span>: {p.message}
              </li>
            ))}
          </ul>
          <p className="small">{t('openFile.received.problemsNext')}</p>
        </div>
      )}
      {v.chainHead ? (
        <p className="small muted">
          {t('openFile.received.chainHead')} <span className="mono">{v.chainHead}</span>
        </p>
      ) : null}
      <div className="form-actions">
        <button type="button" className="button button-primary" onClick={() => navigate(integrity && integrity.evidenceRows > 0 ? 'evidence/applications' : 'collect')} data-testid="received-continue">
          {t('openFile.received.continue')}
        </button>
        <p className="field-hint">{t('openFile.received.unchanged')}</p>
      </div>
    </section>
  );
}
