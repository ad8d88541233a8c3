// Renderer: the events the examiner pinned, with their notes and custody entries; each opens its record or takes the table to it.
import { useTranslation } from 'react-i18next';
import type { TimelinePinView } from '../../lib/api';
import { Time } from '../../components/Time';
import { sourceName } from './timelineText';

interface Props {
  pins: TimelinePinView[] | null;
  onOpen: (id: number) => void;
  onShow: (pin: TimelinePinView) => void;
}

export function PinsPanel({ pins, onOpen, onShow }: Props) {
  const { t } = useTranslation();
  return (
    <section className="panel timeline-pins" aria-labelledby="timeline-pins-head" data-testid="timeline-pins">
      <div className="panel-head">
        <h2 id="timeline-pins-head">{t('timeline.pins.head', { count: pins?.length ?? 0 })}</h2>
      </div>
      <p className="field-hint">{t('timeline.pins.hint')}</p>
      {pins === null ? <p className="muted">{t('timeline.pins.loading')}</p> : null}
      {pins?.length === 0 ? <p className="muted" data-testid="timeline-pins-none">{t('timeline.pins.none')}</p> : null}
      {pins?.length ? (
        <ol className="pin-list">
          {pins.map((p) => (
            <li key={p.seq} className="pin" data-testid="timeline-pin-item" data-source={p.source} data-record={p.recordId}>
              <div className="pin-top">
                <Time iso={p.eventAt} />
                <span className="muted small">{sourceName(p.source)}</span>
                {p.timelineId !== null ? (
                  <>
                    <button type="button" className="link-button" onClick={() => onOpen(p.timelineId!)} data-testid="timeline-pin-open">
                      {t('timeline.pins.open')}
                    </button>
                    <button type="button" className="link-button" onClick={() => onShow(p)} data-testid="timeline-pin-show">
                      {t('timeline.pins.show')}
                    </button>
                  </>
                ) : (
                  <span className="muted small">{t('timeline.pins.notIndexed')}</span>
                )}
              </div>
              <p className="pin-note" data-testid="timeline-pin-item-note">{p.note}</p>
              {p.message ? <p className="pin-message small muted">{p.message}</p> : null}
              <p className="pin-meta small muted">
                {t('timeline.pins.meta', { actor: p.actor, seq: p.custodySeq })} <Time iso={p.at} />
              </p>
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}
