// Renderer: the Timeline's virtualized table — only the rows in view are in the DOM; pages are read by key around the viewport, in both directions, and far ones dropped.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type TimelineFilter, type TimelineRowView } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatTimestamp } from '../../lib/format';
import { ErrorNotice } from '../../components/ErrorNotice';
import { resultName, sourceName } from './timelineText';
import { utcToTyped } from './timelineFilter';

export const ROW_HEIGHT = 30;
/** Rows read per request, and how many the window holds at most (the rest are read again when scrolled back to). */
const PAGE = 200;
const MAX_ROWS = 1200;
/** Read the next page when the viewport comes this many rows from the window's edge. */
const AHEAD = 80;
const OVERSCAN = 12;

/** Where the window starts: the first or last rows, or at a time (and, when known, one row of it). */
export type Anchor = { kind: 'first' } | { kind: 'last' } | { kind: 'at'; at: string; id?: number };

interface Props {
  filter: TimelineFilter;
  anchor: Anchor;
  /** Changes when the rows must be read again in place (a pin changed). */
  version: number;
  onOpen: (id: number) => void;
}

interface Window {
  rows: TimelineRowView[];
  hasBefore: boolean;
  hasAfter: boolean;
}

const cursorOf = (r: TimelineRowView) => ({ at: r.at, id: r.id });

export function TimelineTable({ filter, anchor, version, onOpen }: Props) {
  const { t } = useTranslation();
  const { displayZone } = useCase();
  const scroller = useRef<HTMLDivElement>(null);
  const win = useRef<Window>({ rows: [], hasBefore: false, hasAfter: false });
  const loading = useRef(false);
  const generation = useRef(0);
  /** Pixels to move the scroll position by once the rows added or dropped above the viewport are rendered. */
  const shift = useRef<number | null>(null);
  const [, rerender] = useState(0);
  const [view, setView] = useState({ top: 0, height: 600 });
  const [state, setState] = useState<'loading' | 'ready' | 'more'>('loading');
  const [error, setError] = useState<ApiError | null>(null);

  const filterKey = JSON.stringify(filter);
  const anchorKey = JSON.stringify(anchor);

  // A new filter or anchor: a new window, read around the anchor.
  useEffect(() => {
    const gen = ++generation.current;
    const f = JSON.parse(filterKey) as TimelineFilter;
    const a = JSON.parse(anchorKey) as Anchor;
    setState('loading');
    setError(null);
    loading.current = true;
    (async () => {
      let next: Window;
      let scrollTo = 0;
      if (a.kind === 'first') {
        const p = await api.timeline.page({ filter: f, limit: PAGE });
        next = { rows: p.rows, hasBefore: false, hasAfter: p.next !== null };
      } else if (a.kind === 'last') {
        const p = await api.timeline.page({ filter: f, limit: PAGE, last: true });
        next = { rows: p.rows, hasBefore: p.previous !== null, hasAfter: false };
        scrollTo = Number.MAX_SAFE_INTEGER;
      } else {
        // Rows strictly before (at, id) above, and from there on below: the anchor row is the first one shown.
        const cursor = { at: a.at, id: a.id !== undefined ? a.id - 1 : 0 };
        const [before, after] = await Promise.all([
          api.timeline.page({ filter: f, limit: PAGE / 2, before: cursor }),
          api.timeline.page({ filter: f, limit: PAGE, after: cursor }),
        ]);
        next = { rows: [...before.rows, ...after.rows], hasBefore: before.previous !== null, hasAfter: after.next !== null };
        scrollTo = before.rows.length * ROW_HEIGHT;
      }
      if (gen !== generation.current) return;
      win.current = next;
      shift.current = null;
      loading.current = false;
      setState('ready');
      rerender((n) => n + 1);
      requestAnimationFrame(() => {
        const el = scroller.current;
        if (el && gen === generation.current) {
          el.scrollTop = scrollTo;
          setView({ top: el.scrollTop, height: el.clientHeight });
        }
      });
    })().catch((err: unknown) => {
      if (gen !== generation.current) return;
      loading.current = false;
      setError(toApiError(err));
      setState('ready');
    });
  }, [filterKey, anchorKey]);

  // The same rows read again in place (a pin added or removed): the pin marks change, the scroll position stays.
  useEffect(() => {
    if (version === 0 || win.current.rows.length === 0) return;
    const gen = generation.current;
    const first = win.current.rows[0]!;
    const count = win.current.rows.length;
    const f = JSON.parse(filterKey) as TimelineFilter;
    void api.timeline.page({ filter: f, limit: Math.min(count, 1000), after: { at: first.at, id: first.id - 1 } }).then((p) => {
      if (gen !== generation.current) return;
      const byId = new Map(p.rows.map((r) => [r.id, r]));
      win.current = { ...win.current, rows: win.current.rows.map((r) => byId.get(r.id) ?? r) };
      rerender((n) => n + 1);
    }, () => undefined);
  }, [version, filterKey]);

  /** Reads the next page on the side the viewport is near, one request at a time; trims the far side. */
  const fill = useCallback(() => {
    const el = scroller.current;
    if (!el || loading.current) return;
    const { rows, hasBefore, hasAfter } = win.current;
    if (rows.length === 0) return;
    const firstInView = Math.floor(el.scrollTop / ROW_HEIGHT);
    const lastInView = Math.ceil((el.scrollTop + el.clientHeight) / ROW_HEIGHT);
    const gen = generation.current;
    const f = JSON.parse(filterKey) as TimelineFilter;
    const done = () => {
      loading.current = false;
      setState('ready');
      rerender((n) => n + 1);
    };
    if (lastInView > rows.length - AHEAD && hasAfter) {
      loading.current = true;
      setState('more');
      api.timeline.page({ filter: f, limit: PAGE, after: cursorOf(rows.at(-1)!) }).then((p) => {
        if (gen !== generation.current) return;
        let all = [...win.current.rows, ...p.rows];
        let dropped = 0;
        if (all.length > MAX_ROWS) {
          dropped = all.length - MAX_ROWS;
          all = all.slice(dropped);
        }
        win.current = { rows: all, hasBefore: win.current.hasBefore || dropped > 0, hasAfter: p.next !== null };
        if (dropped) shift.current = (shift.current ?? 0) - dropped * ROW_HEIGHT;
        done();
      }, (err: unknown) => {
        setError(toApiError(err));
        done();
      });
    } else if (firstInView < AHEAD && hasBefore) {
      loading.current = true;
      setState('more');
      api.timeline.page({ filter: f, limit: PAGE, before: cursorOf(rows[0]!) }).then((p) => {
        if (gen !== generation.current) return;
        let all = [...p.rows, ...win.current.rows];
        let dropped = 0;
        if (all.length > MAX_ROWS) {
          dropped = all.length - MAX_ROWS;
          all = all.slice(0, MAX_ROWS);
        }
        win.current = { rows: all, hasBefore: p.previous !== null, hasAfter: win.current.hasAfter || dropped > 0 };
        shift.current = (shift.current ?? 0) + p.rows.length * ROW_HEIGHT;
        done();
      }, (err: unknown) => {
        setError(toApiError(err));
        done();
      });
    }
  }, [filterKey]);

  // Rows added or dropped above the viewport move it by their height, so what is in view stays in view.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && shift.current !== null) {
      el.scrollTop += shift.current;
      shift.current = null;
      setView({ top: el.scrollTop, height: el.clientHeight });
    }
  });

  // After each window change, check whether the viewport already needs the next page.
  useEffect(() => {
    fill();
  });

  const rows = win.current.rows;
  const first = Math.max(0, Math.floor(view.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((view.top + view.height) / ROW_HEIGHT) + OVERSCAN);
  const firstInView = rows[Math.min(rows.length - 1, Math.floor(view.top / ROW_HEIGHT))];
  // Said in the table's own footer: the screen around it (the histogram's thousands of bars) is not drawn again as it scrolls.
  const firstAt = firstInView?.at ?? null;

  const onKey = (e: KeyboardEvent<HTMLDivElement>, r: TimelineRowView) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(r.id);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const sibling = (e.key === 'ArrowDown' ? e.currentTarget.nextElementSibling : e.currentTarget.previousElementSibling) as HTMLElement | null;
      if (sibling) sibling.focus();
      else scroller.current?.scrollBy({ top: e.key === 'ArrowDown' ? ROW_HEIGHT : -ROW_HEIGHT });
    }
  };

  return (
    <div className="timeline-table" role="table" aria-label={t('timeline.table.label')} aria-rowcount={-1} data-testid="timeline-table" data-state={state} data-rows={rows.length}>
      <div role="rowgroup" className="timeline-head">
        <div role="row" className="timeline-row timeline-row-head">
          <span role="columnheader" className="tl-time">{t('timeline.table.time', { zone: displayZone })}</span>
          <span role="columnheader" className="tl-source">{t('timeline.table.source')}</span>
          <span role="columnheader" className="tl-operation">{t('timeline.table.operation')}</span>
          <span role="columnheader" className="tl-actor">{t('timeline.table.actor')}</span>
          <span role="columnheader" className="tl-ip">{t('timeline.table.ip')}</span>
          <span role="columnheader" className="tl-target">{t('timeline.table.target')}</span>
          <span role="columnheader" className="tl-result">{t('timeline.table.result')}</span>
          <span role="columnheader" className="tl-flags">
            <span className="visually-hidden">{t('timeline.table.flags')}</span>
          </span>
        </div>
      </div>
      {error ? <ErrorNotice error={error} title={t('timeline.table.readError')} testId="timeline-error" /> : null}
      <div
        ref={scroller}
        className="timeline-scroller"
        role="rowgroup"
        data-testid="timeline-scroller"
        onScroll={(e) => {
          const el = e.currentTarget;
          setView({ top: el.scrollTop, height: el.clientHeight });
          fill();
        }}
      >
        <div className="timeline-canvas" style={{ height: rows.length * ROW_HEIGHT }}>
          {rows.slice(first, last).map((r, i) => (
            <div
              key={r.id}
              role="row"
              tabIndex={0}
              className={`timeline-row${r.findings.length ? ' supports' : ''}${r.pinned ? ' pinned' : ''}`}
              style={{ transform: `translateY(${(first + i) * ROW_HEIGHT}px)` }}
              onClick={() => onOpen(r.id)}
              onKeyDown={(e) => onKey(e, r)}
              title={r.message}
              data-testid="timeline-row"
              data-id={r.id}
              data-at={r.at}
              data-source={r.source}
              data-ip={r.ip ?? ''}
              data-findings={r.findings.length}
            >
              <span role="cell" className="tl-time mono">{formatTimestamp(r.at, displayZone, false)}</span>
              <span role="cell" className={`tl-source tl-source-${r.source}`}>{sourceName(r.source)}</span>
              <span role="cell" className="tl-operation">{r.operation}</span>
              <span role="cell" className="tl-actor">{r.actor ?? r.actorAppId ?? '—'}</span>
              <span role="cell" className="tl-ip mono">{r.ip ?? '—'}</span>
              <span role="cell" className="tl-target">{r.targetName ?? r.targetId ?? '—'}</span>
              <span role="cell" className={`tl-result tl-result-${r.result}`}>{resultName(r.result)}</span>
              <span role="cell" className="tl-flags">
                {r.pinned ? <span title={t('timeline.table.pinned')} aria-label={t('timeline.table.pinned')}>📌</span> : null}
                {r.findings.length ? (
                  <span className="tl-support" title={t('timeline.table.supports', { count: r.findings.length })} aria-label={t('timeline.table.supports', { count: r.findings.length })}>
                    ◆{r.findings.length > 1 ? r.findings.length : ''}
                  </span>
                ) : null}
              </span>
            </div>
          ))}
        </div>
        {state === 'loading' ? <p className="timeline-status muted">{t('timeline.table.loading')}</p> : null}
        {state === 'ready' && rows.length === 0 && !error ? (
          <p className="timeline-status muted" data-testid="timeline-empty">
            {t('timeline.table.empty')}
          </p>
        ) : null}
      </div>
      <p className="timeline-foot small muted">
        {firstAt ? (
          <span data-testid="timeline-view-at">{t('timeline.table.viewAt', { time: utcToTyped(firstAt, displayZone), zone: displayZone })} · </span>
        ) : null}
        <span aria-live="polite">
          {state === 'more' ? t('timeline.table.more') : win.current.hasBefore || win.current.hasAfter ? t('timeline.table.window', { count: rows.length }) : t('timeline.table.all', { count: rows.length })}
        </span>
      </p>
    </div>
  );
}
