// Renderer: what every evidence side panel shows of one object — the findings that name it (links), the evidence row it
// came from (hash, source, collection time), its history across the case's collections, and its raw record as a tree.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type EvidenceObjectView, type FindingLink, type ObjectKindId } from '../../lib/api';
import { findingHref } from '../../lib/route';
import { EvidenceRowFacts } from '../../components/EvidenceRowFacts';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JsonTree } from '../../components/JsonTree';
import { SeverityText } from '../../components/Severity';
import { Time } from '../../components/Time';
import { ruleTexts } from '../findings/findingText';
import { eventWord } from './kindText';

/** Reads one object (its newest clean collection unless a run is named); reloads when the object or run changes. */
export function useObjectView(kind: ObjectKindId, objectId: string, runId?: string): { view: EvidenceObjectView | null; error: ApiError | null } {
  const [view, setView] = useState<EvidenceObjectView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    let live = true;
    setView(null);
    setError(null);
    api.evidence.object(kind, objectId, runId).then(
      (v) => live && setView(v),
      (err: unknown) => live && setError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, [kind, objectId, runId]);
  return { view, error };
}

export function FindingLinks({ findings }: { findings: FindingLink[] }) {
  const { t } = useTranslation();
  return (
    <section aria-label={t('evidence.panel.findings')} className="panel-section">
      <h3>{t('evidence.panel.findings')}</h3>
      {findings.length === 0 ? (
        <p className="muted">{t('evidence.panel.noFindings')}</p>
      ) : (
        <ul className="plain-list finding-links" data-testid="object-findings">
          {findings.map((f) => (
            <li key={f.key}>
              <SeverityText level={f.severity} />{' '}
              <a href={findingHref(f.key)} data-testid="object-finding-link">
                {ruleTexts(f).title}
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function EvidenceFacts({ view }: { view: EvidenceObjectView }) {
  const { t } = useTranslation();
  return (
    <section aria-label={t('evidence.panel.evidence')} className="panel-section">
      <h3>{t('evidence.panel.evidence')}</h3>
      <dl className="facts">
        <dt>{t('evidence.panel.collected')}</dt>
        <dd data-testid="object-collected">
          <Time iso={view.evidence.collectedAt} />
        </dd>
        <EvidenceRowFacts id={view.evidence.id} sha256={view.evidence.sha256} testIds={{ id: 'object-evidence-id', sha256: 'object-sha256' }} />
        <dt>{t('evidence.panel.source')}</dt>
        <dd className="mono small">{view.evidence.source}</dd>
      </dl>
    </section>
  );
}

function History({ view, onShowRun }: { view: EvidenceObjectView; onShowRun?: (runId: string) => void }) {
  const { t } = useTranslation();
  return (
    <section aria-label={t('evidence.panel.history')} className="panel-section">
      <h3>{t('evidence.panel.history')}</h3>
      <p className="field-hint">{t('evidence.panel.historyHint')}</p>
      <ol className="object-history" data-testid="object-history">
        {view.history.map((h) => (
          <li key={h.runId} className={`history-entry history-${h.event}`} data-event={h.event} data-testid="object-history-entry">
            <span className="history-event">{eventWord(h.event)}</span>
            <Time iso={h.collectedAt} />
            {h.objectId && h.objectId !== view.objectId ? (
              <span className="muted small history-id">
                {t('evidence.panel.otherId', { id: h.objectId })}
              </span>
            ) : null}
            {h.fields ? <span className="small history-fields">{t('evidence.panel.fieldsChanged', { fields: h.fields.join(', ') })}</span> : null}
            {h.runId === view.runId && h.objectId === view.objectId ? (
              <span className="badge badge-quiet">{t('evidence.panel.thisCollection')}</span>
            ) : h.objectId === view.objectId && onShowRun ? (
              <button type="button" className="link-button small" onClick={() => onShowRun(h.runId)} data-testid="object-history-show">
                {t('evidence.panel.open')}
              </button>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

/**
 * The panel's sections below an object's own fields; `withFindings` and `withEvidence` false where the panel shows its
 * flags or its evidence row itself.
 */
export function ObjectRecordSections({ kind, objectId, withFindings = true, withEvidence = true, onName }: { kind: ObjectKindId; objectId: string; withFindings?: boolean; withEvidence?: boolean; onName?: (name: string | null) => void }) {
  const { t } = useTranslation();
  const [runId, setRunId] = useState<string | undefined>(undefined);
  useEffect(() => setRunId(undefined), [kind, objectId]);
  const { view, error } = useObjectView(kind, objectId, runId);
  const name = view?.name ?? null;
  useEffect(() => onName?.(name), [name, onName]);
  if (error) return <ErrorNotice error={error} title={t('evidence.panel.readError')} testId="object-error" />;
  if (!view) return <p className="muted">{t('evidence.panel.reading')}</p>;
  return (
    <>
      {withFindings ? <FindingLinks findings={view.findings} /> : null}
      {withEvidence ? <EvidenceFacts view={view} /> : null}
      <History view={view} onShowRun={setRunId} />
      <section aria-label={t('evidence.panel.raw')} className="panel-section">
        <h3>{t('evidence.panel.raw')}</h3>
        <p className="field-hint">{t('evidence.panel.rawHint')}</p>
        <JsonTree json={view.raw} label={t('evidence.panel.rawLabel')} testId="object-raw" />
      </section>
    </>
  );
}
