// Renderer: Settings → Engagement — the client ids Peregrine signs in with, the engagement's own apps, accounts never to
// touch and the default time zone. Kept on this computer; what matters to the open case goes into its custody (main).
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type SettingsView } from '../../lib/api';
import { ErrorNotice } from '../../components/ErrorNotice';

const lines = (text: string): string[] => text.split(/[\n,]/).map((l) => l.trim()).filter(Boolean);

export function EngagementPanel() {
  const { t } = useTranslation();
  const [loaded, setLoaded] = useState<SettingsView | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [form, setForm] = useState({ collectionClientId: '', remediationClientId: '', engagementAppIds: '', breakGlass: '', defaultTimeZone: '' });
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<SettingsView | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    api.settings.get().then(
      (s) => {
        setLoaded(s);
        setForm({ collectionClientId: s.collectionClientId, remediationClientId: s.remediationClientId, engagementAppIds: s.engagementAppIds.join('\n'), breakGlass: s.breakGlass.join('\n'), defaultTimeZone: s.defaultTimeZone });
      },
      (err: unknown) => setLoadError(toApiError(err)),
    );
  }, []);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const s = await api.settings.update({
        collectionClientId: form.collectionClientId.trim(),
        remediationClientId: form.remediationClientId.trim(),
        engagementAppIds: lines(form.engagementAppIds),
        breakGlass: lines(form.breakGlass),
        defaultTimeZone: form.defaultTimeZone.trim(),
      });
      setSaved(s);
      setForm({ collectionClientId: s.collectionClientId, remediationClientId: s.remediationClientId, engagementAppIds: s.engagementAppIds.join('\n'), breakGlass: s.breakGlass.join('\n'), defaultTimeZone: s.defaultTimeZone });
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const field = (key: keyof typeof form, multiline = false) => {
    const id = `settings-${key}`;
    const common = { id, value: form[key], 'aria-describedby': `${id}-hint`, 'data-testid': id, spellCheck: false, autoComplete: 'off' };
    return (
      <div className="field">
        <label htmlFor={id}>{t(`settings.engagement.${key}`)}</label>
        {multiline ? (
          <textarea {...common} rows={3} className="settings-list" onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
        ) : (
          <input {...common} type="text" className={key === 'defaultTimeZone' ? undefined : 'mono'} onChange={(e) => setForm({ ...form, [key]: e.target.value })} />
        )}
        <p className="field-hint" id={`${id}-hint`}>
          {t(`settings.engagement.${key}Hint`)}
        </p>
      </div>
    );
  };

  return (
    <section className="panel" aria-labelledby="settings-engagement-heading" data-testid="settings-engagement">
      <h2 id="settings-engagement-heading">{t('settings.engagement.heading')}</h2>
      <p className="muted small">{t('settings.engagement.lede')}</p>
      {loadError ? <ErrorNotice error={loadError} title={t('settings.engagement.readError')} testId="settings-engagement-read-error" /> : null}
      {loaded ? (
        <form className="form" onSubmit={(e) => void onSubmit(e)} data-testid="settings-engagement-form">
          {field('collectionClientId')}
          {field('remediationClientId')}
          {field('engagementAppIds', true)}
          {field('breakGlass', true)}
          {field('defaultTimeZone')}
          <div className="form-actions">
            <button type="submit" className="button" disabled={busy} data-testid="settings-engagement-save">
              {busy ? t('settings.engagement.saving') : t('settings.engagement.save')}
            </button>
          </div>
          {saved ? (
            <p role="status" data-testid="settings-engagement-saved">
              {saved.recordedInCase === true ? t('settings.engagement.savedRecorded') : saved.recordedInCase === false ? t('settings.engagement.savedUnchanged') : t('settings.engagement.saved')}
            </p>
          ) : null}
          {error ? <ErrorNotice error={error} title={t('settings.engagement.notSaved')} testId="settings-engagement-error" /> : null}
        </form>
      ) : null}
    </section>
  );
}
