// Renderer: a first run against the tenant simulator — one click makes a practice case and opens Collect.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { navigate } from '../../lib/route';
import { ErrorNotice } from '../../components/ErrorNotice';

/** Shown on Start when sign-ins go to the simulator: what it is, and a practice case in one click. */
export function TrySimulator({ environment }: { environment: string }) {
  const { t } = useTranslation();
  const { caseOpened } = useCase();
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const start = async () => {
    setCreating(true);
    setError(null);
    try {
      // The examiner Settings name, else a practice name: the custody log and the export say who it was.
      const settings = await api.settings.get();
      const created = await api.case.create({
        name: t('start.try.caseName', { environment }).slice(0, 200),
        examiner: settings.examiner.trim() || t('start.try.examiner'),
        ...(settings.defaultTimeZone ? { timeZone: settings.defaultTimeZone } : {}),
      });
      await caseOpened(created);
      navigate('collect');
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setCreating(false);
    }
  };

  return (
    <section className="panel start-try" aria-labelledby="start-try-heading" data-testid="start-try">
      <h2 id="start-try-heading">{t('start.try.title')}</h2>
      <p>{t('start.try.body', { environment })}</p>
      <button type="button" className="button button-primary" onClick={() => void start()} disabled={creating} data-testid="start-try-create">
        {creating ? t('start.form.creating') : t('start.try.create')}
      </button>
      {error ? <ErrorNotice error={error} title={t('start.form.notCreated')} testId="start-try-error" /> : null}
    </section>
  );
}
