// Renderer: Evidence → Applications — every app registration collected, flagged ones first, with a side panel per app.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ruleTexts } from '../findings/findingText';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type ApplicationRow } from '../../lib/api';
import { formatCount } from '../../lib/format';
import { navigate, routeHref, routeQuery } from '../../lib/route';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { SeverityBadge, SeverityText, severityWord } from '../../components/Severity';
import { Time, useZoneLabel } from '../../components/Time';
import { useCase } from '../../lib/caseState';
import { ApplicationPanel } from './ApplicationPanel';
import { KindTabs } from './KindTabs';
import { audienceWords, credentialsText, sortedFlags, topRank } from './applicationText';
import { permissionName } from './permission';
import './applications.css';
import './evidence.css';

/** With the side panel open the table keeps only what identifies a row; the panel has the rest. */
const COMPACT_COLUMNS = new Set(['flags', 'name', 'appId', 'created']);

export function ApplicationsScreen() {
  const { t } = useTranslation();
  const [rows, setRows] = useState<ApplicationRow[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [query, setQuery] = useState('');
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  // Opened from a link naming an app (the overview): that app's panel is open.
  const [selectedId, setSelectedId] = useState<string | null>(() => routeQuery().get('app'));
  const zone = useZoneLabel();

  // Reload when a collection finishes while this screen is open.
  const finishedAt = useCase().collection?.finishedAt ?? null;

  const load = useCallback(async () => {
    setError(null);
    try {
      const apps = await api.evidence.applications();
      // Pre-sorted by name so that sorting by severity keeps names in order within a level.
      setRows([...apps].sort((a, b) => a.displayName.localeCompare(b.displayName, 'en', { sensitivity: 'base' })));
    } catch (err) {
      setError(toApiError(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load, finishedAt]);

  const visible = useMemo(() => {
    if (!rows) return [];
    const q = query.trim().toLowerCase();
    return rows.filter((r) => {
      if (flaggedOnly && r.flags.length === 0) return false;
      if (!q) return true;
      const hay = [r.displayName, r.appId, r.id, r.publisherDomain ?? '', r.signInAudience ?? '', ...r.permissions, ...r.flags.flatMap((f) => [f.title, f.reason, f.ruleId])];
      return hay.some((h) => h.toLowerCase().includes(q));
    });
  }, [rows, query, flaggedOnly]);

  const selected = rows?.find((r) => r.id === selectedId) ?? null;
  const flaggedCount = rows?.filter((r) => r.flags.length > 0).length ?? 0;

  const columns: Column<ApplicationRow>[] = [
    {
      id: 'flags',
      header: t('apps.colFlags'),
      text: (r) => sortedFlags(r.flags).map((f) => `${severityWord(f.severity)}: ${ruleTexts(f).title} — ${f.reason}`).join(' | '),
      sortValue: (r) => topRank(r) * 100 + r.flags.length,
      className: 'col-flags',
      render: (r) => {
        const top = sortedFlags(r.flags)[0];
        if (!top) return <span className="muted">—</span>;
        return (
          <span className="flag-summary" data-testid="app-flags">
            <SeverityBadge level={top.severity} />
            {r.flags.length > 1 ? <span className="muted small">+{formatCount(r.flags.length - 1)}</span> : null}
          </span>
        );
      },
    },
    {
      id: 'name',
      header: t('apps.colName'),
      text: (r) => r.displayName,
      className: 'col-name',
      render: (r) => (
        <>
          <button
            type="button"
            className="row-open"
            onClick={(e) => {
              e.stopPropagation();
              setSelectedId(r.id);
            }}
            aria-label={t('apps.showDetails', { name: r.displayName })}
            aria-expanded={selectedId === r.id}
            data-testid="app-name"
          >
            {r.displayName}
          </button>
          {/* Ours is matched by app id in main: an app merely named like ours gets no badge. */}
          {r.ours ? <span className="badge badge-quiet" title={t('apps.oursHint')} data-testid="app-ours">{t('apps.ours')}</span> : null}
        </>
      ),
    },
    {
      id: 'appId',
      header: t('apps.colAppId'),
      text: (r) => r.appId,
      className: 'col-id',
      render: (r) => <Identifier value={r.appId} label={t('apps.appIdOf', { name: r.displayName })} testId="app-id" />,
    },
    {
      id: 'audience',
      header: t('apps.colAudience'),
      text: (r) => audienceWords(r.signInAudience),
      className: 'nowrap',
      render: (r) => <span title={r.signInAudience ?? undefined}>{audienceWords(r.signInAudience)}</span>,
    },
    {
      id: 'created',
      header: t('apps.colCreated', { zone }),
      text: (r) => r.createdDateTime ?? '',
      className: 'col-time',
      render: (r) => <Time iso={r.createdDateTime} withZone={false} />,
    },
    {
      id: 'credentials',
      header: t('apps.colCredentials'),
      text: credentialsText,
      className: 'col-credentials',
      sortValue: (r) => r.passwordCredentials + r.keyCredentials,
      render: (r) =>
        r.passwordCredentials + r.keyCredentials === 0 ? (
          <span className="muted">{t('apps.none')}</span>
        ) : (
          <span data-testid="app-credentials" title={credentialsText(r)}>
            {[r.passwordCredentials > 0 ? t('apps.secrets', { count: r.passwordCredentials }) : null, r.keyCredentials > 0 ? t('apps.certificates', { count: r.keyCredentials }) : null]
              .filter(Boolean)
              .join(', ')}
          </span>
        ),
    },
    {
      id: 'permissions',
      header: t('apps.colPermissions'),
      text: (r) => r.permissions.join('; '),
      sortValue: (r) => r.permissions.length,
      className: 'col-perms',
      render: (r) =>
        r.permissions.length === 0 ? (
          <span className="muted">{t('apps.none')}</span>
        ) : (
          <span className="perm-inline" data-testid="app-permissions" title={r.permissions.join('\n')}>
            <span className="perm-count">{formatCount(r.permissions.length)}</span>
            <span className="perm-names">{r.permissions.map(permissionName).join(', ')}</span>
          </span>
        ),
    },
  ];

  const flagDetail = (r: ApplicationRow) =>
    r.flags.length === 0 ? null : (
      <ul className="flag-lines">
        {sortedFlags(r.flags).map((f) => (
          <li key={f.ruleId} className="flag-line" data-rule={f.ruleId}>
            <SeverityText level={f.severity} />{' '}
            <span className="flag-title" data-testid="flag-title">
              {ruleTexts(f).title}
            </span>{' '}
            <span className="flag-reason" data-testid="flag-reason">
              {f.reason}
            </span>
          </li>
        ))}
      </ul>
    );

  const summary = rows ? (
    <>
      {visible.length === rows.length ? t('apps.count', { count: rows.length }) : t('apps.visibleOf', { visible: visible.length, all: t('apps.count', { count: rows.length }) })} ·{' '}
      <span className={flaggedCount > 0 ? 'text-bad' : undefined}>{t('apps.flagged', { count: flaggedCount })}</span>
    </>
  ) : null;

  return (
    <div className={`screen screen-wide${selected ? ' with-panel' : ''}`}>
      <div className="screen-head">
        <h1>
          <span className="crumb">{t('apps.crumb')}</span> {t('apps.title')}
        </h1>
        <p className="screen-lede">{t('apps.lede')}</p>
      </div>
      <KindTabs current="application" />
      {error ? <ErrorNotice error={error} title={t('apps.readError')} testId="applications-error" /> : null}
      {!rows && !error ? <p className="muted">{t('apps.reading')}</p> : null}
      {rows && rows.length === 0 ? (
        <div className="notice" data-testid="applications-empty">
          <p className="notice-title">{t('apps.empty')}</p>
          <p>
            {t('apps.collectFirst')}
            <a href={routeHref('collect')} onClick={() => navigate('collect')}>
              {t('apps.goCollect')}
            </a>
            .
          </p>
        </div>
      ) : null}
      {rows && rows.length > 0 ? (
        <div className="split">
          <DataTable
            className="applications-table"
            label={t('apps.title')}
            columns={columns}
            visibleColumns={selected ? COMPACT_COLUMNS : undefined}
            rows={visible}
            rowKey={(r) => r.id}
            defaultSort={{ column: 'flags', dir: 'desc' }}
            testId="applications"
            rowTestId="app-row"
            onRowActivate={(r) => setSelectedId(r.id)}
            selectedKey={selectedId}
            rowClassName={(r) => (r.flags.length > 0 ? `flagged flagged-${sortedFlags(r.flags)[0]?.severity ?? 'info'}` : undefined)}
            rowData={(r) => ({ 'data-app-name': r.displayName, 'data-flagged': r.flags.length > 0 ? 'true' : 'false', 'data-app-id': r.appId })}
            rowDetail={flagDetail}
            rowDetailTestId="app-flag-detail"
            summary={summary}
            empty={t('apps.noMatch')}
            toolbar={
              <>
                <label className="filter">
                  <span className="visually-hidden">{t('apps.filterLabel')}</span>
                  <input
                    type="search"
                    placeholder={t('apps.filterPlaceholder')}
                    value={query}
                    onChange={(e) => setQuery(e.target.value)}
                    data-testid="applications-filter"
                  />
                </label>
                <label className="checkbox">
                  <input type="checkbox" checked={flaggedOnly} onChange={(e) => setFlaggedOnly(e.target.checked)} data-testid="applications-flagged-only" />
                  {t('apps.flaggedOnly')}
                </label>
              </>
            }
          />
          {selected ? <ApplicationPanel app={selected} onClose={() => setSelectedId(null)} /> : null}
        </div>
      ) : null}
    </div>
  );
}
