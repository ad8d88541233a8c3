// Renderer: the Export screen — one signed export of the case, then its files, hashes and the client's verify commands.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { api, toApiError, type ApiError, type ExportResult, type TimelineFilter } from '../../lib/api';
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
  const [repeat, setRepeat] = useState('');
  const { signer, error: signerError, reload: loadSigner } = useSigner();

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
      setResult(await api.export.run(signer?.needsPassphrase ? passphrase : undefined, scope ?? undefined));
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPassphrase('');
      setRepeat('');
      setStartedAt(null);
      void refreshIntegrity();
      void loadSigner();
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
    </div>
  );
}
