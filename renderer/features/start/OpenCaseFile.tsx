// Renderer: "Open a case file…" on the Start screen — the desktop app's own file dialog, or in the browser host a typed
// path — and, for a received case that must be upgraded to open, the examiner's explicit agreement.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type OpenedCase } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { navigate } from '../../lib/route';
import { ErrorNotice } from '../../components/ErrorNotice';

export function OpenCaseFile() {
  const { t } = useTranslation();
  const { info, caseOpened } = useCase();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const desktop = info?.host === 'electron';

  const open = async (input: { path?: string; upgrade?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      const opened: OpenedCase = await api.case.openFile(input);
      const integrity = await caseOpened(opened.summary);
      setTyped('');
      // A received case stays on Start, where its check is shown; one's own goes where its work is.
      if (!opened.received) navigate(integrity && integrity.evidenceRows > 0 ? 'evidence/applications' : 'collect');
    } catch (err) {
      const e = toApiError(err);
      // Closing the dialog is a choice, not an error.
      if (e.code !== 'cancelled') setError(e);
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void open({ path: typed });
  };

  return (
    <div className="open-file" data-testid="open-file">
      {desktop ? (
        <div className="open-file-row">
          <button type="button" className="button" onClick={() => void open({})} disabled={busy} data-testid="open-file-button">
            {busy ? t('openFile.opening') : t('openFile.button')}
          </button>
          <p className="field-hint">{t('openFile.hintDesktop')}</p>
        </div>
      ) : (
        <form className="open-file-form field" onSubmit={onSubmit} noValidate>
          <label htmlFor="open-file-path">{t('openFile.pathLabel')}</label>
          <div className="open-file-row">
            <input
              id="open-file-path"
              type="text"
              className="mono"
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              placeholder={t('openFile.pathPlaceholder')}
              aria-describedby="open-file-hint"
              data-testid="open-file-path"
              autoComplete="off"
              spellCheck={false}
            />
            <button type="submit" className="button" disabled={busy || typed.trim() === ''} data-testid="open-file-button">
              {busy ? t('openFile.opening') : t('openFile.openTyped')}
            </button>
          </div>
          <p className="field-hint" id="open-file-hint">{t('openFile.hintBrowser')}</p>
        </form>
      )}
      {error ? <ErrorNotice error={error} title={t('openFile.notOpened')} testId="open-file-error" /> : null}
      {error?.code === 'needs_upgrade' ? (
        <div className="open-file-row">
          <button type="button" className="button button-primary" onClick={() => void open({ upgrade: true })} disabled={busy} data-testid="open-file-upgrade">
            {t('openFile.upgrade')}
          </button>
          <p className="field-hint">{t('openFile.upgradeHint')}</p>
        </div>
      ) : null}
    </div>
  );
}
