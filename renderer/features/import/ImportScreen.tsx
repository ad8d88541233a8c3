// Renderer: the Import screen — files a client exported: their formats and record counts read first (nothing written),
// then stored in the case with a note on who handed them over; progress, cancel, and the result or the exact refusal.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type ImportFileView, type ImportJobView } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatBytes, formatCount, formatDuration } from '../../lib/format';
import { ErrorNotice } from '../../components/ErrorNotice';
import { IMPORT_DATE_FORMATS as DATE_FORMATS, IMPORT_FORMAT_IDS } from './importFormats';
import './import.css';

const POLL_MS = 300;

export function ImportScreen() {
  const { t } = useTranslation();
  const { info, refreshIntegrity, formatTime } = useCase();
  const [paths, setPaths] = useState('');
  const [format, setFormat] = useState('');
  const [dateFormat, setDateFormat] = useState('');
  const [note, setNote] = useState('');
  const [ownApps, setOwnApps] = useState('');
  const [job, setJob] = useState<ImportJobView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const inApp = info?.host === 'electron';
  const busy = job?.phase === 'planning' || job?.phase === 'importing';

  // Follow the job while it reads or stores; it ends planned, done, failed or cancelled.
  useEffect(() => {
    if (!job || !busy) return;
    const timer = setTimeout(() => {
      api.import.status(job.jobId).then(
        (next) => {
          setJob(next);
          if (next.phase === 'done') void refreshIntegrity();
        },
        (err: unknown) => setError(toApiError(err)),
      );
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job, busy, refreshIntegrity]);

  const plan = async () => {
    setError(null);
    setJob(null);
    const list = paths.split('\n').map((p) => p.trim()).filter(Boolean);
    try {
      setJob(await api.import.plan({ ...(inApp ? {} : { paths: list }), ...(format ? { format } : {}), ...(dateFormat ? { dateFormat } : {}) }));
    } catch (err) {
      setError(toApiError(err));
    }
  };
  const start = async () => {
    if (!job) return;
    setError(null);
    try {
      const isCollection = job.files.length > 0 && job.files.every((f) => f.format === 'collection');
      setJob(await api.import.start(job.jobId, note, isCollection ? ownApps.split(/[\s,]+/).filter(Boolean) : []));
    } catch (err) {
      setError(toApiError(err));
    }
  };
  const cancel = async () => {
    if (!job) return;
    try {
      setJob(await api.import.cancel(job.jobId));
    } catch (err) {
      setError(toApiError(err));
    }
  };

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>{t('import.title')}</h1>
        <p className="screen-lede">{t('import.lede')}</p>
      </div>
      <section className="panel" aria-labelledby="import-files-heading">
        <div className="panel-head">
          <h2 id="import-files-heading">{t('import.filesHeading')}</h2>
        </div>
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            void plan();
          }}
        >
          {inApp ? null : (
            <div className="field">
              <label htmlFor="import-paths">{t('import.paths')}</label>
              <textarea id="import-paths" rows={3} className="mono" value={paths} onChange={(e) => setPaths(e.target.value)} aria-describedby="import-paths-hint" data-testid="import-paths" spellCheck={false} />
              <p className="field-hint" id="import-paths-hint">{t('import.pathsHint')}</p>
            </div>
          )}
          <div className="import-options">
            <div className="field">
              <label htmlFor="import-format">{t('import.format')}</label>
              <select id="import-format" value={format} onChange={(e) => setFormat(e.target.value)} data-testid="import-format">
                <option value="">{t('import.formatAuto')}</option>
                {IMPORT_FORMAT_IDS.map((id) => (
                  <option key={id} value={id}>{t(`import.formats.${id}`)}</option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="import-date-format">{t('import.dateFormat')}</label>
              <select id="import-date-format" value={dateFormat} onChange={(e) => setDateFormat(e.target.value)} aria-describedby="import-date-hint" data-testid="import-date-format">
                <option value="">{t('import.dateAuto')}</option>
                {DATE_FORMATS.map((d) => (
                  <option key={d} value={d}>{d}</option>
                ))}
              </select>
              <p className="field-hint" id="import-date-hint">{t('import.dateHint')}</p>
            </div>
          </div>
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy || (!inApp && paths.trim() === '')} data-testid="import-plan">
              {inApp ? t('import.choose') : t('import.read')}
            </button>
          </div>
        </form>
      </section>

      {error ? <ErrorNotice error={error} title={t('import.refused')} testId="import-error" /> : null}
      {job ? <JobPanel job={job} note={note} setNote={setNote} ownApps={ownApps} setOwnApps={setOwnApps} onStart={start} onCancel={cancel} formatTime={formatTime} /> : null}
    </div>
  );
}

function JobPanel({ job, note, setNote, ownApps, setOwnApps, onStart, onCancel, formatTime }: {
  job: ImportJobView; note: string; setNote: (v: string) => void; ownApps: string; setOwnApps: (v: string) => void; onStart: () => void; onCancel: () => void; formatTime: (iso: string) => string;
}) {
  const { t } = useTranslation();
  const p = job.progress;
  const busy = job.phase === 'planning' || job.phase === 'importing';
  const left = p && p.bytes > 0 && p.bytes < p.totalBytes && p.elapsedMs > 2000 ? (p.elapsedMs / p.bytes) * (p.totalBytes - p.bytes) : null;
  return (
    <section className="panel" aria-labelledby="import-job-heading" data-testid="import-job" data-phase={job.phase}>
      <div className="panel-head">
        <h2 id="import-job-heading">{t(`import.phase.${job.phase}`)}</h2>
        {busy ? (
          <button type="button" className="button" onClick={onCancel} data-testid="import-cancel">
            {t('common.cancel')}
          </button>
        ) : null}
      </div>
      {busy ? (
        <div className="import-progress">
          <progress value={p?.bytes ?? 0} max={p?.totalBytes || 1} aria-label={t('import.progressLabel')} data-testid="import-progress" />
          <p className="small muted" role="status" data-testid="import-progress-text">
            {p
              ? t('import.progress', {
                  file: p.file, n: p.fileIndex + 1, files: p.files, bytes: formatBytes(p.bytes), total: formatBytes(p.totalBytes),
                  records: formatCount(p.records), rate: formatCount(Math.round(p.records / Math.max(p.elapsedMs / 1000, 0.001))), elapsed: formatDuration(p.elapsedMs),
                })
              : t('import.starting')}
            {left !== null ? ` · ${t('import.left', { left: formatDuration(left) })}` : null}
          </p>
        </div>
      ) : null}
      {job.error ? (
        <div className="notice notice-error" role="alert" data-testid="import-failure">
          <p className="notice-title">
            <span aria-hidden="true" className="notice-icon">✕</span>
            {job.phase === 'cancelled' ? t('import.cancelled') : t('import.failed')}
          </p>
          {job.phase === 'cancelled' ? null : (
            <dl className="import-where">
              {job.error.file ? (<><dt>{t('import.file')}</dt><dd className="mono" data-testid="import-failure-file">{job.error.file}</dd></>) : null}
              {job.error.line !== null ? (<><dt>{t('import.line')}</dt><dd className="mono" data-testid="import-failure-line">{job.error.line}</dd></>) : null}
              {job.error.field ? (<><dt>{t('import.field')}</dt><dd className="mono" data-testid="import-failure-field">{job.error.field}</dd></>) : null}
            </dl>
          )}
          <p className="notice-message" data-testid="import-failure-message">{job.error.message}</p>
          <p className="small">{t('import.nothingWritten')}</p>
        </div>
      ) : null}
      {job.files.length > 0 ? <FilesTable files={job.files} /> : null}
      {job.phase === 'planned' ? (
        <form
          className="form import-confirm"
          onSubmit={(e) => {
            e.preventDefault();
            onStart();
          }}
        >
          <p data-testid="import-planned-summary">
            {t('import.plannedSummary', { records: formatCount(job.files.reduce((n, f) => n + (f.records ?? 0), 0)), files: formatCount(job.files.length) })}
          </p>
          <div className="field">
            <label htmlFor="import-note">{t('import.note')}</label>
            <input id="import-note" type="text" value={note} onChange={(e) => setNote(e.target.value)} aria-describedby="import-note-hint" data-testid="import-note" />
            <p className="field-hint" id="import-note-hint">{t('import.noteHint')}</p>
          </div>
          {job.files.every((f) => f.format === 'collection') ? (
            <div className="field">
              <label htmlFor="import-own-apps">{t('import.ownApps')}</label>
              <input id="import-own-apps" type="text" value={ownApps} onChange={(e) => setOwnApps(e.target.value)} aria-describedby="import-own-apps-hint" data-testid="import-own-apps" />
              <p className="field-hint" id="import-own-apps-hint">{t('import.ownAppsHint')}</p>
            </div>
          ) : null}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={note.trim() === ''} data-testid="import-start">
              {t('import.start')}
            </button>
          </div>
        </form>
      ) : null}
      {job.phase === 'done' && job.result ? (
        <div className="notice notice-ok" role="status" data-testid="import-result">
          <p className="notice-title">
            <span aria-hidden="true" className="notice-icon">✓</span>
            {job.result.runId
              ? t('import.done', { records: formatCount(job.result.records) })
              : t('import.nothingNew')}
          </p>
          {job.result.window ? <p className="small">{t('import.window', { from: formatTime(job.result.window.from), to: formatTime(job.result.window.to) })}</p> : null}
          {job.result.runId ? <p className="small muted">{t('import.run')} <span className="mono" data-testid="import-run-id">{job.result.runId}</span></p> : null}
        </div>
      ) : null}
    </section>
  );
}

function FilesTable({ files }: { files: ImportFileView[] }) {
  const { t } = useTranslation();
  return (
    <div className="table-scroll">
      <table className="data-table import-files" data-testid="import-files">
        <thead>
          <tr>
            <th scope="col">{t('import.colFile')}</th>
            <th scope="col">{t('import.colFormat')}</th>
            <th scope="col">{t('import.colText')}</th>
            <th scope="col" className="numeric">{t('import.colSize')}</th>
            <th scope="col" className="numeric">{t('import.colRecords')}</th>
          </tr>
        </thead>
        <tbody>
          {files.map((f) => (
            <tr key={f.name} data-testid="import-file">
              <td>
                <span className="mono" data-testid="import-file-name">{f.name}</span>
                {f.sha256 ? <span className="mono small muted import-hash" title="sha256">{f.sha256}</span> : null}
              </td>
              <td>
                <span data-testid="import-file-format" data-format={f.format}>{t(`import.formats.${f.format}`, { defaultValue: f.label })}</span>
                <span className="small muted import-how">{f.detectedBy === 'content' ? t('import.fromContent') : t('import.asGiven')}</span>
              </td>
              <td className="small">
                {f.container.toUpperCase()} · {f.encoding === 'utf16le' ? 'UTF-16LE' : 'UTF-8'}
                {f.dateFormat ? ` · ${t('import.dates', { format: f.dateFormat })}` : ''}
              </td>
              <td className="numeric">{formatBytes(f.size)}</td>
              <td className="numeric" data-testid="import-file-records">
                {f.skipped ? <span className="small muted" title={f.skipped}>{t('import.skipped')}</span> : f.records === null ? '—' : formatCount(f.records)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
