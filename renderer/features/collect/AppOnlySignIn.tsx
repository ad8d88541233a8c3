// Renderer: app-only sign-in with the engagement app the client created — its id, certificate file and key file, read here and handed to main only.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { i18next } from '../../i18n';
import { api, ApiError, toApiError, type SignInState } from '../../lib/api';
import { useCase } from '../../lib/caseState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Identifier } from '../../components/Identifier';
import { GrantedPermissions } from './GrantedPermissions';

/** As main checks it: PEM files are a few KB, and anything larger was picked by mistake. */
const PEM_MAX_BYTES = 16 * 1024;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Field = 'appId' | 'certificate' | 'key';
type FieldErrors = Partial<Record<Field, string>>;

/**
 * Main names the input (`certificatePem: …`) or the file in its sentence (`The private key …`): the reason then stands
 * under that field, without the prefix. A refusal about neither (the tenant's) returns null and shows below the form.
 */
function fieldError(message: string): { field: Field; text: string } | null {
  const text = message.replace(/^App-only sign-in failed: /, '');
  const input = /^(appId|certificatePem|privateKeyPem): (.*)$/s.exec(text);
  if (input) return { field: ({ appId: 'appId', certificatePem: 'certificate', privateKeyPem: 'key' } as const)[input[1] as 'appId'], text: input[2]!.replace(/^./, (c) => c.toUpperCase()) + '.' };
  if (/^The private key/.test(text)) return { field: 'key', text };
  if (/^The certificate/.test(text)) return { field: 'certificate', text };
  if (/is not an application \(client\) id/.test(text)) return { field: 'appId', text };
  return null;
}

/** Reads a picked PEM file's text after checking its size and header; the error names the field. */
async function readPem(file: File | null, kind: 'certificate' | 'key', header: RegExp, expected: string): Promise<{ text: string } | { error: string }> {
  const what = i18next.t(`appOnly.what.${kind}`);
  if (!file) return { error: i18next.t('appOnly.choose', { what }) };
  if (file.size > PEM_MAX_BYTES) return { error: i18next.t('appOnly.tooBig', { file: file.name, size: Math.ceil(file.size / 1024), what }) };
  const text = await file.text();
  if (!header.test(text)) return { error: i18next.t('appOnly.notPem', { file: file.name, what, expected }) };
  return { text };
}

export function AppOnlyForm({ onSignedIn }: { onSignedIn: (state: SignInState) => void }) {
  const { t } = useTranslation();
  const [appId, setAppId] = useState('');
  const [certificate, setCertificate] = useState<File | null>(null);
  const [key, setKey] = useState<File | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  // Counts finished attempts, so a reader (or a test) can tell this answer from the last one.
  const [attempts, setAttempts] = useState(0);
  const noteId = useId();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await submit();
    } finally {
      setAttempts((n) => n + 1);
    }
  };

  const submit = async () => {
    setFailure(null);
    const found: FieldErrors = {};
    const id = appId.trim();
    if (!GUID.test(id)) found.appId = id ? t('appOnly.notGuid', { id }) : t('appOnly.enterId');
    const cert = await readPem(certificate, 'certificate', /-----BEGIN CERTIFICATE-----/, '-----BEGIN CERTIFICATE-----');
    const pk = await readPem(key, 'key', /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/, '-----BEGIN PRIVATE KEY-----');
    if ('error' in cert) found.certificate = cert.error;
    if ('error' in pk) found.key = pk.error;
    setErrors(found);
    if (found.appId || 'error' in cert || 'error' in pk) return;
    setBusy(true);
    try {
      // The texts go to Peregrine's own process in this one call; the form keeps only the file handles.
      const state = await api.auth.startAppOnly({ appId: id, certificatePem: cert.text, privateKeyPem: pk.text });
      if (state.state === 'error') {
        const at = fieldError(state.message);
        if (at) setErrors({ [at.field]: at.text });
        else setFailure(new ApiError({ code: 'app_only_refused', message: state.message.replace(/^App-only sign-in failed: /, '') }));
      } else onSignedIn(state);
    } catch (err) {
      const apiError = toApiError(err);
      const at = apiError.code === 'invalid_input' ? fieldError(apiError.message) : null;
      if (at) setErrors({ [at.field]: at.text });
      else setFailure(apiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form app-only-form" onSubmit={(e) => void onSubmit(e)} noValidate data-testid="app-only-form" data-attempts={attempts} aria-busy={busy} aria-describedby={noteId}>
      <p className="muted small">
        {t('appOnly.intro')}
      </p>
      <div className={`field${errors.appId ? ' has-error' : ''}`}>
        <label htmlFor="app-only-app-id">{t('appOnly.appId')}</label>
        <input
          id="app-only-app-id"
          type="text"
          className="mono"
          value={appId}
          placeholder="00000000-0000-0000-0000-000000000000"
          onChange={(e) => setAppId(e.target.value)}
          aria-invalid={errors.appId ? true : undefined}
          aria-describedby={errors.appId ? 'app-only-app-id-hint app-only-app-id-error' : 'app-only-app-id-hint'}
          autoComplete="off"
          spellCheck={false}
          data-testid="app-only-app-id"
        />
        <p className="field-hint" id="app-only-app-id-hint" data-testid="app-only-app-id-hint">
          {t('appOnly.appIdHint')}
        </p>
        <FieldError id="app-only-app-id-error" testId="app-only-app-id-error" error={errors.appId} />
      </div>
      <PemField field="certificate" label={t('appOnly.certificate')} hint={t('appOnly.certificateHint')} accept=".pem,.crt,.cer,.txt" error={errors.certificate} onFile={setCertificate} />
      <PemField field="key" label={t('appOnly.key')} hint={t('appOnly.keyHint')} accept=".pem,.key,.txt" error={errors.key} onFile={setKey} />
      <div className="notice app-only-note" id={noteId} data-testid="app-only-key-note">
        <p className="notice-title">{t('appOnly.keyNoteTitle')}</p>
        <p className="notice-message small">
          {t('appOnly.keyNote')}
        </p>
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="app-only-submit">
          {busy ? t('appOnly.checking') : t('appOnly.signIn')}
        </button>
      </div>
      {/* The tenant's answer stands under the button that asked for it. */}
      {failure ? <ErrorNotice error={failure} title={t('appOnly.failed')} testId="app-only-error" /> : null}
    </form>
  );
}

/** A field's problem in words, marked without colour alone. */
function FieldError({ id, testId, error }: { id: string; testId: string; error: string | undefined }) {
  return error ? <p className="field-error" id={id} data-testid={testId}><span aria-hidden="true">✕ </span>{error}</p> : null;
}

function PemField({ field, label, hint, accept, error, onFile }: { field: 'certificate' | 'key'; label: string; hint: string; accept: string; error: string | undefined; onFile: (f: File | null) => void }) {
  const id = `app-only-${field}`;
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="file"
        accept={accept}
        onChange={(e) => onFile(e.target.files?.[0] ?? null)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        data-testid={id}
      />
      <p className="field-hint" id={`${id}-hint`}>
        {hint}
      </p>
      <FieldError id={`${id}-error`} testId={`${id}-error`} error={error} />
    </div>
  );
}

/** Signed in as the engagement app: which app, which certificate (to check against the registration), and what it may read. */
export function AppOnlySignedIn({ auth, busy, onSignOut }: { auth: Extract<SignInState, { state: 'signed-in' }>; busy: boolean; onSignOut: () => void }) {
  const { t } = useTranslation();
  const { formatTime } = useCase();
  return (
    <>
      <div className="signin-section" role="group" aria-labelledby="signin-app-only-heading" data-testid="app-only-signed-in">
        <div className="signin-section-head">
          <h3 id="signin-app-only-heading">Microsoft Graph</h3>
        </div>
        <p className="signed-in" data-testid="signed-in">
          <span aria-hidden="true" className="ok-icon">✓</span> {t('appOnly.signedInAs')}
          <strong className="mono" data-testid="signed-in-account">
            {auth.username}
          </strong>
        </p>
        <dl className="facts facts-tight">
          <dt>{t('appOnly.tenantId')}</dt>
          <dd>
            <Identifier value={auth.tenantId} label={t('appOnly.tenantIdLabel')} testId="signed-in-tenant" />
          </dd>
          {auth.certificate ? (
            <>
              <dt>{t('appOnly.certificateDt')}</dt>
              <dd className="small break" data-testid="app-only-certificate">{auth.certificate.subject}</dd>
              <dt>{t('appOnly.thumbprint')}</dt>
              <dd>
                <Identifier value={auth.certificate.thumbprintSha1} label={t('appOnly.thumbprintLabel')} testId="app-only-thumbprint" />
              </dd>
              <dt>{t('appOnly.validUntil')}</dt>
              <dd className="small" data-testid="app-only-not-after">{formatTime(auth.certificate.notAfter)}</dd>
            </>
          ) : null}
          <dt>{t('appOnly.permissions')}</dt>
          <dd>
            <GrantedPermissions scopes={auth.scopes} noun="app role" testId="signed-in-scopes" />
          </dd>
        </dl>
        <button type="button" className="button button-quiet button-small" onClick={onSignOut} disabled={busy} data-testid="sign-out">
          {t('appOnly.signOut')}
        </button>
      </div>
      <div className="signin-section" role="group" aria-labelledby="signin-app-only-exo-heading" data-testid="exo-sign-in" data-state="signed-in">
        <div className="signin-section-head">
          <h3 id="signin-app-only-exo-heading">Exchange Online</h3>
        </div>
        <p className="signed-in" data-testid="exo-app-only">
          <span aria-hidden="true" className="ok-icon">✓</span> {t('appOnly.noSeparate')}
        </p>
        <p className="muted small">{t('appOnly.exchangeNeeds')}</p>
      </div>
    </>
  );
}
