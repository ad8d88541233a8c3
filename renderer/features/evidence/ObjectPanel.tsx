// Renderer: the side panel for one collected object of any kind — its row's fields, then its record, history and findings.
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { EvidenceKindView, EvidenceObjectRow } from '../../lib/api';
import { Identifier } from '../../components/Identifier';
import { useZoneLabel } from '../../components/Time';
import { cellText, columnHeader } from './kindText';
import { ObjectRecordSections } from './ObjectRecord';

/**
 * `row` null: the object is not in the collection the table lists (removed since, opened from a link); the panel then
 * shows it as the newest collection that had it, without the table's fields.
 */
export function ObjectPanel({ kind, objectId, row, onClose }: { kind: EvidenceKindView; objectId: string; row: EvidenceObjectRow | null; onClose: () => void }) {
  const { t } = useTranslation();
  const heading = useRef<HTMLHeadingElement>(null);
  const zone = useZoneLabel();
  // A row not in the table is named once its record is read.
  const [recordName, setRecordName] = useState<string | null>(null);
  const title = row?.name ?? recordName ?? objectId;

  useEffect(() => {
    heading.current?.focus();
  }, [objectId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <aside className="side-panel object-panel" aria-labelledby="object-panel-title" data-testid="object-panel" data-object-id={objectId}>
      <div className="side-panel-head">
        <h2 id="object-panel-title" ref={heading} tabIndex={-1} data-testid="object-panel-title">
          {title}
        </h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label={t('evidence.panel.close')} data-testid="object-panel-close">
          <span aria-hidden="true">✕</span>
        </button>
      </div>
      {row ? (
        <section aria-label={t('evidence.panel.fields')} className="panel-section">
          <h3>{t('evidence.panel.fields')}</h3>
          <dl className="facts">
            <dt>{t('evidence.panel.objectId')}</dt>
            <dd>
              <Identifier value={row.objectId} label={t('evidence.panel.objectIdLabel')} testId="object-panel-id" />
            </dd>
            {kind.columns.map((c) => {
              const text = cellText(c.type, row.values[c.id] ?? null, zone);
              return (
                <div key={c.id} className="facts-pair">
                  <dt>{c.type === 'time' ? t('evidence.colZone', { header: columnHeader(c.id), zone }) : columnHeader(c.id)}</dt>
                  <dd className={c.type === 'id' ? 'mono small break' : 'break'}>{text === '' ? <span className="muted">—</span> : text}</dd>
                </div>
              );
            })}
          </dl>
        </section>
      ) : (
        <p className="notice" data-testid="object-not-listed">
          {t('evidence.panel.notListed')}
        </p>
      )}
      <ObjectRecordSections kind={kind.kind} objectId={objectId} onName={setRecordName} />
    </aside>
  );
}
