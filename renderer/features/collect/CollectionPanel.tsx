// Renderer: the followed collection — each source's state, pages and records, with rate, time left, cancel and resume.
import { useState, type ReactNode } from 'react';
import { useCase } from '../../lib/caseState';
import { formatCount, formatDuration, plural } from '../../lib/format';
import { navigate, routeHref } from '../../lib/route';
import type { CollectionStatus, PreflightView, SourceProgress } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';

const STATE_WORD: Record<SourceProgress['state'], { icon: string; word: string }> = {
  pending: { icon: '○', word: 'Waiting' },
  running: { icon: '◐', word: 'Collecting' },
  done: { icon: '✓', word: 'Done' },
  failed: { icon: '✕', word: 'Failed' },
};

const RUN_WORD: Record<CollectionStatus['state'], string> = {
  running: 'Collecting',
  done: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

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
    if (e === undefined || e === null) return { seconds: null, why: 'time left unknown: no earlier clean collection to measure against' };
    // Past last time's size the comparison says nothing: say so rather than promise a moment that has gone.
    if (s.records >= e && e > 0) return { seconds: null, why: `time left unknown: ${s.label} is already larger than last time` };
    remaining += Math.max(0, e - s.records);
  }
  if (rate === null || rate <= 0) return { seconds: null, why: 'time left: measuring the rate' };
  let seconds = remaining / rate;
  const floor = basis?.estimatedMinimumSeconds ?? null;
  if (floor !== null) seconds = Math.max(seconds, floor - ms / 1000);
  return { seconds: Math.max(1, Math.round(seconds)), why: 'from the last clean collection of this case' };
}

export function CollectionPanel({ basis }: { basis: PreflightView | null }) {
  const { collection, collectionError, formatTime, cancelCollection, resumeCollection } = useCase();
  const running = collection?.state === 'running';
  const [confirming, setConfirming] = useState(false);
  const [cancelling, setCancelling] = useState<string | null>(null);
  const cancelAsked = running && cancelling === collection?.runId;

  const total = collection?.sources.length ?? 0;
  const finished = collection?.sources.filter((s) => s.state === 'done' || s.state === 'failed').length ?? 0;
  const failed = collection?.sources.filter((s) => s.state === 'failed') ?? [];
  const records = collection?.sources.reduce((n, s) => n + s.records, 0) ?? 0;
  const pages = collection?.sources.reduce((n, s) => n + s.pages, 0) ?? 0;
  const ms = collection ? elapsedMs(collection) : 0;
  const rate = ms > 1000 ? records / (ms / 1000) : null;
  const current = collection?.sources.filter((s) => s.state === 'running') ?? [];
  const left = collection ? estimateLeft(collection, basis, ms, rate) : null;
  const expected = new Map((basis?.rows ?? []).map((r) => [r.source, r.estimatedRecords]));

  const confirmCancel = () => {
    setConfirming(false);
    setCancelling(collection?.runId ?? null);
    void cancelCollection();
  };

  return (
    <section className="panel" aria-labelledby="collect-heading" data-testid="collection" data-state={collection?.state ?? 'idle'} data-run-id={collection?.runId}>
      <div className="panel-head">
        <h2 id="collect-heading">Collection</h2>
        <div className="panel-head-actions">
          {running && !confirming ? (
            <button type="button" className="button" onClick={() => setConfirming(true)} disabled={cancelAsked} data-testid="collect-cancel">
              {cancelAsked ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : null}
        </div>
      </div>
      {running && confirming ? (
        <div className="notice confirm" role="alertdialog" aria-labelledby="cancel-q" aria-describedby="cancel-a" data-testid="collect-cancel-confirm">
          <p className="notice-title" id="cancel-q">
            Cancel this collection?
          </p>
          <p id="cancel-a">
            Everything collected so far stays in the case file with its hashes. Resume later continues each source from the last page it stored; nothing is read twice.
          </p>
          <div className="form-actions">
            <button type="button" className="button button-danger" onClick={confirmCancel} data-testid="collect-cancel-yes">
              Cancel collection
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)} autoFocus data-testid="collect-cancel-no">
              Keep collecting
            </button>
          </div>
        </div>
      ) : null}
      {collectionError ? <ErrorNotice error={collectionError} title={collection ? 'Lost track of the collection' : 'Collection did not start'} testId="collect-error" /> : null}
      {!collection ? (
        <p className="muted" data-testid="collection-idle">
          Nothing collected in this session yet. Collection reads applications, service principals, permissions and audit data; it never changes the tenant.
        </p>
      ) : (
        <>
          <div className="run-summary">
            <progress className="run-progress" value={finished} max={Math.max(total, 1)} aria-label="Sources complete" data-testid="collection-progress" />
            <p className="run-line" role="status" data-testid="collection-status">
              <strong data-testid="collection-state">{RUN_WORD[collection.state]}</strong> · {formatCount(finished)} of {plural(total, 'source')} finished
              {failed.length > 0 ? ` (${formatCount(failed.length)} failed)` : ''} ·{' '}
              <span data-testid="collection-records">{plural(records, 'record')}</span> · {plural(pages, 'page')} · {formatDuration(ms)} elapsed
              {rate !== null ? (
                <>
                  {' · '}
                  <span data-testid="collection-rate">{formatCount(Math.round(rate))} records/s</span>
                </>
              ) : null}
              {left && running ? (
                <>
                  {' · '}
                  <span data-testid="collection-eta" className={left.seconds === null ? 'muted' : undefined} title={left.why}>
                    {left.seconds === null ? left.why : `about ${formatDuration(left.seconds * 1000)} left`}
                  </span>
                </>
              ) : null}
            </p>
            {running && current.length > 0 ? (
              <p className="run-now small muted" data-testid="collection-now">
                Now reading: {current.map((s) => `${s.label} (page ${formatCount(s.pages + 1)})`).join(', ')}
              </p>
            ) : null}
          </div>
          <div className="table-scroll">
            <table className="data-table source-table" aria-label="Sources" data-testid="collection-sources">
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">State</th>
                  <th scope="col" className="col-bar">Progress</th>
                  <th scope="col" className="numeric">Pages</th>
                  <th scope="col" className="numeric">Records</th>
                  <th scope="col">Detail</th>
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
                          <span aria-hidden="true">{STATE_WORD[s.state].icon}</span> {STATE_WORD[s.state].word}
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
          <Outcome collection={collection} failedLabels={failed.map((f) => f.label)} records={records} ms={ms} formatTime={formatTime} onResume={() => void resumeCollection(collection.runId)} />
        </>
      )}
    </section>
  );
}

function detailFor(s: SourceProgress, expected: number | null): string {
  switch (s.state) {
    case 'pending':
      return expected !== null ? `Queued · about ${plural(expected, 'record')} expected` : 'Queued';
    case 'running':
      if (!expected) return `Page ${formatCount(s.pages + 1)} in flight`;
      return s.records < expected
        ? `Page ${formatCount(s.pages + 1)} in flight · ${formatCount(s.records)} of about ${formatCount(expected)}`
        : `Page ${formatCount(s.pages + 1)} in flight · more than last time's ${formatCount(expected)}`;
    case 'done':
      return s.records === 0 ? 'Nothing to collect' : 'Complete';
    case 'failed':
      return '';
  }
}

/**
 * Sources do not announce their total in advance: a running bar fills against the last clean collection's size when
 * there is one (never past 99 %), and otherwise moves without claiming a percentage; the counts beside it are the numbers.
 */
function SourceBar({ s, expected }: { s: SourceProgress; expected: number | null }) {
  const label = `${s.label}: ${STATE_WORD[s.state].word}, ${plural(s.pages, 'page')}, ${plural(s.records, 'record')}`;
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
      aria-valuetext={`${STATE_WORD[s.state].word}: ${plural(s.records, 'record')}${expected ? ` of about ${formatCount(expected)}` : ''}`}
    >
      <span className="source-bar-fill" style={fraction !== null ? { width: `${Math.round(fraction * 100)}%` } : undefined} />
    </span>
  );
}

function Outcome({
  collection,
  failedLabels,
  records,
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
  if (collection.state === 'running') return null;
  let body: ReactNode;
  if (collection.state === 'done' && failedLabels.length === 0) {
    body = (
      <div className="notice notice-ok outcome" data-testid="collection-outcome" data-outcome="done">
        <p className="notice-title">
          <span aria-hidden="true" className="notice-icon">✓</span>
          Collection finished {formatTime(collection.finishedAt)}: {plural(records, 'record')} from {plural(collection.sources.length, 'source')} in {formatDuration(ms)}.
        </p>
        <p>
          Next: <a href={routeHref('evidence/applications')} onClick={() => navigate('evidence/applications')} data-testid="go-applications">review the applications</a>.
        </p>
      </div>
    );
  } else {
    const what = collection.state === 'cancelled' ? 'Collection was cancelled' : failedLabels.length > 0 && collection.state === 'done' ? 'Collection finished with gaps' : 'Collection failed';
    body = (
      <div className={`notice ${collection.state === 'cancelled' ? 'notice-warn' : 'notice-error'} outcome`} role="alert" data-testid="collection-outcome" data-outcome={collection.state}>
        <p className="notice-title">
          <span aria-hidden="true" className="notice-icon">{collection.state === 'cancelled' ? '■' : '✕'}</span>
          {what}
          {failedLabels.length > 0 ? `: ${failedLabels.join(', ')} did not complete.` : '.'}
        </p>
        {collection.state === 'cancelled' ? (
          <p>
            What was kept: every page stored before the cancel ({plural(records, 'record')}) is in the case file with its hash. What to do: resume to continue each source
            from the last page it stored, or start a new collection.
          </p>
        ) : (
          <p>
            What was kept: every page collected before the problem ({plural(records, 'record')}) is in the case file with its hash. What to do: read the
            detail below, fix the cause (permission, network, throttling), then resume or collect again.
          </p>
        )}
        {collection.state !== 'done' ? (
          <div className="form-actions">
            <button type="button" className="button" onClick={onResume} data-testid="collect-resume">
              Resume this collection
            </button>
          </div>
        ) : null}
        {collection.error ? (
          <details className="notice-detail">
            <summary>Technical detail</summary>
            <pre className="mono">{collection.error}</pre>
          </details>
        ) : null}
      </div>
    );
  }
  return body;
}
