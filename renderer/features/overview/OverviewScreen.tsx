// Renderer: the case's landing screen for 2 a.m. — the next thing to do, what is still live and what was removed,
// completeness per source, custody with the last verification, the storyline and the checklist's progress.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type CaseOverview, type ChecklistOverview, type CollectionRunView, type OverviewObject, type SourceCompleteness } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { objectHref, routeHref, type Route } from '../../lib/route';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { SeverityBadge, severityRank } from '../../components/Severity';
import { Time } from '../../components/Time';
import { CaseStoryline } from '../findings/CaseStoryline';
import { ChecklistSummary } from '../checklist/ChecklistSummary';
import { ruleTexts } from '../findings/findingText';
import { kindTitle } from '../evidence/kindText';
import { nextStep } from './nextStep';
import type { ObjectKindId } from '../../../preload/evidenceKinds';
import './overview.css';

function ObjectsTable({ objects, state }: { objects: OverviewObject[]; state: 'live' | 'removed' }) {
  const { t } = useTranslation();
  const columns: Column<OverviewObject>[] = [
    {
      id: 'findings',
      header: t('overview.col.findings'),
      text: (o) => o.findings.map((f) => ruleTexts(f).title).join('; '),
      sortValue: (o) => severityRank(o.findings[0]?.severity),
      className: 'col-flags',
      render: (o) => (
        <span className="flag-summary" title={o.findings.map((f) => ruleTexts(f).title).join('\n')}>
          <SeverityBadge level={o.findings[0]!.severity} />
          <span className="small overview-rule">{ruleTexts(o.findings[0]!).title}</span>
        </span>
      ),
    },
    {
      id: 'object',
      header: t('overview.col.object'),
      text: (o) => o.name ?? o.id,
      className: 'col-text',
      render: (o) => (
        <a href={objectHref(o.kind, o.id)} data-testid="overview-object-link">
          {o.name ?? o.id}
        </a>
      ),
    },
    { id: 'kind', header: t('overview.col.kind'), text: (o) => kindTitle(o.kind as ObjectKindId), className: 'nowrap' },
    {
      id: 'seen',
      header: t('overview.col.seen'),
      text: (o) => o.lastSeenAt ?? '',
      className: 'col-time',
      render: (o) => <Time iso={o.lastSeenAt} />,
    },
  ];
  return (
    <DataTable
      label={t(`overview.${state}.title`)}
      columns={state === 'live' ? columns.filter((c) => c.id !== 'seen') : columns}
      rows={objects}
      rowKey={(o) => `${o.kind}|${o.id}`}
      defaultSort={{ column: 'findings', dir: 'desc' }}
      testId={`overview-${state}`}
      rowTestId={`overview-${state}-row`}
      rowData={(o) => ({ 'data-kind': o.kind, 'data-object-id': o.id })}
      empty={t(`overview.${state}.none`)}
      limit={25}
    />
  );
}

function Completeness({ run }: { run: CollectionRunView | null }) {
  const { t } = useTranslation();
  if (!run) return <p className="muted">{t('overview.completeness.none')}</p>;
  const columns: Column<SourceCompleteness>[] = [
    { id: 'label', header: t('runs.colSource'), text: (s) => s.label, className: 'col-text' },
    {
      id: 'state',
      header: t('runs.colState'),
      text: (s) => t(`overview.completeness.state.${s.state}`),
      className: 'nowrap',
      render: (s) => <span className={s.state === 'done' && !s.truncated ? undefined : 'text-bad'} data-state={s.state}>{t(`overview.completeness.state.${s.state}`)}{s.truncated ? ` · ${t('overview.completeness.truncated')}` : ''}</span>,
    },
    { id: 'records', header: t('runs.colRecords'), text: (s) => t('overview.completeness.records', { count: s.records }), sortValue: (s) => s.records, numeric: true },
    {
      id: 'notices',
      header: t('runs.colNotes'),
      text: (s) => [s.error ?? '', ...s.notices.map((n) => n.text)].filter(Boolean).join(' | '),
      className: 'col-text',
      render: (s) => (s.error || s.notices.length ? <span className="small" title={[s.error ?? '', ...s.notices.map((n) => n.text)].filter(Boolean).join('\n')}>{s.error ?? t('overview.completeness.notices', { count: s.notices.length })}</span> : <span className="muted">—</span>),
    },
  ];
  return <DataTable label={t('overview.completeness.title')} columns={columns} rows={run.sources} rowKey={(s) => s.source} defaultSort={{ column: 'label', dir: 'asc' }} testId="overview-sources" rowTestId="overview-source-row" rowData={(s) => ({ 'data-source': s.source, 'data-state': s.state })} />;
}

export function OverviewScreen() {
  const { t } = useTranslation();
  const { integrity, collection, runsVersion } = useCase();
  const finishedAt = collection?.finishedAt ?? null;
  const [overview, setOverview] = useState<CaseOverview | null>(null);
  const [runs, setRuns] = useState<CollectionRunView[] | null>(null);
  const [checklist, setChecklist] = useState<ChecklistOverview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let live = true;
    setError(null);
    api.evidence.overview().then((o) => live && setOverview(o), (err: unknown) => live && setError(toApiError(err)));
    api.collect.runs().then((r) => live && setRuns(r), (err: unknown) => live && setError(toApiError(err)));
    // No checklist before a collection: the next step then says to collect.
    api.remediate.progress().then((c) => live && setChecklist(c), () => live && setChecklist(null));
    return () => {
      live = false;
    };
  }, [finishedAt, runsVersion]);

  const newest = runs?.[0] ?? null;
  const shown = runs?.find((r) => r.runId === overview?.runId) ?? newest;
  const next = overview && runs ? nextStep({ overview, newest, checklist, integrityOk: integrity ? integrity.ok : null }) : null;
  const live = overview?.objects.filter((o) => o.state === 'live') ?? [];
  const removed = overview?.objects.filter((o) => o.state === 'removed') ?? [];

  return (
    <div className="screen screen-wide overview" data-testid="overview">
      <div className="screen-head">
        <h1>
          <span className="crumb">{t('overview.crumb')}</span> {t('overview.title')}
        </h1>
        <p className="screen-lede">{t('overview.lede')}</p>
      </div>
      {error ? <ErrorNotice error={error} title={t('overview.readError')} testId="overview-error" /> : null}
      {!overview && !error ? <p className="muted">{t('overview.reading')}</p> : null}
      {next ? (
        <section className="panel overview-next" aria-labelledby="overview-next-heading" data-testid="overview-next" data-next={next.kind}>
          <h2 id="overview-next-heading">{t('overview.next.title')}</h2>
          <p>{next.text}</p>
          <a className="button button-primary" href={routeHref(next.route as Route)} data-testid="overview-next-go">
            {next.go}
          </a>
        </section>
      ) : null}
      {overview ? (
        <div className="overview-grid">
          <section className="panel overview-wide" aria-labelledby="overview-live-heading" data-testid="overview-live-panel">
            <div className="panel-head">
              <h2 id="overview-live-heading">
                {t('overview.live.title')} <span className={live.length ? 'text-bad' : 'muted'} data-testid="overview-live-count">{live.length}</span>
              </h2>
            </div>
            <p className="field-hint">{t('overview.live.hint')}</p>
            <ObjectsTable objects={live} state="live" />
          </section>
          <section className="panel" aria-labelledby="overview-removed-heading" data-testid="overview-removed-panel">
            <div className="panel-head">
              <h2 id="overview-removed-heading">
                {t('overview.removed.title')} <span className="muted" data-testid="overview-removed-count">{removed.length}</span>
              </h2>
            </div>
            <p className="field-hint">{t('overview.removed.hint')}</p>
            <ObjectsTable objects={removed} state="removed" />
          </section>
          <section className="panel" aria-labelledby="overview-custody-heading" data-testid="overview-custody">
            <div className="panel-head">
              <h2 id="overview-custody-heading">{t('overview.custody.title')}</h2>
              <a href={routeHref('custody')}>{t('overview.custody.open')}</a>
            </div>
            <p data-testid="overview-custody-state" data-ok={integrity ? String(integrity.ok) : 'unchecked'} className={integrity && !integrity.ok ? 'text-bad' : undefined}>
              <span aria-hidden="true">{integrity ? (integrity.ok ? '✓ ' : '✕ ') : '○ '}</span>
              {integrity ? (integrity.ok ? t('overview.custody.intact') : `${t('overview.custody.broken')}: ${integrity.problem ?? ''}`) : t('overview.custody.unchecked')}
            </p>
            <dl className="facts">
              {integrity ? (
                <>
                  <dt>{t('overview.custody.verifiedAt')}</dt>
                  <dd data-testid="overview-verified-at">
                    <Time iso={integrity.checkedAt} />
                  </dd>
                </>
              ) : null}
              <dt>{t('overview.custody.entriesLabel')}</dt>
              <dd data-testid="overview-custody-entries">
                {t('overview.custody.entries', { count: overview.custody.entries })} · {t('overview.custody.lastEntry')} <Time iso={overview.custody.lastEntryAt} />
              </dd>
              <dt>{t('overview.custody.head')}</dt>
              <dd>{overview.custody.head ? <Identifier value={overview.custody.head} label={t('overview.custody.headLabel')} short /> : <span className="muted">—</span>}</dd>
            </dl>
          </section>
          <section className="panel" aria-labelledby="overview-sources-heading" data-testid="overview-completeness">
            <div className="panel-head">
              <h2 id="overview-sources-heading">{t('overview.completeness.title')}</h2>
              <span className="muted small">{t('overview.completeness.collections', overview.collections)}</span>
            </div>
            <p className="field-hint">
              {t('overview.completeness.hint')} {shown ? <Time iso={shown.finishedAt ?? shown.startedAt} /> : null}
            </p>
            <Completeness run={shown} />
          </section>
        </div>
      ) : null}
      <CaseStoryline />
      <ChecklistSummary />
    </div>
  );
}
