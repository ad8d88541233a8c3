// Renderer: Findings — the storyline on top, findings grouped by severity, a side panel per finding, raw evidence, triage and IOC export.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { i18next } from '../../i18n';
import { api, toApiError, type ApiError, type DetectionReport, type ChecklistOverview, type EvidenceRef, type Finding, type Severity, type Triage } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatCount } from '../../lib/format';
import { findingsStageHref, navigate, routeHref, routeQuery } from '../../lib/route';
import { saveTextFile } from '../../lib/download';
import { CopyButton, writeClipboard } from '../../components/CopyButton';
import { ErrorNotice } from '../../components/ErrorNotice';
import { SeverityBadge, severityLabel } from '../../components/Severity';
import { Time, useZoneLabel } from '../../components/Time';
import { EvidenceDialog } from './EvidenceDialog';
import { FindingPanel } from './FindingPanel';
import { SEVERITY_ORDER, TRIAGE_ORDER, findingHaystack, ruleTexts, subjectName, stageTitle as stageTitleOf, triageIcon, triageWord, untriagedIcon, untriagedWord } from './findingText';
import { DEFAULT_FINDING_SORT, nextFindingSort, sortFindings, type FindingSort, type FindingSortColumn } from './findingSort';
import { Storyline } from './Storyline';
import { StageEventLinks } from '../timeline/TimelineLinks';
import './findings.css';

type TriageFilter = 'all' | 'untriaged' | Finding['triage']['state'];

export function FindingsScreen() {
  const { t } = useTranslation();
  const { formatTime, refreshIntegrity } = useCase();
  const zone = useZoneLabel();
  const [report, setReport] = useState<DetectionReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [selectedKey, setSelectedKey] = useState<string | null>(() => routeQuery().get('finding'));
  const [steps, setSteps] = useState<ChecklistOverview['links']>([]);
  const [stage, setStageState] = useState<string | null>(() => routeQuery().get('stage'));
  // The stage filter lives in the URL too: a reload, or the address copied, keeps it.
  const setStage = useCallback((next: string | null) => {
    setStageState(next);
    window.history.replaceState(window.history.state, '', next ? findingsStageHref(next) : routeHref('findings'));
  }, []);
  const [sort, setSort] = useState<FindingSort>(DEFAULT_FINDING_SORT);
  // What opened the raw-evidence dialog gets the focus back when it closes.
  const evidenceOpener = useRef<HTMLElement | null>(null);
  const [query, setQuery] = useState('');
  const [triageFilter, setTriageFilter] = useState<TriageFilter>('all');
  const [evidence, setEvidence] = useState<{ ref: EvidenceRef; label: string } | null>(null);

  // Reload when a collection finishes while this screen is open.
  const finishedAt = useCase().collection?.finishedAt ?? null;

  const load = useCallback(async () => {
    setLoading(true);
    setError(null);
    try {
      setReport(await api.findings.list());
      // Which checklist step answers each finding (read only; nothing recorded).
      setSteps(await api.remediate.progress().then((p) => p.links, () => []));
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load, finishedAt]);

  const onTriaged = useCallback(
    (key: string, triage: Triage) => {
      setReport((r) => (r ? { ...r, findings: r.findings.map((f) => (f.key === key ? { ...f, triage } : f)) } : r));
      // The custody log grew by one entry: the header and the Custody screen follow the verification.
      void refreshIntegrity();
    },
    [refreshIntegrity],
  );

  const stageKeys = useMemo(() => {
    if (!report || !stage) return null;
    return new Set(report.storyline.find((s) => s.id === stage)?.findingKeys ?? []);
  }, [report, stage]);

  const visible = useMemo(() => {
    if (!report) return [];
    const q = query.trim().toLowerCase();
    return report.findings.filter((f) => {
      if (stageKeys && !stageKeys.has(f.key)) return false;
      if (triageFilter === 'untriaged' ? f.triage.at !== null : triageFilter !== 'all' && f.triage.state !== triageFilter) return false;
      return !q || findingHaystack(f).includes(q);
    });
  }, [report, stageKeys, triageFilter, query]);

  const groups = useMemo(() => sortFindings(visible, sort), [visible, sort]);
  const totals = useMemo(() => {
    const t = Object.fromEntries(SEVERITY_ORDER.map((l) => [l, 0])) as Record<Severity, number>;
    for (const f of report?.findings ?? []) t[f.severity] += 1;
    return t;
  }, [report]);

  const selected = report?.findings.find((f) => f.key === selectedKey) ?? null;
  const stageTitle = stage ? stageTitleOf(report?.storyline.find((s) => s.id === stage) ?? { id: stage, title: stage }) : null;
  const filtered = visible.length !== (report?.findings.length ?? 0);

  const listText = useMemo(
    () =>
      [
        [t('findings.colSeverity'), t('findings.colFinding'), t('findings.colSubject'), 'ATT&CK', t('findings.colFirst', { zone }), t('findings.colLast', { zone }), t('findings.triage'), t('findings.colNote')],
        ...groups.flatMap((g) => g.findings).map((f) => [f.severity, ruleTexts(f).title, subjectName(f), f.attack.join(' '), formatTime(f.firstAt), formatTime(f.lastAt), f.triage.at === null ? untriagedWord() : triageWord(f.triage.state), f.triage.note.replace(/\s+/g, ' ')]),
      ]
        .map((r) => r.join('\t'))
        .join('\n'),
    [groups, zone, formatTime, t],
  );

  const hasCollection = report?.runId != null;

  return (
    <div className={`screen screen-wide findings-screen${selected ? ' with-panel' : ''}`}>
      <div className="screen-head">
        <h1>{t('findings.title')}</h1>
        <p className="screen-lede">{t('findings.lede')}</p>
        {report && hasCollection ? (
          <p className="run-status small" data-testid="findings-status">
            <span data-testid="findings-elapsed">
              {t('findings.elapsed', { rules: t('findings.rules', { count: report.rules.length }), ms: Math.round(report.elapsedMs) })}
            </span>{' '}
            · {t('findings.collectionOf')} <Time iso={report.collectedAt} /> · {t('findings.count', { count: report.findings.length })}
            <button type="button" className="link-button findings-rerun" onClick={() => void load()} disabled={loading} data-testid="findings-reload">
              {loading ? t('findings.running') : t('findings.runAgain')}
            </button>
          </p>
        ) : null}
      </div>

      {error ? <ErrorNotice error={error} title={t('findings.runError')} testId="findings-error" /> : null}
      {!report && loading ? (
        <p className="muted" data-testid="findings-loading">
          {t('findings.loading')}
        </p>
      ) : null}

      {report && !hasCollection ? (
        <div className="notice" data-testid="findings-empty">
          <p className="notice-title">{t('findings.noCollection')}</p>
          <p>
            {t('findings.noCollectionBody')}
            <a href={routeHref('collect')} onClick={() => navigate('collect')} data-testid="findings-go-collect">
              {t('findings.goCollect')}
            </a>
            .
          </p>
        </div>
      ) : null}

      {report && hasCollection ? (
        <>
          <section className="panel storyline-panel" aria-labelledby="storyline-heading">
            <div className="panel-head">
              <h2 id="storyline-heading">{t('findings.storyline')}</h2>
              <span className="muted small" data-testid="storyline-lit">
                {t('findings.stagesLit', { lit: report.storyline.filter((s) => s.lit).length, total: report.storyline.length })}
              </span>
            </div>
            <Storyline stages={report.storyline} selected={stage} onSelect={setStage} findings={report.findings} />
            <StageEventLinks stages={report.storyline} />
          </section>

          <div className="findings-toolbar">
            <div className="severity-counts" data-testid="severity-counts">
              {SEVERITY_ORDER.map((level) => (
                <span key={level} className={`severity-count${totals[level] === 0 ? ' is-zero' : ''}`} data-severity={level} data-count={totals[level]}>
                  <span className={`severity-text severity-text-${level}`}>{severityLabel(level)}</span> <strong>{formatCount(totals[level])}</strong>
                </span>
              ))}
            </div>
            <IocActions />
          </div>

          <div className="split">
            <div className="table-block">
              <div className="table-toolbar">
                <div className="table-toolbar-left">
                  <label className="filter">
                    <span className="visually-hidden">{t('findings.filterLabel')}</span>
                    <input type="search" placeholder={t('findings.filterPlaceholder')} value={query} onChange={(e) => setQuery(e.target.value)} data-testid="findings-filter" />
                  </label>
                  <label className="select-filter">
                    <span className="muted small">{t('findings.triage')}</span>
                    <select value={triageFilter} onChange={(e) => setTriageFilter(e.target.value as TriageFilter)} data-testid="findings-triage-filter">
                      <option value="all">{t('findings.all')}</option>
                      <option value="untriaged">{t('findings.untriaged')}</option>
                      {TRIAGE_ORDER.map((s) => (
                        <option key={s} value={s}>
                          {triageWord(s)}
                        </option>
                      ))}
                    </select>
                  </label>
                  {stageTitle ? (
                    <span className="filter-chip" data-testid="findings-stage-filter" data-stage={stage}>
                      {t('findings.stageChip', { stage: stageTitle })}
                      <button type="button" className="icon-button chip-clear" onClick={() => setStage(null)} aria-label={t('findings.everyStage')} data-testid="findings-stage-clear">
                        <span aria-hidden="true">✕</span>
                      </button>
                    </span>
                  ) : null}
                </div>
                <div className="table-toolbar-right">
                  <span className="table-summary" data-testid="findings-summary">
                    {filtered ? t('findings.visibleOf', { visible: visible.length, all: t('findings.count', { count: report.findings.length }) }) : t('findings.count', { count: report.findings.length })}
                  </span>
                  <CopyButton value={listText} label={t('findings.listLabel')} text={t('findings.copyList')} testId="findings-copy" />
                </div>
              </div>
              <FindingsTable groups={groups} sort={sort} onSort={(column) => setSort((s) => nextFindingSort(s, column))} compact={selected !== null} selectedKey={selectedKey} onSelect={setSelectedKey} zone={zone} empty={report.findings.length === 0 ? t('findings.noneMatched', { rules: t('findings.rules', { count: report.rules.length }) }) : t('findings.noFilterMatch')} />
            </div>
            {selected ? (
              <FindingPanel
                finding={selected}
                stages={report.storyline}
                onClose={() => setSelectedKey(null)}
                onTriaged={onTriaged}
                steps={steps.filter((l) => l.findingKey === selected.key)}
                onOpenEvidence={(ref, label) => {
                  evidenceOpener.current = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : null;
                  setEvidence({ ref, label });
                }}
              />
            ) : null}
          </div>
        </>
      ) : null}
      {evidence ? (
        <EvidenceDialog
          target={evidence}
          onClose={() => {
            setEvidence(null);
            const opener = evidenceOpener.current;
            evidenceOpener.current = null;
            // After React has removed the dialog, which would otherwise leave the focus on <main>.
            if (opener) requestAnimationFrame(() => opener.isConnected && opener.focus());
          }}
        />
      ) : null}
    </div>
  );
}

interface TableProps {
  groups: { level: Severity; findings: Finding[] }[];
  sort: FindingSort;
  onSort: (column: FindingSortColumn) => void;
  compact: boolean;
  selectedKey: string | null;
  onSelect: (key: string) => void;
  zone: string;
  empty: string;
}

function FindingsTable({ groups, sort, onSort, compact, selectedKey, onSelect, zone, empty }: TableProps) {
  const { t } = useTranslation();
  const head = (column: FindingSortColumn, label: string, className?: string) => {
    const active = sort.column === column;
    return (
      <th scope="col" className={className} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button type="button" className="sort-button" onClick={() => onSort(column)} data-testid={`findings-sort-${column}`}>
          {label}
          <span aria-hidden="true" className={`sort-mark${active ? ' active' : ''}`}>
            {active ? (sort.dir === 'asc' ? '↑' : '↓') : '↕'}
          </span>
        </button>
      </th>
    );
  };
  // With the panel open the severity badge moves into the finding cell: the list keeps what identifies a row.
  const columns = compact ? 2 : 6;
  const shown = groups.filter((g) => g.findings.length > 0);
  return (
    <div className="table-scroll">
      <table className="data-table findings-table" aria-label={t('findings.bySeverity')} data-testid="findings">
        <thead>
          <tr>
            {compact ? null : head('severity', t('findings.colSeverity'), 'col-flags')}
            {head('finding', t('findings.colFinding'))}
            {compact ? null : head('attack', 'ATT&CK')}
            {compact ? null : head('first', t('findings.colFirst', { zone }))}
            {compact ? null : head('last', t('findings.colLast', { zone }))}
            {head('triage', t('findings.triage'))}
          </tr>
        </thead>
        {shown.length === 0 ? (
          <tbody>
            <tr className="empty-row">
              <td colSpan={columns}>{empty}</td>
            </tr>
          </tbody>
        ) : (
          shown.map((g) => (
            <tbody key={g.level} className="finding-group" data-testid="finding-group" data-severity={g.level} data-count={g.findings.length}>
              <tr className="group-row">
                <th colSpan={columns} scope="colgroup">
                  <span className={`severity-text severity-text-${g.level}`}>{severityLabel(g.level)}</span> <span className="muted">· {formatCount(g.findings.length)}</span>
                </th>
              </tr>
              {g.findings.map((f) => {
                const selected = f.key === selectedKey;
                return (
                  <tr
                    key={f.key}
                    className={`finding-row flagged-${f.severity}${selected ? ' selected' : ''}`}
                    onClick={() => onSelect(f.key)}
                    data-testid="finding-row"
                    data-key={f.key}
                    data-rule={f.ruleId}
                    data-severity={f.severity}
                    data-triage={f.triage.at === null ? 'untriaged' : f.triage.state}
                    data-selected={selected ? 'true' : undefined}
                  >
                    {compact ? null : (
                      <td className="col-flags">
                        <SeverityBadge level={f.severity} />
                      </td>
                    )}
                    <td className="col-finding">
                      {compact ? (
                        <span className="finding-badge-line">
                          <SeverityBadge level={f.severity} />
                        </span>
                      ) : null}
                      <button
                        type="button"
                        className="row-open"
                        onClick={(e) => {
                          e.stopPropagation();
                          onSelect(f.key);
                        }}
                        aria-expanded={selected}
                        data-testid="finding-title"
                      >
                        {ruleTexts(f).title}
                      </button>
                      <span className="finding-subject-line small" data-testid="finding-subject">
                        {subjectName(f)}
                      </span>
                    </td>
                    {compact ? null : (
                      <td className="col-attack" data-testid="finding-attack-ids">
                        {f.attack.length ? f.attack.map((id) => <span key={id} className="attack-id mono">{id}</span>) : <span className="muted">—</span>}
                      </td>
                    )}
                    {compact ? null : (
                      <td className="col-time">
                        <Time iso={f.firstAt} withZone={false} />
                      </td>
                    )}
                    {compact ? null : (
                      <td className="col-time">
                        <Time iso={f.lastAt} withZone={false} />
                      </td>
                    )}
                    <td className="col-triage" data-testid="finding-triage">
                      {f.triage.at === null ? (
                        <span className="triage triage-untriaged">
                          <span aria-hidden="true">{untriagedIcon()} </span>
                          {untriagedWord()}
                        </span>
                      ) : (
                        <span className={`triage triage-${f.triage.state}`}>
                          <span aria-hidden="true">{triageIcon(f.triage.state)} </span>
                          {triageWord(f.triage.state)}
                        </span>
                      )}
                      {f.triage.note ? (
                        <span className="triage-note small" title={f.triage.note} data-testid="finding-triage-note">
                          {f.triage.note}
                        </span>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          ))
        )}
      </table>
    </div>
  );
}

/** Copy the IOC CSV, or save it (or the STIX 2.1 bundle) as a download; main builds both from the findings and their triage. */
function IocActions() {
  const { t } = useTranslation();
  const [busy, setBusy] = useState<'copy' | 'csv' | 'stix' | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const run = async (action: 'copy' | 'csv' | 'stix') => {
    setBusy(action);
    setOutcome(null);
    setError(null);
    try {
      const file = await api.findings.iocs(action === 'stix' ? 'stix' : 'csv');
      if (action === 'copy') {
        const ok = await writeClipboard(file.content);
        setOutcome(ok ? i18next.t('findings.iocCopied', { count: file.count }) : i18next.t('findings.iocRefused'));
      } else {
        saveTextFile(file.fileName, file.mediaType, file.content);
        setOutcome(i18next.t('findings.iocSaved', { file: file.fileName, count: file.count }));
      }
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="ioc-actions" role="group" aria-label={t('findings.iocGroup')}>
      {outcome ? (
        <span className="muted small" role="status" data-testid="ioc-outcome">
          {outcome}
        </span>
      ) : null}
      <button type="button" className="button button-small" onClick={() => void run('copy')} disabled={busy !== null} data-testid="ioc-copy-csv">
        {busy === 'copy' ? t('findings.copying') : t('findings.copyIocs')}
      </button>
      <button type="button" className="button button-small" onClick={() => void run('csv')} disabled={busy !== null} data-testid="ioc-save-csv">
        {busy === 'csv' ? t('findings.saving') : t('findings.saveCsv')}
      </button>
      <button type="button" className="button button-small" onClick={() => void run('stix')} disabled={busy !== null} data-testid="ioc-save-stix">
        {busy === 'stix' ? t('findings.saving') : t('findings.saveStix')}
      </button>
      {error ? (
        <div className="ioc-error">
          <ErrorNotice error={error} title={t('findings.iocError')} testId="ioc-error" />
        </div>
      ) : null}
    </div>
  );
}
