// Renderer: the Export screen — one signed export of the case, then its files, hashes and the client's verify commands.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { api, toApiError, type ApiError, type ExportCheck, type ExportRecord, type ExportResult, type TimelineFilter } from '../../lib/api';
import { Time } from '../../components/Time';
import { currentLanguage, LANGUAGES, type Language } from '../../i18n';
import { useCase } from '../../lib/caseState';
import { formatBytes, formatCount, formatDuration, formatTimestamp } from '../../lib/format';
import { isEmptyFilter } from '../timeline/timelineFilter';
import { sourceName } from '../timeline/timelineText';
import { useAddressFilter } from '../timeline/useAddressFilter';
import { CopyButton } from '../../components/CopyButton';
import { CopyableText } from '../../components/EvidenceRowFacts';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { SignerFacts, useSigner } from '../settings/SignerFacts';
import './export.css';

type ExportFile = ExportResult['files'][number];

const fileColumns = (t: TFunction): Column<ExportFile>[] => [
  { id: 'name', header: t('export.colFile'), text: (f) => f.name, render: (f) => <span className="mono" data-testid="export-file-name">{f.name}</span> },
  { id: 'bytes', header: t('export.colSize'), text: (f) => formatBytes(f.bytes), sortValue: (f) => f.bytes, numeric: true },
  {
    id: 'sha256',
    header: 'sha256',
    text: (f) => f.sha256,
    className: 'col-hash',
    render: (f) => (
      <CopyableText value={f.sha256} label={t('export.shaOf', { name: f.name })} testId="export-file-sha256" small />
    ),
  },
];

/** A scope's filters in words, times in the display zone. */
function scopeParts(filter: TimelineFilter, zone: string, t: TFunction): string[] {
  const parts: string[] = [];
  if (filter.from) parts.push(t('export.scope.from', { time: formatTimestamp(filter.from, zone) }));
  if (filter.to) parts.push(t('export.scope.to', { time: formatTimestamp(filter.to, zone) }));
  if (filter.sources?.length) parts.push(t('export.scope.sources', { list: filter.sources.map(sourceName).join(', ') }));
  for (const key of ['operation', 'actor', 'ip', 'target', 'result', 'ioc', 'finding'] as const) {
    const value = filter[key];
    if (value) parts.push(t('export.scope.field', { label: t(`timeline.filter.${key}`), value }));
  }
  if (filter.findings?.length) parts.push(t('export.scope.findings', { count: filter.findings.length }));
  if (filter.search) parts.push(t('export.scope.search', { value: filter.search }));
  if (filter.supporting) parts.push(t('export.scope.supporting'));
  return parts;
}

/** The part of the timeline the export will hold, when the address names one (the Timeline screen's "Export these events"). */
function ScopeNotice({ scope, zone }: { scope: TimelineFilter; zone: string }) {
  const { t } = useTranslation();
  const [counts, setCounts] = useState<[number, number] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    let live = true;
    setCounts(null);
    setError(null);
    api.timeline
      .count([scope, {}])
      .then(([events, total]) => live && setCounts([events ?? 0, total ?? 0]))
      .catch((err: unknown) => live && setError(toApiError(err)));
    return () => {
      live = false;
    };
  }, [scope]);
  return (
    <div className="notice notice-warn export-scope" data-testid="export-scope" data-events={counts?.[0] ?? ''}>
      <p className="notice-title">{t('export.scope.title')}</p>
      <p>
        {t('export.scope.matching')} <strong data-testid="export-scope-words">{scopeParts(scope, zone, t).join(' · ')}</strong>
      </p>
      {counts ? <p data-testid="export-scope-count">{t('export.scope.count', { events: formatCount(counts[0]), total: formatCount(counts[1]) })}</p> : null}
      {error ? <ErrorNotice error={error} title={t('timeline.readError')} testId="export-scope-error" /> : null}
      <p className="small">{t('export.scope.whole')}</p>
      <a href="#/export" className="link-button" data-testid="export-scope-clear">
        {t('export.scope.clear')}
      </a>
    </div>
  );
}

/** Every export of the case, from its custody entries: when, by whom, where, and a check again as the client would. */
function ExportHistory({ records, zone }: { records: ExportRecord[]; zone: string }) {
  const { t } = useTranslation();
  const [checks, setChecks] = useState<Record<string, ExportCheck | ApiError | 'running'>>({});
  const check = async (folder: string) => {
    setChecks((c) => ({ ...c, [folder]: 'running' }));
    try {
      const result = await api.export.verify(folder);
      setChecks((c) => ({ ...c, [folder]: result }));
    } catch (err) {
      setChecks((c) => ({ ...c, [folder]: toApiError(err) }));
    }
  };
  const status = (r: ExportRecord) => {
    const c = checks[r.folder];
    if (!c) return null;
    if (c === 'running') return <span className="muted">{t('common.verifying')}</span>;
    if (!('ok' in c)) return <span className="text-bad" data-testid="export-history-check" data-ok="error">{c.message}</span>;
    const ok = c.ok && c.sameManifest;
    return (
      <span className={ok ? 'text-ok' : 'text-bad'} data-testid="export-history-check" data-ok={ok ? 'yes' : 'no'}>
        {ok
          ? t('export.history.intact', { count: c.files, time: formatTimestamp(c.checkedAt, zone) })
          : !c.sameManifest && c.ok
            ? t('export.history.otherManifest')
            : t('export.history.broken', { problem: c.problems[0] ? `${c.problems[0].where}: ${c.problems[0].message}` : '' })}
      </span>
    );
  };
  const columns: Column<ExportRecord>[] = [
    { id: 'at', header: t('export.history.colAt'), text: (r) => formatTimestamp(r.at, zone), sortValue: (r) => r.at, className: 'col-time-wrap', render: (r) => <Time iso={r.at} /> },
    { id: 'actor', header: t('export.history.colBy'), text: (r) => r.actor },
    {
      id: 'folder',
      header: t('export.history.colFolder'),
      text: (r) => r.path ?? r.folder,
      render: (r) => (
        <>
          <span className="mono small break" data-testid="export-history-folder">{r.folder}</span>
          {r.path ? null : <span className="muted small"> · {t('export.history.elsewhere')}</span>}
        </>
      ),
    },
    {
      id: 'timeline',
      header: t('export.history.colTimeline'),
      text: (r) => (r.scope ? t('export.history.part', { events: formatCount(r.scope.events), total: formatCount(r.scope.caseEvents) }) : t('export.history.whole')),
    },
    { id: 'files', header: t('export.colFiles'), text: (r) => String(r.files), sortValue: (r) => r.files, numeric: true },
    {
      id: 'check',
      header: t('export.history.colCheck'),
      text: () => '',
      sortable: false,
      render: (r) => (
        <span className="export-check">
          {r.path ? (
            <button type="button" className="button button-small" onClick={() => void check(r.folder)} disabled={checks[r.folder] === 'running'} data-testid="export-history-verify">
              {t('export.history.verify')}
            </button>
          ) : null}
          {status(r)}
        </span>
      ),
    },
  ];
  return (
    <section className="panel" aria-labelledby="export-history-heading">
      <h2 id="export-history-heading">{t('export.history.heading')}</h2>
      <p className="muted small">{t('export.history.hint')}</p>
      <DataTable
        label={t('export.history.heading')}
        columns={columns}
        rows={records}
        rowKey={(r) => String(r.seq)}
        defaultSort={{ column: 'at', dir: 'desc' }}
        testId="export-history"
        rowTestId="export-history-row"
        rowData={(r) => ({ 'data-folder': r.folder })}
      />
    </section>
  );
}

export function ExportScreen() {
  const { t } = useTranslation();
  const { refreshIntegrity, integrity, displayZone } = useCase();
  const { filter: addressFilter } = useAddressFilter();
  const scope = isEmptyFilter(addressFilter) ? null : addressFilter;
  const [result, setResult] = useState<ExportResult | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  // Nothing is signed before the examiner has seen which key signs it.
  const [confirming, setConfirming] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  // The account for the client in the language the examiner works in, unless chosen otherwise for this hand-over.
  const [handoverLanguage, setHandoverLanguage] = useState<Language>(() => currentLanguage());
  const [repeat, setRepeat] = useState('');
  const { signer, error: signerError, reload: loadSigner } = useSigner();
  const [records, setRecords] = useState<ExportRecord[]>([]);
  const loadHistory = () => {
    api.export.history().then(setRecords, () => setRecords([]));
  };
  useEffect(loadHistory, []);

  // Export is one call without progress events: show the elapsed time so the wait has a number.
  useEffect(() => {
    if (startedAt === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [startedAt]);

  const run = async () => {
    setConfirming(false);
    setError(null);
    setResult(null);
    setStartedAt(Date.now());
    setNow(Date.now());
    try {
      setResult(await api.export.run(signer?.needsPassphrase ? passphrase : undefined, scope ?? undefined, handoverLanguage));
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPassphrase('');
      setRepeat('');
      setStartedAt(null);
      void refreshIntegrity();
      void loadSigner();
      loadHistory();
    }
  };

  const running = startedAt !== null;
  // A new key under a mistyped passphrase could never sign again: ask twice.
  const newKeyUnderPassphrase = !!signer?.needsPassphrase && !signer.fingerprint;
  const commands = result?.verifyCommands.join('\n') ?? '';

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>{t('export.title')}</h1>
        <p className="screen-lede">{t('export.lede')}</p>
      </div>
      <section className="panel" aria-labelledby="export-heading">
        <div className="panel-head">
          <h2 id="export-heading">{t('export.heading')}</h2>
          <button type="button" className="button button-primary" onClick={() => setConfirming(true)} disabled={running || confirming} data-testid="export-run">
            {running ? t('export.exporting') : result ? t('export.again') : t('export.create')}
          </button>
        </div>
        {scope ? <ScopeNotice scope={scope} zone={displayZone} /> : null}
        {confirming && signer ? (
          <form
            className="form export-confirm"
            onSubmit={(e) => {
              e.preventDefault();
              void run();
            }}
            data-testid="export-confirm"
          >
            <p className="notice-title">{t('export.signWith')}</p>
            <SignerFacts signer={signer} testId="export-confirm-signer" />
            <div className="field">
              <label htmlFor="export-language">{t('export.language')}</label>
              <select id="export-language" value={handoverLanguage} onChange={(e) => setHandoverLanguage(e.target.value as Language)} aria-describedby="export-language-hint" data-testid="export-language">
                {LANGUAGES.map((l) => (
                  <option key={l} value={l}>
                    {t(`settings.languages.${l}`)}
                  </option>
                ))}
              </select>
              <p className="field-hint" id="export-language-hint">
                {t('export.languageHint')}
              </p>
            </div>
            {signer.needsPassphrase ? (
              <div className="field">
                <label htmlFor="export-passphrase">{t('export.passphrase')}</label>
                <input id="export-passphrase" type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} aria-describedby="export-passphrase-hint" data-testid="export-passphrase" />
                <p className="field-hint" id="export-passphrase-hint">
                  {signer.fingerprint ? t('export.keptUnder') : t('export.newKey')}
                </p>
              </div>
            ) : null}
            {newKeyUnderPassphrase ? (
              <div className="field">
                <label htmlFor="export-passphrase-repeat">{t('export.repeat')}</label>
                <input id="export-passphrase-repeat" type="password" autoComplete="off" value={repeat} onChange={(e) => setRepeat(e.target.value)} data-testid="export-passphrase-repeat" />
                {repeat && repeat !== passphrase ? (
                  <p className="field-error" data-testid="export-passphrase-mismatch">
                    <span aria-hidden="true">✕ </span>
                    {t('export.differ')}
                  </p>
                ) : null}
              </div>
            ) : null}
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={newKeyUnderPassphrase && repeat !== passphrase} data-testid="export-confirm-run">
                {t('export.signAndExport')}
              </button>
              <button type="button" className="button" onClick={() => setConfirming(false)} data-testid="export-confirm-cancel">
                {t('common.cancel')}
              </button>
            </div>
          </form>
        ) : null}
        {running ? (
          <p role="status" data-testid="export-running">
            {t('export.running', { duration: formatDuration(now - startedAt) })}
          </p>
        ) : null}
        {!running && !result && !error ? (
          <p className="muted">
            {integrity
              ? t('export.coversCounts', { rows: t('export.evidenceRows', { count: integrity.evidenceRows }), entries: t('export.custodyEntries', { count: integrity.custodyEntries }) })
              : t('export.covers')}
          </p>
        ) : null}
        {signerError ? <ErrorNotice error={signerError} title={t('settings.keyReadError')} testId="export-signer-error" /> : null}
        {error ? <ErrorNotice error={error} title={t('export.notCompleted')} testId="export-error" /> : null}
        {result ? (
          <div data-testid="export-result">
            <div className="notice notice-ok">
              <p className="notice-title">
                <span aria-hidden="true" className="notice-icon">✓</span>
                {t('export.written', { count: result.files.length })}
              </p>
            </div>
            <dl className="facts facts-wide">
              <dt>{t('export.folder')}</dt>
              <dd>
                <Identifier value={result.folderName} label={t('export.folderLabel')} testId="export-folder" />
              </dd>
              <dt>{t('export.where')}</dt>
              <dd>
                <CopyableText value={result.folderPath} label={t('export.whereLabel')} testId="export-folder-path" small />
              </dd>
              <dt>{t('export.signerKey')}</dt>
              <dd>
                <Identifier value={result.signerFingerprint} label={t('export.signerLabel')} testId="export-signer" />
              </dd>
              <dt>{t('export.custodyHead')}</dt>
              <dd>
                <Identifier value={result.custodyHead} label={t('custody.headLabel')} testId="export-custody-head" />
              </dd>
            </dl>
            {result.scope ? (
              <p data-testid="export-result-scope">{t('export.scope.result', { events: formatCount(result.scope.events), total: formatCount(result.scope.caseEvents), words: scopeParts(result.scope.filter as TimelineFilter, displayZone, t).join(' · ') })}</p>
            ) : null}
          </div>
        ) : null}
      </section>
      {result ? (
        <>
          <section className="panel" aria-labelledby="export-files-heading">
            <h2 id="export-files-heading">{t('export.files')}</h2>
            <DataTable
              label={t('export.filesLabel')}
              columns={fileColumns(t)}
              rows={result.files}
              rowKey={(f) => f.name}
              defaultSort={{ column: 'name', dir: 'asc' }}
              testId="export-files"
              rowTestId="export-file-row"
              rowData={(f) => ({ 'data-file': f.name })}
              summary={t('export.filesSummary', { count: result.files.length, size: formatBytes(result.files.reduce((n, f) => n + f.bytes, 0)) })}
            />
          </section>
          <section className="panel" aria-labelledby="export-verify-heading">
            <div className="panel-head">
              <h2 id="export-verify-heading">{t('export.verifyHeading')}</h2>
              <CopyButton value={commands} label={t('export.commandsLabel')} text={t('export.copyCommands')} testId="export-verify-copy" />
            </div>
            <p className="muted small">{t('export.verifyHint')}</p>
            <pre className="code-block mono" data-testid="export-verify-commands">
              <code>{commands}</code>
            </pre>
          </section>
        </>
      ) : null}
      {records.length > 0 ? <ExportHistory records={records} zone={displayZone} /> : null}
    </div>
  );
}
