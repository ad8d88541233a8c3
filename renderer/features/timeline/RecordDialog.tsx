// Renderer: one timeline event's raw record — a tree with nested JSON parsed, the evidence page and its sha256, and its pin with a note.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type TimelineRecordView } from '../../lib/api';
import { formatBytes } from '../../lib/format';
import { CopyButton } from '../../components/CopyButton';
import { CopyableText } from '../../components/EvidenceRowFacts';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Time } from '../../components/Time';
import { JsonTree } from './JsonTree';
import { expandNestedJson } from './timelineFilter';
import { sourceName } from './timelineText';

interface Props {
  id: number;
  onClose: () => void;
  /** A pin was added or removed: the table and the pin list read again. */
  onPinsChanged: () => void;
}

export function RecordDialog({ id, onClose, onPinsChanged }: Props) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const [record, setRecord] = useState<TimelineRecordView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [version, setVersion] = useState(0);
  const [showRaw, setShowRaw] = useState(false);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  useEffect(() => {
    let live = true;
    setError(null);
    api.timeline.record(id).then(
      (r) => live && setRecord(r),
      (err: unknown) => live && setError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, [id, version]);

  const tree = useMemo(() => (record ? expandNestedJson(JSON.parse(record.json) as unknown) : null), [record]);
  const row = record?.row;

  return (
    <dialog ref={dialog} className="evidence-dialog timeline-record" aria-labelledby="timeline-record-title" onClose={onClose} data-testid="timeline-record">
      <div className="evidence-dialog-head">
        <div>
          <p className="crumb small">{row ? t('timeline.record.crumb', { source: sourceName(row.source), id: row.recordId }) : t('timeline.record.reading')}</p>
          <h2 id="timeline-record-title" data-testid="timeline-record-title">
            {record ? record.title : t('timeline.record.reading')}
          </h2>
        </div>
        <button type="button" className="icon-button" onClick={() => dialog.current?.close()} aria-label={t('common.close')} data-testid="timeline-record-close">
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      {error ? <ErrorNotice error={error} title={t('timeline.record.readError')} testId="timeline-record-error" /> : null}
      {record?.mismatch ? (
        <div className="notice notice-error" role="alert" data-testid="timeline-record-mismatch">
          <p className="notice-title">
            <span aria-hidden="true" className="notice-icon">✕</span> {t('findings.evidence.mismatch')}
          </p>
          <p>{record.mismatch}</p>
        </div>
      ) : null}
      {record && row ? (
        <div className="evidence-dialog-body">
          <dl className="facts facts-tight evidence-facts">
            <dt>{t('timeline.record.when')}</dt>
            <dd>
              <Time iso={row.at} />
            </dd>
            <dt>{t('timeline.record.evidence')}</dt>
            <dd>
              {record.evidence ? (
                <CopyableText value={record.evidence.sha256} label={t('findings.evidence.shaLabel')} testId="timeline-record-sha256">
                  <span className="muted small">
                    {t('timeline.record.page', { id: record.evidence.id, size: formatBytes(record.evidence.bytes) })} · <Time iso={record.evidence.collectedAt} />
                  </span>
                </CopyableText>
              ) : (
                <span className="muted" data-testid="timeline-record-no-evidence">
                  {row.custodyHash ? t('timeline.record.custodyOnly') : t('timeline.record.noEvidence')}
                </span>
              )}
            </dd>
            {row.custodyHash ? (
              <>
                <dt>{t('timeline.record.custody')}</dt>
                <dd className="mono break small" data-testid="timeline-record-custody">
                  {row.custodySeq} · {row.custodyHash}
                </dd>
              </>
            ) : null}
            {record.evidence?.url ? (
              <>
                <dt>{t('findings.evidence.url')}</dt>
                <dd className="mono break small">{record.evidence.url}</dd>
              </>
            ) : null}
            {row.findings.length ? (
              <>
                <dt>{t('timeline.record.supports')}</dt>
                <dd className="small">
                  {row.findings.map((k) => (
                    <a key={k} className="timeline-finding-key mono" href={`#/findings?finding=${encodeURIComponent(k)}`}>
                      {k}
                    </a>
                  ))}
                </dd>
              </>
            ) : null}
          </dl>
          <PinForm
            record={record}
            onChanged={() => {
              setVersion((v) => v + 1);
              onPinsChanged();
            }}
          />
          <div className="json-head">
            <h3>{t('timeline.record.asRecorded')}</h3>
            <span className="json-head-actions">
              <button type="button" className="link-button" onClick={() => setShowRaw((v) => !v)} aria-pressed={showRaw} data-testid="timeline-record-raw-toggle">
                {showRaw ? t('timeline.record.showTree') : t('timeline.record.showRaw')}
              </button>
              <CopyButton value={record.json} label={t('findings.evidence.jsonLabel')} text={t('findings.evidence.copyJson')} />
            </span>
          </div>
          {showRaw ? (
            <pre className="json-block" data-testid="timeline-record-json" tabIndex={0}>
              {record.json}
            </pre>
          ) : (
            <div className="json-block json-tree-block" tabIndex={0} aria-label={t('timeline.record.treeLabel')}>
              <JsonTree value={tree} testId="timeline-record-tree" />
            </div>
          )}
        </div>
      ) : !error ? (
        <p className="muted">{t('timeline.record.reading')}</p>
      ) : null}
    </dialog>
  );
}

function PinForm({ record, onChanged }: { record: TimelineRecordView; onChanged: () => void }) {
  const { t } = useTranslation();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const { row, pin } = record;

  const submit = async (action: 'pin' | 'unpin') => {
    setBusy(true);
    setError(null);
    try {
      if (action === 'pin') await api.timeline.pin(row.id, note);
      else await api.timeline.unpin(row.source, row.recordId, note);
      setNote('');
      onChanged();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="timeline-pin-form" aria-labelledby="timeline-pin-head" data-testid="timeline-pin-form" data-pinned={pin ? 'true' : 'false'}>
      <h3 id="timeline-pin-head">{pin ? t('timeline.pin.pinnedHead') : t('timeline.pin.head')}</h3>
      {pin ? (
        <p className="small" data-testid="timeline-pin-note">
          <span aria-hidden="true">📌 </span>
          {pin.note} <span className="muted">— {t('timeline.pin.by', { actor: pin.actor, seq: pin.custodySeq })}</span> <Time iso={pin.at} />
        </p>
      ) : (
        <p className="field-hint">{t('timeline.pin.hint')}</p>
      )}
      <form
        className="timeline-pin-row"
        onSubmit={(e) => {
          e.preventDefault();
          void submit(pin ? 'unpin' : 'pin');
        }}
      >
        <input
          id="timeline-pin-note-input"
          type="text"
          value={note}
          maxLength={2000}
          onChange={(e) => setNote(e.target.value)}
          placeholder={pin ? t('timeline.pin.unpinPlaceholder') : t('timeline.pin.placeholder')}
          aria-label={pin ? t('timeline.pin.unpinNote') : t('timeline.pin.note')}
          data-testid="timeline-pin-input"
        />
        <button type="submit" className={pin ? 'button' : 'button button-primary'} disabled={busy || (!pin && note.trim() === '')} data-testid={pin ? 'timeline-unpin' : 'timeline-pin'}>
          {pin ? t('timeline.pin.unpin') : t('timeline.pin.pin')}
        </button>
      </form>
      {error ? <ErrorNotice error={error} title={t('timeline.pin.failed')} testId="timeline-pin-error" /> : null}
    </section>
  );
}
