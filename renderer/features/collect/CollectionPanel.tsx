// Renderer: starts a collection and shows each source's state, pages and records as the run progresses.
import { type ReactNode } from 'react';
import { useCase } from '../../lib/caseState';
import { formatCount, formatDuration, plural } from '../../lib/format';
import { navigate, routeHref } from '../../lib/route';
import type { CollectionStatus, SourceProgress } from '../../lib/api';
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

export function CollectionPanel({ signedIn }: { signedIn: boolean | null }) {
  const { collection, collectionError, startCollection, formatTime } = useCase();
  const running = collection?.state === 'running';

  const total = collection?.sources.length ?? 0;
  const finished = collection?.sources.filter((s) => s.state === 'done' || s.state === 'failed').length ?? 0;
  const failed = collection?.sources.filter((s) => s.state === 'failed') ?? [];
  const records = collection?.sources.reduce((n, s) => n + s.records, 0) ?? 0;
  const pages = collection?.sources.reduce((n, s) => n + s.pages, 0) ?? 0;
  const ms = collection ? elapsedMs(collection) : 0;
  const rate = ms > 1000 ? Math.round(records / (ms / 1000)) : null;
  const current = collection?.sources.find((s) => s.state === 'running');

  return (
    <section className="panel" aria-labelledby="collect-heading" data-testid="collection" data-state={collection?.state ?? 'idle'} data-run-id={collection?.runId}>
      <div className="panel-head">
        <h2 id="collect-heading">Collection</h2>
        <div className="panel-head-actions">
          {signedIn === false && !running ? <span className="muted small" id="collect-needs-sign-in">Sign in first</span> : null}
          <button
            type="button"
            className="button button-primary"
            onClick={() => void startCollection()}
            disabled={running || signedIn === false}
            aria-describedby={signedIn === false ? 'collect-needs-sign-in' : undefined}
            data-testid="collect-start"
          >
            {running ? 'Collecting…' : collection ? 'Collect again' : 'Collect'}
          </button>
        </div>
      </div>
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
              {rate !== null ? ` · ${formatCount(rate)} records/s` : ''}
              {running && current ? ` · now: ${current.label}` : ''}
            </p>
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
                {collection.sources.map((s) => (
                  <tr key={s.source} data-testid="source-row" data-source={s.source} data-state={s.state} className={`source-${s.state}`}>
                    <td className="cell-strong">{s.label}</td>
                    <td>
                      <span className={`state state-${s.state}`} data-testid="source-state">
                        <span aria-hidden="true">{STATE_WORD[s.state].icon}</span> {STATE_WORD[s.state].word}
                      </span>
                    </td>
                    <td className="col-bar">
                      <SourceBar s={s} />
                    </td>
                    <td className="numeric" data-testid="source-pages">{formatCount(s.pages)}</td>
                    <td className="numeric" data-testid="source-records">{formatCount(s.records)}</td>
                    <td className="small">{s.error ? <span className="text-bad">{s.error}</span> : <span className="muted">{detailFor(s)}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Outcome collection={collection} failedLabels={failed.map((f) => f.label)} records={records} ms={ms} formatTime={formatTime} />
        </>
      )}
    </section>
  );
}

function detailFor(s: SourceProgress): string {
  switch (s.state) {
    case 'pending':
      return 'Queued';
    case 'running':
      return `Page ${formatCount(s.pages + 1)} in flight`;
    case 'done':
      return s.records === 0 ? 'Nothing to collect' : 'Complete';
    case 'failed':
      return '';
  }
}

/**
 * Sources do not announce their total in advance, so a running bar moves without claiming a percentage;
 * the page and record counts beside it are the numbers.
 */
function SourceBar({ s }: { s: SourceProgress }) {
  const label = `${s.label}: ${STATE_WORD[s.state].word}, ${plural(s.pages, 'page')}, ${plural(s.records, 'record')}`;
  return (
    <span
      className={`source-bar bar-${s.state}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={1}
      aria-valuenow={s.state === 'running' ? undefined : s.state === 'pending' ? 0 : 1}
      aria-valuetext={`${STATE_WORD[s.state].word}: ${plural(s.records, 'record')}`}
    >
      <span className="source-bar-fill" />
    </span>
  );
}

function Outcome({ collection, failedLabels, records, ms, formatTime }: { collection: CollectionStatus; failedLabels: string[]; records: number; ms: number; formatTime: (iso: string | null) => string }) {
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
      <div className="notice notice-error outcome" role="alert" data-testid="collection-outcome" data-outcome={collection.state}>
        <p className="notice-title">
          <span aria-hidden="true" className="notice-icon">✕</span>
          {what}
          {failedLabels.length > 0 ? `: ${failedLabels.join(', ')} did not complete.` : '.'}
        </p>
        <p>
          What was kept: every page collected before the problem ({plural(records, 'record')}) is in the case file with its hash. What to do: read the
          detail below, fix the cause (permission, network, throttling), then collect again.
        </p>
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
