// Renderer: Settings — the examiner's signing key (identity, fingerprint, how it is kept) and, in the desktop app, moving it.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, setLanguage, type Language } from '../../i18n';
import { api, toApiError, type ApiError, type SignerView } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { SignerFacts, useSigner } from './SignerFacts';
import { EngagementPanel } from './EngagementPanel';
import './settings.css';

export function SettingsScreen() {
  const { t } = useTranslation();
  const { signer, error, reload: load } = useSigner();

  return (
    <div className="screen">
      <div className="screen-head">
        <h1>{t('settings.title')}</h1>
        <p className="screen-lede">{t('settings.lede')}</p>
      </div>
      <LanguagePanel />
      <EngagementPanel />
      <section className="panel" aria-labelledby="settings-key-heading">
        <h2 id="settings-key-heading">{t('settings.keyHeading')}</h2>
        {error ? <ErrorNotice error={error} title={t('settings.keyReadError')} testId="settings-error" /> : null}
        {signer ? <SignerFacts signer={signer} testId="settings-signer" /> : !error ? <p className="muted">{t('settings.readingKey')}</p> : null}
        <p className="muted small">
          {t('settings.pinBefore')}
          <code className="mono">peregrine verify --signer {signer?.fingerprint ?? 'SHA256:…'} &lt;export&gt;</code>
          {t('settings.pinAfter')}
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
            <h2 id="settings-transfer-heading">{t('settings.moving')}</h2>
            <p className="muted">
              {t('settings.movingBefore')}
              <code className="mono">peregrine key export --out &lt;file&gt;</code>
              {t('settings.and')}
              <code className="mono">peregrine key import &lt;file&gt;</code>.
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
  const { t } = useTranslation();
  const [passphrase, setPassphrase] = useState('');
  const [filePassphrase, setFilePassphrase] = useState('');
  const { busy, done, error, submit } = useKeyAction(onDone);
  const onSubmit = submit(async () => {
    const result = await api.export.exportKey({ filePassphrase, ...(signer.needsPassphrase ? { passphrase } : {}) });
    return result ? t('settings.written', { file: result.fileName }) : null;
  });
  return (
    <section className="panel" aria-labelledby="settings-export-heading">
      <h2 id="settings-export-heading">{t('settings.exportHeading')}</h2>
      <form className="form" onSubmit={(e) => void onSubmit(e)} data-testid="settings-export-form">
        {signer.needsPassphrase ? <PassphraseField id="settings-export-current" label={t('settings.currentPassphrase')} hint={t('settings.currentPassphraseHint')} value={passphrase} onChange={setPassphrase} /> : null}
        <PassphraseField id="settings-export-passphrase" label={t('settings.filePassphrase')} hint={t('settings.filePassphraseHint')} value={filePassphrase} onChange={setFilePassphrase} />
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy || !signer.fingerprint} data-testid="settings-export-key">
            {busy ? t('settings.exporting') : t('settings.exportKey')}
          </button>
        </div>
        {done ? <p role="status" data-testid="settings-export-done">{done}</p> : null}
        {error ? <ErrorNotice error={error} title={t('settings.notExported')} testId="settings-export-error" /> : null}
      </form>
    </section>
  );
}

function KeyImportForm({ signer, onDone }: { signer: SignerView; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const [filePassphrase, setFilePassphrase] = useState('');
  const [replace, setReplace] = useState(false);
  const [identity, setIdentity] = useState(signer.identity ?? '');
  const { busy, done, error, submit } = useKeyAction(onDone);
  const onSubmit = submit(async () => {
    const result = await api.export.importKey({ filePassphrase, replace, identity });
    return result ? t('settings.imported', { file: result.fileName, fingerprint: result.signer.fingerprint ?? t('settings.importedIt') }) : null;
  });
  return (
    <section className="panel" aria-labelledby="settings-import-heading">
      <h2 id="settings-import-heading">{t('settings.importHeading')}</h2>
      <form className="form" onSubmit={(e) => void onSubmit(e)} data-testid="settings-import-form">
        <div className="field">
          <label htmlFor="settings-import-identity">{t('settings.signerName')}</label>
          <input id="settings-import-identity" type="text" autoComplete="off" value={identity} onChange={(e) => setIdentity(e.target.value)} aria-describedby="settings-import-identity-hint" data-testid="settings-import-identity" />
          <p className="field-hint" id="settings-import-identity-hint">
            {t('settings.signerNameHint')}
          </p>
        </div>
        <PassphraseField id="settings-import-passphrase" label={t('settings.keyFilePassphrase')} hint={t('settings.keyFilePassphraseHint')} value={filePassphrase} onChange={setFilePassphrase} />
        {signer.fingerprint ? (
          <div className="field">
            <label className="checkbox">
              <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} data-testid="settings-import-replace" />
              {t('settings.replace')}
            </label>
          </div>
        ) : null}
        <div className="form-actions">
          <button type="submit" className="button" disabled={busy} data-testid="settings-import-key">
            {busy ? t('settings.importing') : t('settings.importKey')}
          </button>
        </div>
        {done ? <p role="status" data-testid="settings-import-done">{done}</p> : null}
        {error ? <ErrorNotice error={error} title={t('settings.notImported')} testId="settings-import-error" /> : null}
      </form>
    </section>
  );
}

/** The interface language: chosen here, remembered on this computer, the OS language until then. */
function LanguagePanel() {
  const { t, i18n } = useTranslation();
  const chosen: Language = i18n.language === 'ja' ? 'ja' : 'en';
  return (
    <section className="panel" aria-labelledby="settings-language-heading" data-testid="settings-language">
      <h2 id="settings-language-heading">{t('settings.language')}</h2>
      <div className="field">
        <label htmlFor="settings-language-select" className="visually-hidden">
          {t('settings.language')}
        </label>
        <select
          id="settings-language-select"
          className="language-select"
          value={chosen}
          onChange={(e) => void setLanguage(e.target.value as Language)}
          aria-describedby="settings-language-hint"
          data-testid="settings-language-select"
        >
          {LANGUAGES.map((lng) => (
            <option key={lng} value={lng} lang={lng}>
              {t(`settings.languages.${lng}`)}
            </option>
          ))}
        </select>
        <p className="field-hint" id="settings-language-hint">
          {t('settings.languageHint')}
        </p>
        <p className="field-hint">{t('settings.languageNote')}</p>
      </div>
    </section>
  );
}
