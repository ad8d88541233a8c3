// Renderer: the raw record behind one evidence row — pretty JSON, and the evidence page it came from with its full sha256.
import { useEffect, useRef, useState } from 'react';
import { api, toApiError, type ApiError, type EvidenceRecordView, type EvidenceRef } from '../../lib/api';
import { formatBytes } from '../../lib/format';
import { CopyButton } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { Time } from '../../components/Time';

interface Props {
  target: { ref: EvidenceRef; label: string };
  onClose: () => void;
}

export function EvidenceDialog({ target, onClose }: Props) {
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
          <p className="crumb small">Raw evidence · {target.label}</p>
          <h2 id="evidence-dialog-title" data-testid="evidence-title">
            {record ? record.title : 'Reading the record…'}
          </h2>
        </div>
        <button type="button" className="icon-button" onClick={() => dialog.current?.close()} aria-label="Close raw evidence" data-testid="evidence-close">
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      {error ? <ErrorNotice error={error} title="Could not read the raw record" testId="evidence-error" /> : null}
      {record?.mismatch ? (
        <div className="notice notice-error" role="alert" data-testid="evidence-mismatch">
          <p className="notice-title">
            <span aria-hidden="true" className="notice-icon">✕</span> The case's row does not match its evidence
          </p>
          <p>{record.mismatch} Run verify on the case before relying on it.</p>
        </div>
      ) : null}
      {record ? (
        <div className="evidence-dialog-body">
          <dl className="facts facts-tight evidence-facts">
            <dt>Evidence row</dt>
            <dd>
              <Identifier value={String(record.evidence.id)} label="evidence id" testId="evidence-id" />
            </dd>
            <dt>sha256</dt>
            <dd>
              <span className="hash-block">
                <span className="mono break" data-testid="evidence-sha256">
                  {record.evidence.sha256}
                </span>
                <CopyButton value={record.evidence.sha256} label="evidence sha256" compact testId="evidence-sha256-copy" />
              </span>
            </dd>
            <dt>Source</dt>
            <dd data-testid="evidence-source">{record.evidence.source}</dd>
            <dt>URL</dt>
            <dd>
              {record.evidence.url ? (
                <span className="hash-block">
                  <span className="mono break small" data-testid="evidence-url">
                    {record.evidence.url}
                  </span>
                  <CopyButton value={record.evidence.url} label="request URL" compact />
                </span>
              ) : (
                <span className="muted">— (imported, not fetched)</span>
              )}
            </dd>
            <dt>Collected</dt>
            <dd data-testid="evidence-collected">
              <Time iso={record.evidence.collectedAt} />
            </dd>
            <dt>Page size</dt>
            <dd>{formatBytes(record.evidence.bytes)}</dd>
          </dl>
          <p className="field-hint">The record below was taken from this evidence page; the sha256 covers the page exactly as the service returned it.</p>
          <div className="json-head">
            <h3>Record as collected</h3>
            <CopyButton value={record.json} label="record JSON" text="Copy JSON" testId="evidence-json-copy" />
          </div>
          <pre className="json-block" data-testid="evidence-json" tabIndex={0} aria-label="Record JSON">
            {record.json}
          </pre>
        </div>
      ) : !error ? (
        <p className="muted">Reading the record and its evidence page from the case file…</p>
      ) : null}
    </dialog>
  );
}
