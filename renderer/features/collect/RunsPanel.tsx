// Renderer: every collection of this case, newest first — state, when, who, each source's completeness, resume, and what changed since the last clean one.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { i18next } from '../../i18n';
import { api, toApiError, type ApiError, type CollectionRunView, type SourceCompleteness } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatCount, formatDuration, formatTimestamp } from '../../lib/format';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { Time, useZoneLabel } from '../../components/Time';

/** More changes than this start folded. */
const CHANGES_OPEN_MAX = 12;

const RUN_ICON: Record<CollectionRunView['state'], string> = { running: '◐', done: '✓', failed: '✕', cancelled: '■' };

const SOURCE_ICON: Record<SourceCompleteness['state'], string> = { pending: '○', running: '◐', done: '✓', failed: '✕', cancelled: '■' };

const CHANGE_ICON: Record<CollectionRunView['changes'][number]['change'], string> = { appeared: '+', disappeared: '−', modified: '~' };

/** `object:transportRule` → `Transport rule` (entity names as the source calls them; apps and service principals translated). */
export function entityWord(entity: string): string {
  if (entity === 'application' || entity === 'servicePrincipal') return i18next.t(`runs.entity.${entity}`);
  const bare = entity.replace(/^object:/, '');
  const spaced = bare.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export function RunsPanel() {
  const { runsVersion, collection, followRun, resumeCollection } = useCase();
  const [runs, setRuns] = useState<CollectionRunView[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let live = true;
    api.collect.runs().then(
      (r) => {
        if (!live) return;
        setRuns(r);
        setError(null);
      },
      (err: unknown) => live && setError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, [runsVersion]);

  // A run still under way (started before this screen opened) becomes the followed collection.
  const runningId = runs?.find((r) => r.state === 'running')?.runId ?? null;
  useEffect(() => {
    if (runningId && !collection) void followRun(runningId);
  }, [runningId, collection, followRun]);

  const { t } = useTranslation();
  const busy = collection?.state === 'running';
  return (
    <section className="panel" aria-labelledby="runs-heading" data-testid="runs">
      <div className="panel-head">
        <h2 id="runs-heading">{t('runs.heading')}</h2>
        <span className="muted small">{runs ? t('runs.count', { count: runs.length }) : ''}</span>
      </div>
      {error ? <ErrorNotice error={error} title={t('runs.listError')} testId="runs-error" /> : null}
      {runs === null && !error ? <p className="muted">{t('runs.reading')}</p> : null}
      {runs?.length === 0 ? (
        <p className="muted" data-testid="runs-empty">
          {t('runs.empty')}
        </p>
      ) : null}
      {runs && runs.length > 0 ? (
        <ol className="run-list">
          {runs.map((r, i) => (
            <RunItem key={r.runId} run={r} first={i === 0} previousClean={runs.slice(i + 1).find((p) => p.state === 'done') ?? null} busy={busy} onResume={() => void resumeCollection(r.runId)} />
          ))}
        </ol>
      ) : null}
    </section>
  );
}

function runDuration(r: CollectionRunView): string | null {
  if (!r.finishedAt) return null;
  return formatDuration(new Date(r.finishedAt).getTime() - new Date(r.startedAt).getTime());
}

function RunItem({ run, first, previousClean, busy, onResume }: { run: CollectionRunView; first: boolean; previousClean: CollectionRunView | null; busy: boolean; onResume: () => void }) {
  const { t } = useTranslation();
  const records = run.sources.reduce((n, s) => n + s.records, 0);
  const complete = run.sources.filter((s) => s.state === 'done').length;
  const truncated = run.sources.filter((s) => s.truncated).length;
  const failed = run.sources.filter((s) => s.state === 'failed').length;
  const duration = runDuration(run);
  return (
    <li className={`run run-${run.state}`} data-testid="run" data-run-id={run.runId} data-state={run.state} data-resumable={run.resumable ? 'true' : 'false'}>
      <div className="run-head">
        <span className={`state run-state-${run.state}`} data-testid="run-state">
          <span aria-hidden="true">{RUN_ICON[run.state]}</span> {t(`runs.state.${run.state}`)}
        </span>
        <span className="run-when small">
          <Time iso={run.startedAt} /> <span className="muted">→</span> {run.finishedAt ? <Time iso={run.finishedAt} /> : <span className="muted">{t('runs.stillRunning')}</span>}
          {duration ? <span className="muted"> · {duration}</span> : null}
        </span>
        <span className="run-who small">
          {run.account ? <span className="mono" data-testid="run-account">{run.account}</span> : <span className="muted">{t('runs.unknownAccount')}</span>}
        </span>
        <span className="run-head-end">
          <span className="small muted">{t('runs.run')}</span> <Identifier value={run.runId} label={t('runs.runIdLabel')} short testId="run-id" />
          {run.resumable ? (
            <button type="button" className="button button-small" onClick={onResume} disabled={busy} data-testid="run-resume" title={busy ? t('runs.otherRunning') : t('runs.resumeTitle')}>
              {t('runs.resume')}
            </button>
          ) : null}
        </span>
      </div>
      <p className="run-totals small" data-testid="run-totals">
        {t('runs.complete', { complete, count: run.sources.length })} · {t('collect.panel.records', { count: records })}
        <span className="muted"> · {run.environment}</span>
        {truncated ? (
          <>
            {' · '}
            <span className="text-warn">
              <span aria-hidden="true">⚠</span> {t('runs.truncated', { count: truncated })}
            </span>
          </>
        ) : null}
        {failed ? (
          <>
            {' · '}
            <span className="text-bad">
              <span aria-hidden="true">✕</span> {t('runs.failedCount', { count: failed })}
            </span>
          </>
        ) : null}
        {run.error ? <span className={run.state === 'cancelled' ? 'muted' : 'text-bad'}> · {run.error}</span> : null}
      </p>
      <details className="run-part" open={first} data-testid="run-completeness">
        <summary>{t('runs.completeness')}</summary>
        <CompletenessTable sources={run.sources} />
      </details>
      <Changes run={run} previousClean={previousClean} />
    </li>
  );
}

function windowText(s: SourceCompleteness, zone: string): string {
  if (!s.windowFrom && !s.windowTo) return '—';
  return `${formatTimestamp(s.windowFrom, zone, false)} → ${formatTimestamp(s.windowTo, zone, false)}`;
}

function CompletenessTable({ sources }: { sources: SourceCompleteness[] }) {
  const { t } = useTranslation();
  const zone = useZoneLabel();
  return (
    <div className="table-scroll">
      <table className="data-table completeness-table" aria-label={t('runs.completeness')} data-testid="run-sources">
        <thead>
          <tr>
            <th scope="col">{t('runs.colSource')}</th>
            <th scope="col">{t('runs.colState')}</th>
            <th scope="col" className="numeric">{t('runs.colPages')}</th>
            <th scope="col" className="numeric">{t('runs.colRecords')}</th>
            <th scope="col">{t('runs.colWindow', { zone })}</th>
            <th scope="col" className="numeric">{t('runs.colRetries')}</th>
            <th scope="col">{t('runs.colNotes')}</th>
          </tr>
        </thead>
        <tbody>
          {sources.map((s) => (
            <tr key={s.source} data-testid="run-source" data-source={s.source} data-state={s.state} data-truncated={s.truncated ? 'true' : 'false'}>
              <td className="cell-strong nowrap" data-testid="run-source-label">{s.label}</td>
              <td className="nowrap">
                <span className={`state state-${s.state}`} data-testid="run-source-state">
                  <span aria-hidden="true">{SOURCE_ICON[s.state]}</span> {t(`runs.source.${s.state}`)}
                </span>
              </td>
              <td className="numeric" data-testid="run-source-pages">{formatCount(s.pages)}</td>
              <td className="numeric" data-testid="run-source-records">{formatCount(s.records)}</td>
              <td className="nowrap small timestamp" data-testid="run-source-window">{windowText(s, zone)}</td>
              <td className="numeric" data-testid="run-source-retries">{s.retries ? formatCount(s.retries) : <span className="muted">0</span>}</td>
              <td className="small" data-testid="run-source-notes">
                {s.truncated ? (
                  <span className="text-warn warn-word" title={t('runs.truncatedTitle')}>
                    <span aria-hidden="true">⚠</span> {t('runs.truncatedWord')}
                  </span>
                ) : null}
                {s.error ? <span className={s.state === 'cancelled' ? 'muted' : 'text-bad'}> {s.error}</span> : null}
                {s.notices.map((n, i) => (
                  <span key={i} className={`source-notice ${n.kind === 'error' ? 'text-bad' : 'text-warn'}`} data-testid="run-source-notice" data-kind={n.kind}>
                    {' '}
                    <span aria-hidden="true">{n.kind === 'error' ? '✕' : '⚠'}</span> {t(`runs.notice.${n.kind}`)}: {n.text}
                  </span>
                ))}
                {!s.truncated && !s.error && s.notices.length === 0 ? <span className="muted">—</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Changes({ run, previousClean }: { run: CollectionRunView; previousClean: CollectionRunView | null }) {
  const { t } = useTranslation();
  const { formatTime } = useCase();
  const changes = run.changes;
  if (changes.length === 0) {
    const why =
      run.state !== 'done'
        ? t('runs.compareLater')
        : previousClean
          ? t('runs.noChanges', { time: formatTime(previousClean.startedAt) })
          : t('runs.firstClean');
    return (
      <p className="run-nochanges small muted" data-testid="run-changes-none">
        {why}
      </p>
    );
  }
  const counts = { appeared: 0, disappeared: 0, modified: 0 };
  const groups = new Map<string, typeof changes>();
  for (const c of changes) {
    counts[c.change] += 1;
    const list = groups.get(c.entity) ?? [];
    list.push(c);
    groups.set(c.entity, list);
  }
  const order = { appeared: 0, modified: 1, disappeared: 2 };
  return (
    <details className="run-part" open={changes.length <= CHANGES_OPEN_MAX} data-testid="run-changes">
      <summary>
        {t('runs.changesSince', {
          since: previousClean ? t('runs.sinceCollection', { time: formatTime(previousClean.startedAt) }) : t('runs.sincePrevious'),
          counts: (['appeared', 'modified', 'disappeared'] as const)
            .filter((k) => counts[k] > 0)
            .map((k) => t(`runs.changeCount.${k}`, { count: counts[k] }))
            .join(' · '),
        })}
      </summary>
      {[...groups.entries()]
        .sort(([a], [b]) => entityWord(a).localeCompare(entityWord(b)))
        .map(([entity, list]) => (
          <div key={entity} className="change-group" data-testid="run-change-group" data-entity={entity}>
            <h4 className="change-entity">
              {entityWord(entity)} <span className="muted">({formatCount(list.length)})</span>
            </h4>
            <ul className="change-list">
              {[...list]
                .sort((a, b) => order[a.change] - order[b.change] || (a.displayName ?? a.objectId).localeCompare(b.displayName ?? b.objectId))
                .map((c) => (
                  <li key={`${c.change}:${c.objectId}`} className={`change change-${c.change}`} data-testid="run-change" data-entity={c.entity} data-change={c.change} data-object-id={c.objectId}>
                    <span className="change-word">
                      <span aria-hidden="true" className="change-icon">{CHANGE_ICON[c.change]}</span> {t(`runs.change.${c.change}`)}
                    </span>
                    <span className="change-name">{c.displayName ?? <span className="muted">{t('runs.noName')}</span>}</span>
                    <Identifier value={c.objectId} label={t('runs.objectId')} short />
                    {c.fields && c.fields.length ? <span className="change-fields mono small">{c.fields.join(', ')}</span> : null}
                  </li>
                ))}
            </ul>
          </div>
        ))}
    </details>
  );
}
