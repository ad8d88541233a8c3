// Renderer: a finding's triage — state and note, saved through main, which writes a custody entry for every change.
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type Finding, type Triage, type TriageState } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Time } from '../../components/Time';
import { TRIAGE_ORDER, triageIcon, triageWord } from './findingText';

interface Props {
  finding: Finding;
  onSaved: (key: string, triage: Triage) => void;
}

export function TriageForm({ finding, onSaved }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const [state, setState] = useState<TriageState>(finding.triage.state);
  const [note, setNote] = useState(finding.triage.note);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);

  // Another finding selected, or its triage changed underneath: show what is stored.
  useEffect(() => {
    setState(finding.triage.state);
    setNote(finding.triage.note);
  }, [finding.key, finding.triage.state, finding.triage.note, finding.triage.at]);
  useEffect(() => {
    setError(null);
    setSaved(false);
  }, [finding.key]);

  const dirty = state !== finding.triage.state || note.trim() !== finding.triage.note;

  const save = async () => {
    setSaving(true);
    setError(null);
    setSaved(false);
    try {
      const triage = await api.findings.triage(finding.key, state, note);
      onSaved(finding.key, triage);
      setSaved(true);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setSaving(false);
    }
  };

  const { triage } = finding;
  return (
    <form
      className="triage-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      data-testid="triage-form"
    >
      <div className="triage-row">
        <div className="field">
          <label htmlFor={`${id}-state`}>{t('findings.triageForm.state')}</label>
          <select id={`${id}-state`} value={state} onChange={(e) => setState(e.target.value as TriageState)} data-testid="triage-state">
            {TRIAGE_ORDER.map((s) => (
              <option key={s} value={s}>
                {triageIcon(s)} {triageWord(s)}
              </option>
            ))}
          </select>
        </div>
        <p className="triage-last small" data-testid="triage-last">
          {triage.at ? (
            <>
              {t('findings.triageForm.lastBy')}
              <strong>{triage.by ?? t('findings.triageForm.unknown')}</strong>, <Time iso={triage.at} />
            </>
          ) : (
            <span className="muted">{t('findings.triageForm.notYet')}</span>
          )}
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-note`}>{t('findings.triageForm.note')}</label>
        <textarea
          id={`${id}-note`}
          value={note}
          maxLength={4000}
          rows={3}
          placeholder={t('findings.triageForm.notePlaceholder')}
          onChange={(e) => setNote(e.target.value)}
          data-testid="triage-note"
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary button-small" disabled={saving || !dirty} data-testid="triage-save">
          {saving ? t('findings.triageForm.saving') : t('findings.triageForm.save')}
        </button>
        <span className="field-hint">{t('findings.triageForm.hint')}</span>
        {saved && !dirty ? (
          <span className="triage-saved small" role="status" data-testid="triage-saved">
            <span aria-hidden="true">✓ </span>
            {t('findings.triageForm.saved')}
          </span>
        ) : null}
      </div>
      {error ? <ErrorNotice error={error} title={t('findings.triageForm.error')} testId="triage-error" /> : null}
    </form>
  );
}
