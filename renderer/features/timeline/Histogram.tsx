// Renderer: events over time above the Timeline's table — stacked bars per hour or day, split by source or result; drag across to zoom, click to jump.
import { useEffect, useRef, useState, type PointerEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TimelineBucketView } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatCount } from '../../lib/format';
import { partColour, partOrder, resultName, sourceName } from './timelineText';

const HEIGHT = 120;
export const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;

interface Props {
  buckets: TimelineBucketView[];
  bucket: 'hour' | 'day';
  split: 'source' | 'result';
  /** The time span drawn, ms since the epoch (end exclusive). */
  domain: { from: number; to: number };
  onZoom: (from: string, to: string) => void;
  onJump: (at: string) => void;
}

export function Histogram({ buckets, bucket, split, domain, onZoom, onJump }: Props) {
  const { t } = useTranslation();
  const { formatTime } = useCase();
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(200, el.clientWidth)));
    observer.observe(el);
    setWidth(Math.max(200, el.clientWidth));
    return () => observer.disconnect();
  }, []);

  const span = Math.max(1, domain.to - domain.from);
  const xOf = (ms: number) => ((ms - domain.from) / span) * width;
  const msOf = (x: number) => domain.from + (Math.min(Math.max(x, 0), width) / width) * span;
  const max = buckets.reduce((m, b) => Math.max(m, b.total), 0);
  const parts = partOrder(split, buckets.flatMap((b) => Object.keys(b.counts)));
  const barWidth = Math.max(1, (BUCKET_MS[bucket] / span) * width - (width / ((span / BUCKET_MS[bucket]) || 1) > 4 ? 1 : 0));
  const peak = buckets.reduce<TimelineBucketView | null>((p, b) => (!p || b.total > p.total ? b : p), null);
  const word = (p: string) => (split === 'source' ? sourceName(p) : resultName(p));

  const localX = (e: PointerEvent<SVGSVGElement>) => e.clientX - e.currentTarget.getBoundingClientRect().left;
  const floorTo = (ms: number) => Math.floor(ms / BUCKET_MS[bucket]) * BUCKET_MS[bucket];
  const finish = (x0: number, x1: number) => {
    if (Math.abs(x1 - x0) < 4) {
      onJump(new Date(floorTo(msOf(x0))).toISOString());
      return;
    }
    const a = floorTo(msOf(Math.min(x0, x1)));
    const b = floorTo(msOf(Math.max(x0, x1))) + BUCKET_MS[bucket];
    onZoom(new Date(a).toISOString(), new Date(b).toISOString());
  };

  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => domain.from + f * span);
  return (
    <div className="histogram" data-testid="timeline-histogram" data-bucket={bucket} data-split={split} data-buckets={buckets.length} data-max={max}>
      <div className="histogram-scale small muted">
        <span>{t('timeline.histogram.max', { count: max })}</span>
        {peak && peak.total > 0 ? (
          <span data-testid="histogram-peak">{t('timeline.histogram.peak', { count: peak.total, time: formatTime(peak.start) })}</span>
        ) : null}
      </div>
      <div ref={box} className="histogram-plot">
        <svg
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          role="img"
          aria-label={t('timeline.histogram.label', { count: buckets.reduce((n, b) => n + b.total, 0), buckets: buckets.length })}
          onPointerDown={(e) => {
            e.currentTarget.setPointerCapture(e.pointerId);
            const x = localX(e);
            setDrag({ x0: x, x1: x });
          }}
          onPointerMove={(e) => {
            if (drag) setDrag({ ...drag, x1: localX(e) });
          }}
          onPointerUp={(e) => {
            if (!drag) return;
            const x1 = localX(e);
            setDrag(null);
            finish(drag.x0, x1);
          }}
          onPointerCancel={() => setDrag(null)}
          data-testid="histogram-plot"
        >
          <line x1={0} x2={width} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="histogram-axis" />
          {buckets.map((b) => {
            const x = xOf(Date.parse(b.start));
            let y = HEIGHT;
            return (
              <g key={b.start} data-testid="histogram-bar" data-start={b.start} data-total={b.total} data-failure={b.counts.failure ?? 0}>
                <title>{`${formatTime(b.start)}: ${t('timeline.events', { count: b.total })}\n${parts.filter((p) => b.counts[p]).map((p) => `${word(p)} ${formatCount(b.counts[p]!)}`).join('\n')}`}</title>
                {parts.map((p, i) => {
                  const n = b.counts[p] ?? 0;
                  if (!n || max === 0) return null;
                  const h = Math.max(1, (n / max) * (HEIGHT - 4));
                  y -= h;
                  return <rect key={p} x={x} y={y} width={barWidth} height={h} fill={partColour(split, p, i)} />;
                })}
              </g>
            );
          })}
          {drag && Math.abs(drag.x1 - drag.x0) >= 4 ? (
            <rect className="histogram-brush" x={Math.min(drag.x0, drag.x1)} y={0} width={Math.abs(drag.x1 - drag.x0)} height={HEIGHT} data-testid="histogram-brush" />
          ) : null}
        </svg>
      </div>
      <div className="histogram-ticks small muted" aria-hidden="true">
        {ticks.map((ms, i) => (
          <span key={i}>{formatTime(new Date(Math.min(ms, domain.to - 1)).toISOString())}</span>
        ))}
      </div>
      <ul className="histogram-legend small" data-testid="histogram-legend">
        {parts.map((p, i) => (
          <li key={p} data-part={p}>
            <span className="legend-swatch" style={{ background: partColour(split, p, i) }} aria-hidden="true" />
            {word(p)}
          </li>
        ))}
      </ul>
    </div>
  );
}
