// Renderer: the Export screen — one signed export of the case, then its files, hashes and the client's verify commands.
import { useEffect, useState } from 'react';
import { api, toApiError, type ApiError, type ExportResult } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { formatBytes, formatDuration, plural } from '../../lib/format';
import { CopyButton } from '../../components/CopyButton';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { SignerFacts, useSigner } from '../settings/SignerFacts';

type ExportFile = ExportResult['files'][number];

const FILE_COLUMNS: Column<ExportFile>[] = [
  { id: 'name', header: 'File', text: (f) => f.name, render: (f) => <span className="mono" data-testid="export-file-name">{f.name}</span> },
  { id: 'bytes', header: 'Size', text: (f) => formatBytes(f.bytes), sortValue: (f) => f.bytes, numeric: true },
  {
    id: 'sha256',
    header: 'sha256',
    text: (f) => f.sha256,
    className: 'col-hash',
    render: (f) => (
      <span className="hash-block">
        <span className="mono small break" data-testid="export-file-sha256">{f.sha256}</span>
        <CopyButton value={f.sha256} label={`sha256 of ${f.name}`} compact />
      </span>
    ),
  },
];

export function ExportScreen() {
  const { refreshIntegrity, integrity } = useCase();
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
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [startedAt]);

  const run = async () => {
    setConfirming(false);
    setError(null);
    setResult(null);
    setStartedAt(Date.now());
    setNow(Date.now());
    try {
      setResult(await api.export.run(signer?.needsPassphrase ? passphrase : undefined));
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
        <h1>Export</h1>
        <p className="screen-lede">
          A signed folder for the client: timeline (JSONL and CSV), the findings (FINDINGS.md to read, findings.json with every record id), the indicators (CSV and STIX 2.1), the custody log and a manifest of every file’s sha256, signed with the
          examiner’s key in three formats the client can check without Peregrine.
        </p>
      </div>
      <section className="panel" aria-labelledby="export-heading">
        <div className="panel-head">
          <h2 id="export-heading">Signed export</h2>
          <button type="button" className="button button-primary" onClick={() => setConfirming(true)} disabled={running || confirming} data-testid="export-run">
            {running ? 'Exporting…' : result ? 'Export again' : 'Create signed export'}
          </button>
        </div>
        {confirming && signer ? (
          <form
            className="form export-confirm"
            onSubmit={(e) => {
              e.preventDefault();
              void run();
            }}
            data-testid="export-confirm"
          >
            <p className="notice-title">Sign this export with:</p>
            <SignerFacts signer={signer} testId="export-confirm-signer" />
            {signer.needsPassphrase ? (
              <div className="field">
                <label htmlFor="export-passphrase">Passphrase of the signing key</label>
                <input id="export-passphrase" type="password" autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} aria-describedby="export-passphrase-hint" data-testid="export-passphrase" />
                <p className="field-hint" id="export-passphrase-hint">
                  {signer.fingerprint ? 'The key is kept under this passphrase.' : 'A new key is made and kept under this passphrase (at least 10 characters).'}
                </p>
              </div>
            ) : null}
            {newKeyUnderPassphrase ? (
              <div className="field">
                <label htmlFor="export-passphrase-repeat">Repeat the passphrase</label>
                <input id="export-passphrase-repeat" type="password" autoComplete="off" value={repeat} onChange={(e) => setRepeat(e.target.value)} data-testid="export-passphrase-repeat" />
                {repeat && repeat !== passphrase ? <p className="field-error" data-testid="export-passphrase-mismatch"><span aria-hidden="true">✕ </span>The two passphrases differ.</p> : null}
              </div>
            ) : null}
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={newKeyUnderPassphrase && repeat !== passphrase} data-testid="export-confirm-run">
                Sign and export
              </button>
              <button type="button" className="button" onClick={() => setConfirming(false)} data-testid="export-confirm-cancel">
                Cancel
              </button>
            </div>
          </form>
        ) : null}
        {running ? (
          <p role="status" data-testid="export-running">
            Building the timeline, hashing each file and signing the manifest · {formatDuration(now - startedAt)} elapsed
          </p>
        ) : null}
        {!running && !result && !error ? (
          <p className="muted">
            The export covers everything in the case file now
            {integrity ? ` (${plural(integrity.evidenceRows, 'evidence row')}, ${plural(integrity.custodyEntries, 'custody entry', 'custody entries')})` : ''}, and adds a custody entry.
          </p>
        ) : null}
        {signerError ? <ErrorNotice error={signerError} title="The signing key could not be read" testId="export-signer-error" /> : null}
        {error ? <ErrorNotice error={error} title="The export was not completed" testId="export-error" /> : null}
        {result ? (
          <div data-testid="export-result">
            <div className="notice notice-ok">
              <p className="notice-title">
                <span aria-hidden="true" className="notice-icon">✓</span>
                Export written and signed: {plural(result.files.length, 'file')}
              </p>
            </div>
            <dl className="facts facts-wide">
              <dt>Folder</dt>
              <dd>
                <Identifier value={result.folderName} label="export folder name" testId="export-folder" />
              </dd>
              <dt>Signer key</dt>
              <dd>
                <Identifier value={result.signerFingerprint} label="signer fingerprint" testId="export-signer" />
              </dd>
              <dt>Custody head</dt>
              <dd>
                <Identifier value={result.custodyHead} label="custody chain head" testId="export-custody-head" />
              </dd>
            </dl>
          </div>
        ) : null}
      </section>
      {result ? (
        <>
          <section className="panel" aria-labelledby="export-files-heading">
            <h2 id="export-files-heading">Files</h2>
            <DataTable
              label="Export files"
              columns={FILE_COLUMNS}
              rows={result.files}
              rowKey={(f) => f.name}
              defaultSort={{ column: 'name', dir: 'asc' }}
              testId="export-files"
              rowTestId="export-file-row"
              rowData={(f) => ({ 'data-file': f.name })}
              summary={`${plural(result.files.length, 'file')} · ${formatBytes(result.files.reduce((n, f) => n + f.bytes, 0))}`}
            />
          </section>
          <section className="panel" aria-labelledby="export-verify-heading">
            <div className="panel-head">
              <h2 id="export-verify-heading">How the client verifies it</h2>
              <CopyButton value={commands} label="verify commands" text="Copy commands" testId="export-verify-copy" />
            </div>
            <p className="muted small">Run these in the export folder. They need only standard tools, not Peregrine.</p>
            <pre className="code-block mono" data-testid="export-verify-commands">
              <code>{commands}</code>
            </pre>
          </section>
        </>
      ) : null}
    </div>
  );
}
