// Renderer: the workbench shell — header with the open case and its integrity, the left nav, and the current screen.
import { useEffect, useState, type ReactNode } from 'react';
import { CaseProvider, useCase } from './lib/caseState';
import { useTranslation } from 'react-i18next';
import { evidenceKindOf, navigate, routeHref, useRoute, type Route } from './lib/route';
import { api, toApiError, type ApiError } from './lib/api';
import { i18next } from './i18n';
import { ErrorNotice } from './components/ErrorNotice';
import { StartScreen } from './features/start/StartScreen';
import { CollectScreen } from './features/collect/CollectScreen';
import { ApplicationsScreen } from './features/evidence/ApplicationsScreen';
import { EvidenceKindScreen } from './features/evidence/EvidenceKindScreen';
import { OverviewScreen } from './features/overview/OverviewScreen';
import { FindingsScreen } from './features/findings/FindingsScreen';
import { ChecklistScreen } from './features/checklist/ChecklistScreen';
import { ExportScreen } from './features/export/ExportScreen';
import { CustodyScreen } from './features/custody/CustodyScreen';
import { SettingsScreen } from './features/settings/SettingsScreen';
import { TimelineScreen } from './features/timeline/TimelineScreen';
import { ImportScreen } from './features/import/ImportScreen';

export function App() {
  return (
    <CaseProvider>
      <Shell />
    </CaseProvider>
  );
}

function Shell() {
  const { t } = useTranslation();
  const { openCase, loading } = useCase();
  const route = useRoute();
  // Every screen but Start and Settings needs an open case; without one, Start is what there is to do.
  const shown: Route = openCase || route === 'settings' ? route : 'start';
  return (
    <div className="shell">
      <a className="skip-link" href="#main">{t('app.skipToContent')}</a>
      <Header />
      <Nav current={shown} />
      <main id="main" className="content" tabIndex={-1} data-testid={`screen-${shown.replace('/', '-')}`}>
        {loading ? <p className="muted">{t('app.opening')}</p> : <Screen route={shown} />}
      </main>
    </div>
  );
}

function Screen({ route }: { route: Route }) {
  const kind = evidenceKindOf(route);
  if (kind) return <EvidenceKindScreen kind={kind} />;
  switch (route) {
    case 'start':
      return <StartScreen />;
    case 'overview':
      return <OverviewScreen />;
    case 'collect':
      return <CollectScreen />;
    case 'import':
      return <ImportScreen />;
    case 'evidence/applications':
      return <ApplicationsScreen />;
    case 'findings':
      return <FindingsScreen />;
    case 'timeline':
      return <TimelineScreen />;
    case 'checklist':
      return <ChecklistScreen />;
    case 'export':
      return <ExportScreen />;
    case 'custody':
      return <CustodyScreen />;
    case 'settings':
      return <SettingsScreen />;
    default:
      return <StartScreen />;
  }
}

function Header() {
  const { t } = useTranslation();
  const { openCase, showCaseZone, setShowCaseZone, closeCase, info } = useCase();
  const [closeError, setCloseError] = useState<ApiError | null>(null);
  const onClose = async () => {
    setCloseError(null);
    try {
      await closeCase();
      navigate('start');
    } catch (err) {
      setCloseError(toApiError(err));
    }
  };
  return (
    <header className="header" data-testid="header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">◭</span>
        <span className="brand-name">Peregrine</span>
      </div>
      <div className="header-case">
        {openCase ? (
          <>
            <span className="header-case-label">{t('app.caseLabel')}</span>
            <span className="header-case-name" data-testid="case-name" title={openCase.fileName}>
              {openCase.name}
            </span>
            <IntegrityBadge />
          </>
        ) : (
          <span className="muted" data-testid="case-name-none">{t('app.noCaseOpen')}</span>
        )}
      </div>
      <div className="header-actions">
        {info?.environment?.simulator ? (
          <span className="badge badge-sim" data-testid="header-simulator" title={t('app.simulatedTitle')}>
            {t('app.simulated')}
          </span>
        ) : null}
        {openCase && openCase.timeZone !== 'UTC' ? (
          <div className="segmented" role="group" aria-label={t('app.zoneGroup')}>
            <button type="button" aria-pressed={!showCaseZone} onClick={() => setShowCaseZone(false)} data-testid="zone-utc">
              UTC
            </button>
            <button type="button" aria-pressed={showCaseZone} onClick={() => setShowCaseZone(true)} data-testid="zone-case">
              {openCase.timeZone}
            </button>
          </div>
        ) : null}
        {openCase ? (
          <button type="button" className="button button-quiet" onClick={onClose} data-testid="close-case">
            {t('app.closeCase')}
          </button>
        ) : null}
      </div>
      {closeError ? (
        <div className="header-error">
          <ErrorNotice error={closeError} title={t('app.closeError')} testId="close-case-error" />
        </div>
      ) : null}
    </header>
  );
}

/** Records collected into the case, over every collection; null until read (or when the runs cannot be listed). */
function useCaseRecords(checkedAt: string | undefined): number | null {
  const { openCase, runsVersion } = useCase();
  const [records, setRecords] = useState<number | null>(null);
  const caseId = openCase?.caseId;
  useEffect(() => {
    if (!caseId) return;
    let live = true;
    api.collect.runs().then(
      (runs) => live && setRecords(runs.reduce((n, r) => n + r.sources.reduce((m, s) => m + s.records, 0), 0)),
      () => live && setRecords(null),
    );
    return () => {
      live = false;
    };
  }, [caseId, runsVersion, checkedAt]);
  return records;
}

function IntegrityBadge() {
  const { t } = useTranslation();
  const { integrity, integrityError, verifying, refreshIntegrity, formatTime } = useCase();
  const records = useCaseRecords(integrity?.checkedAt);
  let body: ReactNode;
  let tone = 'neutral';
  const intactText = integrity
    ? records !== null && records > 0
      ? t('app.intactRecords', { records: t('app.records', { count: records }), count: integrity.evidenceRows })
      : t('app.intact', { count: integrity.evidenceRows })
    : '';
  if (integrity) {
    tone = integrity.ok ? 'ok' : 'bad';
    body = integrity.ok ? (
      <>
        <span aria-hidden="true" className="integrity-icon">✓</span> {intactText}
      </>
    ) : (
      <>
        <span aria-hidden="true" className="integrity-icon">✕</span> {t('app.problem', { problem: integrity.problem ?? t('app.hashMismatch') })}
      </>
    );
  } else if (integrityError) {
    tone = 'bad';
    body = (
      <>
        <span aria-hidden="true" className="integrity-icon">?</span> {t('app.notChecked', { message: integrityError.message })}
      </>
    );
  } else {
    body = t('app.checking');
  }
  const checked = integrity
    ? integrity.chainHead
      ? t('app.checkedHead', { checked: t('app.checkedTitle', { time: formatTime(integrity.checkedAt), count: integrity.custodyEntries }), head: integrity.chainHead })
      : t('app.checkedTitle', { time: formatTime(integrity.checkedAt), count: integrity.custodyEntries })
    : integrityError?.detail;
  // The badge may ellipsise on a narrow window: the tooltip holds the whole status.
  const title = integrity?.ok ? `${intactText}\n${checked}` : checked;
  return (
    <span className={`integrity integrity-${tone}`}>
      <span className="integrity-text" data-testid="integrity-status" data-integrity={integrity ? (integrity.ok ? 'ok' : 'problem') : 'unknown'} title={title} role="status">
        {body}
      </span>
      <button type="button" className="link-button" onClick={() => void refreshIntegrity()} disabled={verifying} data-testid="integrity-reverify">
        {verifying ? t('common.verifying') : t('app.reverify')}
      </button>
    </span>
  );
}

const NAV: { route: Route; label: NavKey; testId: string; group?: 'evidence' }[] = [
  { route: 'start', label: 'start', testId: 'nav-start' },
  { route: 'overview', label: 'overview', testId: 'nav-overview' },
  { route: 'collect', label: 'collect', testId: 'nav-collect' },
  { route: 'import', label: 'import', testId: 'nav-import' },
  { route: 'evidence/applications', label: 'applications', testId: 'nav-applications', group: 'evidence' },
  { route: 'evidence/servicePrincipal', label: 'objects', testId: 'nav-objects', group: 'evidence' },
  { route: 'findings', label: 'findings', testId: 'nav-findings' },
  { route: 'timeline', label: 'timeline', testId: 'nav-timeline' },
  { route: 'checklist', label: 'checklist', testId: 'nav-checklist' },
  { route: 'export', label: 'export', testId: 'nav-export' },
  { route: 'custody', label: 'custody', testId: 'nav-custody' },
  { route: 'settings', label: 'settings', testId: 'nav-settings' },
];
type NavKey = 'start' | 'overview' | 'collect' | 'import' | 'applications' | 'objects' | 'findings' | 'timeline' | 'checklist' | 'export' | 'custody' | 'settings';

/** The nav's words: the shell's own, and the overview's and evidence kinds' from their sections. */
function navWord(key: NavKey): string {
  if (key === 'overview') return i18next.t('overview.nav');
  if (key === 'objects') return i18next.t('evidence.navObjects');
  return i18next.t(`app.nav.${key}`);
}

function NavLink({ item, current, enabled }: { item: (typeof NAV)[number]; current: Route; enabled: boolean }) {
  const { t } = useTranslation();
  const here = current === item.route || (item.label === 'objects' && evidenceKindOf(current) !== null);
  return enabled ? (
    <a href={routeHref(item.route)} aria-current={here ? 'page' : undefined} data-testid={item.testId}>
      {navWord(item.label)}
    </a>
  ) : (
    <a aria-disabled="true" data-testid={item.testId} title={t('app.nav.needCase')}>
      {navWord(item.label)}
    </a>
  );
}

function Nav({ current }: { current: Route }) {
  const { t } = useTranslation();
  const { openCase, collection } = useCase();
  const done = collection?.sources.filter((s) => s.state === 'done' || s.state === 'failed').length ?? 0;
  return (
    <nav className="nav" aria-label={t('app.nav.label')}>
      <ul>
        {NAV.map((item, index) => {
          const enabled = item.route === 'start' || item.route === 'settings' || openCase !== null;
          // Every kind's screen is under "Objects by kind".
          const here = current === item.route || (item.label === 'objects' && evidenceKindOf(current) !== null);
          const link = enabled ? (
            <a href={routeHref(item.route)} aria-current={here ? 'page' : undefined} data-testid={item.testId}>
              {navWord(item.label)}
              {item.route === 'collect' && collection?.state === 'running' ? (
                <span className="nav-progress" data-testid="nav-collect-progress">
                  {done}/{collection.sources.length}
                </span>
              ) : null}
            </a>
          ) : (
            <a aria-disabled="true" data-testid={item.testId} title={t('app.nav.needCase')}>
              {navWord(item.label)}
            </a>
          );
          // The rest of a group joins the list its first item opened.
          if (item.group && NAV[index - 1]?.group === item.group) return null;
          const members = item.group ? NAV.slice(index).filter((n, i, all) => n.group === item.group && all.slice(0, i).every((m) => m.group === item.group)) : [];
          return (
            <li key={item.route}>
              {item.group ? (
                <>
                  <span className={`nav-group${enabled ? '' : ' disabled'}`} id={`nav-group-${item.group}`}>{t(`app.nav.${item.group}`)}</span>
                  <ul aria-labelledby={`nav-group-${item.group}`}>
                    {members.map((m) => (
                      <li key={m.route} className="nav-sub">
                        <NavLink item={m} current={current} enabled={enabled} />
                      </li>
                    ))}
                  </ul>
                </>
              ) : (
                link
              )}
            </li>
          );
        })}
      </ul>
      {!openCase ? <p className="nav-hint">{t('app.nav.hint')}</p> : null}
    </nav>
  );
}
