// Renderer: the raw record behind one evidence row — a JSON tree, and the evidence page it came from with its full sha256.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type EvidenceRecordView, type EvidenceRef } from '../../lib/api';
import { formatBytes } from '../../lib/format';
import { CopyableText, EvidenceRowFacts } from '../../components/EvidenceRowFacts';
import { ErrorNotice } from '../../components/ErrorNotice';
import { JsonTree } from '../../components/JsonTree';
import { Time } from '../../components/Time';

interface Props {
  target: { ref: EvidenceRef; label: string };
  onClose: () => void;
}

export function EvidenceDialog({ target, onClose }: Props) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const [record, setRecord] = useState<EvidenceRecordView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const { ref } = target;
  const refKey = JSON.stringify(ref);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  useEffect(() => {
    let live = true;
    setRecord(null);
    setError(null);
    api.findings.evidence(JSON.parse(refKey) as EvidenceRef).then(
      (r) => live && setRecord(r),
      (err: unknown) => live && setError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, [refKey]);

  return (
    // Escape closes a modal <dialog> by itself; `onClose` keeps React's state in step.
    <dialog ref={dialog} className="evidence-dialog" aria-labelledby="evidence-dialog-title" onClose={onClose} data-testid="evidence-dialog">
      <div className="evidence-dialog-head">
        <div>
          <p className="crumb small">{t('findings.evidence.crumb', { label: target.label })}</p>
          <h2 id="evidence-dialog-title" data-testid="evidence-title">
            {record ? record.title : t('findings.evidence.reading')}
          </h2>
        </div>
        <button type="button" className="icon-button" onClick={() => dialog.current?.close()} aria-label={t('findings.evidence.close')} data-testid="evidence-close">
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      {error ? <ErrorNotice error={error} title={t('findings.evidence.readError')} testId="evidence-error" /> : null}
      {record?.mismatch ? (
        <div className="notice notice-error" role="alert" data-testid="evidence-mismatch">
          <p className="notice-title">
            <span aria-hidden="true" className="notice-icon">✕</span> {t('findings.evidence.mismatch')}
          </p>
          <p>
            {record.mismatch} {t('findings.evidence.runVerify')}
          </p>
        </div>
      ) : null}
      {record ? (
        <div className="evidence-dialog-body">
          <dl className="facts facts-tight evidence-facts">
            <EvidenceRowFacts id={record.evidence.id} sha256={record.evidence.sha256} testIds={{ id: 'evidence-id', sha256: 'evidence-sha256', copy: 'evidence-sha256-copy' }} />
            <dt>{t('findings.evidence.source')}</dt>
            <dd data-testid="evidence-source">{record.evidence.source}</dd>
            <dt>{t('findings.evidence.url')}</dt>
            <dd>
              {record.evidence.url ? (
                <CopyableText value={record.evidence.url} label={t('findings.evidence.urlLabel')} testId="evidence-url" small />
              ) : (
                <span className="muted">{t('findings.evidence.imported')}</span>
              )}
            </dd>
            <dt>{t('findings.evidence.collected')}</dt>
            <dd data-testid="evidence-collected">
              <Time iso={record.evidence.collectedAt} />
            </dd>
            <dt>{t('findings.evidence.pageSize')}</dt>
            <dd>{formatBytes(record.evidence.bytes)}</dd>
          </dl>
          <p className="field-hint">{t('findings.evidence.hint')}</p>
          <div className="json-head">
            <h3>{t('findings.evidence.asCollected')}</h3>
          </div>
          {/* A tree: JSON held in strings (the Unified Audit Log's AuditData) is parsed and shown as a tree of its own. */}
          <JsonTree json={record.json} label={t('findings.evidence.jsonLabel')} testId="evidence-json" />
        </div>
      ) : !error ? (
        <p className="muted">{t('findings.evidence.readingPage')}</p>
      ) : null}
    </dialog>
  );
}
