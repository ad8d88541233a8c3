// Renderer: the followed collection — each source's state, pages and records, with rate, time left, cancel and resume.
import { useState, type ReactNode } from 'react';
import { useCase } from '../../lib/caseState';
import { useTranslation } from 'react-i18next';
import { i18next } from '../../i18n';
import { formatCount, formatDuration } from '../../lib/format';
import { navigate, routeHref } from '../../lib/route';
import type { CollectionStatus, PreflightView, SourceProgress } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { overallProgress } from './overallProgress';

const STATE_ICON: Record<SourceProgress['state'], string> = { pending: '○', running: '◐', done: '✓', failed: '✕' };

function stateWord(state: SourceProgress['state']): string {
  return i18next.t(`collect.state.${state}`);
}

function records(n: number): string {
  return i18next.t('collect.panel.records', { count: n });
}

function elapsedMs(c: CollectionStatus): number {
  const end = c.finishedAt ? new Date(c.finishedAt).getTime() : Date.now();
  return Math.max(0, end - new Date(c.startedAt).getTime());
}

/** Time left, from the records still expected (last clean collection's sizes) at the rate so far, never below the throttling floor. */
export function estimateLeft(c: CollectionStatus, basis: PreflightView | null, ms: number, rate: number | null): { seconds: number | null; why: string } {
  if (c.state !== 'running') return { seconds: null, why: '' };
  const expected = new Map((basis?.rows ?? []).map((r) => [r.source, r.estimatedRecords]));
  let remaining = 0;
  for (const s of c.sources) {
    if (s.state === 'done' || s.state === 'failed') continue;
    const e = expected.get(s.source);
    if (e === undefined || e === null) return { seconds: null, why: i18next.t('collect.eta.noBasis') };
    // Past last time's size the comparison says nothing: say so rather than promise a moment that has gone.
    if (s.records >= e && e > 0) return { seconds: null, why: i18next.t('collect.eta.larger', { source: s.label }) };
    remaining += Math.max(0, e - s.records);
  }
  if (rate === null || rate <= 0) return { seconds: null, why: i18next.t('collect.eta.measuring') };
  let seconds = remaining / rate;
  const floor = basis?.estimatedMinimumSeconds ?? null;
  if (floor !== null) seconds = Math.max(seconds, floor - ms / 1000);
  return { seconds: Math.max(1, Math.round(seconds)), why: i18next.t('collect.eta.basis') };
}

export function CollectionPanel({ basis }: { basis: PreflightView | null }) {
  const { t } = useTranslation();
  const { collection, collectionError, formatTime, cancelCollection, resumeCollection } = useCase();
  const running = collection?.state === 'running';
  const [confirming, setConfirming] = useState(false);
  const [cancelling, setCancelling] = useState<string | null>(null);
  const cancelAsked = running && cancelling === collection?.runId;

  const total = collection?.sources.length ?? 0;
  const finished = collection?.sources.filter((s) => s.state === 'done' || s.state === 'failed').length ?? 0;
  const failed = collection?.sources.filter((s) => s.state === 'failed') ?? [];
  const recordCount = collection?.sources.reduce((n, s) => n + s.records, 0) ?? 0;
  const pages = collection?.sources.reduce((n, s) => n + s.pages, 0) ?? 0;
  const ms = collection ? elapsedMs(collection) : 0;
  const rate = ms > 1000 ? recordCount / (ms / 1000) : null;
  const current = collection?.sources.filter((s) => s.state === 'running') ?? [];
  const left = collection ? estimateLeft(collection, basis, ms, rate) : null;
  const expected = new Map((basis?.rows ?? []).map((r) => [r.source, r.estimatedRecords]));
  const overall = collection ? overallProgress(collection, expected) : null;

  const confirmCancel = () => {
    setConfirming(false);
    setCancelling(collection?.runId ?? null);
    void cancelCollection();
  };

  return (
    <section className="panel" aria-labelledby="collect-heading" data-testid="collection" data-state={collection?.state ?? 'idle'} data-run-id={collection?.runId}>
      <div className="panel-head">
        <h2 id="collect-heading">{t('collect.panel.heading')}</h2>
        <div className="panel-head-actions">
          {running && !confirming ? (
            <button type="button" className="button" onClick={() => setConfirming(true)} disabled={cancelAsked} data-testid="collect-cancel">
              {cancelAsked ? t('collect.panel.cancelling') : t('collect.panel.cancel')}
            </button>
          ) : null}
        </div>
      </div>
      {running && confirming ? (
        <div className="notice confirm" role="alertdialog" aria-labelledby="cancel-q" aria-describedby="cancel-a" data-testid="collect-cancel-confirm">
          <p className="notice-title" id="cancel-q">
            {t('collect.panel.cancelQ')}
          </p>
          <p id="cancel-a">
            {t('collect.panel.cancelA')}
          </p>
          <div className="form-actions">
            <button type="button" className="button button-danger" onClick={confirmCancel} data-testid="collect-cancel-yes">
              {t('collect.panel.cancelYes')}
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)} autoFocus data-testid="collect-cancel-no">
              {t('collect.panel.cancelNo')}
            </button>
          </div>
        </div>
      ) : null}
      {collectionError ? <ErrorNotice error={collectionError} title={collection ? t('collect.panel.lostTrack') : t('collect.panel.didNotStart')} testId="collect-error" /> : null}
      {!collection ? (
        <p className="muted" data-testid="collection-idle">
          {t('collect.panel.idle')}
        </p>
      ) : (
        <>
          <div className="run-summary">
            {overall ? (
              <>
                <progress
                  className="run-progress"
                  value={overall.value}
                  max={overall.max}
                  aria-label={overall.counts === 'records' ? t('collect.panel.progressRecordsLabel') : t('collect.panel.sourcesComplete')}
                  aria-describedby="collection-progress-counts"
                  data-testid="collection-progress"
                  data-counts={overall.counts}
                />
                {/* Before the sources are listed there is nothing to count yet. */}
                {total > 0 ? (
                <p className="run-counts small muted" id="collection-progress-counts" data-testid="collection-progress-counts">
                  {overall.counts === 'records'
                    ? t('collect.panel.progressRecords', { records: overall.value, expected: overall.max })
                    : running
                      ? t('collect.panel.progressSourcesUnknown', { finished, count: total })
                      : t('collect.panel.progressSources', { finished, count: total })}
                </p>
                ) : null}
              </>
            ) : null}
            <p className="run-line" role="status" data-testid="collection-status">
              <strong data-testid="collection-state">{t(`collect.run.${collection.state}`)}</strong> · {t('collect.panel.finished', { finished, count: total })}
              {failed.length > 0 ? t('collect.panel.failedCount', { count: failed.length }) : ''} ·{' '}
              <span data-testid="collection-records">{records(recordCount)}</span> · {t('collect.panel.pages', { count: pages })} · {t('collect.panel.elapsed', { duration: formatDuration(ms) })}
              {rate !== null ? (
                <>
                  {' · '}
                  <span data-testid="collection-rate">{t('collect.panel.rate', { rate: Math.round(rate) })}</span>
                </>
              ) : null}
              {left && running ? (
                <>
                  {' · '}
                  <span data-testid="collection-eta" className={left.seconds === null ? 'muted' : undefined} title={left.why}>
                    {left.seconds === null ? left.why : t('collect.eta.about', { duration: formatDuration(left.seconds * 1000) })}
                  </span>
                </>
              ) : null}
            </p>
            {running && current.length > 0 ? (
              <p className="run-now small muted" data-testid="collection-now">
                {t('collect.panel.nowReading', { sources: current.map((s) => t('collect.panel.nowSource', { source: s.label, page: s.pages + 1 })).join(', ') })}
              </p>
            ) : null}
          </div>
          <div className="table-scroll">
            <table className="data-table source-table" aria-label={t('collect.panel.sources')} data-testid="collection-sources">
              <thead>
                <tr>
                  <th scope="col">{t('collect.panel.colSource')}</th>
                  <th scope="col">{t('collect.panel.colState')}</th>
                  <th scope="col" className="col-bar">{t('collect.panel.colProgress')}</th>
                  <th scope="col" className="numeric">{t('collect.panel.colPages')}</th>
                  <th scope="col" className="numeric">{t('collect.panel.colRecords')}</th>
                  <th scope="col">{t('collect.panel.colDetail')}</th>
                </tr>
              </thead>
              <tbody>
                {collection.sources.map((s) => {
                  const e = expected.get(s.source) ?? null;
                  return (
                    <tr key={s.source} data-testid="source-row" data-source={s.source} data-state={s.state} className={`source-${s.state}`}>
                      <td className="cell-strong">{s.label}</td>
                      <td>
                        <span className={`state state-${s.state}`} data-testid="source-state">
                          <span aria-hidden="true">{STATE_ICON[s.state]}</span> {stateWord(s.state)}
                        </span>
                      </td>
                      <td className="col-bar">
                        <SourceBar s={s} expected={e} />
                      </td>
                      <td className="numeric" data-testid="source-pages">{formatCount(s.pages)}</td>
                      <td className="numeric" data-testid="source-records">{formatCount(s.records)}</td>
                      <td className="small">{s.error ? <span className="text-bad">{s.error}</span> : <span className="muted">{detailFor(s, e)}</span>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Outcome collection={collection} failedLabels={failed.map((f) => f.label)} records={recordCount} ms={ms} formatTime={formatTime} onResume={() => void resumeCollection(collection.runId)} />
        </>
      )}
    </section>
  );
}

function detailFor(s: SourceProgress, expected: number | null): string {
  switch (s.state) {
    case 'pending':
      return expected !== null ? i18next.t('collect.panel.queuedExpected', { count: expected }) : i18next.t('collect.panel.queued');
    case 'running':
      if (!expected) return i18next.t('collect.panel.inFlight', { page: s.pages + 1 });
      return s.records < expected
        ? i18next.t('collect.panel.inFlightOf', { page: s.pages + 1, records: s.records, expected })
        : i18next.t('collect.panel.inFlightMore', { page: s.pages + 1, expected });
    case 'done':
      return s.records === 0 ? i18next.t('collect.panel.nothing') : i18next.t('collect.panel.complete');
    case 'failed':
      return '';
  }
}

/**
 * Sources do not announce their total in advance: a running bar fills against the last clean collection's size when
 * there is one (never past 99 %), and otherwise moves without claiming a percentage; the counts beside it are the numbers.
 */
function SourceBar({ s, expected }: { s: SourceProgress; expected: number | null }) {
  const label = i18next.t('collect.panel.barLabel', { source: s.label, state: stateWord(s.state), pages: i18next.t('collect.panel.pages', { count: s.pages }), records: records(s.records) });
  // Past last time's size the bar falls back to the sweep: it does not know the total any more.
  const fraction = s.state === 'running' && expected && s.records < expected ? Math.min(0.99, s.records / expected) : null;
  return (
    <span
      className={`source-bar bar-${s.state}${fraction !== null ? ' bar-known' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={1}
      aria-valuenow={fraction ?? (s.state === 'running' ? undefined : s.state === 'pending' ? 0 : 1)}
      aria-valuetext={expected ? i18next.t('collect.panel.barValueOf', { state: stateWord(s.state), records: records(s.records), expected }) : i18next.t('collect.panel.barValue', { state: stateWord(s.state), records: records(s.records) })}
    >
      <span className="source-bar-fill" style={fraction !== null ? { width: `${Math.round(fraction * 100)}%` } : undefined} />
    </span>
  );
}

function Outcome({
  collection,
  failedLabels,
  records: recordCount,
  ms,
  formatTime,
  onResume,
}: {
  collection: CollectionStatus;
  failedLabels: string[];
  records: number;
  ms: number;
  formatTime: (iso: string | null) => string;
  onResume: () => void;
}) {
  const { t } = useTranslation();
  if (collection.state === 'running') return null;
  let body: ReactNode;
  if (collection.state === 'done' && failedLabels.length === 0) {
    body = (
      <div className="notice notice-ok outcome" data-testid="collection-outcome" data-outcome="done">
        <p className="notice-title">
          <span aria-hidden="true" className="notice-icon">✓</span>
          {t('collect.panel.finishedAt', { time: formatTime(collection.finishedAt), records: records(recordCount), sources: t('collect.panel.sourcesCount', { count: collection.sources.length }), duration: formatDuration(ms) })}
        </p>
        <p>
          {t('collect.panel.next')}
          <a href={routeHref('findings')} onClick={() => navigate('findings')} data-testid="go-findings">
            {t('collect.panel.reviewFindings')}
          </a>
          .
        </p>
      </div>
    );
  } else {
    const what = collection.state === 'cancelled' ? t('collect.panel.cancelled') : failedLabels.length > 0 && collection.state === 'done' ? t('collect.panel.gaps') : t('collect.panel.failed');
    body = (
      <div className={`notice ${collection.state === 'cancelled' ? 'notice-warn' : 'notice-error'} outcome`} role="alert" data-testid="collection-outcome" data-outcome={collection.state}>
        <p className="notice-title">
          <span aria-hidden="true" className="notice-icon">{collection.state === 'cancelled' ? '■' : '✕'}</span>
          {what}
          {failedLabels.length > 0 ? t('collect.panel.notCompleted', { sources: failedLabels.join(', ') }) : '.'}
        </p>
        {collection.state === 'cancelled' ? (
          <p>{t('collect.panel.keptCancel', { records: records(recordCount) })}</p>
        ) : (
          <p>{t('collect.panel.keptProblem', { records: records(recordCount) })}</p>
        )}
        {collection.state !== 'done' ? (
          <div className="form-actions">
            <button type="button" className="button" onClick={onResume} data-testid="collect-resume">
              {t('collect.panel.resume')}
            </button>
          </div>
        ) : null}
        {collection.error ? (
          <details className="notice-detail">
            <summary>{t('common.technicalDetail')}</summary>
            <pre className="mono">{collection.error}</pre>
          </details>
        ) : null}
      </div>
    );
  }
  return body;
}
