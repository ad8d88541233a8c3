// Renderer: the Collect screen's tenant — the one sign-ins go to now (its cloud's endpoints and the client used), and
// the form that names another: the tenant (domain or id), its cloud, and optionally the client id to sign in with.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, toApiError, type ApiError, type TenantView } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { CLOUD_CHOICES, TenantChoiceInput } from '../../lib/validation';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';

type Cloud = (typeof CLOUD_CHOICES)[number];
type Field = 'tenant' | 'cloud' | 'clientId';

export function TenantPicker({ onChanged }: { onChanged: () => void }) {
  const { t } = useTranslation();
  const { info, refreshInfo, collection } = useCase();
  const [view, setView] = useState<TenantView | null>(null);
  const [readError, setReadError] = useState<ApiError | null>(null);
  const [tenant, setTenant] = useState('');
  const [cloud, setCloud] = useState<Cloud>('commercial');
  const [clientId, setClientId] = useState('');
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const running = collection?.state === 'running';

  useEffect(() => {
    let live = true;
    api.auth.tenant().then(
      (v) => {
        if (!live) return;
        setView(v);
        // The form starts from the tenant named now, so changing only the cloud or the client is one edit.
        if (v.environment?.chosen) {
          setTenant(v.environment.tenantId);
          setCloud(v.environment.cloud as Cloud);
          if (v.environment.clientIdFrom === 'chosen') setClientId(v.environment.clientId);
        }
      },
      (err: unknown) => live && setReadError(toApiError(err)),
    );
    return () => {
      live = false;
    };
  }, []);

  const apply = async (input: TenantChoiceInput) => {
    setBusy(true);
    setError(null);
    try {
      setView(await api.auth.chooseTenant(input));
      await refreshInfo();
      onChanged();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = TenantChoiceInput.safeParse({ source: 'tenant', tenant, cloud, clientId });
    if (!parsed.success) {
      const found: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) {
        const field = issue.path[0] as Field | undefined;
        if (field && !found[field]) found[field] = field === 'tenant' ? t('tenantPicker.tenantInvalid') : field === 'clientId' ? t('tenantPicker.clientIdInvalid') : issue.message;
      }
      setErrors(found);
      document.getElementById(`tenant-${Object.keys(found)[0]}`)?.focus();
      return;
    }
    setErrors({});
    void apply({ source: 'tenant', tenant: tenant.trim(), cloud, clientId: clientId.trim() });
  };

  const env = view?.environment ?? null;
  return (
    <section className="panel" aria-labelledby="env-heading" data-testid="environment">
      <div className="panel-head">
        <h2 id="env-heading">{t('collect.env.heading')}</h2>
        {env?.simulator ? (
          <span className="badge badge-sim" data-testid="simulator-badge">
            {t('app.simulated')}
          </span>
        ) : null}
      </div>
      {readError ? (
        <ErrorNotice error={readError} title={t('collect.env.readError')} testId="environment-error" />
      ) : !view ? (
        <p className="muted">{t('collect.env.reading')}</p>
      ) : !env ? (
        <p className="muted" data-testid="environment-none">
          {t('tenantPicker.none')}
        </p>
      ) : (
        <dl className="facts" data-testid="environment-facts">
          <dt>{t('collect.env.environment')}</dt>
          <dd data-testid="env-name">
            {/* A named tenant's own name is its domain or id; the cloud is said in words. */}
            {env.chosen ? env.tenantId : env.name} <span className="muted">· {t(`tenantPicker.clouds.${env.cloud as Cloud}`, { defaultValue: env.cloud })}</span>
          </dd>
          <dt>{t('collect.env.tenantId')}</dt>
          <dd>
            <Identifier value={env.tenantId} label={t('collect.env.tenantIdLabel')} testId="env-tenant-id" />
          </dd>
          <dt>{t('collect.env.authority')}</dt>
          <dd className="mono small break" data-testid="env-authority">{env.authority}</dd>
          <dt>{t('collect.env.graphUrl')}</dt>
          <dd className="mono small break" data-testid="env-graph-url">{env.graphBaseUrl}</dd>
          <dt>{t('tenantPicker.exchangeUrl')}</dt>
          <dd className="mono small break" data-testid="env-exchange-url">{env.exchangeBaseUrl}</dd>
          <dt>{t('collect.env.clientId')}</dt>
          <dd>
            <Identifier value={env.clientId} label={t('collect.env.clientIdLabel')} testId="env-client-id" />
            <span className="muted small" data-testid="env-client-from"> · {t(`tenantPicker.from.${env.clientIdFrom}`)}</span>
          </dd>
          <dt>{t('tenantPicker.remediationClient')}</dt>
          <dd>
            <Identifier value={env.remediationClientId} label={t('tenantPicker.remediationClient')} testId="env-remediation-client-id" />
          </dd>
          <dt>Peregrine</dt>
          <dd className="muted small">
            {info?.version} · {info?.host === 'electron' ? t('collect.env.desktop') : t('collect.env.browserHost')}
          </dd>
        </dl>
      )}
      <form className="form tenant-form" onSubmit={onSubmit} noValidate data-testid="tenant-form">
        <h3 className="tenant-form-title">{env ? t('tenantPicker.another') : t('tenantPicker.name')}</h3>
        <div className="tenant-form-row">
          <div className={`field${errors.tenant ? ' has-error' : ''}`}>
            <label htmlFor="tenant-tenant">{t('tenantPicker.tenant')}</label>
            <input id="tenant-tenant" type="text" className="mono" value={tenant} onChange={(e) => setTenant(e.target.value)} placeholder={t('tenantPicker.tenantPlaceholder')} aria-invalid={errors.tenant ? true : undefined} aria-describedby="tenant-tenant-hint" data-testid="tenant-input" autoComplete="off" spellCheck={false} />
            {errors.tenant ? <p className="field-error" data-testid="tenant-input-error"><span aria-hidden="true">✕ </span>{errors.tenant}</p> : null}
            <p className="field-hint" id="tenant-tenant-hint">{t('tenantPicker.tenantHint')}</p>
          </div>
          <div className="field">
            <label htmlFor="tenant-cloud">{t('tenantPicker.cloud')}</label>
            <select id="tenant-cloud" value={cloud} onChange={(e) => setCloud(e.target.value as Cloud)} data-testid="tenant-cloud">
              {CLOUD_CHOICES.map((c) => (
                <option key={c} value={c}>
                  {t(`tenantPicker.clouds.${c}`)}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className={`field${errors.clientId ? ' has-error' : ''}`}>
          <label htmlFor="tenant-clientId">
            {t('tenantPicker.clientId')} <span className="required">{t('common.optional')}</span>
          </label>
          <input id="tenant-clientId" type="text" className="mono" value={clientId} onChange={(e) => setClientId(e.target.value)} placeholder="00000000-0000-0000-0000-000000000000" aria-invalid={errors.clientId ? true : undefined} aria-describedby="tenant-clientId-hint" data-testid="tenant-client-id" autoComplete="off" spellCheck={false} />
          {errors.clientId ? <p className="field-error" data-testid="tenant-client-id-error"><span aria-hidden="true">✕ </span>{errors.clientId}</p> : null}
          <p className="field-hint" id="tenant-clientId-hint">{t('tenantPicker.clientIdHint')}</p>
        </div>
        {error ? <ErrorNotice error={error} title={t('tenantPicker.notChanged')} testId="tenant-error" /> : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy || running} data-testid="tenant-use">
            {busy ? t('tenantPicker.using') : t('tenantPicker.use')}
          </button>
          {view?.fileEnvironment && env?.chosen ? (
            <button type="button" className="button" disabled={busy || running} onClick={() => void apply({ source: 'file' })} data-testid="tenant-use-file">
              {t('tenantPicker.useFile', { name: view.fileEnvironment })}
            </button>
          ) : null}
          <p className="field-hint">{running ? t('tenantPicker.running') : t('tenantPicker.signsOut')}</p>
        </div>
      </form>
    </section>
  );
}
