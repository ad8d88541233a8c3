// Renderer: Settings — the examiner's signing key (identity, fingerprint, how it is kept) and, in the desktop app, moving it.
import { useState, type FormEvent } from 'react';
import { api, toApiError, type ApiError, type SignerView } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { SignerFacts, useSigner } from './SignerFacts';

export function SettingsScreen() {
  const { signer, error, reload: load } = useSigner();

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>Settings</h1>
        <p className="screen-lede">The key every export and sealed case is signed with. Give clients its fingerprint through another channel (a call, a signed letter) so they can check who signed.</p>
      </div>
      <section className="panel" aria-labelledby="settings-key-heading">
        <h2 id="settings-key-heading">Signing key</h2>
        {error ? <ErrorNotice error={error} title="The signing key could not be read" testId="settings-error" /> : null}
        {signer ? <SignerFacts signer={signer} testId="settings-signer" /> : !error ? <p className="muted">Reading the key…</p> : null}
        <p className="muted small">
          A client pins it with <code className="mono">peregrine verify --signer {signer?.fingerprint ?? 'SHA256:…'} &lt;export&gt;</code>, or compares it with the fingerprint ssh-keygen prints.
        </p>
      </section>
      {signer ? (
        signer.keyTransfer ? (
          <>
            <KeyExportForm signer={signer} onDone={load} />
            <KeyImportForm signer={signer} onDone={load} />
          </>
        ) : (
          <section className="panel" aria-labelledby="settings-transfer-heading" data-testid="settings-transfer-unavailable">
            <h2 id="settings-transfer-heading">Moving the key</h2>
            <p className="muted">
              Importing or exporting the key needs the desktop app, which chooses the file itself. Here, use the command line:{' '}
              <code className="mono">peregrine key export --out &lt;file&gt;</code> and <code className="mono">peregrine key import &lt;file&gt;</code>.
            </p>
          </section>
        )
      ) : null}
    </div>
  );
}

function PassphraseField({ id, label, hint, value, onChange }: { id: string; label: string; hint: string; value: string; onChange: (v: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="password" autoComplete="off" value={value} onChange={(e) => onChange(e.target.value)} aria-describedby={`${id}-hint`} data-testid={id} />
      <p className="field-hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}

/** One key action at a time: busy while main shows its dialog and works, then what it did or why it did not. */
function useKeyAction(onDone: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = (action: () => Promise<string | null>) => async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setDone(await action());
      await onDone();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, done, error, submit };
}

function KeyExportForm({ signer, onDone }: { signer: SignerView; onDone: () => Promise<void> }) {
  const [passphrase, setPassphrase] = useState('');
  const [filePassphrase, setFilePassphrase] = useState('');
  const { busy, done, error, submit } = useKeyAction(onDone);
  const onSubmit = submit(async () => {
    const result = await api.export.exportKey({ filePassphrase, ...(signer.needsPassphrase ? { passphrase } : {}) });
    return result ? `Written to ${result.fileName}, encrypted under the passphrase you chose.` : null;
  });
  return (
    <section className="panel" aria-labelledby="settings-export-heading">
      <h2 id="settings-export-heading">Export the key</h2>
      <form className="form" onSubmit={(e) => void onSubmit(e)} data-testid="settings-export-form">
        {signer.needsPassphrase ? <PassphraseField id="settings-export-current" label="Current passphrase" hint="The passphrase the key is kept under here." value={passphrase} onChange={setPassphrase} /> : null}
        <PassphraseField id="settings-export-passphrase" label="Passphrase for the exported file" hint="At least 10 characters. Whoever has the file and this passphrase can sign as you." value={filePassphrase} onChange={setFilePassphrase} />
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy || !signer.fingerprint} data-testid="settings-export-key">
            {busy ? 'Exporting…' : 'Export key…'}
          </button>
        </div>
        {done ? <p role="status" data-testid="settings-export-done">{done}</p> : null}
        {error ? <ErrorNotice error={error} title="The key was not exported" testId="settings-export-error" /> : null}
      </form>
    </section>
  );
}

function KeyImportForm({ signer, onDone }: { signer: SignerView; onDone: () => Promise<void> }) {
  const [filePassphrase, setFilePassphrase] = useState('');
  const [replace, setReplace] = useState(false);
  const [identity, setIdentity] = useState(signer.identity ?? '');
  const { busy, done, error, submit } = useKeyAction(onDone);
  const onSubmit = submit(async () => {
    const result = await api.export.importKey({ filePassphrase, replace, identity });
    return result ? `Imported from ${result.fileName}: exports are now signed with ${result.signer.fingerprint ?? 'it'}.` : null;
  });
  return (
    <section className="panel" aria-labelledby="settings-import-heading">
      <h2 id="settings-import-heading">Import a consultancy key</h2>
      <form className="form" onSubmit={(e) => void onSubmit(e)} data-testid="settings-import-form">
        <div className="field">
          <label htmlFor="settings-import-identity">Signer name</label>
          <input id="settings-import-identity" type="text" autoComplete="off" value={identity} onChange={(e) => setIdentity(e.target.value)} aria-describedby="settings-import-identity-hint" data-testid="settings-import-identity" />
          <p className="field-hint" id="settings-import-identity-hint">
            Kept with the key (a person or the consultancy). Each export is signed in the name of its case’s examiner.
          </p>
        </div>
        <PassphraseField id="settings-import-passphrase" label="Passphrase of the key file" hint="An Ed25519 PKCS#8 PEM, as peregrine key export writes it." value={filePassphrase} onChange={setFilePassphrase} />
        {signer.fingerprint ? (
          <div className="field">
            <label className="checkbox">
              <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} data-testid="settings-import-replace" />
              Replace the current key
            </label>
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy} data-testid="settings-import-key">
            {busy ? 'Importing…' : 'Import key…'}
          </button>
        </div>
        {done ? <p role="status" data-testid="settings-import-done">{done}</p> : null}
        {error ? <ErrorNotice error={error} title="The key was not imported" testId="settings-import-error" /> : null}
      </form>
    </section>
  );
}
