// Renderer: Evidence → one kind of collected object (users, grants, connectors…) — a table read from main a page at a
// time, sorted and filtered there, driven by the kind's column list; a row opens its record, findings and history.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type EvidenceKindView, type EvidenceObjectRow, type EvidencePage, type ObjectKindId } from '../../lib/api';
import { navigate, routeHref, routeQuery } from '../../lib/route';
import { DataTable, type Column, type SortDir } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { SeverityBadge } from '../../components/Severity';
import { Time, useZoneLabel } from '../../components/Time';
import { useCase } from '../../lib/caseState';
import { ruleTexts } from '../findings/findingText';
import { cellText, columnHeader, kindLede, kindTitle } from './kindText';
import { ObjectPanel } from './ObjectPanel';
import { KindTabs } from './KindTabs';
import './evidence.css';

const PAGE = 100;

/** Waits until typing pauses before asking main again. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const id = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(id);
  }, [value, ms]);
  return settled;
}

export function EvidenceKindScreen({ kind }: { kind: ObjectKindId }) {
  const { t } = useTranslation();
  const zone = useZoneLabel();
  const finishedAt = useCase().collection?.finishedAt ?? null;
  const [kinds, setKinds] = useState<EvidenceKindView[] | null>(null);
  const [page, setPage] = useState<EvidencePage | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  // Opened from a link naming an object (the overview): filter to it and open it.
  const linked = routeQuery().get('object');
  const [query, setQuery] = useState(linked ?? '');
  const [toggle, setToggle] = useState(false);
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  const [sort, setSort] = useState<{ column: string; dir: SortDir }>({ column: 'findings', dir: 'desc' });
  const [offset, setOffset] = useState(0);
  const [selectedId, setSelectedId] = useState<string | null>(linked);
  const filter = useSettled(query.trim(), 250);

  useEffect(() => {
    setQuery(linked ?? '');
    setToggle(false);
    setFlaggedOnly(false);
    setSort({ column: 'findings', dir: 'desc' });
    setOffset(0);
    setSelectedId(linked);
    setPage(null);
    // A new kind starts afresh; the link's object is read once per kind.
  }, [kind]);

  useEffect(() => {
    api.evidence.kinds().then(setKinds, (err: unknown) => setError(toApiError(err)));
  }, [finishedAt]);

  const load = useCallback(async () => {
    setError(null);
    try {
      setPage(await api.evidence.list({ kind, offset, limit: PAGE, sort: sort.column, dir: sort.dir, filter, toggle, flaggedOnly }));
    } catch (err) {
      setError(toApiError(err));
    }
  }, [kind, offset, sort, filter, toggle, flaggedOnly]);

  useEffect(() => {
    void load();
  }, [load, finishedAt]);

  // A new filter or narrowing starts at the first page.
  useEffect(() => setOffset(0), [filter, toggle, flaggedOnly, sort]);

  const view = kinds?.find((k) => k.kind === kind) ?? null;
  const title = kindTitle(kind);
  const rows = page && page.kind === kind ? page.rows : null;
  const selected = rows?.find((r) => r.objectId === selectedId) ?? null;
  // A linked object the listed collection no longer has still opens (its history says where it went).
  const panelOpen = selectedId !== null && rows !== null && (selected !== null || selectedId === linked);

  const columns = useMemo((): Column<EvidenceObjectRow>[] => {
    if (!view) return [];
    const findings: Column<EvidenceObjectRow> = {
      id: 'findings',
      header: t('evidence.col.findings'),
      text: (r) => r.findings.map((f) => ruleTexts(f).title).join('; '),
      className: 'col-flags',
      render: (r) => {
        const top = r.findings[0];
        if (!top) return <span className="muted">—</span>;
        return (
          <span className="flag-summary" title={r.findings.map((f) => ruleTexts(f).title).join('\n')} data-testid="object-flags">
            <SeverityBadge level={top.severity} />
            {r.findings.length > 1 ? <span className="muted small">{t('evidence.moreFindings', { count: r.findings.length - 1 })}</span> : null}
          </span>
        );
      },
    };
    const own = view.columns.map((c, index): Column<EvidenceObjectRow> => {
      const text = (r: EvidenceObjectRow) => cellText(c.type, r.values[c.id] ?? null, zone);
      return {
        id: c.id,
        header: c.type === 'time' ? t('evidence.colZone', { header: columnHeader(c.id), zone }) : columnHeader(c.id),
        text,
        numeric: c.type === 'number',
        // The first column names the row; from the fifth on, columns give way in a narrow window (the panel has them all).
        className: [c.type === 'time' ? 'col-time' : c.type === 'id' ? 'col-id' : c.type === 'list' ? 'col-list' : c.type === 'bool' ? 'nowrap' : 'col-text', index === 0 ? 'col-first' : '', index >= 4 ? 'col-extra' : ''].join(' ').trim(),
        render: (r) => {
          const value = r.values[c.id] ?? null;
          if (index === 0) {
            return (
              <button
                type="button"
                className="row-open"
                onClick={(e) => {
                  e.stopPropagation();
                  setSelectedId(r.objectId);
                }}
                aria-label={t('evidence.showDetails', { name: text(r) || r.objectId })}
                aria-expanded={selectedId === r.objectId}
                data-testid="object-open"
              >
                {text(r) || r.name || t('evidence.noName')}
              </button>
            );
          }
          if (value === null || value === '') return <span className="muted">—</span>;
          if (c.type === 'time') return <Time iso={String(value)} withZone={false} />;
          if (c.type === 'id') return <Identifier value={String(value)} label={columnHeader(c.id)} short />;
          return (
            <span className="cell-text" title={text(r)}>
              {text(r)}
            </span>
          );
        },
      };
    });
    return [findings, ...own];
  }, [view, zone, t, selectedId]);

  const compact = useMemo(() => new Set(['findings', ...(view?.columns.slice(0, 2).map((c) => c.id) ?? [])]), [view]);
  const total = page?.total ?? 0;
  const summary = page ? (
    <>
      {total === 0 ? t('evidence.count', { count: 0 }) : t('evidence.range', { from: offset + 1, to: offset + (rows?.length ?? 0), total: t('evidence.count', { count: total }) })}
    </>
  ) : null;

  return (
    <div className={`screen screen-wide${panelOpen ? ' with-panel' : ''}`} data-testid="evidence-kind-screen" data-kind={kind}>
      <div className="screen-head">
        <h1>
          <span className="crumb">{t('evidence.crumb')}</span> {title}
        </h1>
        <p className="screen-lede">{kindLede(kind)}</p>
      </div>
      <KindTabs current={kind} kinds={kinds} />
      {error ? <ErrorNotice error={error} title={t('evidence.readError', { kind: title })} testId="evidence-kind-error" /> : null}
      {!page && !error ? <p className="muted">{t('evidence.reading')}</p> : null}
      {page && !page.runId ? (
        <div className="notice" data-testid="evidence-kind-empty">
          <p className="notice-title">{t('evidence.empty', { kind: title })}</p>
          <p>
            {t('apps.collectFirst')}
            <a href={routeHref('collect')} onClick={() => navigate('collect')}>
              {t('apps.goCollect')}
            </a>
            .
          </p>
        </div>
      ) : null}
      {page?.runId && view ? (
        <>
          <p className="muted small" data-testid="evidence-kind-collected">
            {t('evidence.collectedIn')} <Time iso={page.collectedAt} />
          </p>
          <div className="split">
            <div className="kind-table">
              <DataTable
                className="evidence-table"
                label={title}
                columns={columns}
                visibleColumns={panelOpen ? compact : undefined}
                rows={rows ?? []}
                rowKey={(r) => r.objectId}
                defaultSort={{ column: 'findings', dir: 'desc' }}
                serverSort={{ sort, onChange: setSort }}
                testId="evidence-table"
                rowTestId="object-row"
                onRowActivate={(r) => setSelectedId(r.objectId)}
                selectedKey={selectedId}
                rowClassName={(r) => (r.findings.length > 0 ? `flagged flagged-${r.findings[0]!.severity}` : undefined)}
                rowData={(r) => ({ 'data-object-id': r.objectId, 'data-flagged': r.findings.length > 0 ? 'true' : 'false' })}
                summary={summary}
                empty={view.count === 0 ? t('evidence.emptyKind', { kind: title }) : t('evidence.noMatch')}
                toolbar={
                  <>
                    <label className="filter">
                      <span className="visually-hidden">{t('evidence.filterLabel', { kind: title })}</span>
                      <input type="search" placeholder={t('evidence.filterPlaceholder')} value={query} onChange={(e) => setQuery(e.target.value)} data-testid="evidence-filter" />
                    </label>
                    {view.toggle ? (
                      <label className="checkbox">
                        <input type="checkbox" checked={toggle} onChange={(e) => setToggle(e.target.checked)} data-testid="evidence-toggle" />
                        {t(`evidence.toggle.${view.toggle as 'forwarding'}`)}
                      </label>
                    ) : null}
                    <label className="checkbox">
                      <input type="checkbox" checked={flaggedOnly} onChange={(e) => setFlaggedOnly(e.target.checked)} data-testid="evidence-flagged-only" />
                      {t('evidence.flaggedOnly')}
                    </label>
                  </>
                }
              />
              {total > PAGE ? (
                <nav className="pager" aria-label={t('evidence.pageLabel', { kind: title })} data-testid="evidence-pager">
                  <button type="button" className="button button-small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))} data-testid="evidence-previous">
                    {t('evidence.previous')}
                  </button>
                  <button type="button" className="button button-small" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)} data-testid="evidence-next">
                    {t('evidence.next')}
                  </button>
                </nav>
              ) : null}
            </div>
            {panelOpen ? <ObjectPanel kind={view} objectId={selectedId} row={selected} onClose={() => setSelectedId(null)} /> : null}
          </div>
        </>
      ) : null}
    </div>
  );
}

